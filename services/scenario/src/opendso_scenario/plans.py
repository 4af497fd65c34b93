"""Payment plans in the collection engine: instalments replace the items they cover and are chased on their own dates.

Creating a plan puts the covered items in the ``payment_plan`` status (the engine stops chasing them) and adds
each instalment to the customer's items as an item of kind "instalment", which the unchanged engine chases on its
own due date. Payments on the covered items are applied to the instalments in date order, always recomputed from
what the items owe now against what they owed when the plan was made, so a redelivered or late event changes
nothing. A plan completes when every covered item is paid; an instalment still owing past its day plus grace
breaks it (like a broken promise): ``PaymentPlanBroken``, the items back in the scenario, a call for the collector.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest, NotFound
from opendso_contracts.convert import date_from_proto, date_to_proto, money_from_proto, money_to_proto
from opendso_money import Money

from opendso_scenario import handlers
from opendso_scenario.domain.model import Item
from opendso_scenario.domain.payment_plans import (
    Frequency,
    Instalment,
    PaymentPlan,
    PaymentPlanError,
    missed_instalments,
    propose_plan,
)
from opendso_scenario.domain.plan_schedule import scheduled_plan
from opendso_scenario.store import (
    CustomerRecord,
    DirtyCustomer,
    ItemRecord,
    ItemStatusRecord,
    PlanInstalmentRecord,
    PlanRecord,
    TaskRecord,
    UnitOfWork,
)

PLAN_STATUS: Final = "payment_plan"
# Days after an instalment's due date a payment still counts as on time, as for promises to pay.
PLAN_GRACE_DAYS: Final = 2
SCHEDULE: Final = "schedule"
_TASK_NAMESPACE = uuid.UUID("9b3c1f0e-2d4a-4f7b-8e61-5a0c7d9e3b24")
_STATE = {
    "active": col.PAYMENT_PLAN_STATE_ACTIVE,
    "completed": col.PAYMENT_PLAN_STATE_COMPLETED,
    "broken": col.PAYMENT_PLAN_STATE_BROKEN,
    "cancelled": col.PAYMENT_PLAN_STATE_CANCELLED,
}
# The domain names its inputs; the request names them as the contract does.
_FIELD = {"count": "instalment_count", "covered_items": "item_ids"}


def instalment_item_id(entity: str, plan_id: str, number: str) -> str:
    """The id of the chased item standing for an instalment: ``<entity>/plan/<plan_id>/<nn>``."""
    return f"{entity}/plan/{plan_id}/{number.rsplit('-', 1)[1]}"


# Creating ------------------------------------------------------------------------------------------------------


async def create_plan(command: col.CreatePaymentPlan, uow: UnitOfWork, deps: handlers.Deps) -> col.PaymentPlanCreated:
    """Put open items of one customer in a payment plan; all or nothing, and a retried request changes nothing."""
    if not command.user.strip():
        raise InvalidRequest("user is required: a payment plan records who agreed it")
    customer = await uow.repo.customer(command.customer_id)
    if customer is None:
        raise NotFound(f"no customer {command.customer_id!r}")
    item_ids = tuple(dict.fromkeys(command.item_ids))
    if command.idempotency_key:
        earlier = await uow.plans.plan_by_key(customer.customer_id, command.idempotency_key)
        if earlier is not None:
            if set(await uow.plans.covered_of(earlier.plan_id)) != set(item_ids):
                raise InvalidRequest(
                    f"idempotency_key: {command.idempotency_key!r} already created plan {earlier.plan_id} "
                    "over other items"
                )
            return col.PaymentPlanCreated(plan=await _plan_proto(earlier, uow), replayed=True)

    today = deps.today()
    records = {i.item_id: i for i in await uow.repo.items_of(customer.customer_id)}
    problems = [f"item_ids[{i}]: not an item of customer {customer.customer_id}" for i in item_ids if i not in records]
    problems += [
        f"item_ids[{i}]: is not open (owes {records[i].open_amount} {records[i].currency})"
        for i in item_ids
        if i in records and records[i].open_amount <= 0
    ]
    if problems:
        raise InvalidRequest("; ".join(problems))
    covered = [
        Item(
            item_id=r.item_id,
            number=r.number,
            kind=r.kind,
            issue_date=r.issue_date,
            due_date=r.due_date,
            open_amount=Money(r.open_amount, r.currency),
        )
        for r in (records[i] for i in item_ids)
    ]

    plan = _propose(command, customer.customer_id, covered, today, None)
    # The plan id comes from the customer, the items and the first date. The same request again finds its
    # active plan; a new plan over items whose earlier plan ended gets the next revision of that id.
    base_id = plan.plan_id
    for revision in range(2, 1000):
        stored = await uow.plans.plan(plan.plan_id)
        if stored is None:
            break
        if stored.state == "active":
            if _same_instalments(plan, await uow.plans.instalments_of(stored.plan_id)):
                return col.PaymentPlanCreated(plan=await _plan_proto(stored, uow), replayed=True)
            break  # refused below: its items are in that active plan
        plan = _propose(command, customer.customer_id, covered, today, f"{base_id}-R{revision}")

    in_plans = await uow.plans.active_cover(list(item_ids))
    if in_plans:
        raise InvalidRequest(
            "; ".join(f"item_ids[{i}]: already in payment plan {p}" for i, p in sorted(in_plans.items()))
        )

    entity = customer.entity
    instalments = [
        PlanInstalmentRecord(
            plan_id=plan.plan_id,
            sequence=i.sequence,
            item_id=instalment_item_id(entity, plan.plan_id, i.number),
            number=i.number,
            due_date=i.due_date,
            amount=i.amount.amount,
        )
        for i in plan.instalments
    ]
    record = PlanRecord(
        plan_id=plan.plan_id,
        customer_id=customer.customer_id,
        entity=entity,
        state="active",
        currency=plan.total.currency,
        total=plan.total.amount,
        paid=Decimal(0),
        frequency=SCHEDULE if command.schedule else plan.frequency.value,
        first_date=plan.instalments[0].due_date,
        created_on=today,
        created_by=command.user,
        comment=command.comment,
        idempotency_key=command.idempotency_key,
        next_due=plan.instalments[0].due_date,
    )
    await uow.plans.add_plan(record, {i.item_id: i.open_amount.amount for i in covered}, instalments)
    await uow.repo.upsert_items(
        [
            ItemRecord(
                item_id=i.item_id,
                customer_id=customer.customer_id,
                number=i.number,
                kind="instalment",
                issue_date=today,
                due_date=i.due_date,
                open_amount=i.amount,
                currency=plan.total.currency,
            )
            for i in instalments
        ],
        deps.now(),
    )
    await uow.qualifications.save_statuses(
        [
            ItemStatusRecord(
                item_id=i.item_id,
                customer_id=customer.customer_id,
                status_code=PLAN_STATUS,
                since=today,
                comment=command.comment,
                owner="",
                set_by=command.user,
                qualification_key=f"plan:{plan.plan_id}",
            )
            for i in covered
        ]
    )
    uow.caused_by(None, correlation_id=command.correlation_id)
    reply = col.PaymentPlanCreated(meta=uow.meta(entity=entity), plan=await _plan_proto(record, uow))
    await uow.publish(reply)
    # Evaluated again at once: the covered items leave the scenario, the instalments join it.
    await uow.repo.mark_dirty(DirtyCustomer(customer.customer_id, deps.now(), "", command.correlation_id, ""))
    await uow.commit()
    return reply


def _propose(
    command: col.CreatePaymentPlan, customer_id: str, covered: list[Item], today: dt.date, plan_id: str | None
) -> PaymentPlan:
    """The plan the request describes, or InvalidRequest naming every field that is wrong."""
    try:
        if command.schedule:
            extra = [
                name
                for name, given in (
                    ("instalment_count", command.instalment_count != 0),
                    ("first_date", command.HasField("first_date")),
                    ("frequency", bool(command.frequency)),
                    ("down_payment", command.HasField("down_payment")),
                    ("down_payment_on", command.HasField("down_payment_on")),
                )
                if given
            ]
            if extra:
                raise InvalidRequest(
                    f"{', '.join(extra)}: not with an explicit schedule (a down payment is its first line)"
                )
            lines = [(date_from_proto(s.due_date), money_from_proto(s.amount)) for s in command.schedule]
            return scheduled_plan(customer_id, covered, lines, today=today, plan_id=plan_id)
        problems = []
        if command.instalment_count < 1:
            problems.append(f"instalment_count: must be >= 1 (or give a schedule), got {command.instalment_count}")
        if not command.HasField("first_date") or command.first_date.year == 0:
            problems.append("first_date: is required with instalment_count")
        try:
            frequency = Frequency(command.frequency or Frequency.MONTHLY.value)
        except ValueError:
            problems.append(f"frequency: {command.frequency!r} is not one of {', '.join(f.value for f in Frequency)}")
            frequency = Frequency.MONTHLY
        if problems:
            raise InvalidRequest("; ".join(problems))
        has_down = command.HasField("down_payment") and bool(command.down_payment.currency)
        return propose_plan(
            customer_id,
            covered,
            first_date=date_from_proto(command.first_date),
            frequency=frequency,
            today=today,
            count=command.instalment_count,
            down_payment=money_from_proto(command.down_payment) if has_down else None,
            down_payment_on=date_from_proto(command.down_payment_on) if command.down_payment_on.year else None,
            plan_id=plan_id,
        )
    except PaymentPlanError as exc:
        raise InvalidRequest("; ".join(f"{_FIELD.get(p.field, p.field)}: {p.message}" for p in exc.problems)) from None
    except (ValueError, ArithmeticError) as exc:  # a date or an amount that does not parse
        raise InvalidRequest(f"schedule or down_payment: {exc}") from None


def _same_instalments(plan: PaymentPlan, stored: Sequence[PlanInstalmentRecord]) -> bool:
    return [(i.number, i.due_date, i.amount.amount) for i in plan.instalments] == [
        (s.number, s.due_date, s.amount) for s in stored
    ]


# Payments ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Standing:
    """A plan brought up to date with what its covered items owe now."""

    paid: Decimal
    open_by_instalment: dict[str, Decimal]
    """Instalment item id -> what it still owes."""
    completed: bool


async def apply_payments(records: Sequence[ItemRecord], uow: UnitOfWork, deps: handlers.Deps) -> None:
    """Apply what the covered items of active plans now owe to those plans' instalments, in date order.

    Called after receivables events are stored. Reads the stored items, not the events: the store keeps
    the newest version of each item, so a redelivered or older event leads to the same figures and changes
    nothing. A plan whose covered items are all paid completes.
    """
    cover = await uow.plans.active_cover([r.item_id for r in records])
    for plan_id in sorted(set(cover.values())):
        plan = await uow.plans.plan(plan_id)
        if plan is not None and plan.state == "active":
            await _settle(plan, uow, deps)


async def _settle(plan: PlanRecord, uow: UnitOfWork, deps: handlers.Deps) -> _Standing:
    covered = await uow.plans.covered_of(plan.plan_id)
    items = {i.item_id: i for i in await uow.repo.items_of(plan.customer_id)}
    paid = Decimal(0)
    all_paid = True
    for item_id, at_creation in covered.items():
        item = items.get(item_id)
        owes = item.open_amount if item is not None and item.currency == plan.currency else at_creation
        # Clamped per item: an overpaid item pays nothing towards the others, a re-opened one no less than zero.
        paid += min(max(at_creation - owes, Decimal(0)), at_creation)
        all_paid = all_paid and owes <= 0
    left = paid
    open_by_instalment: dict[str, Decimal] = {}
    next_due: dt.date | None = None
    for instalment in await uow.plans.instalments_of(plan.plan_id):
        applied = min(instalment.amount, left)
        left -= applied
        owes = instalment.amount - applied
        open_by_instalment[instalment.item_id] = owes
        stored = items.get(instalment.item_id)
        if stored is None or stored.open_amount != owes:
            await uow.plans.set_instalment_open(instalment.item_id, owes)
        if owes > 0 and next_due is None:
            next_due = instalment.due_date
    if all_paid:
        await _end(plan, "completed", "every covered item paid", uow, deps)
        await uow.publish(
            col.PaymentPlanCompleted(
                meta=uow.meta(entity=plan.entity),
                plan_id=plan.plan_id,
                customer_id=plan.customer_id,
                item_ids=list(covered),
                total=money_to_proto(Money(plan.total, plan.currency)),
            )
        )
    elif (paid, next_due) != (plan.paid, plan.next_due):
        await uow.plans.update_plan(plan.plan_id, paid=paid, next_due=next_due)
    return _Standing(paid=paid, open_by_instalment=open_by_instalment, completed=all_paid)


# Missed instalments and cancellation ---------------------------------------------------------------------------


async def check_plans(uow_factory: Callable[[], UnitOfWork], deps: handlers.Deps, limit: int = 500) -> int:
    """Break the active plans with an instalment still owing past its day plus grace. Answers how many broke."""
    today = deps.today()
    async with uow_factory() as uow:
        due = await uow.plans.plans_to_check(today - dt.timedelta(days=PLAN_GRACE_DAYS), limit)
    broken = 0
    for candidate in due:
        async with uow_factory() as uow:
            plan = await uow.plans.plan(candidate.plan_id)
            customer = await uow.repo.customer(candidate.customer_id)
            if plan is None or plan.state != "active" or customer is None:
                continue
            # Payments seen since the last event count before anything is called missed.
            standing = await _settle(plan, uow, deps)
            if not standing.completed and await _break_if_missed(plan, customer, standing, uow, deps):
                broken += 1
            await uow.commit()
    return broken


async def _break_if_missed(
    plan: PlanRecord, customer: CustomerRecord, standing: _Standing, uow: UnitOfWork, deps: handlers.Deps
) -> bool:
    today = deps.today()
    stored = await uow.plans.instalments_of(plan.plan_id)
    domain = PaymentPlan(
        plan_id=plan.plan_id,
        customer_id=plan.customer_id,
        created_on=plan.created_on,
        frequency=Frequency(plan.frequency) if plan.frequency != SCHEDULE else Frequency.MONTHLY,
        first_date=plan.first_date,
        covered_items=(),
        total=Money(plan.total, plan.currency),
        instalments=tuple(Instalment(i.number, i.sequence, i.due_date, Money(i.amount, plan.currency)) for i in stored),
    )
    paid = {i.number: Money(i.amount - standing.open_by_instalment[i.item_id], plan.currency) for i in stored}
    missed = missed_instalments(domain, paid, today, PLAN_GRACE_DAYS)
    if not missed:
        return False
    covered = await uow.plans.covered_of(plan.plan_id)
    items = {i.item_id: i for i in await uow.repo.items_of(plan.customer_id)}
    owed = [items[i] for i in covered if i in items and items[i].open_amount > 0]
    missing = Money(sum((m.missing.amount for m in missed), Decimal(0)), plan.currency)
    numbers = [m.instalment.number for m in missed]
    task = _task(
        f"payment_plan:{plan.plan_id}:broken",
        customer,
        today,
        owed,
        f"Payment plan {plan.plan_id} broken: {', '.join(numbers)} unpaid ({missing} missing)",
    )
    if not await uow.repo.task_exists(task.key):
        await uow.repo.add_task(task)
        await uow.publish(col.TaskCreated(meta=uow.meta(entity=customer.entity), task=handlers.task_to_proto(task)))
    await _end(plan, "broken", f"missed {', '.join(numbers)}", uow, deps)
    await uow.publish(
        col.PaymentPlanBroken(
            meta=uow.meta(entity=customer.entity),
            plan_id=plan.plan_id,
            customer_id=plan.customer_id,
            item_ids=list(covered),
            missed_instalments=numbers,
            paid=money_to_proto(Money(standing.paid, plan.currency)),
            missing=money_to_proto(missing),
            task_id=task.task_id,
        )
    )
    return True


async def cancel_plan(command: col.CancelPaymentPlan, uow: UnitOfWork, deps: handlers.Deps) -> col.PaymentPlanCancelled:
    """End an active plan at a collector's request: the covered items go back to the scenario."""
    if not command.user.strip():
        raise InvalidRequest("user is required: cancelling a payment plan records who did it")
    plan = await uow.plans.plan(command.plan_id)
    if plan is None or plan.customer_id != command.customer_id:
        raise NotFound(f"no payment plan {command.plan_id!r} for customer {command.customer_id!r}")
    if plan.state == "cancelled":
        return col.PaymentPlanCancelled(plan=await _plan_proto(plan, uow), reason=plan.end_reason, replayed=True)
    if plan.state != "active":
        raise InvalidRequest(f"plan_id: plan {plan.plan_id} is {plan.state}; only an active plan can be cancelled")
    uow.caused_by(None, correlation_id=command.correlation_id)
    reason = command.reason.strip() or f"cancelled by {command.user}"
    await _end(plan, "cancelled", reason, uow, deps)
    ended = await uow.plans.plan(plan.plan_id)
    assert ended is not None
    reply = col.PaymentPlanCancelled(
        meta=uow.meta(entity=plan.entity), plan=await _plan_proto(ended, uow), reason=reason
    )
    await uow.publish(reply)
    await uow.commit()
    return reply


