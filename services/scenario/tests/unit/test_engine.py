from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from opendso_money import Money
from opendso_scenario.domain.builtin import STANDARD, builtin_scenarios
from opendso_scenario.domain.engine import leader_invoice, plan_actions
from opendso_scenario.domain.model import (
    Anchor,
    Channel,
    Customer,
    Item,
    PerformedAction,
    PlannedAction,
    Scenario,
    Step,
)

DUE = date(2025, 3, 1)


def day(offset: int) -> date:
    """The date ``offset`` days after DUE (before it when negative)."""
    return DUE + timedelta(days=offset)


def item(
    item_id: str,
    *,
    due: date = DUE,
    amount: str = "100.00",
    currency: str = "EUR",
    kind: str = "invoice",
    number: str | None = None,
    excluded: bool = False,
) -> Item:
    return Item(
        item_id=item_id,
        number=number if number is not None else f"INV-{item_id}",
        kind=kind,
        issue_date=due - timedelta(days=30),
        due_date=due,
        open_amount=Money(Decimal(amount), currency),
        excluded=excluded,
    )


def customer(*items: Item) -> Customer:
    return Customer(
        customer_id="C1",
        entity="FR01",
        account_number="411000",
        name="Dupont SARL",
        language="fr",
        items=items,
    )


def done(step_code: str, leader_item_id: str, on: date) -> PerformedAction:
    return PerformedAction(step_code=step_code, leader_item_id=leader_item_id, performed_on=on)


def only(actions: list[PlannedAction]) -> PlannedAction:
    assert len(actions) == 1, actions
    return actions[0]


# Leader invoice


def test_leader_is_the_oldest_overdue_invoice() -> None:
    items = [item("new", due=day(-10)), item("old", due=day(-40)), item("future", due=day(5))]

    leader = leader_invoice(items, today=DUE)

    assert leader is not None
    assert leader.item_id == "old"


def test_leader_before_anything_is_overdue_is_the_invoice_due_soonest() -> None:
    items = [item("later", due=day(20)), item("sooner", due=day(4))]

    leader = leader_invoice(items, today=DUE)

    assert leader is not None
    assert leader.item_id == "sooner"


def test_leader_ties_on_due_date_go_to_the_smaller_number_whatever_the_order_given() -> None:
    a = item("x1", number="INV-002")
    b = item("x2", number="INV-001")

    assert leader_invoice([a, b], today=day(10)) == b
    assert leader_invoice([b, a], today=day(10)) == b


def test_there_is_no_leader_when_nothing_takes_part() -> None:
    items = [item("cn", kind="credit_note", amount="50"), item("paid", amount="0")]

    assert leader_invoice(items, today=day(10)) is None


def test_credit_notes_and_unallocated_payments_never_lead() -> None:
    items = [
        item("cn", kind="credit_note", due=day(-90)),
        item("pay", kind="unallocated_payment", due=day(-80)),
        item("inv", due=day(-5)),
    ]

    leader = leader_invoice(items, today=DUE)

    assert leader is not None
    assert leader.item_id == "inv"


def test_an_instalment_can_lead() -> None:
    items = [item("inst", kind="instalment", due=day(-20)), item("inv", due=day(-5))]

    leader = leader_invoice(items, today=DUE)

    assert leader is not None
    assert leader.item_id == "inst"


# The standard scenario over time


def test_friendly_reminder_goes_out_five_days_before_the_due_date() -> None:
    action = only(plan_actions(customer(item("A")), STANDARD, day(-5), performed=[]))

    assert action.step.code == "friendly"
    assert action.step.channel is Channel.EMAIL
    assert action.automatic
    assert action.days_overdue == -5
    assert action.due_on == day(-5)
    assert action.leader_item_id == "A"


def test_nothing_is_planned_six_days_before_the_due_date() -> None:
    assert plan_actions(customer(item("A")), STANDARD, day(-6), performed=[]) == []


def test_first_reminder_goes_out_three_days_after_the_due_date() -> None:
    performed = [done("friendly", "A", day(-5))]

    action = only(plan_actions(customer(item("A")), STANDARD, day(3), performed))

    assert action.step.code == "first"
    assert action.days_overdue == 3


def test_nothing_is_planned_two_days_after_due_once_the_friendly_reminder_was_sent() -> None:
    performed = [done("friendly", "A", day(-5))]

    assert plan_actions(customer(item("A")), STANDARD, day(2), performed) == []


def test_a_customer_found_forty_days_late_gets_only_the_phone_call() -> None:
    action = only(plan_actions(customer(item("A")), STANDARD, day(40), performed=[]))

    assert action.step.code == "call"
    assert action.step.channel is Channel.PHONE_CALL
    assert not action.automatic


