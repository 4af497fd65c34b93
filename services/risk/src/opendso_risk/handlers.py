"""Bus handlers of the risk service: events keep its copy of what it judges by, and mark the customers they
concern for evaluation (the evaluation pass computes their score and limits' use, and raises alerts).

A broken promise or payment plan raises its alert at once, in the event's transaction. Every handler is safe to
run twice on the same event: rows are keyed, and alerts are stored by key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Date, EventMeta
from opendso.matching.v1 import matching_pb2 as mt
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.risk.v1 import risk_pb2 as rk
from opendso_bus import PermanentError
from opendso_contracts.convert import money_from_proto
from opendso_money import Money

from opendso_risk import protos
from opendso_risk.domain.alerts import AlertDraft, promise_alert
from opendso_risk.domain.profile import Customer
from opendso_risk.store import StoredAlert, UnitOfWork

KINDS = {
    rv.ITEM_KIND_INVOICE: "invoice",
    rv.ITEM_KIND_CREDIT_NOTE: "credit_note",
    rv.ITEM_KIND_UNALLOCATED_PAYMENT: "unallocated_payment",
    rv.ITEM_KIND_INSTALMENT: "instalment",
}
_ALERT_NAMESPACE = uuid.UUID("1d6f4d8e-2f7b-4c1e-9a8d-5b3e7c2a9f41")


@dataclass(frozen=True)
class Converted:
    """What the FX service answered to a conversion."""

    converted: Money
    rate: Decimal
    published_on: dt.date


class RateMissing(Exception):
    """No rate for a conversion, said by the FX service (or its silence)."""


# Converts an amount into a currency at a day's rate through the FX service; RateMissing when it cannot.
Convert = Callable[[Money, str, dt.date], Awaitable[Converted]]


@dataclass(frozen=True)
class Deps:
    today: Callable[[], dt.date]
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    # The zone an event's time is read in to know its day.
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    dispute_codes: frozenset[str] = frozenset({"dispute"})
    convert: Convert | None = None


def day_of(meta: EventMeta, deps: Deps) -> dt.date:
    return meta.occurred_at.ToDatetime(tzinfo=dt.UTC).astimezone(deps.zone).date()


def _version(meta: EventMeta) -> dt.datetime:
    return meta.occurred_at.ToDatetime(tzinfo=dt.UTC)


def _date(value: Date) -> dt.date | None:
    return None if value.year == 0 else dt.date(value.year, value.month, value.day)


# --- receivables ----------------------------------------------------------------------------------------------


def _customer_row(c: rv.Customer) -> dict[str, Any]:
    return {
        "customer_id": c.customer_id,
        "entity": c.entity,
        "account_number": c.account_number,
        "name": c.name,
        "collector": c.collector,
        "customer_group": c.customer_group,
        "parent_account": c.parent_account.strip(),
        "erp_credit_limit": c.credit_limit.strip(),
    }


def _item_row(i: rv.OpenItem, closed_on: dt.date | None) -> dict[str, Any]:
    issue = _date(i.issue_date) or _date(i.due_date)
    due = _date(i.due_date) or issue
    if issue is None or due is None:
        # No retry gives an item a date: parked in the dead letters for someone to look at.
        raise PermanentError(f"item {i.item_id} has neither an issue date nor a due date")
    return {
        "item_id": i.item_id,
        "customer_id": i.customer_id,
        "number": i.number,
        "kind": KINDS.get(i.kind, "invoice"),
        "issue_date": issue,
        "due_date": due,
        "amount": Decimal(i.amount.amount or "0"),
        "open_amount": Decimal(0) if closed_on is not None else Decimal(i.open_amount.amount or "0"),
        "currency": i.amount.currency or i.open_amount.currency,
        "closed_on": closed_on,
    }


async def record_customers(event: rv.CustomersChanged, uow: UnitOfWork, deps: Deps) -> None:
    rows = [_customer_row(c.customer) for c in event.changes]
    await uow.repo.upsert_customers(rows, _version(event.meta))
    await uow.repo.mark_dirty([r["customer_id"] for r in rows], deps.now())


async def record_customer(event: rv.CustomerCreated | rv.CustomerChanged, uow: UnitOfWork, deps: Deps) -> None:
    await uow.repo.upsert_customers([_customer_row(event.customer)], _version(event.meta))
    await uow.repo.mark_dirty([event.customer.customer_id], deps.now())


async def record_entities(event: rv.EntitiesChanged, uow: UnitOfWork, deps: Deps) -> None:
    rows = [{"code": c.entity.code, "currency": c.entity.currency} for c in event.changes]
    await uow.repo.upsert_entities(rows, _version(event.meta))


async def _record_items(
    changes: list[tuple[rv.OpenItem, dt.date | None]], meta: EventMeta, uow: UnitOfWork, deps: Deps
) -> None:
    rows = [_item_row(item, closed_on) for item, closed_on in changes]
    await uow.repo.upsert_items(rows, _version(meta))
    # A disputed item that is paid or credited ends its dispute.
    await uow.repo.resolve_disputes(
        {r["item_id"]: (r["closed_on"], "item closed") for r in rows if r["closed_on"] is not None}
    )
    await uow.repo.mark_dirty([r["customer_id"] for r in rows], deps.now())


async def record_items(event: rv.ItemsChanged, uow: UnitOfWork, deps: Deps) -> None:
    """A batch from an import: CLOSED changes are payments (or credits), on their closed_on day."""
    today = day_of(event.meta, deps)
    changes = [
        (c.item, (_date(c.closed_on) or today) if c.type == rv.CHANGE_TYPE_CLOSED else None) for c in event.changes
    ]
    await _record_items(changes, event.meta, uow, deps)


async def record_item(event: rv.ItemOpened | rv.ItemChanged | rv.ItemClosed, uow: UnitOfWork, deps: Deps) -> None:
    closed_on = None
    if isinstance(event, rv.ItemClosed):
        closed_on = _date(event.closed_on) or day_of(event.meta, deps)
    await _record_items([(event.item, closed_on)], event.meta, uow, deps)


# --- payments applied ---------------------------------------------------------------------------------------


async def record_allocation(event: mt.PaymentAllocated, uow: UnitOfWork, deps: Deps) -> None:
    booked = _date(event.booking_date) or day_of(event.meta, deps)
    rows = [
        {
            "allocation_id": event.allocation_id,
            "item_id": a.item_id,
            "customer_id": event.customer_id,
            "amount": Decimal(a.amount.amount or "0"),
            "write_off": Decimal(a.write_off.amount or "0") if a.HasField("write_off") else Decimal(0),
            "currency": a.amount.currency,
            "booking_date": booked,
            "reversed": False,
        }
        for a in event.allocations
    ]
    await uow.repo.add_allocations(rows)
    await uow.repo.mark_dirty([event.customer_id], deps.now())


async def record_reversal(event: mt.AllocationReversed, uow: UnitOfWork, deps: Deps) -> None:
    concerned = await uow.repo.reverse_allocation(event.allocation_id)
    await uow.repo.mark_dirty([event.customer_id, *concerned], deps.now())


# --- collection -----------------------------------------------------------------------------------------------


async def record_qualification(event: col.ItemsQualified, uow: UnitOfWork, deps: Deps) -> None:
    """A dispute opens with a qualification in a dispute status; a qualification in another status resolves the
    item's open dispute. A promise to pay is recorded; any qualification is a collection action."""
    day = day_of(event.meta, deps)
    resolved: dict[str, tuple[dt.date, str]] = {}
    for status in event.statuses:
        since = _date(status.since) or day
        if status.status_code in deps.dispute_codes:
            await uow.repo.open_dispute(status.item_id, event.customer_id, status.status_code, since)
        else:
            resolved[status.item_id] = (since, f"requalified as {status.status_code}")
    await uow.repo.resolve_disputes(resolved)
    if event.promise_id:
        made = min((_date(s.since) or day for s in event.statuses), default=day)
        await uow.repo.record_promise(event.promise_id, "promise", event.customer_id, made)
    await uow.repo.record_actions({event.customer_id: day})
    await uow.repo.mark_dirty([event.customer_id], deps.now())


