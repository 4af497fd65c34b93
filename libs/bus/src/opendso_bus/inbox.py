"""The inbox: which events a consumer has already processed, kept in the
consumer's own database and written in the same transaction as its effects."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession


class Inbox:
    def __init__(self, table: Table) -> None:
        self._table = table

    async def seen(self, session: AsyncSession, consumer: str, event_id: str) -> bool:
        t = self._table
        row = await session.execute(select(t.c.event_id).where(t.c.consumer == consumer, t.c.event_id == event_id))
        return row.first() is not None

    async def record(self, session: AsyncSession, consumer: str, event_id: str) -> None:
        # A concurrent duplicate fails here on the primary key at commit, so
        # its transaction (and its effects) roll back and the redelivery finds it seen.
        await session.execute(
            insert(self._table).values(consumer=consumer, event_id=event_id, processed_at=dt.datetime.now(dt.UTC))
        )
