"""Predicted payment dates: the customer's habit, the segment's typical customer, and the stated blend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendso_risk.domain.prediction import Segment, choose_segment, expectation, predict, segment_from_histogram

ENTITY = Segment("entity FR01", 100, Decimal(5))
GROUP = Segment("customer group Retail in FR01", 4, Decimal(20))


def test_the_typical_customer_is_the_median_of_the_segment() -> None:
    # 3 customers at -2 days, 1 at 0, 2 at 40, 1 at 120: the fourth of seven is at 0.
    odd = segment_from_histogram("entity FR01", {-2: 3, 0: 1, 40: 2, 120: 1})
    assert (odd.customers, odd.median_days) == (7, Decimal(0))
    # Four customers: the mean of the second and the third.
    even = segment_from_histogram("entity FR01", {1: 1, 4: 1, 10: 1, 90: 1})
    assert even.median_days == Decimal(7)
    assert segment_from_histogram("entity FR01", {}) == Segment("entity FR01", 0, None)


def test_a_customer_with_a_history_is_judged_by_it() -> None:
    e = expectation(Decimal(15), 6, ENTITY, 0)
    assert e.expected_days == Decimal(15)
    assert e.rule == "the customer's 6 invoices paid in 12 months: 15.0 days after due (weighted)"
    assert predict(dt.date(2026, 7, 1), e.expected_days).predicted_on == dt.date(2026, 7, 16)


def test_a_blend_leans_on_the_segment_as_configured() -> None:
    e = expectation(Decimal(15), 6, ENTITY, 3)
    # (6 x 15 + 3 x 5) / 9 = 11.67
    assert e.expected_days.quantize(Decimal("0.01")) == Decimal("11.67")
    assert e.rule == (
        "(6 x 15.0 days of the customer + 3 x 5.0 days of the entity FR01 typical customer) / 9 = 11.7 days after due"
    )
    assert predict(dt.date(2026, 7, 1), e.expected_days).predicted_on == dt.date(2026, 7, 13)


def test_no_history_takes_the_segment_and_no_segment_the_due_date() -> None:
    e = expectation(None, 0, ENTITY, 0)
    assert (e.expected_days, e.customer_days) == (Decimal(5), None)
    assert e.rule == "no invoice paid in 12 months: the entity FR01 typical customer, 5.0 days after due"
    none = expectation(None, 0, None, 0)
    assert none.expected_days == 0 and none.rule.endswith("the due date")
    alone = expectation(Decimal("-2.4"), 4, None, 3)
    assert alone.expected_days == Decimal("-2.4")


def test_a_customer_group_is_the_segment_only_with_enough_customers() -> None:
    assert choose_segment(GROUP, ENTITY, 10) is ENTITY
    assert choose_segment(GROUP, ENTITY, 4) is GROUP
    assert choose_segment(None, Segment("entity FR01", 0, None), 10) is None


def test_a_date_already_past_is_today_for_an_open_invoice() -> None:
    due = dt.date(2026, 6, 1)
    on_time = predict(due, Decimal("9.5"), dt.date(2026, 6, 5))
    assert (on_time.predicted_on, on_time.days_after_due, on_time.later_than_usual) == (dt.date(2026, 6, 11), 10, False)
    late = predict(due, Decimal(3), dt.date(2026, 6, 20))
    assert (late.predicted_on, late.days_after_due, late.later_than_usual) == (dt.date(2026, 6, 20), 19, True)
    early = predict(due, Decimal("-4.5"))
    assert early.predicted_on == dt.date(2026, 5, 27)
