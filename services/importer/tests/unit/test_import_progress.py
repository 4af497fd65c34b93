"""How far a running import is: throttled, keyed writes outside the import, and the handler's hook."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
from pathlib import Path
from typing import Any, cast

import pytest
from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import EventMeta
from opendso.imports.v1 import imports_pb2 as im
from opendso_bus.envelope import new_meta
from opendso_importer import handlers
from opendso_importer.domain.ledger import CustomerState, ItemState
from opendso_importer.domain.receivables_csv import iter_receivables
from opendso_importer.progress import ImportProgressReporter, count_rows, estimated_rows, reporting_progress
from opendso_importer.store import UnitOfWork, customer_id_of, item_id_of

TODAY = dt.date(2026, 11, 25)
HEADER = "entity;account_number;customer_name;email;item_number;issue_date;due_date;amount;open_amount;currency\n"
ROW = "FR01;C{n};Client {n};;F-{n};2026-10-01;2026-10-31;100,00;100,00;EUR\n"


def csv_of(rows: int) -> str:
    return HEADER + "".join(ROW.format(n=n) for n in range(1, rows + 1))


class MemoryProgressStore:
    """Keeps every value written, by key, in order."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, im.ImportProgress]] = []

    async def put(self, key: str, value: bytes) -> None:
        self.writes.append((key, im.ImportProgress.FromString(value)))

    def rows(self) -> list[int]:
        return [v.rows_read for _, v in self.writes]

    def phases(self) -> list[int]:
        return [v.phase for _, v in self.writes]


class GatedProgressStore(MemoryProgressStore):
    """Each write waits until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.started = 0

    async def put(self, key: str, value: bytes) -> None:
        self.started += 1
        await self.gate.wait()
        await super().put(key, value)


class FailingProgressStore:
    def __init__(self) -> None:
        self.attempts = 0
        self.last: im.ImportProgress | None = None

    async def put(self, key: str, value: bytes) -> None:
        self.attempts += 1
        self.last = im.ImportProgress.FromString(value)
        raise ConnectionError("nats: no servers available for connection")


class HangingProgressStore:
    def __init__(self) -> None:
        self.attempts = 0

    async def put(self, key: str, value: bytes) -> None:
        self.attempts += 1
        await asyncio.Event().wait()


class FakeClock:
    """A monotonic clock that moves only when told, or when the reporter sleeps (recorded)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def report_of(rows: int) -> im.ImportReport:
    return im.ImportReport(rows_read=rows)


async def settled() -> None:
    # Lets the background writes of the reporter run (the fake stores finish without waiting).
    for _ in range(5):
        await asyncio.sleep(0)


def reporter_over(store: Any, clock: FakeClock | None = None, **options: Any) -> ImportProgressReporter:
    clock = clock or FakeClock()
    return ImportProgressReporter(store, "k1", "ar.csv", clock=clock, sleep=clock.sleep, **options)


# -- the reporter ---------------------------------------------------------------------------------------------


async def test_within_half_a_second_only_the_latest_rows_are_written_once_it_is_over() -> None:
    store, clock = MemoryProgressStore(), FakeClock()
    reporter = reporter_over(store, clock)
    reporter(report_of(10))
    await settled()
    assert store.rows() == [10] and clock.slept == []
    clock.now += 0.1
    reporter(report_of(20))
    reporter(report_of(30))
    await settled()
    # 20 was never written; 30 was, without waiting for another chunk, once the interval was over.
    assert store.rows() == [10, 30]
    assert clock.slept == [pytest.approx(0.4)]
    clock.now += 0.6
    reporter(report_of(40))
    await settled()
    assert store.rows() == [10, 30, 40]
    assert len(clock.slept) == 1
    assert {key for key, _ in store.writes} == {"k1"}
    assert store.writes[0][1].file_name == "ar.csv"
    assert store.writes[0][1].started_at == store.writes[2][1].started_at


