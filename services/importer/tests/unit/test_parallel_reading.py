"""Worker processes read large files; a worker that dies fails that import only."""

from __future__ import annotations

import asyncio
import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest
from opendso_importer.domain.receivables_csv import columns_of
from opendso_importer.domain.tabular import read_table
from opendso_importer.parallel_reading import ReadChunk, ReadingPool

HEADER = "entity;account_number;customer_name;item_number;issue_date;due_date;amount;currency\n"


def _file(rows: int) -> bytes:
    lines = "".join(f"FR01;C{n % 7};Client {n % 7};F-{n};2026-09-01;2026-10-01;{n},50;EUR\n" for n in range(rows))
    return (HEADER + lines).encode()


async def _read_all(pool: ReadingPool, data: bytes) -> list[ReadChunk]:
    table = read_table(data, "ar.csv")
    return [chunk async for chunk in pool.read("ar.csv", columns_of(table, "ar.csv", None), table)]


async def test_chunks_come_back_in_row_order_with_every_row() -> None:
    pool = ReadingPool(2, chunk_rows=7, from_bytes=0)
    try:
        chunks = await _read_all(pool, _file(100))
    finally:
        pool.close()
    lines = [line for chunk in chunks for line in chunk.lines]
    assert lines == list(range(2, 102))
    assert sum(chunk.rows_read for chunk in chunks) == 100
    assert all(not chunk.errors for chunk in chunks)


async def test_a_worker_that_dies_fails_its_import_and_the_next_gets_fresh_workers() -> None:
    pool = ReadingPool(1, chunk_rows=50, from_bytes=0)
    try:
        pool.warm()
        executor = pool._executor
        assert executor is not None
        # What the kernel's out-of-memory killer would do to a worker.
        for process in list(executor._processes.values()):
            assert process.pid is not None
            os.kill(process.pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        with pytest.raises(BrokenProcessPool):
            await _read_all(pool, _file(500))
        chunks = await _read_all(pool, _file(500))
        assert sum(chunk.rows_read for chunk in chunks) == 500
    finally:
        pool.close()


def test_small_files_are_read_in_the_importers_own_process() -> None:
    pool = ReadingPool(2, from_bytes=1024)
    assert not pool.wanted_for(1023) and pool.wanted_for(1024)
    assert not ReadingPool(0, from_bytes=0).wanted_for(10**9)
