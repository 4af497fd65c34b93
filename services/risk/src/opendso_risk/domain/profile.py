"""A customer's risk, computed from what the service knows of it: behaviour, balances, limits' use, score.

``evaluate`` is pure: the caller gathers the facts and the exchange rates ``rates_needed`` asks for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from opendso_money import Money

from opendso_risk.domain.behaviour import (
    WINDOWS,
    Dispute,
    DisputeFigures,
    Figures,
    PaidInvoice,
    PromiseFigures,
    PromiseRecord,
    Trend,
    dispute_figures,
    figures,
    promise_figures,
    trend,
)
from opendso_risk.domain.config import RiskConfig
from opendso_risk.domain.limits import CreditLimit, LimitUse, Rates, limit_use, pairs_needed, percent, total_in
from opendso_risk.domain.score import Score, ScoreInputs, compute_score


@dataclass(frozen=True)
class Customer:
    customer_id: str
    entity: str
    account_number: str
    name: str = ""
    collector: str = ""
    customer_group: str = ""
    parent_account: str = ""
    # The ledger's credit limit, a decimal string in the entity's currency ("" when none).
    erp_credit_limit: str = ""


@dataclass(frozen=True)
class OpenItem:
    item_id: str
    number: str
    kind: str
    due_date: dt.date
    open_amount: Decimal
    currency: str


@dataclass(frozen=True)
class Rating:
    value: Decimal
    agency: str = ""
    rated_on: dt.date | None = None
    set_by: str = ""
    set_at: dt.datetime | None = None


@dataclass(frozen=True)
class HeldLimit:
    """A limit that concerns the customer, with what its holder owes per currency."""

    limit: CreditLimit
    open_by_currency: Mapping[str, Decimal]
    customers: int


@dataclass(frozen=True)
class CustomerFacts:
    customer: Customer
    open_items: tuple[OpenItem, ...] = ()
    paid: tuple[PaidInvoice, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    promises: tuple[PromiseRecord, ...] = ()
    last_action_on: dt.date | None = None
    rating: Rating | None = None
    limits: tuple[HeldLimit, ...] = ()
    # The entity's book currency, when the entity is on record.
    entity_currency: str | None = None
    group_id: str = ""
    group_size: int = 0


@dataclass(frozen=True)
class Balances:
    # Everything open per currency (credit notes and unallocated payments deducted).
    open: dict[str, Decimal]
    # Open invoices (positive open amounts) per currency, and those past their due date.
    invoices: dict[str, Decimal]
    overdue: dict[str, Decimal]


@dataclass(frozen=True)
class Evaluation:
    facts: CustomerFacts
    today: dt.date
    windows: dict[int, Figures]
    trend: Trend
    disputes: DisputeFigures
    promises: PromiseFigures
    balances: Balances
    overdue_share: Decimal | None
    overdue_problem: str
    limit_uses: tuple[LimitUse, ...]
    score: Score
    config_version: int = 0
    overdue_due_dates: tuple[dt.date, ...] = field(default=())


def balances(items: tuple[OpenItem, ...], today: dt.date) -> Balances:
    open_: dict[str, Decimal] = {}
    invoices: dict[str, Decimal] = {}
    overdue: dict[str, Decimal] = {}
    for i in items:
        open_[i.currency] = open_.get(i.currency, Decimal(0)) + i.open_amount
        if i.open_amount > 0:
            invoices[i.currency] = invoices.get(i.currency, Decimal(0)) + i.open_amount
            if i.due_date < today:
                overdue[i.currency] = overdue.get(i.currency, Decimal(0)) + i.open_amount
    return Balances(open_, invoices, overdue)


def _has_history(facts: CustomerFacts) -> bool:
    return bool(facts.open_items or facts.paid or facts.disputes or facts.promises)


def rates_needed(facts: CustomerFacts, today: dt.date) -> dict[tuple[str, str], Money]:
    """The (from, to) rates ``evaluate`` can use, each with an amount to convert: each limit's foreign
    currencies, and the entity's currency for an overdue share over open invoices in several currencies."""
    needed: dict[tuple[str, str], Money] = {}
    for held in facts.limits:
        needed.update(pairs_needed(held.open_by_currency, held.limit.amount.currency))
    owed = balances(facts.open_items, today)
    if len(owed.invoices) > 1 and facts.entity_currency:
        needed.update(pairs_needed(owed.invoices, facts.entity_currency))
    return needed


