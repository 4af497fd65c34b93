"""Large receivables files read on every core: worker processes read rows on their own (values converted
and checked, the staging table's COPY text and each item's event made), the importer checks them across
the file in row order and writes them.

Why processes: reading a row is pure Python (about 15 µs a row), and one core reads a million rows in
longer than the whole import may take; threads would share one interpreter lock. What crosses between the
processes is text and bytes, never row objects: pickling those would cost what the workers save.

The result means exactly what reading in one process means: the row-level reading is the same
:class:`RowParser`, and the checks across rows (an account's rows agree, an item once) run in the importer
in row order with the same :class:`FileChecks`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from opendso_importer.domain.receivables_csv import Columns, CustomerRow, ItemFields, ItemRow, RowError, RowParser
from opendso_importer.domain.tabular import Table, csv_records, csv_runs
from opendso_importer.store import customer_id_of, item_id_of
from opendso_importer.wire_format import OpenItemWriter


@dataclass
class ReadChunk:
    """What a worker read from a run of rows, in row order.

    Rows that read well are listed in the parallel lists: their line, the index of the customer they
    describe in ``customers``, and for item rows the item's key, whether it is open, its line of COPY text
    for the staging table and its ``OpenItem`` message, serialized.
    """

    rows_read: int
    errors: list[RowError] = field(default_factory=list)
    customers: list[CustomerRow] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    customer_of: list[int] = field(default_factory=list)
    item_ids: list[str | None] = field(default_factory=list)
    open: list[bool] = field(default_factory=list)
    copy_text: list[str] = field(default_factory=list)
    item_messages: list[bytes] = field(default_factory=list)


def read_csv_run(file: str, columns: Columns, text: str, first_line: int, delimiter: str) -> ReadChunk:
    """Read a run of a CSV's lines (runs in a worker process)."""
    return read_chunk(file, columns, list(csv_records(file, text, first_line, delimiter)))


def read_chunk(file: str, columns: Columns, rows: list[tuple[int, tuple[str, ...] | list[str]]]) -> ReadChunk:
    """Read a run of rows on their own (runs in a worker process)."""
    parser = RowParser(file, columns)
    chunk = ReadChunk(rows_read=len(rows))
    customer_index: dict[int, int] = {}
    parse = parser.parse_fields
    lines, customer_of, item_ids = chunk.lines, chunk.customer_of, chunk.item_ids
    open_now, copy_text, item_messages = chunk.open, chunk.copy_text, chunk.item_messages
    for line, cells in rows:
        errors, customer, fields = parse(line, cells)
        if customer is None:
            chunk.errors.extend(errors)
            continue
        index = customer_index.get(id(customer))
        if index is None:
            index = customer_index[id(customer)] = len(chunk.customers)
            chunk.customers.append(customer)
        lines.append(line)
        customer_of.append(index)
        if fields is None:
            item_ids.append(None)
            open_now.append(False)
            copy_text.append("")
            item_messages.append(b"")
            continue
        open_now.append(not fields[5].is_zero())
        item_id, text, message = staged_fields(customer.entity, customer.account_number, fields)
        item_ids.append(item_id)
        copy_text.append(text)
        item_messages.append(message)
    return chunk


def staged_item(item: ItemRow) -> tuple[str, str, bytes]:
    """The item's id, the item as a line of PostgreSQL COPY text (in staged_ledger.ITEM_STAGE_COLUMNS order) and as the
    serialized ``OpenItem`` its events carry (the same as ledger_events.item_to_proto makes)."""
    fields: ItemFields = (
        item.number,
        item.kind,
        item.issue_date,
        item.due_date,
        item.amount.amount,
        item.open_amount.amount,
        item.amount.currency,
        item.reference,
        item.product_group,
        item.product,
        item.priority,
    )
    return staged_fields(item.entity, item.account_number, fields)


