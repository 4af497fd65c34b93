"""Provider webhooks: delivery reports from Twilio (status callbacks) and Amazon SES (events through SNS).

They are called by the providers, not by users, so they carry no user authentication: each request is trusted
only once its signature is verified (``webhook_signatures.py``), and refused with 403 otherwise. A verified
report goes to the messaging service as ``RecordDeliveryStatus``; what the answer means for the provider:

- applied, stale, duplicate, unknown message or unknown status: 2xx, since a retry would change nothing
  (a status we do not know is logged by the messaging service; retrying it forever helps nobody);
- the message is still being handed to its provider: 503, so the provider retries once the send is recorded;
- the messaging service does not answer: 503 (or 502 for its errors), and the provider retries.

SNS retries a delivery whose answer was lost with the same MessageId: the ids this instance handled are kept
for a while and a replay is answered 200 at once; the messaging service's own record of each report id makes
a replay harmless on any instance.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from fastapi import APIRouter, Request, Response
from google.protobuf.timestamp_pb2 import Timestamp
from opendso.messaging.v1 import messaging_pb2 as msg

from opendso_gateway.bus import Bus
from opendso_gateway.problems import Problem
from opendso_gateway.settings import Settings
from opendso_gateway.webhook_signatures import (
    SnsMessage,
    SnsPolicy,
    SnsReplay,
    WebhookSignatureError,
    verify_sns_message,
    verify_twilio_signature,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

# SNS messages are at most 256 KiB; Twilio's forms are a few hundred bytes.
_MAX_BODY_BYTES = 1024 * 1024
# A certificate is a few KiB: a larger answer is not one.
_MAX_CERTIFICATE_BYTES = 64 * 1024
_RETRY_AFTER_SECONDS = "30"


def http_get(url: str) -> bytes:
    """GET ``url`` and return its body; raises ``httpx.HTTPError`` on failure. Blocking: run it in a thread."""
    # No redirects: the URL was checked to be on an SNS host, a redirect could lead anywhere.
    with httpx.Client(timeout=10.0, follow_redirects=False) as client:
        response = client.get(url)
        response.raise_for_status()
        if len(response.content) > _MAX_CERTIFICATE_BYTES:
            raise httpx.HTTPError(f"{url} answered {len(response.content)} bytes, more than a certificate")
        return response.content


class CertificateCache:
    """SNS signing certificates by URL: SNS signs every message of a region with the same one for months, so
    each is fetched once per process. Thread-safe: verification runs in worker threads."""

    def __init__(self, fetch: Callable[[str], bytes] = http_get, size: int = 32) -> None:
        self._fetch = fetch
        self._size = size
        self._certificates: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            if url in self._certificates:
                self._certificates.move_to_end(url)
                return self._certificates[url]
        pem = self._fetch(url)
        with self._lock:
            self._certificates[url] = pem
            while len(self._certificates) > self._size:
                self._certificates.popitem(last=False)
        return pem


class RecentIds:
    """The ids of the SNS messages this process handled lately (bounded): a replay is answered without work."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, message_id: object) -> bool:
        with self._lock:
            return message_id in self._ids

    def add(self, message_id: str) -> None:
        with self._lock:
            self._ids[message_id] = None
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)


@dataclass
class Webhooks:
    """What the webhook routes keep between requests; built from the settings on first use, or set on
    ``app.state.webhooks`` by a test with other fetchers."""

    settings: Settings
    fetch_certificate: Callable[[str], bytes] = field(default_factory=CertificateCache)
    # Confirms an SNS subscription by getting its SubscribeURL.
    confirm_subscription: Callable[[str], bytes] = http_get
    handled: RecentIds = field(default_factory=RecentIds)
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    @property
    def sns_policy(self) -> SnsPolicy:
        return SnsPolicy(
            topic_arns=frozenset(self.settings.sns_topic_arns), regions=frozenset(self.settings.sns_regions)
        )


