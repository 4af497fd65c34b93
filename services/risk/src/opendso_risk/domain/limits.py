"""Credit limits, their use, and credit insurance covers.

A limit is held by a customer or by a legal group (the customers of an entity sharing a ``parent_account``,
and the parent). Its use is the holder's open balance over the limit, in the limit's currency: each currency's
total is converted at the day's rate (the FX service's), and a rate that is missing leaves the use unknown and
says which — it is never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from opendso_money import Money


class HolderKind(StrEnum):
    CUSTOMER = "customer"
    GROUP = "group"
    ENTITY = "entity"


def limit_id(kind: HolderKind, holder_id: str) -> str:
    return f"{kind.value}:{holder_id}"


def erp_limit_id(customer_id: str) -> str:
    return f"erp:{customer_id}"


@dataclass(frozen=True)
class CreditLimit:
    limit_id: str
    holder_kind: HolderKind
    holder_id: str
    entity: str
    amount: Money
    review_on: dt.date | None = None
    comment: str = ""
    updated_by: str = ""
    updated_at: dt.datetime | None = None
    # "risk" (set in this service) or "erp" (the ledger's credit_limit field).
    source: str = "risk"


@dataclass(frozen=True)
class RateQuote:
    """Units of ``to_currency`` one unit of ``from_currency`` buys, as the FX service answered it."""

    from_currency: str
    to_currency: str
    rate: Decimal
    published_on: dt.date


# (from, to) -> the rate, or why there is none.
Rates = Mapping[tuple[str, str], RateQuote | str]


@dataclass(frozen=True)
class Converted:
    amount: Money
    converted: Money
    rate: RateQuote


def convert(amount: Money, quote: RateQuote) -> Money:
    """amount x rate, rounded half up to the target currency's minor unit (the FX service's own rule)."""
    value = Money(amount.amount * quote.rate, quote.to_currency)
    quantum = Decimal(1).scaleb(-value.minor_units)
    return Money(value.amount.quantize(quantum, rounding=ROUND_HALF_UP), value.currency)


@dataclass(frozen=True)
class Total:
    """Many currencies' totals put in one, or why they could not be."""

    total: Money | None
    conversions: tuple[Converted, ...]
    problem: str = ""


def total_in(balances: Mapping[str, Decimal], currency: str, rates: Rates) -> Total:
    """``balances`` (per currency) as one amount in ``currency``; every missing rate is named."""
    total = Money.zero(currency)
    conversions: list[Converted] = []
    missing: list[str] = []
    for source, amount in sorted(balances.items()):
        if amount == 0:
            continue
        if source == currency:
            total = total + Money(amount, currency)
            continue
        quote = rates.get((source, currency), f"no {source}->{currency} rate asked")
        if isinstance(quote, str):
            missing.append(quote)
            continue
        converted = convert(Money(amount, source), quote)
        conversions.append(Converted(Money(amount, source), converted, quote))
        total = total + converted
    if missing:
        return Total(None, tuple(conversions), "; ".join(missing))
    return Total(total, tuple(conversions))


def pairs_needed(balances: Mapping[str, Decimal], currency: str) -> dict[tuple[str, str], Money]:
    """The rates ``total_in`` will look for, each with an amount it converts (to ask the FX service with)."""
    return {
        (source, currency): Money(amount, source)
        for source, amount in balances.items()
        if source != currency and amount != 0
    }


@dataclass(frozen=True)
class LimitUse:
    limit: CreditLimit
    open_by_currency: Mapping[str, Decimal]
    customers: int
    computed_on: dt.date
    balance: Money | None
    conversions: tuple[Converted, ...]
    problem: str = ""

    @property
    def known(self) -> bool:
        return self.balance is not None

    @property
    def use(self) -> Decimal | None:
        """balance / limit; None when the balance is unknown or the limit is zero."""
        if self.balance is None or self.limit.amount.amount <= 0:
            return None
        return self.balance.amount / self.limit.amount.amount

    @property
    def headroom(self) -> Money | None:
        return None if self.balance is None else self.limit.amount - self.balance

    @property
    def exceeded(self) -> bool:
        return self.balance is not None and self.balance > self.limit.amount


def limit_use(
    limit: CreditLimit, open_by_currency: Mapping[str, Decimal], customers: int, rates: Rates, on: dt.date
) -> LimitUse:
    total = total_in(open_by_currency, limit.amount.currency, rates)
    return LimitUse(
        limit=limit,
        open_by_currency=dict(open_by_currency),
        customers=customers,
        computed_on=on,
        balance=total.total,
        conversions=total.conversions,
        problem=total.problem,
    )


def add_balances(balances: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for one in balances:
        for currency, amount in one.items():
            out[currency] = out.get(currency, Decimal(0)) + amount
    return out


def percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"


class CoverKind(StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"


@dataclass(frozen=True)
class InsuranceCover:
    cover_id: str
    holder_kind: HolderKind
    holder_id: str
    entity: str
    insurer: str
    amount: Money
    kind: CoverKind
    starts_on: dt.date | None = None
    expires_on: dt.date | None = None
    policy_reference: str = ""
    comment: str = ""
    updated_by: str = ""
    updated_at: dt.datetime | None = None


class CoverError(ValueError):
    pass


def check_cover(cover: InsuranceCover) -> None:
    """``CoverError`` naming the field of a cover that cannot be kept."""
    problems = []
    if not cover.insurer.strip():
        problems.append("cover.insurer: is required")
    if cover.amount.amount <= 0:
        problems.append(f"cover.amount: must be above 0, got {cover.amount.amount}")
    if cover.kind is CoverKind.TEMPORARY and cover.expires_on is None:
        problems.append("cover.expires_on: a temporary cover needs an expiry")
    if cover.starts_on and cover.expires_on and cover.expires_on < cover.starts_on:
        problems.append(f"cover.expires_on: {cover.expires_on} is before starts_on {cover.starts_on}")
    if problems:
        raise CoverError("; ".join(problems))
