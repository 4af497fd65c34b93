"""Which penalty items to issue for one invoice, from its history and what was already issued (pure).

Rules:

* The fixed compensation is issued once per invoice, once it is late; never twice.
* Interest is issued per period: from the day after the last interest issued (or the due date) to the end of
  the last complete calendar month, or to the payment date once the invoice is paid in full. Monthly periods
  keep the ERP from booking an item a day per invoice; the payment date closes the last one at once.
* A period's interest is what accrued in it on the amount outstanding each day: ``I(end) - I(start - 1)``
  where ``I(x)`` is ``compute()`` up to ``x`` with the partial payments known. A partial payment lowers the
  principal from the day after it; interest already due before it stays due (and stays issued).
  Differences of the same calculation telescope: everything issued adds up to the interest to date.
* A period whose interest is below the minimum is not issued; it keeps accruing and a later period carries
  it. The last period of a paid invoice under the minimum is never issued (that is what a minimum means).
* A re-run with the same history and what it issued finds nothing new: the compensation is marked issued and
  the next period starts after the last one.

The items carry a key of invoice, kind and period end, so a store can refuse a second copy of the same item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from opendso_money import Money, sum_money

from opendso_scenario.domain.penalties.calculation import (
    FxRate,
    MissingFxRateError,
    Penalty,
    PenaltyError,
    RateUsed,
    compute,
)
from opendso_scenario.domain.penalties.laws import Law, UnknownLawError, get_law


class PenaltyKind(StrEnum):
    INTEREST = "interest"
    COMPENSATION = "compensation"


@dataclass(frozen=True)
class PenaltySettings:
    """One level's settings (an entity's or a customer's); ``None`` leaves the choice to the level above."""

    issue_items: bool | None = None
    exempt_interest: bool | None = None
    exempt_compensation: bool | None = None
    law: str = ""
    """Customer only: a law other than its entity's."""
    minimum_interest: Money | None = None

    def check(self, *, customer: bool) -> list[str]:
        """What is wrong with these settings, each naming its field; empty when they are valid."""
        problems: list[str] = []
        if self.law and not customer:
            problems.append("law: an entity's law comes with its entity record (imports/entities); set it there")
        elif self.law:
            try:
                get_law(self.law)
            except UnknownLawError as exc:
                problems.append(f"law: {exc}")
        if self.minimum_interest is not None and self.minimum_interest.amount < 0:
            problems.append(f"minimum_interest: must not be negative, got {self.minimum_interest}")
        return problems


@dataclass(frozen=True)
class PenaltyTerms:
    """What applies to one customer: its settings over its entity's over the defaults."""

    law: str
    """"" when no law is on record: nothing is charged."""
    issue_items: bool = False
    charge_interest: bool = True
    charge_compensation: bool = True
    minimum_interest: Money | None = None


def resolve_terms(entity_law: str, entity: PenaltySettings | None, customer: PenaltySettings | None) -> PenaltyTerms:
    """The customer's terms: each field from the customer's settings when set, else the entity's, else the default."""
    levels = [s for s in (customer, entity) if s is not None]

    def pick(name: str, default: bool) -> bool:
        return next((v for s in levels if (v := getattr(s, name)) is not None), default)

    law = customer.law if customer is not None and customer.law else entity_law
    return PenaltyTerms(
        law=law.strip().upper(),
        issue_items=pick("issue_items", False),
        charge_interest=not pick("exempt_interest", False),
        charge_compensation=not pick("exempt_compensation", False),
        minimum_interest=next((s.minimum_interest for s in levels if s.minimum_interest is not None), None),
    )


@dataclass(frozen=True)
class SettingsBook:
    """Every stored settings row, by (entity, account number); the account is "" for an entity's own."""

    rows: Mapping[tuple[str, str], PenaltySettings] = field(default_factory=dict)

    def terms(self, entity: str, account_number: str, entity_law: str) -> PenaltyTerms:
        return resolve_terms(entity_law, self.rows.get((entity, "")), self.rows.get((entity, account_number)))


