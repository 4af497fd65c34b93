"""Invoice PDFs over a real NATS server, in the service as ``create_app`` builds it, on disk and in S3 (moto):
stored once per idempotency key (inline or through the uploads bucket), attached to the customer's reminder
by the app's dispatcher, listed and downloaded in the portal; another customer never sees them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
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
from opendso_bus.uploads import put_upload
from opendso_contracts.convert import date_to_proto
from opendso_messaging import handlers, template_handlers
from opendso_messaging.app import MIGRATIONS, create_app
from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers.letters import DiskLetterStore, S3LetterStore
from opendso_messaging.settings import Settings

from conftest import MakeDatabase

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.integration
REGION: Literal["eu-west-1"] = "eu-west-1"
INVOICE = b"%PDF-1.7\nF-1 of C42\n%%EOF\n"


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
        "letter_sender_lines": ["Acme SAS", "1 rue de la Paix", "75002 Paris"],
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


def reminder(key: str, account: str) -> msg.SendMessage:
    today = dt.datetime.now(dt.UTC).date()
    return msg.SendMessage(
        message_key=key,
        customer_id=f"FR01/{account}",
        entity="FR01",
        account_number=account,
        customer_name=f"Dupont {account}",
        recipient=f"ap@{account.lower()}.example",
        language="en",
        channel="email",
        template_code="invoice_reminder",
        items=[
            msg.MessageItem(
                item_id="FR01/invoice/F-1",
                number="F-1",
                issue_date=date_to_proto(today - dt.timedelta(days=60)),
                due_date=date_to_proto(today - dt.timedelta(days=30)),
                open_amount=Money(amount="1250.00", currency="EUR"),
                days_overdue=30,
            )
        ],
        today=date_to_proto(today),
        task_id=f"task-{key}",
    )


@pytest.mark.parametrize("store", ["disk", "s3"])
async def test_an_uploaded_invoice_is_stored_once_attached_and_listed_for_its_customer_only(
    store: str,
    nats_url: str,
    make_database: MakeDatabase,
    tmp_path: Path,
    moto_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = settings_for(store, nats_url, await make_database("msg_invoice_bus"), tmp_path, moto_url)
    if store == "s3":
        s3: S3Client = boto3.client("s3", region_name=REGION, endpoint_url=moto_url)
        s3.create_bucket(Bucket=settings.letter_s3_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    await prepare_database(settings, MIGRATIONS)
    runtime, dispatcher = create_app(settings)
    await runtime.start()
    nc = await nats.connect(nats_url)
    run = uuid.uuid4().hex[:8]
    try:
        upload = msg.StoreCustomerDocument(
            customer_id="FR01/C42",
            item_ids=["FR01/invoice/F-1"],
            kind="invoice",
            file_name="F-1.pdf",
            content=INVOICE,
            idempotency_key=f"{run}-drop",
        )
        first = await request(nc, upload, msg.CustomerDocumentStored)
        again = await request(nc, upload, msg.CustomerDocumentStored)
        assert first.created and not again.created and again.document_id == first.document_id
        # A large file comes through the uploads bucket; this one is C43's, for an item number C42 also has.
        big = b"%PDF-1.7\n" + b"0" * (1200 * 1024)
        await put_upload(nc.jetstream(), f"{run}/big.pdf", big)
        theirs = await request(
            nc,
            msg.StoreCustomerDocument(
                customer_id="FR01/C43",
                item_ids=["FR01/invoice/F-1"],
                kind="invoice",
                file_name="C43.pdf",
                upload_name=f"{run}/big.pdf",
            ),
            msg.CustomerDocumentStored,
        )
        assert theirs.size_bytes == len(big)
        with pytest.raises(RemoteError) as invalid:
            await request(
                nc, msg.StoreCustomerDocument(customer_id="FR01/C42", kind="invoice"), msg.CustomerDocumentStored
            )
        assert invalid.value.code == "invalid"

        if store == "disk":
            kept = DiskLetterStore(settings.letter_folder).document_path(first.document_id).read_bytes()
        else:
            key = S3LetterStore(s3, settings.letter_s3_bucket, prefix=settings.letter_s3_prefix).document_key(
                first.document_id
            )
            kept = s3.get_object(Bucket=settings.letter_s3_bucket, Key=key)["Body"].read()
        assert kept == INVOICE

        listing = await request(nc, pt.ListCustomerDocuments(customer_id="FR01/C42"), pt.CustomerDocuments)
        assert [(d.document_id, d.kind, list(d.item_ids)) for d in listing.documents] == [
            (first.document_id, "invoice", ["FR01/invoice/F-1"])
        ]
        got = await request(
            nc, pt.GetCustomerDocument(customer_id="FR01/C42", document_id=first.document_id), pt.CustomerDocument
        )
        assert got.found and got.content == INVOICE
        other = await request(
            nc, pt.GetCustomerDocument(customer_id="FR01/C42", document_id=theirs.document_id), pt.CustomerDocument
        )
        assert other == pt.CustomerDocument(found=False)

        template = msg.MessageTemplate(
            code="invoice_reminder", channel="email", language="en", subject="Invoice", body="Dear #CustomerName\n"
        )
        template.attach_invoices = True
        async with runtime.uow() as uow:
            await template_handlers.save_template(msg.SaveTemplate(template=template), uow, dt.datetime.now(dt.UTC))
            await handlers.send_message(reminder(f"{run}-c42", "C42"), uow, handlers_deps())
            await uow.commit()
        assert await dispatcher.run_once() == 1
        sent = LocalOutbox(settings.outbox_dir).path_for(handlers.message_id_for(f"{run}-c42")).read_bytes()
        mail = BytesParser(policy=policy.default).parsebytes(sent.replace(b"\r\n", b"\n"))
        assert {p.get_filename(): p.get_content() for p in mail.iter_attachments()} == {"F-1.pdf": INVOICE}
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()


def handlers_deps() -> handlers.Deps:
    return handlers.Deps(
        sender="Acme <credit@acme.example>",
        company_name="Acme SAS",
        collector_name="Claire",
        collector_email="claire@acme.example",
        portal_base_url="https://portal.acme.example",
    )
