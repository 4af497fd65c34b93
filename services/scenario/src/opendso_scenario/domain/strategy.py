"""Strategy rules: which collection scenario each customer follows, and why.

A strategy is an ordered list of rules and a default scenario. The first rule
whose conditions all hold picks the scenario; when none does, the default
applies. Re-assigning is just assigning again on fresh facts: the function is
pure, so a broken promise or a worse risk score moves the customer as soon as
the facts say so.

Every assignment carries its explanation in plain words, because a collector
must be able to answer "why is this customer on the firm scenario?" without
reading the rules.

Pure: ``today``, the facts and any currency converter are passed in; nothing
reads a clock, a database or exchange rates.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from opendso_money import Money, sum_money

from .engine import CHASED_KINDS
from .model import Item

READY_MADE_SCENARIOS: frozenset[str] = frozenset({"gentle", "standard", "firm", "key_account"})
"""Codes of the scenarios that ship with the product, which DEFAULT_STRATEGY refers to."""

Converter = Callable[[Money, str], Money]
"""Converts an amount into the given currency (e.g. at today's rate); must return that currency."""

RISK_SCORE_MIN = Decimal("0")
RISK_SCORE_MAX = Decimal("100")


class StrategyError(ValueError):
    """A strategy that cannot be used, saying where: which rule and field, or which JSON path."""

    def __init__(
        self,
        where: str,
        problem: str,
        *,
        rule: str | None = None,
        field: str | None = None,
        index: int | None = None,
    ) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem
        self.rule = rule
        self.field = field
        self.index = index


@dataclass(frozen=True)
class ItemFacts:
    """What the strategy needs to know about one item of the customer's account.

    The engine's ``Item`` has no product or priority, so the service builds
    these from its own records (``from_item`` when it already has an ``Item``).
    """

    item_id: str
    due_date: date
    open_amount: Money
    """Negative for credit notes and unallocated payments: they reduce the balance."""
    product_group: str | None = None
    product: str | None = None
    priority: str | None = None
    excluded: bool = False
    """Not chased (disputed, promised, not a debt): still in the balance, but never the
    leader nor what an item-level condition is tested on, as with the engine."""

    @classmethod
    def from_item(
        cls,
        item: Item,
        *,
        product_group: str | None = None,
        product: str | None = None,
        priority: str | None = None,
    ) -> ItemFacts:
        # Same notion of "chased" as the engine, so the days overdue a rule
        # tests are those of the leader the scenario's steps are timed from.
        return cls(
            item_id=item.item_id,
            due_date=item.due_date,
            open_amount=item.open_amount,
            product_group=product_group,
            product=product,
            priority=priority,
            excluded=item.excluded or item.kind not in CHASED_KINDS,
        )


@dataclass(frozen=True)
class CustomerFacts:
    customer_id: str
    entity: str
    customer_group: str | None
    priority: str | None
    risk_score: Decimal | None
    """0..100, or None while unknown."""
    today: date
    items: tuple[ItemFacts, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.items, tuple):
            raise ValueError(f"customer {self.customer_id!r}: items must be a tuple")
        score = self.risk_score
        if score is not None and (
            not isinstance(score, Decimal) or not score.is_finite() or not RISK_SCORE_MIN <= score <= RISK_SCORE_MAX
        ):
            raise ValueError(f"customer {self.customer_id!r}: risk_score must be a Decimal from 0 to 100 or None")


@dataclass(frozen=True)
class Rule:
    """Picks ``scenario_code`` when every condition set on it holds.

    A condition left at None is not tested. Conditions are checked, and
    explained, in the order of the fields below.
    """

    name: str
    scenario_code: str
    _: KW_ONLY
    entities: frozenset[str] | None = None
    customer_groups: frozenset[str] | None = None
    priorities: frozenset[str] | None = None
    """Holds when the customer's priority, or that of one of the tested items, is in the set."""
    product_groups: frozenset[str] | None = None
    """Item-level: one of the tested items (see ``assign``) must have one of these."""
    products: frozenset[str] | None = None
    """Item-level, like ``product_groups``."""
    min_balance: Money | None = None
    max_balance: Money | None = None
    min_days_overdue: int | None = None
    max_days_overdue: int | None = None
    min_risk_score: Decimal | None = None
    max_risk_score: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise self._error("name", "must not be blank")
        if not isinstance(self.scenario_code, str) or not self.scenario_code.strip():
            raise self._error("scenario_code", "must not be blank")
        for name in _SET_FIELDS:
            self._check_set(name, getattr(self, name))
        for name in ("min_days_overdue", "max_days_overdue"):
            value = getattr(self, name)
            # bool is an int to Python, but True days overdue is a mistake.
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise self._error(name, "must be an integer")
        for name in ("min_balance", "max_balance"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), Money):
                raise self._error(name, "must be Money")
        for name in ("min_risk_score", "max_risk_score"):
            score = getattr(self, name)
            if score is None:
                continue
            if not isinstance(score, Decimal) or not score.is_finite():
                raise self._error(name, "must be a Decimal")
            if not RISK_SCORE_MIN <= score <= RISK_SCORE_MAX:
                raise self._error(name, f"must be from 0 to 100, got {score}")

        if self.min_balance is not None and self.max_balance is not None:
            # A band in two currencies is almost surely a typo, and cannot be checked for min <= max.
            if self.min_balance.currency != self.max_balance.currency:
                raise self._error(
                    "max_balance",
                    f"must be in the currency of min_balance ({self.min_balance.currency}), "
                    f"got {self.max_balance.currency}",
                )
            if self.min_balance > self.max_balance:
                raise self._error(
                    "min_balance",
                    f"must not be greater than max_balance ({_money(self.min_balance)} > {_money(self.max_balance)})",
                )
        if (
            self.min_days_overdue is not None
            and self.max_days_overdue is not None
            and self.min_days_overdue > self.max_days_overdue
        ):
            raise self._error(
                "min_days_overdue",
                f"must not be greater than max_days_overdue ({self.min_days_overdue} > {self.max_days_overdue})",
            )
        if (
            self.min_risk_score is not None
            and self.max_risk_score is not None
            and self.min_risk_score > self.max_risk_score
        ):
            raise self._error(
                "min_risk_score",
                f"must not be greater than max_risk_score ({self.min_risk_score} > {self.max_risk_score})",
            )

    @property
    def is_unconditional(self) -> bool:
        """True when the rule tests nothing, so it matches every customer."""
        return all(getattr(self, name) is None for name in CONDITION_FIELDS)

    def _check_set(self, name: str, value: object) -> None:
        if value is None:
            return
        if not isinstance(value, frozenset):
            raise self._error(name, "must be a frozenset")
        if not value:
            # An empty set would match nobody; "any" is spelled by leaving the condition out.
            raise self._error(name, "must not be empty (leave the condition out to match any)")
        for element in value:
            if not isinstance(element, str) or not element.strip():
                raise self._error(name, f"values must be non-blank strings, got {element!r}")

    def _error(self, name: str, problem: str) -> StrategyError:
        return StrategyError(f"rule {self.name!r}, {name}", problem, rule=self.name, field=name)