async def test_a_new_phase_is_written_at_once_within_the_interval() -> None:
    store, clock = MemoryProgressStore(), FakeClock()
    reporter = reporter_over(store, clock)
    reporter(report_of(10))
    await settled()
    clock.now += 0.01
    reporter(report_of(12), im.IMPORT_PHASE_CLOSING_SNAPSHOT)
    await settled()
    clock.now += 0.01
    reporter(report_of(12), im.IMPORT_PHASE_COMMITTING)
    await settled()
    assert store.phases() == [im.IMPORT_PHASE_READING, im.IMPORT_PHASE_CLOSING_SNAPSHOT, im.IMPORT_PHASE_COMMITTING]
    assert store.rows() == [10, 12, 12]
    assert clock.slept == []


async def test_one_write_at_a_time_and_a_value_superseded_meanwhile_is_never_written() -> None:
    store = GatedProgressStore()
    reporter = reporter_over(store)
    reporter(report_of(10))
    await settled()
    reporter(report_of(20), im.IMPORT_PHASE_CLOSING_SNAPSHOT)
    reporter(report_of(30), im.IMPORT_PHASE_COMMITTING)
    await settled()
    assert store.started == 1
    store.gate.set()
    await settled()
    assert store.rows() == [10, 30]
    assert store.phases() == [im.IMPORT_PHASE_READING, im.IMPORT_PHASE_COMMITTING]


async def test_a_failing_store_never_raises_to_the_import_and_the_last_phase_is_still_tried() -> None:
    store = FailingProgressStore()
    reporter = reporter_over(store, interval=0.0)
    reporter(report_of(10))
    await settled()
    reporter(report_of(20))
    await settled()
    await reporter.finish(im.IMPORT_PHASE_DONE)
    assert store.attempts == 3
    assert reporter.failures == 3
    assert reporter.latest.phase == im.IMPORT_PHASE_DONE and reporter.latest.rows_read == 20


async def test_a_hanging_store_is_given_up_after_the_write_timeout() -> None:
    store = HangingProgressStore()
    reporter = reporter_over(store, write_timeout=0.05)
    reporter(report_of(10))
    await settled()
    started = time.monotonic()
    await reporter.finish(im.IMPORT_PHASE_DONE)
    assert time.monotonic() - started < 1.0
    assert store.attempts == 2
    assert reporter.failures == 2


def test_rows_are_estimated_from_line_breaks_less_the_header() -> None:
    assert estimated_rows(3, ends_with_newline=True) == 2
    assert estimated_rows(2, ends_with_newline=False) == 2
    assert estimated_rows(0, ends_with_newline=False) == 0
    assert count_rows(csv_of(7).encode()) == 7
    assert count_rows(csv_of(7).encode().rstrip(b"\n")) == 7


def test_rows_of_a_file_on_disk_are_counted_and_a_count_can_be_stopped(tmp_path: Path) -> None:
    path = tmp_path / "ar.csv"
    path.write_text(csv_of(1500))
    assert count_rows(path) == 1500
    assert count_rows(path, stop=lambda: True) is None


async def test_a_workbook_is_measured_by_its_size_only_and_a_csv_also_by_its_rows() -> None:
    workbook = ImportProgressReporter(MemoryProgressStore(), "k", "ar.xlsx")
    workbook.measure(b"PK\x03\x04" + b"\n" * 100)
    assert (workbook.latest.file_bytes, workbook.latest.rows_estimated) == (104, 0)
    text = ImportProgressReporter(MemoryProgressStore(), "k", "ar.csv")
    text.measure(csv_of(25).encode())
    assert text.latest.rows_estimated == 25
    assert text.latest.file_bytes == len(csv_of(25).encode())


# -- wiring an import -------------------------------------------------------------------------------------------


async def _fetch_nothing(name: str, into: Path) -> None:
    raise AssertionError("no upload to fetch")


DEPS = handlers.Deps(today=lambda: TODAY, max_file_bytes=5_000_000, fetch_upload=_fetch_nothing)


