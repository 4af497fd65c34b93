"""The reporting service on a real nats-server: the timeline's consumers run beside the aging's on the same
subjects, and GetTimeline answers over the bus."""

from __future__ import annotations

import datetime as dt
import uuid

import nats
import pytest
from google.protobuf.message import Message
from nats.js import JetStreamContext
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, EventMeta, Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import RemoteError
from opendso_bus.client import request
from opendso_bus.service import prepare_database
from opendso_contracts.registry import subject_for
from opendso_reporting.app import MIGRATIONS, create_app
from opendso_reporting.settings import Settings

from conftest import MakeDatabase, eventually

pytestmark = pytest.mark.integration


async def publish(js: JetStreamContext, event: Message, message_id: str) -> None:
    await js.publish(subject_for(type(event)), event.SerializeToString(), headers={"Nats-Msg-Id": message_id})


async def test_events_on_the_bus_reach_the_timeline_and_a_replay_adds_nothing(
    nats_url: str, make_database: MakeDatabase
) -> None:
    settings = Settings(
        nats_url=nats_url,
        database_url=await make_database("reporting_bus"),
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
    try:
        js = nc.jetstream()
        opened = rv.ItemOpened(
            meta=EventMeta(event_id=str(uuid.uuid4()), source="importer", entity=entity),
            item=rv.OpenItem(
                item_id=f"{entity}/invoice/F-1",
                customer_id=customer,
                entity=entity,
                number="F-1",
                kind=rv.ITEM_KIND_INVOICE,
                due_date=Date(year=2026, month=10, day=31),
                amount=Money(amount="100.00", currency="EUR"),
                open_amount=Money(amount="100.00", currency="EUR"),
            ),
        )
        opened.meta.occurred_at.FromDatetime(dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC))
        failed = msg.MessageFailed(
            meta=EventMeta(event_id=str(uuid.uuid4()), source="messaging", entity=entity),
            customer_id=customer,
            channel="email",
            reason="mailbox full",
        )
        failed.meta.occurred_at.FromDatetime(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC))
        # A collection event: the newer kinds have consumers of their own too.
        broken = col.PaymentPlanBroken(
            meta=EventMeta(event_id=str(uuid.uuid4()), source="scenario", entity=entity),
            plan_id="PP-1",
            customer_id=customer,
            item_ids=[f"{entity}/invoice/F-1"],
            missed_instalments=["PP-1-01"],
        )
        broken.meta.occurred_at.FromDatetime(dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC))
        await publish(js, opened, opened.meta.event_id)
        await publish(js, failed, failed.meta.event_id)
        await publish(js, broken, broken.meta.event_id)

        async def all_recorded() -> bool:
            answer = await request(nc, rp.GetTimeline(customer_id=customer), rp.Timeline)
            return [e.kind for e in answer.entries] == ["payment_plan.broken", "message.failed", "item.opened"]

        await eventually(all_recorded)
        plan_consumer = await js.consumer_info("OPENDSO_COLLECTION", "reporting-timeline-payment-plan-broken")
        assert plan_consumer.config.filter_subject == subject_for(col.PaymentPlanBroken)

        # A replay from the dead-letter stream comes with a new message id but the same event id.
        await publish(js, opened, f"replay-{uuid.uuid4()}")

        async def replay_handled() -> bool:
            # Handled means acknowledged by the timeline's own consumer, not merely delivered.
            info = await js.consumer_info("OPENDSO_RECEIVABLES", "reporting-timeline-item-opened")
            return info.num_pending == 0 and info.num_ack_pending == 0

        await eventually(replay_handled)

        async def aged() -> bool:
            # The aging's consumer of the same subject got the item too, once.
            aging = await request(nc, rp.GetAging(entity=entity), rp.AgingReport)
            return [c.total.amount for c in aging.currencies] == ["100.00"]

        await eventually(aged)
        answer = await request(nc, rp.GetTimeline(customer_id=customer), rp.Timeline)
        assert [e.entry_id for e in answer.entries] == [
            broken.meta.event_id,
            failed.meta.event_id,
            opened.meta.event_id,
        ]

        with pytest.raises(RemoteError) as refused:
            await request(nc, rp.GetTimeline(customer_id=customer, kinds=["nope"]), rp.Timeline)
        assert refused.value.code == "invalid"
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()
