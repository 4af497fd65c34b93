"""The configuration: defaults, partial files, and every problem named by its path."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from opendso_risk.domain.config import DEFAULT_CONFIG, ConfigError, config_to_dict, config_to_json, parse_config


def test_the_defaults_are_documented_values() -> None:
    data = config_to_dict(DEFAULT_CONFIG)
    assert data["score"]["weights"] == {
        "behaviour": 35,
        "overdue": 25,
        "limit_use": 10,
        "disputes": 10,
        "broken_promises": 10,
        "external_rating": 10,
    }
    assert data["alerts"]["limit_near"] == {"enabled": True, "percent": 90}
    assert data["alerts"]["score_dropped"] == {"enabled": True, "points": 15}
    assert data["score"]["overdue_worst_share"] == "0.5"
    assert parse_config(config_to_json(DEFAULT_CONFIG)) == DEFAULT_CONFIG


def test_settings_left_out_take_their_defaults() -> None:
    config = parse_config('{"score": {"weights": {"behaviour": 50.5}}, "alerts": {"dispute_open": {"days": 45}}}')
    assert config.score.weights.behaviour == Decimal("50.5")
    assert config.score.weights.overdue == Decimal(25)
    assert config.alerts.dispute_open.days == 45
    assert config.alerts.dispute_open.enabled


def test_every_problem_is_named_by_its_path() -> None:
    text = json.dumps(
        {
            "score": {"weights": {"behavior": 10, "overdue": -1}, "overdue_worst_share": "lots"},
            "alerts": {"limit_near": {"percent": 120, "enabled": "yes"}, "promise_broken": []},
            "trend": {"days": 2.5},
        }
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert caught.value.problems == (
        "score.weights.behavior: unknown setting (known: behaviour, broken_promises, disputes, external_rating, "
        "limit_use, overdue)",
        "score.weights.overdue: must be a number from 0 to 1000, got -1",
        'score.overdue_worst_share: must be a number from 0.01 to 1, got "lots"',
        "alerts.promise_broken: must be an object, got a list",
        "alerts.limit_near.enabled: must be true or false, got a string",
        "alerts.limit_near.percent: must be a whole number from 1 to 99, got 120",
        "trend.days: must be a whole number from 0 to 3650, got 2.5",
    )


def test_checks_across_settings_and_broken_json_are_refused() -> None:
    zero = {k: 0 for k in ("behaviour", "overdue", "limit_use", "disputes", "broken_promises", "external_rating")}
    with pytest.raises(ConfigError, match=r"score.weights: at least one weight must be above 0"):
        parse_config(json.dumps({"score": {"weights": zero}}))
    with pytest.raises(ConfigError, match=r"score.limit_use_worst: must be above score.limit_use_full \(0.9\)"):
        parse_config('{"score": {"limit_use_full": 0.9, "limit_use_worst": 0.8}}')
    with pytest.raises(ConfigError, match=r"^configuration: not JSON"):
        parse_config("{")
    with pytest.raises(ConfigError, match=r"^configuration: must be an object, got a list"):
        parse_config("[]")
