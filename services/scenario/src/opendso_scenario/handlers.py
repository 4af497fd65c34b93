"""Bus handlers: receivables events keep the local copy of customers and items
current, and mark the customer for evaluation once its changes settle."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import EventMeta
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_from_proto, date_to_proto, money_to_proto
from opendso_money import Money
from opendso_telemetry import extract_context, tracer

from opendso_scenario.domain.engine import plan_actions
from opendso_scenario.domain.model import Customer, Item, PerformedAction, PlannedAction, Scenario
from opendso_scenario.store import AgendaFilter, CustomerRecord, DirtyCustomer, ItemRecord, TaskRecord, UnitOfWork

_KINDS = {
    rv.ITEM_KIND_INVOICE: "invoice",
    rv.ITEM_KIND_CREDIT_NOTE: "credit_note",
    rv.ITEM_KIND_UNALLOCATED_PAYMENT: "unallocated_payment",
    rv.ITEM_KIND_INSTALMENT: "instalment",
}
_STATUS = {
    "open": col.TASK_STATUS_OPEN,
    "sent": col.TASK_STATUS_SENT,
    "done": col.TASK_STATUS_DONE,
    "cancelled": col.TASK_STATUS_CANCELLED,
}
_STATUS_NAME = {v: k for k, v in _STATUS.items()}
_tracer = tracer("opendso.scenario")
_TASK_NAMESPACE = uuid.UUID("6f1d2a3e-6c1b-4a53-9a1e-0d3c2b1a0f00")


@dataclass(frozen=True)
class Deps:
    """What handlers need besides the message and the unit of work, wired in app.py."""

    today: Callable[[], dt.date]
    now: Callable[[], dt.datetime]
    # How long a customer's data must stay unchanged before it is evaluated.
    settle_seconds: float
    scenarios: dict[str, Scenario]
    default_scenario: str


def _customer_record(c: rv.Customer, default_scenario: str) -> CustomerRecord:
    return CustomerRecord(
        customer_id=c.customer_id,
        entity=c.entity,
        account_number=c.account_number,
        name=c.name,
        email=c.email,
        language=c.language or "en",
        contact_name=c.contact_name,
        scenario_code=default_scenario,
    )


def _item_record(i: rv.OpenItem) -> ItemRecord:
    return ItemRecord(
        item_id=i.item_id,
        customer_id=i.customer_id,
        number=i.number,
        kind=_KINDS.get(i.kind, "invoice"),
        issue_date=date_from_proto(i.issue_date),
        due_date=date_from_proto(i.due_date),
        open_amount=Decimal(i.open_amount.amount or "0"),
        currency=i.open_amount.currency,
    )


async def record_customer(event: rv.CustomerCreated | rv.CustomerChanged, uow: UnitOfWork, deps: Deps) -> None:
    await uow.repo.upsert_customer(_customer_record(event.customer, deps.default_scenario), _occurred(event.meta))
    await uow.repo.mark_dirty(_dirty(event.customer.customer_id, event.meta, deps))


async def record_item(event: rv.ItemOpened | rv.ItemChanged | rv.ItemClosed, uow: UnitOfWork, deps: Deps) -> None:
    record = _item_record(event.item)
    if isinstance(event, rv.ItemClosed):
        record = ItemRecord(**{**record.__dict__, "open_amount": Decimal("0")})
    await uow.repo.upsert_item(record, _occurred(event.meta))
    await uow.repo.mark_dirty(_dirty(record.customer_id, event.meta, deps))


async def record_customers(event: rv.CustomersChanged, uow: UnitOfWork, deps: Deps) -> None:
    """A batch from a bulk import: the same as one CustomerCreated/Changed per change."""
    version = _occurred(event.meta)
    await uow.repo.upsert_customers(
        [_customer_record(c.customer, deps.default_scenario) for c in event.changes], version
    )
    await uow.repo.mark_dirty_many([_dirty(c.customer.customer_id, event.meta, deps) for c in event.changes])


async def record_items(event: rv.ItemsChanged, uow: UnitOfWork, deps: Deps) -> None:
    """A batch from a bulk import: the same as one ItemOpened/Changed/Closed per change."""
    records = []
    for change in event.changes:
        record = _item_record(change.item)
        if change.type == rv.CHANGE_TYPE_CLOSED:
            record = ItemRecord(**{**record.__dict__, "open_amount": Decimal("0")})
        records.append(record)
    await uow.repo.upsert_items(records, _occurred(event.meta))
    customers = dict.fromkeys(r.customer_id for r in records)
    await uow.repo.mark_dirty_many([_dirty(c, event.meta, deps) for c in customers])


async def record_contacts(event: rv.ContactsChanged, uow: UnitOfWork, deps: Deps) -> None:
    rows = [
        {
            "contact_id": c.contact.contact_id,
            "customer_id": c.contact.customer_id,
            "name": c.contact.name,
            "email": c.contact.email,
            "role": c.contact.role,
        }
        for c in event.changes
    ]
    await uow.repo.upsert_contacts(rows, _occurred(event.meta))
    customers = dict.fromkeys(r["customer_id"] for r in rows)
    await uow.repo.mark_dirty_many([_dirty(c, event.meta, deps) for c in customers])


def _occurred(meta: EventMeta) -> dt.datetime:
    return meta.occurred_at.ToDatetime(tzinfo=dt.UTC)


def _dirty(customer_id: str, cause: EventMeta, deps: Deps) -> DirtyCustomer:
    return DirtyCustomer(
        customer_id=customer_id,
        changed_at=deps.now(),
        traceparent=cause.traceparent,
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
    )


async def record_message_sent(event: msg.MessageSent, uow: UnitOfWork, deps: Deps) -> None:
    if event.task_id:
        await uow.repo.set_task_status(event.task_id, "done")


async def record_message_failed(event: msg.MessageFailed, uow: UnitOfWork, deps: Deps) -> None:
    # The automatic action did not happen: back on the agenda for a collector.
    if event.task_id:
        await uow.repo.set_task_status(event.task_id, "open")


async def evaluate_customer(customer_id: str, uow: UnitOfWork, deps: Deps) -> int:
    """Create the tasks the customer's scenario calls for today; return how many were new."""
    record = await uow.repo.customer(customer_id)
    if record is None:
        return 0  # items may arrive before their customer; its event will evaluate
    contact = await uow.repo.collection_contact(customer_id)
    if contact is not None:
        # Reminders go to the collection contact when the customer has one.
        record = replace(record, contact_name=contact[0] or record.contact_name, email=contact[1])
    scenario = deps.scenarios.get(record.scenario_code) or deps.scenarios[deps.default_scenario]
    item_records = {i.item_id: i for i in await uow.repo.items_of(customer_id)}
    customer = Customer(
        customer_id=record.customer_id,
        entity=record.entity,
        account_number=record.account_number,
        name=record.name,
        language=record.language,
        items=tuple(
            Item(
                item_id=i.item_id,
                number=i.number,
                kind=i.kind,
                issue_date=i.issue_date,
                due_date=i.due_date,
                open_amount=Money(i.open_amount, i.currency),
            )
            for i in item_records.values()
        ),
    )
    performed = [
        PerformedAction(step_code=t.step_code, leader_item_id=t.leader_item_id, performed_on=t.created_at.date())
        for t in await uow.repo.tasks_of(customer_id)
        if t.scenario_code == scenario.code and t.status != "cancelled"
    ]
    today = deps.today()
    created = 0
    for action in plan_actions(customer, scenario, today, performed):
        if await uow.repo.task_exists(action.key):
            continue
        task = _task_from(action, record)
        await uow.repo.add_task(task)
        await uow.publish(col.TaskCreated(meta=uow.meta(entity=record.entity), task=task_to_proto(task)))
        if task.status == "sent":
            await uow.publish(_send_message(action, record, task, item_records, today, uow))
        created += 1
    return created


