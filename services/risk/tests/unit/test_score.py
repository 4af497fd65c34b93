"""Score parts worked out by hand: each part's value, weight, quality and points, and the total."""

from __future__ import annotations

from decimal import Decimal

from opendso_risk.domain.config import ScoreConfig, ScoreWeights
from opendso_risk.domain.score import ScoreInputs, compute_score, grade

CONFIG = ScoreConfig()  # weights 35, 25, 10, 10, 10, 10


def parts(inputs: ScoreInputs, config: ScoreConfig = CONFIG) -> dict[str, tuple[bool, str, str]]:
    score = compute_score(inputs, config)
    return {p.name: (p.rated, str(p.quality), str(p.points)) for p in score.parts}


def test_every_part_shows_its_value_weight_and_points() -> None:
    inputs = ScoreInputs(
        weighted_days_late=Decimal(15),  # 1 - 15 / 60 = 0.75 -> 35 x 0.75
        paid_invoices=12,
        overdue_share=Decimal("0.2"),  # 1 - 0.2 / 0.5 = 0.6 -> 25 x 0.6
        limit_use=Decimal("0.85"),  # (1.2 - 0.85) / (1.2 - 0.5) = 0.5 -> 10 x 0.5
        limit_label="its limit of 10000.00 EUR",
        disputes=1,  # 1 - 1 / 5 = 0.8
        broken_promises=3,  # 3 of 3: nothing
    )
    score = compute_score(inputs, CONFIG)
    got = {p.name: (p.weight, p.quality, p.points) for p in score.parts}
    assert got["behaviour"] == (Decimal(35), Decimal("0.75"), Decimal("26.25"))
    assert got["overdue"] == (Decimal(25), Decimal("0.6"), Decimal("15.00"))
    assert got["limit_use"] == (Decimal(10), Decimal("0.5"), Decimal("5.00"))
    assert got["disputes"] == (Decimal(10), Decimal("0.8"), Decimal("8.00"))
    assert got["broken_promises"] == (Decimal(10), Decimal(0), Decimal("0.00"))
    # No rating: its weight is left out, 90 of 100 rated; 54.25 x 100 / 90 = 60.28
    assert (score.rated_weight, score.points, score.value, score.grade) == (Decimal(90), Decimal("54.25"), 60, "C")
    behaviour = score.parts[0]
    assert behaviour.explanation == "15.0 days late over 12 paid invoices: all points at 0, none from 60 days"
    rating = score.parts[-1]
    assert (rating.rated, rating.explanation) == (False, "no external rating: left out")


def test_values_beyond_the_worst_give_nothing_and_within_the_best_give_all() -> None:
    inputs = ScoreInputs(
        weighted_days_late=Decimal(90),
        overdue_share=Decimal(0),
        limit_use=Decimal("0.3"),
        disputes=0,
        broken_promises=0,
        external_rating=Decimal(40),
        rating_agency="Creditsafe",
    )
    assert parts(inputs) == {
        "behaviour": (True, "0", "0.00"),
        "overdue": (True, "1", "25.00"),
        "limit_use": (True, "1", "10.00"),
        "disputes": (True, "1", "10.00"),
        "broken_promises": (True, "1", "10.00"),
        "external_rating": (True, "0.4000", "4.00"),
    }
    score = compute_score(inputs, CONFIG)
    assert (score.value, score.grade) == (59, "C")
    assert score.parts[-1].explanation == "rating 40 from Creditsafe of 100"


def test_a_customer_without_figures_is_not_rated() -> None:
    score = compute_score(ScoreInputs(overdue_problem="no item to judge by"), CONFIG)
    assert (score.rated, score.value, score.grade) == (False, 0, "")
    assert all(not p.rated for p in score.parts)
    assert score.parts[1].explanation == "no item to judge by: left out"


def test_a_part_of_weight_zero_is_not_counted() -> None:
    config = ScoreConfig(weights=ScoreWeights(behaviour=Decimal(0)))
    score = compute_score(ScoreInputs(weighted_days_late=Decimal(60), overdue_share=Decimal(0)), config)
    assert not score.parts[0].rated
    assert score.parts[0].explanation.endswith("weight 0: not counted")
    assert (score.rated_weight, score.value) == (Decimal(25), 100)


def test_grades_follow_the_documented_floors() -> None:
    assert [grade(v) for v in (100, 80, 79, 65, 64, 50, 49, 35, 34, 0)] == list("AABBCCDDEE")
