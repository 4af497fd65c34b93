"""Steps on several channels at once, steps limited to a product group, and a step's own minimum."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_money import Money
from opendso_scenario.domain.engine import next_review_on, plan_actions
from opendso_scenario.domain.model import (
    Channel,
    Customer,
    Item,
    PerformedAction,
    Scenario,
    ScenarioError,
    Step,
)

DUE = date(2026, 3, 2)


def item(item_id: str, due: date = DUE, amount: str = "100.00", group: str | None = None) -> Item:
    return Item(
        item_id=item_id,
        number=item_id,
        kind="invoice",
        issue_date=due - timedelta(days=30),
        due_date=due,
        open_amount=Money(Decimal(amount), "EUR"),
        product_group=group,
    )


def account(*items: Item) -> Customer:
    return Customer(customer_id="C1", entity="FR01", account_number="1", name="Dupont", language="fr", items=items)


NOTICE = Step(
    "notice",
    30,
    Channel.LETTER,
    "formal_notice_letter",
    automatic=True,
    also=((Channel.EMAIL, "formal_notice_email"),),
)


def test_a_step_on_two_channels_plans_one_action_per_channel_with_its_template() -> None:
    scenario = Scenario("s", "S", (Step("r1", 3, Channel.EMAIL, "first_reminder", True), NOTICE))
    actions = plan_actions(account(item("I1")), scenario, DUE + timedelta(days=30), [])
    assert [(a.channel, a.template) for a in actions] == [
        (Channel.LETTER, "formal_notice_letter"),
        (Channel.EMAIL, "formal_notice_email"),
    ]
    assert actions[0].key == "C1:s:notice:I1"
    assert actions[1].key == "C1:s:notice:I1:email"
    assert actions[0].covered_items == actions[1].covered_items


def test_a_step_on_two_channels_is_performed_once_for_both() -> None:
    scenario = Scenario("s", "S", (NOTICE,))
    today = DUE + timedelta(days=30)
    performed = [PerformedAction("notice", "I1", today)]
    assert plan_actions(account(item("I1")), scenario, today + timedelta(days=1), performed) == []


@pytest.mark.parametrize(
    ("also", "problem"),
    [
        (((Channel.LETTER, "x"),), "used twice"),
        (((Channel.EMAIL, " "),), "needs a template"),
    ],
)
def test_a_step_refuses_a_repeated_channel_or_a_missing_template(
    also: tuple[tuple[Channel, str], ...], problem: str
) -> None:
    with pytest.raises(ScenarioError, match=problem):
        Step("notice", 30, Channel.LETTER, "formal_notice_letter", True, also=also)


def test_a_step_limited_to_a_product_group_is_timed_from_and_covers_that_group_only() -> None:
    scenario = Scenario(
        "s",
        "S",
        (
            Step("r1", 3, Channel.EMAIL, "first_reminder", True),
            Step("machines_call", 10, Channel.PHONE_CALL, "call", False, product_group="machines"),
        ),
    )
    customer = account(
        item("SERVICE", DUE - timedelta(days=20), group="services"),
        item("MACHINE", DUE, group="machines"),
        item("MACHINE2", DUE + timedelta(days=40), group="machines"),
    )
    # Ten days after the machine's due date: the call is reached for the machines (30 days for the service).
    (call,) = plan_actions(customer, scenario, DUE + timedelta(days=10), [])
    assert call.step.code == "machines_call"
    assert call.leader_item_id == "MACHINE"
    assert [i.item_id for i in call.covered_items] == ["MACHINE"]
    # Before it, the unrestricted reminder leads from the oldest item of all.
    (reminder,) = plan_actions(customer, scenario, DUE + timedelta(days=5), [])
    assert reminder.step.code == "r1" and reminder.leader_item_id == "SERVICE"
    assert {i.item_id for i in reminder.covered_items} == {"SERVICE", "MACHINE"}


def test_a_product_group_step_without_items_of_its_group_never_fires_nor_is_reviewed() -> None:
    scenario = Scenario("s", "S", (Step("machines_call", 10, Channel.PHONE_CALL, "call", False, product_group="m"),))
    customer = account(item("I1", group="other"))
    assert plan_actions(customer, scenario, DUE + timedelta(days=50), []) == []
    assert next_review_on(customer, scenario, DUE, []) is None


def test_a_step_minimum_overrides_the_scenario_minimum() -> None:
    scenario = Scenario(
        "s",
        "S",
        (
            Step("r1", 3, Channel.EMAIL, "first_reminder", True),
            Step("letter", 20, Channel.LETTER, "formal_notice_letter", True, minimum_amount=Decimal("500")),
        ),
        minimum_amount=Decimal("50"),
    )
    small = account(item("I1", amount="100.00"))
    assert [a.step.code for a in plan_actions(small, scenario, DUE + timedelta(days=3), [])] == ["r1"]
    # The letter is reached but worth sending only from 500.
    assert plan_actions(small, scenario, DUE + timedelta(days=20), []) == []
    big = account(item("I1", amount="800.00"))
    assert [a.step.code for a in plan_actions(big, scenario, DUE + timedelta(days=20), [])] == ["letter"]
