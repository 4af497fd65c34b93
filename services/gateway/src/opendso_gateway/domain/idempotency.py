"""Answers kept by Idempotency-Key: what the gateway remembers of a POST so that repeating it does nothing
again (the rules are in opendso_gateway.idempotency)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Protocol

# Kept a day: long enough for any client's retries, short enough not to pile up.
KEPT_FOR = dt.timedelta(hours=24)


@dataclasses.dataclass(frozen=True)
class KeptAnswer:
    """What a key's first request did: its fingerprint, and its answer once it has one (status 0: running)."""

    fingerprint: str
    status: int
    media_type: str
    body: bytes
    created_at: dt.datetime


class IdempotencyStore(Protocol):
    async def claim(self, owner: str, key: str, fingerprint: str, at: dt.datetime) -> KeptAnswer | None:
        """The answer kept for (owner, key) if one is younger than KEPT_FOR; else None, having recorded
        this request as running under the key."""
        ...

    async def keep(self, owner: str, key: str, status: int, media_type: str, body: bytes) -> None: ...

    async def release(self, owner: str, key: str) -> None:
        """Forget the key: its request failed and may run again."""
        ...


class MemoryIdempotencyStore:
    """The store in memory, beside an access store in memory (tests, a gateway without a database)."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], KeptAnswer] = {}

    async def claim(self, owner: str, key: str, fingerprint: str, at: dt.datetime) -> KeptAnswer | None:
        found = self.kept.get((owner, key))
        if found is not None and at - found.created_at < KEPT_FOR:
            return found
        self.kept[(owner, key)] = KeptAnswer(fingerprint, 0, "", b"", at)
        return None

    async def keep(self, owner: str, key: str, status: int, media_type: str, body: bytes) -> None:
        running = self.kept[(owner, key)]
        self.kept[(owner, key)] = dataclasses.replace(running, status=status, media_type=media_type, body=body)

    async def release(self, owner: str, key: str) -> None:
        self.kept.pop((owner, key), None)