@dataclass(frozen=True)
class InvoiceHistory:
    """What is known of one invoice's life: its principal, payments and (once paid in full) the day it was."""

    item_id: str
    number: str
    due: date
    principal: Money
    payments: tuple[tuple[date, Money], ...] = ()
    """Partial payments, in date order."""
    paid_on: date | None = None

    @property
    def open_amount(self) -> Money:
        if self.paid_on is not None:
            return Money.zero(self.principal.currency)
        return self.principal - sum_money((p for _, p in self.payments), self.principal.currency)

    def observe(self, open_amount: Money, on: date) -> InvoiceHistory:
        """The history once the ledger says the invoice owes ``open_amount`` as of ``on``.

        Less than before is a payment made ``on`` that day (in full when nothing is left). More than before
        undoes the latest payments first (a reversed allocation); what is left of the rise raises the principal
        (a corrected invoice).
        """
        if open_amount.currency != self.principal.currency:
            raise PenaltyError(
                f"invoice {self.number}: the ledger now says {open_amount}, the invoice is in {self.principal.currency}"
            )
        before = self.open_amount
        if open_amount == before:
            return self
        if open_amount < before:
            if open_amount.is_zero():
                return replace(self, paid_on=on)
            return replace(self, payments=(*self.payments, (on, before - open_amount)))
        rise = open_amount - before
        payments = list(self.payments)
        history = replace(self, paid_on=None)
        while payments and not rise.is_zero():
            day, paid = payments.pop()
            if paid > rise:
                payments.append((day, paid - rise))
                rise = Money.zero(rise.currency)
            else:
                rise = rise - paid
        return replace(history, payments=tuple(payments), principal=self.principal + rise)


@dataclass(frozen=True)
class Issued:
    """What was already issued for one invoice."""

    compensation: bool = False
    interest_to: date | None = None
    """Last day of interest already issued."""


@dataclass(frozen=True)
class PenaltyItem:
    item_id: str
    number: str
    kind: PenaltyKind
    amount: Money
    period_from: date
    period_to: date
    """For the compensation, both are the first day of delay, when it became owed."""
    rates: tuple[RateUsed, ...]
    law: str
    basis: str

    @property
    def key(self) -> str:
        """The same item computed twice (a re-run, another instance) has the same key."""
        return f"{self.item_id}|{self.kind.value}|{self.period_to.isoformat()}"


@dataclass(frozen=True)
class Accrued:
    """An invoice's penalties as of a day, for display: to date, and not issued yet."""

    interest_to_date: Money
    compensation: Money | None
    interest_not_issued: Money
    rates: tuple[RateUsed, ...]


def _placeholder_fx(source: str, target: str, on: date) -> Decimal:
    # Interest never depends on an exchange rate; only a compensation the law converts (PL, RO) does, and
    # compute() prices both. This rate lets the interest be computed without the real one; the compensation
    # it produces is discarded and computed again with the caller's rates.
    return Decimal(1)


def _interest_to(law: Law, history: InvoiceHistory, day: date) -> Penalty | None:
    """The interest from the due date to ``day`` (the payment date when it is earlier); None before any delay."""
    if day <= history.due:
        return None
    if history.paid_on is not None and history.paid_on <= day:
        return compute(
            law, history.principal, history.due, paid=history.paid_on, partials=history.payments, fx=_placeholder_fx
        )
    partials = tuple(p for p in history.payments if p[0] <= day)
    return compute(law, history.principal, history.due, as_of=day, partials=partials, fx=_placeholder_fx)


def interest_period_end(history: InvoiceHistory, as_of: date) -> date:
    """The last day the next interest item may cover: the payment date of a paid invoice, else the end of the
    last complete month before ``as_of``."""
    month_end = as_of.replace(day=1) - timedelta(days=1)
    if history.paid_on is not None and history.paid_on <= as_of:
        return history.paid_on
    return month_end


def _interest_between(law: Law, history: InvoiceHistory, start: date, end: date) -> tuple[Money, tuple[RateUsed, ...]]:
    """Interest accrued from ``start`` to ``end`` (both included), and the rates of those days."""
    upto = _interest_to(law, history, end)
    if upto is None:
        return Money.zero(history.principal.currency), ()
    before = _interest_to(law, history, start - timedelta(days=1))
    amount = upto.interest - (before.interest if before is not None else Money.zero(upto.interest.currency))
    periods = {s.period for s in upto.slices if s.end >= start and s.start <= end}
    return amount, tuple(r for r in upto.rates if r.period in periods)


