from __future__ import annotations

import pytest
from opendso_messaging.domain.delivery_status import (
    BounceKind,
    DeliveryState,
    UnknownStatus,
    from_ses_notification,
    from_twilio_call,
    from_twilio_message,
    supersedes,
)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("accepted", DeliveryState.PENDING),
        ("scheduled", DeliveryState.PENDING),
        ("queued", DeliveryState.PENDING),
        ("sending", DeliveryState.PENDING),
        ("sent", DeliveryState.SENT),
        ("delivered", DeliveryState.DELIVERED),
        ("read", DeliveryState.READ),
        ("canceled", DeliveryState.CANCELED),
        ("undelivered", DeliveryState.FAILED),
        ("failed", DeliveryState.FAILED),
    ],
)
def test_every_twilio_message_status_has_a_state(status: str, state: DeliveryState) -> None:
    assert from_twilio_message(status).state is state


def test_a_delivered_sms_is_final_and_needs_no_other_channel() -> None:
    update = from_twilio_message("delivered")
    assert update.final
    assert not update.fallback
    assert not update.suppress_address


def test_a_queued_sms_is_not_final() -> None:
    assert not from_twilio_message("queued").final


def test_an_undelivered_sms_to_a_landline_falls_back_and_suppresses_the_number() -> None:
    update = from_twilio_message("undelivered", "30006")
    assert update.state is DeliveryState.FAILED
    assert update.fallback
    assert update.suppress_address
    assert "30006" in update.detail
    assert "landline" in update.detail


def test_a_carrier_hiccup_falls_back_but_keeps_the_number() -> None:
    update = from_twilio_message("undelivered", "30003")
    assert update.fallback
    assert not update.suppress_address


def test_a_whatsapp_message_that_was_read_is_read() -> None:
    update = from_twilio_message("READ")
    assert update.state is DeliveryState.READ
    assert update.final


def test_an_unknown_twilio_message_status_is_named_in_the_error() -> None:
    with pytest.raises(UnknownStatus, match="'teleported'"):
        from_twilio_message("teleported")


@pytest.mark.parametrize(
    ("status", "state", "fallback"),
    [
        ("queued", DeliveryState.PENDING, False),
        ("initiated", DeliveryState.PENDING, False),
        ("ringing", DeliveryState.PENDING, False),
        ("in-progress", DeliveryState.SENT, False),
        ("completed", DeliveryState.DELIVERED, False),
        ("busy", DeliveryState.UNANSWERED, True),
        ("no-answer", DeliveryState.UNANSWERED, True),
        ("canceled", DeliveryState.CANCELED, True),
        ("failed", DeliveryState.FAILED, True),
    ],
)
def test_every_twilio_call_status_has_a_state(status: str, state: DeliveryState, fallback: bool) -> None:
    update = from_twilio_call(status)
    assert update.state is state
    assert update.fallback is fallback


def test_a_call_answered_by_voicemail_counts_as_delivered() -> None:
    update = from_twilio_call("completed", answered_by="machine_end_beep")
    assert update.state is DeliveryState.DELIVERED
    assert "machine_end_beep" in update.detail


def test_a_call_answered_by_a_fax_fails_and_suppresses_the_number() -> None:
    update = from_twilio_call("completed", answered_by="fax")
    assert update.state is DeliveryState.FAILED
    assert update.fallback
    assert update.suppress_address


def test_an_unknown_call_status_is_named_in_the_error() -> None:
    with pytest.raises(UnknownStatus, match="CallStatus 'hung-up'"):
        from_twilio_call("hung-up")


def _ses(kind: str, **sections: object) -> dict[str, object]:
    notification: dict[str, object] = {
        "notificationType": kind,
        "mail": {"messageId": "0100-ses-1", "destination": ["marie@dupont.example", "compta@dupont.example"]},
    }
    notification.update(sections)
    return notification


