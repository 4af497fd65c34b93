"""The reports on real databases, from events to figures: levels, currencies, past days, redeliveries, and a
rebuild that gets the same figures."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from google.protobuf.message import Message
from opendso.collection.v1 import collection_pb2 as col
from opendso.matching.v1 import matching_pb2 as mt
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_to_proto
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_reporting import report_queries as q
from opendso_reporting.app import MIGRATIONS
from opendso_reporting.domain.currency import MissingRate
from opendso_reporting.rebuild import replay, uow_factory
from opendso_reporting.settings import Settings
from opendso_reporting.store import UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 24)
T0 = dt.datetime(2026, 11, 14, 9, 0, tzinfo=dt.UTC)  # the items opened ten days ago
SETTINGS = Settings(nats_url="nats://127.0.0.1:4222", database_url="sqlite+aiosqlite:///unused.db")


async def fresh(make_database: MakeDatabase, name: str) -> tuple[Callable[[], UnitOfWork], Any]:
    url = await make_database(name)
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    return uow_factory(session_factory(engine)), engine


@pytest.fixture
async def uows(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    new_uow, engine = await fresh(make_database, "reports")
    yield new_uow
    await engine.dispose()


class Rates:
    """A fake FX service: the rates it has, and every question it was asked."""

    def __init__(self, rates: dict[tuple[str, str], str]) -> None:
        self.rates = {k: Decimal(v) for k, v in rates.items()}
        self.asked: list[tuple[str, str, dt.date]] = []

    async def __call__(self, from_currency: str, to_currency: str, on: dt.date) -> Decimal:
        self.asked.append((from_currency, to_currency, on))
        try:
            return self.rates[(from_currency, to_currency)]
        except KeyError:
            raise MissingRate(f"no {from_currency}->{to_currency} rate on or before {on}") from None


def deps(rates: dict[tuple[str, str], str] | None = None) -> q.ReportDeps:
    return q.ReportDeps(rates=Rates(rates if rates is not None else {("USD", "EUR"): "0.9"}), today=lambda: TODAY)


_seq = 0


def meta(e: Any, at: dt.datetime) -> Any:
    global _seq
    _seq += 1
    e.meta.event_id = f"ev-{_seq}"
    e.meta.occurred_at.FromDatetime(at)
    return e


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def item(n: int, customer: str, amount: str, currency: str, due_days_ago: int, entity: str = "FR01") -> rv.OpenItem:
    return rv.OpenItem(
        item_id=f"{entity}/invoice/{n}",
        customer_id=customer,
        entity=entity,
        number=str(n),
        kind=rv.ITEM_KIND_INVOICE,
        issue_date=date_to_proto(TODAY - dt.timedelta(days=30)),
        due_date=date_to_proto(TODAY - dt.timedelta(days=due_days_ago)),
        amount=money(amount, currency),
        open_amount=money(amount, currency),
    )


def ledger() -> list[Message]:
    """Two entities, three customers, six invoices (see each test for the figures)."""
    entities = rv.EntitiesChanged()
    for code, name, currency in (("FR01", "France", "EUR"), ("US01", "USA", "USD")):
        entities.changes.add(
            type=rv.CHANGE_TYPE_CREATED,
            entity=rv.Entity(code=code, name=name, currency=currency, group_currency="EUR"),
        )
    customers = rv.CustomersChanged()
    for cid, entity, name, group, sector, collector in (
        ("FR01/C1", "FR01", "Alpha", "Retail", "Food", "ann"),
        ("FR01/C2", "FR01", "Beta", "", "Steel", "bob"),
        ("US01/C3", "US01", "Gamma", "Retail", "Food", "ann"),
    ):
        customers.changes.add(
            type=rv.CHANGE_TYPE_CREATED,
            customer=rv.Customer(
                customer_id=cid, entity=entity, name=name, customer_group=group, sector=sector, collector=collector
            ),
        )
    items = rv.ItemsChanged()
    for it in (
        item(1, "FR01/C1", "100.00", "EUR", 0),  # due today: not due
        item(2, "FR01/C1", "200.00", "EUR", 1),  # 1 day overdue: 1-30
        item(3, "FR01/C2", "300.00", "EUR", 30),  # 30 days: still 1-30
        item(4, "FR01/C2", "400.00", "EUR", 31),  # 31 days: 31-60
        item(5, "FR01/C1", "50.00", "USD", 181),  # 181 days: >180
        item(6, "US01/C3", "1000.00", "USD", 100, entity="US01"),  # 91-180
    ):
        items.changes.add(type=rv.CHANGE_TYPE_CREATED, item=it)
    return [meta(entities, T0), meta(customers, T0), meta(items, T0 + dt.timedelta(seconds=1))]


def payment_of_item_2() -> list[Message]:
    """200 EUR received today for invoice 2, which the ledger then shows paid."""
    now = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    allocated = mt.PaymentAllocated(
        allocation_id="A-1",
        transaction_id="T-1",
        entity="FR01",
        customer_id="FR01/C1",
        allocations=[mt.Allocation(item_id="FR01/invoice/2", amount=money("200.00", "EUR"))],
        unallocated=money("0", "EUR"),
        booking_date=date_to_proto(TODAY),
        payment_amount=money("200.00", "EUR"),
    )
    closed = rv.ItemClosed(item=item(2, "FR01/C1", "200.00", "EUR", 1), closed_on=date_to_proto(TODAY))
    closed.item.open_amount.amount = "0"
    return [meta(allocated, now), meta(closed, now + dt.timedelta(seconds=1))]


def collection_work() -> list[Message]:
    at = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
    disputed = col.ItemsQualified(
        customer_id="FR01/C2",
        statuses=[
            col.ItemStatus(
                item_id="FR01/invoice/4",
                status_code="dispute",
                since=date_to_proto(TODAY - dt.timedelta(days=10)),
                comment="wrong price",
                owner="sales",
                set_by="bob",
            )
        ],
    )
    performed = col.TaskChanged(
        task=col.Task(task_id="K-1", customer_id="FR01/C1", collector="ann"),
        action=col.TASK_ACTION_PERFORM,
        user="ann",
    )
    postponed = col.TaskChanged(
        task=col.Task(task_id="K-2", customer_id="FR01/C1"), action=col.TASK_ACTION_POSTPONE, user="ann"
    )
    sent = msg.MessageSent(message_id="M-1", customer_id="FR01/C2", channel="email")
    plan = col.PaymentPlanCreated(
        plan=col.PaymentPlan(
            plan_id="PL-1",
            customer_id="FR01/C2",
            entity="FR01",
            state=col.PAYMENT_PLAN_STATE_ACTIVE,
            item_ids=["FR01/invoice/3"],
            instalments=[
                col.PaymentPlanInstalment(
                    item_id="FR01/plan/PL-1/01",
                    sequence=1,
                    due_date=date_to_proto(TODAY + dt.timedelta(days=7)),
                    amount=money("150.00", "EUR"),
                    open_amount=money("150.00", "EUR"),
                ),
                col.PaymentPlanInstalment(
                    item_id="FR01/plan/PL-1/02",
                    sequence=2,
                    due_date=date_to_proto(TODAY + dt.timedelta(days=14)),
                    amount=money("150.00", "EUR"),
                    open_amount=money("150.00", "EUR"),
                ),
            ],
        )
    )
    return [meta(e, at) for e in (disputed, performed, postponed, sent, plan)]


async def apply(new_uow: Callable[[], UnitOfWork], events: list[Message]) -> None:
    await replay(events, new_uow, SETTINGS)


def scope(**kwargs: Any) -> rp.ReportScope:
    return rp.ReportScope(**kwargs)


async def ask(new_uow: Callable[[], UnitOfWork], answer: q.Answer, query: Any, d: q.ReportDeps | None = None) -> Any:
    async with new_uow() as uow:
        return await answer(query, uow, d or deps())


def aging_of(report: rp.AgingBalance) -> dict[tuple[str, str], dict[str, str]]:
    return {
        (r.key, r.currency): {
            **{b.label: b.amount.amount for b in r.buckets if b.count},
            "total": r.total.amount,
            "overdue": r.overdue.amount,
            "%": r.percent_overdue,
        }
        for r in report.rows
    }


async def test_aging_puts_each_boundary_day_in_its_bucket_per_currency(uows: Any) -> None:
    await apply(uows, ledger())
    report = await ask(uows, q.aging_balance, rp.GetAgingBalance(scope=scope()))
    assert aging_of(report) == {
        ("", "EUR"): {
            "not due": "100.00",
            "1-30": "500.00",
            "31-60": "400.00",
            "total": "1000.00",
            "overdue": "900.00",
            "%": "90.00",
        },
        ("", "USD"): {"91-180": "1000.00", ">180": "50.00", "total": "1050.00", "overdue": "1050.00", "%": "100.00"},
    }


async def test_group_currency_consolidates_at_the_day_rate(uows: Any) -> None:
    await apply(uows, ledger())
    query = rp.GetAgingBalance(scope=scope(currency_mode=rp.CURRENCY_MODE_GROUP))
    report = await ask(uows, q.aging_balance, query)
    # 1000 EUR + 1050 USD x 0.9 = 1945 EUR; overdue 900 + 945 = 1845, 94.86 %.
    assert aging_of(report) == {
        ("", "EUR"): {
            "not due": "100.00",
            "1-30": "500.00",
            "31-60": "400.00",
            "91-180": "900.00",
            ">180": "45.00",
            "total": "1945.00",
            "overdue": "1845.00",
            "%": "94.86",
        },
    }
    assert report.header.group_currency == "EUR" and list(report.header.problems) == []


async def test_entity_currency_converts_each_entity_to_its_own(uows: Any) -> None:
    await apply(uows, ledger())
    query = rp.GetAgingBalance(scope=scope(level=rp.REPORT_LEVEL_ENTITY, currency_mode=rp.CURRENCY_MODE_ENTITY))
    report = await ask(uows, q.aging_balance, query)
    totals = {(r.key, r.label, r.currency): r.total.amount for r in report.rows}
    assert totals == {("FR01", "France", "EUR"): "1045.00", ("US01", "USA", "USD"): "1000.00"}


async def test_a_missing_rate_leaves_the_amounts_out_and_says_so(uows: Any) -> None:
    await apply(uows, ledger())
    query = rp.GetAgingBalance(scope=scope(currency_mode=rp.CURRENCY_MODE_GROUP))
    report = await ask(uows, q.aging_balance, query, deps({}))
    assert [r.total.amount for r in report.rows] == ["1000.00"]  # the EUR only, never USD at 1
    assert len(report.header.problems) == 2
    assert all("no USD->EUR rate" in p for p in report.header.problems)


async def test_levels_group_by_collector_sector_and_customer_with_pages(uows: Any) -> None:
    await apply(uows, ledger())
    by_collector = await ask(uows, q.aging_balance, rp.GetAgingBalance(scope=scope(level=rp.REPORT_LEVEL_COLLECTOR)))
    assert {(r.key, r.currency): r.total.amount for r in by_collector.rows} == {
        ("ann", "EUR"): "300.00",
        ("ann", "USD"): "1050.00",
        ("bob", "EUR"): "700.00",
    }
    by_sector = await ask(
        uows, q.aging_balance, rp.GetAgingBalance(scope=scope(level=rp.REPORT_LEVEL_SECTOR, key="Steel"))
    )
    assert [(r.key, r.total.amount) for r in by_sector.rows] == [("Steel", "700.00")]
    first = await ask(
        uows, q.aging_balance, rp.GetAgingBalance(scope=scope(level=rp.REPORT_LEVEL_CUSTOMER, page_size=2))
    )
    assert sorted({(r.key, r.label) for r in first.rows}) == [("FR01/C1", "Alpha"), ("FR01/C2", "Beta")]
    rest = await ask(
        uows,
        q.aging_balance,
        rp.GetAgingBalance(
            scope=scope(level=rp.REPORT_LEVEL_CUSTOMER, page_size=2, page_token=first.header.next_page_token)
        ),
    )
    assert [r.key for r in rest.rows] == ["US01/C3"] and rest.header.next_page_token == ""
    only_fr = await ask(
        uows, q.aging_balance, rp.GetAgingBalance(scope=scope(level=rp.REPORT_LEVEL_CUSTOMER, entities=["US01"]))
    )
    assert [r.key for r in only_fr.rows] == ["US01/C3"]


async def test_a_payment_shows_in_receipts_and_leaves_the_aging_but_a_past_day_still_owes_it(uows: Any) -> None:
    await apply(uows, ledger() + payment_of_item_2())
    receipts = await ask(
        uows,
        q.cash_receipts,
        rp.GetCashReceipts(scope=scope(level=rp.REPORT_LEVEL_COLLECTOR), period=rp.PERIOD_UNIT_MONTH),
    )
    (row,) = receipts.rows
    assert (row.key, row.total.amount, row.count) == ("ann", "200.00", 1)
    assert (row.periods[-1].label, row.periods[-1].amount.amount) == ("2026-11", "200.00")
    assert len(row.periods) == 12

    today = await ask(uows, q.aging_balance, rp.GetAgingBalance(scope=scope()))
    assert aging_of(today)[("", "EUR")]["1-30"] == "300.00"
    yesterday = TODAY - dt.timedelta(days=1)
    past = await ask(uows, q.aging_balance, rp.GetAgingBalance(scope=scope(as_of=date_to_proto(yesterday))))
    # Yesterday invoice 2 was open, and due that day (not due); invoice 1 was not due either.
    assert aging_of(past)[("", "EUR")]["not due"] == "300.00"
    before = await ask(
        uows, q.aging_balance, rp.GetAgingBalance(scope=scope(as_of=date_to_proto(TODAY - dt.timedelta(days=20))))
    )
    assert list(before.rows) == []  # nothing was known yet


async def test_a_redelivered_payment_counts_once_and_a_reversal_takes_it_back(uows: Any) -> None:
    events = ledger() + payment_of_item_2()
    await apply(uows, events)
    async with uows() as uow:  # the same event again, as a redelivery after a lost ack would
        from opendso_reporting import report_handlers

        await report_handlers.record_allocation(events[3], uow)  # type: ignore[arg-type]
        await uow.commit()
    query = rp.GetCashReceipts(scope=scope())
    assert [r.total.amount for r in (await ask(uows, q.cash_receipts, query)).rows] == ["200.00"]
    await apply(uows, [meta(mt.AllocationReversed(allocation_id="A-1"), dt.datetime(2026, 11, 24, 11, tzinfo=dt.UTC))])
    assert list((await ask(uows, q.cash_receipts, query)).rows) == []


async def test_dso_by_both_methods_per_entity(uows: Any) -> None:
    await apply(uows, ledger() + payment_of_item_2())
    report = await ask(
        uows, q.dso_report, rp.GetDso(scope=scope(level=rp.REPORT_LEVEL_ENTITY, key="FR01"), period_days=90)
    )
    eur = next(r for r in report.rows if r.currency == "EUR")
    # Owed 800 EUR; sales 1000 EUR, all issued on 25 October.
    # Simple: 800 / 1000 x 90 = 72.0. Countback: November 1-24 has no sales (24 days), October's 1000
    # covers the 800 left in 31 x 0.8 = 24.8 days: 48.8.
    assert (eur.receivables.amount, eur.period_sales.amount) == ("800.00", "1000.00")
    assert (eur.simple_dso, eur.countback_dso) == ("72.0", "48.8")
    assert [p.days for p in eur.countback] == ["24.00", "24.80"]


async def test_a_dso_series_is_the_days_report_on_each_month_end_then_today(uows: Any) -> None:
    await apply(uows, ledger() + payment_of_item_2())
    one_day = rp.GetDso(scope=scope(level=rp.REPORT_LEVEL_ENTITY, key="FR01"), period_days=90)
    series = await ask(uows, q.dso_series, rp.GetDsoSeries(dso=one_day, points=3))
    days = [dt.date(p.header.as_of.year, p.header.as_of.month, p.header.as_of.day) for p in series.points]
    assert days == [dt.date(2026, 9, 30), dt.date(2026, 10, 31), TODAY]
    # Today's point is the one-day report; the ledger was recorded after the earlier month-ends, which owe nothing.
    assert list(series.points[-1].rows) == list((await ask(uows, q.dso_report, one_day)).rows)
    assert [[(r.currency, r.receivables.amount, r.countback_dso) for r in p.rows] for p in series.points] == [
        [],
        [("EUR", "0.00", "0.0"), ("USD", "0.00", "0.0")],
        [("EUR", "800.00", "48.8"), ("USD", "50.00", "55.0")],
    ]


async def test_disputes_statuses_activity_and_forecast(uows: Any) -> None:
    await apply(uows, ledger() + payment_of_item_2() + collection_work())
    disputes = await ask(uows, q.dispute_report, rp.GetDisputeReport(scope=scope()))
    (row,) = disputes.rows
    assert (row.count, row.amount.amount, row.average_age_days, row.oldest_age_days) == (1, "400.00", "10.0", 10)
    (it,) = disputes.items
    assert (it.item_id, it.owner, it.reason, it.customer_name, it.age_days) == (
        "FR01/invoice/4",
        "sales",
        "wrong price",
        "Beta",
        10,
    )

    statuses = await ask(uows, q.item_status_report, rp.GetItemStatusReport(scope=scope()))
    eur = next(r for r in statuses.rows if r.currency == "EUR")
    # Overdue EUR: invoices 3 and 4 (700); invoice 4 is disputed: 400 / 700 = 57.14 %.
    assert (eur.overdue.amount, eur.qualified.amount, eur.percent_qualified) == ("700.00", "400.00", "57.14")
    assert eur.percent_qualified_count == "50.00"

    activity = await ask(
        uows, q.collector_activity, rp.GetCollectorActivity(scope=scope(level=rp.REPORT_LEVEL_COLLECTOR))
    )
    rows = {r.key: r for r in activity.rows}
    assert (rows["ann"].actions_done, rows["ann"].payments, [m.amount for m in rows["ann"].collected]) == (
        1,
        1,
        ["200.00"],
    )
    assert (rows["bob"].disputes_recorded, rows["bob"].messages_sent) == (1, 1)

    forecast = await ask(
        uows, q.cash_forecast, rp.GetCashForecast(scope=scope(level=rp.REPORT_LEVEL_CUSTOMER, key="FR01/C2"))
    )
    (f,) = forecast.rows
    # Invoice 3 (300) is under a plan of 150 on 1 December and 150 on 8 December; invoice 4 is disputed.
    weeks = {p.label: p.amount.amount for p in f.periods if p.amount.amount != "0.00"}
    assert weeks == {"2026-W49": "150.00", "2026-W50": "150.00"}
    assert (f.disputed.amount, f.overdue.amount, f.total.amount) == ("400.00", "0.00", "700.00")


async def test_exports_every_report_as_csv_and_xlsx(uows: Any) -> None:
    await apply(uows, ledger() + payment_of_item_2() + collection_work())
    queries = {
        "aging": rp.GetAgingBalance(scope=scope()),
        "dso": rp.GetDso(scope=scope()),
        "receipts": rp.GetCashReceipts(scope=scope()),
        "forecast": rp.GetCashForecast(scope=scope()),
        "disputes": rp.GetDisputeReport(scope=scope()),
        "item_status": rp.GetItemStatusReport(scope=scope()),
        "activity": rp.GetCollectorActivity(scope=scope()),
    }
    for field, inner in queries.items():
        csv_file = await ask(uows, q.export_report, rp.ExportReport(**{field: inner}))
        lines = list(csv.reader(io.StringIO(csv_file.content.decode())))
        assert csv_file.rows == len(lines) - 1 >= 1, field
        xlsx = await ask(uows, q.export_report, rp.ExportReport(format=rp.EXPORT_FORMAT_XLSX, **{field: inner}))
        assert xlsx.content[:2] == b"PK" and xlsx.file_name.endswith(".xlsx")
    aging = await ask(uows, q.export_report, rp.ExportReport(aging=queries["aging"]))
    head, eur, _ = list(csv.reader(io.StringIO(aging.content.decode())))
    assert head[:4] == ["key", "label", "currency", "not due"] and eur[2:4] == ["EUR", "100.00"]


async def test_bad_requests_are_refused(uows: Any) -> None:
    with pytest.raises(InvalidRequest, match="gap"):
        await ask(
            uows,
            q.aging_balance,
            rp.GetAgingBalance(
                buckets=[rp.BucketDefinition(label="a", max_days=0), rp.BucketDefinition(label="b", min_days=5)]
            ),
        )
    with pytest.raises(InvalidRequest, match="future"):
        await ask(uows, q.dso_report, rp.GetDso(scope=scope(as_of=date_to_proto(TODAY + dt.timedelta(days=1)))))
    with pytest.raises(InvalidRequest, match="page_token"):
        await ask(uows, q.aging_balance, rp.GetAgingBalance(scope=scope(page_token="%%%")))


async def test_a_rebuild_from_the_events_gets_the_same_figures(make_database: MakeDatabase, uows: Any) -> None:
    events = ledger() + payment_of_item_2() + collection_work()
    # Live: events arrive with a redelivery and a late, older item event in between.
    await apply(uows, events[:4])
    await apply(uows, [events[3], *events[4:]])
    rebuilt, engine = await fresh(make_database, "rebuilt")
    try:
        await apply(rebuilt, events)
        async with uows() as a, rebuilt() as b:
            assert await a.reports.fingerprint() == await b.reports.fingerprint()
        for answer, query in (
            (q.aging_balance, rp.GetAgingBalance(scope=scope(level=rp.REPORT_LEVEL_CUSTOMER))),
            (q.dso_report, rp.GetDso(scope=scope(currency_mode=rp.CURRENCY_MODE_GROUP))),
            (q.cash_forecast, rp.GetCashForecast(scope=scope(level=rp.REPORT_LEVEL_COLLECTOR))),
            (q.collector_activity, rp.GetCollectorActivity(scope=scope(level=rp.REPORT_LEVEL_COLLECTOR))),
        ):
            assert await ask(uows, answer, query) == await ask(rebuilt, answer, query)
    finally:
        await engine.dispose()


async def test_a_rebuild_leaves_out_an_event_the_service_refuses_and_goes_on(
    make_database: MakeDatabase, uows: Any
) -> None:
    events = ledger() + payment_of_item_2()
    await apply(uows, events)
    # An item event without its currency: the live consumer dead-letters it after its retries.
    broken = meta(
        rv.ItemOpened(item=rv.OpenItem(item_id="FR01/invoice/BAD", customer_id="FR01/C1", entity="FR01")),
        dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )
    rebuilt, engine = await fresh(make_database, "rebuilt_refused")
    try:
        refused: list[tuple[str, str]] = []
        applied = await replay([*events[:2], broken, *events[2:]], rebuilt, SETTINGS, refused)
        assert applied == len(events)
        assert [(i, "currency" in r) for i, r in refused] == [(broken.meta.event_id, True)]
        async with uows() as a, rebuilt() as b:
            assert await a.reports.fingerprint() == await b.reports.fingerprint()
    finally:
        await engine.dispose()


async def test_a_customer_handed_to_another_collector_takes_its_items_along_whatever_the_order(uows: Any) -> None:
    entities, customers, items = ledger()
    await apply(uows, [entities, items, customers])  # items before their customers
    moved = rv.CustomerChanged(
        customer=rv.Customer(customer_id="FR01/C2", entity="FR01", name="Beta", sector="Steel", collector="ann")
    )
    await apply(uows, [meta(moved, T0 + dt.timedelta(hours=1))])
    stale = rv.CustomerChanged(
        customer=rv.Customer(customer_id="FR01/C2", entity="FR01", name="Beta", sector="Steel", collector="zed")
    )
    await apply(uows, [meta(stale, T0 + dt.timedelta(minutes=30))])  # older, arriving late
    report = await ask(uows, q.aging_balance, rp.GetAgingBalance(scope=scope(level=rp.REPORT_LEVEL_COLLECTOR)))
    assert {(r.key, r.currency): r.total.amount for r in report.rows} == {
        ("ann", "EUR"): "1000.00",
        ("ann", "USD"): "1050.00",
    }


async def test_a_promise_to_pay_from_its_event_moves_the_forecast_until_it_is_broken(uows: Any) -> None:
    entities, customers, items = ledger()
    promised = col.ItemsQualified(
        customer_id="FR01/C1",
        promise_id="promise-1",
        promised_amount=money("250.00", "EUR"),
        promised_on=date_to_proto(dt.date(2026, 12, 1)),
        statuses=[
            col.ItemStatus(item_id=f"FR01/invoice/{n}", status_code="promise_to_pay", since=date_to_proto(TODAY))
            for n in (1, 2)
        ],
    )
    await apply(uows, [entities, customers, items, meta(promised, T0 + dt.timedelta(days=9))])

    def weeks(report: rp.CashForecast, key: str) -> dict[str, str]:
        (row,) = [r for r in report.rows if r.key == key and r.currency == "EUR"]
        found = {p.label: p.amount.amount for p in row.periods if p.amount.amount != "0.00"}
        return {**found, "overdue": row.overdue.amount, "total": row.total.amount}

    customer = rp.GetCashForecast(scope=scope(level=rp.REPORT_LEVEL_CUSTOMER, key="FR01/C1"))
    group = rp.GetCashForecast(scope=scope())
    # On Tue 24 Nov, C1 owes invoice 1 (100, due today) and 2 (200, due yesterday); the promise of 250 on Tue
    # 1 Dec takes invoice 2's 200 (oldest due first) and 50 of invoice 1; invoice 1's other 50 is expected on
    # its due day (no usual delay known), in this week.
    assert weeks(await ask(uows, q.cash_forecast, customer), "FR01/C1") == {
        "2026-W48": "50.00",
        "2026-W49": "250.00",
        "overdue": "0.00",
        "total": "300.00",
    }
    # The group adds C2's invoices 3 and 4 (300 + 400, overdue and not promised).
    assert weeks(await ask(uows, q.cash_forecast, group), "") == {
        "2026-W48": "50.00",
        "2026-W49": "250.00",
        "overdue": "700.00",
        "total": "1000.00",
    }

    broken = col.PromiseBroken(promise_id="promise-1", customer_id="FR01/C1")
    await apply(uows, [meta(broken, T0 + dt.timedelta(days=10))])
    # Invoice 2 (due yesterday) is overdue again, invoice 1 expected today.
    assert weeks(await ask(uows, q.cash_forecast, customer), "FR01/C1") == {
        "2026-W48": "100.00",
        "overdue": "200.00",
        "total": "300.00",
    }
