"""The matching service's tables: its own copy of customers and open items (from the importer's events),
the keys items are found by, what it learned (IBANs, name aliases), bank lines and allocations."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from opendso_db.bulk import insert_rows, insert_tuples, one_of, upsert_rows
from opendso_db.types import Amount, canonical_amount
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
    and_,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from opendso_matching.domain.keys import item_keys
from opendso_matching.domain.model import Customer, OpenItem

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)

customers = Table(
    "mat_customers",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("entity", String(50), nullable=False, index=True),
    Column("account_number", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
)

items = Table(
    "mat_items",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("number", String(100), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    # As the ledger (the ERP, through the importer) last said; allocations not yet reflected there come off it.
    Column("open_amount", Amount, nullable=False),
    Column("reference", String(300), nullable=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
    # The version of its entity's items (item_versions) at which this item last changed, its allocations
    # included: a service holding the items reads only those that changed since the version it holds.
    Column("seq", Integer, nullable=False, server_default="0"),
    Index("ix_mat_items_entity_seq", "entity", "seq"),
)

# The keys (see domain.keys) each item is found by in a remittance text.
item_keys_table = Table(
    "mat_item_keys",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("item_id", String(250), primary_key=True),
    Index("ix_mat_item_keys_item_id", "item_id"),
)

ibans = Table(
    "mat_ibans",
    metadata,
    Column("iban", String(34), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    # "confirmed" (a collector said so) or "applied" (seen on a payment applied by its references).
    Column("source", String(20), nullable=False),
    Column("learned_at", DateTime(timezone=True), nullable=False),
)

aliases = Table(
    "mat_aliases",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("alias", String(300), primary_key=True),
    Column("learned_at", DateTime(timezone=True), nullable=False),
)

transactions = Table(
    "mat_transactions",
    metadata,
    Column("transaction_id", String(64), primary_key=True),
    Column("entity", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("booking_date", Date, nullable=False),
    # opendso.banking.v1.BankTransaction and opendso.matching.v1.Proposal, serialized.
    Column("transaction", LargeBinary, nullable=False),
    Column("proposal", LargeBinary, nullable=False),
    Column("allocation_id", String(64), nullable=True),
    # A person decided about this line (e.g. reversed its allocation): it is not matched again by itself.
    Column("held", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_mat_transactions_queue", "status", "entity", "booking_date", "transaction_id"),
)

allocations = Table(
    "mat_allocations",
    metadata,
    Column("allocation_id", String(64), primary_key=True),
    Column("transaction_id", String(64), nullable=False, index=True),
    Column("customer_id", String(200), nullable=False),
    Column("entity", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    # opendso.matching.v1.PaymentAllocated without its meta: what was decided, to reverse it exactly.
    Column("decision", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reversed_at", DateTime(timezone=True), nullable=True),
)

# When each entity's ledger last changed, and when its queued lines were last matched again: a payment
# that arrived before its invoice was imported is applied once the invoice is there.
ledger_changes = Table(
    "mat_ledger_changes",
    metadata,
    Column("entity", String(50), primary_key=True),
    # Counted, not timed: two changes within one clock tick must still both be seen.
    Column("version", Integer, nullable=False),
    Column("rematched_version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# A counter per entity, raised in the transaction that changes its customers or learns an alias: an index of
# the entity's names built at one version holds exactly as long as the counter stays there.
name_versions = Table(
    "mat_name_versions",
    metadata,
    Column("entity", String(50), primary_key=True),
    Column("version", Integer, nullable=False),
)

# A counter per entity, raised once by each transaction that changes its items (their rows or their allocations),
# before it touches them: on PostgreSQL the row stays locked until that transaction ends, so versions are
# committed in their order and a reader that sees a version sees every item stamped with it or before.
item_versions = Table(
    "mat_item_versions",
    metadata,
    Column("entity", String(50), primary_key=True),
    Column("version", Integer, nullable=False),
)

allocation_lines = Table(
    "mat_allocation_lines",
    metadata,
    Column("allocation_id", String(64), primary_key=True),
    Column("item_id", String(250), primary_key=True),
    # What the allocation takes off the item: paid plus written off.
    Column("settled", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("active", Boolean, nullable=False),
    # The ledger has since said what the item owes, payment included: it no longer comes off.
    Column("reflected", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The item's entity and the version of its items (item_versions) at which the line was made or reversed: what
    # a service holding the items reads back (items_changed_since) without the items' own rows being rewritten.
    Column("entity", String(50), nullable=False, server_default=""),
    Column("seq", Integer, nullable=False, server_default="0"),
    Index("ix_mat_allocation_lines_item", "item_id"),
    Index("ix_mat_allocation_lines_entity_seq", "entity", "seq"),
)


class TransactionRecord(NamedTuple):
    """A bank line as stored, its fields in the order of its table's columns (_TRANSACTION_COLUMNS): a batch's
    records are handed to the database as they are."""

    transaction_id: str
    entity: str
    status: str
    booking_date: dt.date
    transaction: bytes
    proposal: bytes
    allocation_id: str | None
    updated_at: dt.datetime
    held: bool = False


class AllocationRecord(NamedTuple):
    allocation_id: str
    transaction_id: str
    customer_id: str
    entity: str
    status: str
    decision: bytes


def _transaction(row: Any) -> TransactionRecord:
    m = row._mapping
    return TransactionRecord(
        transaction_id=m["transaction_id"],
        entity=m["entity"],
        status=m["status"],
        booking_date=m["booking_date"],
        transaction=m["transaction"],
        proposal=m["proposal"],
        allocation_id=m["allocation_id"],
        updated_at=m["updated_at"],
        held=m["held"],
    )


class MatchingRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.session = uow.session
        # entity -> the item version this transaction raised it to (see item_versions): one raise per transaction.
        self.stamps: dict[str, int] = {}

    # --- the ledger copy --------------------------------------------------------------------------

    async def upsert_customers(self, rows: list[Customer], version_at: dt.datetime) -> None:
        await upsert_rows(
            self.session,
            customers,
            "customer_id",
            [{**_customer_row(c), "version_at": version_at} for c in rows],
            newer_only=True,
        )

    async def upsert_items(self, rows: list[OpenItem], version_at: dt.datetime) -> None:
        """Store the items and the keys they are found by; an older event never overwrites a newer state."""
        if not rows:
            return
        latest = {r.item_id: r for r in rows}
        ids = list(latest)
        found = await self.session.execute(
            select(items.c.item_id, items.c.version_at).where(await one_of(self.session, items.c.item_id, ids))
        )
        stored = {r.item_id: _aware(r.version_at) for r in found}
        fresh = [r for r in latest.values() if r.item_id not in stored or stored[r.item_id] <= version_at]
        if not fresh:
            return
        stamps = await self.stamp_entities(r.entity for r in fresh)
        await upsert_rows(
            self.session,
            items,
            "item_id",
            [{**_item_row(r), "version_at": version_at, "seq": stamps[r.entity]} for r in fresh],
            newer_only=True,
            existing=set(stored),
        )
        # Only an item stored before has keys to replace and allocations the ledger may now reflect.
        known_ids = [r.item_id for r in fresh if r.item_id in stored]
        if known_ids:
            await self.session.execute(
                delete(item_keys_table).where(await one_of(self.session, item_keys_table.c.item_id, known_ids))
            )
        await insert_rows(
            self.session,
            item_keys_table,
            [{"key": key, "item_id": r.item_id} for r in fresh for key in sorted(item_keys(r.number, r.reference))],
        )
        # The ledger now speaks for these items: payments allocated before this state are in it.
        if known_ids:
            await self.session.execute(
                update(allocation_lines)
                .where(
                    await one_of(self.session, allocation_lines.c.item_id, known_ids),
                    allocation_lines.c.created_at <= version_at,
                )
                .values(reflected=True)
            )

    async def item_ids_by_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = set(keys)
        if not wanted:
            return set()
        rows = await self.session.execute(
            select(item_keys_table.c.item_id).where(await one_of(self.session, item_keys_table.c.key, wanted))
        )
        return set(rows.scalars())

    async def items_by_ids(self, ids: Iterable[str]) -> list[OpenItem]:
        """Items as they stand: what the ledger says minus the allocations it does not know yet."""
        return await self._items(items.c.item_id, set(ids))

    async def items_of_customers(self, customer_ids: Iterable[str]) -> list[OpenItem]:
        return await self._items(items.c.customer_id, set(customer_ids))

    async def _items(self, column: Any, values: set[str]) -> list[OpenItem]:
        if not values:
            return []
        rows = await self.session.execute(_items_standing(await one_of(self.session, column, values)))
        return [_open_item(r) for r in rows]

    # --- the items held in memory (see held.HeldLedger) ---------------------------------------------

    async def stamp(self, entity: str) -> int:
        """The version this transaction's changes to the entity's items are stamped with: raised once, the first
        time, before any item is touched (see item_versions)."""
        return (await self.stamp_entities([entity]))[entity]

    async def stamp_entities(self, entities: Iterable[str]) -> dict[str, int]:
        """:meth:`stamp` for several entities: those not yet raised by this transaction raised in one statement."""
        wanted = sorted(set(entities))
        new = [e for e in wanted if e not in self.stamps]
        if new:
            raised = await self.session.execute(
                update(item_versions)
                .where(item_versions.c.entity.in_(new))
                .values(version=item_versions.c.version + 1)
                .returning(item_versions.c.entity, item_versions.c.version)
            )
            self.stamps.update((r.entity, int(r.version)) for r in raised)
            first = [{"entity": e, "version": 1} for e in new if e not in self.stamps]
            if first:
                await self.session.execute(insert(item_versions), first)
                self.stamps.update((e, 1) for e in new if e not in self.stamps)
        return {e: self.stamps[e] for e in wanted}

    async def item_versions(self) -> dict[str, int]:
        rows = await self.session.execute(select(item_versions.c.entity, item_versions.c.version))
        return {r.entity: int(r.version) for r in rows}

    async def items_changed_since(self, entity: str, version: int) -> list[OpenItem]:
        """The entity's items stamped after ``version`` (their rows, or an allocation line of theirs), as they
        stand. Each side found through its own (entity, seq) index."""
        changed = (
            select(items.c.item_id)
            .where(items.c.entity == entity, items.c.seq > version)
            .union(
                select(allocation_lines.c.item_id).where(
                    allocation_lines.c.entity == entity, allocation_lines.c.seq > version
                )
            )
        )
        rows = await self.session.execute(_items_standing(items.c.item_id.in_(changed)))
        return [_open_item(r) for r in rows]

    async def all_items(self, chunk: int = 20_000) -> AsyncIterator[list[OpenItem]]:
        """Every item as it stands, ``chunk`` at a time (a million do not sit in memory as rows at once)."""
        result = await self.session.stream(_items_standing())
        async for rows in result.partitions(chunk):
            yield [_open_item(r) for r in rows]

    async def entities(self) -> list[str]:
        """The entities the service knows customers of."""
        rows = await self.session.execute(select(customers.c.entity).distinct().order_by(customers.c.entity))
        return list(rows.scalars())

    async def customers_of_entity(self, entity: str) -> list[Customer]:
        rows = await self.session.execute(select(customers).where(customers.c.entity == entity))
        return [Customer(r.customer_id, r.entity, r.name, r.account_number) for r in rows]

    async def entities_of_customers(self, customer_ids: Iterable[str]) -> set[str]:
        wanted = set(customer_ids)
        if not wanted:
            return set()
        rows = await self.session.execute(
            select(customers.c.entity).where(await one_of(self.session, customers.c.customer_id, wanted))
        )
        return set(rows.scalars())

    async def customer(self, customer_id: str) -> Customer | None:
        r = (await self.session.execute(select(customers).where(customers.c.customer_id == customer_id))).first()
        return None if r is None else Customer(r.customer_id, r.entity, r.name, r.account_number)

    # --- what was learned -------------------------------------------------------------------------

    async def ibans_for(self, ibans_wanted: Iterable[str]) -> dict[str, str]:
        wanted = {i for i in ibans_wanted if i}
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(ibans.c.iban, ibans.c.customer_id).where(await one_of(self.session, ibans.c.iban, wanted))
        )
        return {r.iban: r.customer_id for r in rows}

    async def aliases_of_entity(self, entity: str) -> list[tuple[str, str]]:
        rows = await self.session.execute(
            select(aliases.c.customer_id, aliases.c.alias)
            .join(customers, customers.c.customer_id == aliases.c.customer_id)
            .where(customers.c.entity == entity)
        )
        return [(r.customer_id, r.alias) for r in rows]

    async def learn_iban(self, iban: str, customer_id: str, source: str, now: dt.datetime) -> bool:
        """Remember who pays from this IBAN; a collector's word replaces what was inferred. True if new."""
        current = (await self.session.execute(select(ibans).where(ibans.c.iban == iban))).first()
        if current is not None:
            if current.customer_id == customer_id or (current.source == "confirmed" and source != "confirmed"):
                return False
            await self.session.execute(
                update(ibans).where(ibans.c.iban == iban).values(customer_id=customer_id, source=source, learned_at=now)
            )
            return True
        await self.session.execute(
            insert(ibans).values(iban=iban, customer_id=customer_id, source=source, learned_at=now)
        )
        return True

    async def learn_ibans(self, learned: list[tuple[str, str]], source: str, now: dt.datetime) -> None:
        """:meth:`learn_iban` for many (each IBAN once): those nobody's yet written at once."""
        wanted = dict(learned)
        if not wanted:
            return
        rows = await self.session.execute(select(ibans.c.iban).where(await one_of(self.session, ibans.c.iban, wanted)))
        known = set(rows.scalars())
        await insert_rows(
            self.session,
            ibans,
            [
                {"iban": iban, "customer_id": customer_id, "source": source, "learned_at": now}
                for iban, customer_id in wanted.items()
                if iban not in known
            ],
        )
        for iban in sorted(known):
            await self.learn_iban(iban, wanted[iban], source, now)

    async def learn_alias(self, customer_id: str, alias: str, now: dt.datetime) -> bool:
        found = await self.session.scalar(
            select(aliases.c.alias).where(aliases.c.customer_id == customer_id, aliases.c.alias == alias)
        )
        if found is not None:
            return False
        await self.session.execute(insert(aliases).values(customer_id=customer_id, alias=alias, learned_at=now))
        return True

    # --- bank lines and allocations ---------------------------------------------------------------

    async def known_transactions(self, ids: Iterable[str]) -> set[str]:
        wanted = set(ids)
        if not wanted:
            return set()
        rows = await self.session.execute(
            select(transactions.c.transaction_id).where(
                await one_of(self.session, transactions.c.transaction_id, wanted)
            )
        )
        return set(rows.scalars())

    async def add_transactions(self, records: list[TransactionRecord]) -> None:
        await insert_tuples(self.session, transactions, _TRANSACTION_COLUMNS, list(records))

    async def transaction(self, transaction_id: str, *, for_update: bool = False) -> TransactionRecord | None:
        statement = select(transactions).where(transactions.c.transaction_id == transaction_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).first()
        return None if row is None else _transaction(row)

    async def set_transaction(
        self,
        transaction_id: str,
        *,
        status: str,
        allocation_id: str | None,
        proposal: bytes,
        now: dt.datetime,
        held: bool | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "allocation_id": allocation_id,
            "proposal": proposal,
            "updated_at": now,
        }
        if held is not None:
            values["held"] = held
        await self.session.execute(
            update(transactions).where(transactions.c.transaction_id == transaction_id).values(**values)
        )

    async def ledger_changed(self, entities: Iterable[str], now: dt.datetime) -> None:
        wanted = sorted(set(entities))
        if not wanted:
            return
        known = set(
            (await self.session.execute(select(ledger_changes.c.entity).where(ledger_changes.c.entity.in_(wanted))))
            .scalars()
            .all()
        )
        if known:
            await self.session.execute(
                update(ledger_changes)
                .where(ledger_changes.c.entity.in_(sorted(known)))
                .values(version=ledger_changes.c.version + 1, changed_at=now)
            )
        new = [{"entity": e, "version": 1, "rematched_version": 0, "changed_at": now} for e in wanted if e not in known]
        if new:
            await self.session.execute(insert(ledger_changes), new)

    async def names_changed(self, entities: Iterable[str]) -> None:
        """Customers or aliases of these entities changed: raise their name versions."""
        wanted = sorted(set(entities))
        if not wanted:
            return
        known = set(
            (await self.session.execute(select(name_versions.c.entity).where(name_versions.c.entity.in_(wanted))))
            .scalars()
            .all()
        )
        if known:
            await self.session.execute(
                update(name_versions)
                .where(name_versions.c.entity.in_(sorted(known)))
                .values(version=name_versions.c.version + 1)
            )
        new = [{"entity": e, "version": 1} for e in wanted if e not in known]
        if new:
            await self.session.execute(insert(name_versions), new)

    async def names_versions(self, entities: Iterable[str]) -> dict[str, int]:
        """:meth:`names_version` of several entities in one query."""
        wanted = sorted(set(entities))
        found = {e: 0 for e in wanted}
        if wanted:
            rows = await self.session.execute(
                select(name_versions.c.entity, name_versions.c.version).where(name_versions.c.entity.in_(wanted))
            )
            found.update((r.entity, int(r.version)) for r in rows)
        return found

    async def names_version(self, entity: str) -> int:
        """The entity's name version (0 before any change was counted)."""
        found = await self.session.scalar(select(name_versions.c.version).where(name_versions.c.entity == entity))
        return int(found or 0)

    async def entities_to_rematch(self) -> list[tuple[str, int]]:
        """Entities whose ledger changed since their queued lines were last matched, with the change's version."""
        rows = await self.session.execute(
            select(ledger_changes.c.entity, ledger_changes.c.version).where(
                ledger_changes.c.rematched_version < ledger_changes.c.version
            )
        )
        return [(r.entity, r.version) for r in rows]

    async def rematched(self, entity: str, version: int) -> None:
        await self.session.execute(
            update(ledger_changes).where(ledger_changes.c.entity == entity).values(rematched_version=version)
        )

    async def queued_lines(self, entity: str, limit: int) -> list[TransactionRecord]:
        """Lines of the entity waiting in review or suspense that no person has held, oldest first."""
        rows = await self.session.execute(
            select(transactions)
            .where(
                transactions.c.entity == entity,
                transactions.c.status.in_(("in_review", "suspense")),
                transactions.c.held.is_(False),
            )
            .order_by(transactions.c.booking_date, transactions.c.transaction_id)
            .limit(limit)
            # Locked until the pass commits: a collector's confirmation of one of them waits, then sees it applied.
            .with_for_update()
        )
        return [_transaction(r) for r in rows]

    async def queue(
        self, status: str, entity: str, limit: int, after: tuple[dt.date, str] | None
    ) -> tuple[list[TransactionRecord], int]:
        where = [transactions.c.status == status]
        if entity:
            where.append(transactions.c.entity == entity)
        total = await self.session.scalar(select(func.count()).select_from(transactions).where(*where)) or 0
        statement = select(transactions).where(*where)
        if after is not None:
            booked, tid = after
            statement = statement.where(
                or_(
                    transactions.c.booking_date > booked,
                    and_(transactions.c.booking_date == booked, transactions.c.transaction_id > tid),
                )
            )
        rows = await self.session.execute(
            statement.order_by(transactions.c.booking_date, transactions.c.transaction_id).limit(limit)
        )
        return [_transaction(r) for r in rows], total

    async def add_allocation(
        self,
        record: AllocationRecord,
        lines: list[tuple[str, Money]],
        now: dt.datetime,
    ) -> None:
        await self.add_allocations([(record, lines)], now)

    async def add_allocations(
        self, recorded: list[tuple[AllocationRecord, list[tuple[str, Money]]]], now: dt.datetime
    ) -> None:
        """Allocations with what each settles of its items, a table at a time; each line stamped with its entity's
        new item version (item_versions)."""
        if not recorded:
            return
        stamps = await self.stamp_entities(record.entity for record, _ in recorded)
        await insert_tuples(
            self.session,
            allocations,
            _ALLOCATION_COLUMNS,
            [(*r, now, None) for r, _ in recorded],
        )
        await insert_tuples(
            self.session,
            allocation_lines,
            _ALLOCATION_LINE_COLUMNS,
            [
                (
                    r.allocation_id,
                    item_id,
                    settled.amount,
                    settled.currency,
                    True,
                    False,
                    now,
                    r.entity,
                    stamps[r.entity],
                )
                for r, lines in recorded
                for item_id, settled in lines
            ],
        )

    async def allocation(self, allocation_id: str, *, for_update: bool = False) -> AllocationRecord | None:
        statement = select(allocations).where(allocations.c.allocation_id == allocation_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).first()
        if row is None:
            return None
        m = row._mapping
        return AllocationRecord(
            m["allocation_id"], m["transaction_id"], m["customer_id"], m["entity"], m["status"], m["decision"]
        )

    async def reverse_allocation(self, allocation_id: str, now: dt.datetime) -> None:
        entity = await self.session.scalar(
            select(allocations.c.entity).where(allocations.c.allocation_id == allocation_id)
        )
        if entity is None:
            return
        version = await self.stamp(entity)
        await self.session.execute(
            update(allocations)
            .where(allocations.c.allocation_id == allocation_id)
            .values(status="reversed", reversed_at=now)
        )
        # The lines carry the new version: their items are read back by whoever holds them.
        await self.session.execute(
            update(allocation_lines)
            .where(allocation_lines.c.allocation_id == allocation_id)
            .values(active=False, entity=entity, seq=version)
        )


