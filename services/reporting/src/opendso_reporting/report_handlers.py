"""Events → the reports' read models. Every handler is an upsert keyed by what the event names (or by its id),
so a redelivered or replayed event leaves the figures as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal

from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import EventMeta
from opendso.matching.v1 import matching_pb2 as mt
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_contracts.convert import date_from_proto, money_from_proto, optional_date_from_proto
from opendso_money import Money

from opendso_reporting.domain.reports import ActivityKind
from opendso_reporting.report_store import (
    Activity,
    CustomerState,
    EntityState,
    ItemState,
    PromiseState,
    Receipt,
    StatusState,
)
from opendso_reporting.store import UnitOfWork

PROMISE_STATUS = "promise_to_pay"
PLAN_STATUS = "payment_plan"
DEFAULT_DISPUTE_CODES = ("dispute", "litigation")


def _at(meta: EventMeta) -> dt.datetime:
    return meta.occurred_at.ToDatetime(tzinfo=dt.UTC)


def item_state(item: rv.OpenItem, closed_on: dt.date | None, closed: bool) -> ItemState:
    open_amount = money_from_proto(item.open_amount)
    amount = money_from_proto(item.amount) if item.amount.currency else open_amount
    return ItemState(
        item_id=item.item_id,
        customer_id=item.customer_id,
        entity=item.entity,
        kind=int(item.kind),
        issue_date=optional_date_from_proto(item.issue_date),
        due_date=date_from_proto(item.due_date),
        amount=amount,
        open_amount=Money(Decimal(0), open_amount.currency) if closed else open_amount,
        closed_on=closed_on,
    )


async def record_item(event: rv.ItemOpened | rv.ItemChanged | rv.ItemClosed, uow: UnitOfWork) -> None:
    closed = isinstance(event, rv.ItemClosed)
    closed_on = optional_date_from_proto(event.closed_on) if isinstance(event, rv.ItemClosed) else None
    at = _at(event.meta)
    await uow.reports.put_items([item_state(event.item, closed_on, closed)], at, at.date())


async def record_items(event: rv.ItemsChanged, uow: UnitOfWork) -> None:
    at = _at(event.meta)
    states = [
        item_state(
            c.item,
            optional_date_from_proto(c.closed_on) if c.type == rv.CHANGE_TYPE_CLOSED else None,
            c.type == rv.CHANGE_TYPE_CLOSED,
        )
        for c in event.changes
    ]
    await uow.reports.put_items(states, at, at.date())


def _customer(c: rv.Customer) -> CustomerState:
    return CustomerState(c.customer_id, c.entity, c.name, c.customer_group, c.sector, c.collector)


async def record_customer(event: rv.CustomerCreated | rv.CustomerChanged, uow: UnitOfWork) -> None:
    await uow.reports.put_customers([_customer(event.customer)], _at(event.meta))


async def record_customers(event: rv.CustomersChanged, uow: UnitOfWork) -> None:
    await uow.reports.put_customers([_customer(c.customer) for c in event.changes], _at(event.meta))


async def record_entities(event: rv.EntitiesChanged, uow: UnitOfWork) -> None:
    await uow.reports.put_entities(
        [EntityState(c.entity.code, c.entity.name, c.entity.currency, c.entity.group_currency) for c in event.changes],
        _at(event.meta),
    )


def record_qualification(dispute_codes: Sequence[str]) -> Callable[[col.ItemsQualified, UnitOfWork], Awaitable[None]]:
    async def record(event: col.ItemsQualified, uow: UnitOfWork) -> None:
        await _record_qualification(event, uow, dispute_codes)

    return record


async def _record_qualification(event: col.ItemsQualified, uow: UnitOfWork, dispute_codes: Sequence[str]) -> None:
    """Statuses, and a promise obtained or a dispute recorded for whoever set them. A replayed qualification
    (a retried request) did nothing new."""
    if event.replayed:
        return
    at = _at(event.meta)
    await uow.reports.put_statuses(
        [
            StatusState(
                s.item_id,
                event.customer_id,
                s.status_code,
                optional_date_from_proto(s.since) or at.date(),
                s.owner,
                s.comment,
            )
            for s in event.statuses
        ],
        at,
    )
    if event.promise_id and event.promised_amount.currency and event.promised_on.year:
        # A promise to pay is money expected on its day from the qualified items, as a plan's instalment is;
        # keyed by the promise (its own "plan") so that its breaking ends it.
        await uow.reports.put_promises(
            [
                PromiseState(
                    event.promise_id,
                    event.promise_id,
                    event.customer_id,
                    date_from_proto(event.promised_on),
                    money_from_proto(event.promised_amount),
                    tuple(s.item_id for s in event.statuses),
                )
            ],
            at,
        )
    codes = {s.status_code for s in event.statuses}
    actor = next((s.set_by for s in event.statuses if s.set_by), "")
    activities = []
    if event.promise_id or PROMISE_STATUS in codes:
        activities.append(
            Activity(f"{event.meta.event_id}/promise", at.date(), actor, event.customer_id, ActivityKind.PROMISE.value)
        )
    if codes & set(dispute_codes):
        activities.append(
            Activity(f"{event.meta.event_id}/dispute", at.date(), actor, event.customer_id, ActivityKind.DISPUTE.value)
        )
    await uow.reports.put_activities(activities)


async def record_task(event: col.TaskChanged, uow: UnitOfWork) -> None:
    """A task a collector performed or validated is an action done."""
    if event.action not in (col.TASK_ACTION_PERFORM, col.TASK_ACTION_VALIDATE):
        return
    at = _at(event.meta)
    actor = event.user or event.task.updated_by or event.task.collector
    await uow.reports.put_activities(
        [Activity(event.meta.event_id, at.date(), actor, event.task.customer_id, ActivityKind.ACTION.value)]
    )


async def record_message(event: msg.MessageSent, uow: UnitOfWork) -> None:
    if not event.customer_id:
        return
    at = _at(event.meta)
    await uow.reports.put_activities(
        [Activity(event.meta.event_id, at.date(), "", event.customer_id, ActivityKind.MESSAGE.value)]
    )


async def record_allocation(event: mt.PaymentAllocated, uow: UnitOfWork) -> None:
    """Each item's share of the payment, and what it left on account, received on the booking day."""
    day = optional_date_from_proto(event.booking_date) or _at(event.meta).date()
    receipts = [
        Receipt(
            f"{event.allocation_id}|{a.item_id}",
            event.allocation_id,
            event.entity,
            event.customer_id,
            a.item_id,
            day,
            money_from_proto(a.amount),
        )
        for a in event.allocations
        if a.amount.currency
    ]
    if event.unallocated.currency and money_from_proto(event.unallocated).amount != 0:
        receipts.append(
            Receipt(
                f"{event.allocation_id}|",
                event.allocation_id,
                event.entity,
                event.customer_id,
                "",
                day,
                money_from_proto(event.unallocated),
            )
        )
    await uow.reports.put_receipts(receipts)


