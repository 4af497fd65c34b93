"""The reporting service's read model: the open items it ages, kept from item events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from opendso_db.bulk import upsert_rows
from opendso_db.types import Amount
from opendso_money import Money
from sqlalchemy import Boolean, Column, Date, DateTime, MetaData, String, Table, select

from opendso_reporting.domain.aging import AgingItem

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


class UnitOfWork(SqlUnitOfWork):
    items: OpenItemRepository

    def _open(self) -> None:
        self.items = OpenItemRepository(self)
