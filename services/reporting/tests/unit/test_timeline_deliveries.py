"""Delivery reports on the timeline: delivered, read, bounced, undelivered and complaints, each in words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opendso.common.v1.common_pb2 import EventMeta
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_reporting.domain import timeline as tl
from opendso_reporting.domain.timeline import KINDS, TRANSLATORS, WORDING, ActorType, Kind

AT = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def changed(**fields: Any) -> msg.MessageDeliveryChanged:
    meta = EventMeta(event_id="ev-7", source="messaging", entity="FR01")
    meta.occurred_at.FromDatetime(AT)
    values: dict[str, Any] = {
        "message_key": "k1",
        "message_id": "m1",
        "customer_id": "FR01/C1",
        "task_id": "task-1",
        "channel": "email",
        "recipient": "ap@dupont.example",
        "provider": "ses",
        **fields,
    }
    return msg.MessageDeliveryChanged(meta=meta, **values)


def test_a_hard_bounce_says_what_bounced_why_and_what_happens_next() -> None:
    event = changed(
        state="bounced",
        delivery_state="bounced",
        bounce="hard",
        detail="Permanent/General",
        fallback=True,
        suppress_address=True,
    )

    (entry,) = tl.message_delivery_changed(event)

    assert (entry.kind, entry.task_id, entry.item_ids) == (Kind.MESSAGE_BOUNCED, "task-1", ())
    assert (entry.actor, entry.actor_type, entry.occurred_at) == ("messaging", ActorType.SERVICE, AT)
    assert entry.summary == (
        "E-mail to ap@dupont.example bounced: Permanent/General; another channel takes over; "
        "the address is not used again"
    )
    assert (entry.detail["bounce"], entry.detail["provider"]) == ("hard", "ses")


def test_each_delivery_reading_has_its_kind_and_progress_alone_makes_no_entry() -> None:
    def kind_of(delivery_state: str, channel: str = "email") -> Kind | None:
        entries = tl.message_delivery_changed(changed(delivery_state=delivery_state, channel=channel))
        return entries[0].kind if entries else None

    assert kind_of("delivered") is Kind.MESSAGE_DELIVERED
    assert kind_of("read") is Kind.MESSAGE_READ
    assert kind_of("complained") is Kind.MESSAGE_COMPLAINED
    assert kind_of("unanswered", channel="voice") is Kind.MESSAGE_UNDELIVERED
    assert kind_of("delayed") is None
    assert kind_of("sent") is None


def test_an_undelivered_sms_reads_as_such() -> None:
    event = changed(
        channel="sms",
        recipient="+33612345678",
        state="failed",
        delivery_state="failed",
        detail="undelivered: Twilio error 30006",
        fallback=True,
    )

    (entry,) = tl.message_delivery_changed(event)

    assert (
        entry.summary
        == "SMS to +33612345678 not delivered: undelivered: Twilio error 30006; another channel takes over"
    )


def test_delivery_changes_are_translated_and_their_kinds_are_known_and_worded() -> None:
    assert TRANSLATORS[msg.MessageDeliveryChanged] is tl.message_delivery_changed
    for kind in (Kind.MESSAGE_DELIVERED, Kind.MESSAGE_READ, Kind.MESSAGE_BOUNCED, Kind.MESSAGE_UNDELIVERED):
        assert kind.value in KINDS and kind in WORDING
    assert tl.message_delivery_changed(changed(customer_id="", delivery_state="delivered")) == []
