"""Escalations: a customer's case handed to a partner (call centre, legal partner, debt buyer).

A collector escalates items (or every overdue item) of one customer; the case is stored, its items are put in
the kind's status so the scenario stops reminding the customer behind the partner's back, and ``CaseEscalated``
is published for the gateway's partner API. Escalating the same items to the same kind again answers the open
case and publishes nothing. Withdrawing the case gives the items back the status they had before.

A scenario step whose channel is an escalation (``Channel.CALL_CENTRE_TASK``, ``LEGAL_ESCALATION``,
``DEBT_SALE``) escalates its task's items when a collector performs or validates the task (``escalate_task``,
called from the agenda).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal
from typing import Final

from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import EventMeta
from opendso_bus import InvalidRequest, NotFound, QueryError
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_money import Money

from opendso_scenario.domain.engine import CHASED_KINDS
from opendso_scenario.domain.model import Channel
from opendso_scenario.handlers import Deps, task_to_proto
from opendso_scenario.store import (
    CustomerRecord,
    DirtyCustomer,
    EscalatedItemRecord,
    EscalationRecord,
    ItemRecord,
    ItemStatusRecord,
    TaskRecord,
    UnitOfWork,
)

KIND_NAMES: Final[dict[col.PartnerKind.ValueType, str]] = {
    col.PARTNER_KIND_CALL_CENTRE: "call_centre",
    col.PARTNER_KIND_LEGAL: "legal",
    col.PARTNER_KIND_DEBT_SALE: "debt_sale",
}
_KIND_VALUES: Final[dict[str, col.PartnerKind.ValueType]] = {name: value for value, name in KIND_NAMES.items()}

ITEM_STATUS: Final[dict[str, str]] = {
    "call_centre": "with_call_centre",
    "legal": "litigation",
    "debt_sale": "debt_sold",
}
"""The status (``qualification.DEFAULT_CATALOGUE``) an open case puts its items in; each takes them out of
the scenario."""

CHANNEL_KINDS: Final[dict[str, str]] = {
    Channel.CALL_CENTRE_TASK.value: "call_centre",
    Channel.LEGAL_ESCALATION.value: "legal",
    Channel.DEBT_SALE.value: "debt_sale",
}
"""Scenario step channels whose task, once performed, escalates its items to that kind of partner."""

_CASE_NAMESPACE = uuid.UUID("4d3b1f0e-8a7c-4c2e-b5a1-9e6f0d2c7b31")
_STATUS_KEY_PREFIX = "escalation:"


def _conflict(detail: str) -> QueryError:
    return QueryError("conflict", detail)


def _active_key(customer_id: str, kind: str, item_ids: list[str]) -> str:
    # Hashed: a case can hold hundreds of items, too many for a readable key.
    digest = hashlib.sha256("\x1f".join(sorted(item_ids)).encode()).hexdigest()[:24]
    return f"{customer_id}:{kind}:{digest}"


def _chosen_items(command: col.EscalateCase, items: dict[str, ItemRecord], today: dt.date) -> list[ItemRecord]:
    if not command.item_ids:
        overdue = [i for i in items.values() if i.kind in CHASED_KINDS and i.open_amount > 0 and i.due_date < today]
        if not overdue:
            raise InvalidRequest(f"item_ids: customer {command.customer_id!r} has no overdue item to escalate")
        return sorted(overdue, key=lambda i: (i.due_date, i.number, i.item_id))
    chosen: list[ItemRecord] = []
    problems: list[str] = []
    for index, item_id in enumerate(dict.fromkeys(command.item_ids)):
        item = items.get(item_id)
        if item is None:
            problems.append(f"item_ids[{index}]: {item_id!r} is not an item of customer {command.customer_id!r}")
        elif item.kind not in CHASED_KINDS:
            problems.append(f"item_ids[{index}]: {item.number} is a {item.kind}: only debts are escalated")
        elif item.open_amount <= 0:
            problems.append(f"item_ids[{index}]: {item.number} is paid: nothing to recover")
        else:
            chosen.append(item)
    if problems:
        raise InvalidRequest("; ".join(problems))
    return chosen


async def _escalate(command: col.EscalateCase, uow: UnitOfWork, deps: Deps) -> tuple[col.CaseEscalated, bool]:
    """The case for the command, and whether it is new; stores and publishes but does not commit."""
    if not command.user.strip():
        raise InvalidRequest("user is required: an escalation records who made it")
    kind = KIND_NAMES.get(command.partner_kind)
    if kind is None:
        raise InvalidRequest("partner_kind is required: call_centre, legal or debt_sale")
    customer = await uow.repo.customer(command.customer_id)
    if customer is None:
        raise NotFound(f"no customer {command.customer_id!r}")
    today = deps.today()
    items = {i.item_id: i for i in await uow.repo.items_of(customer.customer_id)}
    chosen = _chosen_items(command, items, today)
    key = _active_key(customer.customer_id, kind, [i.item_id for i in chosen])
    existing = await uow.escalations.open_case(key)
    if existing is not None:
        return _event(existing, customer, today, replayed=True), False

    cases = await uow.escalations.cases_of(customer.customer_id)
    wanted = {i.item_id for i in chosen}
    for case in cases:
        if case.state != "open":
            continue
        taken = [i.number for i in case.items if i.item_id in wanted]
        if taken:
            raise _conflict(
                f"item_ids: {', '.join(taken)} already escalated to {case.partner_kind} in case {case.case_id}; "
                "withdraw that case first"
            )

    statuses = await uow.qualifications.statuses_of(customer.customer_id)
    # Numbered by the customer's earlier cases, so a case escalated again after a withdrawal gets a new id.
    case_id = str(uuid.uuid5(_CASE_NAMESPACE, f"{key}:{len(cases)}"))
    record = EscalationRecord(
        case_id=case_id,
        customer_id=customer.customer_id,
        entity=customer.entity,
        partner_kind=kind,
        partner_id=command.partner_id.strip(),
        items=tuple(
            EscalatedItemRecord(
                item_id=i.item_id,
                number=i.number,
                due_date=i.due_date,
                open_amount=i.open_amount,
                currency=i.currency,
                previous_status=statuses.get(i.item_id),
            )
            for i in chosen
        ),
        note=command.note.strip(),
        escalated_by=command.user,
        escalated_on=today,
        task_id=command.task_id,
        state="open",
        active_key=key,
        created_at=deps.now(),
    )
    await uow.escalations.add(record)
    await uow.qualifications.save_statuses(
        [
            ItemStatusRecord(
                item_id=i.item_id,
                customer_id=customer.customer_id,
                status_code=ITEM_STATUS[kind],
                since=today,
                comment=record.note,
                owner=record.partner_id or kind,
                set_by=command.user,
                qualification_key=f"{_STATUS_KEY_PREFIX}{case_id}",
            )
            for i in chosen
        ]
    )
    uow.caused_by(None, correlation_id=command.correlation_id)
    await _cancel_pending_reminders(customer, wanted, command, case_id, uow)
    event = _event(record, customer, today, replayed=False, meta=uow.meta(entity=customer.entity))
    await uow.publish(event)
    # Evaluated again: the escalated items leave the scenario, the others may lead now.
    await uow.repo.mark_dirty(DirtyCustomer(customer.customer_id, deps.now(), "", command.correlation_id, ""))
    return event, True


async def _cancel_pending_reminders(
    customer: CustomerRecord, escalated: set[str], command: col.EscalateCase, case_id: str, uow: UnitOfWork
) -> None:
    # An automatic reminder already planned would still go out (the send pass checks payment, not statuses):
    # the partner must not find the customer reminded behind its back.
    for task in await uow.repo.tasks_of(customer.customer_id):
        if (
            task.automatic
            and task.status in ("scheduled", "open")
            and task.task_id != command.task_id
            and set(task.item_ids) <= escalated
        ):
            comment = f"cancelled: items escalated in case {case_id}"
            await uow.repo.update_task(task.task_id, status="cancelled", updated_by=command.user, comment=comment)
            updated = await uow.repo.task(task.task_id)
            assert updated is not None
            await uow.publish(
                col.TaskChanged(
                    meta=uow.meta(entity=customer.entity),
                    task=task_to_proto(updated),
                    action=col.TASK_ACTION_CANCEL,
                    user=command.user,
                    comment=comment,
                )
            )


def _event(
    record: EscalationRecord,
    customer: CustomerRecord,
    today: dt.date,
    *,
    replayed: bool,
    meta: EventMeta | None = None,
) -> col.CaseEscalated:
    totals: dict[str, Decimal] = {}
    for i in record.items:
        totals[i.currency] = totals.get(i.currency, Decimal(0)) + i.open_amount
    event = col.CaseEscalated(
        case_id=record.case_id,
        customer_id=record.customer_id,
        entity=record.entity,
        account_number=customer.account_number,
        customer_name=customer.name,
        items=[
            col.EscalatedItem(
                item_id=i.item_id,
                number=i.number,
                due_date=date_to_proto(i.due_date),
                open_amount=money_to_proto(Money(i.open_amount, i.currency)),
                days_overdue=(record.escalated_on - i.due_date).days,
            )
            for i in record.items
        ],
        totals=[money_to_proto(Money(amount, currency)) for currency, amount in sorted(totals.items())],
        partner_kind=_KIND_VALUES[record.partner_kind],
        partner_id=record.partner_id,
        note=record.note,
        escalated_by=record.escalated_by,
        escalated_on=date_to_proto(record.escalated_on),
        task_id=record.task_id,
        item_status=ITEM_STATUS[record.partner_kind],
        replayed=replayed,
    )
    if meta is not None:
        event.meta.CopyFrom(meta)
    return event


async def escalate_case(command: col.EscalateCase, uow: UnitOfWork, deps: Deps) -> col.CaseEscalated:
    """Hand items of one customer to a partner; a retried request answers the open case and changes nothing."""
    event, new = await _escalate(command, uow, deps)
    if new:
        await uow.commit()
    return event


async def escalate_task(task: TaskRecord, user: str, comment: str, uow: UnitOfWork, deps: Deps) -> str:
    """Escalate the items of a scenario step's task whose channel is an escalation; "" or why not.

    Called inside the agenda's transaction, which commits. Items paid since the task was planned are left out.
    """
    kind = CHANNEL_KINDS.get(task.channel)
    if kind is None:
        return ""
    items = {i.item_id: i for i in await uow.repo.items_of(task.customer_id)}
    still_open = [i for i in task.item_ids if i in items and items[i].open_amount > 0]
    if not still_open:
        return "its items are paid: nothing to escalate"
    command = col.EscalateCase(
        customer_id=task.customer_id,
        item_ids=still_open,
        partner_kind=_KIND_VALUES[kind],
        note=comment or f"scenario {task.scenario_code}, step {task.step_code}",
        user=user,
        task_id=task.task_id,
    )
    try:
        await _escalate(command, uow, deps)
    except QueryError as exc:
        return exc.detail
    return ""


async def withdraw_escalation(command: col.WithdrawEscalation, uow: UnitOfWork, deps: Deps) -> col.CaseWithdrawn:
    """Take a case back from its partner: its items get back the status they had before it (or none).

    An item whose status someone changed since the escalation keeps that newer status. Withdrawing a withdrawn
    case answers it again and changes nothing.
    """
    if not command.case_id.strip():
        raise InvalidRequest("case_id is required")
    if not command.user.strip():
        raise InvalidRequest("user is required: a withdrawal records who made it")
    case = await uow.escalations.case(command.case_id)
    if case is None or (command.customer_id and case.customer_id != command.customer_id):
        where = f" for customer {command.customer_id!r}" if command.customer_id else ""
        raise NotFound(f"no escalated case {command.case_id!r}{where}")
    customer = await uow.repo.customer(case.customer_id)
    account = customer.account_number if customer is not None else ""
    if case.state != "open":
        return _withdrawn(case, account, replayed=True)
    today = deps.today()
    statuses = await uow.qualifications.statuses_of(case.customer_id)
    ours = f"{_STATUS_KEY_PREFIX}{case.case_id}"
    for item in case.items:
        current = statuses.get(item.item_id)
        if current is None or current.qualification_key != ours:
            continue
        if item.previous_status is not None:
            await uow.qualifications.save_statuses([item.previous_status])
        else:
            await uow.qualifications.clear_status((item.item_id,), current.status_code)
    reason = command.reason.strip()
    await uow.escalations.withdraw(case.case_id, command.user, today, reason)
    withdrawn = await uow.escalations.case(case.case_id)
    assert withdrawn is not None
    uow.caused_by(None, correlation_id=command.correlation_id)
    event = _withdrawn(withdrawn, account, replayed=False)
    event.meta.CopyFrom(uow.meta(entity=case.entity))
    await uow.publish(event)
    # Back in the scenario: evaluated again at once.
    await uow.repo.mark_dirty(DirtyCustomer(case.customer_id, deps.now(), "", command.correlation_id, ""))
    await uow.commit()
    return event


def _withdrawn(case: EscalationRecord, account_number: str, *, replayed: bool) -> col.CaseWithdrawn:
    answer = col.CaseWithdrawn(
        case_id=case.case_id,
        customer_id=case.customer_id,
        entity=case.entity,
        account_number=account_number,
        partner_kind=_KIND_VALUES[case.partner_kind],
        partner_id=case.partner_id,
        item_ids=[i.item_id for i in case.items],
        reason=case.withdraw_reason,
        withdrawn_by=case.withdrawn_by,
        replayed=replayed,
    )
    if case.withdrawn_on is not None:
        answer.withdrawn_on.CopyFrom(date_to_proto(case.withdrawn_on))
    return answer


async def list_partner_cases(query: col.ListPartnerCases, uow: UnitOfWork, deps: Deps) -> col.PartnerCases:
    """The cases handed to one partner, newest first: what the partner API lets that partner see."""
    if not query.partner_id.strip():
        raise InvalidRequest("partner_id is required: cases are listed for one partner")
    limit = query.limit if 0 < query.limit <= 1000 else 1000
    cases = await uow.escalations.cases_of_partner(
        query.partner_id, include_withdrawn=query.include_withdrawn, limit=limit
    )
    customers = await uow.repo.customers_by_id(list({c.customer_id for c in cases}))
    answer = col.PartnerCases()
    for case in cases:
        customer = customers.get(case.customer_id)
        if customer is None:
            continue
        listed = answer.cases.add(escalation=_event(case, customer, deps.today(), replayed=False), state=case.state)
        if case.withdrawn_on is not None:
            listed.withdrawn_on.CopyFrom(date_to_proto(case.withdrawn_on))
    return answer