def staged_fields(entity: str, account_number: str, fields: ItemFields) -> tuple[str, str, bytes]:
    """As :func:`staged_item`, from an item's fields as the row parser reads them."""
    (
        number,
        kind,
        issue_date,
        due_date,
        amount_value,
        open_value,
        currency,
        reference,
        product_group,
        product,
        priority,
    ) = fields
    item_id = item_id_of(entity, kind, number)
    customer_id = customer_id_of(entity, account_number)
    amount, open_amount = str(amount_value), str(open_value)
    issued, due = issue_date.isoformat(), due_date.isoformat()
    message = _WRITER.write(
        item_id,
        customer_id,
        entity,
        account_number,
        number,
        kind,
        issue_date,
        due_date,
        amount,
        open_amount,
        currency,
        reference,
        product_group,
        product,
        priority,
    )
    texts: tuple[str, ...] = (
        item_id,
        customer_id,
        entity,
        account_number,
        number,
        reference or "",
        product_group or "",
        product or "",
        priority or "",
    )
    probe = "".join(texts)
    if "\\" in probe or "\t" in probe or "\n" in probe or "\r" in probe:
        texts = tuple(_text(t) for t in texts)
    reference, product_group, product, priority = texts[5:]
    # A missing optional value is NULL (\N); the reader never leaves one empty.
    text = "\t".join(
        (
            *texts[:5],
            kind,
            issued,
            due,
            amount,
            open_amount,
            currency,
            reference or "\\N",
            product_group or "\\N",
            product or "\\N",
            priority or "\\N",
        )
    )
    return item_id, text, message


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


_WRITER = OpenItemWriter()


def item_message(item: ItemRow) -> bytes:
    """The item as the ``OpenItem`` its events carry."""
    return staged_item(item)[2]


class ReadingPool:
    """Worker processes that read rows, kept for the service's life (starting one costs about a second)."""

    def __init__(self, workers: int, *, chunk_rows: int = 10_000, from_bytes: int = 4 * 1024 * 1024) -> None:
        self.workers = workers
        self.chunk_rows = chunk_rows
        # Smaller files are read in the importer's own process: handing rows over would cost more.
        self.from_bytes = from_bytes
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    def wanted_for(self, size: int) -> bool:
        return self.workers > 0 and size >= self.from_bytes

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            # "spawn": the service's process holds threads and sockets that a fork would copy half-alive.
            self._executor = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._executor

    async def read(self, file: str, columns: Columns, table: Table) -> AsyncIterator[ReadChunk]:
        """The table's rows read by the workers in chunks, in row order; a few chunks are read ahead.

        A CSV is handed out as runs of its text (the workers split the records too); other tables as
        rows of cells.
        """
        loop = asyncio.get_running_loop()
        pool = self._pool()
        pending: deque[asyncio.Future[ReadChunk]] = deque()
        ahead = self.workers * 2
        jobs: Iterator[tuple[Callable[..., ReadChunk], tuple[Any, ...]]]
        if table.lines is not None and table.delimiter is not None:
            delimiter = table.delimiter
            jobs = (
                (read_csv_run, (file, columns, text, first_line, delimiter))
                for first_line, text in csv_runs(table, self.chunk_rows)
            )
        else:
            jobs = ((read_chunk, (file, columns, batch)) for batch in _batched(table.rows, self.chunk_rows))
        try:
            for function, arguments in jobs:
                pending.append(loop.run_in_executor(pool, function, *arguments))
                if len(pending) > ahead:
                    yield await pending.popleft()
            while pending:
                yield await pending.popleft()
        except concurrent.futures.process.BrokenProcessPool:
            # A worker died (killed, out of memory): this import fails and rolls back; the next one gets
            # fresh workers rather than a pool that refuses all work.
            self.close()
            raise
        finally:
            for future in pending:
                future.cancel()

    async def each(self, function: Callable[..., Any], jobs: Iterator[tuple[Any, ...]]) -> AsyncIterator[Any]:
        """``function`` called in the workers on each job's arguments; its answers in the jobs' order, a few
        jobs run ahead (a job's arguments are made only when it is handed out)."""
        loop = asyncio.get_running_loop()
        pool = self._pool()
        pending: deque[asyncio.Future[Any]] = deque()
        try:
            for arguments in jobs:
                pending.append(loop.run_in_executor(pool, function, *arguments))
                if len(pending) > self.workers * 2:
                    yield await pending.popleft()
            while pending:
                yield await pending.popleft()
        except concurrent.futures.process.BrokenProcessPool:
            self.close()  # as in read(): the next import gets fresh workers
            raise
        finally:
            for future in pending:
                future.cancel()

    def warm(self) -> None:
        """Start the workers now (each imports the reading code), not on the first large file."""
        pool = self._pool()
        for done in [pool.submit(_ready) for _ in range(self.workers)]:
            done.result()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


def _ready() -> bool:
    return True


def _batched(
    rows: Iterator[tuple[int, tuple[str, ...]]], size: int
) -> Iterator[list[tuple[int, tuple[str, ...] | list[str]]]]:
    batch: list[tuple[int, tuple[str, ...] | list[str]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
