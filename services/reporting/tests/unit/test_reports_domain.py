"""The reports' figures against examples computed by hand (see docs/reports.md for the formulas)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from opendso_reporting.domain.aging import DEFAULT_BUCKETS, Bucket
from opendso_reporting.domain.currency import MissingRate, Mode, needed_rates, plan
from opendso_reporting.domain.reports import (
    ActivityCell,
    ActivityKind,
    AgingCell,
    DayCell,
    DisputeCell,
    DueRange,
    OpenAmount,
    Promise,
    StatusCell,
    Unit,
    activity_rows,
    aging_rows,
    dispute_rows,
    dso,
    due_ranges,
    expected_cells,
    forecast_rows,
    period_of,
    periods_back,
    receipts_rows,
    status_rows,
)

D = Decimal


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ---- DSO -------------------------------------------------------------------------------------------------

SALES = {day("2026-01-15"): D("3000"), day("2026-02-10"): D("2800"), day("2026-03-05"): D("2000")}


def test_countback_uses_up_march_then_part_of_february() -> None:
    # March's 2000 of sales leave 2000 of the 4000 owed: 31 days; February's 2800 cover the rest in
    # 28 x 2000 / 2800 = 20 days. 31 + 20 = 51.
    figures = dso(D("4000"), SALES, day("2026-03-31"), period_days=90)
    assert figures.countback == D("51.0")
    assert [(p.start, p.days) for p in figures.periods] == [
        (day("2026-03-01"), D("31.00")),
        (day("2026-02-01"), D("20.00")),
    ]
    assert not figures.exhausted


def test_simple_dso_divides_receivables_by_the_period_sales() -> None:
    # 90 days ending on 31 March start on 1 January: 7800 of sales; 4000 / 7800 x 90 = 46.15...
    figures = dso(D("4000"), SALES, day("2026-03-31"), period_days=90)
    assert figures.period_sales == D("7800")
    assert figures.simple == D("46.2")


def test_the_as_of_month_counts_only_its_days_so_far() -> None:
    # 15 March: March's period is 1-15 (15 days) with 2000 of sales; 1000 owed is half of it: 7.5 days.
    figures = dso(D("1000"), SALES, day("2026-03-15"))
    assert figures.countback == D("7.5")


def test_countback_is_exhausted_when_the_months_run_out() -> None:
    figures = dso(D("100000"), SALES, day("2026-03-31"), max_months=3)
    assert figures.exhausted
    assert figures.countback == D("90.0")  # every day of January, February and March


def test_without_sales_dso_is_not_a_number() -> None:
    figures = dso(D("500"), {}, day("2026-03-31"))
    assert figures.simple is None and figures.countback is None


def test_nothing_owed_is_zero_days() -> None:
    figures = dso(D("0"), SALES, day("2026-03-31"))
    assert figures.countback == D("0.0") and figures.simple == D("0.0")


# ---- aging -----------------------------------------------------------------------------------------------

AS_OF = day("2024-06-30")


def test_bucket_due_ranges_put_today_in_not_due_and_yesterday_in_1_30() -> None:
    ranges = due_ranges(DEFAULT_BUCKETS, AS_OF)
    assert ranges[0] == DueRange(AS_OF, None)  # due today or later
    assert ranges[1] == DueRange(day("2024-05-31"), day("2024-06-29"))  # 30 days overdue .. 1 day
    assert ranges[2] == DueRange(day("2024-05-01"), day("2024-05-30"))  # 60 .. 31
    assert ranges[-1] == DueRange(None, day("2024-01-01"))  # 181 days and more (2024 is a leap year)


def test_custom_buckets_must_cover_every_day() -> None:
    with pytest.raises(ValueError, match="gap"):
        due_ranges((Bucket("a", None, 0), Bucket("b", 2, None)), AS_OF)


def test_aging_rows_sum_buckets_and_overdue_per_node_and_currency() -> None:
    cells = [
        AgingCell("FR01", "EUR", 0, False, D("100"), 1),
        AgingCell("FR01", "EUR", 1, True, D("50.005"), 2),
        AgingCell("FR01", "EUR", 5, True, D("-20"), 1),
        AgingCell("FR01", "USD", 0, False, D("10"), 1),
    ]
    rows = aging_rows(cells, DEFAULT_BUCKETS)
    eur = rows[0]
    assert (eur.key, eur.currency) == ("FR01", "EUR")
    assert eur.total == D("130.01") and eur.overdue == D("30.01") and eur.count == 4
    assert eur.percent_overdue == D("23.08")  # 30.005 / 130.005
    assert eur.buckets[1] == ("1-30", D("50.01"), 2)
    assert rows[1].percent_overdue == D("0.00")


# ---- currencies ------------------------------------------------------------------------------------------

ENTITY_CURRENCIES = {"FR01": "EUR", "US01": "USD"}
PAIRS = {("FR01", "EUR"), ("FR01", "USD"), ("US01", "USD")}


def test_group_currency_converts_every_other_currency_at_the_day_rate() -> None:
    assert needed_rates(Mode.GROUP, PAIRS, ENTITY_CURRENCIES, "EUR") == {("USD", "EUR")}
    p = plan(Mode.GROUP, PAIRS, ENTITY_CURRENCIES, "EUR", {("USD", "EUR"): D("0.9")}, "2026-11-24")
    # 100 EUR + 50 USD of FR01 + 200 USD of US01 = 100 + 45 + 180 = 325 EUR.
    amounts = [
        p.convert("FR01", "EUR", D("100")),
        p.convert("FR01", "USD", D("50")),
        p.convert("US01", "USD", D("200")),
    ]
    assert amounts == [("EUR", D("100")), ("EUR", D("45.0")), ("EUR", D("180.0"))]
    assert sum(a for _, a in amounts if a) == D("325")
    assert p.problems == ()


def test_entity_currency_converts_to_each_entity_book_currency() -> None:
    p = plan(Mode.ENTITY, PAIRS, ENTITY_CURRENCIES, "EUR", {("USD", "EUR"): D("0.9")}, "2026-11-24")
    assert p.convert("FR01", "USD", D("50")) == ("EUR", D("45.0"))
    assert p.convert("US01", "USD", D("200")) == ("USD", D("200"))


def test_a_missing_rate_is_a_problem_never_a_rate_of_one() -> None:
    missing = MissingRate("no GBP->EUR rate on or before 2026-11-24")
    p = plan(Mode.GROUP, {("FR01", "GBP")}, ENTITY_CURRENCIES, "EUR", {("GBP", "EUR"): missing}, "2026-11-24")
    assert p.convert("FR01", "GBP", D("10")) is None
    assert p.problems == (
        "GBP amounts of entity FR01 left out: no GBP->EUR rate on or before 2026-11-24 on 2026-11-24",
    )


def test_an_entity_without_a_currency_is_a_problem_in_entity_mode() -> None:
    p = plan(Mode.ENTITY, {("XX01", "EUR")}, ENTITY_CURRENCIES, "EUR", {}, "2026-11-24")
    assert p.convert("XX01", "EUR", D("1")) is None
    assert "entity XX01's currency is not known" in p.problems[0]


def test_item_mode_converts_nothing() -> None:
    p = plan(Mode.ITEM, PAIRS, ENTITY_CURRENCIES, "", {}, "2026-11-24")
    assert p.convert("FR01", "USD", D("50")) == ("USD", D("50"))


# ---- cash forecast ---------------------------------------------------------------------------------------


def test_forecast_takes_promised_money_on_the_promise_day_and_the_rest_on_the_usual_day() -> None:
    as_of = day("2026-11-25")  # a Wednesday of ISO week 48
    items = [
        OpenAmount("A", "C1", "EUR", day("2026-11-20"), D("1000"), delay_days=5),
        OpenAmount("B", "C1", "EUR", day("2026-12-10"), D("500"), delay_days=5),
        OpenAmount("C", "C1", "EUR", day("2026-12-01"), D("300"), disputed=True, delay_days=5),
        OpenAmount("D", "C1", "EUR", day("2026-11-02"), D("50"), delay_days=5),
    ]
    # 1200 promised on 1 December for A and B: A's 1000 (due first), then 200 of B.
    cells = expected_cells(items, [Promise("P1", ("A", "B", "C"), day("2026-12-01"), D("1200"))])
    rows = forecast_rows(cells, as_of, Unit.WEEK, 4)
    assert len(rows) == 1
    row = rows[0]
    weeks = {p.label: amount for p, amount, _ in row.periods}
    assert weeks == {"2026-W48": D("0.00"), "2026-W49": D("1200.00"), "2026-W50": D("0.00"), "2026-W51": D("300.00")}
    assert row.disputed == D("300.00")  # C: never forecast, even promised
    assert row.overdue == D("50.00")  # D: expected on 7 November, still open
    assert row.later == D("0.00")
    assert row.total == D("1850.00")


def test_forecast_by_month_puts_money_after_the_last_period_in_later() -> None:
    cells = expected_cells(
        [OpenAmount("A", "C1", "EUR", day("2027-03-01"), D("10"))], [Promise("P", ("A",), day("2026-12-24"), D("4"))]
    )
    row = forecast_rows(cells, day("2026-11-25"), Unit.MONTH, 2)[0]
    assert [(p.label, a) for p, a, _ in row.periods] == [("2026-11", D("0.00")), ("2026-12", D("4.00"))]
    assert row.later == D("6.00")


# ---- receipts, disputes, statuses, activity ------------------------------------------------------------------


def test_receipts_are_summed_by_iso_week() -> None:
    cells = [
        DayCell("", "EUR", day("2026-11-23"), D("10"), 1),  # Monday W48
        DayCell("", "EUR", day("2026-11-29"), D("5"), 1),  # Sunday W48
        DayCell("", "EUR", day("2026-11-30"), D("1"), 1),  # Monday W49
    ]
    row = receipts_rows(cells, day("2026-11-23"), day("2026-12-06"), Unit.WEEK)[0]
    assert [(p.label, a, c) for p, a, c in row.periods] == [("2026-W48", D("15.00"), 2), ("2026-W49", D("1.00"), 1)]
    assert row.total == D("16.00") and row.count == 3


def test_periods_back_counts_whole_periods() -> None:
    assert periods_back(day("2026-11-25"), Unit.MONTH, 12) == day("2025-12-01")
    assert period_of(day("2026-01-01"), Unit.WEEK).label == "2026-W01"
    assert period_of(day("2027-01-01"), Unit.WEEK).label == "2026-W53"


def test_dispute_age_is_days_since_raised_averaged_over_items() -> None:
    rows = dispute_rows(
        [
            DisputeCell("x", "EUR", day("2026-11-01"), D("100"), 2),
            DisputeCell("x", "EUR", day("2026-11-21"), D("5"), 1),
        ],
        day("2026-11-25"),
    )
    # Ages 24, 24 and 4: average 52 / 3 = 17.3; oldest 24.
    assert rows[0].count == 3 and rows[0].amount == D("105.00")
    assert rows[0].average_age_days == D("17.3") and rows[0].oldest_age_days == 24


def test_item_status_report_gives_the_share_of_overdue_qualified() -> None:
    rows = status_rows(
        [
            StatusCell("", "EUR", "", D("600"), 3),
            StatusCell("", "EUR", "dispute", D("300"), 1),
            StatusCell("", "EUR", "promise_to_pay", D("100"), 1),
        ]
    )
    row = rows[0]
    assert row.overdue == D("1000.00") and row.qualified == D("400.00")
    assert row.percent_qualified == D("40.00") and row.percent_qualified_count == D("40.00")
    assert [s for s, _, _ in row.statuses] == ["", "dispute", "promise_to_pay"]


def test_activity_counts_each_kind_and_sums_money_per_currency() -> None:
    rows = activity_rows(
        [ActivityCell("ann", ActivityKind.ACTION, 3), ActivityCell("ann", ActivityKind.PROMISE, 1)],
        [DayCell("ann", "EUR", day("2026-11-01"), D("10"), 1), DayCell("bob", "USD", day("2026-11-01"), D("2"), 2)],
    )
    assert [(r.key, r.actions_done, r.promises_obtained, r.collected, r.payments) for r in rows] == [
        ("ann", 3, 1, (("EUR", D("10.00")),), 1),
        ("bob", 0, 0, (("USD", D("2.00")),), 2),
    ]


def test_a_trend_is_read_on_month_ends_then_the_as_of_day() -> None:
    from opendso_reporting.domain.reports import month_end_days

    assert month_end_days(dt.date(2026, 3, 15), 4) == [
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 15),
    ]
    assert month_end_days(dt.date(2024, 3, 1), 2) == [dt.date(2024, 2, 29), dt.date(2024, 3, 1)]
    assert len(month_end_days(dt.date(2026, 11, 25), 12)) == 12