async def _end(plan: PlanRecord, state: str, reason: str, uow: UnitOfWork, deps: handlers.Deps) -> None:
    """Close the plan: its statuses go (the covered items follow the scenario again), its instalments are
    closed and their pending actions cancelled."""
    covered = await uow.plans.covered_of(plan.plan_id)
    instalments = await uow.plans.instalments_of(plan.plan_id)
    instalment_ids = {i.item_id for i in instalments}
    await uow.qualifications.clear_status(tuple(covered), PLAN_STATUS)
    for item_id in sorted(instalment_ids):
        await uow.plans.set_instalment_open(item_id, Decimal(0))
    for task in await uow.repo.tasks_of(plan.customer_id):
        if task.status in ("open", "scheduled") and task.item_ids and set(task.item_ids) <= instalment_ids:
            await uow.repo.set_task_status(task.task_id, "cancelled")
            cancelled = replace(task, status="cancelled")
            await uow.publish(
                col.TaskChanged(
                    meta=uow.meta(entity=task.entity),
                    task=handlers.task_to_proto(cancelled),
                    action=col.TASK_ACTION_CANCEL,
                    comment=f"payment plan {plan.plan_id} {state}",
                )
            )
    paid = plan.total if state == "completed" else plan.paid
    await uow.plans.update_plan(
        plan.plan_id, state=state, ended_on=deps.today(), end_reason=reason, next_due=None, paid=paid
    )
    await uow.repo.mark_dirty(DirtyCustomer(plan.customer_id, deps.now(), "", "", ""))


