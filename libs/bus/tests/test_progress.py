"""Progress values through the JetStream key-value bucket, on a real nats-server."""

from __future__ import annotations

import uuid

import nats
import pytest
from nats.js.api import StorageType
from opendso_bus.progress import PROGRESS_TTL_SECONDS, KvProgressStore, get_progress, progress_bucket
from opendso_contracts.registry import IMPORT_PROGRESS_BUCKET

pytestmark = pytest.mark.integration


async def test_the_latest_value_written_under_a_key_is_read_back_and_another_key_reads_none(nats_url: str) -> None:
    key, other = uuid.uuid4().hex, uuid.uuid4().hex
    nc = await nats.connect(nats_url)
    try:
        store = KvProgressStore(nc.jetstream)
        await store.put(key, b"rows=1")
        await store.put(key, b"rows=2")
        assert await get_progress(nc.jetstream(), key) == b"rows=2"
        assert await get_progress(nc.jetstream(), other) is None
        # Only the latest value is kept, in memory, and expires.
        status = await (await progress_bucket(nc.jetstream())).status()  # type: ignore[union-attr]
        assert status.history == 1
        assert status.ttl == PROGRESS_TTL_SECONDS
        info = await nc.jetstream().stream_info(f"KV_{IMPORT_PROGRESS_BUCKET}")
        assert info.config.storage == StorageType.MEMORY
    finally:
        await nc.close()


async def test_reading_before_any_import_wrote_progress_finds_nothing_and_creates_no_bucket(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        if await progress_bucket(js, create=False) is not None:
            await js.delete_key_value(IMPORT_PROGRESS_BUCKET)
        assert await get_progress(js, uuid.uuid4().hex) is None
        assert await progress_bucket(js, create=False) is None
    finally:
        await nc.close()
