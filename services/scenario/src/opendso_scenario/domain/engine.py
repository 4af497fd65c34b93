"""The collection engine: which step of a scenario a customer is due for today.

Pure and deterministic: ``today`` and what was already performed are passed
in, nothing reads a clock or a database, and the same inputs give the same
plan with the same keys. That is what lets the service re-plan as often as it
likes and store actions by key without ever creating one twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, timedelta
from decimal import Decimal

from opendso_money import Money, sum_money

from .model import (
    Anchor,
    Customer,
    Item,
    ItemKind,
    PerformedAction,
    PlannedAction,
    Scenario,
    Step,
)

# Only debts the customer owes are chased. Credit notes and unallocated
# payments reduce the balance but are never reminded of, nor lead a scenario.
CHASED_KINDS: frozenset[str] = frozenset({ItemKind.INVOICE.value, ItemKind.INSTALMENT.value})


def takes_part(item: Item) -> bool:
    """Whether the item is chased: an invoice or instalment, still open, not excluded."""
    # open_amount > 0 is what keeps a paid item from ever being chased.
    return item.kind in CHASED_KINDS and item.open_amount.amount > 0 and not item.excluded


def _order(item: Item) -> tuple[date, str, str]:
    # Number then id break ties so the same account always yields the same leader.
    return (item.due_date, item.number, item.item_id)


def leader_invoice(items: Iterable[Item], today: date) -> Item | None:
    """The item the scenario's steps are timed from, or None when nothing takes part.

    The oldest overdue taking-part item; when none is overdue yet, the one due
    soonest (what a friendly reminder before the due date keys on). Ties go
    to the smaller item number, then the smaller item id.
    """
    candidates = sorted((item for item in items if takes_part(item)), key=_order)
    if not candidates:
        return None
    overdue = [item for item in candidates if item.due_date < today]
    # Both rules pick the earliest due date; spelled out so the intent survives edits.
    return overdue[0] if overdue else candidates[0]


def days_overdue(leader: Item, today: date) -> int:
    """Days since the leader's due date; negative before it, zero on it."""
    return (today - leader.due_date).days


def _last_performed(step_code: str, leader_item_id: str, performed: Collection[PerformedAction]) -> date | None:
    dates = [
        action.performed_on
        for action in performed
        if action.step_code == step_code and action.leader_item_id == leader_item_id
    ]
    # The latest performance counts: "last action" means the most recent one.
    return max(dates) if dates else None


def _is_reached(
    scenario: Scenario, index: int, leader: Item, today: date, performed: Collection[PerformedAction]
) -> bool:
    step = scenario.steps[index]
    if step.anchor is Anchor.DUE_DATE:
        return step.offset_days <= days_overdue(leader, today)
    # LAST_ACTION: counts from when the previous step was performed for this
    # same leader. Scenario validation guarantees index > 0.
    previous = scenario.steps[index - 1]
    performed_on = _last_performed(previous.code, leader.item_id, performed)
    return performed_on is not None and today >= performed_on + timedelta(days=step.offset_days)


def latest_reached_step(
    scenario: Scenario, leader: Item, today: date, performed: Collection[PerformedAction]
) -> Step | None:
    """The furthest step in the scenario that is due for this leader today, if any."""
    for index in range(len(scenario.steps) - 1, -1, -1):
        if _is_reached(scenario, index, leader, today, performed):
            return scenario.steps[index]
    return None


def covered_items(step: Step, leader: Item, items: Iterable[Item], today: date) -> tuple[Item, ...]:
    """The taking-part items an action for ``step`` is about, by due date then number.

    A pre-due step (negative due-date offset) also announces what falls due
    within its horizon; any other step chases what is overdue. The leader is
    always covered: it is what the step was timed from, even on its due date
    (offset 0) or when a follow-up comes before it is overdue.
    """
    if step.anchor is Anchor.DUE_DATE and step.offset_days < 0:
        horizon = today + timedelta(days=-step.offset_days)

        def wanted(item: Item) -> bool:
            return item.due_date <= horizon
    else:

        def wanted(item: Item) -> bool:
            return item.due_date < today

    chosen = {item.item_id: item for item in items if takes_part(item) and wanted(item)}
    chosen[leader.item_id] = leader
    return tuple(sorted(chosen.values(), key=_order))


