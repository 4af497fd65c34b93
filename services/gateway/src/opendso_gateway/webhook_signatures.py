"""Verification of the signatures on provider webhooks: Twilio status callbacks and Amazon SNS messages.

Pure: no network, no clock, no storage of its own. The SNS signing
certificate is fetched by a function the caller passes (over HTTPS, cached),
the time is passed in, and "have we handled this message already" is a
callable, so the routes decide how those work and the tests never leave the
machine.

Every refusal is a ``WebhookSignatureError`` whose message says what is
wrong; a route answers it with 403 and logs the message. ``SnsReplay`` is the
one refusal a route should answer with 200: SNS retries a delivery with the
same MessageId and signature when our first answer was lost, and a 4xx would
make it retry until it gives up.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from twilio.request_validator import RequestValidator


class WebhookSignatureError(Exception):
    """A webhook that must not be trusted; the message says why."""


class SnsReplay(WebhookSignatureError):
    """A correctly signed SNS message already handled (same MessageId)."""


# --- Twilio --------------------------------------------------------------------------------------------------------


class _MultiParams:
    """POST parameters with repeated names, read the way twilio's RequestValidator reads a form."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def getlist(self, name: str) -> list[str]:
        return self._values[name]


def verify_twilio_signature(
    *,
    auth_token: str,
    url: str,
    params: Mapping[str, str] | Iterable[tuple[str, str]],
    signature: str | None,
) -> None:
    """Refuse a Twilio webhook whose ``X-Twilio-Signature`` does not match; return quietly when it does.

    ``url`` must be the URL exactly as Twilio called it, scheme, host, path
    and query included: behind a proxy or load balancer rebuild it from the
    configured public base URL, not from what the application server saw.
    ``params`` are the form fields of the POST (repeated names allowed, as in
    ``FormData.multi_items()``).
    """
    if not auth_token:
        raise WebhookSignatureError("no Twilio auth token configured: cannot verify X-Twilio-Signature")
    if not signature:
        raise WebhookSignatureError(f"Twilio webhook to {url} has no X-Twilio-Signature header")
    pairs = params.items() if isinstance(params, Mapping) else params
    # The validator signs the URL then every name and value sorted by name;
    # it compares in constant time and tries the URL with and without the
    # default port, since Twilio is not consistent about it.
    if not RequestValidator(auth_token).validate(url, _MultiParams(pairs), signature):
        raise WebhookSignatureError(
            f"X-Twilio-Signature does not match the request to {url} "
            "(wrong auth token, a changed parameter, or a URL different from the one Twilio called)"
        )


# --- Amazon SNS ----------------------------------------------------------------------------------------------------

# The fields signed, in the order AWS documents, per message type
# (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
_SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
# Optional among the signed fields: a notification published without a subject has none.
_OPTIONAL_FIELDS = frozenset({"Subject"})
# SNS endpoints, including the China (amazonaws.com.cn) partition; the same
# pattern AWS's own message validators use.
_SNS_HOST = re.compile(r"sns\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")
_TOPIC_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class SnsPolicy:
    """What an SNS endpoint accepts."""

    # Only messages from these topics (SES events of our configuration set, ...).
    topic_arns: frozenset[str]
    # SNS retries a delivery with the original Timestamp, so this must be
    # longer than the topic's delivery retry window (about a minute by default,
    # at most an hour): older messages are refused as possible replays.
    max_age: timedelta = timedelta(minutes=15)
    # Tolerated clock difference for a Timestamp in the future.
    max_clock_skew: timedelta = timedelta(minutes=5)
    # Regions whose SNS hosts may serve certificates; empty: any SNS region.
    regions: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SnsMessage:
    """A verified SNS message."""

    type: str
    message_id: str
    topic_arn: str
    timestamp: datetime
    # The payload: for SES events, the JSON text of the SES notification.
    message: str
    subject: str | None = None
    # SubscriptionConfirmation only: the URL to GET to confirm the subscription.
    subscribe_url: str | None = None