_SET_FIELDS: tuple[str, ...] = ("entities", "customer_groups", "priorities", "product_groups", "products")

CONDITION_FIELDS: tuple[str, ...] = (
    *_SET_FIELDS,
    "min_balance",
    "max_balance",
    "min_days_overdue",
    "max_days_overdue",
    "min_risk_score",
    "max_risk_score",
)
"""Rule fields that are conditions, in the order they are checked, explained and stored."""


@dataclass(frozen=True, kw_only=True)
class Strategy:
    """Ordered rules and a default scenario, checked against the scenarios that exist.

    Refuses at construction what would make it pick a missing scenario or
    hide a rule behind another, so a bad strategy fails when it is saved.
    """

    rules: tuple[Rule, ...]
    default_scenario: str
    known_scenarios: Collection[str] = field(compare=False, repr=False)
    """The scenario codes it was validated against; not part of the strategy's value."""

    def __post_init__(self) -> None:
        # A snapshot: the caller's collection may change after validation.
        object.__setattr__(self, "known_scenarios", frozenset(self.known_scenarios))
        if not isinstance(self.rules, tuple):
            raise StrategyError("rules", "must be a tuple", field="rules")
        if self.default_scenario not in self.known_scenarios:
            raise StrategyError(
                "default_scenario", f"unknown scenario {self.default_scenario!r}", field="default_scenario"
            )
        seen: dict[str, int] = {}
        catch_all: Rule | None = None
        for index, rule in enumerate(self.rules):
            if not isinstance(rule, Rule):
                raise StrategyError(f"rules[{index}]", "must be a Rule", index=index)
            where = f"rule {rule.name!r}"
            if rule.name in seen:
                raise StrategyError(
                    f"{where}, name",
                    f"is already the name of rules[{seen[rule.name]}]",
                    rule=rule.name,
                    field="name",
                    index=index,
                )
            if rule.scenario_code not in self.known_scenarios:
                raise StrategyError(
                    f"{where}, scenario_code",
                    f"unknown scenario {rule.scenario_code!r}",
                    rule=rule.name,
                    field="scenario_code",
                    index=index,
                )
            if catch_all is not None:
                raise StrategyError(
                    where,
                    f"can never match: rule {catch_all.name!r} before it has no conditions and always matches",
                    rule=rule.name,
                    index=index,
                )
            seen[rule.name] = index
            if rule.is_unconditional:
                catch_all = rule


