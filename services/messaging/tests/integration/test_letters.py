"""Letters end to end over the real store (SQLite, and PostgreSQL when reachable): a SendMessage on the letter
channel is rendered and queued, the dispatcher prints it to PDF and stores it with its manifest on disk or in
S3 (moto's server mode, real boto3 over HTTP), once; a letter without a postal address fails visibly."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import boto3
import pytest
from moto.server import ThreadedMotoServer
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_messaging import handlers
from opendso_messaging.app import MIGRATIONS, reconciler
from opendso_messaging.dispatch import Dispatcher, DispatchSettings, Providers
from opendso_messaging.letter_sending import letter_from
from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers import PostalAddress
from opendso_messaging.providers.letters import DiskLetterStore, PrintAndPost, S3LetterStore
from opendso_messaging.providers.local import LocalEmailSender, local_letter_sender
from opendso_messaging.providers.twilio_channels import LocalTextOutbox
from opendso_messaging.store import OUTBOX, UnitOfWork
from sqlalchemy import select

from conftest import MakeDatabase

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
REGION: Literal["eu-west-1"] = "eu-west-1"
DEPS = handlers.Deps(
    sender="Acme <credit@acme.example>",
    company_name="Acme SAS",
    collector_name="Claire",
    collector_email="claire@acme.example",
    portal_base_url="https://portal.acme.example",
    now=lambda: NOW,
)
RETURN_ADDRESS = ("Acme SAS", "1 rue de la Paix", "75002 Paris")


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("messaging_letters")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "messaging")
    await engine.dispose()


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def letter_command(key: str, *, address: bool = True, registered: bool = True, country: str = "FR") -> msg.SendMessage:
    command = msg.SendMessage(
        message_key=key,
        customer_id="FR01/C42",
        entity="FR01",
        account_number="C42",
        customer_name="Dupont SARL",
        contact_name="Marie Dupont",
        recipient="ap@dupont.example",
        language="fr",
        channel="letter",
        template_code="formal_notice_letter",
        items=[
            msg.MessageItem(
                item_id=f"FR01/invoice/{number}",
                number=number,
                issue_date=date_to_proto(due - dt.timedelta(days=30)),
                due_date=date_to_proto(due),
                open_amount=Money(amount=amount, currency="EUR"),
                days_overdue=(NOW.date() - due).days,
            )
            for number, due, amount in (
                ("FAC-2026-118", dt.date(2026, 10, 31), "1250.00"),
                ("FAC-2026-097", dt.date(2026, 10, 1), "480.5"),
            )
        ],
        today=date_to_proto(NOW.date()),
        task_id=f"task-{key}",
        registered=registered,
    )
    if address:
        command.postal_address.CopyFrom(
            msg.PostalAddress(name="Dupont SARL", lines=["12 avenue Foch", "69006 Lyon"], country=country)
        )
    return command


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


async def events(new_uow: Callable[[], UnitOfWork]) -> list[str]:
    async with new_uow() as uow:
        return list((await uow.session.execute(select(OUTBOX.c.subject))).scalars())


def dispatcher(new_uow: Callable[[], UnitOfWork], providers: Providers, now: dt.datetime = NOW) -> Dispatcher:
    return Dispatcher(
        new_uow,
        providers,
        DispatchSettings(sender=DEPS.sender, letter_sender=RETURN_ADDRESS, letter_sender_country="FR"),
        instance="letters",
        now=lambda: now,
    )


def local_providers(tmp_path: Path) -> Providers:
    # font=None: fpdf2's core font, whose text stays readable in the PDF's content streams.
    return reconciler(
        LocalEmailSender(LocalOutbox(tmp_path / "outbox")),
        LocalTextOutbox(tmp_path / "text"),
        local_letter_sender(tmp_path / "letters", font=None),
    )


def pdf_text(pdf: bytes) -> bytes:
    """The PDF's content streams, inflated: with a core font the printed strings are latin-1 in them."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return b"\n".join(out)


