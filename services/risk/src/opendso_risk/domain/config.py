"""The risk configuration: score weights and thresholds, alert rules, agenda and prediction settings.

Read from JSON (``parse_config``) with every problem named by its path (``score.weights.behaviour: ...``), so
a credit manager fixes them all at once; settings left out take their defaults. ``config_to_dict`` gives the
JSON back, defaults included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

PARTS = ("behaviour", "overdue", "limit_use", "disputes", "broken_promises", "external_rating")


@dataclass(frozen=True)
class ScoreWeights:
    behaviour: Decimal = Decimal(35)
    overdue: Decimal = Decimal(25)
    limit_use: Decimal = Decimal(10)
    disputes: Decimal = Decimal(10)
    broken_promises: Decimal = Decimal(10)
    external_rating: Decimal = Decimal(10)

    def of(self, part: str) -> Decimal:
        value: Decimal = getattr(self, part)
        return value


@dataclass(frozen=True)
class ScoreConfig:
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    # Amount-weighted average days late (12 months) at which the behaviour part gives nothing; 0 gives all.
    behaviour_worst_days: int = 60
    # Share of the open balance overdue at which the overdue part gives nothing.
    overdue_worst_share: Decimal = Decimal("0.5")
    # Limit use up to which the limit part gives all, and from which it gives nothing.
    limit_use_full: Decimal = Decimal("0.5")
    limit_use_worst: Decimal = Decimal("1.2")
    # Disputes opened, and promises or plans broken, in 12 months at which their part gives nothing.
    disputes_worst: int = 5
    broken_promises_worst: int = 3


@dataclass(frozen=True)
class Rule:
    enabled: bool = True


@dataclass(frozen=True)
class LimitNearRule:
    enabled: bool = True
    # Use of a limit, in percent, that raises the alert (below 100: exceeding it is its own rule).
    percent: int = 90


@dataclass(frozen=True)
class ScoreDroppedRule:
    enabled: bool = True
    # Points below the score's last high (since its last such alert) that raise the alert.
    points: int = 15


@dataclass(frozen=True)
class DaysRule:
    enabled: bool = True
    days: int = 30


@dataclass(frozen=True)
class AlertRules:
    promise_broken: Rule = field(default_factory=Rule)
    limit_exceeded: Rule = field(default_factory=Rule)
    limit_near: LimitNearRule = field(default_factory=LimitNearRule)
    score_dropped: ScoreDroppedRule = field(default_factory=ScoreDroppedRule)
    # Overdue items and no collection action for this many days.
    overdue_without_action: DaysRule = field(default_factory=DaysRule)
    # A dispute still open after this many days.
    dispute_open: DaysRule = field(default_factory=DaysRule)
    # A cover expiring within this many days (or expired).
    insurance_expiring: DaysRule = field(default_factory=DaysRule)


@dataclass(frozen=True)
class AgendaConfig:
    # How far ahead expiries and review dates come on the risk agenda.
    horizon_days: int = 30


@dataclass(frozen=True)
class PredictionConfig:
    # The customer's habit is blended with its segment's as if the segment had this many invoices of its own:
    # days = (n x customer + k x segment) / (n + k). 0: the customer's own habit whenever it has one.
    pseudo_invoices: int = 0
    # Customers with a paid invoice (12 months) a customer group needs to be the segment; else the entity is.
    segment_minimum: int = 10


@dataclass(frozen=True)
class TrendConfig:
    # Days late (weighted) the last 3 months must differ from the 9 before by to be a trend.
    days: int = 5


@dataclass(frozen=True)
class RiskConfig:
    score: ScoreConfig = field(default_factory=ScoreConfig)
    alerts: AlertRules = field(default_factory=AlertRules)
    agenda: AgendaConfig = field(default_factory=AgendaConfig)
    prediction: PredictionConfig = field(default_factory=PredictionConfig)
    trend: TrendConfig = field(default_factory=TrendConfig)


DEFAULT_CONFIG = RiskConfig()


class ConfigError(ValueError):
    """A configuration that cannot be used; ``problems`` names every wrong setting by its path."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problems))