_TRANSACTION_COLUMNS = TransactionRecord._fields
_ALLOCATION_COLUMNS = (*AllocationRecord._fields, "created_at", "reversed_at")
_ALLOCATION_LINE_COLUMNS = (
    "allocation_id",
    "item_id",
    "settled",
    "currency",
    "active",
    "reflected",
    "created_at",
    "entity",
    "seq",
)


def _items_standing(*where: Any) -> Any:
    """Items (those ``where`` says) as they stand: what the ledger says minus the allocations it does not know yet.
    Each item's own allocations are listed (through their index on the item), not every allocation's of the table
    and then joined: that grew with every line applied, for every batch. Listed as text and summed here, exactly:
    SQLite's SUM of decimal text is a sum of binary floats (100.10 + 200.20 = 300.29999999999995)."""
    pending = (
        select(func.aggregate_strings(cast(allocation_lines.c.settled, String), " "))
        .where(
            allocation_lines.c.item_id == items.c.item_id,
            allocation_lines.c.active.is_(True),
            allocation_lines.c.reflected.is_(False),
        )
        .scalar_subquery()
    )
    return select(
        items.c.item_id,
        items.c.customer_id,
        items.c.entity,
        items.c.number,
        items.c.kind,
        items.c.due_date,
        items.c.currency,
        items.c.open_amount,
        items.c.reference,
        pending,
    ).where(*where)