def _overdue_share(facts: CustomerFacts, owed: Balances, rates: Rates) -> tuple[Decimal | None, str]:
    if not owed.invoices:
        # Nothing owed is nothing overdue, for a customer that has a history to judge by.
        return (Decimal(0), "") if _has_history(facts) else (None, "no item to judge by")
    if len(owed.invoices) == 1:
        ((currency, owed_total),) = owed.invoices.items()
        return owed.overdue.get(currency, Decimal(0)) / owed_total, ""
    if not facts.entity_currency:
        currencies = ", ".join(sorted(owed.invoices))
        return None, f"invoices open in {currencies} and the entity's currency unknown"
    total = total_in(owed.invoices, facts.entity_currency, rates)
    overdue = total_in(owed.overdue, facts.entity_currency, rates)
    if total.total is None or overdue.total is None:
        return None, total.problem or overdue.problem
    return overdue.total.amount / total.total.amount, ""


def _limit_inputs(uses: tuple[LimitUse, ...]) -> tuple[Decimal | None, str, str]:
    """The highest known use, whose limit it is, and why none is known."""
    known = [(u.use, u) for u in uses if u.use is not None]
    if known:
        ratio, use = max(known, key=lambda pair: pair[0])
        whose = "its group's limit" if use.limit.holder_kind.value == "group" else "its limit"
        return ratio, f"{whose} of {use.limit.amount}", ""
    problems = [u.problem for u in uses if u.problem]
    return None, "", "; ".join(problems)


def evaluate(
    facts: CustomerFacts, rates: Rates, config: RiskConfig, today: dt.date, config_version: int = 0
) -> Evaluation:
    windows = {months: figures(facts.paid, today, months) for months in WINDOWS}
    owed = balances(facts.open_items, today)
    share, share_problem = _overdue_share(facts, owed, rates)
    uses = tuple(limit_use(h.limit, h.open_by_currency, h.customers, rates, today) for h in facts.limits)
    limit_ratio, limit_label, limit_problem = _limit_inputs(uses)
    disputes = dispute_figures(facts.disputes, today)
    promises = promise_figures(facts.promises, today)
    history = _has_history(facts)
    year = windows[12]
    inputs = ScoreInputs(
        weighted_days_late=year.weighted_days_late,
        paid_invoices=year.paid_invoices,
        overdue_share=share,
        overdue_problem=share_problem,
        limit_use=limit_ratio,
        limit_label=limit_label,
        limit_problem=limit_problem,
        disputes=disputes.opened_last_12_months if history else None,
        broken_promises=promises.broken_last_12_months if history else None,
        external_rating=facts.rating.value if facts.rating else None,
        rating_agency=facts.rating.agency if facts.rating else "",
    )
    return Evaluation(
        facts=facts,
        today=today,
        windows=windows,
        trend=trend(facts.paid, today, config.trend.days),
        disputes=disputes,
        promises=promises,
        balances=owed,
        overdue_share=share,
        overdue_problem=share_problem,
        limit_uses=uses,
        score=compute_score(inputs, config.score),
        config_version=config_version,
        overdue_due_dates=tuple(i.due_date for i in facts.open_items if i.open_amount > 0 and i.due_date < today),
    )


def use_summary(use: LimitUse) -> str:
    if use.use is None:
        return use.problem or "no use computed"
    return f"{use.balance} of {use.limit.amount} ({percent(use.use)})"
