"""Invoice PDFs the ERP drops: stored once per upload, attached to the reminders about their items within a
size cap, listed and downloaded in the debtor portal; never another customer's."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.portal.v1 import portal_pb2 as pt
from opendso_bus import InvalidRequest
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_messaging import documents, handlers, template_handlers
from opendso_messaging.app import MIGRATIONS
from opendso_messaging.dispatch import Dispatcher, DispatchSettings, Providers
from opendso_messaging.invoices import InvoiceLibrary, store_customer_document
from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers.letters import PrintAndPost
from opendso_messaging.providers.local import LocalEmailSender, local_letter_sender
from opendso_messaging.store import OUTBOX, UnitOfWork, document_items
from opendso_messaging.store import documents as documents_table
from sqlalchemy import func, select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
SENDER = "Acme Credit <credit@acme.example>"
DEPS = handlers.Deps(
    sender=SENDER,
    company_name="Acme",
    collector_name="Claire",
    collector_email="claire@acme.example",
    portal_base_url="https://portal.acme.example",
    now=lambda: NOW,
)
NewUow = Callable[[], UnitOfWork]


def pdf(label: str, size: int = 0) -> bytes:
    return b"%PDF-1.7\n" + label.encode() + b"\n" + b"0" * size + b"\n%%EOF\n"


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[NewUow]:
    url = await make_database("msg_invoices")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "messaging")
    await engine.dispose()


@pytest.fixture
def store(tmp_path: Path) -> PrintAndPost:
    return local_letter_sender(tmp_path / "letters", font=None)


async def upload(
    new_uow: NewUow,
    store: PrintAndPost,
    customer: str,
    items: list[str],
    content: bytes,
    key: str = "",
    name: str = "invoice.pdf",
) -> msg.CustomerDocumentStored:
    command = msg.StoreCustomerDocument(
        customer_id=customer, item_ids=items, kind="invoice", file_name=name, content=content, idempotency_key=key
    )
    return await store_customer_document(command, new_uow, store, None, NOW)


async def test_an_upload_retried_with_its_key_is_stored_once(new_uow: NewUow, store: PrintAndPost) -> None:
    first = await upload(new_uow, store, "FR01/C1", ["FR01/invoice/F-1001"], pdf("F-1001"), key="up-1")
    again = await upload(new_uow, store, "FR01/C1", ["FR01/invoice/F-1001"], pdf("F-1001"), key="up-1")

    assert first.created and not again.created
    assert again.document_id == first.document_id
    assert list(again.item_ids) == ["FR01/invoice/F-1001"]
    async with new_uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(documents_table)) == 1
        assert await uow.session.scalar(select(func.count()).select_from(document_items)) == 1
    assert await store.read_document(first.document_id) == pdf("F-1001")


async def test_a_large_upload_is_read_from_the_uploads_bucket(new_uow: NewUow, store: PrintAndPost) -> None:
    content = pdf("big", 2 * 1024 * 1024)
    asked: list[str] = []

    async def fetch(name: str) -> bytes:
        asked.append(name)
        return content

    command = msg.StoreCustomerDocument(
        customer_id="FR01/C1", item_ids=["FR01/invoice/F-9"], kind="invoice", file_name="F-9.pdf", upload_name="r/F-9"
    )
    stored = await store_customer_document(command, new_uow, store, fetch, NOW)

    assert asked == ["r/F-9"]
    assert stored.size_bytes == len(content)
    assert await store.read_document(stored.document_id) == content


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"content": b"<html>not a pdf"}, "not a PDF"),
        ({"item_ids": ["DE01/invoice/F-1"]}, "not an item of entity 'FR01'"),
        ({"item_ids": []}, "name between 1 and 100 items"),
        ({"kind": "contract"}, "kind must be one of invoice"),
        ({"customer_id": "C1"}, "customer_id must be <entity>/<account number>"),
    ],
)
async def test_an_upload_that_is_not_a_customers_invoice_pdf_is_refused(
    new_uow: NewUow, store: PrintAndPost, changes: dict[str, object], reason: str
) -> None:
    fields: dict[str, object] = {
        "customer_id": "FR01/C1",
        "item_ids": ["FR01/invoice/F-1"],
        "kind": "invoice",
        "file_name": "F-1.pdf",
        "content": pdf("F-1"),
    }
    fields.update(changes)
    with pytest.raises(InvalidRequest, match=reason):
        await store_customer_document(msg.StoreCustomerDocument(**fields), new_uow, store, None, NOW)  # type: ignore[arg-type]


def item(number: str, due: dt.date, amount: str) -> msg.MessageItem:
    return msg.MessageItem(
        item_id=f"FR01/invoice/{number}",
        number=number,
        issue_date=date_to_proto(due - dt.timedelta(days=30)),
        due_date=date_to_proto(due),
        open_amount=Money(amount=amount, currency="EUR"),
        days_overdue=(NOW.date() - due).days,
    )


def reminder(numbers: list[str]) -> msg.SendMessage:
    key = f"k-{uuid.uuid4().hex[:10]}"
    return msg.SendMessage(
        message_key=key,
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        customer_name="Dupont SARL",
        contact_name="Marie",
        recipient="ap@dupont.example",
        language="en",
        channel="email",
        template_code="invoices_mail",
        items=[item(n, dt.date(2026, 10, 1) + dt.timedelta(days=i), "10.00") for i, n in enumerate(numbers)],
        today=date_to_proto(NOW.date()),
        task_id=f"task-{key}",
    )


async def send(
    new_uow: NewUow, store: PrintAndPost, tmp_path: Path, command: msg.SendMessage, max_bytes: int = 10 * 1024 * 1024
) -> tuple[EmailMessage, msg.OutboxEntry]:
    proto = msg.MessageTemplate(
        code="invoices_mail", channel="email", language="en", subject="Invoices", body="Dear #ContactName\n"
    )
    proto.attach_invoices = True
    async with new_uow() as uow:
        if await uow.templates.get("invoices_mail", "en") is None:
            await template_handlers.save_template(msg.SaveTemplate(template=proto), uow, NOW)
        await handlers.send_message(command, uow, DEPS)
        await uow.commit()
    outbox = LocalOutbox(tmp_path / "outbox")
    providers = Providers(email=LocalEmailSender(outbox), invoices=InvoiceLibrary(new_uow, store))
    settings = DispatchSettings(sender=SENDER, statement_font=None, max_attachment_bytes=max_bytes)
    assert await Dispatcher(new_uow, providers, settings, "a", now=lambda: NOW).run_once() == 1
    [file] = [
        f for f in (tmp_path / "outbox").glob("*.eml") if handlers.message_id_for(command.message_key)[:8] in f.name
    ]
    message = BytesParser(policy=policy.default).parsebytes(file.read_bytes().replace(b"\r\n", b"\n"))
    assert isinstance(message, EmailMessage)
    async with new_uow() as uow:
        listing = await handlers.list_outbox(msg.ListOutbox(customer_id="FR01/C1"), uow)
    [entry] = [e for e in listing.entries if e.message_key == command.message_key]
    return message, entry


def attached(message: EmailMessage) -> dict[str, bytes]:
    return {p.get_filename() or "": p.get_content() for p in message.iter_attachments()}


async def test_a_reminder_carries_its_items_invoices_and_never_another_customers(
    new_uow: NewUow, store: PrintAndPost, tmp_path: Path
) -> None:
    await upload(new_uow, store, "FR01/C1", ["FR01/invoice/F-1", "FR01/invoice/F-2"], pdf("F-1+2"), name="F-1.pdf")
    # Another customer's upload naming this customer's item (an ERP mistake or a guess) is not this customer's.
    await upload(new_uow, store, "FR01/C2", ["FR01/invoice/F-3"], pdf("C2"), name="F-3.pdf")
    await upload(new_uow, store, "FR01/C1", ["FR01/invoice/F-9"], pdf("F-9"), name="F-9.pdf")

    message, entry = await send(new_uow, store, tmp_path, reminder(["F-1", "F-2", "F-3"]))

    # The invoice covering F-1 and F-2 goes once; F-9 is not in this reminder; C2's file never goes.
    assert attached(message) == {"F-1.pdf": pdf("F-1+2")}
    assert list(entry.attachments) == ["F-1.pdf"]
    assert entry.attachment_note == "attached: F-1.pdf; no invoice PDF stored for: FR01/invoice/F-3"


async def test_invoices_past_the_size_cap_are_left_out_and_named(
    new_uow: NewUow, store: PrintAndPost, tmp_path: Path
) -> None:
    await upload(new_uow, store, "FR01/C1", ["FR01/invoice/F-1"], pdf("F-1", 600), name="F-1.pdf")
    await upload(new_uow, store, "FR01/C1", ["FR01/invoice/F-2"], pdf("F-2", 600), name="F-2.pdf")

    message, entry = await send(new_uow, store, tmp_path, reminder(["F-1", "F-2"]), max_bytes=1000)

    assert list(attached(message)) == ["F-1.pdf"]
    assert entry.state == "sent"
    size = len(pdf("F-2", 600))
    assert entry.attachment_note == (
        f"attached: F-1.pdf; left out over the 1,000-byte cap: F-2.pdf (FR01/invoice/F-2, {size} bytes)"
    )


async def test_the_portal_lists_and_downloads_the_customers_own_invoices_only(
    new_uow: NewUow, store: PrintAndPost
) -> None:
    own = await upload(new_uow, store, "FR01/C1", ["FR01/invoice/F-1"], pdf("F-1"), name="F-1.pdf")
    other = await upload(new_uow, store, "FR01/C2", ["FR01/invoice/F-1"], pdf("C2"), name="C2.pdf")

    async with new_uow() as uow:
        listed = await documents.list_customer_documents(pt.ListCustomerDocuments(customer_id="FR01/C1"), uow)
    [info] = listed.documents
    assert (info.document_id, info.kind, info.file_name, list(info.item_ids)) == (
        own.document_id,
        "invoice",
        "F-1.pdf",
        ["FR01/invoice/F-1"],
    )
    assert info.size_bytes == len(pdf("F-1"))

    mine = await documents.get_customer_document(
        pt.GetCustomerDocument(customer_id="FR01/C1", document_id=own.document_id), new_uow, store, store
    )
    assert mine.found and mine.content == pdf("F-1") and mine.info.kind == "invoice"
    theirs = await documents.get_customer_document(
        pt.GetCustomerDocument(customer_id="FR01/C1", document_id=other.document_id), new_uow, store, store
    )
    assert not theirs.found and not theirs.content
