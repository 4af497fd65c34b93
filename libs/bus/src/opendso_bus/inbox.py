"""The inbox: which events a consumer has already processed, kept in the
consumer's own database and written in the same transaction as its effects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

# Ids per IN list: well under SQLite's and asyncpg's limits on bound parameters.
_IDS_PER_QUERY = 500


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

    async def seen_many(self, session: AsyncSession, consumer: str, event_ids: Collection[str]) -> set[str]:
        """Those of ``event_ids`` this consumer has processed already."""
        t = self._table
        found: set[str] = set()
        ids = list(event_ids)
        for first in range(0, len(ids), _IDS_PER_QUERY):
            rows = await session.execute(
                select(t.c.event_id).where(
                    t.c.consumer == consumer, t.c.event_id.in_(ids[first : first + _IDS_PER_QUERY])
                )
            )
            found.update(rows.scalars())
        return found

    async def record_many(self, session: AsyncSession, consumer: str, event_ids: Collection[str]) -> None:
        """:meth:`record` for several events, in one statement."""
        if event_ids:
            now = dt.datetime.now(dt.UTC)
            await session.execute(
                insert(self._table), [{"consumer": consumer, "event_id": e, "processed_at": now} for e in event_ids]
            )
