"""What a provider's delivery report means for a message we sent.

Twilio reports a message's ``MessageStatus`` (SMS, WhatsApp) or a call's
``CallStatus`` to our status callback; Amazon SES reports e-mail events
through SNS. Each report is mapped here to one of our states, with what the
collection process should do about it: try another channel for this message
(``fallback``), and stop using the address or number (``suppress_address``).

Pure: the webhook has already verified the report's signature and parsed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class DeliveryState(StrEnum):
    PENDING = "pending"  # accepted by the provider, not yet handed on
    SENT = "sent"  # handed to the carrier or the receiving mail server
    DELAYED = "delayed"  # the provider is still retrying
    DELIVERED = "delivered"
    READ = "read"
    UNANSWERED = "unanswered"  # a call nobody picked up (busy, no answer)
    CANCELED = "canceled"
    FAILED = "failed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"  # delivered, and the recipient reported it as spam


class BounceKind(StrEnum):
    HARD = "hard"  # the address does not exist or refuses us for good
    SOFT = "soft"  # the provider gave up on this message; the address may work later


# Out-of-order reports are normal (Twilio posts each status change separately,
# SES may report a bounce after a delivery): a report only replaces the state
# we hold when it ranks higher. Failures outrank a delivery because a receiver
# can accept a message and bounce it later.
_RANK: dict[DeliveryState, int] = {
    DeliveryState.PENDING: 0,
    DeliveryState.SENT: 1,
    DeliveryState.DELAYED: 2,
    DeliveryState.DELIVERED: 3,
    DeliveryState.READ: 4,
    DeliveryState.UNANSWERED: 5,
    DeliveryState.CANCELED: 5,
    DeliveryState.FAILED: 5,
    DeliveryState.BOUNCED: 6,
    DeliveryState.COMPLAINED: 7,
}

_FINAL = frozenset(
    {
        DeliveryState.DELIVERED,
        DeliveryState.READ,
        DeliveryState.UNANSWERED,
        DeliveryState.CANCELED,
        DeliveryState.FAILED,
        DeliveryState.BOUNCED,
        DeliveryState.COMPLAINED,
    }
)


@dataclass(frozen=True)
class StatusUpdate:
    """Our reading of one delivery report."""

    state: DeliveryState
    # Another channel should carry this message: the debtor was not reached.
    fallback: bool = False
    # The address or number must not be used again until someone fixes it.
    suppress_address: bool = False
    bounce: BounceKind | None = None
    # The provider's words, for the timeline: "Permanent/NoEmail", "Twilio error 30006".
    detail: str = ""

    @property
    def final(self) -> bool:
        """No later report is expected to change what happened (except a read, bounce or complaint)."""
        return self.state in _FINAL


class UnknownStatus(ValueError):
    """A report whose status this module does not know: it names the value and where it came from."""


def supersedes(new: DeliveryState, current: DeliveryState | None) -> bool:
    """Whether a report in state ``new`` should replace the state we hold.

    A repeated or older report (a "sent" arriving after "delivered") does not.
    """
    return current is None or _RANK[new] > _RANK[current]


# Twilio error codes that say the number itself is unusable for this channel,
# as opposed to a passing carrier problem (https://www.twilio.com/docs/api/errors).
_TWILIO_UNUSABLE_NUMBER = {
    "21211": "invalid 'To' number",
    "21214": "'To' number cannot be reached",
    "21610": "recipient unsubscribed (replied STOP)",
    "21614": "'To' number is not a mobile number",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "63003": "WhatsApp: no account for the 'To' number",
}


def from_twilio_message(status: str, error_code: str | None = None) -> StatusUpdate:
    """Map a Twilio ``MessageStatus`` (SMS or WhatsApp) and its ``ErrorCode``."""
    normalized = status.strip().lower()
    if normalized in {"accepted", "scheduled", "queued", "sending"}:
        return StatusUpdate(DeliveryState.PENDING, detail=normalized)
    if normalized == "sent":
        return StatusUpdate(DeliveryState.SENT, detail=normalized)
    if normalized in {"delivered", "partially_delivered"}:
        return StatusUpdate(DeliveryState.DELIVERED, detail=normalized)
    if normalized == "read":
        return StatusUpdate(DeliveryState.READ, detail=normalized)
    if normalized == "canceled":
        # We cancel only scheduled messages, so nobody was reached.
        return StatusUpdate(DeliveryState.CANCELED, fallback=True, detail=normalized)
    if normalized in {"undelivered", "failed"}:
        code = (error_code or "").strip()
        unusable = _TWILIO_UNUSABLE_NUMBER.get(code)
        detail = f"{normalized}: Twilio error {code}" if code else normalized
        if unusable:
            detail = f"{detail} ({unusable})"
        return StatusUpdate(DeliveryState.FAILED, fallback=True, suppress_address=unusable is not None, detail=detail)
    raise UnknownStatus(f"unknown Twilio MessageStatus {status!r}")


def from_twilio_call(status: str, answered_by: str | None = None) -> StatusUpdate:
    """Map a Twilio ``CallStatus`` and, when machine detection ran, ``AnsweredBy``."""
    normalized = status.strip().lower()
    if normalized in {"queued", "initiated", "ringing"}:
        return StatusUpdate(DeliveryState.PENDING, detail=normalized)
    if normalized == "in-progress":
        return StatusUpdate(DeliveryState.SENT, detail=normalized)
    if normalized == "completed":
        if (answered_by or "").strip().lower() == "fax":
            return StatusUpdate(
                DeliveryState.FAILED, fallback=True, suppress_address=True, detail="completed: answered by a fax"
            )
        # A voicemail that heard the message counts as delivered: the debtor
        # will hear it, as with a letter in the mailbox.
        detail = f"completed: answered by {answered_by}" if answered_by else normalized
        return StatusUpdate(DeliveryState.DELIVERED, detail=detail)
    if normalized in {"busy", "no-answer"}:
        return StatusUpdate(DeliveryState.UNANSWERED, fallback=True, detail=normalized)
    if normalized == "canceled":
        return StatusUpdate(DeliveryState.CANCELED, fallback=True, detail=normalized)
    if normalized == "failed":
        # Twilio fails a call it cannot place at all, typically an invalid or unreachable number.
        return StatusUpdate(DeliveryState.FAILED, fallback=True, detail=normalized)
    raise UnknownStatus(f"unknown Twilio CallStatus {status!r}")


@dataclass(frozen=True)
class SesReport:
    """An SES event: what it means, which SES message it is about and which recipients it names."""

    update: StatusUpdate
    ses_message_id: str
    # The recipients the event is about (a bounce may concern only some of them); empty when SES does not say.
    recipients: tuple[str, ...]


def _section(notification: Mapping[str, object], name: str) -> Mapping[str, object]:
    value = notification.get(name)
    return value if isinstance(value, Mapping) else {}


def _addresses(entries: object) -> tuple[str, ...]:
    if not isinstance(entries, list):
        return ()
    found = (entry.get("emailAddress") for entry in entries if isinstance(entry, Mapping))
    return tuple(address for address in found if isinstance(address, str))


def from_ses_notification(notification: Mapping[str, object]) -> SesReport:
    """Map an SES notification (the JSON inside the SNS ``Message``).

    Both SES formats are read: feedback notifications name their kind in
    ``notificationType``, event publishing (configuration sets) in ``eventType``.
    """
    kind = notification.get("eventType", notification.get("notificationType"))
    if not isinstance(kind, str) or not kind:
        raise UnknownStatus("SES notification has neither eventType nor notificationType")
    mail = _section(notification, "mail")
    message_id = mail.get("messageId")
    ses_message_id = message_id if isinstance(message_id, str) else ""
    destination = mail.get("destination")
    all_recipients = tuple(a for a in destination if isinstance(a, str)) if isinstance(destination, list) else ()

    if kind == "Bounce":
        bounce = _section(notification, "bounce")
        bounce_type = str(bounce.get("bounceType", ""))
        sub_type = str(bounce.get("bounceSubType", ""))
        # Only Permanent is a verdict on the address; Transient (mailbox full,
        # message too large) and Undetermined say SES gave up on this message.
        hard = bounce_type == "Permanent"
        if bounce_type not in {"Permanent", "Transient", "Undetermined"}:
            raise UnknownStatus(f"SES bounce with unknown bounceType {bounce_type!r}")
        update = StatusUpdate(
            DeliveryState.BOUNCED,
            fallback=True,
            suppress_address=hard,
            bounce=BounceKind.HARD if hard else BounceKind.SOFT,
            detail=f"{bounce_type}/{sub_type}" if sub_type else bounce_type,
        )
        return SesReport(update, ses_message_id, _addresses(bounce.get("bouncedRecipients")) or all_recipients)
    if kind == "Complaint":
        complaint = _section(notification, "complaint")
        feedback = complaint.get("complaintFeedbackType")
        # The debtor got the message and objects to the e-mails: no other
        # channel for this one, and no more e-mail to that address.
        update = StatusUpdate(
            DeliveryState.COMPLAINED,
            suppress_address=True,
            detail=f"complaint: {feedback}" if isinstance(feedback, str) else "complaint",
        )
        return SesReport(update, ses_message_id, _addresses(complaint.get("complainedRecipients")) or all_recipients)
    simple: dict[str, StatusUpdate] = {
        "Send": StatusUpdate(DeliveryState.SENT, detail="Send"),
        "Delivery": StatusUpdate(DeliveryState.DELIVERED, detail="Delivery"),
        "DeliveryDelay": StatusUpdate(DeliveryState.DELAYED, detail=_delay_detail(notification)),
        "Open": StatusUpdate(DeliveryState.READ, detail="Open"),
        # A click implies the mail was read; the link itself is tracked elsewhere.
        "Click": StatusUpdate(DeliveryState.READ, detail="Click"),
        # SES refused to send (a virus in the content): nobody was reached.
        "Reject": StatusUpdate(DeliveryState.FAILED, fallback=True, detail=_reject_detail(notification)),
        # Our template failed in SES: nobody was reached, and the fault is ours.
        "Rendering Failure": StatusUpdate(DeliveryState.FAILED, fallback=True, detail="Rendering Failure"),
    }
    if kind in simple:
        return SesReport(simple[kind], ses_message_id, all_recipients)
    raise UnknownStatus(f"unknown SES event type {kind!r}")


def _delay_detail(notification: Mapping[str, object]) -> str:
    delay_type = _section(notification, "deliveryDelay").get("delayType")
    return f"DeliveryDelay: {delay_type}" if isinstance(delay_type, str) else "DeliveryDelay"


def _reject_detail(notification: Mapping[str, object]) -> str:
    reason = _section(notification, "reject").get("reason")
    return f"Reject: {reason}" if isinstance(reason, str) else "Reject"
