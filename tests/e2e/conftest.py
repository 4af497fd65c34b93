"""What the end-to-end tests share: the whole system, started per test on the session's database backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from opendso_cli.supervisor import System

from conftest import POSTGRES_ADMIN_URL


def _drop_databases(prefix: str) -> None:
    import asyncio

    from opendso_db import create_engine
    from sqlalchemy import text

    async def drop() -> None:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
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
def system(db_backend: str, tmp_path: Path) -> Iterator[System]:
    from opendso_bus.nats_server import free_port

    prefix = f"t_e2e_{uuid.uuid4().hex[:8]}"
    running = System(
        var=tmp_path / "var",
        port=free_port(),
        postgres_url=POSTGRES_ADMIN_URL if db_backend == "postgresql" else None,
        db_prefix=prefix,
    )
    try:
        running.start()
        running.wait_healthy(timeout=120)
        yield running
    finally:
        running.stop()
        if db_backend == "postgresql":
            _drop_databases(prefix)
