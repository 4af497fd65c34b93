"""The ledger's set-based writes for large imports on PostgreSQL: a chunk of parsed rows is COPYed into a
temporary staging table and compared with the ledger in SQL, and only what changed comes back.

Why: looking a chunk's rows up, comparing them in Python and writing them back cost about 50 µs a row,
most of a million-row import. Here a chunk costs one COPY and two statements, whatever its size. The
meaning is the row-by-row path's (``domain.ledger.diff_customer`` / ``diff_item``, which SQLite still
takes): equal values (``100`` and ``100.00``) are no change, changed fields are named as there, sorted.

The staging tables are temporary and dropped at the end of the import's transaction, whatever its end:
a crash or a rollback leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opendso_db.types import canonical_amount
from opendso_money import Money
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opendso_importer.domain.ledger import CustomerState, ItemState
from opendso_importer.domain.receivables_csv import CustomerRow

# Columns compared for a change, with the field name a change reports. An item's entity, kind and number
# and a customer's entity and account number make up their id, so they cannot differ between matched rows.
# Money fields are compared with their currency: EUR 100 -> CZK 100 is a change of the amount.
_ITEM_COMPARED = {
    "account_number": "i.account_number IS DISTINCT FROM s.account_number",
    "amount": "(i.amount <> s.amount OR i.currency <> s.currency)",
    "due_date": "i.due_date <> s.due_date",
    "issue_date": "i.issue_date <> s.issue_date",
    "open_amount": "(i.open_amount <> s.open_amount OR i.currency <> s.currency)",
    "priority": "i.priority IS DISTINCT FROM s.priority",
    "product": "i.product IS DISTINCT FROM s.product",
    "product_group": "i.product_group IS DISTINCT FROM s.product_group",
    "reference": "i.reference IS DISTINCT FROM s.reference",
}
_CUSTOMER_FIELDS = (
    "name",
    "email",
    "language",
    "country",
    "contact_name",
    "customer_group",
    "sector",
    "collector",
    "sales_rep",
    "credit_limit",
    "street",
    "postal_code",
    "city",
    "parent_account",
    "preferred_channel",
)

ITEM_STAGE_COLUMNS = (
    "item_id",
    "customer_id",
    "entity",
    "account_number",
    "number",
    "kind",
    "issue_date",
    "due_date",
    "amount",
    "open_amount",
    "currency",
    "reference",
    "product_group",
    "product",
    "priority",
)
CUSTOMER_STAGE_COLUMNS = ("customer_id", "entity", "account_number", *_CUSTOMER_FIELDS)

_CREATE = """
CREATE TEMPORARY TABLE imp_stage_items (
    seq integer, item_id text COLLATE "C", customer_id text, entity text, account_number text, number text, kind text,
    issue_date date, due_date date, amount numeric, open_amount numeric, currency text, reference text,
    product_group text, product text, priority text
) ON COMMIT DROP;
CREATE TEMPORARY TABLE imp_stage_customers (
    customer_id text PRIMARY KEY, entity text, account_number text, name text, email text, language text,
    country text, contact_name text, customer_group text, sector text, collector text, sales_rep text,
    credit_limit numeric, street text, postal_code text, city text, parent_account text,
    preferred_channel text
) ON COMMIT DROP;
CREATE TEMPORARY TABLE imp_seen_items (item_id text COLLATE "C") ON COMMIT DROP;
"""


def _changed_array(compared: dict[str, str]) -> str:
    # Sorted names, as the row-by-row diff reports them.
    cases = ", ".join(f"CASE WHEN {test} THEN '{name}' END" for name, test in sorted(compared.items()))
    return f"array_remove(ARRAY[{cases}]::text[], NULL)"


_ITEM_SET = ", ".join(f"{c} = d.{c}" for c in ITEM_STAGE_COLUMNS if c not in ("item_id", "entity", "number", "kind"))
# One pass over the chunk: each staged item is looked up once (a left join), the changed ones updated, the
# new ones inserted, and only the positions of what was added or changed come back, with whether each was
# open before (NULL: new) and its changed fields. Data-modifying CTEs see the same snapshot; the update
# and the insert touch different items.
_APPLY_ITEMS = f"""
WITH d AS MATERIALIZED (
    SELECT s.*, i.item_id IS NOT NULL AS existed, i.open_amount <> 0 AS was_open,
           CASE WHEN i.item_id IS NOT NULL THEN {_changed_array(_ITEM_COMPARED)} END AS changed
    FROM imp_stage_items s LEFT JOIN imp_items i ON i.item_id = s.item_id
), u AS (
    UPDATE imp_items i SET {_ITEM_SET},
        closed_on = CASE WHEN d.open_amount <> 0 THEN NULL
                         WHEN d.was_open THEN $1::date
                         ELSE i.closed_on END,
        updated_at = $2
    FROM d WHERE i.item_id = d.item_id AND d.existed AND cardinality(d.changed) > 0
), n AS (
    INSERT INTO imp_items ({", ".join(ITEM_STAGE_COLUMNS)}, closed_on, updated_at)
    SELECT {", ".join(f"d.{c}" for c in ITEM_STAGE_COLUMNS)}, CASE WHEN d.open_amount = 0 THEN $1::date END, $2
    FROM d WHERE NOT d.existed
)
SELECT seq, was_open, changed FROM d WHERE NOT existed OR cardinality(changed) > 0
"""
# Off with the scans goes JIT compilation: a scan of the staging table (it has no index: filling one would
# cost more than it saves) is then priced at "disabled", far above the cost that triggers JIT, which
# would compile every statement of every chunk (measured: 113 s instead of 10 s for a million rows).
_INDEX_LOOKUPS = (
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
    "SET LOCAL jit = off"
)
# Whether the ledger holds any item of an entity: its ids are the range from "entity/" to "entity0" in
# code point order ("0" follows "/"), one probe of the key's index (migration 0008 gives it the "C"
# collation; the comparison says so itself, so that it is right on an older column too, only slower).
_ENTITY_HAS_ITEMS = (
    'SELECT EXISTS (SELECT 1 FROM imp_items WHERE item_id COLLATE "C" >= $1 AND item_id COLLATE "C" < $2)'
)
_ANY_ITEM_EXISTS = "SELECT EXISTS (SELECT 1 FROM imp_items WHERE item_id = ANY($1::text[]))"
_CUSTOMER_COMPARED = {f: f"i.{f} IS DISTINCT FROM s.{f}" for f in _CUSTOMER_FIELDS}
_CHANGED_CUSTOMERS = f"""
WITH c AS (
    SELECT s.customer_id, {_changed_array(_CUSTOMER_COMPARED)} AS changed
    FROM imp_stage_customers s JOIN imp_customers i ON i.customer_id = s.customer_id
), u AS (
    UPDATE imp_customers i SET {", ".join(f"{f} = s.{f}" for f in _CUSTOMER_FIELDS)}, updated_at = $1
    FROM c JOIN imp_stage_customers s ON s.customer_id = c.customer_id
    WHERE i.customer_id = c.customer_id AND cardinality(c.changed) > 0
)
SELECT customer_id, changed FROM c WHERE cardinality(changed) > 0
"""
_NEW_CUSTOMERS = f"""
INSERT INTO imp_customers ({", ".join(CUSTOMER_STAGE_COLUMNS)}, updated_at)
SELECT {", ".join(f"s.{c}" for c in CUSTOMER_STAGE_COLUMNS)}, $1
FROM imp_stage_customers s
WHERE NOT EXISTS (SELECT 1 FROM imp_customers i WHERE i.customer_id = s.customer_id)
RETURNING customer_id
"""
_CLOSE_MISSING = """
UPDATE imp_items i SET open_amount = 0, closed_on = $1::date, updated_at = $2
WHERE i.entity = ANY($3::text[]) AND i.closed_on IS NULL
  AND NOT EXISTS (SELECT 1 FROM imp_seen_items s WHERE s.item_id = i.item_id)
