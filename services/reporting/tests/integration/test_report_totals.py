"""The running totals against the items they sum: random sequences of events (a fixed seed), with
redeliveries and late events, must give every report the same figures from the totals as from the items, and
a recomputation or a rebuild the same totals."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.matching.v1 import matching_pb2 as mt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_contracts.convert import date_to_proto
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_reporting import report_queries as q
from opendso_reporting.app import MIGRATIONS
from opendso_reporting.rebuild import replay, uow_factory
from opendso_reporting.settings import Settings
from opendso_reporting.store import UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 24)
SETTINGS = Settings(nats_url="nats://127.0.0.1:4222", database_url="sqlite+aiosqlite:///unused.db")
RATES = {("USD", "EUR"): Decimal("0.9")}
START = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
ENTITIES = (("FR01", "EUR"), ("US01", "USD"))
STATUSES = ("dispute", "promise_to_pay", "waiting_for_credit_note", "litigation")


async def fresh(make_database: MakeDatabase, name: str) -> tuple[Callable[[], UnitOfWork], Any]:
    url = await make_database(name)
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    return uow_factory(session_factory(engine)), engine


async def apply(new_uow: Callable[[], UnitOfWork], events: list[Message]) -> None:
    await replay(events, new_uow, SETTINGS)


async def rate(from_currency: str, to_currency: str, on: dt.date) -> Decimal:
    return RATES[(from_currency, to_currency)]


def deps() -> q.ReportDeps:
    return q.ReportDeps(rates=rate, today=lambda: TODAY)


_seq = 0


def meta(e: Any, at: dt.datetime) -> Any:
    global _seq
    _seq += 1
    e.meta.event_id = f"tot-{_seq}"
    e.meta.occurred_at.FromDatetime(at)
    return e


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def _customer(rnd: random.Random, n: int) -> rv.Customer:
    entity = ENTITIES[n % 2][0]
    return rv.Customer(
        customer_id=f"{entity}/C{n}",
        entity=entity,
        name=f"Customer {n}",
        customer_group=rnd.choice(["", "Retail", "Trade"]),
        sector=rnd.choice(["", "Food", "Steel"]),
        collector=rnd.choice(["", "ann", "bob", "cid"]),
    )


def _item(rnd: random.Random, n: int, open_cents: int | None = None) -> rv.OpenItem:
    customer = n % 6
    entity, currency = ENTITIES[customer % 2]
    cents = 1000 + (n * 7919) % 90_000
    kind = rv.ITEM_KIND_CREDIT_NOTE if n % 9 == 0 else rv.ITEM_KIND_INVOICE
    sign = -1 if kind == rv.ITEM_KIND_CREDIT_NOTE else 1
    return rv.OpenItem(
        item_id=f"{entity}/item/{n}",
        customer_id=f"{entity}/C{customer}",
        entity=entity,
        number=str(n),
        kind=kind,
        issue_date=date_to_proto(TODAY - dt.timedelta(days=40 + n % 50)),
        due_date=date_to_proto(TODAY - dt.timedelta(days=(n * 13) % 200 - 30)),
        amount=money(f"{sign * cents / 100:.2f}", currency),
        open_amount=money(f"{sign * (cents if open_cents is None else open_cents) / 100:.2f}", currency),
    )


def random_events(seed: int, count: int) -> list[Message]:
    """A ledger's life: items opened, partly paid, closed; customers moving; statuses, plans, payments and
    reversals; all stamped on days spread over November."""
    rnd = random.Random(seed)
    entities = rv.EntitiesChanged()
    for code, currency in ENTITIES:
        entities.changes.add(
            type=rv.CHANGE_TYPE_CREATED,
            entity=rv.Entity(code=code, name=code, currency=currency, group_currency="EUR"),
        )
    events: list[Message] = [meta(entities, START)]
    at = START
    plans = 0
    for step in range(count):
        at += dt.timedelta(hours=rnd.randint(1, 14))
        when = at if rnd.random() > 0.1 else at - dt.timedelta(days=rnd.randint(1, 3))  # a late, older event
        roll = rnd.random()
        n = rnd.randrange(30)
        event: Message
        if roll < 0.25:
            batch = rv.ItemsChanged()
            for m in rnd.sample(range(30), 4):
                batch.changes.add(type=rv.CHANGE_TYPE_CREATED, item=_item(rnd, m))
            event = batch
        elif roll < 0.4:
            cents = 1000 + (n * 7919) % 90_000
            event = rv.ItemChanged(item=_item(rnd, n, rnd.randint(0, cents)))
        elif roll < 0.48:
            closed = rv.ItemClosed(item=_item(rnd, n, 0), closed_on=date_to_proto(when.date()))
            event = closed
        elif roll < 0.58:
            event = rv.CustomerChanged(customer=_customer(rnd, rnd.randrange(6)))
        elif roll < 0.7:
            item = _item(rnd, n)
            qualified = col.ItemsQualified(
                customer_id=item.customer_id,
                statuses=[
                    col.ItemStatus(
                        item_id=item.item_id,
                        status_code=rnd.choice(STATUSES),
                        since=date_to_proto(TODAY - dt.timedelta(days=rnd.randint(0, 25))),
                        owner="sales",
                        set_by=rnd.choice(["ann", "bob"]),
                    )
                ],
            )
            if qualified.statuses[0].status_code == "promise_to_pay":
                qualified.promise_id = f"P-{step}"
                qualified.promised_amount.CopyFrom(rv.OpenItem(amount=money("40.00", item.amount.currency)).amount)
                qualified.promised_on.CopyFrom(date_to_proto(TODAY + dt.timedelta(days=rnd.randint(-5, 20))))
            event = qualified
        elif roll < 0.78:
            plans += 1
            items = [_item(rnd, m) for m in rnd.sample(range(0, 30, 6), 2)]
            event = col.PaymentPlanCreated(
                plan=col.PaymentPlan(
                    plan_id=f"PL-{plans}",
                    customer_id=items[0].customer_id,
                    entity=items[0].entity,
                    state=col.PAYMENT_PLAN_STATE_ACTIVE,
                    item_ids=[i.item_id for i in items],
                    instalments=[
                        col.PaymentPlanInstalment(
                            sequence=k + 1,
                            due_date=date_to_proto(TODAY + dt.timedelta(days=7 * k + rnd.randint(-10, 10))),
                            amount=money(f"{rnd.randint(10, 500)}.00", "EUR"),
                        )
                        for k in range(2)
                    ],
                )
            )
        elif roll < 0.82 and plans:
            event = col.PaymentPlanCompleted(plan_id=f"PL-{rnd.randint(1, plans)}", item_ids=["FR01/item/0"])
        elif roll < 0.95:
            item = _item(rnd, n)
            event = mt.PaymentAllocated(
                allocation_id=f"A-{step}",
                entity=item.entity,
                customer_id=item.customer_id,
                allocations=[mt.Allocation(item_id=item.item_id, amount=money("12.34", item.amount.currency))],
                unallocated=money(rnd.choice(["0", "5.00"]), item.amount.currency),
                booking_date=date_to_proto(when.date()),
            )
        elif roll < 0.97:
            event = mt.AllocationReversed(allocation_id=f"A-{rnd.randrange(step + 1)}")
        else:
            event = col.PromiseBroken(promise_id=f"P-{rnd.randrange(step + 1)}")
        events.append(meta(event, when))
        if rnd.random() < 0.1:
            events.append(events[rnd.randrange(1, len(events))])  # a redelivery
    # The customers last for half of them: items may come before their customers.
    customers = rv.CustomersChanged()
    for c in range(6):
        customers.changes.add(type=rv.CHANGE_TYPE_CREATED, customer=_customer(rnd, c))
    events.insert(len(events) // 2, meta(customers, START + dt.timedelta(hours=1)))
    return events


async def answer(new_uow: Callable[[], UnitOfWork], report: q.Answer, query: Any, *, totals: bool) -> Any:
    async with new_uow() as uow:
        uow.reports.use_totals = totals
        return await report(query, uow, deps())


def queries() -> list[tuple[q.Answer, Any]]:
    found: list[tuple[q.Answer, Any]] = []
    scopes = [
        {"level": rp.REPORT_LEVEL_GROUP},
        {"level": rp.REPORT_LEVEL_ENTITY},
        {"level": rp.REPORT_LEVEL_CUSTOMER_GROUP},
        {"level": rp.REPORT_LEVEL_SECTOR},
        {"level": rp.REPORT_LEVEL_COLLECTOR},
        {"level": rp.REPORT_LEVEL_COLLECTOR, "key": "ann"},
        {"level": rp.REPORT_LEVEL_GROUP, "collector": "bob"},
        {"level": rp.REPORT_LEVEL_ENTITY, "entities": ["US01"], "currency_mode": rp.CURRENCY_MODE_GROUP},
    ]
    for s in scopes:
        for days_back in (0, 6, 15):
            scope = rp.ReportScope(**s)  # type: ignore[arg-type]
            if days_back:
                scope.as_of.CopyFrom(date_to_proto(TODAY - dt.timedelta(days=days_back)))
            found += [
                (q.aging_balance, rp.GetAgingBalance(scope=scope)),
                (q.dso_report, rp.GetDso(scope=scope, period_days=30, max_months=3)),
                (q.cash_receipts, rp.GetCashReceipts(scope=scope, period=rp.PERIOD_UNIT_WEEK)),
                (q.cash_forecast, rp.GetCashForecast(scope=scope)),
                (q.dispute_report, rp.GetDisputeReport(scope=scope)),
                (q.item_status_report, rp.GetItemStatusReport(scope=scope)),
                (q.collector_activity, rp.GetCollectorActivity(scope=scope)),
            ]
    return found


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_events_give_the_same_figures_from_the_totals_as_from_the_items(
    make_database: MakeDatabase, seed: int
) -> None:
    events = random_events(seed, 160)
    live, engine = await fresh(make_database, f"totals{seed}")
    try:
        # Applied in small batches, as the consumers commit them.
        for start in range(0, len(events), 7):
            await apply(live, events[start : start + 7])
        compared = 0
        for report, query in queries():
            from_totals = await answer(live, report, query, totals=True)
            from_items = await answer(live, report, query, totals=False)
            assert from_totals == from_items, (report.__name__, query)
            compared += len(getattr(from_totals, "rows", []))
        assert compared > 200  # the figures compared are not all empty

        async with live() as uow:
            running = await uow.reports.fingerprint()
            await uow.reports.totals.recompute()
            assert await uow.reports.fingerprint() == running
            assert running["rep_open_totals"] and running["rep_sales_totals"] and running["rep_receipt_totals"]
    finally:
        await engine.dispose()


async def test_a_rebuild_gets_the_same_totals(make_database: MakeDatabase) -> None:
    events = random_events(3, 120)
    live, live_engine = await fresh(make_database, "totals_live")
    rebuilt, rebuilt_engine = await fresh(make_database, "totals_rebuilt")
    try:
        for start in range(0, len(events), 5):
            await apply(live, events[start : start + 5])
        await apply(rebuilt, events)
        async with live() as a, rebuilt() as b:
            fa, fb = await a.reports.fingerprint(), await b.reports.fingerprint()
        for table in ("rep_open_totals", "rep_sales_totals", "rep_receipt_totals"):
            assert fa[table] == fb[table], table
    finally:
        await live_engine.dispose()
        await rebuilt_engine.dispose()