@dataclass(frozen=True)
class Assignment:
    scenario_code: str
    rule_name: str | None
    """The rule that picked the scenario; None when the default applied."""
    explanation: tuple[str, ...]
    """One line per rule tried, in order; the last line says what decided."""


# Assignment


@dataclass(frozen=True)
class _View:
    """What the conditions read, derived once per customer."""

    scope: str
    """"overdue" when some chased item is overdue, else "open": the items tested are those."""
    items: tuple[ItemFacts, ...]
    days_overdue: int | None
    balances: dict[str, Money]


def _view(facts: CustomerFacts) -> _View:
    # Chased items only: a credit note or a disputed invoice must not make a
    # customer look later, nor give it a product it is not chased for.
    chased = sorted(
        (item for item in facts.items if item.open_amount.amount > 0 and not item.excluded),
        key=lambda item: (item.due_date, item.item_id),
    )
    overdue = tuple(item for item in chased if item.due_date < facts.today)
    scope, items = ("overdue", overdue) if overdue else ("open", tuple(chased))
    # The first tested item is the leader: oldest overdue, else due soonest (as in the engine).
    days = (facts.today - items[0].due_date).days if items else None

    by_currency: dict[str, list[Money]] = {}
    for item in facts.items:
        by_currency.setdefault(item.open_amount.currency, []).append(item.open_amount)
    balances = {currency: sum_money(amounts, currency) for currency, amounts in sorted(by_currency.items())}
    return _View(scope=scope, items=items, days_overdue=days, balances=balances)


def assign(strategy: Strategy, facts: CustomerFacts, *, convert: Converter | None = None) -> Assignment:
    """The scenario for this customer: the first rule whose conditions all hold, else the default.

    Item-level conditions (product group, product, item priority) test the
    customer's open overdue items, or all open items when none is overdue;
    days overdue are those of the leader (oldest overdue item, else the one
    due soonest, negative before its due date).

    The open balance is summed per currency over all items, credit notes
    included. Without ``convert``, a balance threshold only counts the balance
    in its own currency: ``min_balance`` ignores other currencies, and
    ``max_balance`` fails when another currency has a balance, since that
    debt cannot be shown to be small. With ``convert``, every currency is
    converted into the threshold's and summed.
    """
    view = _view(facts)
    lines: list[str] = []
    for rule in strategy.rules:
        reasons: list[str] = []
        failure: str | None = None
        for holds, text in _outcomes(rule, facts, view, convert):
            if not holds:
                failure = text
                break
            reasons.append(text)
        if failure is not None:
            lines.append(f"rule {rule.name!r} did not match: {failure}")
            continue
        lines.append(f"rule {rule.name!r} matched: {'; '.join(reasons) if reasons else 'it has no conditions'}")
        return Assignment(rule.scenario_code, rule.name, tuple(lines))
    lines.append(f"no rule matched: default scenario {strategy.default_scenario!r}")
    return Assignment(strategy.default_scenario, None, tuple(lines))


