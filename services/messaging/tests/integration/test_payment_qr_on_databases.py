"""Payment QR codes on queued e-mails, over the real store on SQLite and PostgreSQL: the code asks for the
open amount into the entity's account, quoting the reference the matching service keys on."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_messaging import handlers
from opendso_messaging.app import MIGRATIONS, reconciler
from opendso_messaging.dispatch import Dispatcher, DispatchSettings
from opendso_messaging.domain.message_payment_qr import CreditorAccount
from opendso_messaging.domain.payment_qr import make_creditor_reference
from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers.local import LocalEmailSender
from opendso_messaging.providers.twilio_channels import LocalTextOutbox
from opendso_messaging.store import OUTBOX, MessageRecord, UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
ACCOUNT = CreditorAccount.checked(
    "FR01", {"name": "Acme SAS", "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP", "country": "FR"}
)
DEPS = handlers.Deps(
    sender="Acme <credit@acme.example>",
    company_name="Acme",
    collector_name="Claire",
    collector_email="claire@acme.example",
    portal_base_url="https://portal.acme.example",
    now=lambda: NOW,
    bank_accounts={"FR01": ACCOUNT},
)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("messaging")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "messaging")
    await engine.dispose()


def item(number: str, amount: str, currency: str = "EUR") -> msg.MessageItem:
    return msg.MessageItem(
        item_id=f"FR01/invoice/{number}",
        number=number,
        issue_date=date_to_proto(dt.date(2026, 10, 1)),
        due_date=date_to_proto(dt.date(2026, 10, 31)),
        open_amount=Money(amount=amount, currency=currency),
        days_overdue=25,
    )


def command(key: str, entity: str = "FR01", items: tuple[msg.MessageItem, ...] = ()) -> msg.SendMessage:
    return msg.SendMessage(
        message_key=key,
        customer_id=f"{entity}/C1001",
        entity=entity,
        account_number="C1001",
        customer_name="Dupont SARL",
        contact_name="Marie",
        recipient="ap@dupont.example",
        language="fr",
        channel="email",
        template_code="first_reminder",
        items=list(items or (item("F1", "120.00"), item("F2", "30.50"))),
        today=date_to_proto(NOW.date()),
        task_id=f"task-{key}",
    )


async def queued(new_uow: Callable[[], UnitOfWork], c: msg.SendMessage) -> MessageRecord:
    async with new_uow() as uow:
        await handlers.send_message(c, uow, DEPS)
        await uow.commit()
    async with new_uow() as uow:
        record = await uow.messages.get(c.message_key)
    assert record is not None
    return record


async def test_an_email_for_an_entity_with_a_sepa_account_carries_the_epc_code_inline(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    record = await queued(new_uow, command("k1"))

    assert record.state == "queued"
    assert record.payment_qr_kind == "epc"
    lines = record.payment_qr_payload.split("\n")
    reference = make_creditor_reference("C1001")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4:8] == ["AGRIFRPP", "Acme SAS", "FR7630006000011234567890189", "EUR150.5"]  # 120.00 + 30.50
    assert lines[9] == reference

    outbox = LocalOutbox(tmp_path / "outbox")
    d = Dispatcher(
        new_uow,
        reconciler(LocalEmailSender(outbox), LocalTextOutbox(tmp_path / "text")),
        DispatchSettings(sender=DEPS.sender),
        instance="a",
        now=lambda: NOW,
    )
    assert await d.run_once() == 1
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    mail = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert 'src="cid:payment-qr"' in html
    assert "Scannez pour payer par virement" in html
    assert html.lower().index("cid:payment-qr") < html.lower().rindex("</body>")
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    assert images[0]["Content-ID"] == "<payment-qr>"
    assert images[0].get_payload(decode=True).startswith(b"\x89PNG")
    text_part = mail.get_body(preferencelist=("plain",))
    assert text_part is not None
    assert reference in text_part.get_content()


async def test_an_entity_without_an_account_or_with_several_currencies_gets_no_code(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    no_account = await queued(new_uow, command("k1", entity="DE01"))
    mixed = await queued(new_uow, command("k2", items=(item("F1", "120.00"), item("F2", "10.00", "USD"))))
    for record in (no_account, mixed):
        assert record.state == "queued"
        assert (record.payment_qr_kind, record.payment_qr_payload) == ("", "")

    outbox = LocalOutbox(tmp_path / "outbox")
    d = Dispatcher(
        new_uow,
        reconciler(LocalEmailSender(outbox), LocalTextOutbox(tmp_path / "text")),
        DispatchSettings(sender=DEPS.sender),
        instance="a",
        now=lambda: NOW,
    )
    assert await d.run_once() == 2
    for path in (tmp_path / "outbox").glob("*.eml"):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert "cid:payment-qr" not in mail.as_string()
        assert not [p for p in mail.walk() if p.get_content_type() == "image/png"]
    async with new_uow() as uow:
        assert {r.state for r in await uow.messages.latest(10)} == {"sent"}
