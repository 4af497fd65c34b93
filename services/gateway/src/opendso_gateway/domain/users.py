"""Users, refresh tokens and audit entries as the gateway keeps them, and the port to where it keeps them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from opendso_gateway.domain.access import Principal, Role, Scope

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$"
_EMAIL = re.compile(EMAIL_PATTERN)
MIN_PASSWORD_LENGTH = 12
# Argon2 takes any length, but hashing a megabyte of "password" on every try is a cheap denial of service.
MAX_PASSWORD_LENGTH = 256
# Refused outright whatever their length: the examples people copy.
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "password", "secret", "example", "placeholder")


class DuplicateEmail(Exception):
    """Another user has that e-mail address."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    return None if _EMAIL.fullmatch(email) else f"{email!r} is not an e-mail address"


def password_problem(password: str) -> str | None:
    """Why ``password`` is refused for a user, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password has at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    if any(p in lowered for p in _PLACEHOLDERS) or len(set(password)) < 4:
        return "that password is a placeholder or too repetitive; choose another"
    return None


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    email: str
    name: str
    role: Role
    password_hash: str
    # None: every entity.
    entities: frozenset[str] | None
    # A collector's name as in the ledger's collector field: only their customers; "" for all.
    portfolio: str
    disabled: bool
    # Raised when the password changes or the user is disabled: access tokens naming an older one are refused.
    token_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str = ""

    @property
    def scope(self) -> Scope:
        return Scope(entities=self.entities, portfolio=self.portfolio)

    def principal(self) -> Principal:
        return Principal(user_id=self.user_id, email=self.email, role=self.role, scope=self.scope, name=self.name)


@dataclass(frozen=True)
class RefreshRecord:
    """A refresh token as stored: its SHA-256, never the token. Each use replaces it by a new one of the same
    family; a used one presented again means it was stolen, and the whole family is revoked."""

    token_hash: str
    family_id: str
    user_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class RefreshVerdict(Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    # Already exchanged once: a replay, by a thief or by the owner after a thief.
    REUSED = "reused"


def judge_refresh(record: RefreshRecord | None, now: dt.datetime) -> RefreshVerdict:
    if record is None:
        return RefreshVerdict.UNKNOWN
    if record.revoked_at is not None:
        return RefreshVerdict.REVOKED
    if record.used_at is not None:
        return RefreshVerdict.REUSED
    if record.expires_at <= now:
        return RefreshVerdict.EXPIRED
    return RefreshVerdict.VALID


@dataclass(frozen=True)
class AuditRecord:
    at: dt.datetime
    method: str
    path: str
    status: int
    client_ip: str
    user_id: str = ""
    # The signed-in user's address, or the one a failed sign-in tried.
    email: str = ""
    role: str = ""
    resource_ids: Mapping[str, str] = field(default_factory=dict)
    request_id: str = ""
    # Set by the store.
    seq: int = 0


@dataclass(frozen=True)
class AuditQuery:
    email: str = ""
    method: str = ""
    path_prefix: str = ""
    status: int | None = None
    # Only refused requests (status 400 and above).
    refused: bool | None = None
    since: dt.datetime | None = None
    before: dt.datetime | None = None
    # Entries older than this sequence number (the previous page's last), newest first.
    before_seq: int | None = None
    limit: int = 50


class AccessStore(Protocol):
    """Where users, refresh tokens and the audit log are kept."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def count_users(self) -> int: ...

    async def add_user(self, user: UserRecord) -> None:
        """Raises ``DuplicateEmail`` when the address is taken."""

    async def save_user(self, user: UserRecord) -> None: ...

    async def user_by_id(self, user_id: str) -> UserRecord | None: ...

    async def user_by_email(self, email: str) -> UserRecord | None: ...

    async def users(self) -> list[UserRecord]: ...

    async def add_refresh_token(self, token: RefreshRecord) -> None: ...

    async def refresh_token(self, token_hash: str) -> RefreshRecord | None: ...

    async def use_refresh_token(self, token_hash: str, at: dt.datetime) -> bool:
        """Mark a valid token used; False when it was used or revoked meanwhile (a concurrent use)."""

    async def revoke_family(self, family_id: str, at: dt.datetime) -> None: ...

    async def revoke_user_tokens(self, user_id: str, at: dt.datetime) -> None: ...

    async def add_audit(self, entry: AuditRecord) -> None: ...

    async def audit(self, query: AuditQuery) -> list[AuditRecord]:
        """Entries matching ``query``, newest first, at most ``query.limit``."""