def next_reassessment(strategy: Strategy, facts: CustomerFacts) -> date | None:
    """The first day after ``facts.today`` on which ``assign`` could answer differently with the same facts;
    None when only a change of the facts could (balances do not move with time, days overdue do).

    A rule on days overdue changes its answer when the leader crosses its bounds; an item-level
    condition when another item falls due, since overdue items are the ones tested once there are any.
    Balances converted at a moving rate are not foreseen: they are re-tested at each evaluation.
    """
    chased = sorted(item.due_date for item in facts.items if item.open_amount.amount > 0 and not item.excluded)
    if not chased:
        return None
    candidates: list[date] = []
    for rule in strategy.rules:
        if rule.min_days_overdue is not None:
            candidates.append(chased[0] + timedelta(days=rule.min_days_overdue))
        if rule.max_days_overdue is not None:
            candidates.append(chased[0] + timedelta(days=rule.max_days_overdue + 1))
        if rule.product_groups is not None or rule.products is not None or rule.priorities is not None:
            candidates.extend(due + timedelta(days=1) for due in chased)
    return min((on for on in candidates if on > facts.today), default=None)


def _outcomes(rule: Rule, facts: CustomerFacts, view: _View, convert: Converter | None) -> Iterator[tuple[bool, str]]:
    # A generator, so checking stops at the first failure and a converter is
    # only called when a rule gets as far as its balance.
    if rule.entities is not None:
        yield _in_set("entity", facts.entity, rule.entities)
    if rule.customer_groups is not None:
        yield _in_set("customer group", facts.customer_group, rule.customer_groups)
    if rule.priorities is not None:
        yield _priority(rule.priorities, facts, view)
    if rule.product_groups is not None:
        yield _item_has("product group", [item.product_group for item in view.items], rule.product_groups, view)
    if rule.products is not None:
        yield _item_has("product", [item.product for item in view.items], rule.products, view)
    if rule.min_balance is not None:
        yield _balance(rule.min_balance, True, view, convert)
    if rule.max_balance is not None:
        yield _balance(rule.max_balance, False, view, convert)
    if rule.min_days_overdue is not None:
        yield _bound("days overdue", view.days_overdue, rule.min_days_overdue, True, ": no open item")
    if rule.max_days_overdue is not None:
        yield _bound("days overdue", view.days_overdue, rule.max_days_overdue, False, ": no open item")
    if rule.min_risk_score is not None:
        yield _bound("risk score", facts.risk_score, rule.min_risk_score, True, "")
    if rule.max_risk_score is not None:
        yield _bound("risk score", facts.risk_score, rule.max_risk_score, False, "")


def _one_of(values: frozenset[str]) -> str:
    quoted = ", ".join(repr(value) for value in sorted(values))
    return quoted if len(values) == 1 else f"one of {quoted}"


def _in_set(label: str, value: str | None, allowed: frozenset[str]) -> tuple[bool, str]:
    if value is None:
        return False, f"{label} is not set (needs {_one_of(allowed)})"
    if value in allowed:
        return True, f"{label} is {value!r}"
    return False, f"{label} {value!r} is not {_one_of(allowed)}"


def _priority(allowed: frozenset[str], facts: CustomerFacts, view: _View) -> tuple[bool, str]:
    if facts.priority is not None and facts.priority in allowed:
        return True, f"customer priority is {facts.priority!r}"
    for item in view.items:
        if item.priority is not None and item.priority in allowed:
            return True, f"{view.scope} item {item.item_id!r} has priority {item.priority!r}"
    customer = repr(facts.priority) if facts.priority is not None else "none"
    return False, (
        f"neither the customer's priority ({customer}) nor any {view.scope} item's priority is {_one_of(allowed)}"
    )


def _item_has(label: str, values: list[str | None], allowed: frozenset[str], view: _View) -> tuple[bool, str]:
    for item, value in zip(view.items, values, strict=True):
        if value is not None and value in allowed:
            return True, f"{view.scope} item {item.item_id!r} has {label} {value!r}"
    return False, f"no {view.scope} item has {label} {_one_of(allowed)}"


def _bound(
    label: str, value: int | Decimal | None, bound: int | Decimal, at_least: bool, why_unknown: str
) -> tuple[bool, str]:
    # Unknown never matches: a rule about risk must not catch customers nobody has scored.
    if value is None:
        return False, f"{label} unknown{why_unknown}"
    holds = value >= bound if at_least else value <= bound
    return holds, f"{label} {value} {_comparison(holds, at_least)} {bound}"