def test_a_permanent_bounce_is_hard_falls_back_and_suppresses_the_address() -> None:
    report = from_ses_notification(
        _ses(
            "Bounce",
            bounce={
                "bounceType": "Permanent",
                "bounceSubType": "NoEmail",
                "bouncedRecipients": [{"emailAddress": "marie@dupont.example"}],
            },
        )
    )
    assert report.update.state is DeliveryState.BOUNCED
    assert report.update.bounce is BounceKind.HARD
    assert report.update.fallback
    assert report.update.suppress_address
    assert report.update.detail == "Permanent/NoEmail"
    assert report.ses_message_id == "0100-ses-1"
    assert report.recipients == ("marie@dupont.example",)


def test_a_transient_bounce_is_soft_falls_back_and_keeps_the_address() -> None:
    report = from_ses_notification(_ses("Bounce", bounce={"bounceType": "Transient", "bounceSubType": "MailboxFull"}))
    assert report.update.bounce is BounceKind.SOFT
    assert report.update.fallback
    assert not report.update.suppress_address
    # Without bouncedRecipients the bounce concerns every destination.
    assert report.recipients == ("marie@dupont.example", "compta@dupont.example")


def test_an_undetermined_bounce_is_soft() -> None:
    report = from_ses_notification(_ses("Bounce", bounce={"bounceType": "Undetermined"}))
    assert report.update.bounce is BounceKind.SOFT


def test_a_bounce_of_an_unknown_type_is_named_in_the_error() -> None:
    with pytest.raises(UnknownStatus, match="'Sideways'"):
        from_ses_notification(_ses("Bounce", bounce={"bounceType": "Sideways"}))


def test_a_complaint_suppresses_the_address_without_falling_back() -> None:
    report = from_ses_notification(
        _ses(
            "Complaint",
            complaint={
                "complaintFeedbackType": "abuse",
                "complainedRecipients": [{"emailAddress": "compta@dupont.example"}],
            },
        )
    )
    assert report.update.state is DeliveryState.COMPLAINED
    assert report.update.suppress_address
    assert not report.update.fallback
    assert report.recipients == ("compta@dupont.example",)
    assert report.update.detail == "complaint: abuse"


def test_a_reject_fails_and_falls_back() -> None:
    report = from_ses_notification(_ses("Reject", reject={"reason": "Bad content"}))
    assert report.update.state is DeliveryState.FAILED
    assert report.update.fallback
    assert report.update.detail == "Reject: Bad content"


def test_a_delivery_delay_waits_for_ses() -> None:
    report = from_ses_notification(_ses("DeliveryDelay", deliveryDelay={"delayType": "MailboxFull"}))
    assert report.update.state is DeliveryState.DELAYED
    assert not report.update.final
    assert not report.update.fallback


@pytest.mark.parametrize(
    ("kind", "state"),
    [("Send", DeliveryState.SENT), ("Delivery", DeliveryState.DELIVERED), ("Open", DeliveryState.READ)],
)
def test_event_publishing_names_its_kind_in_event_type(kind: str, state: DeliveryState) -> None:
    report = from_ses_notification({"eventType": kind, "mail": {"messageId": "0100-ses-2"}})
    assert report.update.state is state
    assert report.ses_message_id == "0100-ses-2"


def test_an_ses_notification_without_a_kind_is_refused() -> None:
    with pytest.raises(UnknownStatus, match="neither eventType nor notificationType"):
        from_ses_notification({"mail": {}})


def test_an_unknown_ses_event_is_named_in_the_error() -> None:
    with pytest.raises(UnknownStatus, match="'Subscription'"):
        from_ses_notification({"eventType": "Subscription"})


def test_a_late_sent_report_does_not_undo_a_delivery() -> None:
    assert not supersedes(DeliveryState.SENT, DeliveryState.DELIVERED)
    assert supersedes(DeliveryState.DELIVERED, DeliveryState.SENT)


def test_a_repeated_report_changes_nothing() -> None:
    assert not supersedes(DeliveryState.DELIVERED, DeliveryState.DELIVERED)


def test_a_bounce_after_a_delivery_wins() -> None:
    assert supersedes(DeliveryState.BOUNCED, DeliveryState.DELIVERED)
    assert supersedes(DeliveryState.READ, DeliveryState.DELIVERED)
    assert not supersedes(DeliveryState.READ, DeliveryState.BOUNCED)


def test_the_first_report_always_applies() -> None:
    assert supersedes(DeliveryState.PENDING, None)
