"""How a delivery report is read and ranked against what a message already shows, without a database."""

from __future__ import annotations

import json

import pytest
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest
from opendso_messaging.delivery import current_delivery, read_report, visible_state
from opendso_messaging.domain.delivery_status import DeliveryState, UnknownStatus


def test_reports_applied_outrank_the_message_state_they_came_after() -> None:
    assert current_delivery("sent", []) is DeliveryState.SENT
    assert current_delivery("delivered", ["delivered", "complained"]) is DeliveryState.COMPLAINED
    assert current_delivery("queued", []) is None


def test_a_complaint_after_the_message_was_read_keeps_it_read() -> None:
    assert visible_state(DeliveryState.COMPLAINED, "read") == "read"
    assert visible_state(DeliveryState.COMPLAINED, "delivered") == "delivered"
    assert visible_state(DeliveryState.UNANSWERED, "sent") == "failed"


def test_a_twilio_report_is_read_by_the_channel_of_its_message() -> None:
    call = msg.RecordDeliveryStatus(provider="twilio", status="no-answer")
    text = msg.RecordDeliveryStatus(provider="twilio", status="undelivered", error_code="30006")

    assert read_report(call, "voice").update.state is DeliveryState.UNANSWERED
    assert read_report(text, "sms").update.suppress_address is True
    with pytest.raises(UnknownStatus):
        read_report(msg.RecordDeliveryStatus(provider="twilio", status="no-answer"), "sms")
    with pytest.raises(InvalidRequest):
        read_report(call, "email")


def test_an_ses_report_names_the_recipients_it_is_about() -> None:
    notification = {
        "notificationType": "Complaint",
        "mail": {"messageId": "ses-1", "destination": ["a@x.example", "b@x.example"]},
        "complaint": {"complainedRecipients": [{"emailAddress": "b@x.example"}]},
    }

    reading = read_report(msg.RecordDeliveryStatus(provider="ses", ses_notification_json=json.dumps(notification)), "")

    assert reading.recipients == ("b@x.example",)
    assert reading.update.state is DeliveryState.COMPLAINED
    with pytest.raises(InvalidRequest):
        read_report(msg.RecordDeliveryStatus(provider="ses", ses_notification_json="not json"), "")