def _comparison(holds: bool, at_least: bool) -> str:
    if at_least:
        return ">=" if holds else "<"
    return "<=" if holds else ">"


def _balance(threshold: Money, at_least: bool, view: _View, convert: Converter | None) -> tuple[bool, str]:
    currency = threshold.currency
    own = view.balances.get(currency, Money.zero(currency))
    others = [amount for code, amount in view.balances.items() if code != currency and not amount.is_zero()]
    if others and convert is None:
        if not at_least:
            return False, (
                f"open balance includes {_moneys(others)}, which cannot be compared with "
                f"{_money(threshold)} without a converter"
            )
        # Owing enough in the threshold's currency is enough, as with the engine's minimum amount.
        holds = own >= threshold
        note = "" if holds else f" ({_moneys(others)} not converted)"
        return holds, f"open balance {_money(own)} {_comparison(holds, at_least)} {_money(threshold)}{note}"
    if others and convert is not None:
        total = sum_money([own, *(convert(amount, currency) for amount in others)], currency)
        shown = f"{_money(total)} ({_moneys(others)} converted)"
    else:
        total, shown = own, _money(own)
    holds = total >= threshold if at_least else total <= threshold
    return holds, f"open balance {shown} {_comparison(holds, at_least)} {_money(threshold)}"


def _money(money: Money) -> str:
    shown = money.rounded().amount
    # Rounding must never make a failed comparison read "10,000.00 EUR < 10,000.00 EUR".
    if shown != money.amount:
        shown = money.amount
    return f"{shown:,} {money.currency}"


def _moneys(amounts: list[Money]) -> str:
    return " + ".join(_money(amount) for amount in amounts)


# The ready-made strategy

DEFAULT_STRATEGY = Strategy(
    rules=(
        # Key accounts first: they are handled personally whatever they owe,
        # so a large or late key account is not sent firm letters.
        Rule("key account customers", "key_account", customer_groups=frozenset({"key_account"})),
        Rule("high priority", "key_account", priorities=frozenset({"high"})),
        # Firm before gentle, so a small balance that is two months late is still chased firmly.
        Rule("large balance", "firm", min_balance=Money(Decimal("50000.00"), "EUR")),
        Rule("long overdue", "firm", min_days_overdue=60),
        Rule("small balance", "gentle", max_balance=Money(Decimal("1000.00"), "EUR")),
    ),
    default_scenario="standard",
    known_scenarios=READY_MADE_SCENARIOS,
)
"""Key accounts (customer group "key_account" or priority "high") -> key_account;
an open balance of 50,000 EUR or more, or 60 days overdue or more -> firm; an
open balance of 1,000 EUR or less -> gentle; everyone else -> standard.
Thresholds are in EUR and no converter is implied: a customer owing only
in another currency falls through to "firm" by days overdue or to "standard".
"""


# Storage as JSON


def strategy_to_dict(strategy: Strategy) -> dict[str, Any]:
    """A JSON-ready dict: sets as sorted lists, Decimals as strings, absent conditions left out."""
    return {
        "default_scenario": strategy.default_scenario,
        "rules": [_rule_to_dict(rule) for rule in strategy.rules],
    }


def _rule_to_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"name": rule.name, "scenario_code": rule.scenario_code}
    for name in CONDITION_FIELDS:
        value = getattr(rule, name)
        if value is None:
            continue
        if isinstance(value, frozenset):
            out[name] = sorted(value)
        elif isinstance(value, Money):
            out[name] = {"amount": _decimal_text(value.amount), "currency": value.currency}
        elif isinstance(value, Decimal):
            out[name] = _decimal_text(value)
        else:
            out[name] = value
    return out


def _decimal_text(value: Decimal) -> str:
    # "f" so that Decimal("1E+4") is stored as "10000", not in scientific notation.
    return format(value, "f")


_RULE_KEYS = frozenset({"name", "scenario_code", *CONDITION_FIELDS})