def test_catch_up_between_steps_plans_the_latest_step_reached() -> None:
    action = only(plan_actions(customer(item("A")), STANDARD, day(20), performed=[]))

    assert action.step.code == "second"


def test_a_performed_step_is_not_planned_again() -> None:
    performed = [done("friendly", "A", day(-5)), done("first", "A", day(3))]

    assert plan_actions(customer(item("A")), STANDARD, day(3), performed) == []
    assert plan_actions(customer(item("A")), STANDARD, day(10), performed) == []


def test_a_step_performed_for_another_leader_does_not_count() -> None:
    performed = [done("first", "OTHER", day(3))]

    action = only(plan_actions(customer(item("A")), STANDARD, day(5), performed))

    assert action.step.code == "first"
    assert action.leader_item_id == "A"


def test_a_skipped_earlier_step_is_not_planned_after_a_later_one_was_performed() -> None:
    performed = [done("call", "A", day(40))]

    assert plan_actions(customer(item("A")), STANDARD, day(41), performed) == []


# Which items take part


def test_a_paid_invoice_is_not_chased_and_the_next_oldest_becomes_leader() -> None:
    paid = item("paid", due=day(-30), amount="0.00")
    open_ = item("open", due=day(-10))

    action = only(plan_actions(customer(paid, open_), STANDARD, DUE, performed=[]))

    assert action.leader_item_id == "open"
    assert action.days_overdue == 10
    assert action.step.code == "first"
    assert [i.item_id for i in action.covered_items] == ["open"]


def test_a_fully_paid_account_gets_no_action() -> None:
    assert plan_actions(customer(item("A", amount="0")), STANDARD, day(40), performed=[]) == []


def test_credit_notes_are_neither_chased_nor_covered() -> None:
    credit = item("cn", kind="credit_note", due=day(-60), amount="30.00")
    invoice = item("inv", due=day(-4))

    action = only(plan_actions(customer(credit, invoice), STANDARD, DUE, performed=[]))

    assert action.leader_item_id == "inv"
    assert [i.item_id for i in action.covered_items] == ["inv"]


def test_a_customer_with_only_credit_notes_gets_no_action() -> None:
    credit = item("cn", kind="credit_note", due=day(-60))

    assert plan_actions(customer(credit), STANDARD, DUE, performed=[]) == []


def test_excluded_items_are_skipped() -> None:
    disputed = item("disputed", due=day(-40), excluded=True)
    other = item("other", due=day(-4))

    action = only(plan_actions(customer(disputed, other), STANDARD, DUE, performed=[]))

    assert action.leader_item_id == "other"
    assert action.step.code == "first"
    assert [i.item_id for i in action.covered_items] == ["other"]


# What an action covers


def test_a_reminder_after_the_due_date_covers_every_overdue_item_but_not_those_not_yet_due() -> None:
    items = (
        item("b", due=day(-2), number="INV-200"),
        item("a", due=day(-20), number="INV-100"),
        item("c", due=day(-2), number="INV-150"),
        item("future", due=day(3)),
    )

    action = only(plan_actions(customer(*items), STANDARD, DUE, performed=[]))

    assert [i.item_id for i in action.covered_items] == ["a", "c", "b"]


def test_a_friendly_reminder_covers_overdue_items_and_those_falling_due_within_its_horizon() -> None:
    items = (
        item("too_late", due=day(6)),
        item("late", due=day(-1)),
        item("soon", due=day(5)),
    )

    # One day late with nothing sent: the friendly reminder is still the latest step reached.
    action = only(plan_actions(customer(*items), STANDARD, DUE, performed=[]))

    assert action.step.code == "friendly"
    assert action.leader_item_id == "late"
    # Horizon is today + 5 days: "soon" is due on it, "too_late" the day after.
    assert [i.item_id for i in action.covered_items] == ["late", "soon"]


def test_a_step_on_the_due_date_covers_the_leader_due_today() -> None:
    scenario = Scenario(
        code="on_time",
        name="On time",
        steps=(Step("due_today", 0, Channel.SMS, "due_today", automatic=True),),
    )

    action = only(plan_actions(customer(item("A")), scenario, DUE, performed=[]))

    assert [i.item_id for i in action.covered_items] == ["A"]
    assert action.days_overdue == 0


def test_totals_are_given_per_currency_sorted_by_currency() -> None:
    items = (
        item("u1", due=day(-10), amount="50.00", currency="USD"),
        item("e1", due=day(-9), amount="100.10", currency="EUR"),
        item("e2", due=day(-8), amount="0.90", currency="EUR"),
        item("g1", due=day(-7), amount="12.00", currency="GBP"),
    )

    action = only(plan_actions(customer(*items), STANDARD, DUE, performed=[]))

    assert action.totals == (
        Money(Decimal("101.00"), "EUR"),
        Money(Decimal("12.00"), "GBP"),
        Money(Decimal("50.00"), "USD"),
    )


