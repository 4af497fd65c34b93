"""Payment behaviour: how a customer pays, from the invoices it paid.

An invoice counts once paid: its payment day is the day the ledger closed it, or, when the matching service
applied payments covering it, the booking day of the last of them. Figures are over the invoices paid within a
window (3, 6, 12 months back from today, by payment day).

Weighted figures weigh each invoice by its amount. Amounts in different currencies are never added: an
invoice's weight is its amount divided by the average amount of the window's invoices in its currency, so for a
customer invoiced in one currency the weights are simply the amounts, and a second currency mixes no exchange
rate in.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WINDOWS = (3, 6, 12)


@dataclass(frozen=True)
class PaidInvoice:
    item_id: str
    amount: Decimal
    currency: str
    issue_date: dt.date
    due_date: dt.date
    paid_on: dt.date

    @property
    def days_to_pay(self) -> int:
        return (self.paid_on - self.issue_date).days

    @property
    def days_after_due(self) -> int:
        """Negative when paid early."""
        return (self.paid_on - self.due_date).days

    @property
    def days_late(self) -> int:
        return max(0, self.days_after_due)


@dataclass(frozen=True)
class Allocation:
    """A payment the matching service applied to an item (not reversed)."""

    item_id: str
    amount: Decimal
    write_off: Decimal
    booking_date: dt.date


def payment_day(amount: Decimal, closed_on: dt.date | None, allocations: Sequence[Allocation] = ()) -> dt.date | None:
    """The day an invoice was paid, or None while it is not: the last allocation's booking day when the
    allocations (write-offs included) cover the amount, else the day the ledger closed it."""
    if allocations:
        covered = sum((a.amount + a.write_off for a in allocations), Decimal(0))
        if covered >= amount:
            return max(a.booking_date for a in allocations)
    return closed_on


@dataclass(frozen=True)
class Figures:
    """What ``figures`` computes over one window; the averages are None when nothing was paid in it."""

    months: int
    paid_invoices: int
    average_days_to_pay: Decimal | None
    weighted_days_to_pay: Decimal | None
    average_days_late: Decimal | None
    weighted_days_late: Decimal | None
    share_paid_late: Decimal | None
    average_days_after_due: Decimal | None
    weighted_days_after_due: Decimal | None
    # Sum of days after due over the window's invoices: segments add these up (exact integers).
    days_after_due_sum: int


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier, or the month's last day when it has no such day (31 May -> 28 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def in_window(invoices: Iterable[PaidInvoice], today: dt.date, months: int) -> list[PaidInvoice]:
    """The invoices paid after the day ``months`` before today, up to today."""
    start = months_before(today, months)
    return [i for i in invoices if start < i.paid_on <= today]


def _weights(invoices: Sequence[PaidInvoice]) -> list[Decimal]:
    totals: dict[str, tuple[Decimal, int]] = {}
    for i in invoices:
        total, count = totals.get(i.currency, (Decimal(0), 0))
        totals[i.currency] = (total + i.amount, count + 1)
    # amount / (total / count) = amount x count / total.
    return [i.amount * totals[i.currency][1] / totals[i.currency][0] for i in invoices]


def _mean(values: Sequence[int]) -> Decimal:
    return Decimal(sum(values)) / len(values)


def _weighted(values: Sequence[int], weights: Sequence[Decimal]) -> Decimal:
    return sum((w * v for v, w in zip(values, weights, strict=True)), Decimal(0)) / sum(weights, Decimal(0))


def figures(invoices: Iterable[PaidInvoice], today: dt.date, months: int) -> Figures:
    """Behaviour over the invoices paid within the last ``months`` months (those of a positive amount)."""
    window = [i for i in in_window(invoices, today, months) if i.amount > 0]
    if not window:
        return Figures(months, 0, None, None, None, None, None, None, None, 0)
    weights = _weights(window)
    to_pay = [i.days_to_pay for i in window]
    late = [i.days_late for i in window]
    after = [i.days_after_due for i in window]
    return Figures(
        months=months,
        paid_invoices=len(window),
        average_days_to_pay=_mean(to_pay),
        weighted_days_to_pay=_weighted(to_pay, weights),
        average_days_late=_mean(late),
        weighted_days_late=_weighted(late, weights),
        share_paid_late=Decimal(sum(1 for d in late if d > 0)) / len(window),
        average_days_after_due=_mean(after),
        weighted_days_after_due=_weighted(after, weights),
        days_after_due_sum=sum(after),
    )


@dataclass(frozen=True)
class Trend:
    # "improving", "worsening", "stable" or "unknown".
    direction: str
    explanation: str


def trend(invoices: Sequence[PaidInvoice], today: dt.date, threshold_days: int) -> Trend:
    """The weighted days late of the last 3 months against the 9 months before them."""
    recent = figures(invoices, today, 3)
    three_months_ago = months_before(today, 3)
    earlier = figures([i for i in invoices if i.paid_on <= three_months_ago], three_months_ago, 9)
    if recent.weighted_days_late is None or earlier.weighted_days_late is None:
        missing = "the last 3 months" if recent.weighted_days_late is None else "the 9 months before"
        return Trend("unknown", f"no invoice paid in {missing}")
    delta = recent.weighted_days_late - earlier.weighted_days_late
    shown = (
        f"{_days(recent.weighted_days_late)} days late (weighted) in the last 3 months against "
        f"{_days(earlier.weighted_days_late)} in the 9 months before"
    )
    if delta >= threshold_days:
        return Trend("worsening", f"{shown}: {_days(delta)} days later (trend from {threshold_days})")
    if delta <= -threshold_days:
        return Trend("improving", f"{shown}: {_days(-delta)} days earlier (trend from {threshold_days})")
    return Trend("stable", f"{shown}: within {threshold_days} days")


def _days(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1")))


@dataclass(frozen=True)
class Dispute:
    item_id: str
    opened_on: dt.date
    resolved_on: dt.date | None = None


@dataclass(frozen=True)
class DisputeFigures:
    open: int
    opened_last_12_months: int
    resolved_last_12_months: int
    # Over the disputes resolved in the last 12 months; None when none was.
    average_resolution_days: Decimal | None
    oldest_open_days: int


def dispute_figures(disputes: Iterable[Dispute], today: dt.date) -> DisputeFigures:
    start = months_before(today, 12)
    disputes = list(disputes)
    still_open = [d for d in disputes if d.resolved_on is None]
    resolved = [d for d in disputes if d.resolved_on is not None and start < d.resolved_on <= today]
    durations = [(d.resolved_on - d.opened_on).days for d in resolved if d.resolved_on is not None]
    return DisputeFigures(
        open=len(still_open),
        opened_last_12_months=sum(1 for d in disputes if start < d.opened_on <= today),
        resolved_last_12_months=len(resolved),
        average_resolution_days=_mean(durations) if durations else None,
        oldest_open_days=max(((today - d.opened_on).days for d in still_open), default=0),
    )


@dataclass(frozen=True)
class PromiseRecord:
    """A promise to pay or a payment plan, and when it was broken (None while it is not)."""

    promise_id: str
    made_on: dt.date
    broken_on: dt.date | None = None


@dataclass(frozen=True)
class PromiseFigures:
    made_last_12_months: int
    broken_last_12_months: int


def promise_figures(promises: Iterable[PromiseRecord], today: dt.date) -> PromiseFigures:
    start = months_before(today, 12)
    promises = list(promises)
    return PromiseFigures(
        made_last_12_months=sum(1 for p in promises if start < p.made_on <= today),
        broken_last_12_months=sum(1 for p in promises if p.broken_on is not None and start < p.broken_on <= today),
    )