def strategy_from_dict(data: object, known_scenarios: Collection[str]) -> Strategy:
    """The strategy stored by ``strategy_to_dict``; ``StrategyError`` names the path of what is wrong.

    Unknown fields are refused: a misspelt condition silently ignored would
    make a rule match customers it was meant to leave out.
    """
    root = _object(data, "strategy")
    _no_unknown_keys(root, frozenset({"default_scenario", "rules"}), "")
    default = _required_text(root, "default_scenario", "default_scenario")
    if "rules" not in root:
        raise StrategyError("rules", "is required")
    raw_rules = root["rules"]
    if not isinstance(raw_rules, list):
        raise StrategyError("rules", "must be a list")
    rules = tuple(_rule_from_dict(raw, index) for index, raw in enumerate(raw_rules))
    try:
        return Strategy(rules=rules, default_scenario=default, known_scenarios=known_scenarios)
    except StrategyError as error:
        if error.index is None:
            raise StrategyError(error.field or error.where, error.problem, field=error.field) from None
        raise _at_rule(error, error.index) from None


def _at_rule(error: StrategyError, index: int) -> StrategyError:
    path = f"rules[{index}]" + (f".{error.field}" if error.field else "")
    return StrategyError(path, error.problem, rule=error.rule, field=error.field, index=index)


def _rule_from_dict(raw: object, index: int) -> Rule:
    path = f"rules[{index}]"
    obj = _object(raw, path)
    _no_unknown_keys(obj, _RULE_KEYS, path)
    name = _required_text(obj, "name", f"{path}.name")
    scenario_code = _required_text(obj, "scenario_code", f"{path}.scenario_code")
    try:
        return Rule(
            name,
            scenario_code,
            entities=_text_set(obj, "entities", path),
            customer_groups=_text_set(obj, "customer_groups", path),
            priorities=_text_set(obj, "priorities", path),
            product_groups=_text_set(obj, "product_groups", path),
            products=_text_set(obj, "products", path),
            min_balance=_money_value(obj, "min_balance", path),
            max_balance=_money_value(obj, "max_balance", path),
            min_days_overdue=_integer(obj, "min_days_overdue", path),
            max_days_overdue=_integer(obj, "max_days_overdue", path),
            min_risk_score=_decimal(obj.get("min_risk_score"), f"{path}.min_risk_score"),
            max_risk_score=_decimal(obj.get("max_risk_score"), f"{path}.max_risk_score"),
        )
    except StrategyError as error:
        if error.index is not None or error.field is None:
            raise
        raise _at_rule(error, index) from None


def _object(value: object, path: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise StrategyError(path, "must be an object")
    for key in value:
        if not isinstance(key, str):
            raise StrategyError(path, f"keys must be strings, got {key!r}")
    return value


def _no_unknown_keys(obj: dict[str, object], allowed: frozenset[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            raise StrategyError(f"{path}.{key}" if path else key, "unknown field")


def _required_text(obj: dict[str, object], key: str, path: str) -> str:
    if key not in obj:
        raise StrategyError(path, "is required")
    value = obj[key]
    if not isinstance(value, str):
        raise StrategyError(path, "must be a string")
    return value


def _text_set(obj: dict[str, object], key: str, path: str) -> frozenset[str] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise StrategyError(f"{path}.{key}", "must be a list of strings")
    for position, element in enumerate(value):
        if not isinstance(element, str) or not element.strip():
            raise StrategyError(f"{path}.{key}[{position}]", "must be a non-blank string")
    return frozenset(value)


def _integer(obj: dict[str, object], key: str, path: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise StrategyError(f"{path}.{key}", "must be an integer")
    return value


def _decimal(value: object, path: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise StrategyError(path, "must be a decimal written as a string, not a float")
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, str):
        raise StrategyError(path, "must be a decimal written as a string")
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise StrategyError(path, f"not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise StrategyError(path, f"not a decimal number: {value!r}")
    return number


def _money_value(obj: dict[str, object], key: str, path: str) -> Money | None:
    value = obj.get(key)
    if value is None:
        return None
    where = f"{path}.{key}"
    money = _object(value, where)
    _no_unknown_keys(money, frozenset({"amount", "currency"}), where)
    amount = _decimal(money.get("amount"), f"{where}.amount")
    if amount is None:
        raise StrategyError(f"{where}.amount", "is required")
    currency = _required_text(money, "currency", f"{where}.currency")
    try:
        return Money(amount, currency)
    except ValueError as error:
        raise StrategyError(f"{where}.currency", str(error)) from None
