"""Password hashes (argon2id), checked off the event loop and in the same time whether the user exists or not."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int) -> None:
        # Argon2 needs 8 KiB per lane: a tiny memory cost (tests) gets fewer lanes.
        lanes = max(1, min(4, memory_kib // 8))
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=lanes, type=Type.ID)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; with no hash (no such user) a dummy one is checked, so the answer takes
        as long and says no."""
        if password_hash is None and self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(24))
        target = password_hash if password_hash is not None else self._dummy
        assert target is not None
        try:
            await asyncio.to_thread(self._hasher.verify, target, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other costs than today's settings."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
