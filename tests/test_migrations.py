"""Each service's migrations build exactly the tables its store.py declares."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from opendso_db import create_engine, ensure_database, upgrade

from conftest import MakeDatabase

ROOT = Path(__file__).resolve().parent.parent
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/migrations"))

pytestmark = pytest.mark.integration


def test_every_service_has_migrations() -> None:
    assert SERVICES == ["fx", "gateway", "importer", "matching", "messaging", "reporting", "risk", "scenario"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_store(service: str, make_database: MakeDatabase) -> None:
    url = await make_database(f"mig_{service}")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, ROOT / "services" / service / "migrations")
    metadata = importlib.import_module(f"opendso_{service}.store").metadata
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
            )
    finally:
        await engine.dispose()
    assert diffs == [], f"{service}: store.py and migrations differ; run tools/new_migration.py {service} '...'"
