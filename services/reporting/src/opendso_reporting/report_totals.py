"""Running totals of the reports' read models per level and node (tables in store.py): what each item and
each receipt adds to them is a function of its stored state, so a writer takes the contributions of the rows
it touches before and after its writes and adds the difference. A redelivered event changes no row, so it
adds nothing; a rebuild (``recompute``) gets the same totals from the rows themselves."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from opendso_db.bulk import insert_rows
from sqlalchemy import ColumnElement, Table, delete, exists, select, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from opendso_reporting.store import (
    report_customer_delays,
    report_customers,
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
)

# The day of an item's open amount now (its other rows are changes on past days).
CURRENT_DAY = dt.date(9999, 12, 31)
INVOICE_KINDS = (1, 2)
_CHUNK = 500
# Any constant: every totals writer of the database takes this transaction lock first, so that two events
# touching the same item (a payment, its customer moving collector) never read each other's old state.
_LOCK_KEY = 7_204_113
ITEM_TOTALS = (report_open_totals, report_status_totals, report_sales_totals)

Deltas = dict[Any, list[int]]


def _nodes(group: str | None, sector: str | None, collector: str | None) -> list[tuple[str, str]]:
    return [("group", ""), ("customer_group", group or ""), ("sector", sector or ""), ("collector", collector or "")]


def _add(found: Deltas, key: Any, micros: int, items: int) -> None:
    cell = found[key]
    cell[0] += micros
    cell[1] += items


def _chunks(keys: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


class Totals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._locked = False

    async def lock(self) -> None:
        if self._locked:
            return
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        # SQLite: the unit of work's BEGIN IMMEDIATE already admits one writer at a time.
        self._locked = True

    # ---- contributions -------------------------------------------------------------------------------------

    async def _items(self, where: ColumnElement[bool], found: tuple[Deltas, Deltas, Deltas]) -> None:
        """Add the items' contributions to the (open, status, sales) totals."""
        open_found, status_found, sales_found = found
        i = report_items.c
        s = report_item_statuses.c
        d = report_customer_delays.c
        h = report_item_history.c
        pi = report_promise_items.c
        p = report_promises.c
        promised = exists(
            select(pi.item_id)
            .select_from(report_promise_items.join(report_promises, p.promise_id == pi.promise_id))
            .where(p.active.is_(True), pi.item_id == i.item_id)
        )
        q = (
            select(
                i.item_id,
                i.entity,
                i.currency,
                i.due_date,
                i.open_micros,
                i.closed_on,
                i.kind,
                i.issue_date,
                i.amount_micros,
                i.customer_group,
                i.sector,
                i.collector,
                s.status_code,
                s.since,
                d.delay_days,
                promised.label("promised"),
            )
            .select_from(
                report_items.outerjoin(report_item_statuses, s.item_id == i.item_id).outerjoin(
                    report_customer_delays, d.customer_id == i.customer_id
                )
            )
            .where(where)
        )
        rows = list(await self._session.execute(q))
        if not rows:
            return
        history: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
        hq = (
            select(h.item_id, h.day, h.open_micros)
            .select_from(report_item_history.join(report_items, i.item_id == h.item_id))
            .where(where)
            .order_by(h.item_id, h.day)
        )
        for item_id, day, micros in await self._session.execute(hq):
            history[item_id].append((day, int(micros)))
        for r in rows:
            nodes = _nodes(r.customer_group, r.sector, r.collector)
            rest = (r.entity, r.currency, r.due_date, int(r.delay_days or 0), 1 if r.promised else 0)
            status = (r.status_code, r.since) if r.status_code is not None else None
            changes: list[tuple[dt.date, int, int]] = []
            if r.closed_on is None and r.open_micros:
                changes.append((CURRENT_DAY, int(r.open_micros), 1))
            before = 0
            for day, micros in history.get(r.item_id, ()):
                change = micros - before
                opened = (micros != 0) - (before != 0)
                if change or opened:
                    changes.append((day, change, opened))
                before = micros
            for day, change, opened in changes:
                for level, node in nodes:
                    _add(open_found, (level, day, node, *rest), change, opened)
                    if status is not None:
                        _add(status_found, (level, day, node, *rest, *status), change, opened)
            if r.kind in INVOICE_KINDS and r.issue_date is not None:
                for level, node in nodes:
                    _add(sales_found, (level, node, r.issue_date, r.entity, r.currency), int(r.amount_micros), 1)

    async def _receipts(self, where: ColumnElement[bool], found: Deltas) -> None:
        r = report_receipts.c
        c = report_customers.c
        q = (
            select(r.entity, r.currency, r.booking_date, r.amount_micros, c.customer_group, c.sector, c.collector)
            .select_from(report_receipts.outerjoin(report_customers, c.customer_id == r.customer_id))
            .where(where, r.reversed.is_(False))
        )
        for row in await self._session.execute(q):
            for level, node in _nodes(row.customer_group, row.sector, row.collector):
                _add(found, (level, node, row.booking_date, row.entity, row.currency), int(row.amount_micros), 1)

    # ---- writes --------------------------------------------------------------------------------------------

    async def around_items(self, item_ids: Sequence[str], change: Callable[[], Awaitable[None]]) -> None:
        """Run ``change`` (writes to these items' rows, statuses, promises or delays) and move the totals by
        what it changed."""
        await self.lock()
        ids = sorted(set(item_ids))
        before = _empty()
        for chunk in _chunks(ids):
            await self._items(report_items.c.item_id.in_(chunk), before)
        await change()
        after = _empty()
        for chunk in _chunks(ids):
            await self._items(report_items.c.item_id.in_(chunk), after)
        for table, b, a in zip(ITEM_TOTALS, before, after, strict=True):
            await self._apply(table, _difference(b, a))

    async def around_receipts(
        self, where: Sequence[ColumnElement[bool]], change: Callable[[], Awaitable[None]]
    ) -> None:
        """The same for receipts: each of ``where`` picks some of the receipts ``change`` touches."""
        await self.lock()
        before: Deltas = defaultdict(lambda: [0, 0])
        for w in where:
            await self._receipts(w, before)
        await change()
        after: Deltas = defaultdict(lambda: [0, 0])
        for w in where:
            await self._receipts(w, after)
        await self._apply(report_receipt_totals, _difference(before, after))

    async def _apply(self, table: Table, deltas: Deltas) -> None:
        if not deltas:
            return
        names = [col.name for col in table.primary_key.columns]
        rows = [{**dict(zip(names, key, strict=True)), "micros": m, "items": n} for key, (m, n) in deltas.items()]
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=names,
            set_={
                "micros": table.c["micros"] + statement.excluded["micros"],
                # By name: ``.items`` is the column collection's method.
                "items": table.c["items"] + statement.excluded["items"],
            },
        )
        await self._session.execute(statement, rows)

    async def recompute(self) -> None:
        """Every total from the read models' rows (after a bulk load, or to check the running ones)."""
        await self.lock()
        items = _empty()
        receipts_found: Deltas = defaultdict(lambda: [0, 0])
        await self._items(true(), items)
        await self._receipts(true(), receipts_found)
        for table, found in (*zip(ITEM_TOTALS, items, strict=True), (report_receipt_totals, receipts_found)):
            await self._session.execute(delete(table))
            names = [col.name for col in table.primary_key.columns]
            await insert_rows(
                self._session,
                table,
                [
                    {**dict(zip(names, key, strict=True)), "micros": m, "items": n}
                    for key, (m, n) in found.items()
                    if m or n
                ],
            )


def _empty() -> tuple[Deltas, Deltas, Deltas]:
    return defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])


def _difference(before: Deltas, after: Deltas) -> Deltas:
    found: Deltas = {}
    for key in before.keys() | after.keys():
        b = before.get(key, (0, 0))
        a = after.get(key, (0, 0))
        if a[0] != b[0] or a[1] != b[1]:
            found[key] = [a[0] - b[0], a[1] - b[1]]
    return found
