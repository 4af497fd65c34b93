"""The transactional outbox: messages are written in the business transaction
and a relay publishes them to JetStream afterwards, retrying every unpublished
row (including rows a crash left behind) until the server acknowledges it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from google.protobuf.message import Message
from opendso_contracts.registry import subject_for
from opendso_db.bulk import insert_tuples
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opendso_bus.envelope import headers_for, meta_of

log = logging.getLogger(__name__)
# What a new outbox row is written with (seq, published_at and last_error take their defaults).
_COLUMNS = ("event_id", "subject", "payload", "headers", "created_at", "attempts")

# Publishes a batch of (subject, payload, headers) in order; answers, per
# message, whether the server acknowledged it.
PublishBatch = Callable[[list[tuple[str, bytes, dict[str, str]]]], Awaitable[list[bool]]]


class Outbox:
    """Writes outgoing messages into the service's outbox table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def add(self, session: AsyncSession, message: Message) -> None:
        await self.add_many(session, [message])

    async def add_many(self, session: AsyncSession, messages: list[Message]) -> None:
        """Record several messages in one statement (bulk imports record thousands)."""
        if not messages:
            return
        now = dt.datetime.now(dt.UTC)
        rows = []
        for message in messages:
            meta = meta_of(message)
            if not meta.event_id:
                raise ValueError(f"{message.DESCRIPTOR.full_name} has no event id")
            rows.append(
                (
                    meta.event_id,
                    subject_for(type(message)),
                    message.SerializeToString(),
                    json.dumps(headers_for(message)),
                    now,
                    0,
                )
            )
        await insert_tuples(session, self.table, _COLUMNS, rows)

    async def backlog(self, session: AsyncSession) -> int:
        count = await session.scalar(
            select(func.count()).select_from(self.table).where(self.table.c.published_at.is_(None))
        )
        return int(count or 0)


class OutboxRelay:
    """Publishes unpublished outbox rows in order; woken at once by ``kick()``
    after a commit, and by a timer so rows left by a crash go out too."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        publish: PublishBatch,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 1000,
        batch_bytes: int = 16 * 1024 * 1024,
        lock_rows: bool = False,
    ) -> None:
        self._sessions = sessions
        self._table = table
        self._publish = publish
        self._poll = poll_seconds
        self._batch = batch_size
        # A bulk import writes messages of a thousand changes (about 250 kB each): a thousand of them read
        # at once would hold a quarter of a gigabyte. A batch stops at this many bytes (one row at least).
        self._batch_bytes = batch_bytes
        self._cut_short = False
        # PostgreSQL: claim rows with FOR UPDATE SKIP LOCKED so several
        # instances of a service never publish the same row concurrently.
        self._lock_rows = lock_rows
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def kick(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                sent = await self.publish_pending()
                failures = 0
            except Exception:
                failures += 1
                log.exception("outbox relay: publishing failed (attempt %d); will retry", failures)
                sent = 0
            if sent >= self._batch or self._cut_short:
                # A full batch, or one the byte budget cut: more rows are waiting, go on at once.
                continue
            delay = self._poll if failures == 0 else min(30.0, self._poll * 2**failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; return how many were published."""
        if self._lock_rows:
            async with self._sessions() as session, session.begin():
                last = await self._batch_end(session, lock=True)
                if last is None:
                    return 0
                query = self._rows_through(last).with_for_update(skip_locked=True)
                rows = (await session.execute(query)).all()
                published = await self._publish_rows(rows)
                await self._mark(session, published)
            return len(published)
        # SQLite: one writer per file; read, publish, then mark in a short
        # write transaction so handlers are not blocked while we wait on NATS.
        async with self._sessions() as session:
            last = await self._batch_end(session, lock=False)
            rows = [] if last is None else (await session.execute(self._rows_through(last))).all()
            await session.rollback()
        published = await self._publish_rows(rows)
        async with self._sessions() as session, session.begin():
            await self._mark(session, published)
        return len(published)

    async def _batch_end(self, session: AsyncSession, *, lock: bool) -> int | None:
        """The seq of the last row of the next batch: at most batch_size rows and batch_bytes of payload
        (the sizes come from the table, not the payloads), None when nothing waits."""
        t = self._table
        query = (
            select(t.c.seq, func.length(t.c.payload))
            .where(t.c.published_at.is_(None))
            .order_by(t.c.seq)
            .limit(self._batch)
        )
        if lock:
            query = query.with_for_update(skip_locked=True)
        last: int | None = None
        total = 0
        self._cut_short = False
        for seq, size in (await session.execute(query)).all():
            total += size
            if last is not None and total > self._batch_bytes:
                self._cut_short = True
                break
            last = seq
        return last

    def _rows_through(self, last: int) -> Any:
        t = self._table
        return (
            select(t.c.seq, t.c.subject, t.c.payload, t.c.headers)
            .where(t.c.published_at.is_(None), t.c.seq <= last)
            .order_by(t.c.seq)
            .limit(self._batch)
        )

    async def _publish_rows(self, rows: Any) -> list[int]:
        if not rows:
            return []
        acked = await self._publish(
            [(subject, bytes(payload), json.loads(headers)) for _, subject, payload, headers in rows]
        )
        published = [row[0] for row, ok in zip(rows, acked, strict=True) if ok]
        if not published:
            raise RuntimeError(f"none of {len(rows)} outbox messages was acknowledged")
        return published

    async def _mark(self, session: AsyncSession, seqs: list[int]) -> None:
        if seqs:
            t = self._table
            await session.execute(update(t).where(t.c.seq.in_(seqs)).values(published_at=dt.datetime.now(dt.UTC)))
