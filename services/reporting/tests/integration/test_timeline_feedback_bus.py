"""What debtors, colleagues and partners tell, and a message that may have gone out, on a real nats-server: each
event reaches the timeline through a durable consumer of its own, and a replayed event adds nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import nats
import pytest
from google.protobuf.message import Message
from nats.js import JetStreamContext
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, EventMeta, Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus.client import request
from opendso_bus.service import prepare_database
from opendso_contracts.registry import subject_for
from opendso_reporting.app import MIGRATIONS, create_app
from opendso_reporting.settings import Settings

from conftest import MakeDatabase, eventually

pytestmark = pytest.mark.integration

# The consumer of each event, as the service names it: "reporting-timeline-<event's subject>".
CONSUMERS = {
    col.ItemCommented: "reporting-timeline-item-commented",
    col.PaymentDeclared: "reporting-timeline-payment-declared",
    col.DisputeQuestionAnswered: "reporting-timeline-dispute-question-answered",
    col.PartnerOutcomeRecorded: "reporting-timeline-partner-outcome-recorded",
}


async def publish(js: JetStreamContext, event: Message, message_id: str) -> None:
    await js.publish(subject_for(type(event)), event.SerializeToString(), headers={"Nats-Msg-Id": message_id})


def meta(entity: str, source: str, hour: int) -> EventMeta:
    m = EventMeta(event_id=str(uuid.uuid4()), source=source, entity=entity)
    m.occurred_at.FromDatetime(dt.datetime(2026, 11, 25, hour, 0, tzinfo=dt.UTC))
    return m


async def test_what_debtors_colleagues_and_partners_tell_reaches_the_timeline_once(
    nats_url: str, make_database: MakeDatabase
) -> None:
    settings = Settings(
        nats_url=nats_url,
        database_url=await make_database("reporting_feedback_bus"),
        trace_exporter="none",
        retry_delay_seconds=0.1,
    )
    await prepare_database(settings, MIGRATIONS)
    runtime = create_app(settings)
    await runtime.start()
    nc = await nats.connect(nats_url)
    # Unique per run: the session's nats-server keeps every test's events.
    entity = f"T{uuid.uuid4().hex[:8]}"
    customer = f"{entity}/C1"
    f1, f2 = f"{entity}/invoice/F-1", f"{entity}/invoice/F-2"
    try:
        js = nc.jetstream()
        comment = col.ItemCommented(
            meta=meta(entity, "scenario", 8),
            comment_id="note-1",
            customer_id=customer,
            item_id=f1,
            comment="Wrong price on line 2",
            user=f"portal:{customer}",
        )
        declaration = col.PaymentDeclared(
            meta=meta(entity, "scenario", 9),
            declaration_id="note-2",
            customer_id=customer,
            item_ids=[f1, f2],
            amount=Money(amount="300.00", currency="EUR"),
            paid_on=Date(year=2026, month=11, day=24),
            user=f"portal:{customer}",
            paused_until=Date(year=2026, month=12, day=9),
        )
        answer = col.DisputeQuestionAnswered(
            meta=meta(entity, "scenario", 10),
            answer_id="note-3",
            customer_id=customer,
            item_id=f1,
            answer="Credit note coming",
            user=f"internal link ({customer}, {f1})",
            owner="sales",
        )
        recovered = col.PartnerOutcomeRecorded(
            meta=meta(entity, "scenario", 11),
            outcome_id="note-4",
            case_id="case-1",
            customer_id=customer,
            partner_id="legalco",
            kind=col.PARTNER_OUTCOME_KIND_RECOVERED,
            recovered=Money(amount="120.00", currency="EUR"),
            item_ids=[f2],
        )
        unconfirmed = msg.MessageFailed(
            meta=meta(entity, "messaging", 12),
            message_key="k-1",
            customer_id=customer,
            channel="email",
            reason="email-smtp did not accept the message (ambiguous, 421): 421 closing after the message was handed "
            "over: the server may have accepted it; not sent again",
        )
        events: list[Message] = [comment, declaration, answer, recovered, unconfirmed]
        event_ids = [e.meta.event_id for e in (comment, declaration, answer, recovered, unconfirmed)]
        for event, event_id in zip(events, event_ids, strict=True):
            await publish(js, event, event_id)

        expected = ["message.unknown", "case.outcome", "dispute.answered", "payment.declared", "item.commented"]

        async def all_recorded() -> bool:
            page = await request(nc, rp.GetTimeline(customer_id=customer), rp.Timeline)
            return [e.kind for e in page.entries] == expected

        await eventually(all_recorded)
        for event_type, consumer in CONSUMERS.items():
            info = await js.consumer_info("OPENDSO_COLLECTION", consumer)
            assert info.config.filter_subject == subject_for(event_type)

        # A replay from the dead-letter stream comes with a new message id but the same event id.
        for event in events:
            await publish(js, event, f"replay-{uuid.uuid4()}")

        async def replays_handled() -> bool:
            # Handled means acknowledged by each timeline consumer, not merely delivered.
            for stream, consumer in [
                *(("OPENDSO_COLLECTION", c) for c in CONSUMERS.values()),
                ("OPENDSO_MESSAGING", "reporting-timeline-message-failed"),
            ]:
                info = await js.consumer_info(stream, consumer)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await eventually(replays_handled)
        page = await request(nc, rp.GetTimeline(customer_id=customer), rp.Timeline)
        assert [e.entry_id for e in page.entries] == event_ids[::-1]
        by_kind = {e.kind: e for e in page.entries}
        assert json.loads(by_kind["payment.declared"].detail_json)["amount"] == {"amount": "300.00", "currency": "EUR"}
        assert list(by_kind["payment.declared"].item_ids) == [f1, f2]
        assert json.loads(by_kind["case.outcome"].detail_json)["recovered"] == {"amount": "120.00", "currency": "EUR"}
        assert by_kind["message.unknown"].summary.startswith("E-mail may have been delivered")

        # An item's own timeline holds what was told about it.
        first = await request(nc, rp.GetTimeline(customer_id=customer, item_id=f1), rp.Timeline)
        assert [e.kind for e in first.entries] == ["dispute.answered", "payment.declared", "item.commented"]
        declared_only = await request(nc, rp.GetTimeline(customer_id=customer, kinds=["payment.declared"]), rp.Timeline)
        assert [e.entry_id for e in declared_only.entries] == [declaration.meta.event_id]
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()
