"""Which currency a report's amounts are shown in, and at what rate.

A report in the item currency keeps every amount as it is. In the entity currency, an amount of an entity's
item is converted to that entity's book currency; in the group currency, to the group's. The rate is the
as-of day's (the FX service answers the last published on or before it). A rate the FX service does not have,
or an entity whose currency is not known, is never guessed: the amounts concerned are left out of the report
and named in its problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum


class Mode(Enum):
    ITEM = "item"
    ENTITY = "entity"
    GROUP = "group"


class MissingRate(Exception):
    """No rate for the pair at the day: the caller must not convert."""


@dataclass(frozen=True)
class Target:
    currency: str
    rate: Decimal


@dataclass(frozen=True)
class CurrencyPlan:
    """How each (entity, currency) of a report's cells is shown: a target, or a problem in words."""

    targets: Mapping[tuple[str, str], Target]
    problems: tuple[str, ...]

    def convert(self, entity: str, currency: str, amount: Decimal) -> tuple[str, Decimal] | None:
        """The amount in the report's currency, unrounded; None when it cannot be converted."""
        target = self.targets.get((entity, currency))
        if target is None:
            return None
        return target.currency, amount * target.rate


def wanted_currency(
    mode: Mode, entity: str, currency: str, entity_currencies: Mapping[str, str], group_currency: str
) -> str | None:
    """The currency an (entity, currency) is shown in; None when the entity's or group's is not known."""
    if mode is Mode.ITEM:
        return currency
    if mode is Mode.ENTITY:
        return entity_currencies.get(entity) or None
    return group_currency or None


def plan(
    mode: Mode,
    pairs: set[tuple[str, str]],
    entity_currencies: Mapping[str, str],
    group_currency: str,
    rates: Mapping[tuple[str, str], Decimal | MissingRate],
    on_text: str,
) -> CurrencyPlan:
    """The plan for a report whose cells hold these (entity, currency) pairs, given the rates fetched for
    the (from, to) pairs ``needed_rates`` named (a MissingRate where the FX service had none)."""
    targets: dict[tuple[str, str], Target] = {}
    problems: list[str] = []
    for entity, currency in sorted(pairs):
        to = wanted_currency(mode, entity, currency, entity_currencies, group_currency)
        if to is None:
            what = f"entity {entity}'s currency" if mode is Mode.ENTITY else "the group currency"
            problems.append(f"{currency} amounts of entity {entity} left out: {what} is not known")
            continue
        if to == currency:
            targets[(entity, currency)] = Target(to, Decimal(1))
            continue
        rate = rates.get((currency, to))
        if rate is None or isinstance(rate, MissingRate):
            why = str(rate) if isinstance(rate, MissingRate) and str(rate) else f"no {currency}->{to} rate"
            problems.append(f"{currency} amounts of entity {entity} left out: {why} on {on_text}")
            continue
        targets[(entity, currency)] = Target(to, rate)
    return CurrencyPlan(targets, tuple(problems))


def needed_rates(
    mode: Mode, pairs: set[tuple[str, str]], entity_currencies: Mapping[str, str], group_currency: str
) -> set[tuple[str, str]]:
    """The (from, to) rates a report over these (entity, currency) pairs needs."""
    needed = set()
    for entity, currency in pairs:
        to = wanted_currency(mode, entity, currency, entity_currencies, group_currency)
        if to is not None and to != currency:
            needed.add((currency, to))
    return needed