async def record_promise_broken(event: col.PromiseBroken, uow: UnitOfWork, deps: Deps) -> None:
    day = day_of(event.meta, deps)
    await uow.repo.break_promise(event.promise_id, "promise", event.customer_id, day)
    missing = money_from_proto(event.missing) if event.missing.currency else None
    draft = promise_alert(event.promise_id, "promise to pay", missing, _date(event.promised_on), len(event.item_ids))
    await raise_alerts([(draft, event.customer_id)], uow, deps)
    await uow.repo.mark_dirty([event.customer_id], deps.now())


async def record_plan_created(event: col.PaymentPlanCreated, uow: UnitOfWork, deps: Deps) -> None:
    day = day_of(event.meta, deps)
    plan = event.plan
    await uow.repo.record_promise(plan.plan_id, "plan", plan.customer_id, _date(plan.created_on) or day)
    await uow.repo.record_actions({plan.customer_id: day})
    await uow.repo.mark_dirty([plan.customer_id], deps.now())


async def record_plan_broken(event: col.PaymentPlanBroken, uow: UnitOfWork, deps: Deps) -> None:
    day = day_of(event.meta, deps)
    await uow.repo.break_promise(event.plan_id, "plan", event.customer_id, day)
    missing = money_from_proto(event.missing) if event.missing.currency else None
    draft = promise_alert(event.plan_id, "payment plan", missing, None, len(event.item_ids))
    await raise_alerts([(draft, event.customer_id)], uow, deps)
    await uow.repo.mark_dirty([event.customer_id], deps.now())


