"""Engines as the services get them."""

from __future__ import annotations

import pytest
from opendso_db import create_engine, ensure_database
from sqlalchemy import text

from conftest import MakeDatabase

pytestmark = pytest.mark.integration


async def test_postgresql_plans_each_statement_for_the_table_as_it_is_now(make_database: MakeDatabase) -> None:
    url = await make_database("engine_plans")
    await ensure_database(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name != "postgresql":
                pytest.skip("plan caching is PostgreSQL's")
            # A generic plan made while a table was empty stays for the connection's prepared statement.
            mode = await conn.scalar(text("SHOW plan_cache_mode"))
    finally:
        await engine.dispose()
    assert mode == "force_custom_plan"
