"""The reports' read models: kept from events (every write is an upsert keyed by what the event names, so a
redelivered event changes nothing), and summed by the database into cells per node, entity and currency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from opendso_bus import SqlUnitOfWork
from opendso_db.bulk import insert_rows, upsert_rows
from opendso_money import Money
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.types import Date

from opendso_reporting.domain.reports import DueRange
from opendso_reporting.report_totals import CURRENT_DAY, Totals
from opendso_reporting.store import (
    open_items,
    report_activities,
    report_customer_delays,
    report_customers,
    report_entities,
    report_item_history,
    report_item_statuses,
    report_items,
    report_open_totals,
    report_promise_items,
    report_promises,
    report_receipt_totals,
    report_receipts,
    report_sales_totals,
    report_status_totals,
    timeline_entries,
    timeline_items,
    timeline_task_items,
)

MICROS = Decimal(1_000_000)
_IN_CHUNK = 500
_DISPUTE_PAGE = 500
INVOICE_KINDS = (1, 2)  # invoices and credit notes: what the sales of the DSO are made of
KIND_INVOICE = 1


def to_micros(amount: Decimal) -> int:
    return int((amount * MICROS).to_integral_value())


def from_micros(value: Any) -> Decimal:
    return Decimal(int(value or 0)) / MICROS


class Level(Enum):
    GROUP = "group"
    ENTITY = "entity"
    CUSTOMER_GROUP = "customer_group"
    SECTOR = "sector"
    CUSTOMER = "customer"
    COLLECTOR = "collector"


@dataclass(frozen=True)
class Scope:
    """Which rows a report sums, and what its nodes are."""

    level: Level = Level.GROUP
    # Only this node ("" is the node where the attribute is not set); None for every node.
    key: str | None = None
    entities: tuple[str, ...] = ()
    collector: str = ""
    customer_group: str = ""
    sector: str = ""
    # Only these nodes: a page of customers.
    keys: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ItemState:
    item_id: str
    customer_id: str
    entity: str
    kind: int
    issue_date: dt.date | None
    due_date: dt.date
    amount: Money
    open_amount: Money
    closed_on: dt.date | None


@dataclass(frozen=True)
class CustomerState:
    customer_id: str
    entity: str
    name: str
    customer_group: str
    sector: str
    collector: str


@dataclass(frozen=True)
class EntityState:
    code: str
    name: str
    currency: str
    group_currency: str


@dataclass(frozen=True)
class StatusState:
    item_id: str
    customer_id: str
    status_code: str
    since: dt.date
    owner: str
    comment: str


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    allocation_id: str
    entity: str
    customer_id: str
    item_id: str
    booking_date: dt.date
    amount: Money


@dataclass(frozen=True)
class Activity:
    activity_id: str
    day: dt.date
    actor: str
    customer_id: str
    kind: str


@dataclass(frozen=True)
class PromiseState:
    promise_id: str
    plan_id: str
    customer_id: str
    promised_on: dt.date
    amount: Money
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class Raw:
    """A database sum: a node's money of one entity in one currency along ``dims``."""

    key: str
    entity: str
    currency: str
    dims: tuple[Any, ...]
    amount: Decimal
    count: int


@dataclass(frozen=True)
class DisputedItemRow:
    item_id: str
    customer_id: str
    customer_name: str
    status: str
    since: dt.date
    owner: str
    reason: str
    open_amount: Money
    due_date: dt.date


@dataclass(frozen=True)
class ForecastItem:
    item_id: str
    key: str
    entity: str
    currency: str
    due_date: dt.date
    amount: Decimal
    disputed: bool
    delay_days: int


NO_ATTRIBUTES = {"customer_group": "", "sector": "", "collector": ""}


def period_index(column: Any, starts: Sequence[dt.date], end: dt.date) -> ColumnElement[Any]:
    """Which period a day falls in: -1 before ``starts[0]``, i from ``starts[i]`` to the day before
    ``starts[i + 1]``, the last from its start to ``end``, len(starts) after ``end``. Summing by it in the
    database sends back a row per period rather than per day."""
    whens: list[tuple[Any, int]] = [(column < starts[0], -1)]
    whens += [(column < starts[i + 1], i) for i in range(len(starts) - 1)]
    whens.append((column <= end, len(starts) - 1))
    return case(*whens, else_=len(starts))


def _merged(
    whole: Sequence[Raw],
    parts: Sequence[Raw],
    whole_dims: Callable[[Raw], tuple[Any, ...]],
    part_dims: Callable[[Raw], tuple[Any, ...]],
) -> list[Raw]:
    """``whole``'s cells less the ``parts`` of them (matched on key, entity, currency and the whole's dims),
    and the parts as cells of their own; cells left with no items are none."""
    found: dict[tuple[Any, ...], list[Any]] = {}
    for r in whole:
        found[(r.key, r.entity, r.currency, whole_dims(r))] = [r.amount, r.count]
    for r in parts:
        rest = found.setdefault((r.key, r.entity, r.currency, whole_dims(r)), [Decimal(0), 0])
        rest[0] -= r.amount
        rest[1] -= r.count
        own = found.setdefault((r.key, r.entity, r.currency, part_dims(r)), [Decimal(0), 0])
        own[0] += r.amount
        own[1] += r.count
    return [Raw(k[0], k[1], k[2], k[3], amount, count) for k, (amount, count) in found.items() if count]


