"""Late-payment interest and fixed compensation for one invoice under one law.

Method (shared by every law shipped): simple interest on the outstanding principal, from the day
after the due date up to and including the payment date (or the as-of date of an unpaid invoice).
A partial payment lowers the principal from the day after it is received; the interest it had
already accrued stays due. The period is cut wherever the rate or the principal changes, and each
slice shows its days, rate, principal and interest.

Rounding: each slice's interest is computed to 50 significant digits (Decimal, in a context of
its own) and rounded half-up to the currency's minor unit once, at the end of the
slice; the total is the sum of the rounded slices. Rounding per slice rather than per day keeps the
result equal to what a person gets by hand from the slice table, and rounding only once per slice
keeps the error below half a minor unit per slice. The calculation reads no clock and no network,
so the same inputs always give the same result.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from itertools import pairwise

from opendso_money import Money, sum_money

from opendso_scenario.domain.penalties.laws import DayCount, FxDate, Law, RateRule
from opendso_scenario.domain.penalties.rates import ReferenceRate

FxRate = Callable[[str, str, date], Decimal | None]
"""``fx(source, target, on)``: units of ``target`` for one unit of ``source`` in the rate published for
``on`` — or the latest one published before it, so a weekend or holiday gets the last business day's
rate (which is what the Polish rule asks for). ``None`` when the caller has no such rate. Rates are
always the caller's input: this module never fetches one."""


class PenaltyError(ValueError):
    """Inputs the calculation refuses, with the reason."""


class MissingFxRateError(PenaltyError):
    """The law converts an amount and the caller gave no rate for it."""

    def __init__(self, message: str, source: str, target: str, on: date) -> None:
        super().__init__(message)
        self.source = source
        self.target = target
        self.on = on


@dataclass(frozen=True)
class Slice:
    start: date
    end: date
    days: int
    period: str
    """The rate period the slice's rate comes from (``2025-H1``)."""
    reference_rate: Decimal
    rate: Decimal
    """Reference rate plus the law's points, percent a year."""
    year_days: int
    """Denominator of the day count: 365 under ACT/365."""
    principal: Money
    interest: Money


@dataclass(frozen=True)
class RateUsed:
    period: str
    start: date
    end: date
    reference_rate: Decimal
    points: Decimal
    rate: Decimal
    fixed_on: str
    source: str


@dataclass(frozen=True)
class Compensation:
    amount: Money
    """What is owed, in the law's currency (converted where the law converts)."""
    stated: Money
    """The sum as the law states it (EUR 40, GBP 70, CZK 1,200)."""
    band: str
    basis: str
    debt: Money
    """The debt the band was picked on, in the currency the law measures it in."""
    fx_date: date | None
    """Day of the exchange rate used, when a conversion was needed."""
    fx_rates: tuple[tuple[str, str, Decimal], ...]
    """Every conversion made: (source, target, rate)."""


@dataclass(frozen=True)
class Penalty:
    law: Law
    amount: Money
    due: date
    end: date
    """Last day of interest: the payment date, or the as-of date."""
    ended_by: str
    """``"paid"`` or ``"as_of"``."""
    partials: tuple[tuple[date, Money], ...]
    """The partial payments that were taken into account, in date order."""
    slices: tuple[Slice, ...]
    interest: Money
    rates: tuple[RateUsed, ...]
    compensation: Compensation | None
    """``None`` when the invoice was not late by the end date."""

    @property
    def days_late(self) -> int:
        return max((self.end - self.due).days, 0)

    @property
    def late(self) -> bool:
        return self.end > self.due

    def totals(self) -> tuple[Money, ...]:
        """Interest plus compensation, one amount per currency (the interest's currency first)."""
        parts = [self.interest] + ([self.compensation.amount] if self.compensation else [])
        currencies = list(dict.fromkeys(part.currency for part in parts))
        return tuple(sum_money((p for p in parts if p.currency == cur), cur) for cur in currencies)


def compute(
    law: Law,
    amount: Money,
    due: date,
    paid: date | None = None,
    as_of: date | None = None,
    partials: Sequence[tuple[date, Money]] = (),
    fx: FxRate | None = None,
) -> Penalty:
    """Interest, its slices and the fixed compensation for one invoice of ``amount`` due on ``due``.

    ``paid`` is the day the (rest of the) invoice was paid; ``as_of`` the day to compute up to while
    it is unpaid. Given both, interest runs to the earlier one. Partial payments after the end date
    are ignored when the end is an as-of date (they had not happened yet) and refused when it is the
    payment date. Raises ``PenaltyError`` for refused inputs, ``MissingFxRateError`` when a needed
    rate is missing, and ``UnknownReferenceRateError`` when a day falls outside the law's table.
    """
    # Every Decimal operation below (principal after partials, rate + points, conversions) runs in
    # this context, so a caller's lowered precision or other rounding cannot change the result.
    with localcontext(_CONTEXT):
        return _compute(law, amount, due, paid, as_of, partials, fx)


_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN)


