"""The provider webhooks over a fake bus: signed reports reach the messaging service, others are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_gateway.app import create_app
from opendso_gateway.webhook_signatures import canonical_sns_string
from opendso_gateway.webhooks_api import CertificateCache, Webhooks
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr

from .fakes import MemoryAccessStore, gateway_settings

TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://dso.example.com"
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TOPIC = "arn:aws:sns:eu-west-1:123456789012:opendso-ses-events"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


class FakeBus:
    """Answers every RecordDeliveryStatus with ``outcome`` and records what was asked."""

    def __init__(self, outcome: int = msg.DELIVERY_OUTCOME_APPLIED) -> None:
        self.outcome = outcome
        self.asked: list[Message] = []

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        self.asked.append(req)
        return msg.DeliveryStatusRecorded(outcome=self.outcome)  # type: ignore[arg-type]


class Signer:
    """A self-made RSA key and certificate standing in for SNS's."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        self.certificate_pem = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=30))
            .not_valid_after(NOW + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
        )
        self.fetched: list[str] = []
        self.confirmed: list[str] = []

    def sign(self, body: dict[str, object]) -> dict[str, object]:
        signature = self.key.sign(canonical_sns_string(body), padding.PKCS1v15(), hashes.SHA256())
        return {**body, "Signature": base64.b64encode(signature).decode()}

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        assert url == CERT_URL, f"fetched {url}, which serves no certificate"
        return self.certificate_pem

    def confirm(self, url: str) -> bytes:
        self.confirmed.append(url)
        return b"<ConfirmSubscriptionResponse/>"


def client(outcome: int = msg.DELIVERY_OUTCOME_APPLIED, **settings: Any) -> tuple[TestClient, FakeBus, Signer]:
    bus = FakeBus(outcome)
    values: dict[str, Any] = {
        "public_base_url": PUBLIC,
        "twilio_auth_token": SecretStr(TOKEN),
        "sns_topic_arns": (TOPIC,),
        **settings,
    }
    config = gateway_settings(**values)
    app = create_app(config, bus=bus, store=MemoryAccessStore())  # type: ignore[arg-type]
    signer = Signer()
    app.state.webhooks = Webhooks(
        config, fetch_certificate=CertificateCache(signer.fetch), confirm_subscription=signer.confirm, now=lambda: NOW
    )
    return TestClient(app), bus, signer


# --- Twilio --------------------------------------------------------------------------------------------------------

QUERY = {"message_key": "FR01/C1:standard:sms:F-1", "channel": "sms"}
PATH = "/webhooks/twilio/status?" + urlencode(QUERY)
FORM = {"MessageSid": "SM0123", "MessageStatus": "undelivered", "ErrorCode": "30006", "To": "+33612345678"}


