"""The outbox relay reads a bounded batch: so many rows, and so many bytes of payload."""

from __future__ import annotations

import datetime as dt

import pytest
from opendso_bus import outbox_table
from opendso_bus.outbox import OutboxRelay
from opendso_db import create_engine, ensure_database, session_factory
from sqlalchemy import MetaData, insert, select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("lock_rows", [False, True])
async def test_a_batch_stops_at_its_byte_budget_and_takes_one_row_however_large(
    make_database: MakeDatabase, db_backend: str, lock_rows: bool
) -> None:
    if lock_rows and db_backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    metadata = MetaData()
    table = outbox_table(metadata)
    url = await make_database("outbox_batches")
    await ensure_database(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    sizes = [100, 100, 100, 1000, 50]
    async with sessions() as session, session.begin():
        await session.execute(
            insert(table),
            [
                {
                    "event_id": f"e{i}",
                    "subject": "test.subject",
                    "payload": bytes([i]) * size,
                    "headers": "{}",
                    "created_at": dt.datetime.now(dt.UTC),
                    "attempts": 0,
                }
                for i, size in enumerate(sizes)
            ],
        )
    batches: list[list[int]] = []

    async def publish(messages: list[tuple[str, bytes, dict[str, str]]]) -> list[bool]:
        batches.append([len(payload) for _, payload, _ in messages])
        return [True] * len(messages)

    relay = OutboxRelay(sessions, table, publish, batch_size=3, batch_bytes=250, lock_rows=lock_rows)
    while await relay.publish_pending():
        pass
    # 250 bytes: two rows of 100; then the third, alone as the large one would not fit beside it; then the
    # large one alone (over the budget, still published); then the rest.
    assert batches == [[100, 100], [100], [1000], [50]]
    async with sessions() as session:
        unpublished = (await session.execute(select(table.c.seq).where(table.c.published_at.is_(None)))).all()
    assert unpublished == []
    await engine.dispose()


async def test_batches_cut_by_the_byte_budget_follow_each_other_without_waiting_for_the_next_poll(
    make_database: MakeDatabase,
) -> None:
    import asyncio

    metadata = MetaData()
    table = outbox_table(metadata)
    url = await make_database("outbox_follow")
    await ensure_database(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await session.execute(
            insert(table),
            [
                {
                    "event_id": f"e{i}",
                    "subject": "test.subject",
                    "payload": b"x" * 100,
                    "headers": "{}",
                    "created_at": dt.datetime.now(dt.UTC),
                    "attempts": 0,
                }
                for i in range(10)
            ],
        )
    published: list[int] = []

    async def publish(messages: list[tuple[str, bytes, dict[str, str]]]) -> list[bool]:
        published.append(len(messages))
        return [True] * len(messages)

    # A poll far away: only going on at once after a cut batch publishes all ten soon.
    relay = OutboxRelay(sessions, table, publish, poll_seconds=3600, batch_size=1000, batch_bytes=250)
    relay.start()
    try:
        for _ in range(200):
            if sum(published) == 10:
                break
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
        await engine.dispose()
    assert published == [2, 2, 2, 2, 2]
