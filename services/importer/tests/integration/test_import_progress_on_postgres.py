"""Progress of a large import read by worker processes on PostgreSQL: reported once per chunk, as on the
row-by-row path (tests/unit/test_import_progress.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from opendso.imports.v1 import imports_pb2 as im
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_importer import handlers
from opendso_importer.app import MIGRATIONS
from opendso_importer.parallel_reading import ReadingPool
from opendso_importer.store import OUTBOX, UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 25)
HEADER = "entity;account_number;customer_name;email;item_number;issue_date;due_date;amount;open_amount;currency\n"


async def no_upload(name: str, into: Path) -> None:
    raise AssertionError("no upload expected")


@pytest.fixture(scope="module")
def reading() -> Iterator[ReadingPool]:
    pool = ReadingPool(2, chunk_rows=3, from_bytes=0)
    yield pool
    pool.close()


async def test_workers_chunks_are_reported_with_the_rows_so_far_then_the_commit(
    make_database: MakeDatabase, db_backend: str, reading: ReadingPool
) -> None:
    if db_backend != "postgresql":
        pytest.skip("worker processes read only on PostgreSQL")
    url = await make_database("importer_progress")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    told: list[tuple[int, int]] = []
    deps = handlers.Deps(
        today=lambda: TODAY,
        max_file_bytes=10_000_000,
        fetch_upload=no_upload,
        reading=reading,
        progress=lambda report, phase: told.append((report.rows_read, phase)),
    )
    rows = "".join(f"FR01;C{n % 3};Client {n % 3};;F-{n};2026-10-01;2026-10-31;10,00;10,00;EUR\n" for n in range(8))
    try:
        async with UnitOfWork(session_factory(engine), Outbox(OUTBOX), "importer") as uow:
            report = await handlers.import_receivables_file(
                im.ImportReceivablesFile(file_name="ar.csv", content=(HEADER + rows).encode()), uow, deps
            )
    finally:
        await engine.dispose()

    assert (report.rows_read, report.items_opened) == (8, 8)
    reading_phase = im.IMPORT_PHASE_READING
    assert told == [(3, reading_phase), (6, reading_phase), (8, reading_phase), (8, im.IMPORT_PHASE_COMMITTING)]
