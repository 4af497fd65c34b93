"""The importer's handler over its real store and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_importer import handlers
from opendso_importer.app import MIGRATIONS
from opendso_importer.entities import list_entities
from opendso_importer.store import OUTBOX, UnitOfWork, entities, items
from sqlalchemy import func, select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 24)
HEADER = "entity;account_number;customer_name;email;item_number;issue_date;due_date;amount;open_amount;currency\n"
ROWS = [
    f"FR01;C{n % 40};Client {n % 40};c{n % 40}@x.example;F-{n};2026-10-01;2026-10-31;{n},50;{n},50;EUR\n"
    for n in range(1, 301)
]


async def no_upload(name: str, into: Path) -> None:
    raise AssertionError("no upload expected")


DEPS = handlers.Deps(today=lambda: TODAY, max_file_bytes=10_000_000, fetch_upload=no_upload)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("importer")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "importer")
    await engine.dispose()


async def run(new_uow: Callable[[], UnitOfWork], rows: list[str], **options: Any) -> im.ImportReport:
    async with new_uow() as uow:
        return await handlers.import_receivables_file(
            im.ImportReceivablesFile(file_name="ar.csv", content=(HEADER + "".join(rows)).encode(), **options),
            uow,
            DEPS,
        )


async def open_total(new_uow: Callable[[], UnitOfWork]) -> Decimal:
    # Summed here, exactly: SQLite's SUM over decimal text would be a float.
    async with new_uow() as uow:
        amounts = await uow.session.scalars(select(items.c.open_amount).where(items.c.closed_on.is_(None)))
        return sum(amounts, Decimal(0))


async def count(new_uow: Callable[[], UnitOfWork], query: Any) -> Any:
    async with new_uow() as uow:
        return await uow.session.scalar(query)


async def test_import_reimport_payment_and_snapshot_on_a_real_database(new_uow: Callable[[], UnitOfWork]) -> None:
    first = await run(new_uow, ROWS)
    assert (first.customers_created, first.items_opened) == (40, 300)
    # One message of customer changes, one of item changes (under a thousand each), and FileImported.
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 3
    assert await open_total(new_uow) == sum(Decimal(f"{n}.50") for n in range(1, 301))

    again = await run(new_uow, ROWS)
    assert (again.customers_created, again.customers_changed, again.items_opened, again.items_changed) == (0, 0, 0, 0)
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 3 + 1  # FileImported only

    paid = [r.replace("7,50;7,50", "7,50;2,50") for r in ROWS]
    partial = await run(new_uow, paid)
    assert partial.items_changed == 1
    assert await count(new_uow, select(items.c.open_amount).where(items.c.number == "F-7")) == Decimal("2.50")

    snapshot = await run(new_uow, paid[:250], mode=im.SYNC_MODE_FULL_SNAPSHOT)
    assert snapshot.items_closed == 50
    assert await count(new_uow, select(func.count()).select_from(items).where(items.c.closed_on == TODAY)) == 50


async def test_a_dry_run_leaves_the_database_untouched(new_uow: Callable[[], UnitOfWork]) -> None:
    report = await run(new_uow, ROWS, dry_run=True)

    assert report.items_opened == 300
    assert await count(new_uow, select(func.count()).select_from(items)) == 0
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 0


class Crash(Exception):
    pass


async def test_a_crash_in_the_middle_of_an_import_leaves_nothing_half_applied(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    await run(new_uow, ROWS[:100])
    bigger = ROWS  # 200 new items, and the first 100 unchanged

    async with new_uow() as uow:
        real_publish_many = uow.publish_many

        async def publish_then_crash(messages: list[Any]) -> None:
            await real_publish_many(messages)  # the rows and their events are written...
            if any(isinstance(m, rv.ItemsChanged) for m in messages):
                raise Crash("power cut")  # ...and the process dies before the commit

        uow.publish_many = publish_then_crash  # type: ignore[method-assign]
        with pytest.raises(Crash):
            await handlers.import_receivables_file(
                im.ImportReceivablesFile(
                    file_name="ar.csv", content=(HEADER + "".join(bigger)).encode(), idempotency_key="big-1"
                ),
                uow,
                DEPS,
            )

    assert await count(new_uow, select(func.count()).select_from(items)) == 100
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 3

    # The retry with the same key runs the import for real, once.
    async with new_uow() as uow:
        report = await handlers.import_receivables_file(
            im.ImportReceivablesFile(
                file_name="ar.csv", content=(HEADER + "".join(bigger)).encode(), idempotency_key="big-1"
            ),
            uow,
            DEPS,
        )
    assert (report.items_opened, report.replayed) == (200, False)
    assert await count(new_uow, select(func.count()).select_from(items)) == 300


async def test_a_large_first_import_stores_every_row_exactly(new_uow: Callable[[], UnitOfWork]) -> None:
    # Over a thousand rows: PostgreSQL takes them through COPY, SQLite through executemany.
    rows = [
        f"FR01;K{n % 300};Kunde {n % 300};;R-{n};2026-10-01;2026-10-31;{n}.{n % 100:02d};{n}.{n % 100:02d};EUR\n"
        for n in range(1, 2501)
    ]
    report = await run(new_uow, rows)

    assert (report.customers_created, report.items_opened) == (300, 2500)
    assert await open_total(new_uow) == sum(Decimal(f"{n}.{n % 100:02d}") for n in range(1, 2501))
    assert await count(new_uow, select(items.c.due_date).where(items.c.number == "R-77")) == dt.date(2026, 10, 31)
    again = await run(new_uow, rows)
    assert (again.items_opened, again.items_changed) == (0, 0)


async def test_a_file_found_broken_after_its_first_chunk_leaves_no_row_and_reports_the_rejection(
    new_uow: Callable[[], UnitOfWork], monkeypatch: pytest.MonkeyPatch
) -> None:
    from opendso_importer.domain import receivables_csv
    from opendso_importer.domain.tabular import FileRejected, RowError

    def damaged_half_way(*args: Any, **kwargs: Any) -> Any:
        chunks = receivables_csv.iter_receivables(*args, **{**kwargs, "chunk_rows": 100})
        yield next(chunks)  # the first hundred rows read fine...
        raise FileRejected((RowError("ar.csv", 0, None, "workbook damaged after row 101"),))

    monkeypatch.setattr(handlers, "iter_receivables", damaged_half_way)
    report = await run(new_uow, ROWS, idempotency_key="broken-1")

    assert report.file_rejected and report.items_opened == 0
    assert "damaged" in report.errors[0].reason
    assert await count(new_uow, select(func.count()).select_from(items)) == 0
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 1  # FileImported alone


ENTITIES = (
    "code;name;country;currency;time_zone;late_payment_law;group_currency\n"
    "FR01;OpenDSO France SAS;FR;EUR;Europe/Paris;;EUR\n"
    "CZ01;OpenDSO Česko s.r.o.;CZ;CZK;Europe/Prague;;EUR\n"
    "TR01;OpenDSO Türkiye;TR;TRY;Europe/Istanbul;;\n"
)


async def import_entities(new_uow: Callable[[], UnitOfWork], text: str, **options: Any) -> im.ImportReport:
    async with new_uow() as uow:
        return await handlers.import_receivables_file(
            im.ImportReceivablesFile(
                file_name="entities.csv", content=text.encode(), content_kind="entities", **options
            ),
            uow,
            DEPS,
        )


async def test_entities_are_recorded_once_changed_in_place_and_listed(new_uow: Callable[[], UnitOfWork]) -> None:
    checked = await import_entities(new_uow, ENTITIES, dry_run=True)
    assert checked.entities_created == 3
    assert await count(new_uow, select(func.count()).select_from(entities)) == 0
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 0

    first = await import_entities(new_uow, ENTITIES)
    assert (first.entities_created, first.rows_rejected) == (3, 0)
    # One EntitiesChanged and FileImported.
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 2

    again = await import_entities(new_uow, ENTITIES)
    assert (again.entities_created, again.entities_changed) == (0, 0)
    assert await count(new_uow, select(func.count()).select_from(OUTBOX)) == 3  # FileImported only

    changed = await import_entities(new_uow, ENTITIES.replace("Europe/Istanbul;;", "Asia/Istanbul;EU;"))
    assert (changed.entities_created, changed.entities_changed) == (0, 1)

    async with new_uow() as uow:
        listed = await list_entities(rv.ListEntities(), uow)
    assert [(e.code, e.time_zone, e.late_payment_law, e.group_currency) for e in listed.entities] == [
        ("CZ01", "Europe/Prague", "CZ", "EUR"),
        ("FR01", "Europe/Paris", "FR", "EUR"),
        ("TR01", "Asia/Istanbul", "EU", ""),
    ]