def _task(key: str, customer: CustomerRecord, due_on: dt.date, items: list[ItemRecord], comment: str) -> TaskRecord:
    totals: dict[str, Decimal] = {}
    for i in items:
        totals[i.currency] = totals.get(i.currency, Decimal(0)) + i.open_amount
    return TaskRecord(
        task_id=str(uuid.uuid5(_TASK_NAMESPACE, key)),
        key=key,
        customer_id=customer.customer_id,
        entity=customer.entity,
        account_number=customer.account_number,
        customer_name=customer.name,
        scenario_code=customer.scenario_code,
        step_code="payment_plan_broken",
        channel="phone_call",
        automatic=False,
        status="open",
        due_on=due_on,
        leader_item_id=items[0].item_id if items else "",
        item_ids=tuple(i.item_id for i in items),
        totals=tuple((str(a), c) for c, a in sorted(totals.items())),
        days_overdue=0,
        created_at=dt.datetime.now(dt.UTC),
        collector=customer.collector,
        amount=max(totals.values(), default=None),
        comment=comment,
    )


# Reading -------------------------------------------------------------------------------------------------------


async def list_plans(query: col.ListPaymentPlans, uow: UnitOfWork) -> col.PaymentPlans:
    if await uow.repo.customer(query.customer_id) is None:
        raise NotFound(f"no customer {query.customer_id!r}")
    plans = await uow.plans.plans_of(query.customer_id, query.include_ended)
    return col.PaymentPlans(customer_id=query.customer_id, plans=[await _plan_proto(p, uow) for p in plans])