def _open_item(row: Any) -> OpenItem:
    # By position, as _items_standing selects them: a row's mapping view cost more than the rest of the item.
    item_id, customer_id, entity, number, kind, due_date, currency, open_amount, reference, pending = row
    if pending:
        open_amount = canonical_amount(open_amount - sum((Decimal(part) for part in pending.split()), Decimal(0)))
    return OpenItem(
        item_id=item_id,
        customer_id=customer_id,
        entity=entity,
        number=number,
        kind=kind,
        due_date=due_date,
        open_amount=Money(open_amount, currency),
        reference=reference,
    )


def _customer_row(c: Customer) -> dict[str, Any]:
    return {"customer_id": c.customer_id, "entity": c.entity, "account_number": c.account_number, "name": c.name}


def _item_row(i: OpenItem) -> dict[str, Any]:
    return {
        "item_id": i.item_id,
        "customer_id": i.customer_id,
        "entity": i.entity,
        "number": i.number,
        "kind": i.kind,
        "due_date": i.due_date,
        "currency": i.open_amount.currency,
        "open_amount": i.open_amount.amount,
        "reference": i.reference,
    }


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes for what was stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class UnitOfWork(SqlUnitOfWork):
    repo: MatchingRepository
    # Run once this transaction has committed, in order (and dropped if it rolls back): what holds a copy of the
    # tables in memory takes what the transaction wrote only once it is written for good.
    after_commit: list[Callable[[], object]]

    def _open(self) -> None:
        self.repo = MatchingRepository(self)
        self.after_commit = []

    async def commit(self) -> None:
        await super().commit()
        # The next transaction raises the versions again: a stamp reused after this commit would be one a reader
        # may already have read past.
        self.repo.stamps.clear()
        done, self.after_commit = self.after_commit, []
        for action in done:
            action()

    async def rollback(self) -> None:
        await super().rollback()
        self.repo.stamps.clear()
        self.after_commit = []
