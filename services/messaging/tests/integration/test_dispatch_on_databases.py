"""Messages queued by the command handler and sent by the dispatcher, over the real store on SQLite and
PostgreSQL: once each, whatever crashes, redeliveries and racing instances do."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email
import email.policy
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_messaging import handlers
from opendso_messaging.app import MIGRATIONS, reconciler
from opendso_messaging.dispatch import ChannelPaused, Dispatcher, DispatchSettings, Providers
from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers import Delivery, OutboundEmail, ProviderError
from opendso_messaging.providers.email_smtp import SmtpEmailSender, SmtpSettings
from opendso_messaging.providers.local import LocalEmailSender
from opendso_messaging.providers.twilio_channels import LocalTextOutbox, TwilioChannels, TwilioSettings
from opendso_messaging.store import OUTBOX, UnitOfWork
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


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("messaging")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "messaging")
    await engine.dispose()


def command(key: str, recipient: str = "ap@dupont.example", channel: str = "email") -> msg.SendMessage:
    return msg.SendMessage(
        message_key=key,
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        customer_name="Dupont SARL",
        contact_name="Marie",
        recipient=recipient,
        language="fr",
        channel=channel,
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
    from opendso_messaging.store import messages

    async with new_uow() as uow:
        rows = await uow.session.execute(select(messages.c.message_key, messages.c.state))
        return {key: state for key, state in rows}


async def events(new_uow: Callable[[], UnitOfWork], kind: type) -> list[str]:
    async with new_uow() as uow:
        rows = await uow.session.execute(select(OUTBOX.c.subject))
        return [s for s in rows.scalars() if s == subject_for(kind)]


async def failures(new_uow: Callable[[], UnitOfWork]) -> list[msg.MessageFailed]:
    async with new_uow() as uow:
        rows = await uow.session.execute(
            select(OUTBOX.c.payload).where(OUTBOX.c.subject == subject_for(msg.MessageFailed)).order_by(OUTBOX.c.seq)
        )
        return [msg.MessageFailed.FromString(bytes(p)) for p in rows.scalars()]


def dispatcher(
    new_uow: Callable[[], UnitOfWork], providers: Providers, clock: Clock, instance: str = "a", **settings: object
) -> Dispatcher:
    return Dispatcher(
        new_uow,
        providers,
        DispatchSettings(sender=DEPS.sender, **settings),  # type: ignore[arg-type]
        instance=instance,
        now=clock,
    )


class Flaky:
    """An e-mail provider that refuses for now ``failures`` times, then accepts; counts what it accepted."""

    name = "flaky"

    def __init__(self, failures: int = 0, final: bool = False) -> None:
        self.failures = failures
        self.final = final
        self.accepted: list[OutboundEmail] = []

    async def send(self, email: OutboundEmail) -> Delivery:
        if self.final:
            raise ProviderError(self.name, "550 no such mailbox", retryable=False, code="550")
        if self.failures > 0:
            self.failures -= 1
            raise ProviderError(self.name, "451 try later", retryable=True, code="451")
        self.accepted.append(email)
        return Delivery(provider=self.name, ref=f"ref-{len(self.accepted)}", accepted_at=NOW)


async def test_a_command_is_queued_rendered_then_sent_once_into_the_local_outbox(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    await queue(new_uow, command("k1"), command("k1"))  # the second is a redelivery
    assert await states(new_uow) == {"k1": "queued"}
    outbox = LocalOutbox(tmp_path / "outbox")
    d = dispatcher(new_uow, reconciler(LocalEmailSender(outbox), LocalTextOutbox(tmp_path / "text")), Clock())

    assert await d.run_once() == 1
    assert await d.run_once() == 0
    assert await states(new_uow) == {"k1": "sent"}
    assert len(await events(new_uow, msg.MessageSent)) == 1
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    mail = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert mail["To"] == "ap@dupont.example"
    assert mail["X-OpenDSO-Message-Key"] == "k1"
    assert "F1" in mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_provider_unavailable_for_now_is_tried_again_later_then_the_message_goes_once(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await queue(new_uow, command("k1"))
    provider = Flaky(failures=2)
    clock = Clock()
    d = dispatcher(new_uow, Providers(email=provider), clock, retry_base_seconds=10.0)

    assert await d.run_once() == 1
    assert await states(new_uow) == {"k1": "queued"}
    assert await d.run_once() == 0  # not before its retry time
    clock.now += dt.timedelta(seconds=10)
    assert await d.run_once() == 1
    clock.now += dt.timedelta(seconds=20)  # the delay doubles
    assert await d.run_once() == 1
    assert await states(new_uow) == {"k1": "sent"}
    assert len(provider.accepted) == 1
    assert len(await events(new_uow, msg.MessageSent)) == 1


async def test_a_message_refused_for_good_fails_visibly_and_tells_the_collection_engine(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await queue(new_uow, command("k1"))
    d = dispatcher(new_uow, Providers(email=Flaky(final=True)), Clock())
    await d.run_once()
    assert await states(new_uow) == {"k1": "failed"}
    assert len(await events(new_uow, msg.MessageFailed)) == 1
    assert await events(new_uow, msg.MessageSent) == []


async def test_retries_stop_after_the_last_attempt(new_uow: Callable[[], UnitOfWork]) -> None:
    await queue(new_uow, command("k1"))
    clock = Clock()
    d = dispatcher(new_uow, Providers(email=Flaky(failures=99)), clock, max_attempts=3, retry_base_seconds=1.0)
    for _ in range(3):
        await d.run_once()
        clock.now += dt.timedelta(hours=1)
    assert await states(new_uow) == {"k1": "failed"}
    async with new_uow() as uow:
        record = await uow.messages.get("k1")
    assert record is not None and record.attempts == 3 and "gave up after 3 attempts" in record.last_error


async def test_a_command_that_cannot_be_sent_is_recorded_failed_at_once(new_uow: Callable[[], UnitOfWork]) -> None:
    await queue(new_uow, command("k1", recipient="not-an-address"), command("k2", channel="fax"))
    assert await states(new_uow) == {"k1": "failed", "k2": "failed"}
    assert len(await events(new_uow, msg.MessageFailed)) == 2


async def test_two_dispatchers_racing_never_send_the_same_message_twice(new_uow: Callable[[], UnitOfWork]) -> None:
    await queue(new_uow, *(command(f"k{n}") for n in range(40)))
    provider = Flaky()
    clock = Clock()
    first = dispatcher(new_uow, Providers(email=provider), clock, instance="a", batch_size=7)
    second = dispatcher(new_uow, Providers(email=provider), clock, instance="b", batch_size=7)

    async def drain(d: Dispatcher) -> None:
        while await d.run_once():
            pass

    await asyncio.gather(drain(first), drain(second))
    keys = [e.message_key for e in provider.accepted]
    assert sorted(keys) == sorted(f"k{n}" for n in range(40))
    assert len(await events(new_uow, msg.MessageSent)) == 40


async def test_an_interrupted_send_the_provider_cannot_confirm_is_not_sent_again(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await queue(new_uow, command("k1"))
    clock = Clock()
    async with new_uow() as uow:  # an instance claimed it, then died during the call
        await uow.messages.claim("dead:1", clock(), 10)
        await uow.commit()
    provider = Flaky()
    d = dispatcher(new_uow, Providers(email=provider), clock, lease_seconds=60.0)

    assert await d.reconcile() == 0  # still within its lease
    clock.now += dt.timedelta(minutes=2)
    assert await d.reconcile() == 1
    assert await d.run_once() == 0
    assert provider.accepted == []
    # Held as unknown, not failed: nobody resends by hand thinking it never went.
    assert await states(new_uow) == {"k1": "unknown"}
    assert len(await events(new_uow, msg.MessageFailed)) == 1


async def test_an_interrupted_send_the_local_outbox_did_not_receive_goes_out_once(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    await queue(new_uow, command("k1"), command("k2"))
    clock = Clock()
    outbox = LocalOutbox(tmp_path / "outbox")
    providers = reconciler(LocalEmailSender(outbox), LocalTextOutbox(tmp_path / "text"))
    async with new_uow() as uow:
        [k1, _] = sorted(await uow.messages.claim("dead:1", clock(), 10), key=lambda r: r.message_key)
        await uow.commit()
    # k1 reached the outbox before the crash, k2 did not.
    await providers.email.send(
        OutboundEmail(message_id=k1.message_id, sender=DEPS.sender, to=(k1.recipient,), subject=k1.subject, text="x")
    )
    clock.now += dt.timedelta(hours=1)
    d = dispatcher(new_uow, providers, clock)
    assert await d.reconcile() == 2
    assert await states(new_uow) == {"k1": "sent", "k2": "queued"}
    assert await d.run_once() == 1
    assert await states(new_uow) == {"k1": "sent", "k2": "sent"}
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert len(await events(new_uow, msg.MessageSent)) == 2


async def test_a_text_message_goes_to_the_local_text_outbox(new_uow: Callable[[], UnitOfWork], tmp_path: Path) -> None:
    await queue(new_uow, command("s1", recipient="+33612345678", channel="sms"))
    text = LocalTextOutbox(tmp_path / "text")
    d = dispatcher(new_uow, reconciler(LocalEmailSender(LocalOutbox(tmp_path / "outbox")), text), Clock())
    assert await d.run_once() == 1
    assert await states(new_uow) == {"s1": "sent"}
    [written] = list((tmp_path / "text").glob("*.json"))
    assert "+33612345678" in written.read_text()


async def test_a_batch_of_commands_is_queued_once_per_key_and_a_bad_one_fails_alone(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await queue(new_uow, command("k0"))
    async with new_uow() as uow:
        await handlers.send_messages(
            [command("k0"), command("k1"), command("k1"), command("k2", recipient="nobody"), command("k3")], uow, DEPS
        )
        await uow.commit()

    assert await states(new_uow) == {"k0": "queued", "k1": "queued", "k2": "failed", "k3": "queued"}
    [failure] = await failures(new_uow)
    assert failure.state == "failed"
    async with new_uow() as uow:
        k3 = await uow.messages.get("k3")
    assert k3 is not None and "F1" in k3.text and k3.subject


class Batching(Flaky):
    """A provider that takes several e-mails at once, as the SMTP adapter does."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[int] = []

    async def send_many(self, emails: Sequence[OutboundEmail]) -> list[Delivery | ProviderError]:
        self.groups.append(len(emails))
        outcomes: list[Delivery | ProviderError] = []
        for outbound in emails:
            await asyncio.sleep(0)  # let the other dispatcher run in between
            outcomes.append(await self.send(outbound))
        return outcomes