async def record_reversal(event: mt.AllocationReversed, uow: UnitOfWork) -> None:
    await uow.reports.reverse_receipts(event.allocation_id)


async def record_plan(event: col.PaymentPlanCreated, uow: UnitOfWork) -> None:
    """A plan's instalments are promises of money on their days, over the items the plan covers."""
    if event.replayed:
        return
    plan = event.plan
    at = _at(event.meta)
    promises = [
        PromiseState(
            f"{plan.plan_id}/{i.sequence:02d}",
            plan.plan_id,
            plan.customer_id,
            date_from_proto(i.due_date),
            money_from_proto(i.open_amount if i.open_amount.currency else i.amount),
            tuple(plan.item_ids),
        )
        for i in plan.instalments
    ]
    await uow.reports.put_promises(promises, at)
    if plan.state != col.PAYMENT_PLAN_STATE_ACTIVE and plan.state != col.PAYMENT_PLAN_STATE_UNSPECIFIED:
        await uow.reports.end_promises(plan.plan_id, at)


async def end_promise(event: col.PromiseBroken, uow: UnitOfWork) -> None:
    """A broken promise: its money is no longer expected on its day (the items' own dates count again)."""
    await uow.reports.end_promises(event.promise_id, _at(event.meta))


async def end_plan(
    event: col.PaymentPlanCancelled | col.PaymentPlanCompleted | col.PaymentPlanBroken, uow: UnitOfWork
) -> None:
    """A plan over: no more money expected on its days, and (completed) its items leave the plan status."""
    at = _at(event.meta)
    if isinstance(event, col.PaymentPlanCancelled):
        plan_id, item_ids = event.plan.plan_id, list(event.plan.item_ids)
    else:
        plan_id, item_ids = event.plan_id, list(event.item_ids)
    await uow.reports.end_promises(plan_id, at)
    await uow.reports.clear_statuses(item_ids, PLAN_STATUS, at)