# Minimum amount


def _with_minimum(minimum: str) -> Scenario:
    return Scenario(code="min", name="Minimum", steps=STANDARD.steps, minimum_amount=Decimal(minimum))


def test_no_action_below_the_minimum_amount_in_every_currency() -> None:
    items = (item("e", due=day(-10), amount="49.99"), item("u", due=day(-10), amount="10", currency="USD"))

    assert plan_actions(customer(*items), _with_minimum("50"), DUE, performed=[]) == []


def test_an_action_when_one_currency_reaches_the_minimum() -> None:
    items = (item("e", due=day(-10), amount="49.99"), item("u", due=day(-10), amount="50", currency="USD"))

    action = only(plan_actions(customer(*items), _with_minimum("50"), DUE, performed=[]))

    assert action.step.code == "first"


def test_the_minimum_is_checked_against_the_sum_of_covered_items_not_each_item() -> None:
    items = (item("a", due=day(-10), amount="30"), item("b", due=day(-9), amount="30"))

    action = only(plan_actions(customer(*items), _with_minimum("50"), DUE, performed=[]))

    assert action.totals == (Money(Decimal("60"), "EUR"),)


# Steps anchored on the last action

FOLLOW_UP = Scenario(
    code="follow_up",
    name="Follow up",
    steps=(
        Step("first", 3, Channel.EMAIL, "first_reminder", automatic=True),
        Step("sms", 4, Channel.SMS, "sms_reminder", automatic=True, anchor=Anchor.LAST_ACTION),
        Step("call", 30, Channel.PHONE_CALL, "phone_call", automatic=False),
    ),
)


def test_a_last_action_step_waits_for_the_previous_step_to_be_performed() -> None:
    # Day 20 is well past 3 + 4 days, but "first" was never performed, so "sms" is not reached.
    action = only(plan_actions(customer(item("A")), FOLLOW_UP, day(20), performed=[]))

    assert action.step.code == "first"


def test_a_last_action_step_is_due_its_offset_after_the_previous_step_was_performed() -> None:
    performed = [done("first", "A", day(5))]

    assert plan_actions(customer(item("A")), FOLLOW_UP, day(8), performed) == []
    action = only(plan_actions(customer(item("A")), FOLLOW_UP, day(9), performed))

    assert action.step.code == "sms"
    assert action.due_on == day(9)


def test_a_last_action_step_counts_from_when_the_previous_step_was_performed_for_this_leader() -> None:
    performed = [done("first", "OTHER", day(3))]

    action = only(plan_actions(customer(item("A")), FOLLOW_UP, day(10), performed))

    assert action.step.code == "first"


def test_a_later_due_date_step_overtakes_a_pending_last_action_step() -> None:
    performed = [done("first", "A", day(3))]

    action = only(plan_actions(customer(item("A")), FOLLOW_UP, day(30), performed))

    assert action.step.code == "call"


# Keys


def test_the_same_inputs_give_the_same_key() -> None:
    c = customer(item("A"), item("B", due=day(2)))

    first = only(plan_actions(c, STANDARD, day(20), performed=[]))
    again = only(plan_actions(c, STANDARD, day(20), performed=[]))
    a_day_later = only(plan_actions(c, STANDARD, day(21), performed=[]))

    assert first.key == "C1:standard:second:A"
    assert again == first
    assert a_day_later.key == first.key


def test_keys_differ_by_step_and_by_leader() -> None:
    c = customer(item("A"))
    second = only(plan_actions(c, STANDARD, day(20), performed=[]))
    call = only(plan_actions(c, STANDARD, day(30), performed=[]))
    other_leader = only(plan_actions(customer(item("B")), STANDARD, day(20), performed=[]))

    assert len({second.key, call.key, other_leader.key}) == 3


# Built-in scenarios


def test_the_standard_scenario_ships_with_its_four_steps() -> None:
    scenarios = builtin_scenarios()

    assert scenarios["standard"] is STANDARD
    assert [(s.code, s.offset_days, s.channel, s.template, s.automatic) for s in STANDARD.steps] == [
        ("friendly", -5, Channel.EMAIL, "friendly_reminder", True),
        ("first", 3, Channel.EMAIL, "first_reminder", True),
        ("second", 15, Channel.EMAIL, "second_reminder", True),
        ("call", 30, Channel.PHONE_CALL, "phone_call", False),
    ]


def test_changing_the_returned_dict_does_not_change_the_shipped_scenarios() -> None:
    builtin_scenarios().pop("standard")

    assert "standard" in builtin_scenarios()
