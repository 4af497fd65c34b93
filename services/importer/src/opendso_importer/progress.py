"""How far a running receivables import is, for the caller waiting on its answer.

The import is one database transaction, so nothing in its tables shows how far it is until it commits:
its progress (``imports.v1.ImportProgress``) is written outside it, into the progress bucket, under the
key the gateway put in the command. Progress is best effort: a write that fails or hangs is logged and
dropped, never failing nor holding up the import.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Protocol, TypeAlias

from opendso.imports.v1 import imports_pb2 as im

from opendso_importer.domain.tabular import detect_format
from opendso_importer.domain.upload_source import CHUNK_BYTES, Source, head
from opendso_importer.handlers import Deps

Phase: TypeAlias = im.ImportPhase.ValueType

log = logging.getLogger(__name__)

# At most two writes a second while the phase stays the same: a poller asks every second or so.
WRITE_INTERVAL_SECONDS = 0.5
# A write taking longer is given up (the next one carries the newer value).
WRITE_TIMEOUT_SECONDS = 2.0


class ProgressStore(Protocol):
    async def put(self, key: str, value: bytes) -> None: ...


def estimated_rows(newlines: int, ends_with_newline: bool) -> int:
    """The data rows of a delimited text file of ``newlines`` line breaks: its lines less the header."""
    lines = newlines + (0 if ends_with_newline else 1)
    return max(0, lines - 1)


def count_rows(source: Source, stop: Callable[[], bool] = lambda: False) -> int | None:
    """About how many data rows ``source`` holds, counted by line breaks (a quoted value spanning lines
    counts twice); None once ``stop()`` says so."""
    if isinstance(source, bytes):
        return estimated_rows(source.count(b"\n"), source.endswith(b"\n"))
    newlines, last = 0, b""
    with source.open("rb") as file:
        while piece := file.read(CHUNK_BYTES * 4):
            if stop():
                return None
            newlines += piece.count(b"\n")
            last = piece
    return estimated_rows(newlines, last.endswith(b"\n") or not last)


def _delimited_text(source: Source, file_name: str) -> bool:
    return not file_name.lower().endswith(".json") and detect_format(head(source, 64), file_name) == "csv"


class ImportProgressReporter:
    """The progress of one import under one key.

    Called (``reporter(report, phase)``) once per chunk read and at each new phase, it never waits and
    never raises: the write runs in the background, one at a time. Within a phase, a value comes at most
    every ``interval`` seconds, the latest one when the interval is over (a chunk that takes long to
    apply leaves no newer count unwritten); a new phase is written at once. A value superseded before
    its write is never written.
    """

    def __init__(
        self,
        store: ProgressStore,
        key: str,
        file_name: str,
        *,
        interval: float = WRITE_INTERVAL_SECONDS,
        write_timeout: float = WRITE_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._key = key
        self._interval = interval
        self._write_timeout = write_timeout
        self._clock = clock
        self._now = now
        self._sleep = sleep
        self._value = im.ImportProgress(file_name=file_name, phase=im.IMPORT_PHASE_READING)
        self._value.started_at.FromDatetime(now())
        self._written_at: float | None = None
        self._written_phase: Phase = im.IMPORT_PHASE_UNSPECIFIED
        self._dirty = False
        self._writing: asyncio.Task[None] | None = None
        self._counting: asyncio.Task[None] | None = None
        self._stop_counting = False
        self.failures = 0

    @property
    def latest(self) -> im.ImportProgress:
        """A copy of the progress as last reported (written or not)."""
        value = im.ImportProgress()
        value.CopyFrom(self._value)
        return value

    def __call__(self, report: im.ImportReport, phase: Phase = im.IMPORT_PHASE_READING) -> None:
        self._value.rows_read = report.rows_read
        self._update(phase)

    def measure(self, content: Source) -> None:
        """The file's size now, and an estimate of its rows when it is delimited text (counted in a thread
        for a file on disk, while the import goes on)."""
        self._value.file_bytes = len(content) if isinstance(content, bytes) else content.stat().st_size
        if not _delimited_text(content, self._value.file_name):
            return
        if isinstance(content, bytes):
            self._value.rows_estimated = count_rows(content) or 0
            return
        self._counting = asyncio.create_task(self._count(content))

    async def finish(self, phase: Phase) -> None:
        """Write the last phase (done or failed) after the write under way; bounded by the write timeout."""
        self._stop_counting = True
        if self._counting is not None:
            self._counting.cancel()
        self._update(phase)
        if self._writing is not None:
            # Bounded: the rest of an interval, the write under way, then this one. The margin is for a
            # store that does not let go when its write is given up.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._writing), self._interval + self._write_timeout * 2 + 1.0)

    def _update(self, phase: Phase) -> None:
        self._value.phase = phase
        self._dirty = True
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())
        # else: the write under way (or waiting for its interval) writes the latest value.

    def _wait(self) -> float:
        """How long until the value may be written: none for the first, a new phase, or the last."""
        if (
            self._written_at is None
            or self._value.phase != self._written_phase
            or self._value.phase in (im.IMPORT_PHASE_DONE, im.IMPORT_PHASE_FAILED)
        ):
            return 0.0
        return max(0.0, self._interval - (self._clock() - self._written_at))

    async def _write(self) -> None:
        while self._dirty:
            wait = self._wait()
            if wait > 0:
                await self._sleep(wait)
                continue  # the phase may have changed meanwhile
            self._dirty = False
            self._value.updated_at.FromDatetime(self._now())
            self._written_at, self._written_phase = self._clock(), self._value.phase
            try:
                await asyncio.wait_for(self._store.put(self._key, self._value.SerializeToString()), self._write_timeout)
            except Exception as exc:  # progress is best effort: the import goes on
                self.failures += 1
                if self.failures == 1:
                    log.warning("import progress of %s not written: %r", self._value.file_name, exc)

    async def _count(self, path: Path) -> None:
        try:
            rows = await asyncio.to_thread(count_rows, path, lambda: self._stop_counting)
        except OSError as exc:  # the temporary file already gone: no estimate
            log.debug("rows of %s not counted: %r", path, exc)
            return
        if rows is not None:
            self._value.rows_estimated = rows


@contextlib.asynccontextmanager
async def reporting_progress(
    command: im.ImportReceivablesFile,
    deps: Deps,
    store: ProgressStore | None,
    *,
    interval: float = WRITE_INTERVAL_SECONDS,
    write_timeout: float = WRITE_TIMEOUT_SECONDS,
) -> AsyncIterator[Deps]:
    """``deps`` for this import, reporting its progress under the command's progress key when it has one
    and imports receivables; the last phase (done, or failed on an exception) is written on leaving."""
    if store is None or not command.progress_key or command.content_kind not in ("", "receivables"):
        yield deps
        return
    reporter = ImportProgressReporter(
        store, command.progress_key, command.file_name, interval=interval, write_timeout=write_timeout
    )
    if command.content:
        reporter.measure(command.content)
    # At once: the caller asking from now on finds the import started, before its first chunk is read.
    reporter(im.ImportReport())
    fetch_upload = deps.fetch_upload

    async def fetch_measured(name: str, into: Path) -> object:
        fetched = await fetch_upload(name, into)
        reporter.measure(into)
        return fetched

    try:
        yield dataclasses.replace(deps, fetch_upload=fetch_measured, progress=reporter)
    except BaseException:
        await reporter.finish(im.IMPORT_PHASE_FAILED)
        raise
    await reporter.finish(im.IMPORT_PHASE_DONE)