def _text(body: Mapping[str, object], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        kind = body.get("Type")
        raise WebhookSignatureError(f"SNS message (Type {kind!r}) has no {name}")
    return value


def _sns_url(url: str, what: str) -> str:
    """The region of an SNS host URL; refuse any other URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    match = _SNS_HOST.fullmatch(host)
    if parts.scheme != "https" or match is None or parts.username or parts.password or parts.port not in {None, 443}:
        raise WebhookSignatureError(f"SNS {what} {url!r} is not an https URL on an sns.<region>.amazonaws.com host")
    return match.group(1)


def canonical_sns_string(body: Mapping[str, object]) -> bytes:
    """The bytes SNS signs: each signed field's name and value, one per line, in the documented order."""
    kind = body.get("Type")
    fields = _SIGNED_FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise WebhookSignatureError(f"unknown SNS message Type {kind!r}")
    lines: list[str] = []
    for name in fields:
        if body.get(name) is None and name in _OPTIONAL_FIELDS:
            continue
        lines.append(f"{name}\n{_text(body, name)}\n")
    return "".join(lines).encode("utf-8")


def verify_sns_message(
    body: Mapping[str, object],
    *,
    policy: SnsPolicy,
    fetch_certificate: Callable[[str], bytes],
    seen: Callable[[str], bool],
    now: datetime,
) -> SnsMessage:
    """Return the verified message, or refuse it with the reason.

    ``body`` is the parsed JSON of the request. ``fetch_certificate(url)``
    returns the PEM certificate at an SNS ``SigningCertURL`` (it is only ever
    called with a URL that passed the host check; cache its answers; its
    own errors propagate, and the route should answer them with a 5xx so SNS
    retries).
    ``seen(message_id)`` says whether this message was already handled: it
    is asked only once the signature is valid, and must not record anything,
    since a message whose processing then fails will be retried by SNS with
    the same id. Record the id when its effects are committed.
    """
    if now.tzinfo is None:
        raise ValueError("verify_sns_message needs an aware 'now' (UTC), got a naive datetime")
    kind = body.get("Type")
    if kind not in _SIGNED_FIELDS:
        raise WebhookSignatureError(f"unknown SNS message Type {kind!r}")
    version = body.get("SignatureVersion")
    if version != "2":
        # Version 1 signs with SHA1, which we do not accept; set the topic's
        # SignatureVersion attribute to 2.
        raise WebhookSignatureError(f"SNS SignatureVersion {version!r} refused: only version 2 (SHA256) is accepted")
    topic_arn = _text(body, "TopicArn")
    if topic_arn not in policy.topic_arns:
        raise WebhookSignatureError(f"SNS topic {topic_arn!r} is not one this endpoint accepts")
    cert_url = _text(body, "SigningCertURL")
    region = _sns_url(cert_url, "SigningCertURL")
    if not urlsplit(cert_url).path.endswith(".pem"):
        raise WebhookSignatureError(f"SNS SigningCertURL {cert_url!r} does not name a .pem certificate")
    if policy.regions and region not in policy.regions:
        raise WebhookSignatureError(f"SNS SigningCertURL {cert_url!r} is in region {region!r}, not an accepted one")
    topic = _TOPIC_ARN.fullmatch(topic_arn)
    if topic is None or topic.group(1) != region:
        raise WebhookSignatureError(f"SNS SigningCertURL region {region!r} does not match topic {topic_arn!r}")

    timestamp = _timestamp(_text(body, "Timestamp"))
    if timestamp < now - policy.max_age:
        raise WebhookSignatureError(
            f"SNS message {body.get('MessageId')!r} is from {timestamp.isoformat()}, "
            f"older than {policy.max_age}: refused as a possible replay"
        )
    if timestamp > now + policy.max_clock_skew:
        raise WebhookSignatureError(f"SNS message Timestamp {timestamp.isoformat()} is in the future")

    _check_signature(body, cert_url, fetch_certificate, now)

    message_id = _text(body, "MessageId")
    subscribe_url = body.get("SubscribeURL") if kind != "Notification" else None
    if subscribe_url is not None:
        # Signed by AWS, but the route will GET it: keep it on SNS hosts.
        _sns_url(str(subscribe_url), "SubscribeURL")
    if seen(message_id):
        raise SnsReplay(f"SNS message {message_id!r} was already handled")
    subject = body.get("Subject")
    return SnsMessage(
        type=str(kind),
        message_id=message_id,
        topic_arn=topic_arn,
        timestamp=timestamp,
        message=_text(body, "Message"),
        subject=subject if isinstance(subject, str) else None,
        subscribe_url=str(subscribe_url) if subscribe_url is not None else None,
    )


def _timestamp(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WebhookSignatureError(f"SNS Timestamp {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise WebhookSignatureError(f"SNS Timestamp {value!r} has no time zone")
    return parsed


def _check_signature(
    body: Mapping[str, object], cert_url: str, fetch_certificate: Callable[[str], bytes], now: datetime
) -> None:
    try:
        signature = base64.b64decode(_text(body, "Signature"), validate=True)
    except binascii.Error:
        raise WebhookSignatureError("SNS Signature is not base64") from None
    try:
        certificate = x509.load_pem_x509_certificate(fetch_certificate(cert_url))
    except ValueError as exc:
        raise WebhookSignatureError(f"SNS signing certificate at {cert_url} is not a PEM certificate: {exc}") from None
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise WebhookSignatureError(
            f"SNS signing certificate at {cert_url} is not valid at {now.isoformat()} "
            f"(valid {certificate.not_valid_before_utc.isoformat()} to {certificate.not_valid_after_utc.isoformat()})"
        )
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise WebhookSignatureError(f"SNS signing certificate at {cert_url} does not hold an RSA key")
    try:
        public_key.verify(signature, canonical_sns_string(body), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise WebhookSignatureError(
            f"SNS message {body.get('MessageId')!r} does not match its signature (altered, or not signed by SNS)"
        ) from None