async def test_an_import_without_a_progress_key_or_of_contacts_reports_nothing() -> None:
    store = MemoryProgressStore()
    for command in (
        im.ImportReceivablesFile(file_name="ar.csv", content=b"x"),
        im.ImportReceivablesFile(file_name="c.csv", content=b"x", progress_key="k2", content_kind="contacts"),
    ):
        async with reporting_progress(command, DEPS, store) as deps:
            assert deps is DEPS
    assert store.writes == []


async def test_an_import_with_a_key_writes_under_that_key_and_ends_done_or_failed() -> None:
    store = MemoryProgressStore()
    command = im.ImportReceivablesFile(file_name="ar.csv", content=csv_of(4).encode(), progress_key="abc123")
    async with reporting_progress(command, DEPS, store) as deps:
        await settled()
        # Started, before the first chunk: a caller asking now finds it.
        assert [(key, v.rows_read, v.phase) for key, v in store.writes] == [("abc123", 0, im.IMPORT_PHASE_READING)]
        deps.progress(report_of(4), im.IMPORT_PHASE_COMMITTING)
        await settled()
    assert [key for key, _ in store.writes] == ["abc123", "abc123", "abc123"]
    assert store.rows() == [0, 4, 4]
    assert store.writes[-1][1].phase == im.IMPORT_PHASE_DONE
    assert store.writes[-1][1].rows_estimated == 4

    failed = MemoryProgressStore()
    with pytest.raises(RuntimeError, match="database went away"):
        async with reporting_progress(command, DEPS, failed) as deps:
            deps.progress(report_of(2), im.IMPORT_PHASE_READING)
            raise RuntimeError("database went away")
    assert failed.writes[-1][1].phase == im.IMPORT_PHASE_FAILED
    assert failed.writes[-1][1].rows_read == 2


async def test_an_uploaded_file_is_measured_once_fetched(tmp_path: Path) -> None:
    content = csv_of(300).encode()

    async def fetch(name: str, into: Path) -> int:
        await asyncio.to_thread(into.write_bytes, content)
        return len(content)

    store = MemoryProgressStore()
    command = im.ImportReceivablesFile(file_name="ar.csv", object_name="req-1/ar.csv", progress_key="k3")
    deps = handlers.Deps(today=lambda: TODAY, max_file_bytes=5_000_000, fetch_upload=fetch)
    async with reporting_progress(command, deps, store) as measured:
        assert await measured.fetch_upload("req-1/ar.csv", tmp_path / "content") == len(content)
        reporter = cast(ImportProgressReporter, measured.progress)
        assert reporter.latest.file_bytes == len(content)
        for _ in range(200):  # the rows are counted in a thread
            if reporter.latest.rows_estimated:
                break
            await asyncio.sleep(0.01)
        assert reporter.latest.rows_estimated == 300
    assert store.writes[-1][1].rows_estimated == 300


# -- the handler's hook ---------------------------------------------------------------------------------------


class FakeLedger:
    """The ledger calls of a receivables import, in memory, on the row-by-row path."""

    def __init__(self) -> None:
        self.customer_rows: dict[str, CustomerState] = {}
        self.item_rows: dict[str, tuple[ItemState, dt.date | None]] = {}
        self.imports: list[str] = []

    async def staged(self) -> None:
        return None

    async def prefer_index_lookups(self) -> None:
        pass

    async def import_by_key(self, key: str) -> bytes | None:
        return None

    async def profile_for_layout(self, signature: str) -> None:
        return None

    async def customers(self, ids: Any) -> dict[str, CustomerState]:
        return {i: self.customer_rows[i] for i in ids if i in self.customer_rows}

    async def items(self, ids: Any) -> dict[str, ItemState]:
        return {i: self.item_rows[i][0] for i in ids if i in self.item_rows}

    async def save_customers(self, created: list[CustomerState], changed: list[CustomerState]) -> None:
        for state in [*created, *changed]:
            self.customer_rows[customer_id_of(state.entity, state.account_number)] = state

    async def save_items(
        self, created: list[tuple[ItemState, dt.date | None]], changed: list[tuple[ItemState, dt.date | None]]
    ) -> None:
        for state, closed_on in [*created, *changed]:
            self.item_rows[item_id_of(state.entity, state.kind, state.number)] = (state, closed_on)

    async def open_items_of_entities(self, entities: list[str]) -> list[ItemState]:
        return [s for s, closed in self.item_rows.values() if s.entity in entities and closed is None]

    async def record_import(
        self, import_id: str, key: str | None, checksum: str, file_name: str, report: bytes
    ) -> None:
        self.imports.append(import_id)


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.ledger = FakeLedger()
        self.published: list[Message] = []
        self.committed = False

    def caused_by(self, meta: EventMeta | None = None, *, correlation_id: str = "") -> None:
        pass

    def meta(self, entity: str = "", **kwargs: Any) -> EventMeta:
        return new_meta("importer", entity=entity, **kwargs)

    async def publish(self, message: Message) -> None:
        self.published.append(message)

    async def publish_many(self, messages: list[Message]) -> None:
        self.published.extend(messages)

    async def commit(self) -> None:
        self.committed = True

    async def rollback(self) -> None:
        self.published.clear()


