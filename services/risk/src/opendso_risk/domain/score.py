"""The risk score: 0 (worst) to 100 (best), made of parts that each show their value, weight and points.

Each part turns a figure into a quality between 0 and 1 (a straight line between the configured "all points"
and "no points" values), and gives weight x quality points. The score is 100 x the points over the weights of
the parts that could be rated: a part without data (no limit, no rating, nothing paid yet) is left out rather
than counted as good or bad, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from opendso_risk.domain.config import PARTS, ScoreConfig

_POINTS = Decimal("0.01")
_QUALITY = Decimal("0.0001")
GRADES: tuple[tuple[int, str], ...] = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (0, "E"))


@dataclass(frozen=True)
class ScoreInputs:
    """The figures a score is computed from; None where the customer has none."""

    # Amount-weighted average days late of the invoices paid in the last 12 months.
    weighted_days_late: Decimal | None = None
    paid_invoices: int = 0
    # Share of the open invoices' balance that is overdue; ``overdue_problem`` says why it is unknown.
    overdue_share: Decimal | None = None
    overdue_problem: str = ""
    # The highest use among the customer's limit and its group's, and whose limit it is.
    limit_use: Decimal | None = None
    limit_label: str = ""
    limit_problem: str = ""
    # Counted over the last 12 months; None for a customer without any item to judge by.
    disputes: int | None = None
    broken_promises: int | None = None
    # 0 to 100 from a rating agency.
    external_rating: Decimal | None = None
    rating_agency: str = ""


@dataclass(frozen=True)
class Part:
    name: str
    value: Decimal | None
    measure: str
    weight: Decimal
    quality: Decimal
    points: Decimal
    rated: bool
    explanation: str


@dataclass(frozen=True)
class Score:
    rated: bool
    value: int
    grade: str
    parts: tuple[Part, ...]
    rated_weight: Decimal
    points: Decimal


def _line(value: Decimal, full: Decimal, worst: Decimal) -> Decimal:
    """1 at ``full`` or better, 0 at ``worst`` or worse, straight between (worst > full)."""
    if value <= full:
        return Decimal(1)
    if value >= worst:
        return Decimal(0)
    return ((worst - value) / (worst - full)).quantize(_QUALITY, rounding=ROUND_HALF_UP)


def _shown(value: Decimal, places: str = "0.1") -> str:
    return str(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _part(name: str, value: Decimal | None, measure: str, weight: Decimal, quality: Decimal, explanation: str) -> Part:
    if weight == 0:
        return Part(
            name, value, measure, weight, Decimal(0), Decimal(0), False, f"{explanation}; weight 0: not counted"
        )
    if value is None:
        return Part(name, None, measure, weight, Decimal(0), Decimal(0), False, explanation)
    points = (weight * quality).quantize(_POINTS, rounding=ROUND_HALF_UP)
    return Part(name, value, measure, weight, quality, points, True, explanation)


def _behaviour(inputs: ScoreInputs, config: ScoreConfig) -> Part:
    measure = "average days late, amount-weighted, invoices paid in the last 12 months"
    weight = config.weights.behaviour
    worst = Decimal(config.behaviour_worst_days)
    days = inputs.weighted_days_late
    if days is None:
        return _part("behaviour", None, measure, weight, Decimal(0), "no invoice paid in the last 12 months: left out")
    quality = _line(days, Decimal(0), worst)
    return _part(
        "behaviour",
        days,
        measure,
        weight,
        quality,
        f"{_shown(days)} days late over {inputs.paid_invoices} paid invoices: all points at 0, none from "
        f"{config.behaviour_worst_days} days",
    )


def _overdue(inputs: ScoreInputs, config: ScoreConfig) -> Part:
    measure = "share of the open invoices' balance that is overdue"
    weight = config.weights.overdue
    share = inputs.overdue_share
    if share is None:
        why = inputs.overdue_problem or "nothing to judge by"
        return _part("overdue", None, measure, weight, Decimal(0), f"{why}: left out")
    quality = _line(share, Decimal(0), config.overdue_worst_share)
    return _part(
        "overdue",
        share,
        measure,
        weight,
        quality,
        f"{_shown(share * 100)} % of the open balance overdue: all points at 0 %, none from "
        f"{_shown(config.overdue_worst_share * 100, '1')} %",
    )


def _limit(inputs: ScoreInputs, config: ScoreConfig) -> Part:
    measure = "open balance / credit limit (the higher of the customer's and its group's)"
    weight = config.weights.limit_use
    use = inputs.limit_use
    if use is None:
        return _part(
            "limit_use", None, measure, weight, Decimal(0), f"{inputs.limit_problem or 'no credit limit'}: left out"
        )
    quality = _line(use, config.limit_use_full, config.limit_use_worst)
    return _part(
        "limit_use",
        use,
        measure,
        weight,
        quality,
        f"{_shown(use * 100)} % of {inputs.limit_label or 'the limit'} used: all points up to "
        f"{_shown(config.limit_use_full * 100, '1')} %, none from {_shown(config.limit_use_worst * 100, '1')} %",
    )


def _count(name: str, count: int | None, what: str, weight: Decimal, worst: int) -> Part:
    measure = f"{what} in the last 12 months"
    if count is None:
        return _part(name, None, measure, weight, Decimal(0), "no item to judge by: left out")
    quality = _line(Decimal(count), Decimal(0), Decimal(worst))
    return _part(name, Decimal(count), measure, weight, quality, f"{count} {what}: all points at 0, none from {worst}")


def _rating(inputs: ScoreInputs, config: ScoreConfig) -> Part:
    measure = "external rating, 0 (worst) to 100 (best)"
    weight = config.weights.external_rating
    rating = inputs.external_rating
    if rating is None:
        return _part("external_rating", None, measure, weight, Decimal(0), "no external rating: left out")
    agency = f" from {inputs.rating_agency}" if inputs.rating_agency else ""
    quality = (rating / 100).quantize(_QUALITY, rounding=ROUND_HALF_UP)
    return _part("external_rating", rating, measure, weight, quality, f"rating {rating}{agency} of 100")


def grade(value: int) -> str:
    return next(letter for floor, letter in GRADES if value >= floor)


def compute_score(inputs: ScoreInputs, config: ScoreConfig) -> Score:
    parts: Sequence[Part] = (
        _behaviour(inputs, config),
        _overdue(inputs, config),
        _limit(inputs, config),
        _count("disputes", inputs.disputes, "disputes opened", config.weights.disputes, config.disputes_worst),
        _count(
            "broken_promises",
            inputs.broken_promises,
            "promises or payment plans broken",
            config.weights.broken_promises,
            config.broken_promises_worst,
        ),
        _rating(inputs, config),
    )
    assert tuple(p.name for p in parts) == PARTS
    rated = [p for p in parts if p.rated]
    weight = sum((p.weight for p in rated), Decimal(0))
    points = sum((p.points for p in rated), Decimal(0))
    if weight == 0:
        return Score(False, 0, "", tuple(parts), Decimal(0), Decimal(0))
    value = int((points * 100 / weight).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Score(True, value, grade(value), tuple(parts), weight, points)
