"""The SES adapter and the S3 letter store against moto's server mode (real boto3 clients over HTTP)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any, Literal

import boto3
import pytest
from moto.server import ThreadedMotoServer
from opendso_messaging.providers import Attachment, InlineImage, Letter, OutboundEmail, PostalAddress, ProviderError
from opendso_messaging.providers.email_ses import SesEmailSender, SesSettings
from opendso_messaging.providers.letters import S3LetterStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sesv2 import SESV2Client

pytestmark = pytest.mark.integration

REGION: Literal["eu-west-1"] = "eu-west-1"
PDF = b"%PDF-1.7\n\x00\xff invoice"
PNG = b"\x89PNG\r\n\x1a\n qr"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def moto_data(moto_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{moto_url}/moto-api/data.json", timeout=10) as response:
        data = json.load(response)
    assert isinstance(data, dict)
    return data


def ses_sender(moto_url: str, **changes: Any) -> SesEmailSender:
    settings = SesSettings(
        region=REGION,
        endpoint_url=moto_url,
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=1,
        **changes,
    )
    return SesEmailSender(settings)


def sesv2(moto_url: str) -> SESV2Client:
    return boto3.client(
        "sesv2", region_name=REGION, endpoint_url=moto_url, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def verified_sender(moto_url: str) -> str:
    # Unique per test: moto's state lives as long as the server, shared by the module's tests.
    address = f"ar-{uuid.uuid4().hex[:8]}@acme.example"
    sesv2(moto_url).create_email_identity(EmailIdentity=address)
    return address


def email(sender: str, **changes: Any) -> OutboundEmail:
    fields: dict[str, Any] = {
        "message_id": str(uuid.uuid4()),
        "sender": f"Acme Crédit <{sender}>",
        "to": ("marie@dupont.example",),
        "subject": "Relance : facture échue",
        "text": "Merci de régler.\n",
        "html": '<p>Merci</p><img src="cid:payment-qr">',
        "inline_images": (InlineImage(cid="payment-qr", content=PNG),),
        "attachments": (Attachment("FAC-2025-001.pdf", "application/pdf", PDF),),
        "message_key": "FR01/C042/friendly/FAC-2025-001",
    }
    fields.update(changes)
    return OutboundEmail(**fields)


async def test_ses_receives_the_raw_message_with_attachment_and_headers(moto_url: str) -> None:
    sender = verified_sender(moto_url)
    configuration_set = f"opendso-{uuid.uuid4().hex[:8]}"
    sesv2(moto_url).create_configuration_set(ConfigurationSetName=configuration_set)
    outbound = email(sender)

    delivery = await ses_sender(moto_url, configuration_set=configuration_set).send(outbound)

    [sent] = [m for m in moto_data(moto_url)["ses"]["RawMessage"] if m["id"] == delivery.ref]
    message = BytesParser(policy=policy.default).parsebytes(sent["raw_data"].replace("\r\n", "\n").encode())
    assert isinstance(message, EmailMessage)
    assert delivery.provider == "ses"
    assert "marie@dupont.example" in sent["destinations"]
    assert message["X-OpenDSO-Message-Key"] == "FR01/C042/friendly/FAC-2025-001"
    assert message["Message-ID"] == f"<{outbound.message_id}@acme.example>"
    assert message["Subject"] == "Relance : facture échue"
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "FAC-2025-001.pdf"
    assert attachment.get_content() == PDF


async def test_an_unverified_sender_is_rejected_for_good(moto_url: str) -> None:
    with pytest.raises(ProviderError) as raised:
        await ses_sender(moto_url).send(email("nobody-verified-me@elsewhere.example"))

    assert raised.value.retryable is False
    assert raised.value.code == "MessageRejected"
    assert "nobody-verified-me@elsewhere.example" in raised.value.reason


def s3_client(moto_url: str) -> S3Client:
    return boto3.client(
        "s3", region_name=REGION, endpoint_url=moto_url, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def new_bucket(client: S3Client) -> str:
    bucket = f"letters-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return bucket


def letter(letter_id: str, registered: bool = True) -> Letter:
    return Letter(
        letter_id=letter_id,
        sender=PostalAddress("Acme SAS", ("1 rue de la Paix", "75002 Paris")),
        recipient=PostalAddress("Société Générale d'Équipement", ("12 avenue Foch", "69006 Lyon", "France")),
        date="14 mars 2025",
        subject="Mise en demeure",
        body="Madame, Monsieur,\n...",
        registered=registered,
        message_key="FR01/C042/formal/FAC-2025-001",
    )


async def test_the_s3_store_puts_the_pdf_with_type_metadata_and_a_manifest(moto_url: str) -> None:
    client = s3_client(moto_url)
    bucket = new_bucket(client)
    stored_at = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    store = S3LetterStore(client, bucket, prefix="outgoing", clock=lambda: stored_at)

    delivery = await store.store(letter("letter-1"), b"%PDF-1.3 letter")

    pdf_key, manifest_key = store.keys_for("letter-1")
    head = client.head_object(Bucket=bucket, Key=pdf_key)
    manifest = json.loads(client.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    assert delivery.ref == pdf_key
    assert pdf_key.startswith("outgoing/")
    assert delivery.accepted_at == stored_at
    assert client.get_object(Bucket=bucket, Key=pdf_key)["Body"].read() == b"%PDF-1.3 letter"
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"]["registered"] == "true"
    assert head["Metadata"]["message-key"] == "FR01/C042/formal/FAC-2025-001"
    assert json.loads(head["Metadata"]["recipient"])["name"] == "Société Générale d'Équipement"
    assert manifest["registered"] is True
    assert manifest["recipient"]["lines"] == ["12 avenue Foch", "69006 Lyon", "France"]


async def test_storing_a_letter_again_in_s3_keeps_the_first_object(moto_url: str) -> None:
    client = s3_client(moto_url)
    bucket = new_bucket(client)
    times = iter([datetime(2025, 3, 14, tzinfo=UTC), datetime(2025, 3, 15, tzinfo=UTC)])
    store = S3LetterStore(client, bucket, clock=lambda: next(times))
    first = await store.store(letter("letter-2"), b"%PDF first")

    again = await store.store(letter("letter-2"), b"%PDF second")

    assert again == first
    assert client.get_object(Bucket=bucket, Key=first.ref)["Body"].read() == b"%PDF first"


async def test_a_missing_bucket_is_a_final_error_naming_it(moto_url: str) -> None:
    store = S3LetterStore(s3_client(moto_url), "no-such-bucket-for-letters")

    with pytest.raises(ProviderError) as raised:
        await store.store(letter("letter-3"), b"%PDF")

    assert raised.value.retryable is False
    assert raised.value.code == "NoSuchBucket"
    assert "s3://no-such-bucket-for-letters/" in raised.value.reason
