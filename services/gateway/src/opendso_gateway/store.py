"""The gateway's own tables: users, refresh tokens (hashed) and the audit log. Every other piece of data
belongs to a service and is reached over the bus."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

from opendso_db import create_engine, ensure_database, session_factory, upgrade
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from opendso_gateway.domain.access import Role
from opendso_gateway.domain.users import AuditQuery, AuditRecord, DuplicateEmail, RefreshRecord, UserRecord

metadata = MetaData()

users = Table(
    "gateway_users",
    metadata,
    Column("user_id", String(36), primary_key=True),
    # Lower case: an address is one user however it is typed.
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("all_entities", Boolean, nullable=False),
    # JSON list of entity codes, when not all_entities.
    Column("entities", Text, nullable=False),
    Column("portfolio", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("token_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(254), nullable=False),
)

refresh_tokens = Table(
    "gateway_refresh_tokens",
    metadata,
    # SHA-256 (hex) of the token: a stolen database yields no usable token.
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", String(36), nullable=False, index=True),
    Column("user_id", String(36), ForeignKey("gateway_users.user_id"), nullable=False, index=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

audit_log = Table(
    "gateway_audit",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("email", String(254), nullable=False),
    Column("role", String(20), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(1000), nullable=False),
    # JSON object: the path's ids and those a route adds (task ids, the user created...).
    Column("resource_ids", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("client_ip", String(64), nullable=False),
    Column("request_id", String(200), nullable=False),
    Index("ix_gateway_audit_at", "at"),
    Index("ix_gateway_audit_email_seq", "email", "seq"),
)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands timestamps back without their zone; every one stored is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _user(row: RowMapping) -> UserRecord:
    created, updated = _utc(row["created_at"]), _utc(row["updated_at"])
    assert created is not None and updated is not None
    return UserRecord(
        user_id=row["user_id"],
        email=row["email"],
        name=row["name"],
        role=Role(row["role"]),
        password_hash=row["password_hash"],
        entities=None if row["all_entities"] else frozenset(json.loads(row["entities"])),
        portfolio=row["portfolio"],
        disabled=row["disabled"],
        token_version=row["token_version"],
        created_at=created,
        updated_at=updated,
        created_by=row["created_by"],
    )


def _user_values(user: UserRecord) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "password_hash": user.password_hash,
        "all_entities": user.entities is None,
        "entities": json.dumps(sorted(user.entities or ())),
        "portfolio": user.portfolio,
        "disabled": user.disabled,
        "token_version": user.token_version,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "created_by": user.created_by,
    }


def _refresh(row: RowMapping) -> RefreshRecord:
    issued, expires = _utc(row["issued_at"]), _utc(row["expires_at"])
    assert issued is not None and expires is not None
    return RefreshRecord(
        token_hash=row["token_hash"],
        family_id=row["family_id"],
        user_id=row["user_id"],
        issued_at=issued,
        expires_at=expires,
        used_at=_utc(row["used_at"]),
        revoked_at=_utc(row["revoked_at"]),
    )


def _audit(row: RowMapping) -> AuditRecord:
    at = _utc(row["at"])
    assert at is not None
    return AuditRecord(
        seq=row["seq"],
        at=at,
        user_id=row["user_id"],
        email=row["email"],
        role=row["role"],
        method=row["method"],
        path=row["path"],
        resource_ids=json.loads(row["resource_ids"]),
        status=row["status"],
        client_ip=row["client_ip"],
        request_id=row["request_id"],
    )


class SqlAccessStore:
    """The ``AccessStore`` over SQLAlchemy, on SQLite or PostgreSQL; ``open`` migrates the database first."""

    def __init__(self, url: str, migrations: Path) -> None:
        self._url = url
        self._migrations = migrations
        self._engine: AsyncEngine | None = None
        self._factory: async_sessionmaker[AsyncSession] | None = None

    async def open(self) -> None:
        await ensure_database(self._url)
        # alembic's env.py runs its own event loop: give it a thread.
        await asyncio.to_thread(upgrade, self._url, self._migrations)
        self._engine = create_engine(self._url)
        self._factory = session_factory(self._engine)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    @property
    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        assert self._factory is not None, "access store not opened"
        return self._factory

    async def count_users(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(users)) or 0)

    async def add_user(self, user: UserRecord) -> None:
        try:
            async with self._sessions.begin() as session:
                await session.execute(insert(users).values(**_user_values(user)))
        except IntegrityError as exc:
            raise DuplicateEmail(user.email) from exc

    async def save_user(self, user: UserRecord) -> None:
        values = _user_values(user)
        del values["user_id"], values["created_at"], values["created_by"]
        async with self._sessions.begin() as session:
            await session.execute(update(users).where(users.c.user_id == user.user_id).values(**values))

    async def user_by_id(self, user_id: str) -> UserRecord | None:
        async with self._sessions() as session:
            row = (await session.execute(select(users).where(users.c.user_id == user_id))).mappings().first()
        return _user(row) if row is not None else None

    async def user_by_email(self, email: str) -> UserRecord | None:
        async with self._sessions() as session:
            row = (await session.execute(select(users).where(users.c.email == email))).mappings().first()
        return _user(row) if row is not None else None

    async def users(self) -> list[UserRecord]:
        async with self._sessions() as session:
            rows = (await session.execute(select(users).order_by(users.c.email))).mappings().all()
        return [_user(r) for r in rows]

    async def add_refresh_token(self, token: RefreshRecord) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                insert(refresh_tokens).values(
                    token_hash=token.token_hash,
                    family_id=token.family_id,
                    user_id=token.user_id,
                    issued_at=token.issued_at,
                    expires_at=token.expires_at,
                    used_at=token.used_at,
                    revoked_at=token.revoked_at,
                )
            )

    async def refresh_token(self, token_hash: str) -> RefreshRecord | None:
        async with self._sessions() as session:
            row = (
                (await session.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)))
                .mappings()
                .first()
            )
        return _refresh(row) if row is not None else None

    async def use_refresh_token(self, token_hash: str, at: dt.datetime) -> bool:
        # The condition makes the update the arbiter: of two concurrent uses, one changes the row.
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == token_hash,
                    refresh_tokens.c.used_at.is_(None),
                    refresh_tokens.c.revoked_at.is_(None),
                )
                .values(used_at=at)
            )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def revoke_family(self, family_id: str, at: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    async def revoke_user_tokens(self, user_id: str, at: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    async def add_audit(self, entry: AuditRecord) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                insert(audit_log).values(
                    at=entry.at,
                    user_id=entry.user_id,
                    email=entry.email,
                    role=entry.role,
                    method=entry.method,
                    path=entry.path[:1000],
                    resource_ids=json.dumps(dict(entry.resource_ids), sort_keys=True),
                    status=entry.status,
                    client_ip=entry.client_ip[:64],
                    request_id=entry.request_id[:200],
                )
            )

    async def audit(self, query: AuditQuery) -> list[AuditRecord]:
        statement = select(audit_log).order_by(audit_log.c.seq.desc()).limit(query.limit)
        if query.email:
            statement = statement.where(audit_log.c.email == query.email)
        if query.method:
            statement = statement.where(audit_log.c.method == query.method)
        if query.path_prefix:
            statement = statement.where(audit_log.c.path.startswith(query.path_prefix, autoescape=True))
        if query.status is not None:
            statement = statement.where(audit_log.c.status == query.status)
        if query.refused is not None:
            statement = statement.where(audit_log.c.status >= 400 if query.refused else audit_log.c.status < 400)
        if query.since is not None:
            statement = statement.where(audit_log.c.at >= query.since)
        if query.before is not None:
            statement = statement.where(audit_log.c.at < query.before)
        if query.before_seq is not None:
            statement = statement.where(audit_log.c.seq < query.before_seq)
        async with self._sessions() as session:
            rows = (await session.execute(statement)).mappings().all()
        return [_audit(r) for r in rows]