async def test_a_queued_letter_is_printed_to_pdf_with_its_manifest_once(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    await queue(new_uow, letter_command("L1"), letter_command("L1"))  # the second is a redelivery
    assert await states(new_uow) == {"L1": "queued"}
    d = dispatcher(new_uow, local_providers(tmp_path))

    assert await d.run_once() == 1
    assert await d.run_once() == 0

    assert await states(new_uow) == {"L1": "sent"}
    assert (await events(new_uow)).count(subject_for(msg.MessageSent)) == 1
    [manifest_path] = list((tmp_path / "letters").glob("*.json"))
    [pdf_path] = list((tmp_path / "letters").glob("*.pdf"))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["registered"] is True
    assert manifest["message_key"] == "L1"
    assert manifest["letter_id"] == handlers.message_id_for("L1")
    # A domestic letter (same country as the return address) has no country line.
    assert manifest["recipient"] == {"name": "Dupont SARL", "lines": ["12 avenue Foch", "69006 Lyon"]}
    assert manifest["sender"]["lines"] == ["1 rue de la Paix", "75002 Paris"]
    assert manifest["subject"] == "Mise en demeure de payer, compte C42"
    assert manifest["pdf"] == pdf_path.name
    text = pdf_text(pdf_path.read_bytes())
    # The items as a table, oldest due date first, amounts formatted for French (transliterated € → EUR).
    assert text.index(b"FAC-2026-097") < text.index(b"FAC-2026-118")
    assert b"(480,50 EUR) Tj" in text and b"(1 250,00 EUR) Tj" in text
    assert b"Montant d" in text and b"ch\xe9ance" in text  # the table's French headings
    async with new_uow() as uow:
        record = await uow.messages.get("L1")
    assert record is not None
    assert record.recipient == "Dupont SARL, 12 avenue Foch, 69006 Lyon"
    assert record.provider == "local" and record.provider_ref == pdf_path.name


async def test_a_letter_abroad_prints_the_country_and_an_ordinary_letter_is_not_registered(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    await queue(new_uow, letter_command("L2", registered=False, country="BE"))
    d = dispatcher(new_uow, local_providers(tmp_path))

    assert await d.run_once() == 1

    [manifest_path] = list((tmp_path / "letters").glob("*.json"))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["registered"] is False
    assert manifest["recipient"]["lines"] == ["12 avenue Foch", "69006 Lyon", "BELGIQUE"]


async def test_a_letter_without_a_postal_address_fails_visibly_naming_it(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    await queue(new_uow, letter_command("L3", address=False))

    assert await states(new_uow) == {"L3": "failed"}
    assert (await events(new_uow)).count(subject_for(msg.MessageFailed)) == 1
    async with new_uow() as uow:
        record = await uow.messages.get("L3")
    assert record is not None
    assert "no postal address" in record.last_error and "FR01/C42" in record.last_error
    assert await dispatcher(new_uow, local_providers(tmp_path)).run_once() == 0
    assert not (tmp_path / "letters").exists()


async def test_without_a_letter_provider_a_letter_fails_for_good(new_uow: Callable[[], UnitOfWork]) -> None:
    await queue(new_uow, letter_command("L4"))
    d = dispatcher(new_uow, Providers(email=LocalEmailSender(LocalOutbox(Path("unused")))))

    assert await d.run_once() == 1

    assert await states(new_uow) == {"L4": "failed"}
    async with new_uow() as uow:
        record = await uow.messages.get("L4")
    assert record is not None and "no letter provider is configured" in record.last_error


async def test_an_interrupted_letter_already_stored_counts_as_sent_and_one_not_stored_goes_once(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    await queue(new_uow, letter_command("L5"), letter_command("L6"))
    providers = local_providers(tmp_path)
    async with new_uow() as uow:  # an instance claimed both, stored L5, then died
        claimed = sorted(await uow.messages.claim("dead:1", NOW, 10), key=lambda r: r.message_key)
        await uow.commit()
    assert providers.letters is not None
    sender = PostalAddress(RETURN_ADDRESS[0], RETURN_ADDRESS[1:])
    stored = await providers.letters.send(letter_from(claimed[0], sender))  # L5 reached the folder
    assert stored.provider == "local"
    later = dispatcher(new_uow, providers, now=NOW + dt.timedelta(hours=1))

    assert await later.reconcile() == 2
    assert await states(new_uow) == {"L5": "sent", "L6": "queued"}
    assert await later.run_once() == 1

    assert await states(new_uow) == {"L5": "sent", "L6": "sent"}
    assert len(list((tmp_path / "letters").glob("*.json"))) == 2
    assert (await events(new_uow)).count(subject_for(msg.MessageSent)) == 2


async def test_a_letter_on_a_print_and_post_disk_store_the_provider_may_have_collected_is_not_sent_again(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    await queue(new_uow, letter_command("L7"))
    async with new_uow() as uow:
        await uow.messages.claim("dead:1", NOW, 10)
        await uow.commit()
    providers = reconciler(
        LocalEmailSender(LocalOutbox(tmp_path / "outbox")),
        LocalTextOutbox(tmp_path / "text"),
        PrintAndPost(DiskLetterStore(tmp_path / "print"), font=None),
    )

    assert await dispatcher(new_uow, providers, now=NOW + dt.timedelta(hours=1)).reconcile() == 1

    # Not in the folder: never stored, or collected already; a person checks rather than risk a second letter.
    assert await states(new_uow) == {"L7": "unknown"}
    assert not (tmp_path / "print").exists()


def s3_client(moto_url: str) -> S3Client:
    return boto3.client(
        "s3", region_name=REGION, endpoint_url=moto_url, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


async def test_a_queued_letter_is_stored_in_s3_with_its_registered_flag(
    new_uow: Callable[[], UnitOfWork], tmp_path: Path, moto_url: str
) -> None:
    client = s3_client(moto_url)
    bucket = f"letters-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    store = S3LetterStore(client, bucket, prefix="outgoing")
    providers = reconciler(
        LocalEmailSender(LocalOutbox(tmp_path / "outbox")),
        LocalTextOutbox(tmp_path / "text"),
        PrintAndPost(store, font=None),
    )
    await queue(new_uow, letter_command("L8"))

    assert await dispatcher(new_uow, providers).run_once() == 1

    assert await states(new_uow) == {"L8": "sent"}
    pdf_key, manifest_key = store.keys_for(handlers.message_id_for("L8"))
    head = client.head_object(Bucket=bucket, Key=pdf_key)
    manifest = json.loads(client.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"]["registered"] == "true"
    assert head["Metadata"]["message-key"] == "L8"
    assert manifest["registered"] is True
    assert manifest["recipient"]["lines"] == ["12 avenue Foch", "69006 Lyon"]
    assert client.get_object(Bucket=bucket, Key=pdf_key)["Body"].read().startswith(b"%PDF")
    async with new_uow() as uow:
        record = await uow.messages.get("L8")
    assert record is not None and record.provider_ref == pdf_key
    assert await store.is_stored(handlers.message_id_for("L8")) is True
    assert await store.is_stored("never-stored") is False
