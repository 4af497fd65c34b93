"""Payment figures, worked out by hand on small ledgers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendso_risk.domain.behaviour import (
    Allocation,
    Dispute,
    PaidInvoice,
    PromiseRecord,
    dispute_figures,
    figures,
    months_before,
    payment_day,
    promise_figures,
    trend,
)

TODAY = dt.date(2026, 6, 30)
D = dt.date


def one(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.1"))


# A: 100 EUR, 40 days to pay, 10 late. B: 300 EUR, 27 days to pay, 3 early. C: 600 EUR, 61 days to pay, 31 late.
A = PaidInvoice("A", Decimal(100), "EUR", D(2026, 1, 1), D(2026, 1, 31), D(2026, 2, 10))
B = PaidInvoice("B", Decimal(300), "EUR", D(2026, 2, 1), D(2026, 3, 3), D(2026, 2, 28))
C = PaidInvoice("C", Decimal(600), "EUR", D(2026, 3, 1), D(2026, 3, 31), D(2026, 5, 1))


def test_an_invoice_knows_its_days_to_pay_and_late() -> None:
    assert (A.days_to_pay, A.days_after_due, A.days_late) == (40, 10, 10)
    assert (B.days_to_pay, B.days_after_due, B.days_late) == (27, -3, 0)
    assert (C.days_to_pay, C.days_after_due, C.days_late) == (61, 31, 31)


def test_figures_over_twelve_months_plain_and_amount_weighted() -> None:
    f = figures([A, B, C], TODAY, 12)
    assert f.paid_invoices == 3
    # (40 + 27 + 61) / 3
    assert one(f.average_days_to_pay) == Decimal("42.7")
    # (100 x 40 + 300 x 27 + 600 x 61) / 1000
    assert f.weighted_days_to_pay == Decimal("48.7")
    # (10 + 0 + 31) / 3: an early payment is 0 days late
    assert one(f.average_days_late) == Decimal("13.7")
    # (100 x 10 + 600 x 31) / 1000
    assert f.weighted_days_late == Decimal("19.6")
    assert f.share_paid_late is not None and f.share_paid_late.quantize(Decimal("0.0001")) == Decimal("0.6667")
    # (100 x 10 - 300 x 3 + 600 x 31) / 1000: early days count negative here
    assert f.weighted_days_after_due == Decimal("18.7")
    assert f.days_after_due_sum == 10 - 3 + 31


def test_a_window_counts_the_invoices_paid_within_it() -> None:
    # Three months back from 30 June is 30 March: only C (paid 1 May) is inside.
    f = figures([A, B, C], TODAY, 3)
    assert (f.paid_invoices, f.weighted_days_late) == (1, Decimal(31))
    empty = figures([A, B, C], D(2028, 1, 1), 12)
    assert (empty.paid_invoices, empty.average_days_late, empty.share_paid_late) == (0, None, None)


def test_a_second_currency_is_weighed_within_its_own_currency() -> None:
    yen = PaidInvoice("D", Decimal(10000), "JPY", D(2026, 4, 1), D(2026, 5, 1), D(2026, 5, 6))
    f = figures([A, B, C, yen], TODAY, 12)
    # EUR weights are amount / (1000 / 3): 0.3, 0.9, 1.8; the lone JPY invoice weighs 1.
    # (0.3 x 10 + 0.9 x 0 + 1.8 x 31 + 1 x 5) / 4 = 63.8 / 4
    assert f.weighted_days_late == Decimal("15.95")


def test_months_before_keeps_the_day_or_takes_the_month_end() -> None:
    assert months_before(D(2026, 5, 31), 3) == D(2026, 2, 28)
    assert months_before(D(2026, 1, 15), 12) == D(2025, 1, 15)
    assert months_before(D(2024, 3, 31), 1) == D(2024, 2, 29)


def test_the_payment_day_is_the_last_allocation_when_they_cover_the_invoice() -> None:
    closed = D(2026, 3, 20)
    full = [
        Allocation("X", Decimal("60.00"), Decimal(0), D(2026, 3, 2)),
        Allocation("X", Decimal("39.50"), Decimal("0.50"), D(2026, 3, 9)),
    ]
    assert payment_day(Decimal(100), closed, full) == D(2026, 3, 9)
    # Part paid through matching: the ledger's closing day, or none while open.
    assert payment_day(Decimal(100), closed, full[:1]) == closed
    assert payment_day(Decimal(100), None, full[:1]) is None


def paid(name: str, due: dt.date, days_after: int) -> PaidInvoice:
    return PaidInvoice(name, Decimal(100), "EUR", due - dt.timedelta(days=30), due, due + dt.timedelta(days=days_after))


def test_the_trend_compares_the_last_three_months_with_the_nine_before() -> None:
    before = [paid(f"E{n}", D(2025, 11, 1), 2) for n in range(3)]  # 2 days late, 8 months ago
    worse = trend([*before, paid("L", D(2026, 5, 1), 20)], TODAY, 5)
    assert worse.direction == "worsening"
    assert worse.explanation.startswith("20.0 days late (weighted) in the last 3 months against 2.0 in the 9 months")
    assert trend([*before, paid("M", D(2026, 6, 1), 0)], TODAY, 5).direction == "stable"
    slow_before = [paid("S", D(2025, 11, 1), 25)]
    assert trend([*slow_before, paid("M", D(2026, 6, 1), 0)], TODAY, 5).direction == "improving"
    assert trend(before, TODAY, 5).direction == "unknown"


def test_dispute_figures_count_open_and_resolved_disputes() -> None:
    disputes = [
        Dispute("I1", D(2026, 1, 10), D(2026, 2, 9)),  # 30 days
        Dispute("I2", D(2026, 3, 1), D(2026, 3, 11)),  # 10 days
        Dispute("I3", D(2026, 6, 1)),  # open 29 days
        Dispute("I4", D(2025, 1, 1), D(2025, 2, 1)),  # resolved over a year ago: not counted
    ]
    f = dispute_figures(disputes, TODAY)
    assert (f.open, f.opened_last_12_months, f.resolved_last_12_months) == (1, 3, 2)
    assert f.average_resolution_days == Decimal(20)
    assert f.oldest_open_days == 29


def test_promise_figures_count_the_last_twelve_months() -> None:
    made = [
        PromiseRecord("P1", D(2026, 2, 1), D(2026, 2, 20)),
        PromiseRecord("P2", D(2026, 5, 1)),
        PromiseRecord("P3", D(2025, 3, 1), D(2025, 3, 20)),
    ]
    f = promise_figures(made, TODAY)
    assert (f.made_last_12_months, f.broken_last_12_months) == (2, 1)
