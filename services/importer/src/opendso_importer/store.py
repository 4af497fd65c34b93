"""The importer's tables: the receivables ledger (customers, open items) and
the log of imports (which also answers a retried upload with its first report)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from opendso_db.bulk import insert_rows, upsert_rows
from opendso_db.types import Amount
from opendso_money import Money
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    LargeBinary,
    MetaData,
    RowMapping,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    text,
    update,
)

from opendso_importer.domain.entities import LatePaymentLaw, LegalEntity
from opendso_importer.domain.ids import customer_id_of as customer_id_of
from opendso_importer.domain.ids import item_id_of as item_id_of
from opendso_importer.domain.ledger import CustomerState, ItemState
from opendso_importer.staged_ledger import StagedLedger

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)

customers = Table(
    "imp_customers",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("entity", String(50), nullable=False),
    Column("account_number", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("email", String(320), nullable=True),
    Column("language", String(10), nullable=False),
    Column("country", String(2), nullable=True),
    Column("contact_name", String(300), nullable=True),
    Column("customer_group", String(200), nullable=True),
    Column("sector", String(200), nullable=True),
    Column("collector", String(200), nullable=True),
    Column("sales_rep", String(200), nullable=True),
    Column("credit_limit", Amount, nullable=True),
    Column("street", String(300), nullable=True),
    Column("postal_code", String(20), nullable=True),
    Column("city", String(200), nullable=True),
    Column("parent_account", String(100), nullable=True),
    Column("preferred_channel", String(20), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

items = Table(
    "imp_items",
    metadata,
    Column("item_id", String(250), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("account_number", String(100), nullable=False),
    Column("number", String(100), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("open_amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(300), nullable=True),
    Column("product_group", String(200), nullable=True),
    Column("product", String(200), nullable=True),
    Column("priority", String(50), nullable=True),
    Column("closed_on", Date, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

imports = Table(
    "imp_imports",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("checksum", String(64), nullable=False, index=True),
    Column("file_name", String(500), nullable=False),
    Column("report", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


contacts = Table(
    "imp_contacts",
    metadata,
    Column("contact_id", String(600), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("account_number", String(100), nullable=False),
    Column("name", String(300), nullable=True),
    Column("email", String(320), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("role", String(20), nullable=False),
    Column("language", String(10), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The organisation's legal entities, by the code customer and item rows name them with.
entities = Table(
    "imp_entities",
    metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("country", String(2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("holiday_calendar", String(2), nullable=False),
    Column("late_payment_law", String(2), nullable=False),
    Column("group_currency", String(3), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

bank_transactions = Table(
    "imp_bank_transactions",
    metadata,
    # The stable id of a statement line: a line seen in an earlier file is not published again.
    Column("transaction_id", String(64), primary_key=True),
    Column("entity", String(50), nullable=False),
    Column("statement_id", String(200), nullable=False),
    Column("import_id", String(64), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

statement_imports = Table(
    "imp_statement_imports",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("checksum", String(64), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("report", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


mapping_profiles = Table(
    "imp_mapping_profiles",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("layout_signature", String(64), nullable=False, index=True),
    Column("columns", Text, nullable=False),
    Column("constants", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class LedgerRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session

    async def customers(self, ids: Iterable[str]) -> dict[str, CustomerState]:
        found: dict[str, CustomerState] = {}
        for chunk in _chunks(sorted(set(ids))):
            for r in await self._session.execute(select(customers).where(customers.c.customer_id.in_(chunk))):
                m = r._mapping
                found[m["customer_id"]] = CustomerState(
                    entity=m["entity"],
                    account_number=m["account_number"],
                    name=m["name"],
                    email=m["email"],
                    language=m["language"],
                    country=m["country"],
                    contact_name=m["contact_name"],
                    customer_group=m["customer_group"],
                    sector=m["sector"],
                    collector=m["collector"],
                    sales_rep=m["sales_rep"],
                    credit_limit=m["credit_limit"],
                    street=m["street"],
                    postal_code=m["postal_code"],
                    city=m["city"],
                    parent_account=m["parent_account"],
                    preferred_channel=m["preferred_channel"],
                )
        return found

    async def items(self, ids: Iterable[str]) -> dict[str, ItemState]:
        found: dict[str, ItemState] = {}
        for chunk in _chunks(sorted(set(ids))):
            for r in await self._session.execute(select(items).where(items.c.item_id.in_(chunk))):
                found[r._mapping["item_id"]] = _item_state(r._mapping)
        return found

    async def open_items_of(self, customer_id: str) -> list[ItemState]:
        rows = await self._session.execute(
            select(items)
            .where(items.c.customer_id == customer_id, items.c.closed_on.is_(None))
            .order_by(items.c.due_date, items.c.number)
        )
        return [_item_state(r._mapping) for r in rows]

    async def open_items_of_entities(self, entities: list[str]) -> list[ItemState]:
        rows = await self._session.execute(
            select(items).where(items.c.entity.in_(entities), items.c.closed_on.is_(None))
        )
        return [_item_state(r._mapping) for r in rows]

    async def import_report(self, import_id: str) -> bytes | None:
        return await self._session.scalar(select(imports.c.report).where(imports.c.import_id == import_id))

    async def save_customers(self, created: list[CustomerState], changed: list[CustomerState]) -> None:
        """Insert the new customers and update the changed ones, one statement each."""
        now = dt.datetime.now(dt.UTC)

        def row(state: CustomerState) -> dict[str, object]:
            return {
                "customer_id": customer_id_of(state.entity, state.account_number),
                **state.__dict__,
                "updated_at": now,
            }

        if created:
            await self._insert(customers, [row(s) for s in created])
        if changed:
            values = [{**row(s), "b_id": row(s)["customer_id"]} for s in changed]
            for v in values:
                del v["customer_id"]
            await self._session.execute(update(customers).where(customers.c.customer_id == bindparam("b_id")), values)

    async def _insert(self, table: Table, rows: list[dict[str, object]]) -> None:
        await insert_rows(self._session, table, rows)

    async def save_items(
        self, created: list[tuple[ItemState, dt.date | None]], changed: list[tuple[ItemState, dt.date | None]]
    ) -> None:
        """Insert the new items and update the known ones, one statement each; a date closes an item, an
        open amount reopens it, and a paid item changed in another way keeps the day it was closed."""
        if created:
            await self._insert(items, [self._item_row(s, c) for s, c in created])
        dated: list[dict[str, object]] = []
        keeping: list[dict[str, object]] = []
        for state, closed_on in changed:
            row = self._item_row(state, closed_on)
            row["b_id"] = row.pop("item_id")
            if closed_on is None and not state.is_open:
                del row["closed_on"]
                keeping.append(row)
            else:
                dated.append(row)
        for values in (dated, keeping):
            if values:
                await self._session.execute(update(items).where(items.c.item_id == bindparam("b_id")), values)

    @staticmethod
    def _item_row(state: ItemState, closed_on: dt.date | None) -> dict[str, object]:
        return {
            "item_id": item_id_of(state.entity, state.kind, state.number),
            "customer_id": customer_id_of(state.entity, state.account_number),
            "entity": state.entity,
            "account_number": state.account_number,
            "number": state.number,
            "kind": state.kind,
            "issue_date": state.issue_date,
            "due_date": state.due_date,
            "amount": state.amount.amount,
            "open_amount": state.open_amount.amount,
            "currency": state.amount.currency,
            "reference": state.reference,
            "product_group": state.product_group,
            "product": state.product,
            "priority": state.priority,
            "closed_on": closed_on,
            "updated_at": dt.datetime.now(dt.UTC),
        }

    async def prefer_index_lookups(self) -> None:
        """For the rest of this transaction, look rows up by index even where the planner would scan.

        A chunked import COPYs rows into a table and then looks up the next chunk's keys in it, in one
        transaction: the planner's statistics still say the table is empty, so without this each lookup
        scans the whole table (measured: one second per lookup at 500,000 rows).
        """
        connection = await self._session.connection()
        if connection.dialect.name == "postgresql":
            await self._session.execute(text("SET LOCAL enable_seqscan = off"))

    async def staged(self) -> StagedLedger | None:
        """Set-based writes for large imports where the backend has them (PostgreSQL), else None."""
        return await StagedLedger.open(self._session)

    async def contacts(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored contacts by id, as column -> value."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(ids))):
            for r in await self._session.execute(select(contacts).where(contacts.c.contact_id.in_(chunk))):
                found[r._mapping["contact_id"]] = dict(r._mapping)
        return found

    async def contacts_of(self, customer_id: str) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(contacts)
            .where(contacts.c.customer_id == customer_id)
            .order_by(contacts.c.role, contacts.c.contact_id)
        )
        return [dict(r._mapping) for r in rows]

    async def contacts_of_entities(self, codes: list[str]) -> list[dict[str, Any]]:
        """Every stored contact of these entities: what a full snapshot of their contacts is compared with."""
        rows = await self._session.execute(select(contacts).where(contacts.c.entity.in_(codes)))
        return [dict(r._mapping) for r in rows]

    async def save_contacts(self, rows: list[dict[str, Any]]) -> None:
        now = dt.datetime.now(dt.UTC)
        await upsert_rows(self._session, contacts, "contact_id", [{**r, "updated_at": now} for r in rows])

    async def remove_contacts(self, ids: Iterable[str]) -> None:
        """Delete these contacts: no history is kept, as nothing reads a contact once it is gone."""
        for chunk in _chunks(sorted(set(ids))):
            await self._session.execute(contacts.delete().where(contacts.c.contact_id.in_(chunk)))

    async def entities(self) -> dict[str, LegalEntity]:
        """Every recorded entity by code: an organisation has a handful, never enough to page."""
        rows = await self._session.execute(select(entities).order_by(entities.c.code))
        return {
            m["code"]: LegalEntity(
                code=m["code"],
                name=m["name"],
                country=m["country"],
                currency=m["currency"],
                time_zone=m["time_zone"],
                holiday_calendar=m["holiday_calendar"],
                late_payment_law=LatePaymentLaw(m["late_payment_law"]),
                group_currency=m["group_currency"],
            )
            for m in (r._mapping for r in rows)
        }

    async def save_entities(self, states: list[LegalEntity]) -> None:
        """Insert the new entities and update the known ones."""
        now = dt.datetime.now(dt.UTC)
        await upsert_rows(
            self._session,
            entities,
            "code",
            [{**asdict(s), "late_payment_law": str(s.late_payment_law), "updated_at": now} for s in states],
        )

    async def known_transactions(self, ids: Iterable[str]) -> set[str]:
        """The ids among ``ids`` of lines published before.

        One query whatever the number of ids (a statement has up to hundreds of thousands):
        the ids travel as one array, or on SQLite as one JSON array.
        """
        wanted = list(set(ids))
        if not wanted:
            return set()
        connection = await self._session.connection()
        if connection.dialect.name == "sqlite":
            # CROSS JOIN keeps SQLite's planner on the ids first, one index probe each.
            query = text(
                "SELECT t.transaction_id FROM json_each(:ids) AS j"
                " CROSS JOIN imp_bank_transactions AS t ON t.transaction_id = j.value"
            )
            rows = await self._session.execute(query, {"ids": json.dumps(wanted)})
        else:
            query = text("SELECT transaction_id FROM imp_bank_transactions WHERE transaction_id = ANY(:ids)")
            rows = await self._session.execute(query, {"ids": wanted})
        return set(rows.scalars())

    async def record_transactions(self, entity: str, statement_id: str, ids: list[str], import_id: str) -> None:
        """Remember the ids of a statement's lines published in this import."""
        if not ids:
            return
        now = dt.datetime.now(dt.UTC)
        connection = await self._session.connection()
        if connection.dialect.name != "sqlite":
            await self._insert(
                bank_transactions,
                [
                    {
                        "transaction_id": t,
                        "entity": entity,
                        "statement_id": statement_id,
                        "import_id": import_id,
                        "imported_at": now,
                    }
                    for t in ids
                ],
            )
            return
        # One statement over a JSON array of the ids, not a parameter set per row.
        insert_from_json = text(
            "INSERT INTO imp_bank_transactions (transaction_id, entity, statement_id, import_id, imported_at)"
            " SELECT value, :entity, :statement_id, :import_id, :imported_at FROM json_each(:ids)"
        ).bindparams(bindparam("imported_at", type_=bank_transactions.c.imported_at.type))
        await self._session.execute(
            insert_from_json,
            {
                "ids": json.dumps(ids),
                "entity": entity,
                "statement_id": statement_id,
                "import_id": import_id,
                "imported_at": now,
            },
        )

    async def statement_import_by_key(self, key: str) -> bytes | None:
        return await self._session.scalar(
            select(statement_imports.c.report).where(statement_imports.c.idempotency_key == key)
        )

    async def record_statement_import(
        self, import_id: str, key: str | None, checksum: str, file_name: str, report: bytes
    ) -> None:
        await self._session.execute(
            insert(statement_imports).values(
                import_id=import_id,
                idempotency_key=key,
                checksum=checksum,
                file_name=file_name,
                report=report,
                created_at=dt.datetime.now(dt.UTC),
            )
        )

    async def profile_for_layout(self, signature: str) -> tuple[str, dict[str, str], dict[str, str]] | None:
        """The most recently saved profile for a layout: (name, columns, constants)."""
        row = (
            await self._session.execute(
                select(mapping_profiles)
                .where(mapping_profiles.c.layout_signature == signature)
                .order_by(mapping_profiles.c.saved_at.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        m = row._mapping
        return m["name"], json.loads(m["columns"]), json.loads(m["constants"])

    async def save_profile(self, name: str, signature: str, columns: dict[str, str], constants: dict[str, str]) -> None:
        values = {
            "layout_signature": signature,
            "columns": json.dumps(columns, sort_keys=True),
            "constants": json.dumps(constants, sort_keys=True),
            "saved_at": dt.datetime.now(dt.UTC),
        }
        found = await self._session.scalar(select(mapping_profiles.c.name).where(mapping_profiles.c.name == name))
        if found is None:
            await self._session.execute(insert(mapping_profiles).values(name=name, **values))
        else:
            await self._session.execute(
                update(mapping_profiles).where(mapping_profiles.c.name == name).values(**values)
            )

    async def import_by_key(self, key: str) -> bytes | None:
        return await self._session.scalar(select(imports.c.report).where(imports.c.idempotency_key == key))

    async def record_import(
        self, import_id: str, key: str | None, checksum: str, file_name: str, report: bytes
    ) -> None:
        await self._session.execute(
            insert(imports).values(
                import_id=import_id,
                idempotency_key=key,
                checksum=checksum,
                file_name=file_name,
                report=report,
                created_at=dt.datetime.now(dt.UTC),
            )
        )


def _item_state(m: RowMapping) -> ItemState:
    g = m.__getitem__
    currency = g("currency")
    return ItemState(
        entity=g("entity"),
        account_number=g("account_number"),
        number=g("number"),
        kind=g("kind"),
        issue_date=g("issue_date"),
        due_date=g("due_date"),
        amount=Money(Decimal(g("amount")), currency),
        open_amount=Money(Decimal(g("open_amount")), currency),
        reference=g("reference"),
        product_group=g("product_group"),
        product=g("product"),
        priority=g("priority"),
    )


class UnitOfWork(SqlUnitOfWork):
    ledger: LedgerRepository

    def _open(self) -> None:
        self.ledger = LedgerRepository(self)
