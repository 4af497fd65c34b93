"""Set-based writes on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from opendso_db import create_engine, ensure_database, session_factory
from opendso_db.bulk import insert_tuples, one_of, upsert_rows
from opendso_db.types import Amount
from sqlalchemy import Boolean, Column, Date, DateTime, LargeBinary, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conftest import MakeDatabase

pytestmark = pytest.mark.integration

metadata = MetaData()
ROWS = Table(
    "bulk_rows",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("amount", Amount, nullable=False),
    Column("owner", String(20), nullable=False),
    Column("version_at", DateTime(timezone=True), nullable=False),
)
T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def row(n: int, amount: str, at: dt.datetime, owner: str = "a") -> dict[str, object]:
    return {"id": f"r{n}", "amount": Decimal(amount), "owner": owner, "version_at": at}


async def test_upserts_insert_new_rows_update_known_ones_and_never_go_back_in_time(make_database: MakeDatabase) -> None:
    url = await make_database("bulk")
    await ensure_database(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    try:
        async with sessions() as s, s.begin():
            # 1,500 rows: past the threshold where PostgreSQL takes them through COPY.
            await upsert_rows(s, ROWS, "id", [row(n, "1.10", T0) for n in range(1500)], newer_only=True)
        async with sessions() as s, s.begin():
            await upsert_rows(
                s,
                ROWS,
                "id",
                [
                    row(1, "2.20", T0 + dt.timedelta(minutes=1), owner="b"),  # newer: applied, owner kept
                    row(2, "9.99", T0 - dt.timedelta(minutes=1)),  # older: ignored
                    row(5000, "3.30", T0),  # new
                ],
                newer_only=True,
                keep=("owner",),
            )
        async with sessions() as s:
            got = {r.id: (r.amount, r.owner) for r in await s.execute(select(ROWS))}
    finally:
        await engine.dispose()
    assert len(got) == 1501
    assert got["r1"] == (Decimal("2.20"), "a")
    assert got["r2"] == (Decimal("1.10"), "a")
    assert got["r5000"] == (Decimal("3.30"), "a")


TUPLES = Table(
    "bulk_tuples",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("amount", Amount, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("day", Date, nullable=False),
    Column("flag", Boolean, nullable=False),
    Column("blob", LargeBinary, nullable=False),
)
TUPLE_COLUMNS = ("id", "amount", "at", "day", "flag", "blob")


@pytest.fixture
async def tables(make_database: MakeDatabase) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a database of its own with this module's tables, new."""
    url = await make_database("bulk_tuples")
    await ensure_database(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


@pytest.mark.parametrize("count", [3, 1200])
async def test_tuples_are_stored_as_a_dict_insert_would_store_them_and_a_stored_key_can_be_skipped(
    tables: async_sessionmaker[AsyncSession], count: int
) -> None:
    day = dt.date(2026, 11, 20)
    async with tables() as s, s.begin():
        # 1,200 rows: through COPY on PostgreSQL.
        await insert_tuples(
            s,
            TUPLES,
            TUPLE_COLUMNS,
            [(f"t{n}", Decimal("12.50"), T0, day, n % 2 == 0, bytes([n % 256])) for n in range(count)],
        )
        await insert_tuples(
            s,
            TUPLES,
            TUPLE_COLUMNS,
            [("t1", Decimal("99.99"), T0, day, True, b"new"), ("extra", Decimal("0.10"), T0, day, False, b"")],
            skip_existing=("id",),
        )
        # Columns named in another order than the table's.
        await insert_tuples(
            s, TUPLES, tuple(reversed(TUPLE_COLUMNS)), [(b"r", False, day, T0, Decimal("7.70"), "reversed")]
        )
    async with tables() as s:
        got = {r.id: r for r in await s.execute(select(TUPLES))}
    async with tables() as s, s.begin():
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            await insert_tuples(s, TUPLES, TUPLE_COLUMNS, [("t0", Decimal("1.00"), T0, day, True, b"")])
    assert len(got) == count + 2
    assert (got["reversed"].amount, got["reversed"].flag, got["reversed"].blob) == (Decimal("7.70"), False, b"r")
    first, second = got["t0"], got["t1"]
    assert (first.amount, first.day, first.flag, first.blob) == (Decimal("12.50"), day, True, b"\x00")
    # SQLite hands the time back without its zone, as for any DateTime column written through SQLAlchemy.
    assert first.at.replace(tzinfo=dt.UTC) == T0
    assert (second.amount, second.flag, second.blob) == (Decimal("12.50"), False, b"\x01")
    assert got["extra"].amount == Decimal("0.10")


async def test_one_of_finds_the_stored_values_of_any_number_given_as_one_parameter(
    tables: async_sessionmaker[AsyncSession],
) -> None:
    # Quotes, a backslash and letters outside ASCII travel as they are, inside one JSON or array parameter.
    odd = ['O\'Brien \\ "Ltd"', "Müller/Straße", "ø"]
    stored = [f"k{n}" for n in range(2500)] + odd
    day = dt.date(2026, 11, 20)
    async with tables() as s, s.begin():
        await insert_tuples(s, TUPLES, TUPLE_COLUMNS, [(k, Decimal("1.00"), T0, day, True, b"") for k in stored])
    async with tables() as s:
        wanted = {f"k{n}" for n in range(0, 5000, 2)} | set(odd) | {"nobody"}
        found = set((await s.execute(select(TUPLES.c.id).where(await one_of(s, TUPLES.c.id, wanted)))).scalars())
        nothing = set((await s.execute(select(TUPLES.c.id).where(await one_of(s, TUPLES.c.id, [])))).scalars())
    assert found == {f"k{n}" for n in range(0, 2500, 2)} | set(odd)
    assert nothing == set()
