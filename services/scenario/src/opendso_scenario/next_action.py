"""The next best action query: gathers an account's situation from the store and asks the pure rules
(``domain/next_best_action.py``) what to do next.

What the store does not know yet is passed as unknown rather than guessed: there is no phone number or risk
score in this service, and a performed call does not record whether anyone answered, so the rules that need
those facts simply do not fire.
"""

from __future__ import annotations

from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import NotFound
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_money import Money

from opendso_scenario.domain.engine import CHASED_KINDS
from opendso_scenario.domain.model import Channel, Item, PerformedAction
from opendso_scenario.domain.next_best_action import (
    AccountItem,
    AccountSituation,
    ActionTaken,
    NextStep,
    Outcome,
    PromiseFact,
    Suggestion,
    next_step,
    suggest,
)
from opendso_scenario.domain.qualification import ItemStatus, excluded_items
from opendso_scenario.handlers import Deps
from opendso_scenario.status_catalogue import catalogue_of
from opendso_scenario.store import TaskRecord, UnitOfWork

_MESSAGES = frozenset({Channel.EMAIL.value, Channel.SMS.value, Channel.LETTER.value})


def _outcome(task: TaskRecord, has_email: bool) -> Outcome:
    if task.status == "cancelled":
        return Outcome.CANCELLED
    if task.status == "scheduled":
        return Outcome.PENDING
    if task.status in ("sent", "done"):
        return Outcome.SENT if task.channel in _MESSAGES else Outcome.DONE
    # An automatic message back on the agenda failed (MessageFailed reopens it), unless it never went out for
    # want of an address, which the contact facts already say.
    if task.automatic and task.channel in _MESSAGES and (has_email or task.channel != Channel.EMAIL.value):
        return Outcome.FAILED
    return Outcome.PENDING


def _taken(task: TaskRecord, has_email: bool) -> ActionTaken:
    # The task's day in the service's calendar (its entity's time zone), which the rules compare with today;
    # a collector's task is done on or after it, an automatic one goes out on it.
    return ActionTaken(
        channel=task.channel, step_code=task.step_code, on=task.due_on, outcome=_outcome(task, has_email)
    )


async def situation_of(customer_id: str, uow: UnitOfWork, deps: Deps) -> AccountSituation:
    """The account's situation as the next-best-action rules read it; ``NotFound`` for an unknown customer."""
    record = await uow.repo.customer(customer_id)
    if record is None:
        raise NotFound(f"no customer {customer_id!r}")
    today = deps.today()
    contact = await uow.repo.collection_contact(customer_id)
    has_email = bool(record.email or (contact is not None and contact[1]))
    records = await uow.repo.items_of(customer_id)
    statuses = await uow.qualifications.statuses_of(customer_id)
    excluded = excluded_items(
        [ItemStatus(item_id=s.item_id, status_code=s.status_code) for s in statuses.values()],
        await catalogue_of(uow),
    )
    items = tuple(
        AccountItem(
            item_id=i.item_id,
            number=i.number,
            due_date=i.due_date,
            open_amount=Money(i.open_amount, i.currency),
            is_debt=i.kind in CHASED_KINDS,
            status=statuses[i.item_id].status_code if i.item_id in statuses else None,
            status_since=statuses[i.item_id].since if i.item_id in statuses else None,
            excluded=i.item_id in excluded,
        )
        for i in sorted(records, key=lambda r: r.item_id)
    )
    promises = tuple(
        PromiseFact(promised_on=p.promised_on, amount=Money(p.amount, p.currency), state=p.state, item_ids=p.item_ids)
        for p in await uow.qualifications.promises_of(customer_id)
    )
    tasks = sorted(await uow.repo.tasks_of(customer_id), key=lambda t: (t.created_at, t.task_id))
    history = tuple(_taken(t, has_email) for t in tasks)

    scenario = deps.scenarios.get(record.scenario_code) or deps.scenarios[deps.default_scenario]
    engine_items = [
        Item(
            item_id=i.item_id,
            number=i.number,
            kind=i.kind,
            issue_date=i.issue_date,
            due_date=i.due_date,
            open_amount=Money(i.open_amount, i.currency),
            excluded=i.item_id in excluded,
        )
        for i in records
    ]
    # Only what was actually done counts as performed here: a step whose task still waits on the agenda is
    # the collector's next action, whereas the engine (which must not plan it twice) counts it as performed.
    performed = [
        PerformedAction(step_code=t.step_code, leader_item_id=t.leader_item_id, performed_on=t.created_at.date())
        for t in tasks
        if t.scenario_code == scenario.code and t.status in ("sent", "done")
    ]
    upcoming = None
    found = next_step(scenario, engine_items, today, performed)
    if found is not None:
        step, due_on = found
        # What the engine would do with it: only an automatic e-mail to a known address goes out by itself.
        automatic = step.automatic and step.channel is Channel.EMAIL and has_email
        upcoming = NextStep(step.code, step.channel.value, due_on, automatic)
    return AccountSituation(
        customer_id=customer_id,
        today=today,
        items=items,
        promises=promises,
        history=history,
        next_step=upcoming,
        has_email=has_email,
    )


def suggestion_to_proto(customer_id: str, suggestion: Suggestion, situation: AccountSituation) -> col.NextBestAction:
    return col.NextBestAction(
        customer_id=customer_id,
        action=suggestion.action.value,
        rule=suggestion.rule,
        reason=suggestion.reason,
        facts=[col.NextBestActionFact(name=name, value=value) for name, value in suggestion.facts],
        item_ids=list(suggestion.item_ids),
        act_on=date_to_proto(suggestion.act_on),
        step_code=suggestion.step_code or "",
        channel=suggestion.channel or "",
        overdue=[money_to_proto(m) for m in suggestion.overdue],
        today=date_to_proto(situation.today),
    )


async def get_next_best_action(query: col.GetNextBestAction, uow: UnitOfWork, deps: Deps) -> col.NextBestAction:
    """The one action suggested for the customer, with its reason and facts."""
    situation = await situation_of(query.customer_id, uow, deps)
    return suggestion_to_proto(query.customer_id, suggest(situation), situation)
