"""PostgreSQL applies large imports through staging tables and a set-based diff, and has large files read
by worker processes; every other backend reads and applies row by row. All must mean the same: the same
ledger afterwards, the same changes published and the same rows rejected, for every kind of change an ERP
file brings."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_importer import handlers
from opendso_importer.app import MIGRATIONS
from opendso_importer.parallel_reading import ReadingPool
from opendso_importer.staged_ledger import _APPLY_ITEMS, StagedLedger
from opendso_importer.store import OUTBOX, UnitOfWork, customers, items
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
HEADER = (
    "entity;account_number;customer_name;email;credit_limit;customer_group;item_number;item_type;"
    "issue_date;due_date;amount;open_amount;currency;reference\n"
)
FIRST = [
    "FR01;C1;Alpha SA;a@alpha.example;5000;key;F-1;invoice;2026-09-01;2026-10-01;100,00;100,00;EUR;PO-1\n",
    "FR01;C1;Alpha SA;a@alpha.example;5000;key;F-2;invoice;2026-09-02;2026-10-02;200,00;0;EUR;\n",
    "FR01;C1;Alpha SA;a@alpha.example;5000;key;F-3;invoice;2026-09-03;2026-10-03;300,00;300,00;EUR;\n",
    "FR01;C1;Alpha SA;a@alpha.example;5000;key;A-1;credit_note;2026-09-04;2026-10-04;50,00;50,00;EUR;\n",
    "FR01;C2;Beta SARL;;;;F-4;invoice;2026-09-05;2026-10-05;400,00;400,00;EUR;\n",
    "FR01;C2;Beta SARL;;;;F-5;invoice;2026-09-06;2026-10-06;500,00;500,00;EUR;\n",
    "FR01;C2;Beta SARL;;;;F-6;invoice;2026-09-07;2026-10-07;600,00;600,00;EUR;\n",
    "DE01;D1;Gamma GmbH;g@gamma.example;;;R-1;invoice;2026-09-08;2026-10-08;700,00;700,00;EUR;\n",
    # What COPY text must escape: a backslash and a tab inside a reference.
    'DE01;D1;Gamma GmbH;g@gamma.example;;;R-2;invoice;2026-09-08;2026-10-08;1,00;1,00;EUR;"PO\\7\tX"\n',
]
SECOND = [
    # C1 renamed and its credit limit raised; F-1 re-referenced and due later; F-2 reopened (a bounced
    # payment); F-3 paid off; the credit note unchanged (written 50.0: the same amount).
    "FR01;C1;Alpha SAS;a@alpha.example;7500;key;F-1;invoice;2026-09-01;2026-10-15;100,00;100,00;EUR;PO-9\n",
    "FR01;C1;Alpha SAS;a@alpha.example;7500;key;F-2;invoice;2026-09-02;2026-10-02;200,00;200,00;EUR;\n",
    "FR01;C1;Alpha SAS;a@alpha.example;7500;key;F-3;invoice;2026-09-03;2026-10-03;300,00;0;EUR;\n",
    "FR01;C1;Alpha SAS;a@alpha.example;7500;key;A-1;credit_note;2026-09-04;2026-10-04;50,0;50,0;EUR;\n",
    # F-4 moved to another account and another currency; F-5 part paid; F-6 unchanged; F-7 new.
    "FR01;C3;Delta SA;;;;F-4;invoice;2026-09-05;2026-10-05;400,00;400,00;CHF;\n",
    "FR01;C2;Beta SARL;;;;F-5;invoice;2026-09-06;2026-10-06;500,00;120,00;EUR;\n",
    "FR01;C2;Beta SARL;;;;F-6;invoice;2026-09-07;2026-10-07;600,00;600,00;EUR;\n",
    "FR01;C2;Beta SARL;;;;F-7;invoice;2026-09-09;2026-10-09;800,00;800,00;EUR;\n",
]
# A paid item's reference corrected: still paid, its closing date kept.
THIRD = [SECOND[2].replace(";EUR;\n", ";EUR;late ref\n")]
# Rows rejected for what other rows say: C1 named on row 7 otherwise than on row 3, F-8 again on row 5
# (first on row 2); and for itself: a date that is none (row 6). The rest is imported.
BROKEN = [
    "FR01;C4;Epsilon SA;;;;F-8;invoice;2026-09-10;2026-10-10;10,00;10,00;EUR;\n",
    "FR01;C1;Alpha Ltd;a@alpha.example;7500;key;F-9;invoice;2026-09-10;2026-10-10;10,00;10,00;EUR;\n",
    "FR01;C4;Epsilon SA;;;;F-10;invoice;2026-09-10;2026-10-10;10,00;10,00;EUR;\n",
    "FR01;C4;Epsilon SA;;;;F-8;invoice;2026-09-10;2026-10-10;10,00;10,00;EUR;\n",
    "FR01;C4;Epsilon SA;;;;F-11;invoice;2026-09-10;2026-13-10;10,00;10,00;EUR;\n",
    "FR01;C1;Alpha SA;a@alpha.example;7500;key;F-12;invoice;2026-09-10;2026-10-10;10,00;10,00;EUR;\n",
]
# The whole of FR01 as the ERP has it now: F-5, F-6 and the credit note are gone (paid).
SNAPSHOT = [SECOND[0], SECOND[1], SECOND[4], SECOND[7]]


async def no_upload(name: str, into: Path) -> None:
    raise AssertionError("no upload expected")


@pytest.fixture
async def databases(
    make_database: MakeDatabase, db_backend: str
) -> AsyncIterator[tuple[Callable[[], UnitOfWork], Callable[[], UnitOfWork], Callable[[], UnitOfWork]]]:
    if db_backend != "postgresql":
        pytest.skip("only PostgreSQL has the staged path; elsewhere both are the row-by-row path")
    engines = []
    factories = []
    for name in ("staged", "rows", "workers"):
        url = await make_database(f"importer_{name}")
        await ensure_database(url)
        await asyncio.to_thread(upgrade, url, MIGRATIONS)
        engine = create_engine(url)
        engines.append(engine)
        sessions = session_factory(engine)
        factories.append(lambda s=sessions: UnitOfWork(s, Outbox(OUTBOX), "importer"))
    yield factories[0], factories[1], factories[2]
    for engine in engines:
        await engine.dispose()


@pytest.fixture(scope="module")
def reading() -> Iterator[ReadingPool]:
    # Chunks of three rows: the checks across rows (an account agrees, an item once) span chunks.
    pool = ReadingPool(2, chunk_rows=3, from_bytes=0)
    yield pool
    pool.close()


async def _import(
    new_uow: Callable[[], UnitOfWork],
    rows: list[str],
    today: dt.date,
    *,
    staged: bool,
    reading: ReadingPool | None = None,
    **options: Any,
) -> tuple[im.ImportReport, list[Message]]:
    published: list[Message] = []
    deps = handlers.Deps(today=lambda: today, max_file_bytes=10_000_000, fetch_upload=no_upload, reading=reading)
    async with new_uow() as uow:
        real_publish_many = uow.publish_many

        async def recording(messages: list[Any]) -> None:
            published.extend(messages)
            await real_publish_many(messages)

        uow.publish_many = recording  # type: ignore[method-assign]
        real_staged = uow.ledger.staged
        taken: list[object] = []

        async def choosing() -> StagedLedger | None:
            ledger = await real_staged() if staged else None
            taken.append(ledger)
            return ledger

        uow.ledger.staged = choosing  # type: ignore[method-assign]
        report = await handlers.import_receivables_file(
            im.ImportReceivablesFile(file_name="ar.csv", content=(HEADER + "".join(rows)).encode(), **options),
            uow,
            deps,
        )
    assert len(taken) == 1 and (taken[0] is not None) == staged  # the path under test is really taken
    return report, published


def _changes(published: list[Message]) -> list[bytes]:
    """Every change published, customers' then items', each in the order published, without the messages'
    metadata (ids and times differ by nature). How customer and item messages interleave depends on the
    size of the chunks a file is read in, which is not part of the meaning."""
    found: list[bytes] = []
    for kind in (rv.CustomersChanged, rv.ItemsChanged):
        for message in published:
            if isinstance(message, kind):
                found.extend(change.SerializeToString(deterministic=True) for change in message.changes)
    return found


def _counts(report: im.ImportReport) -> tuple[int, ...]:
    return (
        report.rows_read,
        report.customers_created,
        report.customers_changed,
        report.items_opened,
        report.items_changed,
        report.items_closed,
        report.rows_rejected,
    )


async def _ledger(new_uow: Callable[[], UnitOfWork]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    async with new_uow() as uow:
        item_columns = [c for c in items.c if c.name != "updated_at"]
        customer_columns = [c for c in customers.c if c.name != "updated_at"]
        held_items = (await uow.session.execute(select(*item_columns).order_by(items.c.item_id))).all()
        held_customers = (await uow.session.execute(select(*customer_columns).order_by(customers.c.customer_id))).all()
        return [tuple(r) for r in held_items], [tuple(r) for r in held_customers]


async def test_the_staged_path_changes_and_publishes_what_the_row_by_row_path_does(
    databases: tuple[Callable[[], UnitOfWork], Callable[[], UnitOfWork], Callable[[], UnitOfWork]],
    reading: ReadingPool,
) -> None:
    staged_uow, rows_uow, workers_uow = databases
    steps: list[tuple[list[str], dt.date, dict[str, Any]]] = [
        (FIRST, dt.date(2026, 11, 2), {}),
        (SECOND, dt.date(2026, 11, 3), {}),
        (SECOND, dt.date(2026, 11, 4), {}),  # the same file again: nothing
        (THIRD, dt.date(2026, 11, 5), {}),
        (BROKEN, dt.date(2026, 11, 5), {}),
        (SNAPSHOT, dt.date(2026, 11, 6), {"mode": im.SYNC_MODE_FULL_SNAPSHOT}),
    ]
    for number, (rows, today, options) in enumerate(steps, start=1):
        staged_report, staged_published = await _import(staged_uow, rows, today, staged=True, **options)
        rows_report, rows_published = await _import(rows_uow, rows, today, staged=False, **options)
        workers_report, workers_published = await _import(
            workers_uow, rows, today, staged=True, reading=reading, **options
        )
        assert _counts(staged_report) == _counts(rows_report) == _counts(workers_report), f"step {number}"
        assert list(staged_report.errors) == list(rows_report.errors) == list(workers_report.errors), f"step {number}"
        assert _changes(staged_published) == _changes(rows_published) == _changes(workers_published), f"step {number}"
        assert await _ledger(staged_uow) == await _ledger(rows_uow) == await _ledger(workers_uow), f"step {number}"
    assert len(rows_report.errors) == 0
    broken_errors = [
        (e.row, e.column) for e in (await _import(rows_uow, BROKEN, dt.date(2026, 11, 8), staged=False))[0].errors
    ]
    assert broken_errors == [(5, "item_number"), (6, "due_date"), (7, "customer_name")]

    # And what they agree on is what an ERP user expects, step by step.
    report, published = await _import(
        staged_uow, SNAPSHOT, dt.date(2026, 11, 7), staged=True, mode=im.SYNC_MODE_FULL_SNAPSHOT
    )
    assert _changes(published) == [] and report.items_opened == report.items_changed == report.items_closed == 0
    held_items, held_customers = await _ledger(staged_uow)
    by_number = {row[4]: row for row in held_items}
    closed_on = 15
    assert by_number["F-3"][closed_on] == dt.date(2026, 11, 3)  # paid on the 3rd, corrected on the 5th
    assert by_number["F-5"][closed_on] == dt.date(2026, 11, 6)  # gone from the snapshot of the 6th
    assert by_number["F-2"][closed_on] is None  # reopened
    assert by_number["R-1"][closed_on] is None  # DE01 is outside the FR01 snapshot
    assert by_number["R-2"][11] == "PO\\7\tX"  # the reference, through COPY text and back
    assert {row[0]: row[3] for row in held_customers}["FR01/C1"] == "Alpha SAS"


async def test_the_staged_path_names_each_change_as_the_row_by_row_diff_does(
    databases: tuple[Callable[[], UnitOfWork], Callable[[], UnitOfWork], Callable[[], UnitOfWork]],
) -> None:
    staged_uow, _, _ = databases
    await _import(staged_uow, FIRST, dt.date(2026, 11, 2), staged=True)
    report, published = await _import(staged_uow, SECOND, dt.date(2026, 11, 3), staged=True)
    changes = {
        c.item.number: (c.type, list(c.changed_fields))
        for m in published
        if isinstance(m, rv.ItemsChanged)
        for c in m.changes
    }
    assert changes == {
        "F-1": (rv.CHANGE_TYPE_CHANGED, ["due_date", "reference"]),
        "F-2": (rv.CHANGE_TYPE_CREATED, ["open_amount"]),
        "F-3": (rv.CHANGE_TYPE_CLOSED, ["open_amount"]),
        "F-4": (rv.CHANGE_TYPE_CHANGED, ["account_number", "amount", "open_amount"]),
        "F-5": (rv.CHANGE_TYPE_CHANGED, ["open_amount"]),
        "F-7": (rv.CHANGE_TYPE_CREATED, []),
    }
    customer_changes = {
        c.customer.account_number: (c.type, list(c.changed_fields))
        for m in published
        if isinstance(m, rv.CustomersChanged)
        for c in m.changes
    }
    assert customer_changes == {
        "C1": (rv.CHANGE_TYPE_CHANGED, ["credit_limit", "name"]),
        "C3": (rv.CHANGE_TYPE_CREATED, []),
    }
    assert (report.items_opened, report.items_changed, report.items_closed) == (2, 3, 1)


async def test_a_chunk_is_looked_up_in_the_ledger_by_index_without_jit_compilation(
    databases: tuple[Callable[[], UnitOfWork], Callable[[], UnitOfWork], Callable[[], UnitOfWork]],
) -> None:
    # A plan that hashes the chunk against the whole ledger costs a scan of it per chunk, and one priced
    # above the JIT threshold compiles every statement: either made a million-row import ten times slower.
    new_uow = databases[0]
    async with new_uow() as uow:
        staged = await uow.ledger.staged()
        assert staged is not None
        connection = staged._db
        plan = "\n".join(
            r[0]
            for r in await connection.fetch(
                "EXPLAIN ANALYZE " + _APPLY_ITEMS, dt.date(2026, 11, 1), dt.datetime.now(dt.UTC)
            )
        )
        await uow.rollback()
    assert "Index Scan using imp_items_pkey" in plan, plan
    assert "Hash" not in plan and "Merge" not in plan, plan
    assert "JIT" not in plan, plan


async def test_new_items_are_copied_into_the_ledger_and_known_ones_compared(
    databases: tuple[Callable[[], UnitOfWork], Callable[[], UnitOfWork], Callable[[], UnitOfWork]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A first load COPYs straight into the ledger; a file with items the ledger knows goes through the
    # staging table. The ledger they leave is checked against the row-by-row path by the test above.
    new_uow = databases[0]
    taken: list[str] = []
    real_insert = StagedLedger._insert_new

    async def inserting(self: StagedLedger, *args: Any) -> None:
        taken.append("copied")
        await real_insert(self, *args)

    monkeypatch.setattr(StagedLedger, "_insert_new", inserting)
    await _import(new_uow, FIRST, dt.date(2026, 11, 2), staged=True)
    assert taken == ["copied"]
    taken.clear()
    report, _ = await _import(new_uow, SECOND, dt.date(2026, 11, 3), staged=True)
    assert taken == [] and report.items_changed == 3  # F-1 to F-6 are known: compared, not copied

    async with new_uow() as uow:
        staged = await uow.ledger.staged()
        assert staged is not None
        # FR0 is a prefix of FR01, whose items are in the ledger: its own range of ids is empty.
        assert await staged._all_new(["FR0/invoice/F-1"], ["FR0"])
        assert staged._empty_entities == {"FR0"}
        # FR01 has items: a chunk of its items is new only when none of them is there.
        assert await staged._all_new(["FR01/invoice/F-99"], ["FR01"])
        assert not await staged._all_new(["FR01/invoice/F-99", "FR01/invoice/F-1"], ["FR01", "FR01"])
        assert not await staged._all_new(["FR0/invoice/F-1", "FR01/invoice/F-1"], ["FR0", "FR01"])
        await uow.rollback()


class Crash(Exception):
    pass


@pytest.mark.parametrize("where", ["writing", "checking"])
async def test_a_crash_while_one_chunk_is_written_and_the_next_checked_leaves_nothing(
    databases: tuple[Callable[[], UnitOfWork], Callable[[], UnitOfWork], Callable[[], UnitOfWork]],
    reading: ReadingPool,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    # Chunks of three rows: a chunk is written while the next one is checked, and either may fail.
    new_uow = databases[2]
    failing_after = 2
    if where == "writing":
        real_write = handlers._write_read_chunk

        async def write_then_crash(*args: Any) -> None:
            nonlocal failing_after
            await real_write(*args)
            failing_after -= 1
            if not failing_after:
                raise Crash("power cut after the second chunk was written")

        monkeypatch.setattr(handlers, "_write_read_chunk", write_then_crash)
    else:
        real_checked = handlers._checked

        async def check_then_crash(*args: Any, **kwargs: Any) -> Any:
            nonlocal failing_after
            failing_after -= 1
            if failing_after < 0:
                raise Crash("worker lost while the second chunk was written")
            return await real_checked(*args, **kwargs)

        monkeypatch.setattr(handlers, "_checked", check_then_crash)
    with pytest.raises(Crash):
        await _import(new_uow, FIRST, dt.date(2026, 11, 2), staged=True, reading=reading)
    monkeypatch.undo()
    assert await _ledger(new_uow) == ([], [])
    async with new_uow() as uow:
        assert await Outbox(OUTBOX).backlog(uow.session) == 0
    # Nothing of the failed attempt is in the way of the next.
    report, _ = await _import(new_uow, FIRST, dt.date(2026, 11, 2), staged=True, reading=reading)
    assert report.items_opened == 8 and report.items_closed == 1