# Bounds of each integer and decimal setting, by field name within its section.
_INT_BOUNDS: Mapping[str, tuple[int, int]] = {
    "behaviour_worst_days": (1, 3650),
    "disputes_worst": (1, 1000),
    "broken_promises_worst": (1, 1000),
    "percent": (1, 99),
    "points": (1, 100),
    "days": (0, 3650),
    "horizon_days": (0, 3650),
    "pseudo_invoices": (0, 1000),
    "segment_minimum": (1, 1_000_000),
}
_DECIMAL_BOUNDS: Mapping[str, tuple[Decimal, Decimal]] = {
    "overdue_worst_share": (Decimal("0.01"), Decimal(1)),
    "limit_use_full": (Decimal(0), Decimal(10)),
    "limit_use_worst": (Decimal("0.01"), Decimal(10)),
    "weight": (Decimal(0), Decimal(1000)),
}


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() else None
    return None


def _read(section: Any, data: Any, path: str, problems: list[str]) -> Any:
    """``section`` (a dataclass instance of defaults) with the values of ``data`` read over it."""
    if not isinstance(data, dict):
        problems.append(f"{path or 'configuration'}: must be an object, got {_kind(data)}")
        return section
    known = {f.name for f in fields(section)}
    for key in data:
        if key not in known:
            problems.append(f"{_join(path, str(key))}: unknown setting (known: {', '.join(sorted(known))})")
    changes: dict[str, Any] = {}
    for f in fields(section):
        if f.name not in data:
            continue
        where = _join(path, f.name)
        current = getattr(section, f.name)
        value = data[f.name]
        if isinstance(current, bool):
            if isinstance(value, bool):
                changes[f.name] = value
            else:
                problems.append(f"{where}: must be true or false, got {_kind(value)}")
        elif isinstance(current, int):
            low, high = _INT_BOUNDS[f.name]
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                changes[f.name] = value
            else:
                problems.append(f"{where}: must be a whole number from {low} to {high}, got {_shown(value)}")
        elif isinstance(current, Decimal):
            bounds_name = "weight" if isinstance(section, ScoreWeights) else f.name
            low_d, high_d = _DECIMAL_BOUNDS[bounds_name]
            number = _decimal(value)
            if number is not None and low_d <= number <= high_d:
                changes[f.name] = number
            else:
                problems.append(f"{where}: must be a number from {low_d} to {high_d}, got {_shown(value)}")
        else:
            changes[f.name] = _read(current, value, where, problems)
    return replace(section, **changes)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a number"


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return _kind(value)
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)


def config_from_dict(data: Any) -> RiskConfig:
    """The configuration ``data`` describes; ``ConfigError`` lists every problem with its path."""
    problems: list[str] = []
    config: RiskConfig = _read(DEFAULT_CONFIG, data, "", problems)
    score = config.score
    if not problems:
        if all(score.weights.of(p) == 0 for p in PARTS):
            problems.append("score.weights: at least one weight must be above 0")
        if score.limit_use_worst <= score.limit_use_full:
            problems.append(
                f"score.limit_use_worst: must be above score.limit_use_full ({score.limit_use_full}), "
                f"got {score.limit_use_worst}"
            )
    if problems:
        raise ConfigError(problems)
    return config


def parse_config(text: str) -> RiskConfig:
    """The configuration in the JSON ``text`` (numbers read exactly, never as floats)."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise ConfigError([f"configuration: not JSON: {exc}"]) from None
    return config_from_dict(data)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Whole numbers as JSON numbers; decimals as strings, so no reader turns them into floats.
        return int(value) if value == value.to_integral_value() else str(value.normalize())
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def config_to_dict(config: RiskConfig) -> dict[str, Any]:
    result: dict[str, Any] = _plain(config)
    return result


def config_to_json(config: RiskConfig) -> str:
    return json.dumps(config_to_dict(config), indent=2, sort_keys=False)
