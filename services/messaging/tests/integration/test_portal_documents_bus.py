"""The debtor portal's documents over a real NATS server and the real store (SQLite, and PostgreSQL when
reachable): the letters the service printed for a customer are listed newest first and download as the very
PDF that was stored, on disk or in S3; another customer's letter, and a letter that never went out, are not
found."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3
import nats
import pytest
from moto.server import ThreadedMotoServer
from opendso.common.v1.common_pb2 import Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.portal.v1 import portal_pb2 as pt
from opendso_bus import RemoteError
from opendso_bus.client import request
from opendso_bus.service import prepare_database
from opendso_contracts.convert import date_to_proto
from opendso_gateway.bus import Bus
from opendso_messaging import handlers
from opendso_messaging.app import MIGRATIONS, create_app
from opendso_messaging.providers.letters import DiskLetterStore, S3LetterStore
from opendso_messaging.settings import Settings

from conftest import MakeDatabase

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.integration
REGION: Literal["eu-west-1"] = "eu-west-1"
RETURN_ADDRESS = ["Acme SAS", "1 rue de la Paix", "75002 Paris"]


def deps() -> handlers.Deps:
    # The dispatcher built by create_app sends what is due by the wall clock.
    return handlers.Deps(
        sender="Acme <credit@acme.example>",
        company_name="Acme SAS",
        collector_name="Claire",
        collector_email="claire@acme.example",
        portal_base_url="https://portal.acme.example",
    )


def letter(key: str, account: str, *, subject_hint: str = "", address: bool = True) -> msg.SendMessage:
    today = dt.datetime.now(dt.UTC).date()
    command = msg.SendMessage(
        message_key=key,
        customer_id=f"FR01/{account}",
        entity="FR01",
        account_number=account,
        customer_name=f"Dupont {account}{subject_hint}",
        contact_name="Marie Dupont",
        language="fr",
        channel="letter",
        template_code="formal_notice_letter",
        items=[
            msg.MessageItem(
                item_id="FR01/invoice/F1",
                number="F1",
                issue_date=date_to_proto(today - dt.timedelta(days=60)),
                due_date=date_to_proto(today - dt.timedelta(days=30)),
                open_amount=Money(amount="1250.00", currency="EUR"),
                days_overdue=30,
            )
        ],
        today=date_to_proto(today),
        task_id=f"task-{key}",
        registered=True,
    )
    if address:
        command.postal_address.CopyFrom(
            msg.PostalAddress(name=f"Dupont {account}", lines=["12 avenue Foch", "69006 Lyon"], country="FR")
        )
    return command


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def settings_for(store: str, nats_url: str, database_url: str, tmp_path: Path, moto_url: str) -> Settings:
    common: dict[str, Any] = {
        "nats_url": nats_url,
        "database_url": database_url,
        "trace_exporter": "none",
        "outbox_poll_seconds": 0.1,
        "outbox_dir": tmp_path / "outbox",
        "portal_dev_secret_file": tmp_path / "portal-secret",
        "letter_sender_lines": RETURN_ADDRESS,
        "letter_sender_country": "FR",
    }
    if store == "disk":
        return Settings(**common, letter_provider="disk", letter_folder=tmp_path / "print-shop")
    return Settings(
        **common,
        letter_provider="s3",
        letter_s3_bucket=f"letters-{uuid.uuid4().hex[:8]}",
        letter_s3_region=REGION,
        letter_s3_endpoint_url=moto_url,
    )


@pytest.mark.parametrize("store", ["disk", "s3"])
async def test_the_portal_lists_and_downloads_the_customers_own_letters_only(
    store: str,
    nats_url: str,
    make_database: MakeDatabase,
    tmp_path: Path,
    moto_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # moto accepts any credentials; boto3 only needs some.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = settings_for(store, nats_url, await make_database("msg_documents"), tmp_path, moto_url)
    if store == "s3":
        s3: S3Client = boto3.client("s3", region_name=REGION, endpoint_url=moto_url)
        s3.create_bucket(Bucket=settings.letter_s3_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    await prepare_database(settings, MIGRATIONS)
    runtime, dispatcher = create_app(settings)
    await runtime.start()
    nc = await nats.connect(nats_url)
    run = uuid.uuid4().hex[:8]
    try:
        # Two letters to C42, sent one after the other, one to C43, and one to C42 that fails (no address).
        for command in (
            letter(f"{run}-old", "C42"),
            letter(f"{run}-theirs", "C43"),
            letter(f"{run}-no-address", "C42", address=False),
        ):
            async with runtime.uow() as uow:
                await handlers.send_message(command, uow, deps())
                await uow.commit()
        assert await dispatcher.run_once() == 2
        async with runtime.uow() as uow:
            await handlers.send_message(letter(f"{run}-new", "C42"), uow, deps())
            await uow.commit()
        assert await dispatcher.run_once() == 1
        ids = {key: handlers.message_id_for(f"{run}-{key}") for key in ("old", "new", "theirs", "no-address")}

        listing = await request(nc, pt.ListCustomerDocuments(customer_id="FR01/C42"), pt.CustomerDocuments)
        assert [d.document_id for d in listing.documents] == [ids["new"], ids["old"]]
        first = listing.documents[0]
        assert (first.customer_id, first.kind, first.media_type) == ("FR01/C42", "letter", "application/pdf")
        assert first.file_name.startswith("letter-") and first.file_name.endswith(".pdf")
        assert first.title.endswith("(registered)")
        assert first.created_at.seconds > 0

        # The gateway's own bus client, as the portal's download route asks.
        bus = Bus(nats_url, 5.0)
        await bus.connect()
        try:
            got = await bus.ask(
                pt.GetCustomerDocument(customer_id="FR01/C42", document_id=ids["new"]), pt.CustomerDocument
            )
        finally:
            await bus.close()
        assert got.found
        assert got.content.startswith(b"%PDF-")
        assert got.info.size_bytes == len(got.content)
        if store == "disk":
            stored = DiskLetterStore(settings.letter_folder).paths_for(ids["new"])[0].read_bytes()
        else:
            key = S3LetterStore(s3, settings.letter_s3_bucket, prefix=settings.letter_s3_prefix).keys_for(ids["new"])[0]
            stored = s3.get_object(Bucket=settings.letter_s3_bucket, Key=key)["Body"].read()
        assert got.content == stored

        for customer, document in (
            ("FR01/C42", ids["theirs"]),  # another customer's letter
            ("FR01/C43", ids["old"]),  # and the other way round
            ("FR01/C42", ids["no-address"]),  # never went out
            ("FR01/C42", "no-such-letter"),
            ("", ids["old"]),
        ):
            answer = await request(
                nc, pt.GetCustomerDocument(customer_id=customer, document_id=document), pt.CustomerDocument
            )
            assert answer == pt.CustomerDocument(found=False), (customer, document)
        theirs = await request(nc, pt.ListCustomerDocuments(customer_id="FR01/C43"), pt.CustomerDocuments)
        assert [d.document_id for d in theirs.documents] == [ids["theirs"]]

        with pytest.raises(RemoteError) as invalid:
            await request(nc, pt.ListCustomerDocuments(customer_id="FR01/C42", limit=10_000), pt.CustomerDocuments)
        assert invalid.value.code == "invalid"
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()


async def test_a_letter_the_print_shop_took_out_of_its_folder_is_not_found(tmp_path: Path) -> None:
    store = DiskLetterStore(tmp_path)
    assert await store.read("L-1") is None
    pdf_path, manifest_path = store.paths_for("L-1")
    pdf_path.write_bytes(b"%PDF-1.7 half")
    # A PDF without its manifest was interrupted before it went out.
    assert await store.read("L-1") is None
    manifest_path.write_text("{}")
    assert await store.read("L-1") == b"%PDF-1.7 half"
    pdf_path.unlink()
    assert await store.read("L-1") is None


async def test_the_portals_payment_qr_code_is_answered_over_the_bus_for_the_customer_asked(
    nats_url: str, make_database: MakeDatabase, tmp_path: Path, moto_url: str
) -> None:
    settings = settings_for("disk", nats_url, await make_database("msg_portal_qr"), tmp_path, moto_url)
    settings = settings.model_copy(
        update={"bank_accounts": {"FR01": {"name": "Acme SAS", "iban": "FR7630006000011234567890189"}}}
    )
    await prepare_database(settings, MIGRATIONS)
    runtime, _ = create_app(settings)
    await runtime.start()
    nc = await nats.connect(nats_url)
    try:
        amount = Money(amount="150.10", currency="EUR")
        code = await request(nc, msg.GetPaymentQr(customer_id="FR01/C42", amount=amount), msg.PaymentQrCode)
        assert code.found and code.kind == "epc" and code.png.startswith(b"\x89PNG")
        assert code.payload.split("\n")[6:8] == ["FR7630006000011234567890189", "EUR150.1"]
        assert code.reference == code.payload.split("\n")[9] and code.reference.startswith("RF")
        other = await request(nc, msg.GetPaymentQr(customer_id="FR01/C43", amount=amount), msg.PaymentQrCode)
        assert other.reference != code.reference
        none = await request(nc, msg.GetPaymentQr(customer_id="DE01/C42", amount=amount), msg.PaymentQrCode)
        assert not none.found
        with pytest.raises(RemoteError) as invalid:
            await request(nc, msg.GetPaymentQr(customer_id="C42", amount=amount), msg.PaymentQrCode)
        assert invalid.value.code == "invalid"
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()
