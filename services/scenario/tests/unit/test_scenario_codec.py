"""Scenario definitions to and from plain dicts and JSON, and what a definition must be to be saved."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.domain.model import Anchor, Channel
from opendso_scenario.domain.scenario_codec import (
    ScenarioDefinitionError,
    scenario_from_dict,
    scenario_from_json,
    scenario_to_dict,
    scenario_to_json,
)


def definition(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "polite",
        "name": "Polite",
        "language": "fr",
        "minimum_amount": "25.50",
        "steps": [
            {
                "code": "before",
                "offset_days": -3,
                "channel": "email",
                "template": "friendly_reminder",
                "automatic": True,
            },
            {"code": "after", "offset_days": 5, "channel": "email", "template": "first_reminder", "automatic": True},
            {
                "code": "call",
                "offset_days": 4,
                "anchor": "last_action",
                "channel": "phone_call",
                "template": "phone_call",
                "automatic": False,
            },
        ],
    }
    data.update(changes)
    return data


def step(index: int, **changes: Any) -> dict[str, Any]:
    data = definition()
    data["steps"][index].update(changes)
    return data


def problems_of(data: object) -> list[str]:
    with pytest.raises(ScenarioDefinitionError) as caught:
        scenario_from_dict(data)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("code", sorted(builtin_scenarios()))
def test_every_shipped_scenario_reads_back_equal_from_its_json(code: str) -> None:
    scenario = builtin_scenarios()[code]
    read = scenario_from_json(scenario_to_json(scenario, "de"))
    assert read.scenario == scenario
    assert read.language == "de"


def test_every_field_of_a_step_and_the_scenario_is_written() -> None:
    read = scenario_from_dict(definition())
    data = scenario_to_dict(read.scenario, read.language)
    assert data["minimum_amount"] == "25.50"
    assert data["language"] == "fr"
    assert data["steps"][2] == {
        "code": "call",
        "offset_days": 4,
        "anchor": "last_action",
        "channel": "phone_call",
        "template": "phone_call",
        "automatic": False,
    }
    assert read.scenario.minimum_amount == Decimal("25.50")
    assert read.scenario.steps[2].anchor is Anchor.LAST_ACTION
    assert read.scenario.steps[2].channel is Channel.PHONE_CALL
    # The money stays a string in JSON: never through a float.
    assert json.loads(scenario_to_json(read.scenario))["minimum_amount"] == "25.50"


def test_an_absent_anchor_counts_from_the_due_date_and_an_absent_minimum_is_zero() -> None:
    data = definition()
    del data["minimum_amount"], data["language"]
    read = scenario_from_dict(data)
    assert read.scenario.steps[0].anchor is Anchor.DUE_DATE
    assert read.scenario.minimum_amount == Decimal("0")
    assert read.language == ""


def test_a_step_code_used_twice_names_both_steps() -> None:
    assert problems_of(step(1, code="before")) == [
        "scenario 'polite', steps[1] ('before'), code: is already the code of steps[0]"
    ]


def test_an_empty_template_an_unknown_channel_and_anchor_are_named_by_step_and_field() -> None:
    data = step(1, template=" ", channel="fax", anchor="payday")
    assert problems_of(data) == [
        "scenario 'polite', steps[1] ('after'), anchor: 'payday' is not one of due_date, last_action",
        "scenario 'polite', steps[1] ('after'), channel: 'fax' is not one of email, sms, letter, phone_call, "
        "internal_task" + "".join(f", {c.value}" for c in list(Channel)[5:]),
        "scenario 'polite', steps[1] ('after'), template: is required (the message template's code, or the kind "
        "of task)",
    ]


def test_the_first_step_cannot_count_from_the_last_action() -> None:
    [problem] = problems_of(step(0, anchor="last_action", offset_days=2))
    assert problem.startswith("scenario 'polite', steps[0] ('before'), anchor: the first step cannot count")


def test_a_step_after_the_last_action_cannot_come_before_it() -> None:
    [problem] = problems_of(step(2, offset_days=-1))
    assert problem.startswith("scenario 'polite', steps[2] ('call'), offset_days: a step counted from the last")


def test_due_date_days_must_grow_with_the_steps() -> None:
    assert problems_of(step(1, offset_days=-3)) == [
        "scenario 'polite', steps[1] ('after'), offset_days: day -3 must come after day -3 of step 'before'"
    ]


def test_a_call_cannot_be_automatic() -> None:
    [problem] = problems_of(step(2, automatic=True))
    assert problem == (
        "scenario 'polite', steps[2] ('call'), automatic: a phone_call step is performed by a collector: "
        "it cannot be automatic"
    )


def test_every_problem_of_a_definition_is_reported_at_once() -> None:
    data = definition(name="", minimum_amount=12.5, colour="red")
    data["steps"][0].update(offset_days="3", automatic="yes")
    with pytest.raises(ScenarioDefinitionError) as caught:
        scenario_from_dict(data)
    assert [p.field for p in caught.value.problems] == [
        "colour",
        "name",
        "minimum_amount",
        "offset_days",
        "automatic",
    ]
    found = [str(p) for p in caught.value.problems]
    assert "unknown field" in found[0]
    assert "not a JSON number" in found[2]
    assert found[3].startswith("scenario 'polite', steps[0] ('before'), offset_days")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (definition(code="has space"), "scenario 'has space', code: 'has space' must be 1 to 50 letters"),
        (definition(code=""), "scenario '?', code: is required"),
        (definition(steps=[]), "scenario 'polite', steps: needs at least one step"),
        (definition(language="French"), "scenario 'polite', language: 'French' is not a language code"),
        (definition(minimum_amount="-5"), "scenario 'polite', minimum_amount: '-5' is not an amount"),
        (step(0, code="a/b"), "scenario 'polite', steps[0], code: 'a/b' must be 1 to 50 letters"),
        (step(0, offset_days=9999), "scenario 'polite', steps[0] ('before'), offset_days: 9999 is outside"),
        (definition(steps=["email"]), "scenario 'polite', steps[0], step: must be an object"),
        ([], "scenario '?', definition: must be an object"),
    ],
)
def test_a_bad_definition_is_refused_naming_where(data: object, expected: str) -> None:
    found = problems_of(data)
    assert any(p.startswith(expected) for p in found), found


def test_json_that_is_not_json_is_refused() -> None:
    with pytest.raises(ScenarioDefinitionError, match="definition: is not JSON"):
        scenario_from_json("{not json")


def test_step_options_round_trip_and_name_their_problems() -> None:
    from decimal import Decimal

    from opendso_scenario.domain.model import Channel, Scenario, Step
    from opendso_scenario.domain.scenario_codec import (
        ScenarioDefinitionError,
        scenario_from_dict,
        scenario_to_dict,
    )

    notice = Step(
        "notice",
        30,
        Channel.LETTER,
        "formal_notice_letter",
        True,
        also=((Channel.EMAIL, "formal_notice_email"),),
        product_group="machines",
        minimum_amount=Decimal("500.00"),
    )
    scenario = Scenario("s", "S", (notice,))
    assert scenario_from_dict(scenario_to_dict(scenario)).scenario == scenario

    data = scenario_to_dict(scenario)
    data["steps"][0]["also"] = [{"channel": "letter", "template": "x"}, {"channel": "fax", "template": "y"}]
    data["steps"][0]["minimum_amount"] = 12.5
    try:
        scenario_from_dict(data)
    except ScenarioDefinitionError as exc:
        text = str(exc)
    else:
        raise AssertionError("bad step options were accepted")
    assert "also[0].channel" in text and "already uses letter" in text
    assert "also[1].channel" in text and "'fax'" in text
    assert "minimum_amount" in text
