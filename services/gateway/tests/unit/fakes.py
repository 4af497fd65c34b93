"""An in-memory access store with the SQL store's behaviour, settings for tests, and signed-in headers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from fastapi import FastAPI
from opendso_gateway.accounts import Accounts
from opendso_gateway.domain.access import Role
from opendso_gateway.domain.users import AuditQuery, AuditRecord, DuplicateEmail, RefreshRecord, UserRecord
from opendso_gateway.settings import Settings

TOKEN_SECRET = "unit-tests-only-6f1c0d9e2b7a4c58a3e1f09b7d2c4e6a"
SIGNED_IN = "anna@example.com"


def gateway_settings(**overrides: Any) -> Settings:
    # The cheapest argon2 costs: tests hash passwords in milliseconds.
    values: dict[str, Any] = {
        "trace_exporter": "none",
        "token_secret": TOKEN_SECRET,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        **overrides,
    }
    return Settings(**values)


class MemoryAccessStore:
    def __init__(self) -> None:
        self.by_id: dict[str, UserRecord] = {}
        self.tokens: dict[str, RefreshRecord] = {}
        self.entries: list[AuditRecord] = []
        self.opened = False

    async def open(self) -> None:
        self.opened = True

    async def close(self) -> None:
        self.opened = False

    def put(self, user: UserRecord) -> None:
        self.by_id[user.user_id] = user

    async def count_users(self) -> int:
        return len(self.by_id)

    async def add_user(self, user: UserRecord) -> None:
        if any(u.email == user.email for u in self.by_id.values()):
            raise DuplicateEmail(user.email)
        self.by_id[user.user_id] = user

    async def save_user(self, user: UserRecord) -> None:
        self.by_id[user.user_id] = user

    async def user_by_id(self, user_id: str) -> UserRecord | None:
        return self.by_id.get(user_id)

    async def user_by_email(self, email: str) -> UserRecord | None:
        return next((u for u in self.by_id.values() if u.email == email), None)

    async def users(self) -> list[UserRecord]:
        return sorted(self.by_id.values(), key=lambda u: u.email)

    async def add_refresh_token(self, token: RefreshRecord) -> None:
        self.tokens[token.token_hash] = token

    async def refresh_token(self, token_hash: str) -> RefreshRecord | None:
        return self.tokens.get(token_hash)

    async def use_refresh_token(self, token_hash: str, at: dt.datetime) -> bool:
        token = self.tokens.get(token_hash)
        if token is None or token.used_at is not None or token.revoked_at is not None:
            return False
        self.tokens[token_hash] = dataclasses.replace(token, used_at=at)
        return True

    async def revoke_family(self, family_id: str, at: dt.datetime) -> None:
        for key, token in self.tokens.items():
            if token.family_id == family_id and token.revoked_at is None:
                self.tokens[key] = dataclasses.replace(token, revoked_at=at)

    async def revoke_user_tokens(self, user_id: str, at: dt.datetime) -> None:
        for key, token in self.tokens.items():
            if token.user_id == user_id and token.revoked_at is None:
                self.tokens[key] = dataclasses.replace(token, revoked_at=at)

    async def add_audit(self, entry: AuditRecord) -> None:
        self.entries.append(dataclasses.replace(entry, seq=len(self.entries) + 1))

    async def audit(self, query: AuditQuery) -> list[AuditRecord]:
        def matches(e: AuditRecord) -> bool:
            return (
                (not query.email or e.email == query.email)
                and (not query.method or e.method == query.method)
                and e.path.startswith(query.path_prefix)
                and (query.status is None or e.status == query.status)
                and (query.refused is None or (e.status >= 400) == query.refused)
                and (query.since is None or e.at >= query.since)
                and (query.before is None or e.at < query.before)
                and (query.before_seq is None or e.seq < query.before_seq)
            )

        return [e for e in reversed(self.entries) if matches(e)][: query.limit]


def make_user(
    role: Role = Role.ADMIN,
    email: str = SIGNED_IN,
    entities: frozenset[str] | None = None,
    portfolio: str = "",
    password_hash: str = "",
    disabled: bool = False,
) -> UserRecord:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return UserRecord(
        user_id=str(uuid.uuid4()),
        email=email,
        name="",
        role=role,
        password_hash=password_hash,
        entities=entities,
        portfolio=portfolio,
        disabled=disabled,
        token_version=1,
        created_at=now,
        updated_at=now,
    )


def signed_in(
    app: FastAPI,
    role: Role = Role.ADMIN,
    email: str = SIGNED_IN,
    entities: frozenset[str] | None = None,
    portfolio: str = "",
) -> dict[str, str]:
    """Headers of a user of ``role`` put straight into the app's memory store, with a fresh access token."""
    accounts: Accounts = app.state.accounts
    store = accounts.store
    assert isinstance(store, MemoryAccessStore)
    user = make_user(role, email, entities, portfolio)
    store.put(user)
    return {"Authorization": f"Bearer {accounts.tokens.issue(user, accounts.now())}"}
