"""How far long-running work is, for whoever waits on it: a JetStream key-value bucket in memory.

Progress is not a domain event: only the latest value of a key is kept (history 1), in memory, for a few
minutes after its last write. A writer never waits for a reader, and a lost value only means a progress
bar that moves less often.
"""

from __future__ import annotations

from collections.abc import Callable

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue
from opendso_contracts.registry import IMPORT_PROGRESS_BUCKET

# Longer than the longest pause between two writes of a running import (they come every half second, the
# commit of a large file takes seconds); short enough that nothing piles up.
PROGRESS_TTL_SECONDS = 300.0


async def progress_bucket(js: JetStreamContext, *, create: bool = True) -> KeyValue | None:
    """The import progress bucket; created when missing if ``create``, else None."""
    try:
        return await js.key_value(IMPORT_PROGRESS_BUCKET)
    except BucketNotFoundError:
        if not create:
            return None
        return await js.create_key_value(
            KeyValueConfig(
                bucket=IMPORT_PROGRESS_BUCKET,
                history=1,
                ttl=PROGRESS_TTL_SECONDS,
                storage=StorageType.MEMORY,
                description="How far each running import is, by progress key",
            )
        )


class KvProgressStore:
    """Writes progress values into the bucket (made on the first write), over the JetStream context
    ``jetstream()`` answers then (a service connects after it is built)."""

    def __init__(self, jetstream: Callable[[], JetStreamContext]) -> None:
        self._jetstream = jetstream
        self._bucket: KeyValue | None = None

    async def put(self, key: str, value: bytes) -> None:
        if self._bucket is None:
            self._bucket = await progress_bucket(self._jetstream())
        assert self._bucket is not None
        await self._bucket.put(key, value)


async def get_progress(js: JetStreamContext, key: str) -> bytes | None:
    """The latest value under ``key``; None when there is none (never written, expired, or no bucket yet)."""
    bucket = await progress_bucket(js, create=False)
    if bucket is None:
        return None
    try:
        entry = await bucket.get(key)
    except KeyNotFoundError:
        return None
    return entry.value
