"""Reports over a large ledger: p95 of mixed report queries, and how soon a payment shows in the reports.

    python tools/bench_reports.py                     # 1,000,000 open items on SQLite
    OPENDSO_BENCH_REPORT_ITEMS=100000 python tools/bench_reports.py
    OPENDSO_BENCH_REPORT_DB=postgresql+asyncpg://user:pw@host/db python tools/bench_reports.py   # an empty database
    OPENDSO_BENCH_REPORT_TOTALS=0 ...                  # the queries sum the items instead of the running totals

The read models are filled with set-based inserts (what a replay of bulk item events writes, without
generating a million events); the queries run in-process through the reporting service's query code (the
bus adds a fraction of a millisecond); the payment latency runs the real service on a local nats-server: from
publishing PaymentAllocated to the cash receipts report answering with it, over the bus.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

TODAY = dt.date(2026, 11, 24)
ENTITIES = [("FR01", "EUR"), ("DE01", "EUR"), ("GB01", "GBP"), ("US01", "USD"), ("CZ01", "CZK"), ("PL01", "PLN")]
RATES = {"USD": Decimal("0.92"), "GBP": Decimal("1.17"), "CZK": Decimal("0.0398"), "PLN": Decimal("0.231")}
ITEMS_PER_CUSTOMER = 20


async def _fill(new_uow: Any, items: int) -> None:
    from opendso_db.bulk import insert_rows
    from opendso_reporting.store import (
        report_activities,
        report_customers,
        report_entities,
        report_item_history,
        report_item_statuses,
        report_items,
        report_receipts,
    )

    rnd = random.Random(7)
    customers = max(1, items // ITEMS_PER_CUSTOMER)
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    async with new_uow() as uow:
        session = uow.session
        await insert_rows(
            session,
            report_entities,
            [{"code": c, "name": c, "currency": cur, "group_currency": "EUR", "version_at": at} for c, cur in ENTITIES],
        )
        rows = []
        for n in range(customers):
            entity = ENTITIES[n % len(ENTITIES)][0]
            rows.append(
                {
                    "customer_id": f"{entity}/C{n:07d}",
                    "entity": entity,
                    "name": f"Customer {n}",
                    "customer_group": f"G{n % 40}",
                    "sector": f"S{n % 12}",
                    "collector": f"collector{n % 25}",
                    "version_at": at,
                }
            )
        await insert_rows(session, report_customers, rows)
        await uow.commit()
    batch = 20_000
    for start in range(0, items, batch):
        item_rows, history, statuses, receipts, activities = [], [], [], [], []
        for n in range(start, min(items, start + batch)):
            c = n // ITEMS_PER_CUSTOMER
            entity, currency = ENTITIES[c % len(ENTITIES)]
            customer = f"{entity}/C{c:07d}"
            due = TODAY + dt.timedelta(days=rnd.randint(-400, 60))
            micros = rnd.randint(10_00, 50_000_00) * 10_000
            item_id = f"{entity}/invoice/{n:08d}"
            item_rows.append(
                {
                    "item_id": item_id,
                    "customer_id": customer,
                    "entity": entity,
                    "kind": 1,
                    "issue_date": due - dt.timedelta(days=30),
                    "due_date": due,
                    "currency": currency,
                    "amount_micros": micros,
                    "open_micros": micros,
                    "closed_on": None,
                    "days_late": None,
                    "customer_group": f"G{c % 40}",
                    "sector": f"S{c % 12}",
                    "collector": f"collector{c % 25}",
                    "version_at": at,
                }
            )
            history.append(
                {
                    "history_id": f"{item_id}|{min(due - dt.timedelta(days=30), TODAY).isoformat()}",
                    "item_id": item_id,
                    "day": min(due - dt.timedelta(days=30), TODAY),
                    "open_micros": micros,
                    "valid_until": None,
                    "version_at": at,
                }
            )
            if n % 20 == 0:
                statuses.append(
                    {
                        "item_id": item_id,
                        "customer_id": customer,
                        "status_code": rnd.choice(["dispute", "promise_to_pay", "waiting_for_credit_note"]),
                        "since": TODAY - dt.timedelta(days=rnd.randint(0, 90)),
                        "owner": "sales",
                        "comment": "",
                        "version_at": at,
                    }
                )
            if n % 5 == 0:
                receipts.append(
                    {
                        "receipt_id": f"A{n}|{item_id}",
                        "allocation_id": f"A{n}",
                        "entity": entity,
                        "customer_id": customer,
                        "item_id": item_id,
                        "booking_date": TODAY - dt.timedelta(days=rnd.randint(0, 365)),
                        "currency": currency,
                        "amount_micros": micros // 2,
                        "reversed": False,
                    }
                )
            if n % 10 == 0:
                activities.append(
                    {
                        "activity_id": f"act-{n}",
                        "day": TODAY - dt.timedelta(days=rnd.randint(0, 60)),
                        "actor": f"collector{c % 25}",
                        "customer_id": customer,
                        "kind": rnd.choice(["action", "message", "promise", "dispute"]),
                    }
                )
        async with new_uow() as uow:
            for table, chunk in (
                (report_items, item_rows),
                (report_item_history, history),
                (report_item_statuses, statuses),
                (report_receipts, receipts),
                (report_activities, activities),
            ):
                await insert_rows(uow.session, table, chunk)
            await uow.commit()


async def _rate(from_currency: str, to_currency: str, on: dt.date) -> Decimal:
    if to_currency == "EUR":
        return RATES[from_currency]
    return RATES.get(from_currency, Decimal(1)) / RATES[to_currency]


def _queries(rnd: random.Random, customers: int) -> list[Any]:
    from opendso.common.v1.common_pb2 import Date
    from opendso.reporting.v1 import reporting_pb2 as rp

    levels = [
        rp.REPORT_LEVEL_GROUP,
        rp.REPORT_LEVEL_ENTITY,
        rp.REPORT_LEVEL_CUSTOMER_GROUP,
        rp.REPORT_LEVEL_SECTOR,
        rp.REPORT_LEVEL_CUSTOMER,
        rp.REPORT_LEVEL_COLLECTOR,
    ]
    modes = [rp.CURRENCY_MODE_ITEM, rp.CURRENCY_MODE_ENTITY, rp.CURRENCY_MODE_GROUP]
    found = []
    for n in range(200):
        level = levels[n % len(levels)]
        scope = rp.ReportScope(level=level, currency_mode=rnd.choice(modes), page_size=100)
        if rnd.random() < 0.3:
            # A drill-down: one node of the level.
            c = rnd.randrange(customers)
            entity = ENTITIES[c % len(ENTITIES)][0]
            scope.key = {
                rp.REPORT_LEVEL_ENTITY: entity,
                rp.REPORT_LEVEL_CUSTOMER_GROUP: f"G{c % 40}",
                rp.REPORT_LEVEL_SECTOR: f"S{c % 12}",
                rp.REPORT_LEVEL_CUSTOMER: f"{entity}/C{c:07d}",
                rp.REPORT_LEVEL_COLLECTOR: f"collector{c % 25}",
            }.get(level, "")
        if rnd.random() < 0.1:
            scope.as_of.CopyFrom(Date(year=2026, month=10, day=31))
        kind = n % 7
        query: Any
        if kind == 0:
            query = rp.GetAgingBalance(scope=scope)
        elif kind == 1:
            query = rp.GetDso(scope=scope)
        elif kind == 2:
            query = rp.GetCashReceipts(scope=scope)
        elif kind == 3:
            query = rp.GetCashForecast(scope=scope)
        elif kind == 4:
            query = rp.GetDisputeReport(scope=scope)
        elif kind == 5:
            query = rp.GetItemStatusReport(scope=scope)
        else:
            query = rp.GetCollectorActivity(scope=scope)
        found.append(query)
    return found


async def _query_latencies(new_uow: Any, customers: int) -> list[tuple[str, float]]:
    from opendso_reporting.report_queries import REPORTS, ReportDeps

    deps = ReportDeps(rates=_rate, today=lambda: TODAY)
    # 0: sum the items at query time, as before the running totals (to compare on the same machine).
    use_totals = os.environ.get("OPENDSO_BENCH_REPORT_TOTALS", "1") != "0"
    timings = []
    for query in _queries(random.Random(11), customers):
        start = time.perf_counter()
        async with new_uow() as uow:
            uow.reports.use_totals = use_totals
            await REPORTS[type(query)](query, uow, deps)
        timings.append((type(query).__name__, time.perf_counter() - start))
    return timings


async def _payment_latency(database_url: str, tmp: Path) -> list[float]:
    """Seconds from publishing a PaymentAllocated to the cash receipts report answering with it, over NATS."""
    import nats
    from opendso.common.v1.common_pb2 import Date, EventMeta, Money
    from opendso.matching.v1 import matching_pb2 as mt
    from opendso.reporting.v1 import reporting_pb2 as rp
    from opendso_bus.client import request
    from opendso_bus.nats_server import NatsServer
    from opendso_contracts.registry import subject_for
    from opendso_reporting.app import create_app
    from opendso_reporting.settings import Settings

    # FastStream reports every subscriber's start and stop at INFO on stdout: keep the figures readable.
    logging.disable(logging.INFO)
    server = NatsServer(tmp / "nats")
    server.start()
    settings = Settings(nats_url=server.url, database_url=database_url, trace_exporter="none")
    runtime = create_app(settings)
    await runtime.start()
    nc = await nats.connect(server.url)
    found = []
    # The service's day is the real one (the loaded ledger's is TODAY).
    now = dt.datetime.now(dt.UTC).date()
    today = Date(year=now.year, month=now.month, day=now.day)
    try:
        js = nc.jetstream()
        for n in range(5):
            customer = f"FR01/C{n * 6:07d}"
            allocation = f"bench-{uuid.uuid4().hex[:8]}"
            event = mt.PaymentAllocated(
                meta=EventMeta(event_id=str(uuid.uuid4()), source="matching", entity="FR01"),
                allocation_id=allocation,
                entity="FR01",
                customer_id=customer,
                allocations=[
                    mt.Allocation(item_id=f"FR01/invoice/x{n}", amount=Money(amount="123.45", currency="EUR"))
                ],
                booking_date=today,
            )
            event.meta.occurred_at.GetCurrentTime()
            query = rp.GetCashReceipts(
                scope=rp.ReportScope(level=rp.REPORT_LEVEL_CUSTOMER, key=customer),
                **{"from": today},
                to=today,
                period=rp.PERIOD_UNIT_DAY,
            )
            start = time.perf_counter()
            await js.publish(
                subject_for(mt.PaymentAllocated),
                event.SerializeToString(),
                headers={"Nats-Msg-Id": event.meta.event_id},
            )
            while True:
                answer = await request(nc, query, rp.CashReceipts, timeout=5)
                if any(r.total.amount == "123.45" for r in answer.rows):
                    break
                if time.perf_counter() - start > 30:
                    raise TimeoutError("the payment never showed in the report")
                await asyncio.sleep(0.01)
            found.append(time.perf_counter() - start)
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()
        server.stop()
        logging.disable(logging.NOTSET)
    return found


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    """Print the p95 of 200 mixed report queries over OPENDSO_BENCH_REPORT_ITEMS open items (target < 200 ms)
    and the event-to-report latency of a payment (target < 1 s)."""
    from opendso_db import create_engine, ensure_database, session_factory, upgrade
    from opendso_reporting.app import MIGRATIONS
    from opendso_reporting.rebuild import uow_factory

    items = int(os.environ.get("OPENDSO_BENCH_REPORT_ITEMS", "1000000"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = os.environ.get("OPENDSO_BENCH_REPORT_DB") or f"sqlite+aiosqlite:///{tmp / 'reporting.db'}"

        async def run() -> None:
            await ensure_database(url)
            await asyncio.to_thread(upgrade, url, MIGRATIONS)
            engine = create_engine(url)
            new_uow = uow_factory(session_factory(engine))
            start = time.perf_counter()
            await _fill(new_uow, items)
            loaded = time.perf_counter()
            # The running totals the handlers keep, computed once from the loaded rows.
            async with new_uow() as uow:
                await uow.reports.totals.recompute()
                await uow.commit()
            print(f"reports: running totals computed in {time.perf_counter() - loaded:.1f}s")
            if url.startswith("postgresql"):
                # What autovacuum does after a bulk load: without statistics the planner guesses badly.
                # Committed: statistics gathered in a transaction that rolls back are lost with it.
                async with engine.begin() as conn:
                    await conn.exec_driver_sql("ANALYZE")
            print(f"reports: {items:,} open items loaded in {time.perf_counter() - start:.1f}s ({url.split(':')[0]})")
            timings = await _query_latencies(new_uow, max(1, items // ITEMS_PER_CUSTOMER))
            await engine.dispose()
            seconds = [t for _, t in timings]
            p50, p95 = _p(seconds, 0.5) * 1000, _p(seconds, 0.95) * 1000
            print(
                f"reports: 200 mixed queries  p50 {p50:8.1f} ms  p95 {p95:8.1f} ms"
                f"  max {max(seconds) * 1000:8.1f} ms   (target p95 < 200 ms)"
            )
            by_kind: dict[str, list[float]] = {}
            for kind, t in timings:
                by_kind.setdefault(kind, []).append(t)
            for kind, values in sorted(by_kind.items()):
                p95, median = _p(values, 0.95) * 1000, statistics.median(values) * 1000
                print(f"    {kind:<22} p95 {p95:8.1f} ms  median {median:8.1f} ms")
            latencies = await _payment_latency(url, tmp)
            print(
                f"reports: payment event -> cash receipts report  median {statistics.median(latencies) * 1000:6.0f} ms"
                f"  max {max(latencies) * 1000:6.0f} ms   (target < 1 s)"
            )

        asyncio.run(run())


if __name__ == "__main__":
    main()
