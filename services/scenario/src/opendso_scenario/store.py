"""The scenario service's tables and repository. It keeps its own copy of the
customers and items it chases, built from receivables events."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from opendso_db.bulk import upsert_rows
from opendso_db.types import Amount
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)

customers = Table(
    "sc_customers",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("entity", String(50), nullable=False),
    Column("account_number", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("email", String(320), nullable=False, default=""),
    Column("language", String(10), nullable=False, default="en"),
    Column("contact_name", String(300), nullable=False, default=""),
    Column("scenario_code", String(50), nullable=False),
    Column("customer_group", String(200), nullable=False, default=""),
    Column("collector", String(200), nullable=False, default=""),
    # The strategy rule that chose the scenario ("" for the default) and why, as a JSON list of lines.
    Column("scenario_rule", String(200), nullable=False, default=""),
    Column("scenario_explanation", Text, nullable=False, default="[]"),
    # When the event that wrote this row happened: an older event arriving
    # late (a retry, another instance) never overwrites a newer state.
    Column("version_at", DateTime(timezone=True), nullable=False),
)

items = Table(
    "sc_items",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("number", String(100), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("open_amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("product_group", String(200), nullable=False, default=""),
    Column("product", String(200), nullable=False, default=""),
    Column("priority", String(50), nullable=False, default=""),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

# Legal entities' sending windows: automatic actions go out only inside them.
entities = Table(
    "sc_entities",
    metadata,
    Column("entity", String(50), primary_key=True),
    # opendso_scenario.domain.schedule.window_to_dict, as JSON.
    Column("window", Text, nullable=False),
    # The late-payment law its penalties follow ("EU", "FR"...; "" when none is on record).
    Column("late_payment_law", String(10), nullable=False, default=""),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

# Items a collector put in a status (dispute, promise to pay...): most take the item out of the scenario.
item_statuses = Table(
    "sc_item_statuses",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("status_code", String(50), nullable=False),
    Column("since", Date, nullable=False),
    Column("comment", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("set_by", String(200), nullable=False),
    # The qualification that set it, so a retried request is recognised.
    Column("qualification_key", String(300), nullable=False),
)

# Promises to pay, watched until kept or broken.
promises = Table(
    "sc_promises",
    metadata,
    Column("promise_id", String(100), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("item_ids", Text, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("promised_on", Date, nullable=False),
    Column("created_on", Date, nullable=False),
    Column("by_user", String(200), nullable=False),
    # What the items owed when the promise was made: what they owe less since is what was paid.
    Column("open_at_creation", Amount, nullable=False),
    # "pending", "kept" or "broken".
    Column("state", String(20), nullable=False, index=True),
)

# Contacts of customers; the collection contact receives the reminders.
contacts = Table(
    "sc_contacts",
    metadata,
    Column("contact_id", String(600), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(20), nullable=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

tasks = Table(
    "sc_tasks",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("key", String(600), nullable=False, unique=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False, index=True),
    Column("account_number", String(100), nullable=False),
    Column("customer_name", String(300), nullable=False),
    Column("scenario_code", String(50), nullable=False),
    Column("step_code", String(50), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("automatic", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("due_on", Date, nullable=False, index=True),
    Column("leader_item_id", String(250), nullable=False),
    Column("item_ids", Text, nullable=False),
    Column("totals", Text, nullable=False),
    Column("days_overdue", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A scheduled automatic action goes out at this instant (its entity's next open slot).
    Column("send_at", DateTime(timezone=True), nullable=True, index=True),
    Column("collector", String(200), nullable=False, default="", index=True),
    # The largest of the totals: what the agenda sorts and filters by amount on.
    Column("amount", Amount, nullable=True, index=True),
    Column("updated_by", String(200), nullable=False, default=""),
    Column("comment", Text, nullable=False, default=""),
    Index("ix_sc_tasks_status_due", "status", "due_on", "task_id"),
)


# Customers whose items or data changed and who wait to be evaluated. Events
# of one import arrive one by one, on several consumers, in no guaranteed
# order: evaluating after each would act on half a picture (a friendly
# reminder keyed on the newest invoice before the oldest one arrived). A
# customer is evaluated once its changes have settled.
dirty = Table(
    "sc_dirty_customers",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("changed_at", DateTime(timezone=True), nullable=False, index=True),
    # The latest change's trace and cause, so the evaluation (and the e-mail it
    # asks for) continues the trace of the upload that caused it.
    Column("traceparent", String(100), nullable=False, default=""),
    Column("correlation_id", String(64), nullable=False, default=""),
    Column("causation_id", String(64), nullable=False, default=""),
)


@dataclass(frozen=True)
class DirtyCustomer:
    customer_id: str
    changed_at: dt.datetime
    traceparent: str
    correlation_id: str
    causation_id: str


@dataclass(frozen=True)
class CustomerRecord:
    customer_id: str
    entity: str
    account_number: str
    name: str
    email: str
    language: str
    contact_name: str
    scenario_code: str
    customer_group: str = ""
    collector: str = ""
    scenario_rule: str = ""
    scenario_explanation: str = "[]"


@dataclass(frozen=True)
class ItemRecord:
    item_id: str
    customer_id: str
    number: str
    kind: str
    issue_date: dt.date
    due_date: dt.date
    open_amount: Decimal
    currency: str
    product_group: str = ""
    product: str = ""
    priority: str = ""


@dataclass(frozen=True)
class TaskRecord:
    task_id: str
    key: str
    customer_id: str
    entity: str
    account_number: str
    customer_name: str
    scenario_code: str
    step_code: str
    channel: str
    automatic: bool
    status: str
    due_on: dt.date
    leader_item_id: str
    item_ids: tuple[str, ...]
    totals: tuple[tuple[str, str], ...]  # (amount, currency)
    days_overdue: int
    created_at: dt.datetime
    send_at: dt.datetime | None = None
    collector: str = ""
    amount: Decimal | None = None
    updated_by: str = ""
    comment: str = ""


@dataclass(frozen=True)
class AgendaFilter:
    entity: str = ""
    customer_id: str = ""
    channel: str = ""
    status: str = ""
    collector: str = ""
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    automatic: bool | None = None
    # "due_on" (oldest first), "amount" (largest first) or "days_overdue" (most first).
    sort: str = "due_on"


def _task(row: object) -> TaskRecord:
    m = row._mapping  # type: ignore[attr-defined]
    return TaskRecord(
        **{
            k: m[k]
            for k in (
                "task_id",
                "key",
                "customer_id",
                "entity",
                "account_number",
                "customer_name",
                "scenario_code",
                "step_code",
                "channel",
                "automatic",
                "status",
                "due_on",
                "leader_item_id",
                "days_overdue",
                "collector",
                "updated_by",
                "comment",
            )
        },
        amount=None if m["amount"] is None else Decimal(m["amount"]),
        created_at=_aware(m["created_at"]),
        send_at=None if m["send_at"] is None else _aware(m["send_at"]),
        item_ids=tuple(json.loads(m["item_ids"])),
        totals=tuple((a, c) for a, c in json.loads(m["totals"])),
    )


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes for what was stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class ScenarioRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_customer(self, record: CustomerRecord, version_at: dt.datetime) -> None:
        """Store the customer unless a newer version is already stored; its scenario is kept."""
        await self.upsert_customers([record], version_at)

    async def upsert_customers(self, records: list[CustomerRecord], version_at: dt.datetime) -> None:
        rows = [{**r.__dict__, "version_at": version_at} for r in records]
        await self._upsert(
            customers,
            "customer_id",
            rows,
            newer_only=True,
            keep=("scenario_code", "scenario_rule", "scenario_explanation"),
        )

    async def set_scenario(self, customer_id: str, code: str, rule: str, explanation: list[str]) -> None:
        await self.session.execute(
            update(customers)
            .where(customers.c.customer_id == customer_id)
            .values(scenario_code=code, scenario_rule=rule, scenario_explanation=json.dumps(explanation))
        )

    async def upsert_windows(
        self, windows: dict[str, str], version_at: dt.datetime, laws: dict[str, str] | None = None
    ) -> None:
        """Entity -> its sending window as JSON (and its late-payment law)."""
        rows = [
            {"entity": e, "window": w, "late_payment_law": (laws or {}).get(e, ""), "version_at": version_at}
            for e, w in windows.items()
        ]
        await self._upsert(entities, "entity", rows, newer_only=True)

    async def law_of(self, entity: str) -> str:
        found = await self.session.scalar(select(entities.c.late_payment_law).where(entities.c.entity == entity))
        return found or ""

    async def window_of(self, entity: str) -> str | None:
        return await self.session.scalar(select(entities.c.window).where(entities.c.entity == entity))

    async def scheduled_due(self, now: dt.datetime, limit: int) -> list[TaskRecord]:
        rows = await self.session.execute(
            select(tasks)
            .where(tasks.c.status == "scheduled", tasks.c.send_at <= now)
            .order_by(tasks.c.send_at, tasks.c.task_id)
            .limit(limit)
        )
        return [_task(r) for r in rows]

    async def task(self, task_id: str) -> TaskRecord | None:
        row = (await self.session.execute(select(tasks).where(tasks.c.task_id == task_id))).first()
        return None if row is None else _task(row)

    async def mark_dirty(self, change: DirtyCustomer) -> None:
        await self.mark_dirty_many([change])

    async def mark_dirty_many(self, changes: list[DirtyCustomer]) -> None:
        await self._upsert(dirty, "customer_id", [c.__dict__.copy() for c in changes], newer_only=False)

    async def _upsert(
        self, table: Table, key: str, rows: list[dict[str, Any]], *, newer_only: bool, keep: tuple[str, ...] = ()
    ) -> None:
        await upsert_rows(self.session, table, key, rows, newer_only=newer_only, keep=keep)

    async def settled(self, before: dt.datetime, limit: int) -> list[DirtyCustomer]:
        """Dirty customers whose last change is older than ``before``."""
        rows = await self.session.execute(
            select(dirty).where(dirty.c.changed_at <= before).order_by(dirty.c.changed_at).limit(limit)
        )
        return [DirtyCustomer(**r._mapping) for r in rows]

    async def clear_dirty(self, customer_id: str, changed_at: dt.datetime) -> None:
        # Only if nothing changed meanwhile; a newer change keeps it dirty.
        await self.session.execute(
            delete(dirty).where(dirty.c.customer_id == customer_id, dirty.c.changed_at == changed_at)
        )

    async def customer(self, customer_id: str) -> CustomerRecord | None:
        row = (await self.session.execute(select(customers).where(customers.c.customer_id == customer_id))).first()
        if row is None:
            return None
        return CustomerRecord(**{k: v for k, v in row._mapping.items() if k != "version_at"})

    async def upsert_contacts(self, rows: list[dict[str, Any]], version_at: dt.datetime) -> None:
        """Rows of contact_id, customer_id, name, email, role."""
        await self._upsert(contacts, "contact_id", [{**r, "version_at": version_at} for r in rows], newer_only=True)

    async def collection_contact(self, customer_id: str) -> tuple[str, str] | None:
        """(name, e-mail) of the customer's collection contact with an address, if it has one."""
        row = (
            await self.session.execute(
                select(contacts.c.name, contacts.c.email)
                .where(contacts.c.customer_id == customer_id, contacts.c.role == "collection", contacts.c.email != "")
                .order_by(contacts.c.contact_id)
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def upsert_item(self, record: ItemRecord, version_at: dt.datetime) -> None:
        """Store the item unless a newer version is already stored."""
        await self.upsert_items([record], version_at)

    async def upsert_items(self, records: list[ItemRecord], version_at: dt.datetime) -> None:
        await self._upsert(
            items, "item_id", [{**r.__dict__, "version_at": version_at} for r in records], newer_only=True
        )

    async def items_of(self, customer_id: str) -> list[ItemRecord]:
        rows = await self.session.execute(select(items).where(items.c.customer_id == customer_id))
        return [ItemRecord(**{k: v for k, v in r._mapping.items() if k != "version_at"}) for r in rows]

    async def tasks_of(self, customer_id: str) -> list[TaskRecord]:
        rows = await self.session.execute(select(tasks).where(tasks.c.customer_id == customer_id))
        return [_task(r) for r in rows]

    async def task_exists(self, key: str) -> bool:
        return (await self.session.scalar(select(tasks.c.task_id).where(tasks.c.key == key))) is not None

    async def add_task(self, task: TaskRecord) -> None:
        values = task.__dict__.copy()
        values["item_ids"] = json.dumps(list(task.item_ids))
        values["totals"] = json.dumps([list(t) for t in task.totals])
        await self.session.execute(insert(tasks).values(**values))

    async def set_task_status(self, task_id: str, status: str) -> None:
        await self.session.execute(update(tasks).where(tasks.c.task_id == task_id).values(status=status))

    async def customer_ids(self) -> list[str]:
        return list(
            (await self.session.execute(select(customers.c.customer_id).order_by(customers.c.customer_id))).scalars()
        )

    async def agenda(
        self, flt: AgendaFilter, page_size: int, after: tuple[Any, str] | None
    ) -> tuple[list[TaskRecord], int]:
        """A page of tasks in the filter's order, then by id (keyset paging stays fast deep in the list).

        ``after`` is the last row's (sort value, task id) of the previous page.
        """
        conditions: list[Any] = []
        if flt.entity:
            conditions.append(tasks.c.entity == flt.entity)
        if flt.customer_id:
            conditions.append(tasks.c.customer_id == flt.customer_id)
        if flt.channel:
            conditions.append(tasks.c.channel == flt.channel)
        if flt.status:
            conditions.append(tasks.c.status == flt.status)
        if flt.collector:
            conditions.append(tasks.c.collector == flt.collector)
        if flt.min_amount is not None:
            conditions.append(tasks.c.amount >= flt.min_amount)
        if flt.max_amount is not None:
            conditions.append(tasks.c.amount <= flt.max_amount)
        if flt.due_from is not None:
            conditions.append(tasks.c.due_on >= flt.due_from)
        if flt.due_to is not None:
            conditions.append(tasks.c.due_on <= flt.due_to)
        if flt.automatic is not None:
            conditions.append(tasks.c.automatic.is_(flt.automatic))
        total = int(await self.session.scalar(select(func.count()).select_from(tasks).where(*conditions)) or 0)
        column, descending = _SORTS[flt.sort]
        page_q = select(tasks).where(*conditions)
        if after is not None:
            value, task_id = after
            beyond = column < value if descending else column > value
            page_q = page_q.where(or_(beyond, and_(column == value, tasks.c.task_id > task_id)))
        order = column.desc() if descending else column.asc()
        page_q = page_q.order_by(order, tasks.c.task_id).limit(page_size)
        return [_task(r) for r in await self.session.execute(page_q)], total

    async def update_task(self, task_id: str, **values: Any) -> None:
        await self.session.execute(update(tasks).where(tasks.c.task_id == task_id).values(**values))


# Sort name -> (column, largest first). Amount sorts treat a task without an amount as zero.
_SORTS: dict[str, tuple[Any, bool]] = {
    "due_on": (tasks.c.due_on, False),
    "amount": (func.coalesce(tasks.c.amount, 0), True),
    "days_overdue": (tasks.c.days_overdue, True),
}


@dataclass(frozen=True)
class ItemStatusRecord:
    item_id: str
    customer_id: str
    status_code: str
    since: dt.date
    comment: str
    owner: str
    set_by: str
    qualification_key: str


@dataclass(frozen=True)
class PromiseRecord:
    promise_id: str
    customer_id: str
    item_ids: tuple[str, ...]
    amount: Decimal
    currency: str
    promised_on: dt.date
    created_on: dt.date
    by_user: str
    open_at_creation: Decimal
    state: str


class QualificationRepository:
    """Item statuses and promises to pay."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def statuses_of(self, customer_id: str) -> dict[str, ItemStatusRecord]:
        rows = await self.session.execute(select(item_statuses).where(item_statuses.c.customer_id == customer_id))
        return {r.item_id: ItemStatusRecord(**r._mapping) for r in rows}

    async def save_statuses(self, records: list[ItemStatusRecord]) -> None:
        await upsert_rows(self.session, item_statuses, "item_id", [r.__dict__.copy() for r in records])

    async def promise(self, promise_id: str) -> PromiseRecord | None:
        row = (await self.session.execute(select(promises).where(promises.c.promise_id == promise_id))).first()
        return None if row is None else _promise(row)

    async def save_promise(self, record: PromiseRecord) -> None:
        values = {**record.__dict__, "item_ids": json.dumps(list(record.item_ids))}
        await upsert_rows(self.session, promises, "promise_id", [values])

    async def pending_promises(self, deadline_before: dt.date, limit: int) -> list[PromiseRecord]:
        rows = await self.session.execute(
            select(promises)
            .where(promises.c.state == "pending", promises.c.promised_on < deadline_before)
            .order_by(promises.c.promised_on, promises.c.promise_id)
            .limit(limit)
        )
        return [_promise(r) for r in rows]

    async def clear_status(self, item_ids: tuple[str, ...], status_code: str) -> None:
        await self.session.execute(
            delete(item_statuses).where(
                item_statuses.c.item_id.in_(list(item_ids)), item_statuses.c.status_code == status_code
            )
        )

    async def set_promise_state(self, promise_id: str, state: str) -> None:
        await self.session.execute(update(promises).where(promises.c.promise_id == promise_id).values(state=state))


def _promise(row: Any) -> PromiseRecord:
    m = row._mapping
    return PromiseRecord(
        **{k: m[k] for k in ("promise_id", "customer_id", "currency", "promised_on", "created_on", "by_user", "state")},
        item_ids=tuple(json.loads(m["item_ids"])),
        amount=Decimal(m["amount"]),
        open_at_creation=Decimal(m["open_at_creation"]),
    )


class UnitOfWork(SqlUnitOfWork):
    repo: ScenarioRepository

    qualifications: QualificationRepository

    def _open(self) -> None:
        self.repo = ScenarioRepository(self.session)
        self.qualifications = QualificationRepository(self.session)
