"""The risk service on a real nats-server: events from the streams reach it, a redelivered event raises no
second alert, its queries answer over the bus, and a rate the FX service does not give is said, not guessed."""

from __future__ import annotations

import datetime as dt
import uuid

import nats
import pytest
from google.protobuf.message import Message
from nats.js import JetStreamContext
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import EventMeta
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.risk.v1 import risk_pb2 as rk
from opendso_bus import RemoteError
from opendso_bus.client import request
from opendso_bus.service import prepare_database
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_contracts.registry import subject_for
from opendso_money import Money
from opendso_risk import evaluation
from opendso_risk.app import MIGRATIONS, create_app
from opendso_risk.settings import Settings

from conftest import MakeDatabase, eventually

pytestmark = pytest.mark.integration


def meta(source: str, entity: str) -> EventMeta:
    m = EventMeta(event_id=str(uuid.uuid4()), source=source, entity=entity)
    m.occurred_at.FromDatetime(dt.datetime.now(dt.UTC))
    return m


async def publish(js: JetStreamContext, event: Message, message_id: str) -> None:
    await js.publish(subject_for(type(event)), event.SerializeToString(), headers={"Nats-Msg-Id": message_id})


async def test_events_on_the_bus_raise_an_alert_once_and_the_queries_answer(
    nats_url: str, make_database: MakeDatabase
) -> None:
    settings = Settings(
        nats_url=nats_url,
        database_url=await make_database("risk_bus"),
        trace_exporter="none",
        retry_delay_seconds=0.1,
        outbox_poll_seconds=0.1,
        settle_seconds=0,
        fx_timeout_seconds=0.5,
    )
    await prepare_database(settings, MIGRATIONS)
    runtime, deps = create_app(settings)
    await runtime.start()
    nc = await nats.connect(nats_url)
    # Unique per run: the session's nats-server keeps every test's events.
    entity = f"R{uuid.uuid4().hex[:8]}"
    customer = f"{entity}/C1"
    today = deps.today()
    try:
        js = nc.jetstream()
        customers = rv.CustomersChanged(
            meta=meta("importer", entity),
            changes=[
                rv.CustomerChange(
                    type=rv.CHANGE_TYPE_CREATED,
                    customer=rv.Customer(
                        customer_id=customer, entity=entity, account_number="C1", name="Dupont SA", collector="anna"
                    ),
                )
            ],
        )
        usd = money_to_proto(Money.of("500.00", "USD"))
        items = rv.ItemsChanged(
            meta=meta("importer", entity),
            changes=[
                rv.ItemChange(
                    type=rv.CHANGE_TYPE_CREATED,
                    item=rv.OpenItem(
                        item_id=f"{entity}/invoice/F-1",
                        customer_id=customer,
                        entity=entity,
                        account_number="C1",
                        number="F-1",
                        kind=rv.ITEM_KIND_INVOICE,
                        issue_date=date_to_proto(today - dt.timedelta(days=40)),
                        due_date=date_to_proto(today - dt.timedelta(days=10)),
                        amount=usd,
                        open_amount=usd,
                    ),
                )
            ],
        )
        broken = col.PromiseBroken(
            meta=meta("scenario", entity),
            promise_id=f"p-{entity}",
            customer_id=customer,
            item_ids=[f"{entity}/invoice/F-1"],
            missing=usd,
            promised_on=date_to_proto(today - dt.timedelta(days=3)),
        )
        await publish(js, customers, customers.meta.event_id)
        await publish(js, items, items.meta.event_id)
        await publish(js, broken, broken.meta.event_id)

        async def alerted() -> bool:
            answer = await request(nc, rk.ListAlerts(customer_id=customer), rk.Alerts)
            return answer.total == 1

        await eventually(alerted)

        # A replay from the dead-letter stream comes with a new message id but the same event id.
        await publish(js, broken, f"replay-{uuid.uuid4()}")

        async def replay_handled() -> bool:
            info = await js.consumer_info("OPENDSO_COLLECTION", "risk-promise-broken")
            return info.num_pending == 0 and info.num_ack_pending == 0

        await eventually(replay_handled)

        async def listed_for_the_collector() -> bool:
            # The customer's record may come after the promise: the list follows the customer's collector.
            answer = await request(nc, rk.ListAlerts(customer_id=customer, collector="anna"), rk.Alerts)
            return answer.total == 1

        await eventually(listed_for_the_collector)
        answer = await request(nc, rk.ListAlerts(customer_id=customer), rk.Alerts)
        (alert,) = answer.alerts
        assert (alert.rule, alert.collector, alert.customer_name) == ("promise_broken", "anna", "Dupont SA")
        assert alert.summary.endswith(": 500.00 USD missing")

        raised: list[rk.AlertRaised] = []
        subscription = await js.subscribe(subject_for(rk.AlertRaised), ordered_consumer=True)

        async def published_once() -> bool:
            try:
                while True:
                    message = await subscription.next_msg(timeout=0.05)
                    event = rk.AlertRaised.FromString(message.data)
                    if event.alert.customer_id == customer:
                        raised.append(event)
            except nats.errors.TimeoutError:
                pass
            return len(raised) >= 1

        await eventually(published_once)
        assert [e.alert.key for e in raised] == [f"promise_broken:p-{entity}"]

        # No FX service answers on this bus: the USD balance cannot be put in EUR, and the limit says why.
        limit = await request(
            nc,
            rk.SetCreditLimit(
                holder_kind=rk.HOLDER_KIND_CUSTOMER,
                holder_id=customer,
                amount=money_to_proto(Money.of("400.00", "EUR")),
                user="carla",
            ),
            rk.CreditLimitSet,
            timeout=10,
        )
        assert not limit.limit.use.known
        assert "USD->EUR" in limit.limit.use.problem and "the FX service did not answer" in limit.limit.use.problem

        await evaluation.evaluation_pass(runtime.uow, deps)
        profile = await request(nc, rk.GetRiskProfile(customer_id=customer), rk.RiskProfile, timeout=10)
        assert [p.name for p in profile.score.parts if p.rated] == ["overdue", "disputes", "broken_promises"]
        assert (profile.behaviour.broken_promises_last_12_months, profile.collector) == (1, "anna")
        assert await request(nc, rk.ListAlerts(customer_id=customer, rule="limit_exceeded"), rk.Alerts) == rk.Alerts()

        with pytest.raises(RemoteError) as missing:
            await request(nc, rk.GetRiskProfile(customer_id=f"{entity}/nobody"), rk.RiskProfile)
        assert (missing.value.code, missing.value.detail) == ("not_found", f"no customer '{entity}/nobody'")
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()