def _webhooks(request: Request) -> Webhooks:
    found = getattr(request.app.state, "webhooks", None)
    if found is None:
        found = Webhooks(request.app.state.settings)
        request.app.state.webhooks = found
    assert isinstance(found, Webhooks)
    return found


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _refused(reason: str) -> Problem:
    # The reason goes to the log, not to the caller: a forger learns nothing about what failed.
    log.warning("webhook refused: %s", reason)
    return Problem(403, "Forbidden", "the webhook's signature could not be verified")


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _MAX_BODY_BYTES:
        raise Problem(413, "Payload too large", f"a webhook body is at most {_MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > _MAX_BODY_BYTES:
        raise Problem(413, "Payload too large", f"a webhook body is at most {_MAX_BODY_BYTES} bytes")
    return body


def _answer(recorded: msg.DeliveryStatusRecorded) -> Response:
    if recorded.outcome == msg.DELIVERY_OUTCOME_NOT_YET_SENT:
        return Response(status_code=503, headers={"Retry-After": _RETRY_AFTER_SECONDS})
    return Response(status_code=204)


def _public_url(request: Request, base: str) -> str:
    """The URL the provider called: the configured public base URL with this request's path and query."""
    if not base:
        return str(request.url)
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


@router.post(
    "/twilio/status",
    status_code=204,
    summary="Twilio status callback (SMS, WhatsApp, voice), signed with X-Twilio-Signature",
)
async def twilio_status(request: Request) -> Response:
    hooks = _webhooks(request)
    await _body(request)
    form = await request.form()
    pairs = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    try:
        verify_twilio_signature(
            auth_token=hooks.settings.twilio_auth_token.get_secret_value(),
            url=_public_url(request, hooks.settings.public_base_url),
            params=pairs,
            signature=request.headers.get("X-Twilio-Signature"),
        )
    except WebhookSignatureError as exc:
        raise _refused(str(exc)) from None
    fields = dict(pairs)
    # The messaging service adds the message key and channel to the callback URL of every message it sends.
    channel = request.query_params.get("channel", "")
    if not channel and "CallStatus" in fields and "MessageStatus" not in fields:
        channel = "voice"
    status = fields.get("CallStatus", "") if channel == "voice" else fields.get("MessageStatus", "")
    sid = fields.get("MessageSid") or fields.get("CallSid") or fields.get("SmsSid") or ""
    key = request.query_params.get("message_key", "")
    if not status or not (sid or key):
        # Signed by Twilio but not a status report: nothing to record, and nothing a retry would add.
        log.warning("Twilio callback without a status or a message (fields %s)", sorted(fields))
        return Response(status_code=204)
    recorded = await _bus(request).ask(
        msg.RecordDeliveryStatus(
            provider="twilio",
            message_key=key,
            provider_ref=sid,
            channel=channel,
            status=status,
            error_code=fields.get("ErrorCode", ""),
            answered_by=fields.get("AnsweredBy", ""),
            # Twilio posts each status of a message once (and again only when our answer was lost).
            provider_event_id=f"twilio:{sid or key}:{status}",
        ),
        msg.DeliveryStatusRecorded,
    )
    return _answer(recorded)


@router.post(
    "/ses/sns",
    status_code=204,
    summary="Amazon SES events through SNS (signature version 2, accepted topics only)",
)
async def ses_sns(request: Request) -> Response:
    hooks = _webhooks(request)
    # SNS posts JSON as text/plain: the body is read, not the content type.
    try:
        body = json.loads(await _body(request))
    except ValueError:
        raise Problem(400, "Bad request", "an SNS message is a JSON object") from None
    if not isinstance(body, dict):
        raise Problem(400, "Bad request", "an SNS message is a JSON object")
    try:
        # Off the event loop: the first message of a region fetches its certificate over HTTPS.
        message = await asyncio.to_thread(
            verify_sns_message,
            body,
            policy=hooks.sns_policy,
            fetch_certificate=hooks.fetch_certificate,
            seen=hooks.handled.__contains__,
            now=hooks.now(),
        )
    except SnsReplay as exc:
        log.info("%s; answered again", exc)
        return Response(status_code=200)
    except WebhookSignatureError as exc:
        raise _refused(str(exc)) from None
    except httpx.HTTPError as exc:
        # The certificate could not be fetched: answer so SNS retries later.
        log.warning("SNS signing certificate not fetched: %s", exc)
        raise Problem(503, "Service unavailable", "the SNS signing certificate could not be fetched") from None
    if message.type == "SubscriptionConfirmation":
        await _confirm(hooks, message)
    elif message.type == "Notification":
        recorded = await _bus(request).ask(_ses_report(message), msg.DeliveryStatusRecorded)
        if recorded.outcome == msg.DELIVERY_OUTCOME_NOT_YET_SENT:
            return _answer(recorded)
    else:
        log.warning("SNS %s for %s: not resubscribing by ourselves", message.type, message.topic_arn)
    hooks.handled.add(message.message_id)
    return Response(status_code=200)


async def _confirm(hooks: Webhooks, message: SnsMessage) -> None:
    # The verifier checked the SubscribeURL is on an SNS host; confirming twice is harmless.
    assert message.subscribe_url is not None
    try:
        await asyncio.to_thread(hooks.confirm_subscription, message.subscribe_url)
    except httpx.HTTPError as exc:
        log.warning("SNS subscription to %s not confirmed: %s", message.topic_arn, exc)
        raise Problem(503, "Service unavailable", "the SNS subscription could not be confirmed") from None
    log.info("SNS subscription to %s confirmed", message.topic_arn)


def _ses_report(message: SnsMessage) -> msg.RecordDeliveryStatus:
    """One report per SES event: each of our messages has one recipient, and the messaging service checks it is
    among those the event names."""
    occurred = Timestamp()
    occurred.FromDatetime(message.timestamp.astimezone(dt.UTC))
    return msg.RecordDeliveryStatus(
        provider="ses",
        ses_notification_json=message.message,
        occurred_at=occurred,
        provider_event_id=f"sns:{message.message_id}",
    )
