from __future__ import annotations

from decimal import Decimal

import pytest
from opendso_scenario.domain.model import Anchor, Channel, Scenario, ScenarioError, Step


def email(code: str, offset: int, anchor: Anchor = Anchor.DUE_DATE) -> Step:
    return Step(code, offset, Channel.EMAIL, f"{code}_template", automatic=True, anchor=anchor)


def test_a_scenario_needs_at_least_one_step() -> None:
    with pytest.raises(ScenarioError, match="at least one step"):
        Scenario(code="empty", name="Empty", steps=())


def test_step_codes_must_be_unique_within_a_scenario() -> None:
    with pytest.raises(ScenarioError, match="'first' is used twice"):
        Scenario(code="dup", name="Dup", steps=(email("first", 3), email("first", 10)))


def test_due_date_offsets_must_increase_with_the_order_of_steps() -> None:
    with pytest.raises(ScenarioError, match="must come after"):
        Scenario(code="back", name="Back", steps=(email("first", 10), email("second", 3)))


def test_two_due_date_steps_on_the_same_day_are_refused() -> None:
    with pytest.raises(ScenarioError, match="must come after"):
        Scenario(code="same", name="Same", steps=(email("a", 3), email("b", 3)))


def test_last_action_steps_do_not_take_part_in_the_due_date_order() -> None:
    scenario = Scenario(
        code="mixed",
        name="Mixed",
        steps=(email("first", 3), email("nudge", 2, Anchor.LAST_ACTION), email("second", 15)),
    )

    assert [s.code for s in scenario.steps] == ["first", "nudge", "second"]


def test_the_first_step_cannot_be_anchored_on_the_last_action() -> None:
    with pytest.raises(ScenarioError, match="first step"):
        Scenario(code="orphan", name="Orphan", steps=(email("nudge", 2, Anchor.LAST_ACTION),))


def test_a_last_action_step_cannot_come_before_the_action_it_follows() -> None:
    with pytest.raises(ScenarioError, match="cannot come before"):
        Scenario(code="neg", name="Neg", steps=(email("first", 3), email("nudge", -1, Anchor.LAST_ACTION)))


def test_a_negative_minimum_amount_is_refused() -> None:
    with pytest.raises(ScenarioError, match="minimum_amount"):
        Scenario(code="m", name="M", steps=(email("first", 3),), minimum_amount=Decimal("-1"))


def test_steps_given_as_a_list_are_refused() -> None:
    with pytest.raises(ScenarioError, match="tuple"):
        Scenario(code="l", name="L", steps=[email("first", 3)])  # type: ignore[arg-type]


def test_a_step_needs_a_code() -> None:
    with pytest.raises(ScenarioError, match="code"):
        email(" ", 3)


def test_a_step_is_found_by_its_code() -> None:
    scenario = Scenario(code="s", name="S", steps=(email("first", 3), email("second", 15)))

    assert scenario.step("second").offset_days == 15
    with pytest.raises(KeyError):
        scenario.step("third")
