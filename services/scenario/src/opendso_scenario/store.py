"""The scenario service's tables and repository. It keeps its own copy of the
customers and items it chases, built from receivables events."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from opendso_db.bulk import insert_rows, upsert_rows
from opendso_db.types import Amount
from opendso_money import Money
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from opendso_scenario.domain.penalties.issuing import PenaltySettings, SettingsBook

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
    # The postal address from the ledger, for letter steps ("" when unknown: a letter falls to a collector).
    Column("street", String(300), nullable=False, default="", server_default=""),
    Column("postal_code", String(30), nullable=False, default="", server_default=""),
    Column("city", String(200), nullable=False, default="", server_default=""),
    Column("country", String(2), nullable=False, default="", server_default=""),
    # The account's sales rep (a user name), to whom disputes owned by the "sales" role are assigned.
    Column("sales_rep", String(200), nullable=False, default="", server_default=""),
    # The first day the daily pass must look at the customer again (its next step's date); null until
    # evaluated. Far in the future when only a change (an item, a payment, a status) can bring an action.
    Column("next_review_on", Date, nullable=True, index=True),
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

# Contacts of customers; the collection contact receives the reminders. A removed contact stays as a
# tombstone (role REMOVED_ROLE, no name or address) holding the version of its removal, so that a change of
# it delivered late cannot bring it back; a later import that lists it again replaces the tombstone.
REMOVED_ROLE = "removed"
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
    street: str = ""
    postal_code: str = ""
    city: str = ""
    # ISO 3166-1 alpha-2, "" when unknown.
    country: str = ""
    sales_rep: str = ""

    def has_postal_address(self) -> bool:
        """Whether a letter can be addressed: a street and a town (or its postcode)."""
        return bool(self.street.strip() and (self.city.strip() or self.postal_code.strip()))


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
class PastTask:
    key: str
    scenario_code: str
    step_code: str
    leader_item_id: str
    created_on: dt.date
    status: str


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


def _customer(row: Any) -> CustomerRecord:
    return CustomerRecord(**{k: v for k, v in row._mapping.items() if k not in ("version_at", "next_review_on")})


def _chunks(keys: list[str], size: int = 500) -> Iterator[list[str]]:
    # Well under every backend's limit of parameters in one statement.
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


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
        return _customer(row)

    async def upsert_contacts(self, rows: list[dict[str, Any]], version_at: dt.datetime) -> None:
        """Rows of contact_id, customer_id, name, email, role."""
        await self._upsert(contacts, "contact_id", [{**r, "version_at": version_at} for r in rows], newer_only=True)

    async def remove_contacts(self, customer_of: dict[str, str], version_at: dt.datetime) -> None:
        """Remove these contacts (contact id -> customer id) unless a newer version of one is stored."""
        tombstones = [
            {"contact_id": c, "customer_id": customer, "name": "", "email": "", "role": REMOVED_ROLE}
            for c, customer in customer_of.items()
        ]
        await self.upsert_contacts(tombstones, version_at)

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

    async def tasks_in_status(self, customer_ids: list[str], status: str) -> list[TaskRecord]:
        found: list[TaskRecord] = []
        for chunk in _chunks(customer_ids):
            rows = await self.session.execute(
                select(tasks).where(tasks.c.customer_id.in_(chunk), tasks.c.status == status).order_by(tasks.c.task_id)
            )
            found.extend(_task(r) for r in rows)
        return found

    async def task_exists(self, key: str) -> bool:
        return (await self.session.scalar(select(tasks.c.task_id).where(tasks.c.key == key))) is not None

    async def add_task(self, task: TaskRecord) -> None:
        values = task.__dict__.copy()
        values["item_ids"] = json.dumps(list(task.item_ids))
        values["totals"] = json.dumps([list(t) for t in task.totals])
        await self.session.execute(insert(tasks).values(**values))

    async def set_task_status(self, task_id: str, status: str) -> None:
        await self.session.execute(update(tasks).where(tasks.c.task_id == task_id).values(status=status))

    async def customers_by_id(self, customer_ids: list[str]) -> dict[str, CustomerRecord]:
        found: dict[str, CustomerRecord] = {}
        for chunk in _chunks(customer_ids):
            rows = await self.session.execute(select(customers).where(customers.c.customer_id.in_(chunk)))
            found.update((r.customer_id, _customer(r)) for r in rows)
        return found

    async def collection_contacts(self, customer_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Customer -> (name, e-mail) of its collection contact with an address, for those that have one."""
        found: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(customer_ids):
            rows = await self.session.execute(
                select(contacts.c.customer_id, contacts.c.name, contacts.c.email)
                .where(contacts.c.customer_id.in_(chunk), contacts.c.role == "collection", contacts.c.email != "")
                .order_by(contacts.c.customer_id, contacts.c.contact_id)
            )
            for customer_id, name, email in rows:
                found.setdefault(customer_id, (name, email))
        return found

    async def items_of_many(self, customer_ids: list[str]) -> dict[str, list[ItemRecord]]:
        found: dict[str, list[ItemRecord]] = {c: [] for c in customer_ids}
        # In the record's field order, so rows become records by position: a daily pass reads a million.
        columns = [items.c[f.name] for f in fields(ItemRecord)]
        for chunk in _chunks(customer_ids):
            rows = await self.session.execute(select(*columns).where(items.c.customer_id.in_(chunk)))
            for r in rows:
                found[r[1]].append(ItemRecord(*r))
        return found

    async def past_tasks(self, customer_ids: list[str]) -> dict[str, list[PastTask]]:
        """What was already planned for these customers: enough to know what is performed and what exists."""
        found: dict[str, list[PastTask]] = {c: [] for c in customer_ids}
        for chunk in _chunks(customer_ids):
            rows = await self.session.execute(
                select(
                    tasks.c.customer_id,
                    tasks.c.key,
                    tasks.c.scenario_code,
                    tasks.c.step_code,
                    tasks.c.leader_item_id,
                    tasks.c.created_at,
                    tasks.c.status,
                ).where(tasks.c.customer_id.in_(chunk))
            )
            for customer_id, key, scenario_code, step_code, leader, created_at, status in rows:
                found[customer_id].append(PastTask(key, scenario_code, step_code, leader, created_at.date(), status))
        return found

    async def add_tasks(self, records: list[TaskRecord]) -> None:
        rows = []
        for task in records:
            values = task.__dict__.copy()
            values["item_ids"] = json.dumps(list(task.item_ids))
            values["totals"] = json.dumps([list(t) for t in task.totals])
            rows.append(values)
        await insert_rows(self.session, tasks, rows)

    async def set_scenarios(self, assignments: list[tuple[str, str, str, list[str]]]) -> None:
        """(customer id, scenario code, rule, explanation) of customers whose assignment changed."""
        if assignments:
            await self.session.execute(
                update(customers)
                .where(customers.c.customer_id == bindparam("b_customer"))
                .values(scenario_code=bindparam("b_code"), scenario_rule=bindparam("b_rule"))
                .values(scenario_explanation=bindparam("b_explanation")),
                [
                    {"b_customer": c, "b_code": code, "b_rule": rule, "b_explanation": json.dumps(explanation)}
                    for c, code, rule, explanation in assignments
                ],
            )

    async def set_next_reviews(self, reviews: dict[str, dt.date]) -> None:
        if reviews:
            await self.session.execute(
                update(customers)
                .where(customers.c.customer_id == bindparam("b_customer"))
                .values(next_review_on=bindparam("b_on")),
                [{"b_customer": c, "b_on": on} for c, on in reviews.items()],
            )

    async def due_for_review(self, today: dt.date) -> list[str]:
        """Customers the daily pass must evaluate: their next step's day has come, or they were never evaluated."""
        rows = await self.session.execute(
            select(customers.c.customer_id)
            .where(or_(customers.c.next_review_on.is_(None), customers.c.next_review_on <= today))
            .order_by(customers.c.customer_id)
        )
        return list(rows.scalars())

    async def review_all(self) -> None:
        """Every customer is looked at by the next daily pass (scenarios or rules changed)."""
        await self.session.execute(update(customers).values(next_review_on=None))

    async def clear_dirty_many(self, changes: list[DirtyCustomer]) -> None:
        if changes:
            await self.session.execute(
                delete(dirty).where(
                    dirty.c.customer_id == bindparam("b_customer"), dirty.c.changed_at == bindparam("b_changed")
                ),
                [{"b_customer": c.customer_id, "b_changed": c.changed_at} for c in changes],
            )

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