async def test_two_dispatchers_sending_in_groups_never_send_the_same_message_twice(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await queue(new_uow, *(command(f"k{n}") for n in range(60)))
    provider = Batching()
    clock = Clock()
    first = dispatcher(new_uow, Providers(email=provider), clock, instance="a", batch_size=20, concurrency=3)
    second = dispatcher(new_uow, Providers(email=provider), clock, instance="b", batch_size=20, concurrency=3)

    async def drain(d: Dispatcher) -> None:
        while await d.run_once():
            pass

    await asyncio.gather(drain(first), drain(second))
    assert sorted(e.message_key for e in provider.accepted) == sorted(f"k{n}" for n in range(60))
    assert max(provider.groups) > 1
    assert len(await events(new_uow, msg.MessageSent)) == 60
    assert set((await states(new_uow)).values()) == {"sent"}


class Gate:
    """An aiosmtpd authenticator that refuses every login until it is opened."""

    def __init__(self) -> None:
        self.open = False

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        # handled=False: aiosmtpd answers 535 itself.
        return AuthResult(success=self.open, handled=False)


# Login in clear against the local test server; aiosmtpd warns about it.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_refused_smtp_login_pauses_the_email_channel_and_keeps_its_messages_queued(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    gate = Gate()
    accepted: list[Any] = []

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            accepted.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(
        Sink(), hostname="127.0.0.1", port=port, authenticator=gate, auth_require_tls=False, auth_required=True
    )
    controller.start()
    await queue(new_uow, command("k1"), command("k2"), command("k3", recipient="+33612345678", channel="sms"))
    clock = Clock()
    smtp = SmtpEmailSender(
        SmtpSettings(host="127.0.0.1", port=controller.port, security="none", username="ar", password="s3cret")
    )
    text = LocalTextOutbox(tmp_path / "text")
    d = dispatcher(new_uow, Providers(email=smtp, text=text), clock, retry_base_seconds=30.0, max_attempts=2)
    try:
        assert await d.run_once() == 3
        # The e-mails wait, uncounted and not failed; the text message on another channel went out.
        assert await states(new_uow) == {"k1": "queued", "k2": "queued", "k3": "sent"}
        assert await events(new_uow, msg.MessageFailed) == []
        assert list(d.paused()) == ["email"]
        with pytest.raises(ChannelPaused, match=r"email paused .*535"):
            await d.health()
        async with new_uow() as uow:
            k1 = await uow.messages.get("k1")
        assert k1 is not None and k1.attempts == 0 and "535" in k1.last_error

        assert await d.run_once() == 0  # paused: nothing is claimed
        for _ in range(3):  # still refused: paused again, longer, and still nothing fails
            clock.now += dt.timedelta(hours=2)
            assert await d.run_once() == 2
        assert await states(new_uow) == {"k1": "queued", "k2": "queued", "k3": "sent"}

        gate.open = True  # the password is fixed
        clock.now += dt.timedelta(hours=2)
        assert await d.run_once() == 2
    finally:
        smtp.close()
        controller.stop()

    assert await states(new_uow) == {"k1": "sent", "k2": "sent", "k3": "sent"}
    assert len(accepted) == 2
    assert d.paused() == {}
    assert await d.health() == "ok"
    assert len(await events(new_uow, msg.MessageSent)) == 3


async def test_a_421_after_the_content_is_held_as_unknown_and_never_sent_again(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    accepted: list[Any] = []

    class QueuesThenSays421:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            accepted.append(envelope)
            return "421 4.4.2 Connection timed out" if len(accepted) == 1 else "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(QueuesThenSays421(), hostname="127.0.0.1", port=port)
    controller.start()
    await queue(new_uow, command("k1"))
    clock = Clock()
    smtp = SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=controller.port, security="none"))
    d = dispatcher(new_uow, Providers(email=smtp), clock, retry_base_seconds=30.0)
    try:
        assert await d.run_once() == 1
        for _ in range(3):  # however long one waits, it is not tried again
            clock.now += dt.timedelta(hours=2)
            assert await d.run_once() == 0
        assert await d.reconcile() == 0
    finally:
        smtp.close()
        controller.stop()

    assert len(accepted) == 1
    assert await states(new_uow) == {"k1": "unknown"}
    assert d.paused() == {}  # one message's fate, not the channel's
    # The collector's agenda gets the action back, and the outbox says what happened.
    [failure] = await failures(new_uow)
    assert failure.state == "unknown"
    assert await events(new_uow, msg.MessageSent) == []
    async with new_uow() as uow:
        listing = await handlers.list_outbox(msg.ListOutbox(customer_id="FR01/C1"), uow)
    [entry] = listing.entries
    assert entry.state == "unknown"
    assert "421" in entry.last_error and "may have accepted it" in entry.last_error