@pytest.fixture
def two_row_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks of two rows, so that a small file is read in several.
    monkeypatch.setattr(handlers, "iter_receivables", functools.partial(iter_receivables, chunk_rows=2))


async def test_progress_is_reported_once_per_chunk_with_the_rows_so_far_then_the_commit(two_row_chunks: None) -> None:
    told: list[tuple[int, int]] = []
    deps = handlers.Deps(
        today=lambda: TODAY,
        max_file_bytes=5_000_000,
        fetch_upload=_fetch_nothing,
        progress=lambda report, phase: told.append((report.rows_read, phase)),
    )
    uow = FakeUnitOfWork()
    command = im.ImportReceivablesFile(file_name="ar.csv", content=csv_of(5).encode())
    report = await handlers.import_receivables_file(command, cast(UnitOfWork, uow), deps)

    assert report.rows_read == 5 and uow.committed
    reading = im.IMPORT_PHASE_READING
    assert told == [(2, reading), (4, reading), (5, reading), (5, im.IMPORT_PHASE_COMMITTING)]


async def test_a_full_snapshot_reports_closing_it_and_a_dry_run_never_commits(two_row_chunks: None) -> None:
    phases: list[int] = []
    deps = handlers.Deps(
        today=lambda: TODAY,
        max_file_bytes=5_000_000,
        fetch_upload=_fetch_nothing,
        progress=lambda report, phase: phases.append(phase),
    )
    snapshot = im.ImportReceivablesFile(file_name="ar.csv", content=csv_of(3).encode(), mode=im.SYNC_MODE_FULL_SNAPSHOT)
    await handlers.import_receivables_file(snapshot, cast(UnitOfWork, FakeUnitOfWork()), deps)
    assert phases[-2:] == [im.IMPORT_PHASE_CLOSING_SNAPSHOT, im.IMPORT_PHASE_COMMITTING]

    phases.clear()
    check = im.ImportReceivablesFile(file_name="ar.csv", content=csv_of(3).encode(), dry_run=True)
    await handlers.import_receivables_file(check, cast(UnitOfWork, FakeUnitOfWork()), deps)
    assert phases == [im.IMPORT_PHASE_READING, im.IMPORT_PHASE_READING]


async def test_a_failing_progress_store_does_not_fail_the_import(two_row_chunks: None) -> None:
    store = FailingProgressStore()
    uow = FakeUnitOfWork()
    command = im.ImportReceivablesFile(file_name="ar.csv", content=csv_of(5).encode(), progress_key="k4")
    async with reporting_progress(command, DEPS, store, interval=0.0) as deps:
        report = await handlers.import_receivables_file(command, cast(UnitOfWork, uow), deps)

    assert (report.rows_read, report.items_opened, report.file_rejected) == (5, 5, False)
    assert uow.committed and len(uow.ledger.imports) == 1
    # It was tried, and the last value tried says the import is done.
    assert store.last is not None and store.last.phase == im.IMPORT_PHASE_DONE and store.last.rows_read == 5