def _chunks(keys: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(keys), _IN_CHUNK):
        yield keys[start : start + _IN_CHUNK]


class ReportRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session
        self.totals = Totals(uow.session)
        # Reports above the customer level read the running totals; False sums the items (what the totals
        # are checked against).
        self.use_totals = True

    # ---- writes ----------------------------------------------------------------------------------------

    async def put_items(self, states: Sequence[ItemState], version_at: dt.datetime, day: dt.date) -> None:
        """Store items' states unless newer ones are stored, and their open amounts at the end of ``day``
        (a closed item's on its closing day); set-based whatever the batch size. Customers with an invoice
        paid have their usual delay recomputed."""
        if not states:
            return
        # Before reading which items change: another writer may be adding some.
        await self.totals.lock()
        paid = sorted(
            {s.customer_id for s in states if s.kind == KIND_INVOICE and (s.closed_on or s.open_amount.is_zero())}
        )
        # A new delay moves every open item of the customer in the forecast.
        ids = {s.item_id for s in states} | set(await self._items_of(paid))
        await self.totals.around_items(sorted(ids), lambda: self._put_items(states, version_at, day))

    async def _items_of(self, customer_ids: Sequence[str]) -> list[str]:
        i = report_items.c
        found: list[str] = []
        for chunk in _chunks(customer_ids):
            found.extend((await self._session.execute(select(i.item_id).where(i.customer_id.in_(chunk)))).scalars())
        return found

    async def _put_items(self, states: Sequence[ItemState], version_at: dt.datetime, day: dt.date) -> None:
        rows = []
        history = []
        for s in states:
            closed = s.closed_on is not None or s.open_amount.is_zero()
            closed_on = (s.closed_on or day) if closed else None
            rows.append(
                {
                    "item_id": s.item_id,
                    "customer_id": s.customer_id,
                    "entity": s.entity,
                    "kind": s.kind,
                    "issue_date": s.issue_date,
                    "due_date": s.due_date,
                    "currency": s.open_amount.currency,
                    "amount_micros": to_micros(s.amount.amount),
                    "open_micros": 0 if closed else to_micros(s.open_amount.amount),
                    "closed_on": closed_on,
                    "days_late": (closed_on - s.due_date).days if closed_on is not None else None,
                    "version_at": version_at,
                }
            )
            on = closed_on if closed_on is not None else day
            history.append(
                {
                    "history_id": f"{s.item_id}|{on.isoformat()}",
                    "item_id": s.item_id,
                    "day": on,
                    "open_micros": 0 if closed else to_micros(s.open_amount.amount),
                    "version_at": version_at,
                }
            )
        attributes = await self._attributes(sorted({s.customer_id for s in states}))
        for row in rows:
            row.update(attributes.get(str(row["customer_id"]), NO_ATTRIBUTES))
        await upsert_rows(self._session, report_items, "item_id", rows, newer_only=True)
        await upsert_rows(self._session, report_item_history, "history_id", history, newer_only=True)
        await self._link_history(sorted({s.item_id for s in states}))
        paid = sorted(
            {s.customer_id for s in states if s.kind == KIND_INVOICE and (s.closed_on or s.open_amount.is_zero())}
        )
        if paid:
            await self._recompute_delays(paid)

    async def _attributes(self, customer_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        c = report_customers.c
        found: dict[str, dict[str, str]] = {}
        for chunk in _chunks(customer_ids):
            rows = await self._session.execute(
                select(c.customer_id, c.customer_group, c.sector, c.collector).where(c.customer_id.in_(chunk))
            )
            for customer_id, group, sector, collector in rows:
                found[customer_id] = {"customer_group": group, "sector": sector, "collector": collector}
        return found

    async def _link_history(self, item_ids: Sequence[str]) -> None:
        """Each history row of these items ends where the item's next one starts (a late event may land
        between two rows)."""
        h = report_item_history.c
        later = report_item_history.alias("later")
        next_day = (
            select(func.min(later.c.day)).where(later.c.item_id == h.item_id, later.c.day > h.day).scalar_subquery()
        )
        for chunk in _chunks(item_ids):
            await self._session.execute(
                update(report_item_history).where(h.item_id.in_(chunk)).values(valid_until=next_day)
            )

    async def _recompute_delays(self, customer_ids: Sequence[str]) -> None:
        i = report_items.c
        # Weighted by cents: millionths times days could overflow a 64-bit sum.
        weight = i.amount_micros / 10_000
        found: dict[str, int] = {}
        for chunk in _chunks(customer_ids):
            q = (
                select(i.customer_id, func.sum(i.days_late * weight), func.sum(weight))
                .where(i.customer_id.in_(chunk), i.days_late.is_not(None), i.kind == KIND_INVOICE, i.amount_micros > 0)
                .group_by(i.customer_id)
            )
            for customer_id, weighted, total in await self._session.execute(q):
                if total:
                    found[customer_id] = int((Decimal(weighted) / Decimal(total)).to_integral_value())
        await upsert_rows(
            self._session,
            report_customer_delays,
            "customer_id",
            [{"customer_id": c, "delay_days": d} for c, d in found.items()],
        )

    async def put_customers(self, states: Sequence[CustomerState], version_at: dt.datetime) -> None:
        await self.totals.lock()
        customer_ids = sorted({s.customer_id for s in states})
        items = await self._items_of(customer_ids)
        receipts = [report_receipts.c.customer_id.in_(chunk) for chunk in _chunks(customer_ids)]

        async def change() -> None:
            await self.totals.around_items(items, lambda: self._put_customers(states, version_at))

        await self.totals.around_receipts(receipts, change)

    async def _put_customers(self, states: Sequence[CustomerState], version_at: dt.datetime) -> None:
        rows = [
            {
                "customer_id": s.customer_id,
                "entity": s.entity,
                "name": s.name,
                "customer_group": s.customer_group,
                "sector": s.sector,
                "collector": s.collector,
                "version_at": version_at,
            }
            for s in states
        ]
        await upsert_rows(self._session, report_customers, "customer_id", rows, newer_only=True)
        # The items take the customer's attributes as stored (an older event late changed nothing).
        c = report_customers.c
        i = report_items.c
        for chunk in _chunks(sorted({s.customer_id for s in states})):
            await self._session.execute(
                update(report_items)
                .where(i.customer_id.in_(chunk))
                .values(
                    {
                        name: select(c[name]).where(c.customer_id == i.customer_id).scalar_subquery()
                        for name in ("customer_group", "sector", "collector")
                    }
                )
            )

    async def put_entities(self, states: Sequence[EntityState], version_at: dt.datetime) -> None:
        rows = [
            {
                "code": s.code,
                "name": s.name,
                "currency": s.currency,
                "group_currency": s.group_currency,
                "version_at": version_at,
            }
            for s in states
        ]
        await upsert_rows(self._session, report_entities, "code", rows, newer_only=True)

    async def put_statuses(self, states: Sequence[StatusState], version_at: dt.datetime) -> None:
        await self.totals.around_items([s.item_id for s in states], lambda: self._put_statuses(states, version_at))

    async def _put_statuses(self, states: Sequence[StatusState], version_at: dt.datetime) -> None:
        rows = [
            {
                "item_id": s.item_id,
                "customer_id": s.customer_id,
                "status_code": s.status_code,
                "since": s.since,
                "owner": s.owner,
                "comment": s.comment,
                "version_at": version_at,
            }
            for s in states
        ]
        await upsert_rows(self._session, report_item_statuses, "item_id", rows, newer_only=True)

    async def clear_statuses(self, item_ids: Sequence[str], status_code: str, version_at: dt.datetime) -> None:
        """Items leave ``status_code`` (a plan ended) unless a newer status was set since."""
        await self.totals.around_items(item_ids, lambda: self._clear_statuses(item_ids, status_code, version_at))

    async def _clear_statuses(self, item_ids: Sequence[str], status_code: str, version_at: dt.datetime) -> None:
        s = report_item_statuses.c
        for chunk in _chunks(list(item_ids)):
            await self._session.execute(
                delete(report_item_statuses).where(
                    s.item_id.in_(chunk), s.status_code == status_code, s.version_at <= version_at
                )
            )

    async def put_receipts(self, receipts: Sequence[Receipt]) -> None:
        """Receipts already stored (a redelivery) are left as they are."""
        keys = sorted({r.receipt_id for r in receipts})
        await self.totals.around_receipts(
            [report_receipts.c.receipt_id.in_(chunk) for chunk in _chunks(keys)], lambda: self._put_receipts(receipts)
        )

    async def _put_receipts(self, receipts: Sequence[Receipt]) -> None:
        keys = [r.receipt_id for r in receipts]
        existing: set[str] = set()
        for chunk in _chunks(keys):
            found = await self._session.execute(
                select(report_receipts.c.receipt_id).where(report_receipts.c.receipt_id.in_(chunk))
            )
            existing.update(found.scalars())
        await insert_rows(
            self._session,
            report_receipts,
            [
                {
                    "receipt_id": r.receipt_id,
                    "allocation_id": r.allocation_id,
                    "entity": r.entity,
                    "customer_id": r.customer_id,
                    "item_id": r.item_id,
                    "booking_date": r.booking_date,
                    "currency": r.amount.currency,
                    "amount_micros": to_micros(r.amount.amount),
                    "reversed": False,
                }
                for r in {r.receipt_id: r for r in receipts}.values()
                if r.receipt_id not in existing
            ],
        )

    async def reverse_receipts(self, allocation_id: str) -> None:
        await self.totals.around_receipts(
            [report_receipts.c.allocation_id == allocation_id], lambda: self._reverse_receipts(allocation_id)
        )

    async def _reverse_receipts(self, allocation_id: str) -> None:
        await self._session.execute(
            update(report_receipts).where(report_receipts.c.allocation_id == allocation_id).values(reversed=True)
        )

    async def put_activities(self, activities: Sequence[Activity]) -> None:
        unique = {a.activity_id: a for a in activities}
        existing: set[str] = set()
        for chunk in _chunks(list(unique)):
            found = await self._session.execute(
                select(report_activities.c.activity_id).where(report_activities.c.activity_id.in_(chunk))
            )
            existing.update(found.scalars())
        await insert_rows(
            self._session,
            report_activities,
            [
                {
                    "activity_id": a.activity_id,
                    "day": a.day,
                    "actor": a.actor,
                    "customer_id": a.customer_id,
                    "kind": a.kind,
                }
                for a in unique.values()
                if a.activity_id not in existing
            ],
        )

    async def put_promises(self, promises: Sequence[PromiseState], version_at: dt.datetime) -> None:
        await self.totals.lock()
        pi = report_promise_items.c
        ids = {i for p in promises for i in p.item_ids}
        for chunk in _chunks(sorted({p.promise_id for p in promises})):
            ids.update((await self._session.execute(select(pi.item_id).where(pi.promise_id.in_(chunk)))).scalars())
        await self.totals.around_items(sorted(ids), lambda: self._put_promises(promises, version_at))

    async def _put_promises(self, promises: Sequence[PromiseState], version_at: dt.datetime) -> None:
        rows = [
            {
                "promise_id": p.promise_id,
                "plan_id": p.plan_id,
                "customer_id": p.customer_id,
                "promised_on": p.promised_on,
                "currency": p.amount.currency,
                "amount_micros": to_micros(p.amount.amount),
                "active": True,
                "version_at": version_at,
            }
            for p in promises
        ]
        await upsert_rows(self._session, report_promises, "promise_id", rows, newer_only=True)
        links = {(p.promise_id, i) for p in promises for i in p.item_ids}
        if links:
            known = {
                (r.promise_id, r.item_id)
                for r in await self._session.execute(
                    select(report_promise_items).where(
                        report_promise_items.c.promise_id.in_(sorted({p for p, _ in links}))
                    )
                )
            }
            await insert_rows(
                self._session,
                report_promise_items,
                [{"promise_id": p, "item_id": i} for p, i in sorted(links - known)],
            )

    async def end_promises(self, plan_id: str, version_at: dt.datetime) -> None:
        await self.totals.lock()
        p = report_promises.c
        pi = report_promise_items.c
        ids = (
            await self._session.execute(
                select(pi.item_id)
                .select_from(report_promise_items.join(report_promises, p.promise_id == pi.promise_id))
                .where(p.plan_id == plan_id)
            )
        ).scalars()
        await self.totals.around_items(sorted(set(ids)), lambda: self._end_promises(plan_id, version_at))

    async def _end_promises(self, plan_id: str, version_at: dt.datetime) -> None:
        p = report_promises.c
        await self._session.execute(
            update(report_promises)
            .where(p.plan_id == plan_id, p.version_at <= version_at)
            .values(active=False, version_at=version_at)
        )

    # ---- reference data --------------------------------------------------------------------------------

    async def entities(self) -> dict[str, tuple[str, str, str]]:
        """Each entity's (name, currency, group currency)."""
        rows = await self._session.execute(select(report_entities))
        return {r.code: (r.name, r.currency, r.group_currency) for r in rows}

    async def customer_names(self, customer_ids: Sequence[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for chunk in _chunks(list(customer_ids)):
            rows = await self._session.execute(
                select(report_customers.c.customer_id, report_customers.c.name).where(
                    report_customers.c.customer_id.in_(chunk)
                )
            )
            names.update({c: n for c, n in rows if n})
        return names

    async def customer_page(self, scope: Scope, after: str, limit: int) -> list[str]:
        """Customers with items, in id order, after ``after``: the nodes of a customer-level page."""
        i = report_items.c
        q: Select[Any] = select(i.customer_id).distinct()
        q, _key = self._scoped(q, report_items, i.entity, i.customer_id, scope)
        if after:
            q = q.where(i.customer_id > after)
        q = q.order_by(i.customer_id).limit(limit)
        return list((await self._session.execute(q)).scalars())

    # ---- sums ------------------------------------------------------------------------------------------

    def _key(self, level: Level, entity: Any, customer: Any, attrs: Sequence[Any]) -> ColumnElement[Any]:
        match level:
            case Level.GROUP:
                return literal("")
            case Level.ENTITY:
                return entity  # type: ignore[no-any-return]
            case Level.CUSTOMER_GROUP:
                return func.coalesce(attrs[0], "")
            case Level.SECTOR:
                return func.coalesce(attrs[1], "")
            case Level.CUSTOMER:
                return customer  # type: ignore[no-any-return]
            case Level.COLLECTOR:
                return func.coalesce(attrs[2], "")

    def _scoped(
        self,
        q: Select[Any],
        base: FromClause,
        entity: Any,
        customer: Any,
        scope: Scope,
        *,
        join_customers: bool = False,
    ) -> tuple[Select[Any], ColumnElement[Any]]:
        """The query over ``base``, filtered to the scope; and the node key. Items carry their customer's
        attributes; other tables are joined to the customers when an attribute is asked for."""
        c = report_customers.c
        own = {"customer_group", "sector", "collector"} <= set(base.c.keys())
        needs_customers = join_customers or bool(
            not own
            and (
                scope.level in (Level.CUSTOMER_GROUP, Level.SECTOR, Level.COLLECTOR)
                or scope.collector
                or scope.customer_group
                or scope.sector
            )
        )
        q = q.select_from(base.outerjoin(report_customers, c.customer_id == customer) if needs_customers else base)
        attrs = (
            (base.c.customer_group, base.c.sector, base.c.collector)
            if own
            else (c.customer_group, c.sector, c.collector)
        )
        key = self._key(scope.level, entity, customer, attrs)
        if scope.entities:
            q = q.where(entity.in_(scope.entities))
        if scope.collector:
            q = q.where(attrs[2] == scope.collector)
        if scope.customer_group:
            q = q.where(attrs[0] == scope.customer_group)
        if scope.sector:
            q = q.where(attrs[1] == scope.sector)
        if scope.key is not None:
            q = q.where(key == scope.key)
        if scope.keys is not None:
            q = q.where(key.in_(scope.keys))
        return q, key

    def _from_totals(self, table: Table, scope: Scope) -> tuple[Select[Any], ColumnElement[Any]] | None:
        """A query over the running totals of the scope's level, filtered to the scope, and the node key; None
        when the scope needs the items (the customer level, the customer filters, a portfolio's groups)."""
        if scope.level is Level.CUSTOMER or scope.keys is not None or scope.customer_group or scope.sector:
            return None
        if not self.use_totals:
            return None
        t = table.c
        if scope.collector:
            if scope.level not in (Level.GROUP, Level.ENTITY, Level.COLLECTOR):
                return None
            stored = "collector"
        else:
            stored = {Level.GROUP: "group", Level.ENTITY: "group"}.get(scope.level, scope.level.value)
        q: Select[Any] = select().select_from(table).where(t.level == stored)
        if scope.collector:
            q = q.where(t.node == scope.collector)
        key: ColumnElement[Any]
        if scope.level is Level.GROUP:
            key = literal("")
        elif scope.level is Level.ENTITY:
            key = t.entity
        else:
            key = t.node
        if scope.entities:
            q = q.where(t.entity.in_(scope.entities))
        if scope.key is not None:
            q = q.where(key == scope.key)
        return q, key

    def _open_totals(
        self, scope: Scope, as_of: dt.date, today: dt.date, table: Table = report_open_totals
    ) -> tuple[Select[Any], ColumnElement[Any]] | None:
        found = self._from_totals(table, scope)
        if found is None:
            return None
        t = table.c
        q, key = found
        # Today: the items' open amounts now; a past day: the sum of their changes up to it.
        return q.where(t.day == CURRENT_DAY if as_of >= today else t.day <= as_of), key

    async def _sum_totals(self, inner: Select[Any], dims: int) -> list[Raw]:
        """Sum ``inner``'s rows (key, entity, currency, *dims, micros, items) by everything but the amounts; a
        cell whose items all closed is none."""
        sub = inner.subquery("cells")
        cols = list(sub.c)
        group = cols[: 3 + dims]
        q = (
            select(*group, func.sum(cols[3 + dims]), func.sum(cols[4 + dims]))
            .group_by(*group)
            .having(func.sum(cols[4 + dims]) != 0)
        )
        return [
            Raw(row[0] or "", row[1], row[2], tuple(row[3 : 3 + dims]), from_micros(row[3 + dims]), int(row[4 + dims]))
            for row in await self._session.execute(q)
        ]

    def _open_at(self, as_of: dt.date, today: dt.date, only: Any = None) -> FromClause:
        """The items open at the end of ``as_of`` with their open amounts then: today's from the items, a past
        day's from their history."""
        i = report_items.c
        columns = [
            i.item_id,
            i.customer_id,
            i.entity,
            i.currency,
            i.due_date,
            i.issue_date,
            i.kind,
            i.customer_group,
            i.sector,
            i.collector,
        ]
        if as_of >= today:
            q = select(*columns, i.open_micros).where(i.closed_on.is_(None), i.open_micros != 0)
        else:
            h = report_item_history.c
            q = (
                select(*columns, h.open_micros)
                .select_from(report_items.join(report_item_history, h.item_id == i.item_id))
                .where(h.day <= as_of, or_(h.valid_until.is_(None), h.valid_until > as_of), h.open_micros != 0)
            )
        if only is not None:
            q = q.where(i.item_id.in_(only))
        return q.subquery("o")

    async def _sum(self, inner: Select[Any], dims: int) -> list[Raw]:
        """Sum ``inner``'s rows (key, entity, currency, *dims, micros) by everything but the amount. Grouping
        an outer query by column names keeps PostgreSQL from seeing two differently bound CASEs as different
        expressions."""
        sub = inner.subquery("cells")
        cols = list(sub.c)
        group = cols[: 3 + dims]
        q = select(*group, func.sum(cols[3 + dims]), func.count()).group_by(*group)
        return [
            Raw(row[0] or "", row[1], row[2], tuple(row[3 : 3 + dims]), from_micros(row[3 + dims]), int(row[4 + dims]))
            for row in await self._session.execute(q)
        ]

    async def aging(self, scope: Scope, as_of: dt.date, today: dt.date, ranges: Sequence[DueRange]) -> list[Raw]:
        """Open money by (bucket index, overdue)."""

        def bucket_of(due: Any) -> ColumnElement[Any]:
            whens = []
            for index, r in enumerate(ranges[:-1]):
                conditions = []
                if r.earliest is not None:
                    conditions.append(due >= r.earliest)
                if r.latest is not None:
                    conditions.append(due <= r.latest)
                whens.append((and_(*conditions), index))
            return case(*whens, else_=len(ranges) - 1) if whens else literal(0)

        totals = self._open_totals(scope, as_of, today)
        if totals is not None:
            tq, tkey = totals
            t = report_open_totals.c
            return await self._sum_totals(
                tq.add_columns(
                    tkey.label("k"),
                    t.entity,
                    t.currency,
                    bucket_of(t.due_date).label("b"),
                    case((t.due_date < as_of, 1), else_=0).label("od"),
                    t.micros,
                    t["items"],
                ),
                2,
            )
        o = self._open_at(as_of, today)
        bucket = bucket_of(o.c.due_date)
        overdue = case((o.c.due_date < as_of, 1), else_=0)
        q: Select[Any] = select()
        q, key = self._scoped(q, o, o.c.entity, o.c.customer_id, scope)
        inner = q.add_columns(
            key.label("k"), o.c.entity, o.c.currency, bucket.label("b"), overdue.label("od"), o.c.open_micros
        )
        return await self._sum(inner, 2)

    async def receivables(self, scope: Scope, as_of: dt.date, today: dt.date) -> list[Raw]:
        totals = self._open_totals(scope, as_of, today)
        if totals is not None:
            tq, tkey = totals
            t = report_open_totals.c
            return await self._sum_totals(
                tq.add_columns(tkey.label("k"), t.entity, t.currency, t.micros, t["items"]), 0
            )
        o = self._open_at(as_of, today)
        q: Select[Any] = select()
        q, key = self._scoped(q, o, o.c.entity, o.c.customer_id, scope)
        return await self._sum(q.add_columns(key.label("k"), o.c.entity, o.c.currency, o.c.open_micros), 0)

    async def sales(self, scope: Scope, start: dt.date, end: dt.date, period_from: dt.date) -> list[Raw]:
        """Invoiced amounts (credit notes negative) issued from start to end, by (issue month "YYYY-MM", issued
        on or after ``period_from``)."""
        totals = self._from_totals(report_sales_totals, scope)
        if totals is not None:
            tq, tkey = totals
            t = report_sales_totals.c
            return await self._sum_totals(
                tq.where(t.day >= start, t.day <= end).add_columns(
                    tkey.label("k"),
                    t.entity,
                    t.currency,
                    self._month(t.day).label("m"),
                    case((t.day >= period_from, 1), else_=0).label("r"),
                    t.micros,
                    t["items"],
                ),
                2,
            )
        i = report_items.c
        q: Select[Any] = select().where(i.kind.in_(INVOICE_KINDS), i.issue_date >= start, i.issue_date <= end)
        q, key = self._scoped(q, report_items, i.entity, i.customer_id, scope)
        recent = case((i.issue_date >= period_from, 1), else_=0)
        return await self._sum(
            q.add_columns(
                key.label("k"),
                i.entity,
                i.currency,
                self._month(i.issue_date).label("m"),
                recent.label("r"),
                i.amount_micros,
            ),
            2,
        )

    def _month(self, day: Any) -> ColumnElement[Any]:
        """The "YYYY-MM" of a date, in the session's SQL dialect (cheaper per row than a CASE per month)."""
        if self._session.get_bind().dialect.name == "sqlite":
            return func.substr(day, 1, 7)
        return func.to_char(day, "YYYY-MM")

    async def receipts(self, scope: Scope, starts: Sequence[dt.date], end: dt.date) -> list[Raw]:
        """Money received from ``starts[0]`` to ``end`` by period (see ``period_index``); reversed allocations
        left out."""
        totals = self._from_totals(report_receipt_totals, scope)
        if totals is not None:
            tq, tkey = totals
            t = report_receipt_totals.c
            return await self._sum_totals(
                tq.where(t.day >= starts[0], t.day <= end).add_columns(
                    tkey.label("k"),
                    t.entity,
                    t.currency,
                    period_index(t.day, starts, end).label("p"),
                    t.micros,
                    t["items"],
                ),
                1,
            )
        r = report_receipts.c
        q: Select[Any] = select().where(r.reversed.is_(False), r.booking_date >= starts[0], r.booking_date <= end)
        q, key = self._scoped(q, report_receipts, r.entity, r.customer_id, scope)
        return await self._sum(
            q.add_columns(
                key.label("k"),
                r.entity,
                r.currency,
                period_index(r.booking_date, starts, end).label("p"),
                r.amount_micros,
            ),
            1,
        )

    async def overdue_by_status(self, scope: Scope, as_of: dt.date, today: dt.date) -> list[Raw]:
        totals = self._open_totals(scope, as_of, today)
        in_status = self._open_totals(scope, as_of, today, report_status_totals)
        if totals is not None and in_status is not None:
            tq, tkey = totals
            t = report_open_totals.c
            overdue = await self._sum_totals(
                tq.where(t.due_date < as_of).add_columns(
                    tkey.label("k"), t.entity, t.currency, literal("").label("st"), t.micros, t["items"]
                ),
                1,
            )
            sq, skey = in_status
            st = report_status_totals.c
            statused = await self._sum_totals(
                sq.where(st.due_date < as_of, st.since <= as_of).add_columns(
                    skey.label("k"), st.entity, st.currency, st.status_code, st.micros, st["items"]
                ),
                1,
            )
            # What is in a status (since the day) is taken out of the no-status cell.
            return _merged(overdue, statused, lambda r: ("",), lambda r: r.dims)
        o = self._open_at(as_of, today)
        s = report_item_statuses.c
        status = case((s.since <= as_of, func.coalesce(s.status_code, "")), else_="")
        q: Select[Any] = select().where(o.c.due_date < as_of)
        q, key = self._scoped(q, o, o.c.entity, o.c.customer_id, scope)
        q = q.outerjoin(report_item_statuses, s.item_id == o.c.item_id)
        return await self._sum(
            q.add_columns(
                key.label("k"), o.c.entity, o.c.currency, func.coalesce(status, "").label("st"), o.c.open_micros
            ),
            1,
        )

    def _disputed(self, q: Select[Any], o: FromClause, as_of: dt.date, codes: Sequence[str]) -> Select[Any]:
        s = report_item_statuses.c
        return q.join(report_item_statuses, s.item_id == o.c.item_id).where(s.status_code.in_(codes), s.since <= as_of)

    async def disputes(self, scope: Scope, as_of: dt.date, today: dt.date, codes: Sequence[str]) -> list[Raw]:
        """Disputed open money by the day the dispute was raised."""
        totals = self._open_totals(scope, as_of, today, report_status_totals)
        if totals is not None:
            tq, tkey = totals
            t = report_status_totals.c
            return await self._sum_totals(
                tq.where(t.status_code.in_(codes), t.since <= as_of).add_columns(
                    tkey.label("k"), t.entity, t.currency, t.since, t.micros, t["items"]
                ),
                1,
            )
        o = self._open_at(as_of, today)
        q: Select[Any] = select()
        q, key = self._scoped(q, o, o.c.entity, o.c.customer_id, scope)
        q = self._disputed(q, o, as_of, codes)
        s = report_item_statuses.c
        return await self._sum(q.add_columns(key.label("k"), o.c.entity, o.c.currency, s.since, o.c.open_micros), 1)

    async def disputed_items(
        self, scope: Scope, as_of: dt.date, today: dt.date, codes: Sequence[str], limit: int
    ) -> list[DisputedItemRow]:
        """The first ``limit`` disputed open items of the scope, oldest dispute first. The disputes are walked in
        that order a page at a time, each page's items looked up by id: joining every open item to every
        dispute to keep a hundred costs a scan of the whole ledger."""
        s = report_item_statuses.c
        c = report_customers.c
        found: list[DisputedItemRow] = []
        after: tuple[dt.date, str] | None = None
        while len(found) < limit:
            page_q = select(s.since, s.item_id).where(s.status_code.in_(codes), s.since <= as_of)
            if after is not None:
                page_q = page_q.where(or_(s.since > after[0], and_(s.since == after[0], s.item_id > after[1])))
            page = list(await self._session.execute(page_q.order_by(s.since, s.item_id).limit(_DISPUTE_PAGE)))
            if not page:
                break
            after = (page[-1][0], page[-1][1])
            o = self._open_at(as_of, today, [item_id for _, item_id in page])
            q: Select[Any] = select()
            q, _ = self._scoped(q, o, o.c.entity, o.c.customer_id, scope, join_customers=True)
            q = self._disputed(q, o, as_of, codes)
            q = (
                q.add_columns(
                    o.c.item_id,
                    o.c.customer_id,
                    func.coalesce(c.name, ""),
                    s.status_code,
                    s.since,
                    s.owner,
                    s.comment,
                    o.c.currency,
                    o.c.open_micros,
                    o.c.due_date,
                )
                .order_by(s.since, o.c.item_id)
                .limit(limit - len(found))
            )
            found.extend(
                DisputedItemRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], Money(from_micros(r[8]), r[7]), r[9])
                for r in await self._session.execute(q)
            )
            if len(page) < _DISPUTE_PAGE:
                break
        return found

    async def forecast_open(
        self,
        scope: Scope,
        as_of: dt.date,
        today: dt.date,
        codes: Sequence[str],
        starts: Sequence[dt.date],
        end: dt.date,
    ) -> tuple[list[Raw], list[ForecastItem]]:
        """Open money not promised, by (period of its expected day, disputed), the expected day being the due
        day plus the customer's usual delay (see ``period_index``: -1 is before ``starts[0]``); and the
        promised items one by one."""
        p = report_promises.c
        pi = report_promise_items.c
        totals = self._open_totals(scope, as_of, today)
        promised_ids = (
            select(pi.item_id)
            .select_from(report_promise_items.join(report_promises, p.promise_id == pi.promise_id))
            .where(p.active.is_(True))
        )
        # With the totals, the item rows read are the promised ones only.
        o = self._open_at(as_of, today, promised_ids if totals is not None else None)
        s = report_item_statuses.c
        d = report_customer_delays.c
        # EXISTS rather than IN: PostgreSQL cannot turn a NOT IN (nullable semantics) into an anti-join.
        promised = exists(
            select(pi.item_id)
            .select_from(report_promise_items.join(report_promises, p.promise_id == pi.promise_id))
            .where(p.active.is_(True), pi.item_id == o.c.item_id)
        )
        disputed = case((and_(s.status_code.in_(codes), s.since <= as_of), 1), else_=0)
        delay = func.coalesce(d.delay_days, 0)

        def base(q: Select[Any]) -> tuple[Select[Any], ColumnElement[Any]]:
            q, key = self._scoped(q, o, o.c.entity, o.c.customer_id, scope)
            q = q.outerjoin(report_item_statuses, s.item_id == o.c.item_id).outerjoin(
                report_customer_delays, d.customer_id == o.c.customer_id
            )
            return q, key

        in_status = self._open_totals(scope, as_of, today, report_status_totals)
        if totals is not None and in_status is not None:
            tq, tkey = totals
            t = report_open_totals.c
            expected = await self._sum_totals(
                tq.where(t.promised == 0).add_columns(
                    tkey.label("k"),
                    t.entity,
                    t.currency,
                    period_index(self._plus_days(t.due_date, t.delay_days), starts, end).label("p"),
                    t.micros,
                    t["items"],
                ),
                1,
            )
            sq, skey = in_status
            st = report_status_totals.c
            disputed_cells = await self._sum_totals(
                sq.where(st.promised == 0, st.status_code.in_(codes), st.since <= as_of).add_columns(
                    skey.label("k"),
                    st.entity,
                    st.currency,
                    period_index(self._plus_days(st.due_date, st.delay_days), starts, end).label("p"),
                    st.micros,
                    st["items"],
                ),
                1,
            )
            # Disputed money is not expected: taken out of its period into the disputed cells.
            cells = _merged(expected, disputed_cells, lambda r: (r.dims[0], 0), lambda r: (r.dims[0], 1))
        else:
            q, key = base(select().where(~promised))
            cells = await self._sum(
                q.add_columns(
                    key.label("k"),
                    o.c.entity,
                    o.c.currency,
                    period_index(self._plus_days(o.c.due_date, delay), starts, end).label("p"),
                    disputed.label("dp"),
                    o.c.open_micros,
                ),
                2,
            )
        q, key = base(select().where(promised))
        q = q.add_columns(o.c.item_id, key, o.c.entity, o.c.currency, o.c.due_date, o.c.open_micros, disputed, delay)
        items = [
            ForecastItem(r[0], r[1] or "", r[2], r[3], r[4], from_micros(r[5]), bool(r[6]), int(r[7]))
            for r in await self._session.execute(q)
        ]
        return cells, items

    def _plus_days(self, day: Any, days: Any) -> ColumnElement[Any]:
        """``day + days`` as a date, in the session's SQL dialect."""
        bind = self._session.get_bind()
        if bind.dialect.name == "sqlite":
            # SQLite keeps dates as ISO text, which date() answers too.
            return type_coerce(func.date(day, func.printf("%+d days", days)), Date)
        return type_coerce(day + days, Date)

    async def promises_of(self, item_ids: Sequence[str]) -> list[PromiseState]:
        """The active promises covering any of these items, each with all its items."""
        p = report_promises.c
        pi = report_promise_items.c
        ids: set[str] = set()
        for chunk in _chunks(list(item_ids)):
            ids.update((await self._session.execute(select(pi.promise_id).where(pi.item_id.in_(chunk)))).scalars())
        found: list[PromiseState] = []
        for chunk in _chunks(sorted(ids)):
            rows = list(
                await self._session.execute(select(report_promises).where(p.promise_id.in_(chunk), p.active.is_(True)))
            )
            links: dict[str, list[str]] = {}
            for promise_id, item_id in await self._session.execute(
                select(pi.promise_id, pi.item_id).where(pi.promise_id.in_(chunk))
            ):
                links.setdefault(promise_id, []).append(item_id)
            found.extend(
                PromiseState(
                    r.promise_id,
                    r.plan_id,
                    r.customer_id,
                    r.promised_on,
                    Money(from_micros(r.amount_micros), r.currency),
                    tuple(sorted(links.get(r.promise_id, []))),
                )
                for r in rows
            )
        return found

    async def activities(self, scope: Scope, start: dt.date, end: dt.date) -> list[tuple[str, str, int]]:
        """(key, kind, count) between start and end. At the collector level, what a user did counts for
        that user, messages for the customer's collector."""
        a = report_activities.c
        c = report_customers.c
        q: Select[Any] = select().where(a.day >= start, a.day <= end)
        if scope.level is Level.COLLECTOR:
            key: ColumnElement[Any] = case((a.kind == "message", func.coalesce(c.collector, "")), else_=a.actor)
            q = q.select_from(report_activities.outerjoin(report_customers, c.customer_id == a.customer_id))
            if scope.entities:
                q = q.where(c.entity.in_(scope.entities))
            if scope.collector:
                q = q.where(key == scope.collector)
            if scope.customer_group:
                q = q.where(c.customer_group == scope.customer_group)
            if scope.sector:
                q = q.where(c.sector == scope.sector)
            if scope.key is not None:
                q = q.where(key == scope.key)
        else:
            q, key = self._scoped(
                q, report_activities, func.coalesce(c.entity, ""), a.customer_id, scope, join_customers=True
            )
        sub = q.add_columns(key.label("k"), a.kind.label("kind")).subquery("acts")
        rows = await self._session.execute(select(sub.c.k, sub.c.kind, func.count()).group_by(sub.c.k, sub.c.kind))
        return [(k or "", kind, int(n)) for k, kind, n in rows]

    # ---- equality of rebuilds ------------------------------------------------------------------------------

    async def fingerprint(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every read model's rows, in key order, without the event times: what a rebuild must reproduce."""
        found: dict[str, list[tuple[Any, ...]]] = {}
        for table in (
            open_items,
            timeline_entries,
            timeline_items,
            timeline_task_items,
            report_items,
            report_item_history,
            report_customers,
            report_customer_delays,
            report_entities,
            report_item_statuses,
            report_receipts,
            report_activities,
            report_promises,
            report_promise_items,
            report_open_totals,
            report_status_totals,
            report_sales_totals,
            report_receipt_totals,
        ):
            columns = [col for col in table.c if col.name != "version_at"]
            q = select(*columns).order_by(*table.primary_key.columns)
            if "items" in table.c:
                # A total that went back to nothing is as good as none.
                q = q.where(or_(table.c["micros"] != 0, table.c["items"] != 0))
            rows = await self._session.execute(q)
            found[table.name] = [tuple(r) for r in rows]
        return found
