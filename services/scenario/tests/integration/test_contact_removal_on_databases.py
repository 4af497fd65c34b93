"""Removed contacts (ContactsChanged with REMOVED changes) over the scenario service's real store, on SQLite
and PostgreSQL: who then receives the reminders, and what redelivered or late changes do."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.envelope import new_meta
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_money import Money
from opendso_scenario import handlers
from opendso_scenario.app import MIGRATIONS
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.store import OUTBOX, UnitOfWork
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 24)
T0 = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
ALICE = rv.Contact(
    contact_id="FR01/C1/collection/alice@dupont.example",
    customer_id="FR01/C1",
    entity="FR01",
    account_number="C1",
    name="Alice",
    email="alice@dupont.example",
    role="collection",
)


class Clock:
    def __init__(self) -> None:
        self.now = T0 + dt.timedelta(hours=1)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


class Service:
    """The handlers over the real store, one transaction per delivered event, as the bus runs them."""

    def __init__(self, new_uow: Callable[[], UnitOfWork]) -> None:
        self.new_uow = new_uow
        self.clock = Clock()
        self.deps = handlers.Deps(
            today=lambda: TODAY,
            now=self.clock,
            settle_seconds=1.0,
            scenarios=builtin_scenarios(),
            default_scenario="standard",
        )

    async def deliver(self, handler: Callable[[Any, UnitOfWork, handlers.Deps], Awaitable[None]], event: Any) -> None:
        async with self.new_uow() as uow:
            await handler(event, uow, self.deps)
            await uow.commit()

    async def customer_with_an_overdue_invoice(self, email: str) -> None:
        customer = rv.Customer(
            customer_id="FR01/C1", entity="FR01", account_number="C1", name="Dupont SARL", email=email, language="fr"
        )
        await self.deliver(handlers.record_customer, rv.CustomerCreated(meta=new_meta("importer"), customer=customer))
        due = TODAY - dt.timedelta(days=4)
        item = rv.OpenItem(
            item_id="FR01/invoice/F-1",
            customer_id="FR01/C1",
            entity="FR01",
            account_number="C1",
            number="F-1",
            kind=rv.ITEM_KIND_INVOICE,
            issue_date=date_to_proto(due - dt.timedelta(days=30)),
            due_date=date_to_proto(due),
            amount=money_to_proto(Money(Decimal("100.00"), "EUR")),
            open_amount=money_to_proto(Money(Decimal("100.00"), "EUR")),
        )
        await self.deliver(handlers.record_item, rv.ItemOpened(meta=new_meta("importer"), item=item))

    async def settle(self) -> int:
        self.clock.now += dt.timedelta(seconds=2)
        return await handlers.evaluate_settled(self.new_uow, self.deps)

    async def collection_contact(self) -> tuple[str, str] | None:
        async with self.new_uow() as uow:
            return await uow.repo.collection_contact("FR01/C1")

    async def published(self, kind: type[Any]) -> list[Any]:
        async with self.new_uow() as uow:
            payloads = await uow.session.scalars(
                select(OUTBOX.c.payload).where(OUTBOX.c.subject == subject_for(kind)).order_by(OUTBOX.c.seq)
            )
            return [kind.FromString(p) for p in payloads]


def contacts_changed(
    change_type: rv.ChangeType.ValueType, at: dt.datetime, contact: rv.Contact = ALICE
) -> rv.ContactsChanged:
    return rv.ContactsChanged(
        meta=new_meta("importer", entity="FR01", occurred_at=at),
        changes=[rv.ContactChange(type=change_type, contact=contact)],
    )


async def test_a_removed_collection_contact_receives_no_reminder_and_the_customer_address_takes_over(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    service = Service(new_uow)
    await service.deliver(handlers.record_contacts, contacts_changed(rv.CHANGE_TYPE_CREATED, T0))
    await service.deliver(
        handlers.record_contacts, contacts_changed(rv.CHANGE_TYPE_REMOVED, T0 + dt.timedelta(minutes=10))
    )
    await service.customer_with_an_overdue_invoice(email="ap@dupont.example")

    assert await service.settle() == 1
    (reminder,) = await service.published(msg.SendMessage)
    assert reminder.recipient == "ap@dupont.example"


async def test_with_no_contact_and_no_address_left_the_reminder_falls_to_a_collector(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    service = Service(new_uow)
    await service.deliver(handlers.record_contacts, contacts_changed(rv.CHANGE_TYPE_CREATED, T0))
    await service.deliver(
        handlers.record_contacts, contacts_changed(rv.CHANGE_TYPE_REMOVED, T0 + dt.timedelta(minutes=10))
    )
    await service.customer_with_an_overdue_invoice(email="")

    assert await service.settle() == 1
    assert await service.published(msg.SendMessage) == []
    (created,) = await service.published(col.TaskCreated)
    assert (created.task.automatic, created.task.status) == (True, col.TASK_STATUS_OPEN)


async def test_a_redelivered_removal_or_a_late_change_leaves_the_contact_removed(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    service = Service(new_uow)
    await service.deliver(handlers.record_contacts, contacts_changed(rv.CHANGE_TYPE_CREATED, T0))
    removal = contacts_changed(rv.CHANGE_TYPE_REMOVED, T0 + dt.timedelta(minutes=10))
    await service.deliver(handlers.record_contacts, removal)
    assert await service.collection_contact() is None

    await service.deliver(handlers.record_contacts, removal)
    renamed = rv.Contact()
    renamed.CopyFrom(ALICE)
    renamed.name = "Alice Dupont"
    # A change made before the removal, delivered after it (a retry, another instance).
    await service.deliver(
        handlers.record_contacts, contacts_changed(rv.CHANGE_TYPE_CHANGED, T0 + dt.timedelta(minutes=5), renamed)
    )

    assert await service.collection_contact() is None


async def test_a_contact_listed_again_after_its_removal_receives_the_reminders_again(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    service = Service(new_uow)
    await service.deliver(handlers.record_contacts, contacts_changed(rv.CHANGE_TYPE_CREATED, T0))
    removal = contacts_changed(rv.CHANGE_TYPE_REMOVED, T0 + dt.timedelta(minutes=10))
    await service.deliver(handlers.record_contacts, removal)
    await service.deliver(
        handlers.record_contacts, contacts_changed(rv.CHANGE_TYPE_CREATED, T0 + dt.timedelta(minutes=20))
    )
    await service.deliver(handlers.record_contacts, removal)  # redelivered after the contact came back
    await service.customer_with_an_overdue_invoice(email="ap@dupont.example")

    assert await service.collection_contact() == ("Alice", "alice@dupont.example")
    await service.settle()
    (reminder,) = await service.published(msg.SendMessage)
    assert reminder.recipient == "alice@dupont.example"