def _compensation(law: Law, history: InvoiceHistory, fx: FxRate | None) -> Money | None:
    # The sum depends on the invoice's amount and due date only (the band is picked on the debt), not on
    # what was paid since: priced as of the first day of delay.
    penalty = compute(law, history.principal, history.due, paid=history.due + timedelta(days=1), fx=fx)
    return None if penalty.compensation is None else penalty.compensation.amount


def to_issue(
    history: InvoiceHistory,
    terms: PenaltyTerms,
    issued: Issued,
    as_of: date,
    fx: FxRate | None = None,
) -> tuple[PenaltyItem, ...]:
    """The penalty items to issue now for the invoice; empty when nothing new is due.

    Raises ``PenaltyError`` or ``UnknownReferenceRateError`` when the law cannot price the invoice's
    interest; nothing is issued for it then. A compensation that needs an exchange rate not given is left
    for a later pass while the interest is issued.
    """
    if not terms.law or not terms.issue_items:
        return ()
    law = get_law(terms.law)
    first_day = history.due + timedelta(days=1)
    items: list[PenaltyItem] = []
    late = as_of >= first_day and (history.paid_on is None or history.paid_on >= first_day)
    if terms.charge_interest and late:
        start = max(first_day, (issued.interest_to or history.due) + timedelta(days=1))
        end = interest_period_end(history, as_of)
        if end >= start:
            amount, rates = _interest_between(law, history, start, end)
            minimum = terms.minimum_interest
            below = minimum is not None and minimum.currency == amount.currency and amount < minimum
            if amount.amount > 0 and not below:
                items.append(
                    PenaltyItem(
                        history.item_id,
                        history.number,
                        PenaltyKind.INTEREST,
                        amount,
                        start,
                        end,
                        rates,
                        law.code,
                        law.basis,
                    )
                )
    if terms.charge_compensation and late and not issued.compensation:
        try:
            owed = _compensation(law, history, fx)
        except MissingFxRateError:
            # A compensation the law converts (PL, RO) waits for its exchange rate; the interest does not:
            # it is issued now and the compensation on a later pass, once the rate is known.
            owed = None
        if owed is not None and owed.amount > 0:
            items.append(
                PenaltyItem(
                    history.item_id,
                    history.number,
                    PenaltyKind.COMPENSATION,
                    owed,
                    first_day,
                    first_day,
                    (),
                    law.code,
                    law.compensation.basis,
                )
            )
    return tuple(items)


def accrued(
    history: InvoiceHistory, terms: PenaltyTerms, issued: Issued, as_of: date, fx: FxRate | None = None
) -> Accrued:
    """Interest to ``as_of``, the compensation owed and the interest not issued yet, under ``terms``.

    Raises what ``to_issue`` raises; a missing exchange rate only leaves the compensation out.
    """
    # In minor units, as every other figure: "0.00", not "0".
    zero = Money.zero(history.principal.currency).rounded()
    if not terms.law:
        return Accrued(zero, None, zero, ())
    law = get_law(terms.law)
    to_date: Money = zero
    rates: tuple[RateUsed, ...] = ()
    not_issued = zero
    if terms.charge_interest:
        upto = _interest_to(law, history, as_of)
        if upto is not None:
            to_date, rates = upto.interest, upto.rates
            start = max(history.due, issued.interest_to or history.due) + timedelta(days=1)
            end = min(as_of, history.paid_on) if history.paid_on is not None else as_of
            if end >= start:
                not_issued, _ = _interest_between(law, history, start, end)
    compensation = None
    late = as_of > history.due and (history.paid_on is None or history.paid_on > history.due)
    if terms.charge_compensation and late:
        try:
            compensation = _compensation(law, history, fx)
        except MissingFxRateError:
            compensation = None
    return Accrued(to_date, compensation, not_issued, rates)