RETURNING i.entity, i.account_number, i.number, i.kind, i.issue_date, i.due_date, i.amount, i.currency,
          i.reference, i.product_group, i.product, i.priority
"""


@dataclass(frozen=True)
class StagedItemChanges:
    """What a chunk did to the ledger: the positions (in the lines given) of the items it added, in
    order, and of those it changed with whether each was open before and the fields that differ."""

    added: list[int]
    changed: list[tuple[int, bool, list[str]]]


class StagedLedger:
    """The set-based writes of one import's transaction (PostgreSQL only)."""

    def __init__(self, connection: Any) -> None:
        self._db = connection  # the asyncpg connection under the session, in the session's transaction
        # Entities that had no item when this import first met them: every item of theirs it writes is new.
        self._empty_entities: set[str] = set()
        self._probed_entities: set[str] = set()

    @classmethod
    async def open(cls, session: AsyncSession) -> StagedLedger | None:
        """The staging tables in the session's transaction, or None when the backend is not PostgreSQL."""
        connection = await session.connection()
        if connection.dialect.name != "postgresql":
            return None
        # Through the session first, so that its transaction has begun before the tables are made in it.
        # Index lookups: the planner's statistics of a ledger COPYed in this very transaction say "empty",
        # so it would hash or merge a chunk against the whole ledger, once per chunk.
        for setting in _INDEX_LOOKUPS.split("; "):
            await session.execute(text(setting))
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None, "an open session has a driver connection"
        await raw.execute(_CREATE)
        return cls(raw)

    async def apply_customers(
        self, rows: Sequence[tuple[Any, ...]], now: dt.datetime
    ) -> tuple[list[str], list[tuple[str, list[str]]]]:
        """Write a chunk's customers (rows in CUSTOMER_STAGE_COLUMNS order, one per id); answer the ids
        added and the (id, changed fields) of those changed."""
        if not rows:
            return [], []
        await self._stage("imp_stage_customers", CUSTOMER_STAGE_COLUMNS, rows)
        changed = [(r[0], list(r[1])) for r in await self._db.fetch(_CHANGED_CUSTOMERS, now)]
        added = [r[0] for r in await self._db.fetch(_NEW_CUSTOMERS, now)]
        return added, changed

    async def apply_item_text(
        self,
        ids: Sequence[str],
        lines: Sequence[str],
        is_open: Sequence[bool],
        entities: Sequence[str],
        today: dt.date,
        now: dt.datetime,
        *,
        remember: bool = False,
    ) -> StagedItemChanges:
        """Write a chunk's items, one per id, given as their ids, lines of COPY text in ITEM_STAGE_COLUMNS
        order (see parallel_reading.staged_item), whether each is open and its entity: a new item already
        paid is recorded closed today, an open item paid off is closed today, a paid one reopened loses its
        closing date. ``remember``: a full snapshot's items, kept to close at its end what it no longer
        lists."""
        if not lines:
            return StagedItemChanges([], [])
        if await self._all_new(ids, entities):
            await self._insert_new(lines, is_open, today, now)
            if remember:
                await self._db.copy_records_to_table("imp_seen_items", records=[(i,) for i in ids])
            return StagedItemChanges(list(range(len(lines))), [])
        await self._db.execute("TRUNCATE imp_stage_items")
        # Each line led by its position, which is what comes back: small numbers, not ids to look up.
        text_rows = "".join(f"{seq}\t{line}\n" for seq, line in enumerate(lines)).encode()
        await self._db.copy_to_table(
            "imp_stage_items", source=io.BytesIO(text_rows), columns=["seq", *ITEM_STAGE_COLUMNS], format="text"
        )
        added: list[int] = []
        changed: list[tuple[int, bool, list[str]]] = []
        for seq, was_open, fields in await self._db.fetch(_APPLY_ITEMS, today, now):
            if was_open is None:
                added.append(seq)
            else:
                changed.append((seq, was_open, list(fields)))
        if remember:
            await self._db.execute("INSERT INTO imp_seen_items SELECT item_id FROM imp_stage_items")
        added.sort()
        return StagedItemChanges(added, changed)

    async def _all_new(self, ids: Sequence[str], entities: Sequence[str]) -> bool:
        """Whether none of these items is in the ledger yet. The items of an entity that had none when
        this import met it are new (the file's checks let an id through once); others are looked up."""
        for entity in set(entities) - self._probed_entities:
            self._probed_entities.add(entity)
            if not await self._db.fetchval(_ENTITY_HAS_ITEMS, f"{entity}/", f"{entity}0"):
                self._empty_entities.add(entity)
        if self._empty_entities.issuperset(entities):
            return True
        return not await self._db.fetchval(_ANY_ITEM_EXISTS, list(ids))

    async def _insert_new(
        self, lines: Sequence[str], is_open: Sequence[bool], today: dt.date, now: dt.datetime
    ) -> None:
        """New items COPYed straight into the ledger: what the staging table and its comparison would
        find (all of them added) without their cost, about a third of the database's work per item."""
        tail_open = f"\t\\N\t{now.isoformat()}\n"
        tail_closed = f"\t{today.isoformat()}\t{now.isoformat()}\n"
        text_rows = "".join(
            line + (tail_open if open_now else tail_closed) for line, open_now in zip(lines, is_open, strict=True)
        ).encode()
        await self._db.copy_to_table(
            "imp_items",
            source=io.BytesIO(text_rows),
            columns=[*ITEM_STAGE_COLUMNS, "closed_on", "updated_at"],
            format="text",
        )

    async def close_missing(self, entities: Sequence[str], today: dt.date, now: dt.datetime) -> list[ItemState]:
        """Close the open items of these entities that the snapshot did not list; answer them as closed."""
        # A hash anti-join over the whole ledger: here a scan is what the planner should pick.
        await self._db.execute(
            "ANALYZE imp_seen_items; SET LOCAL enable_seqscan = on; SET LOCAL enable_hashjoin = on; "
            "SET LOCAL enable_mergejoin = on"
        )
        rows = await self._db.fetch(_CLOSE_MISSING, today, now, list(entities))
        await self._db.execute(_INDEX_LOOKUPS)
        closed = []
        for r in rows:
            currency = r["currency"]
            closed.append(
                ItemState(
                    entity=r["entity"],
                    account_number=r["account_number"],
                    number=r["number"],
                    kind=r["kind"],
                    issue_date=r["issue_date"],
                    due_date=r["due_date"],
                    amount=Money(canonical_amount(r["amount"]), currency),
                    open_amount=Money(Decimal(0), currency),
                    reference=r["reference"],
                    product_group=r["product_group"],
                    product=r["product"],
                    priority=r["priority"],
                )
            )
        return closed

    async def _stage(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        await self._db.execute(f"TRUNCATE {table}")
        await self._db.copy_records_to_table(table, records=rows, columns=list(columns))


def customer_stage_row(customer_id: str, state: CustomerState | CustomerRow) -> tuple[Any, ...]:
    return (
        customer_id,
        state.entity,
        state.account_number,
        state.name,
        state.email,
        state.language,
        state.country,
        state.contact_name,
        state.customer_group,
        state.sector,
        state.collector,
        state.sales_rep,
        state.credit_limit,
        state.street,
        state.postal_code,
        state.city,
        state.parent_account,
        state.preferred_channel,
    )