_STATUS_FIELDS = tuple(f.name for f in fields(ItemStatusRecord))


class QualificationRepository:
    """Item statuses and promises to pay."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def statuses_of_many(self, customer_ids: list[str]) -> dict[str, dict[str, ItemStatusRecord]]:
        found: dict[str, dict[str, ItemStatusRecord]] = {}
        for chunk in _chunks(customer_ids):
            rows = await self.session.execute(select(item_statuses).where(item_statuses.c.customer_id.in_(chunk)))
            for r in rows:
                found.setdefault(r.customer_id, {})[r.item_id] = ItemStatusRecord(**r._mapping)
        return found

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

    async def in_status(self, status_code: str, entity: str = "", customer_id: str = "") -> list[ItemStatusRecord]:
        """Every item in ``status_code`` of one entity's customers ("" : all) or one customer ("" : all)."""
        query = select(item_statuses).where(item_statuses.c.status_code == status_code)
        if customer_id:
            query = query.where(item_statuses.c.customer_id == customer_id)
        if entity:
            query = query.join(customers, customers.c.customer_id == item_statuses.c.customer_id).where(
                customers.c.entity == entity
            )
        rows = await self.session.execute(query.order_by(item_statuses.c.since.desc(), item_statuses.c.item_id))
        return [ItemStatusRecord(**{k: r._mapping[k] for k in _STATUS_FIELDS}) for r in rows]

    async def promises_of(self, customer_id: str) -> list[PromiseRecord]:
        """Every promise of the customer, pending, kept or broken, oldest promised day first."""
        rows = await self.session.execute(
            select(promises)
            .where(promises.c.customer_id == customer_id)
            .order_by(promises.c.promised_on, promises.c.promise_id)
        )
        return [_promise(r) for r in rows]


def _promise(row: Any) -> PromiseRecord:
    m = row._mapping
    return PromiseRecord(
        **{k: m[k] for k in ("promise_id", "customer_id", "currency", "promised_on", "created_on", "by_user", "state")},
        item_ids=tuple(json.loads(m["item_ids"])),
        amount=Decimal(m["amount"]),
        open_at_creation=Decimal(m["open_at_creation"]),
    )


# Addresses (e-mail, phone numbers) a provider reported unusable: a hard bounce, a complaint, a number that
# cannot take the channel. Automatic messages are not sent to them; a collector takes the step instead. Keyed by
# the address itself (case-folded), since it is the address that bounces, whichever customer it belongs to.
bounced_addresses = Table(
    "sc_bounced_addresses",
    metadata,
    Column("address", String(320), primary_key=True),
    Column("channel", String(30), nullable=False),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("reason", Text, nullable=False, default=""),
    Column("message_key", String(600), nullable=False, default=""),
    Column("bounced_at", DateTime(timezone=True), nullable=False),
)

