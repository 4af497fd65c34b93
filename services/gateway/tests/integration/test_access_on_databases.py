"""The access store over its real migrations on SQLite and PostgreSQL, and the gateway signing in over it."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from google.protobuf.message import Message
from opendso_gateway.app import MIGRATIONS, create_app
from opendso_gateway.domain.access import Role
from opendso_gateway.domain.users import AuditQuery, AuditRecord, DuplicateEmail, RefreshRecord, UserRecord
from opendso_gateway.settings import Settings
from opendso_gateway.store import SqlAccessStore
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
SECRET = "integration-tests-only-0c4b1e7f9a2d4f6b8e3a5c7d9f1b3e5a"
PASSWORD = "plum-orbit-47-lantern"


def setup_module() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


@pytest.fixture
async def store(make_database: MakeDatabase) -> AsyncIterator[SqlAccessStore]:
    opened = SqlAccessStore(await make_database("gateway"), MIGRATIONS)
    await opened.open()
    yield opened
    await opened.close()


def user(email: str = "anna@example.com", entities: frozenset[str] | None = None) -> UserRecord:
    return UserRecord(
        user_id=str(uuid.uuid4()),
        email=email,
        name="Anna",
        role=Role.COLLECTOR,
        password_hash="$argon2id$...",
        entities=entities,
        portfolio="anna",
        disabled=False,
        token_version=1,
        created_at=NOW,
        updated_at=NOW,
        created_by="root@example.com",
    )


async def test_users_are_stored_with_their_scope_and_an_address_is_unique(store: SqlAccessStore) -> None:
    scoped = user(entities=frozenset({"FR01", "BE01"}))
    await store.add_user(scoped)
    await store.add_user(user("all@example.com"))
    assert await store.user_by_id(scoped.user_id) == scoped
    assert (await store.user_by_email("all@example.com")).entities is None  # type: ignore[union-attr]
    with pytest.raises(DuplicateEmail):
        await store.add_user(user())
    changed = dataclasses.replace(scoped, role=Role.SALES, entities=None, disabled=True, token_version=2)
    await store.save_user(changed)
    assert await store.user_by_id(scoped.user_id) == changed
    assert [u.email for u in await store.users()] == ["all@example.com", "anna@example.com"]
    assert await store.count_users() == 2


async def test_of_two_concurrent_uses_of_a_refresh_token_one_wins(store: SqlAccessStore) -> None:
    owner = user()
    await store.add_user(owner)
    token = RefreshRecord("a" * 64, "family-1", owner.user_id, NOW, NOW + dt.timedelta(days=1))
    await store.add_refresh_token(token)
    await store.add_refresh_token(dataclasses.replace(token, token_hash="b" * 64))
    results = await asyncio.gather(*(store.use_refresh_token(token.token_hash, NOW) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    assert (await store.refresh_token(token.token_hash)).used_at == NOW  # type: ignore[union-attr]
    await store.revoke_family("family-1", NOW)
    revoked = [await store.refresh_token(h) for h in ("a" * 64, "b" * 64)]
    assert [t.revoked_at for t in revoked if t is not None] == [NOW, NOW]
    assert not await store.use_refresh_token("b" * 64, NOW)


async def test_the_audit_log_filters_by_time_and_pages_newest_first(store: SqlAccessStore) -> None:
    for n in range(5):
        await store.add_audit(
            AuditRecord(
                at=NOW + dt.timedelta(minutes=n),
                method="POST",
                path=f"/api/v1/items_{n % 2}",
                status=200 if n % 2 else 403,
                client_ip="203.0.113.9",
                email=f"u{n}@example.com",
                resource_ids={"entity": "FR01", "n": str(n)},
            )
        )
    newest = await store.audit(AuditQuery(limit=2))
    assert [e.email for e in newest] == ["u4@example.com", "u3@example.com"]
    assert newest[0].resource_ids == {"entity": "FR01", "n": "4"} and newest[0].at == NOW + dt.timedelta(minutes=4)
    page = await store.audit(AuditQuery(limit=2, before_seq=newest[-1].seq))
    assert [e.email for e in page] == ["u2@example.com", "u1@example.com"]
    window = await store.audit(AuditQuery(since=NOW + dt.timedelta(minutes=1), before=NOW + dt.timedelta(minutes=3)))
    assert [e.email for e in window] == ["u2@example.com", "u1@example.com"]
    refused = await store.audit(AuditQuery(refused=True, path_prefix="/api/v1/items_"))
    assert [e.status for e in refused] == [403, 403, 403]
    # "_" is a LIKE wildcard: a prefix is matched as written.
    assert await store.audit(AuditQuery(path_prefix="/api/v1/itemsX")) == []


class FakeBus:
    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ask(self, req: Message, reply_type: type, timeout: float | None = None) -> Any:
        return reply_type()


async def test_the_gateway_migrates_creates_its_admin_and_signs_in(make_database: MakeDatabase) -> None:
    url = await make_database("gateway_app")
    settings = Settings(
        database_url=url,
        token_secret=SECRET,
        admin_email="root@example.com",
        admin_password=PASSWORD,
        trace_exporter="none",
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )

    def session() -> dict[str, Any]:
        with TestClient(create_app(settings, bus=FakeBus())) as http:  # type: ignore[arg-type]
            tokens = http.post("/api/v1/auth/token", json={"email": "root@example.com", "password": PASSWORD}).json()
            admin = {"Authorization": f"Bearer {tokens['access_token']}"}
            created = http.post(
                "/api/v1/users",
                json={"email": "c@example.com", "role": "collector", "password": PASSWORD, "entities": ["FR01"]},
                headers=admin,
            )
            rotated = http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
            replayed = http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
            audit = http.get("/api/v1/audit", headers=admin).json()
            return {
                "created": created.status_code,
                "rotated": rotated.status_code,
                "replayed": replayed.status_code,
                "audit": [(e["path"], e["status"]) for e in audit["entries"]],
            }

    # TestClient runs the app on its own loop: keep this test's loop free meanwhile.
    first = await asyncio.to_thread(session)
    assert (first["created"], first["rotated"], first["replayed"]) == (201, 200, 401)
    assert first["audit"] == [
        ("/api/v1/auth/refresh", 401),
        ("/api/v1/auth/refresh", 200),
        ("/api/v1/users", 201),
        ("/api/v1/auth/token", 200),
    ]
    # A restart finds its users and migrations in place, and creates no second admin.
    second = await asyncio.to_thread(session)
    assert second["created"] == 409
