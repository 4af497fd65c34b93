"""The statement import over the importer's real store and migrations, on SQLite and PostgreSQL:
the known-line lookup and the recording of published lines are written per backend."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from opendso.banking.v1 import banking_pb2 as bk
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_importer import handlers, statements
from opendso_importer.app import MIGRATIONS
from opendso_importer.domain.statements.samples import build_large_camt
from opendso_importer.parallel_reading import ReadingPool
from opendso_importer.store import OUTBOX, UnitOfWork, bank_transactions
from sqlalchemy import func, select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parent.parent / "data" / "statements"


async def no_upload(name: str, into: Path) -> None:
    raise AssertionError("no upload expected")


DEPS = handlers.Deps(today=lambda: dt.date(2026, 3, 5), max_file_bytes=50_000_000, fetch_upload=no_upload)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("importer")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "importer")
    await engine.dispose()


async def run(
    new_uow: Callable[[], UnitOfWork], file: str, content: bytes | None = None, deps: handlers.Deps = DEPS
) -> bk.StatementReport:
    async with new_uow() as uow:
        return await statements.import_bank_statement(
            bk.ImportBankStatement(
                file_name=file, content=content if content is not None else (DATA / file).read_bytes(), entity="DE01"
            ),
            uow,
            deps,
        )


async def count(new_uow: Callable[[], UnitOfWork], query: Any) -> Any:
    async with new_uow() as uow:
        return await uow.session.scalar(query)


async def test_an_intraday_report_then_the_day_s_statement_publish_each_line_once(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    intraday = await run(new_uow, "camt052_v08_intraday_deutsche_bank.xml")
    end_of_day = await run(new_uow, "camt053_v08_end_of_day_deutsche_bank.xml")
    again = await run(new_uow, "camt053_v08_end_of_day_deutsche_bank.xml")

    assert (intraday.transactions_published, end_of_day.transactions_published) == (3, 2)
    assert (again.transactions_published, again.transactions_already_known) == (0, 5)
    assert await count(new_uow, select(func.count()).select_from(bank_transactions)) == 5
    statements_of_lines = await count(
        new_uow, select(func.count(func.distinct(bank_transactions.c.statement_id))).select_from(bank_transactions)
    )
    assert statements_of_lines == 2  # the report's three lines stay recorded under the report


async def test_thousands_of_lines_are_looked_up_and_recorded_in_one_go(new_uow: Callable[[], UnitOfWork]) -> None:
    # More ids than PostgreSQL (32,767) or old SQLite (999) take as separate parameters.
    first = await run(new_uow, "large.xml", build_large_camt(40_000))
    again = await run(new_uow, "large-again.xml", build_large_camt(40_000))

    assert (first.transactions_published, again.transactions_already_known) == (40_000, 40_000)
    assert await count(new_uow, select(func.count()).select_from(bank_transactions)) == 40_000
    # Forty messages of lines and a BankStatementImported per import.
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 40 + 1 + 1
    imported_at = await count(new_uow, select(bank_transactions.c.imported_at).limit(1))
    assert isinstance(imported_at, dt.datetime)


async def test_lines_read_by_the_reading_pool_are_the_lines_read_in_one_process(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    # 12,000 entries: three jobs for the workers; the same ids, so the second import finds every line known.
    pool = ReadingPool(2, from_bytes=0)
    try:
        first = await run(new_uow, "large.xml", build_large_camt(12_000), dataclasses.replace(DEPS, reading=pool))
    finally:
        pool.close()
    again = await run(new_uow, "large-again.xml", build_large_camt(12_000))

    assert first.transactions_published == again.transactions_already_known == 12_000
    assert again.transactions_published == 0