# Sent tasks whose message was asked to be cancelled (CancelMessage, its items paid while it waited): asked once
# per task, whatever item events follow; the task itself stays "sent" until MessageCancelled or MessageSent.
cancel_requests = Table(
    "sc_cancel_requests",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("message_key", String(600), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("requested_at", DateTime(timezone=True), nullable=False),
)


class CancelRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def requested_among(self, task_ids: list[str]) -> set[str]:
        """Which of these tasks had their message's cancellation asked for already."""
        found: set[str] = set()
        for chunk in _chunks(task_ids):
            rows = await self.session.execute(
                select(cancel_requests.c.task_id).where(cancel_requests.c.task_id.in_(chunk))
            )
            found.update(rows.scalars())
        return found

    async def add(self, task_id: str, message_key: str, reason: str, requested_at: dt.datetime) -> None:
        await self.session.execute(
            insert(cancel_requests).values(
                task_id=task_id, message_key=message_key, reason=reason, requested_at=requested_at
            )
        )


@dataclass(frozen=True)
class BouncedAddress:
    address: str
    channel: str
    customer_id: str
    reason: str
    message_key: str
    bounced_at: dt.datetime


def address_key(address: str) -> str:
    """How an address is stored and compared: mailbox names are case-insensitive in practice."""
    return address.strip().casefold()


class BouncedAddressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def flag(self, record: BouncedAddress) -> bool:
        """Flag the address unless it is flagged already (the first report is kept); answers whether it was new."""
        key = address_key(record.address)
        if await self.session.scalar(select(bounced_addresses.c.address).where(bounced_addresses.c.address == key)):
            return False
        await self.session.execute(insert(bounced_addresses).values(**{**record.__dict__, "address": key}))
        return True

    async def bounced_among(self, addresses: list[str]) -> set[str]:
        """Which of these addresses are flagged, as given."""
        by_key: dict[str, list[str]] = {}
        for address in addresses:
            if address:
                by_key.setdefault(address_key(address), []).append(address)
        found: set[str] = set()
        for chunk in _chunks(list(by_key)):
            rows = await self.session.execute(
                select(bounced_addresses.c.address).where(bounced_addresses.c.address.in_(chunk))
            )
            found.update(a for key in rows.scalars() for a in by_key[key])
        return found


# What people outside the collection team said (a debtor's comment or declared payment, a colleague's answer on a
# dispute, a partner's outcome), one row per request key. The reply is kept as sent, so a retried request answers
# it again without doing anything twice.
notes = Table(
    "sc_notes",
    metadata,
    Column("note_id", String(64), primary_key=True),
    Column("key", String(600), nullable=False, unique=True),
    Column("kind", String(30), nullable=False),
    Column("customer_id", String(200), nullable=False, index=True),
    # JSON list of item ids.
    Column("item_ids", Text, nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("by_user", String(200), nullable=False),
    Column("case_id", String(64), nullable=False, default="", index=True),
    # A declared payment keeps its items out of the scenario until this day (excluded); NULL for other notes.
    Column("paused_until", Date, nullable=True, index=True),
    Column("task_id", String(64), nullable=False, default=""),
    Column("reply", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class NoteRecord:
    note_id: str
    key: str
    kind: str
    customer_id: str
    item_ids: tuple[str, ...]
    text: str
    by_user: str
    reply: bytes
    created_at: dt.datetime
    case_id: str = ""
    paused_until: dt.date | None = None
    task_id: str = ""


def _note(row: Any) -> NoteRecord:
    m = dict(row._mapping)
    m["item_ids"] = tuple(json.loads(m["item_ids"]))
    m["created_at"] = _aware(m["created_at"])
    m["reply"] = bytes(m["reply"])
    return NoteRecord(**m)


class NoteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_key(self, key: str) -> NoteRecord | None:
        row = (await self.session.execute(select(notes).where(notes.c.key == key))).first()
        return None if row is None else _note(row)

    async def add(self, record: NoteRecord) -> None:
        await self.session.execute(
            insert(notes).values(**{**record.__dict__, "item_ids": json.dumps(list(record.item_ids))})
        )

    async def notes_of(self, customer_id: str, kind: str) -> list[NoteRecord]:
        """The customer's notes of one kind, oldest first."""
        rows = await self.session.execute(
            select(notes)
            .where(notes.c.customer_id == customer_id, notes.c.kind == kind)
            .order_by(notes.c.created_at, notes.c.note_id)
        )
        return [_note(r) for r in rows]

    async def notes_of_many(self, customer_ids: list[str], kind: str) -> dict[str, list[NoteRecord]]:
        """Per customer, its notes of one kind, oldest first."""
        found: dict[str, list[NoteRecord]] = {}
        for chunk in _chunks(customer_ids):
            rows = await self.session.execute(
                select(notes)
                .where(notes.c.customer_id.in_(chunk), notes.c.kind == kind)
                .order_by(notes.c.created_at, notes.c.note_id)
            )
            for r in rows:
                found.setdefault(r.customer_id, []).append(_note(r))
        return found

    async def pauses_of(self, customer_ids: list[str], today: dt.date) -> dict[str, dict[str, dt.date]]:
        """Per customer, the items a declared payment still keeps out of the scenario, with the day it ends."""
        found: dict[str, dict[str, dt.date]] = {}
        for chunk in _chunks(customer_ids):
            rows = await self.session.execute(
                select(notes.c.customer_id, notes.c.item_ids, notes.c.paused_until).where(
                    notes.c.customer_id.in_(chunk), notes.c.paused_until > today
                )
            )
            for customer_id, item_ids, until in rows:
                items = found.setdefault(customer_id, {})
                for item_id in json.loads(item_ids):
                    items[item_id] = max(until, items.get(item_id, until))
        return found


class UnitOfWork(SqlUnitOfWork):
    repo: ScenarioRepository

    bounces: BouncedAddressRepository

    cancel_requests: CancelRequestRepository

    qualifications: QualificationRepository

    scenarios: ScenarioDefinitionRepository

    escalations: EscalationRepository

    plans: PlanRepository

    penalties: PenaltyRepository

    notes: NoteRepository

    settings: SettingsRepository

    def _open(self) -> None:
        self.settings = SettingsRepository(self.session)
        self.notes = NoteRepository(self.session)
        self.penalties = PenaltyRepository(self.session)
        self.scenarios = ScenarioDefinitionRepository(self.session)
        self.repo = ScenarioRepository(self.session)
        self.bounces = BouncedAddressRepository(self.session)
        self.cancel_requests = CancelRequestRepository(self.session)
        self.qualifications = QualificationRepository(self.session)
        self.escalations = EscalationRepository(self.session)
        self.plans = PlanRepository(self.session)


# Payment plans: their instalments are chased as items of kind "instalment" in sc_items, the covered
# items carry the "payment_plan" status while the plan is active.
payment_plans = Table(
    "sc_payment_plans",
    metadata,
    Column("plan_id", String(100), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    # "active", "completed", "broken" or "cancelled".
    Column("state", String(20), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("total", Amount, nullable=False),
    # What the covered items owe less than when the plan was made, as last applied to the instalments.
    Column("paid", Amount, nullable=False),
    # "monthly", "weekly" or "schedule".
    Column("frequency", String(20), nullable=False),
    Column("first_date", Date, nullable=False),
    Column("created_on", Date, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    # The client's Idempotency-Key ("" without one): a retried request answers this plan.
    Column("idempotency_key", String(200), nullable=False),
    # Due date of the first instalment still owing: the missed-instalment check reads only plans past it.
    Column("next_due", Date, nullable=True, index=True),
    Column("ended_on", Date, nullable=True),
    Column("end_reason", Text, nullable=False),
)

plan_items = Table(
    "sc_plan_items",
    metadata,
    Column("plan_id", String(100), primary_key=True),
    Column("item_id", String(250), primary_key=True),
    # What the item owed when the plan was made: what it owes less since is what was paid towards the plan.
    Column("open_at_creation", Amount, nullable=False),
    Index("ix_sc_plan_items_item_id", "item_id"),
)

plan_instalments = Table(
    "sc_plan_instalments",
    metadata,
    Column("plan_id", String(100), primary_key=True),
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("item_id", String(250), nullable=False, unique=True),
    Column("number", String(100), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount", Amount, nullable=False),
)


@dataclass(frozen=True)
class PlanRecord:
    plan_id: str
    customer_id: str
    entity: str
    state: str
    currency: str
    total: Decimal
    paid: Decimal
    frequency: str
    first_date: dt.date
    created_on: dt.date
    created_by: str
    comment: str
    idempotency_key: str
    next_due: dt.date | None
    ended_on: dt.date | None = None
    end_reason: str = ""


@dataclass(frozen=True)
class PlanInstalmentRecord:
    plan_id: str
    sequence: int
    item_id: str
    number: str
    due_date: dt.date
    amount: Decimal


def _plan(row: Any) -> PlanRecord:
    m = dict(row._mapping)
    return PlanRecord(**{**m, "total": Decimal(m["total"]), "paid": Decimal(m["paid"])})


class PlanRepository:
    """Payment plans, the items they cover and their instalments."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_plan(
        self, plan: PlanRecord, covered: dict[str, Decimal], instalments: list[PlanInstalmentRecord]
    ) -> None:
        await self.session.execute(insert(payment_plans).values(**plan.__dict__))
        await self.session.execute(
            insert(plan_items),
            [{"plan_id": plan.plan_id, "item_id": k, "open_at_creation": v} for k, v in covered.items()],
        )
        await self.session.execute(insert(plan_instalments), [i.__dict__.copy() for i in instalments])

    async def plan(self, plan_id: str) -> PlanRecord | None:
        row = (await self.session.execute(select(payment_plans).where(payment_plans.c.plan_id == plan_id))).first()
        return None if row is None else _plan(row)

    async def plan_by_key(self, customer_id: str, idempotency_key: str) -> PlanRecord | None:
        row = (
            await self.session.execute(
                select(payment_plans).where(
                    payment_plans.c.customer_id == customer_id, payment_plans.c.idempotency_key == idempotency_key
                )
            )
        ).first()
        return None if row is None else _plan(row)

    async def plans_of(self, customer_id: str, include_ended: bool) -> list[PlanRecord]:
        """Newest first."""
        q = select(payment_plans).where(payment_plans.c.customer_id == customer_id)
        if not include_ended:
            q = q.where(payment_plans.c.state == "active")
        rows = await self.session.execute(q.order_by(payment_plans.c.created_on.desc(), payment_plans.c.plan_id))
        return [_plan(r) for r in rows]

    async def covered_of(self, plan_id: str) -> dict[str, Decimal]:
        """Covered item id -> what it owed when the plan was made, by item id."""
        rows = await self.session.execute(
            select(plan_items.c.item_id, plan_items.c.open_at_creation)
            .where(plan_items.c.plan_id == plan_id)
            .order_by(plan_items.c.item_id)
        )
        return {r.item_id: Decimal(r.open_at_creation) for r in rows}

    async def instalments_of(self, plan_id: str) -> list[PlanInstalmentRecord]:
        """In the order payments are applied to them: by due date, the down payment first."""
        rows = await self.session.execute(
            select(plan_instalments)
            .where(plan_instalments.c.plan_id == plan_id)
            .order_by(plan_instalments.c.due_date, plan_instalments.c.sequence)
        )
        return [PlanInstalmentRecord(**{**r._mapping, "amount": Decimal(r.amount)}) for r in rows]

    async def active_cover(self, item_ids: list[str]) -> dict[str, str]:
        """Item id -> the active plan covering it, for those of ``item_ids`` an active plan covers."""
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(item_ids))
        for start in range(0, len(ids), 500):
            rows = await self.session.execute(
                select(plan_items.c.item_id, plan_items.c.plan_id)
                .join(payment_plans, payment_plans.c.plan_id == plan_items.c.plan_id)
                .where(plan_items.c.item_id.in_(ids[start : start + 500]), payment_plans.c.state == "active")
            )
            found.update({r.item_id: r.plan_id for r in rows})
        return found

    async def plans_to_check(self, due_before: dt.date, limit: int) -> list[PlanRecord]:
        """Active plans with an instalment still owing that fell due before ``due_before``."""
        rows = await self.session.execute(
            select(payment_plans)
            .where(payment_plans.c.state == "active", payment_plans.c.next_due < due_before)
            .order_by(payment_plans.c.next_due, payment_plans.c.plan_id)
            .limit(limit)
        )
        return [_plan(r) for r in rows]

    async def update_plan(self, plan_id: str, **values: Any) -> None:
        await self.session.execute(update(payment_plans).where(payment_plans.c.plan_id == plan_id).values(**values))

    async def set_instalment_open(self, item_id: str, open_amount: Decimal) -> None:
        # The service is the only writer of an instalment's row, so no version check is needed.
        await self.session.execute(update(items).where(items.c.item_id == item_id).values(open_amount=open_amount))


# Scenario definitions, created and edited by credit managers; the shipped ones are seeded when absent.
scenario_definitions = Table(
    "sc_scenarios",
    metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(200), nullable=False),
    # The customers' language it is written for; "" for any.
    Column("language", String(10), nullable=False, default=""),
    # opendso_scenario.domain.scenario_codec.scenario_to_json.
    Column("definition", Text, nullable=False),
    # Incremented by every save and by the deletion: a save names the version it edits.
    Column("version", Integer, nullable=False),
    Column("builtin", Boolean, nullable=False, default=False),
    # Kept, not removed, so that a deleted shipped scenario is not seeded again at the next start.
    Column("deleted", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False, default=""),
    # The idempotency key of the save that wrote this version, so a retried save is recognised.
    Column("request_key", String(200), nullable=False, default=""),
)


@dataclass(frozen=True)
class StoredScenario:
    code: str
    name: str
    language: str
    definition: str
    version: int
    builtin: bool
    deleted: bool
    updated_at: dt.datetime
    updated_by: str
    request_key: str = ""


def _stored_scenario(row: Any) -> StoredScenario:
    m = row._mapping
    return StoredScenario(**{**m, "updated_at": _aware(m["updated_at"])})


class ScenarioDefinitionRepository:
    """Scenario definitions. Writes never overwrite blindly: an insert skips an existing code and an update
    applies only to the version it names (optimistic concurrency); both say whether they applied."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self, *, include_deleted: bool = False) -> list[StoredScenario]:
        query = select(scenario_definitions).order_by(scenario_definitions.c.code)
        if not include_deleted:
            query = query.where(scenario_definitions.c.deleted.is_(False))
        return [_stored_scenario(r) for r in await self.session.execute(query)]

    async def get(self, code: str) -> StoredScenario | None:
        """The scenario's row, deleted or not."""
        row = (
            await self.session.execute(select(scenario_definitions).where(scenario_definitions.c.code == code))
        ).first()
        return None if row is None else _stored_scenario(row)

    async def insert(self, record: StoredScenario) -> bool:
        """Store a new code; False (and nothing written) when the code is already stored, even concurrently."""
        return bool(await self._insert_absent([record]))

    async def seed(self, records: list[StoredScenario]) -> list[str]:
        """Store the codes that have no row, deleted or not; answers those written. Never overwrites an edit."""
        return await self._insert_absent(records)

    async def update(self, record: StoredScenario, expected_version: int) -> bool:
        """Replace the row if it is still at ``expected_version``; False when someone saved in between."""
        values = {k: v for k, v in record.__dict__.items() if k != "code"}
        result = await self.session.execute(
            update(scenario_definitions)
            .where(scenario_definitions.c.code == record.code, scenario_definitions.c.version == expected_version)
            .values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def customers_on(self, code: str) -> list[str]:
        """Customers whose stored assignment is this scenario."""
        rows = await self.session.execute(
            select(customers.c.customer_id).where(customers.c.scenario_code == code).order_by(customers.c.customer_id)
        )
        return list(rows.scalars())

    async def _insert_absent(self, records: list[StoredScenario]) -> list[str]:
        if not records:
            return []
        connection = await self.session.connection()
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        written = []
        for record in records:
            # ON CONFLICT DO NOTHING: a concurrent insert of the same code (two instances seeding at once)
            # neither fails the transaction nor overwrites.
            result = await self.session.execute(
                dialect.insert(scenario_definitions).values(**record.__dict__).on_conflict_do_nothing()
            )
            if result.rowcount:  # type: ignore[attr-defined]
                written.append(record.code)
        return written


# Cases handed to a partner (call centre, legal partner, debt buyer). While a case is open its items carry the
# kind's status, which takes them out of the scenario; withdrawing it gives them back their earlier status.
escalations = Table(
    "sc_escalations",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("partner_kind", String(20), nullable=False),
    Column("partner_id", String(200), nullable=False, default=""),
    # JSON list of the items as escalated, each with the status it had before (restored on withdrawal).
    Column("items", Text, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("escalated_by", String(200), nullable=False),
    Column("escalated_on", Date, nullable=False),
    Column("task_id", String(64), nullable=False, default=""),
    # "open" or "withdrawn".
    Column("state", String(20), nullable=False, index=True),
    # Customer, kind and items of an open case; NULL once withdrawn. Unique, so two concurrent identical
    # escalations cannot both open a case (NULLs never collide, so withdrawn cases do not block a new one).
    Column("active_key", String(300), nullable=True, unique=True),
    Column("withdrawn_by", String(200), nullable=False, default=""),
    Column("withdrawn_on", Date, nullable=True),
    Column("withdraw_reason", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class EscalatedItemRecord:
    item_id: str
    number: str
    due_date: dt.date
    open_amount: Decimal
    currency: str
    previous_status: ItemStatusRecord | None = None


@dataclass(frozen=True)
class EscalationRecord:
    case_id: str
    customer_id: str
    entity: str
    partner_kind: str
    partner_id: str
    items: tuple[EscalatedItemRecord, ...]
    note: str
    escalated_by: str
    escalated_on: dt.date
    task_id: str
    state: str
    active_key: str | None
    created_at: dt.datetime
    withdrawn_by: str = ""
    withdrawn_on: dt.date | None = None
    withdraw_reason: str = ""


def _escalated_items_json(records: tuple[EscalatedItemRecord, ...]) -> str:
    out = []
    for r in records:
        previous = r.previous_status
        out.append(
            {
                "item_id": r.item_id,
                "number": r.number,
                "due_date": r.due_date.isoformat(),
                # A string: the exact decimal, never a float.
                "open_amount": str(r.open_amount),
                "currency": r.currency,
                "previous_status": None
                if previous is None
                else {**previous.__dict__, "since": previous.since.isoformat()},
            }
        )
    return json.dumps(out)


def _escalated_items(text: str) -> tuple[EscalatedItemRecord, ...]:
    out = []
    for raw in json.loads(text):
        previous = raw["previous_status"]
        out.append(
            EscalatedItemRecord(
                item_id=raw["item_id"],
                number=raw["number"],
                due_date=dt.date.fromisoformat(raw["due_date"]),
                open_amount=Decimal(raw["open_amount"]),
                currency=raw["currency"],
                previous_status=None
                if previous is None
                else ItemStatusRecord(**{**previous, "since": dt.date.fromisoformat(previous["since"])}),
            )
        )
    return tuple(out)


def _escalation(row: Any) -> EscalationRecord:
    m = dict(row._mapping)
    m["items"] = _escalated_items(m["items"])
    m["created_at"] = _aware(m["created_at"])
    return EscalationRecord(**m)


class EscalationRepository:
    """Cases escalated to partners."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: EscalationRecord) -> None:
        values = {**record.__dict__, "items": _escalated_items_json(record.items)}
        await self.session.execute(insert(escalations).values(**values))

    async def case(self, case_id: str) -> EscalationRecord | None:
        row = (await self.session.execute(select(escalations).where(escalations.c.case_id == case_id))).first()
        return None if row is None else _escalation(row)

    async def open_case(self, active_key: str) -> EscalationRecord | None:
        row = (await self.session.execute(select(escalations).where(escalations.c.active_key == active_key))).first()
        return None if row is None else _escalation(row)

    async def cases_of(self, customer_id: str, *, open_only: bool = False) -> list[EscalationRecord]:
        """The customer's cases, oldest first."""
        query = select(escalations).where(escalations.c.customer_id == customer_id)
        if open_only:
            query = query.where(escalations.c.state == "open")
        rows = await self.session.execute(query.order_by(escalations.c.created_at, escalations.c.case_id))
        return [_escalation(r) for r in rows]

    async def cases_of_partner(self, partner_id: str, *, include_withdrawn: bool, limit: int) -> list[EscalationRecord]:
        """The partner's cases, newest first."""
        query = select(escalations).where(escalations.c.partner_id == partner_id)
        if not include_withdrawn:
            query = query.where(escalations.c.state == "open")
        rows = await self.session.execute(
            query.order_by(escalations.c.created_at.desc(), escalations.c.case_id).limit(limit)
        )
        return [_escalation(r) for r in rows]

    async def withdraw(self, case_id: str, by: str, on: dt.date, reason: str) -> None:
        await self.session.execute(
            update(escalations)
            .where(escalations.c.case_id == case_id)
            .values(state="withdrawn", active_key=None, withdrawn_by=by, withdrawn_on=on, withdraw_reason=reason)
        )


# Late-payment penalty settings of an entity (scope = its code, account "") or of a customer (scope = its id).
# A null flag or minimum leaves the choice to the level above.
penalty_settings = Table(
    "sc_penalty_settings",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("entity", String(50), nullable=False, index=True),
    Column("account_number", String(100), nullable=False),
    Column("issue_items", Boolean, nullable=True),
    Column("exempt_interest", Boolean, nullable=True),
    Column("exempt_compensation", Boolean, nullable=True),
    Column("law", String(10), nullable=False),
    Column("minimum_interest", Amount, nullable=True),
    Column("minimum_currency", String(3), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# What the penalty pass knows of each invoice it watches: the scenario service keeps only an item's current open
# amount, so the payments interest depends on are recorded here as the pass sees the open amount fall.
penalty_invoices = Table(
    "sc_penalty_invoices",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("number", String(100), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    # The open amount when first seen overdue: payments before that are not known and not needed (interest
    # starts after the due date).
    Column("principal", Amount, nullable=False),
    # JSON list of [date, amount] partial payments, dated by the ledger change that showed them.
    Column("payments", Text, nullable=False),
    Column("paid_on", Date, nullable=True),
    # The item row's version_at when last read, and the day: a changed row or a new day is looked at again.
    Column("seen_version", DateTime(timezone=True), nullable=False),
    Column("checked_on", Date, nullable=False),
    # Nothing more can be issued (paid and its last period settled, or paid before it was ever watched).
    Column("closed", Boolean, nullable=False),
)

# Penalty items issued. The id is derived from invoice, kind and period end, so a replay or a second instance
# inserts nothing and publishes nothing.
issued_penalties = Table(
    "sc_issued_penalties",
    metadata,
    Column("penalty_id", String(64), primary_key=True),
    Column("item_id", String(250), nullable=False, index=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("number", String(100), nullable=False),
    # "interest" or "compensation".
    Column("kind", String(20), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("law", String(10), nullable=False),
    # JSON list of the rates used (period, start, end, reference rate, points, rate, fixed on).
    Column("rates", Text, nullable=False),
    Column("basis", Text, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class PenaltySettingsRecord:
    entity: str
    account_number: str
    """"" for the entity's own settings."""
    settings: PenaltySettings
    updated_by: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class WatchedInvoiceRecord:
    item_id: str
    customer_id: str
    number: str
    due_date: dt.date
    currency: str
    principal: Decimal
    payments: tuple[tuple[dt.date, Decimal], ...]
    paid_on: dt.date | None
    seen_version: dt.datetime
    checked_on: dt.date
    closed: bool


@dataclass(frozen=True)
class IssuedPenaltyRecord:
    penalty_id: str
    item_id: str
    customer_id: str
    entity: str
    number: str
    kind: str
    amount: Decimal
    currency: str
    period_from: dt.date
    period_to: dt.date
    law: str
    rates: str
    basis: str
    issued_on: dt.date
    created_at: dt.datetime


def _penalty_settings(row: Any) -> PenaltySettingsRecord:
    m = row._mapping
    minimum = None if m["minimum_interest"] is None else Money(Decimal(m["minimum_interest"]), m["minimum_currency"])
    return PenaltySettingsRecord(
        entity=m["entity"],
        account_number=m["account_number"],
        settings=PenaltySettings(
            issue_items=m["issue_items"],
            exempt_interest=m["exempt_interest"],
            exempt_compensation=m["exempt_compensation"],
            law=m["law"],
            minimum_interest=minimum,
        ),
        updated_by=m["updated_by"],
        updated_at=_aware(m["updated_at"]),
    )


def _watched(row: Any) -> WatchedInvoiceRecord:
    m = dict(row._mapping)
    m["principal"] = Decimal(m["principal"])
    m["payments"] = tuple((dt.date.fromisoformat(d), Decimal(a)) for d, a in json.loads(m["payments"]))
    m["seen_version"] = _aware(m["seen_version"])
    return WatchedInvoiceRecord(**m)


class PenaltyRepository:
    """Penalty settings, the invoices the penalty pass watches and the penalty items issued."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def book_for(self, customers: list[tuple[str, str]]) -> SettingsBook:
        """The settings of these (entity, account number) customers and of their entities, read at once for a
        batch of reminders."""
        entities = sorted({entity for entity, _ in customers})
        accounts = sorted({account for _, account in customers} | {""})
        found: dict[tuple[str, str], PenaltySettings] = {}
        for chunk in _chunks(accounts):
            rows = await self.session.execute(
                select(penalty_settings).where(
                    penalty_settings.c.entity.in_(entities), penalty_settings.c.account_number.in_(chunk)
                )
            )
            found.update(((r.entity, r.account_number), r.settings) for r in map(_penalty_settings, rows))
        return SettingsBook(found)

    async def settings(self, entity: str, account_number: str) -> PenaltySettingsRecord | None:
        row = (
            await self.session.execute(
                select(penalty_settings).where(
                    penalty_settings.c.entity == entity, penalty_settings.c.account_number == account_number
                )
            )
        ).first()
        return None if row is None else _penalty_settings(row)

    async def save_settings(self, record: PenaltySettingsRecord) -> None:
        s = record.settings
        row = {
            "scope": f"{record.entity}/{record.account_number}" if record.account_number else record.entity,
            "entity": record.entity,
            "account_number": record.account_number,
            "issue_items": s.issue_items,
            "exempt_interest": s.exempt_interest,
            "exempt_compensation": s.exempt_compensation,
            "law": s.law,
            "minimum_interest": None if s.minimum_interest is None else s.minimum_interest.amount,
            "minimum_currency": "" if s.minimum_interest is None else s.minimum_interest.currency,
            "updated_by": record.updated_by,
            "updated_at": record.updated_at,
        }
        await upsert_rows(self.session, penalty_settings, "scope", [row])

    async def customers_to_check(self, today: dt.date, limit: int) -> list[str]:
        """Customers issuing penalty items with an overdue invoice not yet watched, or watched, not settled and
        changed or not looked at today."""
        own = penalty_settings.alias("own")
        ent = penalty_settings.alias("ent")
        issuing = or_(own.c.issue_items.is_(True), and_(own.c.issue_items.is_(None), ent.c.issue_items.is_(True)))
        watched = penalty_invoices
        query = (
            select(items.c.customer_id)
            .distinct()
            .select_from(
                items.join(customers, customers.c.customer_id == items.c.customer_id)
                .outerjoin(
                    own, and_(own.c.entity == customers.c.entity, own.c.account_number == customers.c.account_number)
                )
                .outerjoin(ent, and_(ent.c.entity == customers.c.entity, ent.c.account_number == ""))
                .outerjoin(watched, watched.c.item_id == items.c.item_id)
            )
            .where(
                items.c.kind == "invoice",
                items.c.due_date < today,
                issuing,
                or_(
                    watched.c.item_id.is_(None),
                    and_(
                        watched.c.closed.is_(False),
                        or_(watched.c.checked_on < today, watched.c.seen_version != items.c.version_at),
                    ),
                ),
            )
            .order_by(items.c.customer_id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def invoices_of(self, customer_id: str) -> list[tuple[ItemRecord, dt.datetime]]:
        """The customer's invoices with the version of their row."""
        rows = await self.session.execute(
            select(items).where(items.c.customer_id == customer_id, items.c.kind == "invoice")
        )
        return [
            (ItemRecord(**{k: v for k, v in r._mapping.items() if k != "version_at"}), _aware(r.version_at))
            for r in rows
        ]

    async def watched_of(self, customer_id: str) -> dict[str, WatchedInvoiceRecord]:
        rows = await self.session.execute(select(penalty_invoices).where(penalty_invoices.c.customer_id == customer_id))
        return {r.item_id: _watched(r) for r in rows}

    async def save_watched(self, records: list[WatchedInvoiceRecord]) -> None:
        rows = [
            {
                **r.__dict__,
                "payments": json.dumps([[d.isoformat(), str(a)] for d, a in r.payments]),
            }
            for r in records
        ]
        await upsert_rows(self.session, penalty_invoices, "item_id", rows)

    async def issued_of(self, customer_id: str) -> list[IssuedPenaltyRecord]:
        """Oldest period first."""
        rows = await self.session.execute(
            select(issued_penalties)
            .where(issued_penalties.c.customer_id == customer_id)
            .order_by(issued_penalties.c.period_to, issued_penalties.c.kind, issued_penalties.c.penalty_id)
        )
        return [
            IssuedPenaltyRecord(**{**r._mapping, "amount": Decimal(r.amount), "created_at": _aware(r.created_at)})
            for r in rows
        ]

    async def add_issued(self, record: IssuedPenaltyRecord) -> bool:
        """Store the penalty unless its id is stored (even by a concurrent transaction); whether it was stored."""
        connection = await self.session.connection()
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        result = await self.session.execute(
            dialect.insert(issued_penalties).values(**record.__dict__).on_conflict_do_nothing()
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


# Item statuses and sending hours as the organisation configured them. Each row carries a version that grows by
# one per change: a save names the version it read, and a stale one is refused, so two editors never overwrite
# each other.
status_catalogues = Table(
    "sc_status_catalogues",
    metadata,
    # "" for the whole organisation: the only scope used today, kept as a key so an entity may get its own.
    Column("scope", String(50), primary_key=True),
    # The statuses in order, as ``qualification.catalogue_to_dicts`` writes them.
    Column("statuses", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

sending_hours = Table(
    "sc_sending_hours",
    metadata,
    Column("entity", String(50), primary_key=True),
    # JSON: ISO weekdays (1 Monday ... 7 Sunday), and slots as [["08:00", "12:00"], ...].
    Column("weekdays", Text, nullable=False),
    Column("slots", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class StoredStatusCatalogue:
    scope: str
    statuses: str
    version: int
    updated_by: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class StoredSendingHours:
    entity: str
    weekdays: str
    slots: str
    version: int
    updated_by: str
    updated_at: dt.datetime


class SettingsRepository:
    """The status catalogue and the entities' sending hours. ``save_*`` writes only over ``expected_version``
    (0: no row yet) and answers whether it did: False means someone saved in between."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def status_catalogue(self, scope: str = "") -> StoredStatusCatalogue | None:
        row = (await self.session.execute(select(status_catalogues).where(status_catalogues.c.scope == scope))).first()
        return None if row is None else StoredStatusCatalogue(**row._mapping)

    async def save_status_catalogue(self, record: StoredStatusCatalogue, expected_version: int) -> bool:
        return await self._save(status_catalogues, status_catalogues.c.scope, record.scope, record, expected_version)

    async def statuses_in_use(self) -> dict[str, int]:
        """How many items hold each status code."""
        rows = await self.session.execute(
            select(item_statuses.c.status_code, func.count()).group_by(item_statuses.c.status_code)
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def sending_hours(self, entity: str) -> StoredSendingHours | None:
        row = (await self.session.execute(select(sending_hours).where(sending_hours.c.entity == entity))).first()
        return None if row is None else StoredSendingHours(**row._mapping)

    async def save_sending_hours(self, record: StoredSendingHours, expected_version: int) -> bool:
        return await self._save(sending_hours, sending_hours.c.entity, record.entity, record, expected_version)

    async def _save(self, table: Table, key: Any, value: str, record: Any, expected_version: int) -> bool:
        values = record.__dict__.copy()
        if expected_version == 0:
            found = await self.session.scalar(select(table.c.version).where(key == value))
            if found is not None:
                return False
            await self.session.execute(insert(table).values(**values))
            return True
        result = await self.session.execute(
            update(table).where(key == value, table.c.version == expected_version).values(**values)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