def totals_by_currency(items: Iterable[Item]) -> tuple[Money, ...]:
    """Open total per currency, sorted by currency code."""
    by_currency: dict[str, list[Money]] = {}
    for item in items:
        by_currency.setdefault(item.open_amount.currency, []).append(item.open_amount)
    return tuple(sum_money(amounts, currency) for currency, amounts in sorted(by_currency.items()))


def reaches_minimum(totals: Iterable[Money], minimum: Decimal) -> bool:
    """True when at least one currency's total is at or above the minimum.

    Currencies are never converted here: a customer owing enough in any one
    currency is worth chasing, and the engine has no exchange rates.
    """
    return any(total.amount >= minimum for total in totals)


def action_key(customer_id: str, scenario_code: str, step_code: str, leader_item_id: str) -> str:
    """The stable identity of an action; the service stores actions under it."""
    return f"{customer_id}:{scenario_code}:{step_code}:{leader_item_id}"


def step_items(step: Step, items: Iterable[Item]) -> tuple[Item, ...]:
    """The items that take part in ``step``: all of them, or those of the step's product group."""
    if step.product_group is None:
        return tuple(items)
    return tuple(item for item in items if item.product_group == step.product_group)


def plan_actions(
    customer: Customer, scenario: Scenario, today: date, performed: Collection[PerformedAction]
) -> list[PlannedAction]:
    """The actions due today for this customer under this scenario: one per channel of the step due.

    Only the latest reached step is planned, and only when it has not been
    performed for the current leader: a customer first seen 40 days late gets
    the phone call, not four e-mails at once. A step limited to a product
    group is timed from, and covers, that group's items only. Nothing is
    planned when no item takes part or when the covered total is below the
    step's (else the scenario's) minimum in every currency.
    """
    for index in range(len(scenario.steps) - 1, -1, -1):
        step = scenario.steps[index]
        items = step_items(step, customer.items)
        leader = leader_invoice(items, today)
        if leader is None or not _is_reached(scenario, index, leader, today, performed):
            continue
        if _last_performed(step.code, leader.item_id, performed) is not None:
            return []
        covered = covered_items(step, leader, items, today)
        totals = totals_by_currency(covered)
        minimum = scenario.minimum_amount if step.minimum_amount is None else step.minimum_amount
        if not reaches_minimum(totals, minimum):
            return []
        key = action_key(customer.customer_id, scenario.code, step.code, leader.item_id)
        return [
            PlannedAction(
                # The main channel keeps the plain key, so actions stored before steps had several
                # channels are still recognised.
                key=key if channel == step.channel else f"{key}:{channel}",
                customer_id=customer.customer_id,
                scenario_code=scenario.code,
                step=step,
                leader_item_id=leader.item_id,
                due_on=today,
                days_overdue=days_overdue(leader, today),
                covered_items=covered,
                totals=totals,
                channel=channel,
            )
            for channel, _ in step.channels
        ]
    return []


def next_review_on(
    customer: Customer, scenario: Scenario, today: date, performed: Collection[PerformedAction]
) -> date | None:
    """The first day after ``today`` on which ``plan_actions`` could plan something new if nothing about the
    customer changed meanwhile; None when only a change (an item, a payment, a status) could.

    ``performed`` must include what was planned today. The leader does not move with time alone (it is
    always the taking-part item due first), so only the leader's step dates matter: the daily pass looks
    at the customers whose date has come instead of re-planning every customer every day.
    """
    candidates: list[date] = []
    for index, step in enumerate(scenario.steps):
        leader = leader_invoice(step_items(step, customer.items), today)
        if leader is None:
            continue
        if _last_performed(step.code, leader.item_id, performed) is not None:
            continue
        if step.anchor is Anchor.DUE_DATE:
            on = leader.due_date + timedelta(days=step.offset_days)
        else:
            previous = _last_performed(scenario.steps[index - 1].code, leader.item_id, performed)
            if previous is None:
                # Waits for the step before it, whose own date is a candidate.
                continue
            on = previous + timedelta(days=step.offset_days)
        if on > today:
            candidates.append(on)
    return min(candidates, default=None)
