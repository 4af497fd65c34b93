"""The daily pass looks only at customers whose next step's day has come: the review day must never skip
a day on which the engine would have planned something."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_money import Money
from opendso_scenario import handlers
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.domain.engine import next_review_on, plan_actions
from opendso_scenario.domain.model import Customer, Item, PerformedAction, Scenario
from opendso_scenario.domain.strategy import (
    CustomerFacts,
    ItemFacts,
    Rule,
    Strategy,
    assign,
    next_reassessment,
)

from .test_handlers import TODAY, Harness, customer_event, item_event

START = date(2026, 1, 1)


def item(item_id: str, due: date, amount: str = "100.00") -> Item:
    return Item(
        item_id=item_id,
        number=item_id,
        kind="invoice",
        issue_date=due - timedelta(days=30),
        due_date=due,
        open_amount=Money(Decimal(amount), "EUR"),
    )


def account(*items: Item) -> Customer:
    return Customer(customer_id="C1", entity="FR01", account_number="1", name="Dupont", language="fr", items=items)


def simulate(customer: Customer, scenario: Scenario, days: int) -> tuple[list[date], list[date]]:
    """Every day: plan (performing what is planned) and note the review day; answers the days something was
    planned and the days the pass would have looked at the customer."""
    performed: list[PerformedAction] = []
    planned_on: list[date] = []
    reviewed_on: list[date] = [START]
    review: date | None = START
    for offset in range(days):
        today = START + timedelta(days=offset)
        actions = plan_actions(customer, scenario, today, performed)
        if actions:
            planned_on.append(today)
            assert review is not None and review <= today, f"{scenario.code}: {today} planned, review was {review}"
            performed.extend(PerformedAction(a.step.code, a.leader_item_id, today) for a in actions)
        if review is not None and review <= today:
            reviewed_on.append(today)
            review = next_review_on(customer, scenario, today, performed)
    return planned_on, reviewed_on


@pytest.mark.parametrize("code", sorted(builtin_scenarios()))
@pytest.mark.parametrize(
    "dues",
    [
        (START + timedelta(days=10),),
        (START - timedelta(days=40), START + timedelta(days=3)),
        (START + timedelta(days=2), START + timedelta(days=2), START + timedelta(days=60)),
        (START - timedelta(days=200),),
    ],
)
def test_the_review_day_never_skips_a_day_the_engine_would_act(code: str, dues: tuple[date, ...]) -> None:
    scenario = builtin_scenarios()[code]
    customer = account(*(item(f"I{n}", due) for n, due in enumerate(dues)))
    planned_on, reviewed_on = simulate(customer, scenario, 150)
    assert planned_on, "the scenario acts at least once in 150 days"
    assert set(planned_on) <= set(reviewed_on)
    # The point of it: far fewer looks than days.
    assert len(reviewed_on) <= len(scenario.steps) + 2


def test_nothing_to_review_without_an_item_taking_part() -> None:
    scenario = builtin_scenarios()["standard"]
    assert next_review_on(account(), scenario, START, []) is None


def test_review_day_is_the_next_due_date_step() -> None:
    scenario = builtin_scenarios()["standard"]
    customer = account(item("I1", START + timedelta(days=10)))
    first = scenario.steps[0]
    assert next_review_on(customer, scenario, START, []) == START + timedelta(days=10 + first.offset_days)


def facts(today: date, *dues: date, product_group: str | None = None) -> CustomerFacts:
    return CustomerFacts(
        customer_id="C1",
        entity="FR01",
        customer_group=None,
        priority=None,
        risk_score=None,
        today=today,
        items=tuple(
            ItemFacts(
                item_id=f"I{n}", due_date=due, open_amount=Money(Decimal("100"), "EUR"), product_group=product_group
            )
            for n, due in enumerate(dues)
        ),
    )


def test_the_strategy_is_reassessed_the_day_a_days_overdue_bound_is_crossed() -> None:
    strategy = Strategy(
        rules=(Rule("late", "firm", min_days_overdue=60), Rule("early", "gentle", max_days_overdue=5)),
        default_scenario="standard",
        known_scenarios=set(builtin_scenarios()),
    )
    due = START - timedelta(days=10)
    on = next_reassessment(strategy, facts(START, due))
    assert on == due + timedelta(days=60)
    assert assign(strategy, facts(on - timedelta(days=1), due)).scenario_code == "standard"
    assert assign(strategy, facts(on, due)).scenario_code == "firm"
    due = START - timedelta(days=2)
    on = next_reassessment(strategy, facts(START, due))
    assert on == due + timedelta(days=6)
    assert assign(strategy, facts(on, due)).scenario_code == "standard"


def test_an_item_level_rule_is_reassessed_when_another_item_falls_due() -> None:
    strategy = Strategy(
        rules=(Rule("machines", "key_account", product_groups=frozenset({"machines"})),),
        default_scenario="standard",
        known_scenarios=set(builtin_scenarios()),
    )
    assert next_reassessment(strategy, facts(START, START + timedelta(days=7), START + timedelta(days=30))) == (
        START + timedelta(days=8)
    )


def test_a_strategy_on_balances_alone_needs_no_reassessment() -> None:
    strategy = Strategy(
        rules=(Rule("big", "firm", min_balance=Money(Decimal("10000"), "EUR")),),
        default_scenario="standard",
        known_scenarios=set(builtin_scenarios()),
    )
    assert next_reassessment(strategy, facts(START, START - timedelta(days=3))) is None


async def test_the_daily_pass_evaluates_only_customers_whose_day_has_come() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.handle(item_event("F1", days_overdue=1))
    # The friendly reminder is caught up at once; the first reminder comes three days after the due date.
    assert await h.settle() == 1
    review = h.repo.next_reviews["FR01/C1"]
    assert review == TODAY + dt.timedelta(days=2)
    # Not due: the daily pass leaves the customer alone (and would plan nothing anyway).
    assert await h.repo.due_for_review(TODAY) == []
    assert await handlers.evaluate_all(h.uow, h.deps) == 0
    # On the review day the pass looks at it and plans the reminder, once.
    h.deps = handlers.Deps(**{**h.deps.__dict__, "today": lambda: review})
    assert await h.repo.due_for_review(review) == ["FR01/C1"]
    assert await handlers.evaluate_all(h.uow, h.deps) == 1
    assert await handlers.evaluate_all(h.uow, h.deps) == 0
    assert h.repo.next_reviews["FR01/C1"] > review


async def test_a_paid_customer_is_not_reviewed_until_something_changes() -> None:
    h = Harness()
    await h.handle(customer_event())
    await h.settle()
    assert h.repo.next_reviews["FR01/C1"] == handlers.NOTHING_DUE
    assert await h.repo.due_for_review(TODAY + dt.timedelta(days=3650)) == []
