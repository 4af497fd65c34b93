"""Fixtures shared by every test folder: a real nats-server per test session and
fresh databases on SQLite and, when reachable, on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from opendso_bus.nats_server import NatsServer

if TYPE_CHECKING:
    from opendso_cli.supervisor import System

POSTGRES_ADMIN_URL = os.environ.get("OPENDSO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_reachable() -> bool:
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_ADMIN_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=0.5):
            return True
    except OSError:
        return False


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    return POSTGRES_ADMIN_URL


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    backend = str(request.param)
    if backend == "postgresql" and not _postgres_reachable():
        if os.environ.get("OPENDSO_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but not reachable at {POSTGRES_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    return backend


MakeDatabase = Callable[[str], Awaitable[str]]


@pytest.fixture
async def make_database(db_backend: str, tmp_path: Path) -> AsyncIterator[MakeDatabase]:
    """A factory of fresh, empty databases (one per call) on the session's backend."""
    from opendso_db import create_engine
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    created: list[str] = []

    async def make(name: str) -> str:
        if db_backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / (name + '.db')}"
        db = f"t_{name}_{uuid.uuid4().hex[:10]}"
        created.append(db)
        return make_url(POSTGRES_ADMIN_URL).set(database=db).render_as_string(hide_password=False)

    yield make

    if created:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            for db in created:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        await admin.dispose()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0, interval: float = 0.05) -> None:
    """Wait for eventual consistency with a bounded retry (never a bare sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if await check():
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def _drop_databases(admin_url: str, prefix: str) -> None:
    import asyncio

    from opendso_db import create_engine
    from sqlalchemy import text

    async def drop() -> None:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            names = (
                (
                    await conn.execute(
                        text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}_%"}
                    )
                )
                .scalars()
                .all()
            )
            for name in names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    asyncio.run(drop())


@pytest.fixture
def system(db_backend: str, tmp_path: Path, postgres_admin_url: str) -> Iterator[System]:
    """The whole system (NATS, every service, the gateway) as separate processes, for an end-to-end test."""
    from opendso_bus.nats_server import free_port
    from opendso_cli.supervisor import System

    prefix = f"t_e2e_{uuid.uuid4().hex[:8]}"
    running = System(
        var=tmp_path / "var",
        port=free_port(),
        postgres_url=postgres_admin_url if db_backend == "postgresql" else None,
        db_prefix=prefix,
    )
    try:
        running.start()
        running.wait_healthy(timeout=120)
        yield running
    finally:
        running.stop()
        if db_backend == "postgresql":
            _drop_databases(postgres_admin_url, prefix)
