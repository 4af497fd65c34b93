from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from opendso_gateway.webhook_signatures import (
    SnsMessage,
    SnsPolicy,
    SnsReplay,
    WebhookSignatureError,
    canonical_sns_string,
    verify_sns_message,
    verify_twilio_signature,
)

# --- Twilio --------------------------------------------------------------------------------------------------------

TOKEN = "12345678901234567890123456789012"
CALLBACK = "https://opendso.example/webhooks/twilio/status?key=reminder-42"
FORM = {"MessageSid": "SM0123", "MessageStatus": "delivered", "To": "+33612345678", "AccountSid": "AC42"}


def twilio_signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """Computed from Twilio's documentation, independently of the library under test."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_a_correctly_signed_twilio_callback_is_accepted() -> None:
    verify_twilio_signature(
        auth_token=TOKEN, url=CALLBACK, params=FORM, signature=twilio_signature(TOKEN, CALLBACK, FORM)
    )


def test_a_twilio_callback_with_a_changed_parameter_is_refused() -> None:
    signature = twilio_signature(TOKEN, CALLBACK, FORM)
    tampered = {**FORM, "MessageStatus": "undelivered"}
    with pytest.raises(WebhookSignatureError, match=r"does not match the request to https://opendso\.example"):
        verify_twilio_signature(auth_token=TOKEN, url=CALLBACK, params=tampered, signature=signature)


def test_a_twilio_signature_for_another_url_is_refused() -> None:
    signature = twilio_signature(TOKEN, CALLBACK, FORM)
    other = CALLBACK.replace("reminder-42", "reminder-43")
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_twilio_signature(auth_token=TOKEN, url=other, params=FORM, signature=signature)


def test_a_twilio_signature_made_with_another_token_is_refused() -> None:
    signature = twilio_signature("another-token-000000000000000000", CALLBACK, FORM)
    with pytest.raises(WebhookSignatureError, match="wrong auth token"):
        verify_twilio_signature(auth_token=TOKEN, url=CALLBACK, params=FORM, signature=signature)


def test_a_twilio_callback_without_a_signature_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="has no X-Twilio-Signature"):
        verify_twilio_signature(auth_token=TOKEN, url=CALLBACK, params=FORM, signature=None)


def test_no_twilio_token_configured_refuses_everything() -> None:
    with pytest.raises(WebhookSignatureError, match="no Twilio auth token configured"):
        verify_twilio_signature(auth_token="", url=CALLBACK, params=FORM, signature="anything")


def test_twilio_form_fields_may_repeat() -> None:
    pairs = [("To", "+33612345678"), ("MediaUrl", "https://b.example/2"), ("MediaUrl", "https://a.example/1")]
    # Repeated names are signed value by value, values in sorted order.
    data = CALLBACK + "MediaUrlhttps://a.example/1MediaUrlhttps://b.example/2To+33612345678"
    signature = base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()
    verify_twilio_signature(auth_token=TOKEN, url=CALLBACK, params=pairs, signature=signature)
    with pytest.raises(WebhookSignatureError):
        verify_twilio_signature(auth_token=TOKEN, url=CALLBACK, params=pairs[:2], signature=signature)


# --- Amazon SNS ----------------------------------------------------------------------------------------------------

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
TOPIC = "arn:aws:sns:eu-west-1:123456789012:opendso-ses-events"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
POLICY = SnsPolicy(topic_arns=frozenset({TOPIC}))


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

    def sign(self, body: dict[str, object]) -> dict[str, object]:
        signature = self.key.sign(canonical_sns_string(body), padding.PKCS1v15(), hashes.SHA256())
        return {**body, "Signature": base64.b64encode(signature).decode()}

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if url != CERT_URL:
            raise AssertionError(f"the verifier fetched {url}, which serves no certificate")
        return self.certificate_pem


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


def notification(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Subject": "Amazon SES Email Event Notification",
        "Message": '{"eventType":"Bounce","bounce":{"bounceType":"Permanent"}}',
        "Timestamp": "2025-03-14T09:28:00.123Z",
        "SignatureVersion": "2",
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    body.update(changes)
    return body


def never_seen(message_id: str) -> bool:
    return False


def verify(signer: Signer, body: Mapping[str, object], seen: Callable[[str], bool] = never_seen) -> SnsMessage:
    return verify_sns_message(body, policy=POLICY, fetch_certificate=signer.fetch, seen=seen, now=NOW)


def test_a_signed_notification_is_accepted(signer: Signer) -> None:
    message = verify_sns_message(
        signer.sign(notification()), policy=POLICY, fetch_certificate=signer.fetch, seen=never_seen, now=NOW
    )
    assert message.type == "Notification"
    assert message.topic_arn == TOPIC
    assert message.message_id == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"
    assert message.message.startswith('{"eventType":"Bounce"')
    assert message.subject == "Amazon SES Email Event Notification"
    assert message.timestamp == datetime(2025, 3, 14, 9, 28, 0, 123000, tzinfo=UTC)


def test_a_notification_without_a_subject_is_signed_without_it(signer: Signer) -> None:
    body = notification()
    del body["Subject"]
    assert b"Subject" not in canonical_sns_string(body)
    message = verify_sns_message(
        signer.sign(body), policy=POLICY, fetch_certificate=signer.fetch, seen=never_seen, now=NOW
    )
    assert message.subject is None


def test_a_signed_subscription_confirmation_is_accepted(signer: Signer) -> None:
    subscribe = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=abc"
    body = notification(Type="SubscriptionConfirmation", Token="abc", SubscribeURL=subscribe, Message="confirm")
    del body["Subject"]
    canonical = canonical_sns_string(body).decode()
    assert canonical.index("SubscribeURL\n") < canonical.index("Token\nabc\n") < canonical.index("TopicArn\n")
    message = verify_sns_message(
        signer.sign(body), policy=POLICY, fetch_certificate=signer.fetch, seen=never_seen, now=NOW
    )
    assert message.type == "SubscriptionConfirmation"
    assert message.subscribe_url == subscribe


def test_a_tampered_notification_is_refused(signer: Signer) -> None:
    body = signer.sign(notification())
    body["Message"] = '{"eventType":"Delivery"}'
    with pytest.raises(WebhookSignatureError, match="does not match its signature"):
        verify(signer, body)


def test_a_notification_from_another_topic_is_refused(signer: Signer) -> None:
    body = signer.sign(notification(TopicArn="arn:aws:sns:eu-west-1:999999999999:someone-else"))
    with pytest.raises(WebhookSignatureError, match="someone-else' is not one this endpoint accepts"):
        verify(signer, body)


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
        "https://user@sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-0123456789abcdef.pem",
    ],
)
def test_a_certificate_off_the_sns_hosts_is_never_fetched(signer: Signer, url: str) -> None:
    signer.fetched.clear()
    body = signer.sign(notification(SigningCertURL=url))
    with pytest.raises(WebhookSignatureError, match=r"not an https URL on an sns\.<region>\.amazonaws\.com host"):
        verify(signer, body)
    assert signer.fetched == []


def test_a_certificate_from_another_region_than_the_topic_is_refused(signer: Signer) -> None:
    url = CERT_URL.replace("eu-west-1", "us-east-1")
    with pytest.raises(WebhookSignatureError, match="region 'us-east-1' does not match topic"):
        verify(signer, signer.sign(notification(SigningCertURL=url)))


def test_signature_version_1_is_refused(signer: Signer) -> None:
    with pytest.raises(WebhookSignatureError, match="SignatureVersion '1' refused"):
        verify(signer, signer.sign(notification(SignatureVersion="1")))


def test_an_old_notification_is_refused(signer: Signer) -> None:
    body = signer.sign(notification(Timestamp="2025-03-14T09:14:59.000Z"))
    with pytest.raises(WebhookSignatureError, match="older than 0:15:00: refused as a possible replay"):
        verify(signer, body)


def test_a_notification_from_the_future_is_refused(signer: Signer) -> None:
    with pytest.raises(WebhookSignatureError, match="in the future"):
        verify(signer, signer.sign(notification(Timestamp="2025-03-14T09:40:00.000Z")))


def test_a_notification_already_handled_is_a_replay(signer: Signer) -> None:
    handled = {"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"}
    with pytest.raises(SnsReplay, match="already handled"):
        verify(signer, signer.sign(notification()), seen=handled.__contains__)


def test_the_replay_check_runs_only_on_a_valid_signature(signer: Signer) -> None:
    # Otherwise anyone could probe which message ids we have handled.
    asked: list[str] = []

    def seen(message_id: str) -> bool:
        asked.append(message_id)
        return False

    body = signer.sign(notification())
    body["Message"] = "altered"
    with pytest.raises(WebhookSignatureError, match="does not match its signature"):
        verify(signer, body, seen=seen)
    assert asked == []


def test_a_signature_that_is_not_base64_is_refused(signer: Signer) -> None:
    body = {**notification(), "Signature": "not base64!"}
    with pytest.raises(WebhookSignatureError, match="Signature is not base64"):
        verify(signer, body)


def test_a_certificate_that_is_not_pem_is_refused(signer: Signer) -> None:
    body = signer.sign(notification())
    with pytest.raises(WebhookSignatureError, match="is not a PEM certificate"):
        verify_sns_message(body, policy=POLICY, fetch_certificate=lambda url: b"<html>", seen=never_seen, now=NOW)


def test_an_expired_certificate_is_refused(signer: Signer) -> None:
    body = signer.sign(notification(Timestamp="2025-05-14T09:28:00.000Z"))
    with pytest.raises(WebhookSignatureError, match="is not valid at 2025-05-14"):
        verify_sns_message(
            body,
            policy=POLICY,
            fetch_certificate=signer.fetch,
            seen=never_seen,
            now=datetime(2025, 5, 14, 9, 30, tzinfo=UTC),
        )


def test_an_unknown_message_type_is_refused(signer: Signer) -> None:
    with pytest.raises(WebhookSignatureError, match="unknown SNS message Type 'Gossip'"):
        verify(signer, notification(Type="Gossip"))


def test_a_region_allow_list_limits_the_certificate_hosts(signer: Signer) -> None:
    policy = SnsPolicy(topic_arns=frozenset({TOPIC}), regions=frozenset({"eu-central-1"}))
    with pytest.raises(WebhookSignatureError, match="region 'eu-west-1', not an accepted one"):
        verify_sns_message(
            signer.sign(notification()), policy=policy, fetch_certificate=signer.fetch, seen=never_seen, now=NOW
        )


def test_a_notification_is_signed_over_its_fields_in_the_documented_order() -> None:
    expected = (
        'Message\n{"eventType":"Bounce","bounce":{"bounceType":"Permanent"}}\n'
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        "Subject\nAmazon SES Email Event Notification\n"
        "Timestamp\n2025-03-14T09:28:00.123Z\n"
        f"TopicArn\n{TOPIC}\n"
        "Type\nNotification\n"
    )
    assert canonical_sns_string(notification()).decode() == expected
