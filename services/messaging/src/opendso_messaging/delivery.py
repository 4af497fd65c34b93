"""Delivery reports: what a provider said about a message we sent, applied to the message once and in order.

The gateway verifies a webhook's signature and forwards the report as it came (``RecordDeliveryStatus``); this
module reads it with ``domain/delivery_status.py``, finds the message (by our key, our message id, or the
provider's reference), and moves the message's state only when the report ``supersedes`` what is known: reports
arrive out of order (Twilio posts each status change on its own, SES may report a bounce after a delivery), and a
late "sent" must never hide a "delivered". Each report is recorded under the provider's id for it, so the same
report delivered twice changes nothing the second time. A change publishes ``MessageDeliveryChanged``, which the
timeline shows and the collection engine acts on (another channel, a bounced address).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest

from opendso_messaging.domain.delivery_status import (
    DeliveryState,
    StatusUpdate,
    UnknownStatus,
    from_ses_notification,
    from_twilio_call,
    from_twilio_message,
    supersedes,
)
from opendso_messaging.store import DeliveryReport, MessageRecord, UnitOfWork

log = logging.getLogger(__name__)

# The state a message shows for each reading of a report (store.STATES). A complaint means it was delivered.
VISIBLE_STATE: Mapping[DeliveryState, str] = {
    DeliveryState.PENDING: "sent",
    DeliveryState.SENT: "sent",
    DeliveryState.DELAYED: "sent",
    DeliveryState.DELIVERED: "delivered",
    DeliveryState.READ: "read",
    DeliveryState.UNANSWERED: "failed",
    DeliveryState.CANCELED: "cancelled",
    DeliveryState.FAILED: "failed",
    DeliveryState.BOUNCED: "bounced",
    DeliveryState.COMPLAINED: "delivered",
}
# What a message's own state says of its delivery before any report changed it (the dispatcher's "sent", or a
# state from before reports were kept).
_KNOWN_FROM_STATE: Mapping[str, DeliveryState] = {
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "bounced": DeliveryState.BOUNCED,
    "failed": DeliveryState.FAILED,
    "cancelled": DeliveryState.CANCELED,
}
# The dispatcher owns a message until its provider accepted it (it moves it from "sending" to "sent" only).
_NOT_YET_SENT = frozenset({"queued", "sending"})
_TWILIO_TEXT = frozenset({"sms", "whatsapp"})


@dataclass(frozen=True)
class Reading:
    """One report, read: what it means, and which recipients it concerns (empty: the message's)."""

    update: StatusUpdate
    recipients: tuple[str, ...] = ()


class StateChangedMeanwhile(RuntimeError):
    """Another report moved the message while this one was applied: answered as an error so the provider
    retries, and the retry compares with the newer state."""


def read_report(command: msg.RecordDeliveryStatus, channel: str) -> Reading:
    """Our reading of the report; ``UnknownStatus`` for a status we do not know, ``InvalidRequest`` for a report
    that is not one (an unknown provider or channel, an SES payload that is not JSON)."""
    if command.provider == "twilio":
        if channel == "voice":
            return Reading(from_twilio_call(command.status, command.answered_by or None))
        if channel in _TWILIO_TEXT:
            return Reading(from_twilio_message(command.status, command.error_code or None))
        raise InvalidRequest(f"Twilio report on channel {channel!r}: expected sms, whatsapp or voice")
    if command.provider == "ses":
        report = from_ses_notification(_ses_notification(command))
        return Reading(report.update, report.recipients)
    raise InvalidRequest(f"unknown provider {command.provider!r}: expected twilio or ses")


def current_delivery(message_state: str, applied: Iterable[str]) -> DeliveryState | None:
    """The highest-ranked of what the message's state and the reports applied to it say."""
    current: DeliveryState | None = None
    for candidate in (_KNOWN_FROM_STATE.get(message_state), *(DeliveryState(s) for s in applied)):
        if candidate is not None and supersedes(candidate, current):
            current = candidate
    return current


def visible_state(new: DeliveryState, message_state: str) -> str:
    # A complaint after the debtor opened it leaves it "read", not back to "delivered".
    if new is DeliveryState.COMPLAINED and message_state == "read":
        return "read"
    return VISIBLE_STATE[new]


async def record_delivery_status(
    command: msg.RecordDeliveryStatus,
    uow: UnitOfWork,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> msg.DeliveryStatusRecorded:
    """Apply one delivery report, once; answers what was done with it, and commits."""
    report_id = command.provider_event_id
    if not report_id:
        raise InvalidRequest("a delivery report needs its provider_event_id, which makes it count once")
    if await uow.deliveries.recorded(report_id):
        return msg.DeliveryStatusRecorded(
            outcome=msg.DELIVERY_OUTCOME_DUPLICATE, detail=f"report {report_id!r} was recorded before"
        )
    key = await _message_key(command, uow)
    record = None if key is None else await uow.deliveries.message_for_update(key)
    if record is None:
        log.warning("%s report %s names no message of ours", command.provider, report_id)
        return msg.DeliveryStatusRecorded(
            outcome=msg.DELIVERY_OUTCOME_UNKNOWN_MESSAGE, detail="no message matches this report"
        )
    try:
        reading = read_report(command, command.channel or record.channel)
    except UnknownStatus as exc:
        log.warning("%s report %s on %s not understood: %s", command.provider, report_id, record.message_key, exc)
        return _answer(msg.DELIVERY_OUTCOME_UNKNOWN_STATUS, record, record.state, str(exc))
    update = reading.update
    received = now()
    occurred = command.occurred_at.ToDatetime(tzinfo=dt.UTC) if command.HasField("occurred_at") else received

    async def keep(applied: bool) -> None:
        await uow.deliveries.add(
            DeliveryReport(
                report_id=report_id,
                message_key=record.message_key,
                provider=command.provider,
                delivery_state=update.state.value,
                applied=applied,
                detail=update.detail,
                occurred_at=occurred,
                received_at=received,
            )
        )

    if record.state in _NOT_YET_SENT:
        if supersedes(update.state, DeliveryState.SENT):
            # Not recorded: the provider's retry, once the dispatcher has recorded the send, applies it.
            return _answer(msg.DELIVERY_OUTCOME_NOT_YET_SENT, record, record.state, update.detail)
        # "queued" or "sent" from the provider while we are still sending: the dispatcher will say as much.
        await keep(False)
        await uow.commit()
        return _answer(msg.DELIVERY_OUTCOME_STALE, record, record.state, update.detail)
    wanted = {r.casefold() for r in reading.recipients}
    concerns_us = not wanted or record.recipient.casefold() in wanted
    current = current_delivery(record.state, await uow.deliveries.applied_states(record.message_key))
    if not concerns_us or not supersedes(update.state, current):
        await keep(False)
        await uow.commit()
        return _answer(msg.DELIVERY_OUTCOME_STALE, record, record.state, update.detail)

    state = visible_state(update.state, record.state)
    extra: dict[str, object] = {"last_error": update.detail} if state in {"bounced", "failed", "cancelled"} else {}
    if not await uow.messages.set_state(record.message_key, state, expect=record.state, updated_at=received, **extra):
        raise StateChangedMeanwhile(f"message {record.message_key!r} changed while report {report_id!r} was applied")
    await keep(True)
    await uow.publish(_changed(uow, record, state, update, command.provider, occurred))
    await uow.commit()
    return _answer(msg.DELIVERY_OUTCOME_APPLIED, record, state, update.detail)


def _answer(
    outcome: msg.DeliveryOutcome.ValueType, record: MessageRecord, state: str, detail: str
) -> msg.DeliveryStatusRecorded:
    return msg.DeliveryStatusRecorded(
        outcome=outcome,
        message_key=record.message_key,
        state=state,
        detail=detail,
    )


def _changed(
    uow: UnitOfWork, record: MessageRecord, state: str, update: StatusUpdate, provider: str, occurred: dt.datetime
) -> msg.MessageDeliveryChanged:
    reported_at = Timestamp()
    reported_at.FromDatetime(occurred)
    return msg.MessageDeliveryChanged(
        meta=uow.meta(entity=record.entity),
        message_key=record.message_key,
        message_id=record.message_id,
        customer_id=record.customer_id,
        task_id=record.task_id,
        channel=record.channel,
        recipient=record.recipient,
        state=state,
        fallback=update.fallback,
        suppress_address=update.suppress_address,
        detail=update.detail,
        delivery_state=update.state.value,
        bounce=update.bounce.value if update.bounce is not None else "",
        provider=provider,
        reported_at=reported_at,
    )


async def _message_key(command: msg.RecordDeliveryStatus, uow: UnitOfWork) -> str | None:
    """The key of the message a report is about: by our key, else our message id, else the provider's ref.

    An SES report names our message id in the ``opendso_message_id`` tag the sender sets, and the SES
    MessageId (our provider_ref) in ``mail.messageId``; both are read here when the command does not carry them.
    """
    if command.message_key:
        return command.message_key
    message_id, provider_ref = command.message_id, command.provider_ref
    if command.provider == "ses" and not (message_id and provider_ref):
        tagged, ses_id = _ses_ids(_ses_notification(command))
        message_id, provider_ref = message_id or tagged, provider_ref or ses_id
    if message_id:
        found = await uow.messages.by_message_id(message_id)
        if found is not None:
            return found.message_key
    if provider_ref:
        return await uow.deliveries.key_by_provider_ref(provider_ref)
    return None


def _ses_notification(command: msg.RecordDeliveryStatus) -> Mapping[str, object]:
    try:
        notification = json.loads(command.ses_notification_json)
    except ValueError as exc:
        raise InvalidRequest(f"the SES notification is not JSON: {exc}") from exc
    if not isinstance(notification, dict):
        raise InvalidRequest("the SES notification is not a JSON object")
    return notification


def _ses_ids(notification: Mapping[str, object]) -> tuple[str, str]:
    """(our message id from the message's tags, the SES MessageId), each "" when absent."""
    mail = notification.get("mail")
    if not isinstance(mail, dict):
        return "", ""
    tags = mail.get("tags")
    values = tags.get("opendso_message_id") if isinstance(tags, dict) else None
    tagged = values[0] if isinstance(values, list) and values and isinstance(values[0], str) else ""
    ses_id = mail.get("messageId")
    return tagged, ses_id if isinstance(ses_id, str) else ""
