"""E-mails whose template attaches the account statement: the option saved with the template, the statement
rendered to PDF by the letter renderer and carried by the real SMTP and SES clients and the local outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import socket
import urllib.request
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import boto3
import pytest
from aiosmtpd.controller import Controller
from moto.server import ThreadedMotoServer
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_messaging import handlers, template_handlers
from opendso_messaging.app import MIGRATIONS
from opendso_messaging.dispatch import Dispatcher, DispatchSettings, Providers
from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers import EmailSender
from opendso_messaging.providers.email_ses import SesEmailSender, SesSettings
from opendso_messaging.providers.email_smtp import SmtpEmailSender, SmtpSettings
from opendso_messaging.providers.local import LocalEmailSender
from opendso_messaging.store import OUTBOX, UnitOfWork

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


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[NewUow]:
    url = await make_database("msg_attach")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "messaging")
    await engine.dispose()


def item(number: str, due: dt.date, amount: str, currency: str = "EUR") -> msg.MessageItem:
    return msg.MessageItem(
        item_id=f"FR01/invoice/{number}",
        number=number,
        issue_date=date_to_proto(due - dt.timedelta(days=30)),
        due_date=date_to_proto(due),
        open_amount=Money(amount=amount, currency=currency),
        days_overdue=(NOW.date() - due).days,
    )


def command(template_code: str, key: str = "", channel: str = "email") -> msg.SendMessage:
    key = key or f"k-{uuid.uuid4().hex[:10]}"
    return msg.SendMessage(
        message_key=key,
        customer_id="FR01/C1",
        entity="FR01",
        account_number="C1",
        customer_name="Dupont SARL",
        contact_name="Marie",
        recipient="ap@dupont.example",
        language="en",
        channel=channel,
        template_code=template_code,
        items=[
            item("F-1001", dt.date(2026, 10, 31), "1234.50"),
            item("F-1002", dt.date(2026, 9, 30), "100.25"),
            item("F-1003", dt.date(2026, 11, 10), "2000.00", "CZK"),
        ],
        today=date_to_proto(NOW.date()),
        task_id=f"task-{key}",
    )


def template(
    code: str, *, channel: str = "email", attach_statement: bool | None = None, attach_invoices: bool | None = None
) -> msg.MessageTemplate:
    proto = msg.MessageTemplate(
        code=code,
        channel=channel,
        language="en",
        subject="Statement for #CustomerName",
        body="Dear #ContactName,\n\nyour statement is attached.\n#ItemsTable\n",
    )
    # Unset unless given: a save that does not mention an option keeps the stored one.
    if attach_statement is not None:
        proto.attach_statement = attach_statement
    if attach_invoices is not None:
        proto.attach_invoices = attach_invoices
    return proto


async def save(new_uow: NewUow, proto: msg.MessageTemplate, version: int = 0) -> msg.TemplateSaved:
    async with new_uow() as uow:
        command = msg.SaveTemplate(template=proto, expected_version=version)
        saved = await template_handlers.save_template(command, uow, NOW)
        await uow.commit()
    return saved


async def queue_and_send(new_uow: NewUow, email: EmailSender, *commands: msg.SendMessage) -> Dispatcher:
    for c in commands:
        async with new_uow() as uow:
            await handlers.send_message(c, uow, DEPS)
            await uow.commit()
    # The core font: its text is latin-1 in the PDF, which the small reader below can read back.
    dispatcher = Dispatcher(
        new_uow, Providers(email=email), DispatchSettings(sender=SENDER, statement_font=None), "a", now=lambda: NOW
    )
    assert await dispatcher.run_once() == len(commands)
    return dispatcher


# fpdf2 compresses its content streams; with a core font the shown strings are latin-1 literals.
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_TJ = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)


def pdf_text(pdf: bytes) -> str:
    shown = []
    for raw in _STREAM.findall(pdf):
        try:
            stream = zlib.decompress(raw)
        except zlib.error:
            stream = raw
        shown += [re.sub(rb"\\(.)", rb"\1", s).decode("latin-1") for s in _TJ.findall(stream)]
    return "\n".join(shown)


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def statement_of(message: EmailMessage) -> tuple[str, bytes]:
    assert message.get_content_type() == "multipart/mixed"
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    content = part.get_content()
    assert isinstance(content, bytes)
    return part.get_filename() or "", content


def assert_statement(name: str, pdf: bytes) -> None:
    assert name == "statement-C1-2026-11-25.pdf"
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for expected in [
        "Statement of account C1",
        "Dupont SARL",
        "Account C1",
        "F-1001",
        "F-1002",
        "F-1003",
        # One total per currency, never added across currencies.
        "Total EUR",
        "EUR1,334.75",
        "Total CZK",
        "CZK2,000.00",
    ]:
        assert expected in text.replace("\xa0", ""), (expected, text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    def __init__(self) -> None:
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield recorder, controller.port
    controller.stop()


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw.replace(b"\r\n", b"\n"))
    assert isinstance(message, EmailMessage)
    return message


async def test_the_attach_statement_option_is_saved_kept_by_a_save_without_it_and_refused_off_email(
    new_uow: NewUow,
) -> None:
    saved = await save(new_uow, template("statement_mail", attach_statement=True))
    assert not saved.problems
    assert saved.template.attach_statement and not saved.template.attach_invoices

    # A client that does not send the option (an older editor) does not switch it off by saving the text.
    edited = await save(new_uow, template("statement_mail"), version=saved.template.version)
    assert edited.template.attach_statement
    async with new_uow() as uow:
        listed = await template_handlers.list_templates(msg.ListTemplates(code="statement_mail"), uow)
    assert [t.attach_statement for t in listed.templates] == [True]
    off = await save(new_uow, template("statement_mail", attach_statement=False), version=edited.template.version)
    assert not off.template.attach_statement

    refused = await save(new_uow, template("statement_sms", channel="sms", attach_statement=True))
    assert [(p.field, p.reason) for p in refused.problems] == [
        ("attach_statement", "only an e-mail template can attach files, not a 'sms' one")
    ]


async def test_the_smtp_server_receives_the_statement_pdf_listing_the_items_with_totals_per_currency(
    new_uow: NewUow, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    await save(new_uow, template("statement_mail", attach_statement=True))
    sender = SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5))
    try:
        await queue_and_send(new_uow, sender, command("statement_mail", key="with-statement"))
    finally:
        sender.close()

    [raw] = recorder.accepted
    message = parse(raw)
    assert "F-1001" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert_statement(*statement_of(message))
    async with new_uow() as uow:
        listing = await handlers.list_outbox(msg.ListOutbox(customer_id="FR01/C1"), uow)
    [entry] = listing.entries
    assert entry.state == "sent"
    assert list(entry.attachments) == ["statement-C1-2026-11-25.pdf"]
    assert entry.attachment_note == "attached: statement-C1-2026-11-25.pdf"


async def test_a_template_without_the_option_sends_no_attachment(new_uow: NewUow, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    await save(new_uow, template("plain_mail"))
    sender = SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5))
    try:
        await queue_and_send(new_uow, sender, command("plain_mail"))
    finally:
        sender.close()

    [raw] = recorder.accepted
    assert list(parse(raw).iter_attachments()) == []


async def test_the_local_outbox_keeps_the_statement_with_the_e_mail(new_uow: NewUow, tmp_path: Path) -> None:
    await save(new_uow, template("statement_mail", attach_statement=True))
    outbox = LocalOutbox(tmp_path / "outbox")

    await queue_and_send(new_uow, LocalEmailSender(outbox), command("statement_mail"))

    [file] = list((tmp_path / "outbox").glob("*.eml"))
    assert_statement(*statement_of(parse(file.read_bytes())))


def moto_data(moto_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{moto_url}/moto-api/data.json", timeout=10) as response:
        data = json.load(response)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


async def test_ses_receives_the_statement_pdf(new_uow: NewUow, moto_url: str) -> None:
    address = f"ar-{uuid.uuid4().hex[:8]}@acme.example"
    boto3.client(
        "sesv2",
        region_name="eu-west-1",
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_email_identity(EmailIdentity=address)
    ses = SesEmailSender(
        SesSettings(
            region="eu-west-1",
            endpoint_url=moto_url,
            access_key_id="testing",
            secret_access_key="testing",
            max_attempts=1,
        )
    )
    await save(new_uow, template("statement_mail", attach_statement=True))
    for c in [command("statement_mail", key="ses-statement")]:
        async with new_uow() as uow:
            await handlers.send_message(c, uow, DEPS)
            await uow.commit()
    dispatcher = Dispatcher(
        new_uow,
        Providers(email=ses),
        DispatchSettings(sender=f"Acme <{address}>", statement_font=None),
        "a",
        now=lambda: NOW,
    )
    assert await dispatcher.run_once() == 1

    data = await asyncio.to_thread(moto_data, moto_url)
    [sent] = [m for m in data["ses"]["RawMessage"] if address in m["source"]]
    assert_statement(*statement_of(parse(sent["raw_data"].encode())))
