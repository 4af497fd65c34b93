"""The reporting service's read models: the open items it ages, kept from item events, and the customer and
item timeline, kept from every context's events."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from opendso_db.bulk import insert_rows, upsert_rows
from opendso_db.types import Amount
from opendso_money import Money
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Select,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    or_,
    select,
)

from opendso_reporting.domain.aging import AgingItem
from opendso_reporting.domain.timeline import TimelineEntry

if TYPE_CHECKING:
    from opendso_reporting.report_store import ReportRepository

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)

open_items = Table(
    "rep_open_items",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Column("entity", String(50), nullable=False, index=True),
    Column("due_date", Date, nullable=False),
    Column("open_amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    # A closed item stays as a tombstone, and every row remembers when its
    # event happened, so an older event arriving late cannot bring it back.
    Column("closed", Boolean, nullable=False, default=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

timeline_entries = Table(
    "rep_timeline_entries",
    metadata,
    # Derived from the event id, so a redelivered event finds its entries already there.
    Column("entry_id", String(100), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("actor_type", String(10), nullable=False),
    Column("summary", Text, nullable=False),
    # JSON text rather than a JSON column: PostgreSQL's COPY (bulk imports) takes it as it is.
    Column("detail", Text, nullable=False),
    Column("task_id", String(64), nullable=True, index=True),
    # The customer's page, newest first, walks this index backwards.
    Index("ix_rep_timeline_customer", "customer_id", "occurred_at", "entry_id"),
)

# Which items an entry concerns: an entry about several items is found from each.
timeline_items = Table(
    "rep_timeline_items",
    metadata,
    Column("item_id", String(250), nullable=False),
    Column("entry_id", String(100), nullable=False),
    PrimaryKeyConstraint("item_id", "entry_id"),
    Index("ix_rep_timeline_items_entry", "entry_id"),
)

# The items of each collection task, from the task's events. A message event names only its task and may
# arrive before the task's own event (or be handled at the same time by another consumer), so its items are
# looked up through this table when the timeline is read, never copied when the message is stored.
timeline_task_items = Table(
    "rep_timeline_task_items",
    metadata,
    Column("task_id", String(64), nullable=False),
    Column("item_id", String(250), nullable=False),
    PrimaryKeyConstraint("task_id", "item_id"),
)


# ---- The reports' read models (see report_store.py). Amounts are integers in millionths of the currency unit,
# so that the database sums them exactly on every backend (SQLite would sum decimal text as floats).

report_items = Table(
    "rep_items",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("issue_date", Date, nullable=True, index=True),
    Column("due_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_micros", BigInteger, nullable=False),
    Column("open_micros", BigInteger, nullable=False),
    Column("closed_on", Date, nullable=True),
    # closed_on - due_date, kept when an invoice is paid: the customer's usual delay is an average of these.
    Column("days_late", Integer, nullable=True),
    # The customer's attributes, copied here when either changes: the levels group by them without a join.
    Column("customer_group", String(200), nullable=False, default=""),
    Column("sector", String(200), nullable=False, default=""),
    Column("collector", String(200), nullable=False, default=""),
    Column("version_at", DateTime(timezone=True), nullable=False),
    Index("ix_rep_items_open_customer", "closed_on", "customer_id"),
)

# An item's open amount at the end of each day it changed, so that a past day's reports read the items as they
# were then. Keyed "<item_id>|<day>": the last event of a day wins.
report_item_history = Table(
    "rep_item_history",
    metadata,
    Column("history_id", String(270), primary_key=True),
    Column("item_id", String(250), nullable=False),
    Column("day", Date, nullable=False),
    Column("open_micros", BigInteger, nullable=False),
    # The day of the item's next change (None: still its state): a past day's state is then a plain filter,
    # day <= D < valid_until, rather than a latest-row-per-item grouping.
    Column("valid_until", Date, nullable=True),
    Column("version_at", DateTime(timezone=True), nullable=False),
    Index("ix_rep_item_history_item_day", "item_id", "day"),
)

report_customers = Table(
    "rep_customers",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("entity", String(50), nullable=False),
    Column("name", String(300), nullable=False),
    Column("customer_group", String(200), nullable=False),
    Column("sector", String(200), nullable=False),
    Column("collector", String(200), nullable=False, index=True),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

# The customer's usual days after the due date, from its paid invoices: what the cash forecast moves due dates by.
report_customer_delays = Table(
    "rep_customer_delays",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("delay_days", Integer, nullable=False),
)

report_entities = Table(
    "rep_entities",
    metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("group_currency", String(3), nullable=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

report_item_statuses = Table(
    "rep_item_statuses",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Column("status_code", String(100), nullable=False, index=True),
    Column("since", Date, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

# Money received: an allocation's line per item, and what it left on account ("<allocation_id>|<item_id>").
report_receipts = Table(
    "rep_receipts",
    metadata,
    Column("receipt_id", String(400), primary_key=True),
    Column("allocation_id", String(100), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("item_id", String(250), nullable=False),
    Column("booking_date", Date, nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount_micros", BigInteger, nullable=False),
    Column("reversed", Boolean, nullable=False),
)

# What collectors did, one row per thing done: "action", "message", "promise" or "dispute".
report_activities = Table(
    "rep_activities",
    metadata,
    Column("activity_id", String(150), primary_key=True),
    Column("day", Date, nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
)

# Money promised on a day for some items: a promise to pay, or a payment plan's instalment ("<plan_id>/<nn>").
report_promises = Table(
    "rep_promises",
    metadata,
    Column("promise_id", String(150), primary_key=True),
    Column("plan_id", String(100), nullable=False, index=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("promised_on", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_micros", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

report_promise_items = Table(
    "rep_promise_items",
    metadata,
    Column("promise_id", String(150), nullable=False),
    Column("item_id", String(250), nullable=False, index=True),
    PrimaryKeyConstraint("promise_id", "item_id"),
)


# Running totals of the report tables above, per level (group, customer_group, sector, collector) and node, so
# that a report above the customer level reads a few thousand rows rather than every open item. The handlers
# keep them in the transaction that changes the rows they sum (see ReportRepository._shifting).
#
# Open money: an item's rows on day CURRENT_DAY are its open amount now; its other rows are the changes of its
# open amount on the days it changed (the history's differences), so a past day's money is the sum of the rows
# up to that day. The customer's delay and whether a promise covers the item are its current ones, as the item
# queries read them. Current rows first in the key: today's reports read one range.
report_open_totals = Table(
    "rep_open_totals",
    metadata,
    Column("level", String(20), nullable=False),
    Column("day", Date, nullable=False),
    Column("node", String(200), nullable=False),
    Column("entity", String(50), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("delay_days", Integer, nullable=False),
    Column("promised", SmallInteger, nullable=False),
    Column("micros", BigInteger, nullable=False),
    Column("items", BigInteger, nullable=False),
    PrimaryKeyConstraint("level", "day", "node", "entity", "currency", "due_date", "delay_days", "promised"),
)

# The same for the items in a status only, by status and the day it was set: the few rows the status, dispute
# and forecast reports take out of the open money above.
report_status_totals = Table(
    "rep_status_totals",
    metadata,
    Column("level", String(20), nullable=False),
    Column("day", Date, nullable=False),
    Column("node", String(200), nullable=False),
    Column("entity", String(50), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("delay_days", Integer, nullable=False),
    Column("promised", SmallInteger, nullable=False),
    Column("status_code", String(100), nullable=False),
    Column("since", Date, nullable=False),
    Column("micros", BigInteger, nullable=False),
    Column("items", BigInteger, nullable=False),
    PrimaryKeyConstraint(
        "level", "day", "node", "entity", "currency", "due_date", "delay_days", "promised", "status_code", "since"
    ),
)

# Invoiced amounts (invoices and credit notes) by issue day: the DSO's sales.
report_sales_totals = Table(
    "rep_sales_totals",
    metadata,
    Column("level", String(20), nullable=False),
    Column("node", String(200), nullable=False),
    Column("day", Date, nullable=False),
    Column("entity", String(50), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("micros", BigInteger, nullable=False),
    Column("items", BigInteger, nullable=False),
    PrimaryKeyConstraint("level", "node", "day", "entity", "currency"),
)

# Money received (not reversed) by booking day.
report_receipt_totals = Table(
    "rep_receipt_totals",
    metadata,
    Column("level", String(20), nullable=False),
    Column("node", String(200), nullable=False),
    Column("day", Date, nullable=False),
    Column("entity", String(50), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("micros", BigInteger, nullable=False),
    Column("items", BigInteger, nullable=False),
    PrimaryKeyConstraint("level", "node", "day", "entity", "currency"),
)


class OpenItemRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session

    async def put(self, item: AgingItem, *, closed: bool, version_at: dt.datetime) -> None:
        """Store the item's state unless a newer one is stored."""
        await self.put_many([(item, closed)], version_at)

    async def put_many(self, states: list[tuple[AgingItem, bool]], version_at: dt.datetime) -> None:
        """Store many items' states (a bulk import's batch), a statement each for new and known items."""
        rows = [
            {
                "item_id": item.item_id,
                "customer_id": item.customer_id,
                "entity": item.entity,
                "due_date": item.due_date,
                "open_amount": item.open_amount.amount,
                "currency": item.open_amount.currency,
                "closed": closed,
                "version_at": version_at,
            }
            for item, closed in states
        ]
        await upsert_rows(self._session, open_items, "item_id", rows, newer_only=True)

    async def all(self, entity: str = "") -> list[AgingItem]:
        q = select(open_items).where(open_items.c.closed.is_(False))
        if entity:
            q = q.where(open_items.c.entity == entity)
        return [
            AgingItem(
                item_id=m["item_id"],
                customer_id=m["customer_id"],
                entity=m["entity"],
                due_date=m["due_date"],
                open_amount=Money(Decimal(m["open_amount"]), m["currency"]),
            )
            for m in (r._mapping for r in await self._session.execute(q))
        ]


