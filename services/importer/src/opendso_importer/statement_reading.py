"""Large CAMT statements read on every core: runs of entries read by the worker processes of the
importer's :class:`ReadingPool`, the rest of the document (statements, accounts, balances) and the checks
across a statement in the importer.

The statements are those :func:`parse_statements` gives for the same file: the entries are read by the
same code, and a file the parts' reading finds any fault with is read again whole, in this process, so a
broken file is refused with the same words whichever way it was read.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any, cast

from opendso_money import Money

from opendso_importer.domain.statements import Statement, StatementError, Transaction, parse_statements
from opendso_importer.domain.statements.camt import CamtEntries, read_camt_entries, split_camt
from opendso_importer.domain.statements.detect import detect_format
from opendso_importer.parallel_reading import ReadingPool

# Some 5 MB of XML a job: enough that handing it over costs little beside reading it, small enough that
# both workers are busy until near the end and a worker's memory stays small.
ENTRIES_PER_JOB = 5000
_AMOUNT = Transaction._fields.index("amount")
# The transactions of a job as columns, one per field of Transaction, the amount's column as its amounts'
# text and its currencies: pickled, a hundred thousand Transaction and Money objects cost the workers
# three times as much, and the importer twice as much to unpickle, as these lists of strings and dates.
_Columns = tuple[tuple[Any, ...], ...]


async def read_statements(
    pool: ReadingPool | None, data: bytes, file: str, format: str = "auto", *, entries_per_job: int = ENTRIES_PER_JOB
) -> list[Statement]:
    """Every statement in the file, as :func:`parse_statements` reads it; a large CAMT file's entries are
    read by ``pool``'s workers."""
    if pool is None or not pool.wanted_for(len(data)) or format not in ("auto", "camt"):
        return parse_statements(data, file, format)
    try:
        if format == "auto" and detect_format(data, file) != "camt":
            return parse_statements(data, file, format)
        parts = split_camt(data, file, entries_per_job)
        if parts is None:
            return parse_statements(data, file, format)
        # Closed at once on a fault: the jobs not yet started are dropped.
        async with contextlib.aclosing(
            cast(AsyncGenerator[_Columns, None], pool.each(_read_entries, parts.job_arguments()))
        ) as answers:
            read: list[list[Transaction]] = [_transactions(columns) async for columns in answers]
        return parts.finish(read)
    except StatementError:
        # The error of a part, or of the skeleton, is not always the one the whole file's reading gives
        # first, nor in the same words: that reading says it.
        return parse_statements(data, file, format)


def _read_entries(job: CamtEntries, entries: bytes) -> _Columns:
    """:func:`read_camt_entries` in a worker, the cycle collector held back (see statements._collector_paused:
    the lines form no cycles, and its passes over them would cost a tenth of the reading)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        transactions = read_camt_entries(job, entries)
        columns = list(zip(*transactions, strict=True))
        if columns:
            amounts = columns[_AMOUNT]
            columns[_AMOUNT] = tuple(str(m.amount) for m in amounts)
            columns.append(tuple(m.currency for m in amounts))
        return tuple(columns)
    finally:
        if enabled:
            gc.enable()


def _transactions(columns: _Columns) -> list[Transaction]:
    """The transactions ``_read_entries`` sent as columns."""
    if not columns:
        return []
    *fields, currencies = columns
    fields[_AMOUNT] = tuple(map(Money, map(Decimal, fields[_AMOUNT]), currencies))
    return list(map(Transaction, *fields))
