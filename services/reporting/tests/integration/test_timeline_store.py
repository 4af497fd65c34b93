"""The timeline read model on real databases: found per customer and per item, paged newest first, and a
redelivered event adds nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, EventMeta, Money
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import InvalidRequest
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_reporting import handlers
from opendso_reporting.app import MIGRATIONS
from opendso_reporting.domain.timeline import TRANSLATORS
from opendso_reporting.store import OUTBOX, UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
CUSTOMER = "FR01/C1"

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
async def uow_factory(make_database: MakeDatabase) -> AsyncIterator[UowFactory]:
    url = await make_database("reporting")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)  # the real migrations, not create_all
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "reporting")
    await engine.dispose()


def meta(minutes: float, source: str = "scenario", event_id: str = "") -> EventMeta:
    m = EventMeta(event_id=event_id or str(uuid.uuid4()), source=source, entity="FR01")
    m.occurred_at.FromDatetime(T0 + dt.timedelta(minutes=minutes))
    return m


def item(number: str, customer: str = CUSTOMER) -> rv.OpenItem:
    return rv.OpenItem(
        item_id=f"FR01/invoice/{number}",
        customer_id=customer,
        entity="FR01",
        number=number,
        kind=rv.ITEM_KIND_INVOICE,
        due_date=Date(year=2026, month=10, day=31),
        amount=Money(amount="100.00", currency="EUR"),
        open_amount=Money(amount="100.00", currency="EUR"),
    )


async def record(uow_factory: UowFactory, *events: Message) -> None:
    """Each event in its own transaction, through the subscriber the service runs."""
    for event in events:
        async with uow_factory() as uow:
            await handlers.record_timeline(TRANSLATORS[type(event)])(event, uow)
            await uow.commit()


async def timeline(uow_factory: UowFactory, **query: Any) -> rp.Timeline:
    async with uow_factory() as uow:
        return await handlers.get_timeline(rp.GetTimeline(customer_id=CUSTOMER, **query), uow)


def task(task_id: str, *numbers: str) -> col.Task:
    return col.Task(
        task_id=task_id,
        customer_id=CUSTOMER,
        step_code="first",
        channel="email",
        automatic=True,
        due_on=Date(year=2026, month=11, day=24),
        item_ids=[f"FR01/invoice/{n}" for n in numbers],
    )


async def test_a_customers_history_comes_back_newest_first_and_each_item_finds_its_own(
    uow_factory: UowFactory,
) -> None:
    qualified = col.ItemsQualified(meta=meta(2), customer_id=CUSTOMER)
    for number in ("F-1", "F-2"):
        qualified.statuses.add(item_id=f"FR01/invoice/{number}", status_code="dispute", comment="price", set_by="al")
    await record(
        uow_factory,
        rv.ItemOpened(meta=meta(0, "importer"), item=item("F-1")),
        rv.ItemOpened(meta=meta(1, "importer"), item=item("F-2")),
        qualified,
        rv.ItemOpened(meta=meta(3, "importer"), item=item("X-1", customer="FR01/C2")),
    )

    whole = await timeline(uow_factory)
    f2 = await timeline(uow_factory, item_id="FR01/invoice/F-2")

    assert [e.kind for e in whole.entries] == ["item.qualified", "item.opened", "item.opened"]
    assert list(whole.entries[0].item_ids) == ["FR01/invoice/F-1", "FR01/invoice/F-2"]
    assert whole.entries[0].occurred_at.ToDatetime(tzinfo=dt.UTC) == T0 + dt.timedelta(minutes=2)
    assert json.loads(whole.entries[0].detail_json)["comment"] == "price"
    assert [e.summary for e in f2.entries] == [
        'Items F-1, F-2 put in status dispute by al: "price"',
        "Invoice F-2 opened: 100.00 EUR open, due 2026-10-31",
    ]
    assert whole.next_page_token == ""


async def test_a_redelivered_event_inserts_nothing(uow_factory: UowFactory) -> None:
    event = col.TaskChanged(
        meta=meta(1), task=task("t-1", "F-1"), action=col.TASK_ACTION_PERFORM, user="bob", comment="done"
    )
    await record(uow_factory, event)

    async with uow_factory() as uow:
        added = await uow.timeline.add(
            TRANSLATORS[col.TaskChanged](col.TaskChanged.FromString(event.SerializeToString()))
        )
        await uow.commit()

    assert added == 0
    assert len((await timeline(uow_factory)).entries) == 1


async def test_a_message_is_found_from_its_tasks_items_even_when_it_arrives_first(uow_factory: UowFactory) -> None:
    sent = msg.MessageSent(
        meta=meta(5, "messaging"), customer_id=CUSTOMER, task_id="t-2", channel="email", recipient="ap@x.example"
    )
    await record(uow_factory, sent)
    assert (await timeline(uow_factory, item_id="FR01/invoice/F-1")).entries == []

    await record(uow_factory, col.TaskCreated(meta=meta(4), task=task("t-2", "F-1", "F-2")))

    by_item = await timeline(uow_factory, item_id="FR01/invoice/F-1")
    assert [e.kind for e in by_item.entries] == ["message.sent", "task.created"]
    assert list(by_item.entries[0].item_ids) == ["FR01/invoice/F-1", "FR01/invoice/F-2"]


async def test_payment_plans_and_escalations_are_found_from_each_item_they_cover(uow_factory: UowFactory) -> None:
    covered = ["FR01/invoice/F-1", "FR01/invoice/F-2"]
    created = col.PaymentPlanCreated(
        meta=meta(1),
        plan=col.PaymentPlan(
            plan_id="PP-1",
            customer_id=CUSTOMER,
            item_ids=covered,
            total=Money(amount="200.00", currency="EUR"),
            frequency="weekly",
            created_by="al",
            instalments=[
                col.PaymentPlanInstalment(
                    number=f"PP-1-0{n}",
                    sequence=n,
                    due_date=Date(year=2026, month=12, day=n),
                    amount=Money(amount="100.00", currency="EUR"),
                )
                for n in (1, 2)
            ],
        ),
    )
    broken = col.PaymentPlanBroken(
        meta=meta(2), plan_id="PP-1", customer_id=CUSTOMER, item_ids=covered, missed_instalments=["PP-1-01"]
    )
    escalated = col.CaseEscalated(
        meta=meta(3),
        case_id="case-1",
        customer_id=CUSTOMER,
        items=[col.EscalatedItem(item_id="FR01/invoice/F-2", number="F-2")],
        totals=[Money(amount="100.00", currency="EUR")],
        partner_kind=col.PARTNER_KIND_LEGAL,
        escalated_by="al",
    )
    await record(uow_factory, created, broken, escalated, escalated)

    f1 = await timeline(uow_factory, item_id="FR01/invoice/F-1")
    f2 = await timeline(uow_factory, item_id="FR01/invoice/F-2")

    assert [e.kind for e in f1.entries] == ["payment_plan.broken", "payment_plan.created"]
    assert [e.kind for e in f2.entries] == ["case.escalated", "payment_plan.broken", "payment_plan.created"]
    assert f2.entries[2].summary == (
        "Payment plan PP-1 of 200.00 EUR for Items F-1, F-2 agreed by al: 2 weekly instalments from 2026-12-01 to "
        "2026-12-02"
    )
    assert json.loads(f2.entries[0].detail_json)["totals"] == [{"amount": "100.00", "currency": "EUR"}]


async def test_pages_follow_the_cursor_without_losing_or_repeating_entries_that_share_an_instant(
    uow_factory: UowFactory,
) -> None:
    # Five entries at the same instant and two later: the cursor must break ties by entry id.
    batch = rv.ItemsChanged(meta=meta(0, "importer", event_id="batch-1"))
    for n in range(5):
        batch.changes.add(type=rv.CHANGE_TYPE_CREATED, item=item(f"B-{n}"))
    await record(
        uow_factory,
        batch,
        rv.ItemOpened(meta=meta(1, "importer"), item=item("L-1")),
        rv.ItemOpened(meta=meta(2, "importer"), item=item("L-2")),
    )

    seen: list[str] = []
    token = ""
    for _ in range(10):
        page = await timeline(uow_factory, page_size=2, page_token=token)
        assert len(page.entries) <= 2
        seen.extend(e.entry_id for e in page.entries)
        token = page.next_page_token
        if not token:
            break

    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen[2:] == [f"batch-1/{n}" for n in (4, 3, 2, 1, 0)]


async def test_kinds_and_the_period_narrow_the_timeline(uow_factory: UowFactory) -> None:
    await record(
        uow_factory,
        rv.ItemOpened(meta=meta(0, "importer"), item=item("F-1")),
        col.TaskCreated(meta=meta(60), task=task("t-3", "F-1")),
        msg.MessageSent(meta=meta(61, "messaging"), customer_id=CUSTOMER, task_id="t-3", channel="email"),
        msg.MessageFailed(meta=meta(120, "messaging"), customer_id=CUSTOMER, task_id="t-3", channel="sms"),
    )
    since, until = (T0 + dt.timedelta(minutes=m) for m in (60, 120))
    window = rp.GetTimeline(customer_id=CUSTOMER)
    window.occurred_from.FromDatetime(since)
    window.occurred_before.FromDatetime(until)

    messages = await timeline(uow_factory, kinds=["message.sent", "message.failed"])
    async with uow_factory() as uow:
        in_window = await handlers.get_timeline(window, uow)

    assert [e.kind for e in messages.entries] == ["message.failed", "message.sent"]
    assert [e.kind for e in in_window.entries] == ["message.sent", "task.created"]


async def test_a_bulk_batch_is_stored_at_once_and_its_redelivery_adds_nothing(uow_factory: UowFactory) -> None:
    # Over a thousand rows: PostgreSQL takes the COPY path.
    batch = rv.ItemsChanged(meta=meta(0, "importer", event_id="batch-big"))
    for n in range(1500):
        batch.changes.add(type=rv.CHANGE_TYPE_CREATED, item=item(f"N-{n}"))
    await record(uow_factory, batch)

    async with uow_factory() as uow:
        again = await uow.timeline.add(TRANSLATORS[rv.ItemsChanged](batch))
        await uow.commit()
    one = await timeline(uow_factory, item_id="FR01/invoice/N-1234")

    assert again == 0
    assert [e.entry_id for e in one.entries] == ["batch-big/1234"]
    assert (await timeline(uow_factory, page_size=500)).next_page_token != ""


@pytest.mark.parametrize(
    "query",
    [
        {"kinds": ["item.exploded"]},
        {"page_token": "not-a-token"},
        {"page_size": 501},
        {"customer_id": ""},
    ],
)
async def test_a_bad_query_is_refused_with_the_reason(uow_factory: UowFactory, query: dict[str, Any]) -> None:
    async with uow_factory() as uow:
        with pytest.raises(InvalidRequest):
            await handlers.get_timeline(rp.GetTimeline(**({"customer_id": CUSTOMER} | query)), uow)