def twilio_signature(url: str, params: Mapping[str, str], token: str = TOKEN) -> str:
    """From Twilio's documentation: HMAC-SHA1 over the URL and the parameters sorted by name."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_a_signed_twilio_callback_reaches_the_messaging_service_with_its_message_and_channel() -> None:
    http, bus, _ = client()

    response = http.post(PATH, data=FORM, headers={"X-Twilio-Signature": twilio_signature(PUBLIC + PATH, FORM)})

    assert response.status_code == 204
    (asked,) = bus.asked
    assert isinstance(asked, msg.RecordDeliveryStatus)
    assert (asked.provider, asked.message_key, asked.channel) == ("twilio", QUERY["message_key"], "sms")
    assert (asked.status, asked.error_code, asked.provider_ref) == ("undelivered", "30006", "SM0123")
    assert asked.provider_event_id == "twilio:SM0123:undelivered"


def test_a_tampered_twilio_callback_is_refused_with_403_and_reaches_nobody() -> None:
    http, bus, _ = client()
    signature = twilio_signature(PUBLIC + PATH, FORM)

    response = http.post(PATH, data={**FORM, "MessageStatus": "delivered"}, headers={"X-Twilio-Signature": signature})
    unsigned = http.post(PATH, data=FORM)

    assert (response.status_code, unsigned.status_code) == (403, 403)
    assert response.headers["content-type"] == "application/problem+json"
    assert bus.asked == []


def test_a_twilio_signature_over_the_internal_url_is_refused_the_public_one_counts() -> None:
    http, bus, _ = client()

    response = http.post(
        PATH, data=FORM, headers={"X-Twilio-Signature": twilio_signature("http://testserver" + PATH, FORM)}
    )

    assert response.status_code == 403
    assert bus.asked == []


def test_a_report_on_a_message_still_being_sent_asks_twilio_to_retry() -> None:
    http, _, _ = client(outcome=msg.DELIVERY_OUTCOME_NOT_YET_SENT)

    response = http.post(PATH, data=FORM, headers={"X-Twilio-Signature": twilio_signature(PUBLIC + PATH, FORM)})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


def test_an_unknown_status_is_answered_2xx_so_twilio_stops_retrying() -> None:
    http, bus, _ = client(outcome=msg.DELIVERY_OUTCOME_UNKNOWN_STATUS)
    form = {**FORM, "MessageStatus": "teleported"}

    response = http.post(PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(PUBLIC + PATH, form)})

    assert response.status_code == 204
    assert len(bus.asked) == 1


# --- Amazon SES through SNS ----------------------------------------------------------------------------------------

SES_BOUNCE = {
    "eventType": "Bounce",
    "mail": {"messageId": "ses-0001", "destination": ["ap@dupont.example"]},
    "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "ap@dupont.example"}]},
}


def sns(signer: Signer, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": json.dumps(SES_BOUNCE),
        "Timestamp": "2026-11-25T09:29:00.000Z",
        "SignatureVersion": "2",
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    body.update(changes)
    return signer.sign(body)


def post_sns(http: TestClient, body: Mapping[str, object]) -> Any:
    # As SNS does: JSON in a text/plain body.
    return http.post(
        "/webhooks/ses/sns", content=json.dumps(body), headers={"Content-Type": "text/plain; charset=UTF-8"}
    )


def test_a_signed_ses_notification_becomes_one_delivery_report_and_a_replay_changes_nothing() -> None:
    http, bus, signer = client()
    body = sns(signer)

    first = post_sns(http, body)
    replay = post_sns(http, body)

    assert (first.status_code, replay.status_code) == (200, 200)
    (asked,) = bus.asked
    assert isinstance(asked, msg.RecordDeliveryStatus)
    assert (asked.provider, asked.provider_event_id) == ("ses", "sns:22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324")
    assert json.loads(asked.ses_notification_json) == SES_BOUNCE
    assert asked.occurred_at.ToDatetime(tzinfo=UTC) == datetime(2026, 11, 25, 9, 29, tzinfo=UTC)
    # The certificate was fetched once, then served from the cache.
    assert signer.fetched == [CERT_URL]


def test_an_altered_sns_message_or_one_from_another_topic_is_refused() -> None:
    http, bus, signer = client()
    altered = {**sns(signer), "Message": json.dumps({**SES_BOUNCE, "eventType": "Delivery"})}
    other_topic = sns(signer, TopicArn="arn:aws:sns:eu-west-1:123456789012:someone-else")

    assert post_sns(http, altered).status_code == 403
    assert post_sns(http, other_topic).status_code == 403
    assert bus.asked == []


def test_a_subscription_confirmation_is_confirmed_by_getting_its_subscribe_url() -> None:
    http, bus, signer = client()
    subscribe = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=abc"
    body = sns(signer, Type="SubscriptionConfirmation", Token="abc", SubscribeURL=subscribe, Message="confirm")

    response = post_sns(http, body)

    assert response.status_code == 200
    assert signer.confirmed == [subscribe]
    assert bus.asked == []


def test_an_sns_body_that_is_not_json_is_a_bad_request() -> None:
    http, bus, _ = client()

    response = http.post("/webhooks/ses/sns", content=b"not json", headers={"Content-Type": "text/plain"})

    assert response.status_code == 400
    assert bus.asked == []