def _task_from(action: PlannedAction, customer: CustomerRecord) -> TaskRecord:
    automatic_email = action.step.automatic and action.step.channel == "email" and bool(customer.email)
    return TaskRecord(
        task_id=str(uuid.uuid5(_TASK_NAMESPACE, action.key)),
        key=action.key,
        customer_id=customer.customer_id,
        entity=customer.entity,
        account_number=customer.account_number,
        customer_name=customer.name,
        scenario_code=action.scenario_code,
        step_code=action.step.code,
        channel=str(action.step.channel),
        automatic=action.step.automatic,
        # An automatic step with no e-mail address falls to a collector.
        status="sent" if automatic_email else "open",
        due_on=action.due_on,
        leader_item_id=action.leader_item_id,
        item_ids=tuple(i.item_id for i in action.covered_items),
        totals=tuple((str(m.amount), m.currency) for m in action.totals),
        days_overdue=action.days_overdue,
        created_at=dt.datetime.now(dt.UTC),
    )


def _send_message(
    action: PlannedAction,
    customer: CustomerRecord,
    task: TaskRecord,
    item_records: dict[str, ItemRecord],
    today: dt.date,
    uow: UnitOfWork,
) -> msg.SendMessage:
    lines = []
    for item in action.covered_items:
        lines.append(
            msg.MessageItem(
                item_id=item.item_id,
                number=item.number,
                issue_date=date_to_proto(item.issue_date),
                due_date=date_to_proto(item.due_date),
                open_amount=money_to_proto(item.open_amount),
                days_overdue=(today - item.due_date).days,
            )
        )
    return msg.SendMessage(
        meta=uow.meta(entity=customer.entity),
        message_key=action.key,
        customer_id=customer.customer_id,
        entity=customer.entity,
        account_number=customer.account_number,
        customer_name=customer.name,
        contact_name=customer.contact_name,
        recipient=customer.email,
        language=customer.language,
        channel=str(action.step.channel),
        template_code=action.step.template,
        items=lines,
        today=date_to_proto(today),
        task_id=task.task_id,
    )