def _compute(
    law: Law,
    amount: Money,
    due: date,
    paid: date | None,
    as_of: date | None,
    partials: Sequence[tuple[date, Money]],
    fx: FxRate | None,
) -> Penalty:
    _check_date("due", due)
    if amount.amount <= 0:
        raise PenaltyError(f"the invoice amount must be positive, got {amount.amount} {amount.currency}")
    end, ended_by = _end(paid, as_of)
    payments = _payments(amount, partials, end, ended_by)
    first = due + timedelta(days=1)
    zero = Money.zero(amount.currency)
    if end < first:
        return Penalty(law, amount, due, end, ended_by, payments, (), zero, (), None)
    slices, rows = _slices(law, amount, payments, first, end)
    rates = tuple(
        RateUsed(r.period, r.start, r.end, r.rate, law.points, r.rate + law.points, r.fixed_on, r.source) for r in rows
    )
    interest = sum_money((s.interest for s in slices), amount.currency)
    compensation = _compensation(law, amount, due, fx)
    return Penalty(law, amount, due, end, ended_by, payments, slices, interest, rates, compensation)


def _check_date(name: str, value: object) -> None:
    # datetime is a date subclass, but comparing it with a plain date raises; refuse it up front.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise PenaltyError(f"{name} must be a date, got {value!r}")


def _end(paid: date | None, as_of: date | None) -> tuple[date, str]:
    if paid is not None:
        _check_date("paid", paid)
    if as_of is not None:
        _check_date("as_of", as_of)
    if paid is not None and (as_of is None or paid <= as_of):
        return paid, "paid"
    if as_of is not None:
        return as_of, "as_of"
    raise PenaltyError("give the payment date, or an as-of date for an invoice not paid yet")


def _payments(
    amount: Money, partials: Sequence[tuple[date, Money]], end: date, ended_by: str
) -> tuple[tuple[date, Money], ...]:
    kept: list[tuple[date, Money]] = []
    for day, paid in partials:
        _check_date("a partial payment's date", day)
        if paid.currency != amount.currency:
            raise PenaltyError(f"partial payment of {paid} on {day}: the invoice is in {amount.currency}")
        if paid.amount <= 0:
            raise PenaltyError(f"partial payment on {day} must be positive, got {paid.amount} {paid.currency}")
        if day > end:
            if ended_by == "paid":
                raise PenaltyError(f"partial payment on {day} is after the payment date {end}")
            continue
        kept.append((day, paid))
    kept.sort(key=lambda p: p[0])
    total = sum_money((p for _, p in kept), amount.currency)
    if total > amount:
        raise PenaltyError(f"partial payments ({total}) exceed the invoice amount ({amount})")
    return tuple(kept)


def _slices(
    law: Law, amount: Money, payments: tuple[tuple[date, Money], ...], first: date, end: date
) -> tuple[tuple[Slice, ...], tuple[ReferenceRate, ...]]:
    after_end = end + timedelta(days=1)
    cuts = {first, after_end} | {day + timedelta(days=1) for day, _ in payments}
    fixed: ReferenceRate | None = None
    if law.rule is RateRule.PER_PERIOD:
        cuts.update(law.table.boundaries())
    else:
        fixed = law.table.row_for(first, law.title)
    if law.day_count is DayCount.ACT_ACT:
        cuts.update(date(year, 1, 1) for year in range(first.year + 1, end.year + 1))
    slices: list[Slice] = []
    used: dict[date, ReferenceRate] = {}
    for start, next_start in pairwise(sorted(c for c in cuts if first <= c <= after_end)):
        principal = amount - sum_money((p for day, p in payments if day < start), amount.currency)
        if principal.is_zero():
            continue
        row = fixed or law.table.row_for(start, law.title)
        used.setdefault(row.start, row)
        slices.append(_slice(law, row, principal, start, next_start - timedelta(days=1)))
    return tuple(slices), tuple(used.values())


def _slice(law: Law, row: ReferenceRate, principal: Money, start: date, end: date) -> Slice:
    days = (end - start).days + 1
    year_days = 366 if law.day_count is DayCount.ACT_ACT and calendar.isleap(start.year) else 365
    rate = row.rate + law.points
    exact = principal.amount * rate * days / (Decimal(100) * year_days)
    interest = Money(exact, principal.currency).rounded()
    return Slice(start, end, days, row.period, row.rate, rate, year_days, principal, interest)


def _compensation(law: Law, amount: Money, due: date, fx: FxRate | None) -> Compensation:
    rule = law.compensation
    if rule.fx_date is FxDate.END_OF_MONTH_BEFORE_DUE:
        on = due.replace(day=1) - timedelta(days=1)
        why = "NBP average rate of the last business day of the month before the due date's month"
    else:
        on = due + timedelta(days=1)
        why = "rate of the first day of delay"
    conversions: list[tuple[str, str, Decimal]] = []

    def convert(value: Money, target: str) -> Money:
        rate = fx(value.currency, target, on) if fx is not None else None
        if rate is None:
            raise MissingFxRateError(
                f"{law.title}: the compensation needs the {value.currency}->{target} exchange rate of "
                f"{on.isoformat()} ({why}); pass it as fx",
                value.currency,
                target,
                on,
            )
        if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
            raise PenaltyError(f"the {value.currency}->{target} rate must be a positive Decimal, got {rate!r}")
        conversions.append((value.currency, target, rate))
        return Money(value.amount * rate, target).rounded()

    debt = amount
    if rule.banded and amount.currency != rule.debt_measured_in:
        debt = convert(amount, rule.debt_measured_in)
    band = next(b for b in rule.bands if b.holds(debt.amount))
    stated = Money(band.amount, rule.stated_in).rounded()
    owed = convert(stated, rule.owed_in) if rule.owed_in != rule.stated_in else stated
    return Compensation(
        amount=owed,
        stated=stated,
        band=band.describe(rule.debt_measured_in),
        basis=rule.basis,
        debt=debt,
        fx_date=on if conversions else None,
        fx_rates=tuple(conversions),
    )