class TwilioApi:
    """A local HTTP server answering Twilio's Messages endpoint: 401 (error 20003) until the token is right."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.sent: list[dict[str, list[str]]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{api.token}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    status, body = 401, {"code": 20003, "message": "Authenticate", "status": 401}
                else:
                    api.sent.append(form)
                    status, body = 201, {"sid": f"SM{len(api.sent):032d}", "status": "queued"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


TWILIO_SID = "AC" + "0123456789abcdef" * 2


async def test_refused_twilio_credentials_pause_the_sms_channel_and_keep_its_messages_queued(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    api = TwilioApi(token="the-right-token")
    await queue(
        new_uow,
        command("s1", recipient="+33612345678", channel="sms"),
        command("s2", recipient="+33612345679", channel="sms"),
        command("e1"),
    )
    clock = Clock()
    twilio = TwilioChannels(
        TwilioSettings(
            account_sid=TWILIO_SID, auth_token="a-wrong-token", sms_from="+33700000001", api_base_url=api.url
        )
    )
    providers = Providers(email=LocalEmailSender(LocalOutbox(tmp_path / "outbox")), text=twilio)
    d = dispatcher(new_uow, providers, clock, retry_base_seconds=30.0, max_attempts=2)
    try:
        assert await d.run_once() == 3
        # The text messages wait, uncounted and not failed; the e-mail on another channel went out.
        assert await states(new_uow) == {"s1": "queued", "s2": "queued", "e1": "sent"}
        assert await events(new_uow, msg.MessageFailed) == []
        assert list(d.paused()) == ["sms"]
        with pytest.raises(ChannelPaused, match=r"sms paused .*20003"):
            await d.health()
        async with new_uow() as uow:
            s1 = await uow.messages.get("s1")
        assert s1 is not None and s1.attempts == 0 and "20003" in s1.last_error
        assert await d.run_once() == 0  # paused: nothing is claimed

        for _ in range(3):  # more tries than max_attempts: still nothing fails
            clock.now += dt.timedelta(hours=2)
            assert await d.run_once() == 2
        assert await states(new_uow) == {"s1": "queued", "s2": "queued", "e1": "sent"}

        # The operator fixes the token (a restart with the right setting).
        providers.text = TwilioChannels(
            TwilioSettings(
                account_sid=TWILIO_SID, auth_token="the-right-token", sms_from="+33700000001", api_base_url=api.url
            )
        )
        clock.now += dt.timedelta(hours=2)
        assert await d.run_once() == 2
    finally:
        api.stop()
    assert await states(new_uow) == {"s1": "sent", "s2": "sent", "e1": "sent"}
    assert sorted(f["To"][0] for f in api.sent) == ["+33612345678", "+33612345679"]
    assert d.paused() == {}
    assert await d.health() == "ok"


async def test_under_a_rate_limit_e_mails_go_in_groups_of_a_tenth_of_a_second_at_most(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await queue(new_uow, *(command(f"k{n}") for n in range(12)))
    provider = Batching()
    d = dispatcher(new_uow, Providers(email=provider), Clock(), rate_per_second={"email": 50.0})

    assert await d.run_once() == 12

    assert sum(provider.groups) == 12
    assert max(provider.groups) <= 5


async def test_a_message_queued_too_long_fails_visibly_instead_of_going_out_late(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    # Asked for at NOW (DEPS' clock); a channel paused since, say: nothing sends it.
    await queue(new_uow, command("k-old"))
    clock = Clock()
    d = dispatcher(new_uow, Providers(email=Flaky(final=True)), clock, max_queued_seconds=72 * 3600.0)

    clock.now = NOW + dt.timedelta(hours=71)
    assert await d.expire_queued() == 0
    assert await states(new_uow) == {"k-old": "queued"}

    clock.now = NOW + dt.timedelta(hours=73)
    assert await d.expire_queued() == 1
    assert await states(new_uow) == {"k-old": "failed"}
    [failure] = await failures(new_uow)
    assert (failure.message_key, failure.state) == ("k-old", "failed")
    assert "not sent within 72 h" in failure.reason
    # Once: a second pass finds nothing more to fail.
    assert await d.expire_queued() == 0
    assert len(await failures(new_uow)) == 1