async def _action(customer_id: str, meta: EventMeta, uow: UnitOfWork, deps: Deps) -> None:
    if customer_id:
        await uow.repo.record_actions({customer_id: day_of(meta, deps)})
        await uow.repo.mark_dirty([customer_id], deps.now())


async def record_task_changed(event: col.TaskChanged, uow: UnitOfWork, deps: Deps) -> None:
    # Performed or validated by a collector: something was done. Postponing or reassigning is not an action on
    # the customer.
    if event.action in (col.TASK_ACTION_PERFORM, col.TASK_ACTION_VALIDATE):
        await _action(event.task.customer_id, event.meta, uow, deps)


async def record_message_sent(event: msg.MessageSent, uow: UnitOfWork, deps: Deps) -> None:
    await _action(event.customer_id, event.meta, uow, deps)


async def record_case_escalated(event: col.CaseEscalated, uow: UnitOfWork, deps: Deps) -> None:
    await _action(event.customer_id, event.meta, uow, deps)


# --- alerts ---------------------------------------------------------------------------------------------------


def alert_id(key: str) -> str:
    return str(uuid.uuid5(_ALERT_NAMESPACE, key))


async def raise_alerts(
    drafts: Iterable[tuple[AlertDraft, str]],
    uow: UnitOfWork,
    deps: Deps,
    known: dict[str, Customer] | None = None,
    entity_of: dict[str, str] | None = None,
) -> list[StoredAlert]:
    """Store and publish the drafts whose key is new, each for its customer id ("" for an entity's policy, then
    ``entity_of`` names the entity by key). Answers the alerts raised now."""
    wanted: dict[str, tuple[AlertDraft, str]] = {}
    for draft, customer_id in drafts:
        wanted.setdefault(draft.key, (draft, customer_id))
    if not wanted:
        return []
    existing = await uow.repo.existing_alert_keys(list(wanted))
    fresh = {k: v for k, v in wanted.items() if k not in existing}
    if not fresh:
        return []
    people = dict(known or {})
    missing = [c for _, c in fresh.values() if c and c not in people]
    if missing:
        people.update(await uow.repo.customers_by_id(missing))
    now = deps.now()
    today = deps.today()
    raised: list[StoredAlert] = []
    for key, (draft, customer_id) in fresh.items():
        who = people.get(customer_id)
        entity = who.entity if who else (customer_id.split("/", 1)[0] if "/" in customer_id else "")
        raised.append(
            StoredAlert(
                alert_id=alert_id(key),
                key=key,
                rule=draft.rule.value,
                customer_id=customer_id,
                entity=entity or (entity_of or {}).get(key, ""),
                account_number=who.account_number if who else customer_id.split("/", 1)[-1] if customer_id else "",
                customer_name=who.name if who else "",
                collector=who.collector if who else "",
                severity=draft.severity,
                summary=draft.summary,
                facts=draft.facts,
                subject_id=draft.subject_id,
                raised_at=now,
                raised_on=today,
            )
        )
    await uow.repo.add_alerts(raised)
    await uow.publish_many([rk.AlertRaised(meta=uow.meta(entity=a.entity), alert=protos.alert(a)) for a in raised])
    return raised