def task_to_proto(task: TaskRecord) -> col.Task:
    return col.Task(
        task_id=task.task_id,
        key=task.key,
        customer_id=task.customer_id,
        entity=task.entity,
        account_number=task.account_number,
        customer_name=task.customer_name,
        scenario_code=task.scenario_code,
        step_code=task.step_code,
        channel=task.channel,
        automatic=task.automatic,
        status=_STATUS[task.status],
        due_on=date_to_proto(task.due_on),
        leader_item_id=task.leader_item_id,
        item_ids=list(task.item_ids),
        totals=[money_to_proto(Money(Decimal(a), c)) for a, c in task.totals],
        days_overdue=task.days_overdue,
    )


MAX_PAGE = 500


def _decode_cursor(token: str) -> tuple[dt.date, str] | None:
    if not token:
        return None
    try:
        due, task_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return dt.date.fromisoformat(due), str(task_id)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(f"page_token is not a token this service issued: {exc}") from None


def _encode_cursor(task: TaskRecord) -> str:
    return base64.urlsafe_b64encode(json.dumps([task.due_on.isoformat(), task.task_id]).encode()).decode()


async def get_agenda(query: col.GetAgenda, uow: UnitOfWork) -> col.Agenda:
    if query.page_size < 0 or query.page_size > MAX_PAGE:
        raise InvalidRequest(f"page_size must be between 1 and {MAX_PAGE}, got {query.page_size}")
    page_size = query.page_size or 50
    flt = AgendaFilter(
        entity=query.entity,
        customer_id=query.customer_id,
        channel=query.channel,
        status=_STATUS_NAME.get(query.status, ""),
    )
    rows, total = await uow.repo.agenda(flt, page_size + 1, _decode_cursor(query.page_token))
    page = rows[:page_size]
    token = _encode_cursor(page[-1]) if len(rows) > page_size else ""
    return col.Agenda(tasks=[task_to_proto(t) for t in page], next_page_token=token, total=total)


async def evaluate_settled(uow_factory: Callable[[], UnitOfWork], deps: Deps, limit: int = 200) -> int:
    """Evaluate customers whose changes have settled, each in its own transaction."""
    before = deps.now() - dt.timedelta(seconds=deps.settle_seconds)
    async with uow_factory() as uow:
        waiting = await uow.repo.settled(before, limit)
    created = 0
    for change in waiting:
        context = extract_context({"traceparent": change.traceparent} if change.traceparent else {})
        with _tracer.start_as_current_span("evaluate customer", context=context):
            async with uow_factory() as uow:
                uow.caused_by(EventMeta(event_id=change.causation_id, correlation_id=change.correlation_id))
                created += await evaluate_customer(change.customer_id, uow, deps)
                await uow.repo.clear_dirty(change.customer_id, change.changed_at)
                await uow.commit()
    return created


async def evaluate_all(uow_factory: Callable[[], UnitOfWork], deps: Deps) -> int:
    """The daily pass: every customer, each in its own transaction."""
    async with uow_factory() as uow:
        ids = await uow.repo.customer_ids()
    created = 0
    for customer_id in ids:
        async with uow_factory() as uow:
            created += await evaluate_customer(customer_id, uow, deps)
            await uow.commit()
    return created
