"""CancelMessage over the real store on SQLite and PostgreSQL: a queued message is cancelled and never sent;
one already sent is untouched; a redelivered command changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_messaging import handlers
from opendso_messaging.app import MIGRATIONS
from opendso_messaging.cancellation import MessageNotQueuedYet, cancel_message
from opendso_messaging.dispatch import Dispatcher, DispatchSettings, Providers
from opendso_messaging.providers import Delivery, OutboundEmail, ProviderError
from opendso_messaging.store import OUTBOX, UnitOfWork, messages
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
DEPS = handlers.Deps(
    sender="Acme <credit@acme.example>",
    company_name="Acme",
    collector_name="Claire",
    collector_email="claire@acme.example",
    portal_base_url="https://portal.acme.example",
    now=lambda: NOW,
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


class Flaky:
    """An e-mail provider down for now ``failures`` times, then accepting; keeps what it accepted."""

    name = "flaky"

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.accepted: list[OutboundEmail] = []

    async def send(self, email: OutboundEmail) -> Delivery:
        if self.failures > 0:
            self.failures -= 1
            raise ProviderError(self.name, "451 try later", retryable=True, code="451")
        self.accepted.append(email)
        return Delivery(provider=self.name, ref=f"ref-{len(self.accepted)}", accepted_at=NOW)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("messaging")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "messaging")
    await engine.dispose()


def command(key: str, recipient: str = "ap@dupont.example") -> msg.SendMessage:
    return msg.SendMessage(
        message_key=key,
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        customer_name="Dupont SARL",
        contact_name="Marie",
        recipient=recipient,
        language="fr",
        channel="email",
        template_code="first_reminder",
        items=[
            msg.MessageItem(
                item_id="FR01/invoice/F1",
                number="F1",
                issue_date=date_to_proto(dt.date(2026, 10, 1)),
                due_date=date_to_proto(dt.date(2026, 10, 31)),
                open_amount=Money(amount="120.00", currency="EUR"),
                days_overdue=25,
            )
        ],
        today=date_to_proto(NOW.date()),
        task_id=f"task-{key}",
    )


async def queue(new_uow: Callable[[], UnitOfWork], *commands: msg.SendMessage) -> None:
    for c in commands:
        async with new_uow() as uow:
            await handlers.send_message(c, uow, DEPS)
            await uow.commit()


async def states(new_uow: Callable[[], UnitOfWork]) -> dict[str, str]:
    async with new_uow() as uow:
        rows = await uow.session.execute(select(messages.c.message_key, messages.c.state))
        return {key: state for key, state in rows}


async def events(new_uow: Callable[[], UnitOfWork], kind: type) -> list[str]:
    async with new_uow() as uow:
        rows = await uow.session.execute(select(OUTBOX.c.subject))
        return [s for s in rows.scalars() if s == subject_for(kind)]


def dispatcher(new_uow: Callable[[], UnitOfWork], providers: Providers, clock: Clock, **settings: object) -> Dispatcher:
    return Dispatcher(
        new_uow,
        providers,
        DispatchSettings(sender=DEPS.sender, **settings),  # type: ignore[arg-type]
        instance="a",
        now=clock,
    )


async def cancel(new_uow: Callable[[], UnitOfWork], key: str, reason: str = "items paid") -> None:
    async with new_uow() as uow:
        await cancel_message(msg.CancelMessage(message_key=key, reason=reason), uow, now=lambda: NOW)
        await uow.commit()


async def cancelled_events(new_uow: Callable[[], UnitOfWork]) -> list[msg.MessageCancelled]:
    async with new_uow() as uow:
        rows = await uow.session.execute(select(OUTBOX.c.subject, OUTBOX.c.payload))
        found = []
        for subject, payload in rows:
            if subject == subject_for(msg.MessageCancelled):
                found.append(msg.MessageCancelled.FromString(payload))
        return found


async def test_a_queued_message_cancelled_is_never_sent_and_cancelled_is_told_once(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await queue(new_uow, command("k1"), command("k2"))
    provider = Flaky(failures=1)
    clock = Clock()
    d = dispatcher(new_uow, Providers(email=provider), clock, retry_base_seconds=10.0)
    assert await d.run_once() == 2  # the provider is down for one of them: it waits for its retry
    assert sorted((await states(new_uow)).values()) == ["queued", "sent"]
    waiting = next(k for k, s in (await states(new_uow)).items() if s == "queued")

    await cancel(new_uow, waiting)
    await cancel(new_uow, waiting)  # a redelivery changes nothing
    clock.now += dt.timedelta(hours=5)
    assert await d.run_once() == 0

    assert (await states(new_uow))[waiting] == "cancelled"
    assert len(provider.accepted) == 1 and provider.accepted[0].message_key != waiting
    assert len(await events(new_uow, msg.MessageSent)) == 1
    [event] = await cancelled_events(new_uow)
    assert event.message_key == waiting
    assert event.task_id == f"task-{waiting}"
    assert event.customer_id == "FR01/C1"
    assert event.channel == "email"
    assert event.reason == "items paid"
    assert event.meta.event_id
    async with new_uow() as uow:
        record = await uow.messages.get(waiting)
    assert record is not None and record.last_error == "items paid"


async def test_a_message_already_sent_is_untouched(new_uow: Callable[[], UnitOfWork]) -> None:
    await queue(new_uow, command("k1"))
    provider = Flaky()
    d = dispatcher(new_uow, Providers(email=provider), Clock())
    assert await d.run_once() == 1

    await cancel(new_uow, "k1")

    assert await states(new_uow) == {"k1": "sent"}
    assert await cancelled_events(new_uow) == []
    assert len(await events(new_uow, msg.MessageSent)) == 1


async def test_a_message_being_sent_or_failed_is_untouched(new_uow: Callable[[], UnitOfWork]) -> None:
    await queue(new_uow, command("k1"), command("k2", recipient="not-an-address"))
    async with new_uow() as uow:  # a dispatcher claimed k1 and is handing it to its provider
        await uow.messages.claim("a:1", NOW, 10)
        await uow.commit()

    await cancel(new_uow, "k1")
    await cancel(new_uow, "k2")

    assert await states(new_uow) == {"k1": "sending", "k2": "failed"}
    assert await cancelled_events(new_uow) == []


async def test_a_cancel_before_its_message_is_queued_is_retried(new_uow: Callable[[], UnitOfWork]) -> None:
    with pytest.raises(MessageNotQueuedYet):
        await cancel(new_uow, "unknown")
