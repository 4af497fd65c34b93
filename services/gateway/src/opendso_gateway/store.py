"""The gateway's own tables: users, refresh tokens (hashed), the audit log, and the partners of the partner API
(their hashed keys, the cases handed to them, their outcomes and the webhook delivery log). Every other piece of data
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
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from opendso_gateway.domain.access import Role
from opendso_gateway.domain.idempotency import KEPT_FOR, KeptAnswer
from opendso_gateway.domain.partners import (
    AssignedCase,
    DeliveryAttempt,
    DeliveryStatus,
    KeyScope,
    Outcome,
    OutcomeKind,
    Partner,
    PartnerKey,
    PartnerKind,
    PendingDelivery,
)
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


# -- partners: their keys, the cases handed to them, what they reported and the webhooks sent ---------------------

partners = Table(
    "gateway_partners",
    metadata,
    Column("partner_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("webhook_url", String(2000), nullable=False),
    Column("webhook_secret", String(100), nullable=False),
    Column("allow_private", Boolean, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(254), nullable=False),
)

partner_keys = Table(
    "gateway_partner_keys",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("partner_id", String(36), ForeignKey("gateway_partners.partner_id"), nullable=False, index=True),
    Column("prefix", String(32), nullable=False, unique=True),
    # SHA-256 (hex) of the key: the key itself is shown once, when issued.
    Column("key_hash", String(64), nullable=False),
    # JSON list of scopes.
    Column("scopes", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(254), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

partner_cases = Table(
    "gateway_partner_cases",
    metadata,
    Column("case_id", String(100), primary_key=True),
    Column("partner_id", String(36), ForeignKey("gateway_partners.partner_id"), nullable=False, index=True),
    Column("customer_id", String(200), nullable=False),
    Column("entity", String(50), nullable=False),
    Column("account_number", String(100), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    # JSON: the case as the scenario service answered it.
    Column("detail", Text, nullable=False),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
)

partner_outcomes = Table(
    "gateway_partner_outcomes",
    metadata,
    Column("outcome_id", String(36), primary_key=True),
    Column("case_id", String(100), ForeignKey("gateway_partner_cases.case_id"), nullable=False, index=True),
    Column("partner_id", String(36), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=False),
)

partner_deliveries = Table(
    "gateway_partner_deliveries",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("delivery_id", String(36), nullable=False),
    Column("partner_id", String(36), nullable=False),
    Column("event_type", String(50), nullable=False),
    Column("case_id", String(100), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("error", String(500), nullable=False),
    Index("ix_gateway_partner_deliveries_partner_seq", "partner_id", "seq"),
)

# Webhooks not yet settled (delivered, or given up): worked by every gateway instance, each claiming a row for a
# lease by moving its next attempt past the lease, so a restart or a crash mid-attempt only delays a delivery.
partner_webhook_queue = Table(
    "gateway_partner_webhook_queue",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    Column("partner_id", String(36), nullable=False, index=True),
    Column("event_type", String(50), nullable=False),
    Column("case_id", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def _pending(row: RowMapping) -> PendingDelivery:
    next_at, created = _utc(row["next_attempt_at"]), _utc(row["created_at"])
    assert next_at is not None and created is not None
    return PendingDelivery(
        delivery_id=row["delivery_id"],
        partner_id=row["partner_id"],
        event_type=row["event_type"],
        case_id=row["case_id"],
        body=row["body"],
        attempts=row["attempts"],
        next_attempt_at=next_at,
        created_at=created,
    )


def _partner(row: RowMapping) -> Partner:
    created = _utc(row["created_at"])
    assert created is not None
    return Partner(
        partner_id=row["partner_id"],
        name=row["name"],
        kind=PartnerKind(row["kind"]),
        webhook_url=row["webhook_url"],
        webhook_secret=row["webhook_secret"],
        allow_private=row["allow_private"],
        disabled=row["disabled"],
        created_at=created,
        created_by=row["created_by"],
    )


def _partner_key(row: RowMapping) -> PartnerKey:
    created = _utc(row["created_at"])
    assert created is not None
    return PartnerKey(
        key_id=row["key_id"],
        partner_id=row["partner_id"],
        prefix=row["prefix"],
        key_hash=row["key_hash"],
        scopes=frozenset(KeyScope(s) for s in json.loads(row["scopes"])),
        created_at=created,
        created_by=row["created_by"],
        revoked_at=_utc(row["revoked_at"]),
    )


def _assigned_case(row: RowMapping) -> AssignedCase:
    assigned = _utc(row["assigned_at"])
    assert assigned is not None
    return AssignedCase(
        case_id=row["case_id"],
        partner_id=row["partner_id"],
        customer_id=row["customer_id"],
        entity=row["entity"],
        account_number=row["account_number"],
        assigned_at=assigned,
        detail=json.loads(row["detail"]),
        withdrawn_at=_utc(row["withdrawn_at"]),
    )


class SqlPartnerStore:
    """The ``PartnerStore`` over the access store's database (its tables come with the same migrations)."""

    def __init__(self, access: SqlAccessStore) -> None:
        self._access = access

    @property
    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._access._sessions

    async def add_partner(self, partner: Partner) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                insert(partners).values(
                    partner_id=partner.partner_id,
                    name=partner.name,
                    kind=partner.kind.value,
                    webhook_url=partner.webhook_url,
                    webhook_secret=partner.webhook_secret,
                    allow_private=partner.allow_private,
                    disabled=partner.disabled,
                    created_at=partner.created_at,
                    created_by=partner.created_by,
                )
            )

    async def partner(self, partner_id: str) -> Partner | None:
        async with self._sessions() as session:
            row = (
                (await session.execute(select(partners).where(partners.c.partner_id == partner_id))).mappings().first()
            )
        return _partner(row) if row is not None else None

    async def partners(self) -> list[Partner]:
        async with self._sessions() as session:
            rows = (await session.execute(select(partners).order_by(partners.c.name))).mappings().all()
        return [_partner(r) for r in rows]

    async def add_key(self, key: PartnerKey) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                insert(partner_keys).values(
                    key_id=key.key_id,
                    partner_id=key.partner_id,
                    prefix=key.prefix,
                    key_hash=key.key_hash,
                    scopes=json.dumps(sorted(s.value for s in key.scopes)),
                    created_at=key.created_at,
                    created_by=key.created_by,
                    revoked_at=key.revoked_at,
                )
            )

    async def key_by_prefix(self, prefix: str) -> PartnerKey | None:
        async with self._sessions() as session:
            row = (
                (await session.execute(select(partner_keys).where(partner_keys.c.prefix == prefix))).mappings().first()
            )
        return _partner_key(row) if row is not None else None

    async def keys(self, partner_id: str) -> list[PartnerKey]:
        statement = (
            select(partner_keys).where(partner_keys.c.partner_id == partner_id).order_by(partner_keys.c.created_at)
        )
        async with self._sessions() as session:
            rows = (await session.execute(statement)).mappings().all()
        return [_partner_key(r) for r in rows]

    async def revoke_key(self, partner_id: str, key_id: str, at: dt.datetime) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(partner_keys)
                .where(
                    partner_keys.c.key_id == key_id,
                    partner_keys.c.partner_id == partner_id,
                    partner_keys.c.revoked_at.is_(None),
                )
                .values(revoked_at=at)
            )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def set_disabled(self, partner_id: str, disabled: bool) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(partners).where(partners.c.partner_id == partner_id).values(disabled=disabled)
            )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def assign_case(self, case: AssignedCase) -> None:
        values = {
            "partner_id": case.partner_id,
            "customer_id": case.customer_id,
            "entity": case.entity,
            "account_number": case.account_number,
            "assigned_at": case.assigned_at,
            "detail": json.dumps(dict(case.detail), sort_keys=True),
            "withdrawn_at": case.withdrawn_at,
        }
        async with self._sessions.begin() as session:
            found = await session.scalar(select(partner_cases.c.case_id).where(partner_cases.c.case_id == case.case_id))
            if found is None:
                await session.execute(insert(partner_cases).values(case_id=case.case_id, **values))
            else:
                await session.execute(
                    update(partner_cases).where(partner_cases.c.case_id == case.case_id).values(**values)
                )

    async def case(self, case_id: str) -> AssignedCase | None:
        async with self._sessions() as session:
            row = (
                (await session.execute(select(partner_cases).where(partner_cases.c.case_id == case_id)))
                .mappings()
                .first()
            )
        return _assigned_case(row) if row is not None else None

    async def cases(self, partner_id: str) -> list[AssignedCase]:
        statement = (
            select(partner_cases)
            .where(partner_cases.c.partner_id == partner_id)
            .order_by(partner_cases.c.assigned_at, partner_cases.c.case_id)
        )
        async with self._sessions() as session:
            rows = (await session.execute(statement)).mappings().all()
        return [_assigned_case(r) for r in rows]

    async def add_outcome(self, outcome: Outcome) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                insert(partner_outcomes).values(
                    outcome_id=outcome.outcome_id,
                    case_id=outcome.case_id,
                    partner_id=outcome.partner_id,
                    kind=outcome.kind.value,
                    at=outcome.at,
                    detail=json.dumps(dict(outcome.detail), sort_keys=True),
                )
            )

    async def outcomes(self, case_id: str) -> list[Outcome]:
        statement = (
            select(partner_outcomes).where(partner_outcomes.c.case_id == case_id).order_by(partner_outcomes.c.at)
        )
        async with self._sessions() as session:
            rows = (await session.execute(statement)).mappings().all()
        result = []
        for row in rows:
            at = _utc(row["at"])
            assert at is not None
            result.append(
                Outcome(
                    outcome_id=row["outcome_id"],
                    case_id=row["case_id"],
                    partner_id=row["partner_id"],
                    kind=OutcomeKind(row["kind"]),
                    at=at,
                    detail=json.loads(row["detail"]),
                )
            )
        return result

    async def add_attempt(self, attempt: DeliveryAttempt) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                insert(partner_deliveries).values(
                    delivery_id=attempt.delivery_id,
                    partner_id=attempt.partner_id,
                    event_type=attempt.event_type,
                    case_id=attempt.case_id,
                    attempt=attempt.attempt,
                    at=attempt.at,
                    status=attempt.status.value,
                    http_status=attempt.http_status,
                    error=attempt.error[:500],
                )
            )

    async def attempts(self, partner_id: str, limit: int) -> list[DeliveryAttempt]:
        statement = (
            select(partner_deliveries)
            .where(partner_deliveries.c.partner_id == partner_id)
            .order_by(partner_deliveries.c.seq.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = (await session.execute(statement)).mappings().all()
        result = []
        for row in rows:
            at = _utc(row["at"])
            assert at is not None
            result.append(
                DeliveryAttempt(
                    seq=row["seq"],
                    delivery_id=row["delivery_id"],
                    partner_id=row["partner_id"],
                    event_type=row["event_type"],
                    case_id=row["case_id"],
                    attempt=row["attempt"],
                    at=at,
                    status=DeliveryStatus(row["status"]),
                    http_status=row["http_status"],
                    error=row["error"],
                )
            )
        return result

    async def enqueue_delivery(self, delivery: PendingDelivery) -> None:
        async with self._sessions.begin() as session:
            await session.execute(insert(partner_webhook_queue).values(**delivery.__dict__))

    async def claim_deliveries(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[PendingDelivery]:
        """The due deliveries this caller won: each is claimed by moving its next attempt to ``lease_until`` only
        if no other instance moved it first."""
        statement = (
            select(partner_webhook_queue)
            .where(partner_webhook_queue.c.next_attempt_at <= now)
            .order_by(partner_webhook_queue.c.next_attempt_at, partner_webhook_queue.c.created_at)
            .limit(limit)
        )
        claimed: list[PendingDelivery] = []
        async with self._sessions.begin() as session:
            rows = (await session.execute(statement)).mappings().all()
            for row in rows:
                won = await session.execute(
                    update(partner_webhook_queue)
                    .where(
                        partner_webhook_queue.c.delivery_id == row["delivery_id"],
                        partner_webhook_queue.c.next_attempt_at == row["next_attempt_at"],
                    )
                    .values(next_attempt_at=lease_until)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(_pending(row))
        return claimed

    async def reschedule_delivery(self, delivery_id: str, attempts: int, next_attempt_at: dt.datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(partner_webhook_queue)
                .where(partner_webhook_queue.c.delivery_id == delivery_id)
                .values(attempts=attempts, next_attempt_at=next_attempt_at)
            )

    async def finish_delivery(self, delivery_id: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(partner_webhook_queue).where(partner_webhook_queue.c.delivery_id == delivery_id)
            )

    async def pending_deliveries(self, partner_id: str) -> list[PendingDelivery]:
        statement = (
            select(partner_webhook_queue)
            .where(partner_webhook_queue.c.partner_id == partner_id)
            .order_by(partner_webhook_queue.c.created_at)
        )
        async with self._sessions() as session:
            rows = (await session.execute(statement)).mappings().all()
        return [_pending(r) for r in rows]


# POST answers kept by Idempotency-Key (see idempotency.py): status 0 while the first request runs.
idempotency_keys = Table(
    "gateway_idempotency_keys",
    metadata,
    Column("owner", String(100), primary_key=True),
    Column("idempotency_key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("media_type", String(200), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)


class SqlIdempotencyStore:
    """The ``IdempotencyStore`` over the access store's database (its table comes with the same migrations)."""

    def __init__(self, access: SqlAccessStore) -> None:
        self._access = access

    async def claim(self, owner: str, key: str, fingerprint: str, at: dt.datetime) -> KeptAnswer | None:
        t = idempotency_keys
        where = (t.c.owner == owner) & (t.c.idempotency_key == key)
        async with self._access._sessions.begin() as session:
            row = (await session.execute(select(t).where(where))).mappings().first()
            if row is not None:
                created = _utc(row["created_at"])
                assert created is not None
                if at - created < KEPT_FOR:
                    return KeptAnswer(row["fingerprint"], row["status"], row["media_type"], bytes(row["body"]), created)
                await session.execute(delete(t).where(where))
            # Expired keys of anyone go with this one: the table holds about a day of POSTs.
            await session.execute(delete(t).where(t.c.created_at < at - KEPT_FOR))
            try:
                async with session.begin_nested():
                    await session.execute(
                        insert(t).values(
                            owner=owner,
                            idempotency_key=key,
                            fingerprint=fingerprint,
                            status=0,
                            media_type="",
                            body=b"",
                            created_at=at,
                        )
                    )
            except IntegrityError:
                # The same key arrived twice at once: the other request runs it.
                return KeptAnswer(fingerprint, 0, "", b"", at)
        return None

    async def keep(self, owner: str, key: str, status: int, media_type: str, body: bytes) -> None:
        t = idempotency_keys
        async with self._access._sessions.begin() as session:
            await session.execute(
                update(t)
                .where((t.c.owner == owner) & (t.c.idempotency_key == key))
                .values(status=status, media_type=media_type[:200], body=body)
            )

    async def release(self, owner: str, key: str) -> None:
        t = idempotency_keys
        async with self._access._sessions.begin() as session:
            await session.execute(delete(t).where((t.c.owner == owner) & (t.c.idempotency_key == key)))