_IN_CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _chunks(keys: Sequence[str]) -> list[Sequence[str]]:
    return [keys[start : start + _IN_CHUNK] for start in range(0, len(keys), _IN_CHUNK)]


@dataclass(frozen=True)
class TimelineFilter:
    """A page of one customer's timeline (or of one of its items), newest first.

    ``occurred_from`` is inclusive, ``occurred_before`` exclusive; ``after`` is the keyset cursor: only entries
    strictly older than (occurred_at, entry_id) come back.
    """

    customer_id: str
    limit: int
    item_id: str = ""
    kinds: tuple[str, ...] = ()
    occurred_from: dt.datetime | None = None
    occurred_before: dt.datetime | None = None
    after: tuple[dt.datetime, str] | None = None


@dataclass(frozen=True)
class StoredEntry:
    entry_id: str
    event_id: str
    customer_id: str
    item_ids: tuple[str, ...]
    occurred_at: dt.datetime
    kind: str
    actor: str
    actor_type: str
    summary: str
    detail_json: str


class TimelineRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session

    async def add(self, entries: Sequence[TimelineEntry]) -> int:
        """Store the entries whose ids are new, with their item links; answer how many were new.

        Set-based whatever the batch size (a select per 500 ids, then one insert per table), so a bulk
        import's thousand-item batch costs a handful of statements. A task's entries also teach which items the
        task concerns, which its message entries are then found by.
        """
        unique = list({e.entry_id: e for e in entries}.values())
        if not unique:
            return 0
        existing = await self._existing(timeline_entries.c.entry_id, [e.entry_id for e in unique])
        new = [e for e in unique if e.entry_id not in existing]
        await insert_rows(
            self._session,
            timeline_entries,
            [
                {
                    "entry_id": e.entry_id,
                    "event_id": e.event_id,
                    "customer_id": e.customer_id,
                    "occurred_at": _utc(e.occurred_at),
                    "kind": e.kind.value,
                    "actor": e.actor,
                    "actor_type": e.actor_type.value,
                    "summary": e.summary,
                    "detail": json.dumps(e.detail, sort_keys=True, ensure_ascii=False),
                    "task_id": e.task_id or None,
                }
                for e in new
            ],
        )
        await insert_rows(
            self._session,
            timeline_items,
            [{"item_id": item_id, "entry_id": e.entry_id} for e in new for item_id in e.item_ids],
        )
        task_items = {(e.task_id, i) for e in new if e.task_id for i in e.item_ids}
        if task_items:
            # Task events come one at a time: a few small statements, never on a bulk import's path.
            known = {
                (r.task_id, r.item_id)
                for r in await self._session.execute(
                    select(timeline_task_items).where(
                        timeline_task_items.c.task_id.in_(sorted({t for t, _ in task_items}))
                    )
                )
            }
            await insert_rows(
                self._session,
                timeline_task_items,
                [{"task_id": t, "item_id": i} for t, i in sorted(task_items - known)],
            )
        return len(new)

    async def _existing(self, column: Any, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(keys):
            found.update((await self._session.execute(select(column).where(column.in_(chunk)))).scalars())
        return found

    async def page(self, flt: TimelineFilter) -> list[StoredEntry]:
        """Up to ``flt.limit`` entries, newest first (ties by entry id, descending), each with all its items."""
        e = timeline_entries.c
        q: Select[Any] = select(timeline_entries).where(e.customer_id == flt.customer_id)
        if flt.item_id:
            q = q.where(
                or_(
                    e.entry_id.in_(select(timeline_items.c.entry_id).where(timeline_items.c.item_id == flt.item_id)),
                    e.task_id.in_(
                        select(timeline_task_items.c.task_id).where(timeline_task_items.c.item_id == flt.item_id)
                    ),
                )
            )
        if flt.kinds:
            q = q.where(e.kind.in_(flt.kinds))
        if flt.occurred_from is not None:
            q = q.where(e.occurred_at >= _utc(flt.occurred_from))
        if flt.occurred_before is not None:
            q = q.where(e.occurred_at < _utc(flt.occurred_before))
        if flt.after is not None:
            after_at, after_id = _utc(flt.after[0]), flt.after[1]
            q = q.where(or_(e.occurred_at < after_at, and_(e.occurred_at == after_at, e.entry_id < after_id)))
        q = q.order_by(e.occurred_at.desc(), e.entry_id.desc()).limit(flt.limit)
        rows = [r._mapping for r in await self._session.execute(q)]
        by_entry, by_task = await self._items_of(
            [r["entry_id"] for r in rows], {r["task_id"] for r in rows if r["task_id"]}
        )
        return [
            StoredEntry(
                entry_id=r["entry_id"],
                event_id=r["event_id"],
                customer_id=r["customer_id"],
                item_ids=tuple(sorted(by_entry.get(r["entry_id"], set()) | by_task.get(r["task_id"] or "", set()))),
                occurred_at=_utc(r["occurred_at"]),
                kind=r["kind"],
                actor=r["actor"],
                actor_type=r["actor_type"],
                summary=r["summary"],
                detail_json=r["detail"],
            )
            for r in rows
        ]

    async def _items_of(
        self, entry_ids: Sequence[str], task_ids: set[str]
    ) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """The items linked to each entry, and those known for each task."""
        by_entry: dict[str, set[str]] = {}
        for chunk in _chunks(entry_ids):
            found = await self._session.execute(
                select(timeline_items.c.entry_id, timeline_items.c.item_id).where(timeline_items.c.entry_id.in_(chunk))
            )
            for entry_id, item_id in found:
                by_entry.setdefault(entry_id, set()).add(item_id)
        by_task: dict[str, set[str]] = {}
        if task_ids:
            found = await self._session.execute(
                select(timeline_task_items.c.task_id, timeline_task_items.c.item_id).where(
                    timeline_task_items.c.task_id.in_(sorted(task_ids))
                )
            )
            for task_id, item_id in found:
                by_task.setdefault(task_id, set()).add(item_id)
        return by_entry, by_task


class UnitOfWork(SqlUnitOfWork):
    items: OpenItemRepository
    timeline: TimelineRepository
    reports: ReportRepository

    def _open(self) -> None:
        # Imported here: the repository's module reads this module's tables.
        from opendso_reporting.report_store import ReportRepository

        self.items = OpenItemRepository(self)
        self.timeline = TimelineRepository(self)
        self.reports = ReportRepository(self)