async def _plan_proto(plan: PlanRecord, uow: UnitOfWork) -> col.PaymentPlan:
    items = {i.item_id: i for i in await uow.repo.items_of(plan.customer_id)}
    answer = col.PaymentPlan(
        plan_id=plan.plan_id,
        customer_id=plan.customer_id,
        entity=plan.entity,
        state=_STATE[plan.state],
        item_ids=list(await uow.plans.covered_of(plan.plan_id)),
        total=money_to_proto(Money(plan.total, plan.currency)),
        paid=money_to_proto(Money(plan.paid, plan.currency)),
        frequency=plan.frequency,
        created_on=date_to_proto(plan.created_on),
        created_by=plan.created_by,
        comment=plan.comment,
        instalments=[
            col.PaymentPlanInstalment(
                item_id=i.item_id,
                number=i.number,
                sequence=i.sequence,
                due_date=date_to_proto(i.due_date),
                amount=money_to_proto(Money(i.amount, plan.currency)),
                open_amount=money_to_proto(
                    Money(items[i.item_id].open_amount if i.item_id in items else i.amount, plan.currency)
                ),
            )
            for i in await uow.plans.instalments_of(plan.plan_id)
        ],
    )
    if plan.ended_on is not None:
        answer.ended_on.CopyFrom(date_to_proto(plan.ended_on))
    return answer
