"""Predicted payment dates of open invoices, from how the customer paid before.

The rule: an invoice is expected ``expected_days`` after its due date, where

    expected_days = (n x customer + k x segment) / (n + k)

``customer`` is the customer's amount-weighted average days after due (early payments negative) over the
invoices it paid in the last 12 months, ``n`` how many those are, and ``k`` the configured ``pseudo_invoices``
(0 by default: measured on the generator's payment profiles, leaning on the segment made the dates worse for
customers with a history). ``segment`` is the median of the same figure over the customers of its customer group
in its entity (when at least ``segment_minimum`` of them paid something in 12 months), else over its entity's:
the typical customer, whom a few chronically late payers do not drag along as they would an average. A customer
with no paid invoice gets the segment's figure; with no segment either, the due date. A date already past for
an invoice still open is today: the customer is later than its habit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Segment:
    """The customers of a segment with a paid invoice in 12 months, and their median days after due."""

    label: str
    customers: int
    median_days: Decimal | None


def segment_from_histogram(label: str, histogram: Mapping[int, int]) -> Segment:
    """A segment from how many customers typically pay each number of days after due."""
    total = sum(histogram.values())
    if total == 0:
        return Segment(label, 0, None)
    values = sorted(histogram)
    # The middle value, or the mean of the two middle ones.
    middle = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value in values:
        seen += histogram[value]
        while len(found) < 2 and middle[len(found)] < seen:
            found.append(value)
    return Segment(label, total, Decimal(found[0] + found[1]) / 2)


def choose_segment(group: Segment | None, entity: Segment | None, minimum: int) -> Segment | None:
    """The customer group when enough of its customers have a history, else the entity when any has."""
    if group is not None and group.customers >= minimum and group.median_days is not None:
        return group
    if entity is not None and entity.median_days is not None:
        return entity
    return None


@dataclass(frozen=True)
class Expectation:
    customer_days: Decimal | None
    customer_invoices: int
    segment: Segment | None
    pseudo_invoices: int
    expected_days: Decimal
    rule: str


def _shown(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def expectation(
    customer_days: Decimal | None, customer_invoices: int, segment: Segment | None, pseudo_invoices: int
) -> Expectation:
    """How many days after due the customer's invoices are expected to be paid, and why."""
    n = customer_invoices if customer_days is not None else 0
    k = pseudo_invoices
    s = segment.median_days if segment is not None else None
    if n == 0 and s is None:
        return Expectation(None, 0, None, k, Decimal(0), "no paid invoice of the customer or its segment: the due date")
    if n == 0:
        assert segment is not None and s is not None
        rule = f"no invoice paid in 12 months: the {segment.label} typical customer, {_shown(s)} days after due"
        return Expectation(None, 0, segment, k, s, rule)
    assert customer_days is not None
    if s is None or k == 0:
        rule = f"the customer's {n} invoices paid in 12 months: {_shown(customer_days)} days after due (weighted)"
        return Expectation(customer_days, n, segment, k, customer_days, rule)
    assert segment is not None
    expected = (n * customer_days + k * s) / (n + k)
    rule = (
        f"({n} x {_shown(customer_days)} days of the customer + {k} x {_shown(s)} days of the {segment.label} "
        f"typical customer) / {n + k} = {_shown(expected)} days after due"
    )
    return Expectation(customer_days, n, segment, k, expected, rule)


@dataclass(frozen=True)
class Prediction:
    predicted_on: dt.date
    days_after_due: int
    later_than_usual: bool


def predict(due_date: dt.date, expected_days: Decimal, today: dt.date | None = None) -> Prediction:
    """The due date plus the expected days (rounded half up); not before ``today`` for an invoice still open."""
    days = int(expected_days.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    on = due_date + dt.timedelta(days=days)
    if today is not None and on < today:
        return Prediction(today, (today - due_date).days, True)
    return Prediction(on, days, False)
