"""Answers kept by Idempotency-Key over the real migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from opendso_gateway.app import MIGRATIONS
from opendso_gateway.domain.idempotency import KEPT_FOR
from opendso_gateway.store import SqlAccessStore, SqlIdempotencyStore

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
async def store(make_database: MakeDatabase) -> AsyncIterator[SqlIdempotencyStore]:
    access = SqlAccessStore(await make_database("gateway"), MIGRATIONS)
    await access.open()
    yield SqlIdempotencyStore(access)
    await access.close()


async def test_a_key_is_claimed_once_kept_replayed_and_forgotten_after_a_day(store: SqlIdempotencyStore) -> None:
    assert await store.claim("user:anna", "k1", "f1", NOW) is None
    running = await store.claim("user:anna", "k1", "f1", NOW)
    assert running is not None and running.status == 0
    await store.keep("user:anna", "k1", 201, "application/json", b'{"case_id": "c1"}')
    kept = await store.claim("user:anna", "k1", "f1", NOW + dt.timedelta(hours=1))
    assert kept is not None
    assert (kept.fingerprint, kept.status, kept.media_type, kept.body) == (
        "f1",
        201,
        "application/json",
        b'{"case_id": "c1"}',
    )
    assert kept.created_at == NOW
    # Another caller's key of the same name is theirs.
    assert await store.claim("user:bruno", "k1", "f9", NOW) is None
    # A day later the key is new again.
    assert await store.claim("user:anna", "k1", "f2", NOW + KEPT_FOR + dt.timedelta(seconds=1)) is None


async def test_a_released_key_runs_again(store: SqlIdempotencyStore) -> None:
    assert await store.claim("key:abc", "k", "f", NOW) is None
    await store.release("key:abc", "k")
    assert await store.claim("key:abc", "k", "f", NOW) is None
