"""Bank statements exported to Excel (XLSX) from online banking.

Read like CSV exports (:mod:`.csv_statement`): the same header names and mappings, the same
conventions for amounts, debit/credit marks and dates, one statement per account and
currency, and any bad row rejects the whole file. What a workbook adds:

* Title rows above the header ("Umsatzanzeige", "IBAN: DE89 ...", a period) are skipped,
  as in CSV, and the header is looked for on each sheet in turn: the first sheet with one
  is the statement.
* Numbers and dates may be real numbers and dates. A number is taken at Excel's own
  precision, fifteen significant digits, so 1190.4999999999998 left by a formula reads
  1190.50; a currency shown by its number format ("#,##0.00 €") stands in for a missing
  currency column. A date-time cell gives its date.
* Errors name the row as Excel numbers it, and the column by its letter and header.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from opendso_importer.domain.statements.csv_statement import (
    HEADER_HINT,
    HEADER_SEARCH_LINES,
    Cell,
    Header,
    Number,
    check_mapping,
    header_columns,
    preamble_iban,
    read_rows,
)
from opendso_importer.domain.statements.model import Statement, StatementError

WORKBOOK_PART = "xl/workbook.xml"
_ZIP = b"PK\x03\x04"
# A workbook is a ZIP of XML: refuse one that unpacks to more than this before reading it.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
_SYMBOLS = {"€": "EUR", "£": "GBP", "Kč": "CZK", "zł": "PLN", "CHF": "CHF", "$": "USD"}
# "[$€-407]", "[$EUR]": the currency part of a locale block; "[$-407]" names a locale only.
_LOCALE_BLOCK = re.compile(r"\[\$([^\]-]*)(?:-[0-9A-Fa-f]+)?\]")
_QUOTED = re.compile(r'"([^"]*)"')
_CODE = re.compile(r"^[A-Z]{3}$")


def is_xlsx(data: bytes) -> bool:
    """Whether the data is a ZIP holding an Excel workbook (and not, say, a zipped CSV)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return WORKBOOK_PART in archive.namelist()
    except zipfile.BadZipFile:
        return False


def parse_xlsx_statement(
    data: bytes, file: str, mapping: Mapping[str, str] | None = None, *, currency: str | None = None
) -> list[Statement]:
    """The statements of an XLSX export: one per account and currency, in the order they first appear.

    ``mapping`` and ``currency`` as for :func:`~.csv_statement.parse_csv_statement`.
    """
    check_mapping(mapping, file)
    sheets = _read_sheets(data, file)
    several = len(sheets) > 1
    for title, rows in sheets:
        found = _find_header(rows, mapping, file, title if several else None)
        if found is None:
            continue
        index, header = found
        where = f"sheet {title!r}, " if several else ""
        body = [(f"{where}row {number}", cells) for number, cells in rows[index + 1 :]]
        account_iban = preamble_iban(cells for _, cells in rows[:index])
        return read_rows(file, "xlsx", body, header, currency=currency, account_iban=account_iban)
    expected = "the mapped columns" if mapping is not None else HEADER_HINT
    names = ", ".join(repr(title) for title, _ in sheets)
    raise StatementError(
        file,
        f"rows 1-{HEADER_SEARCH_LINES}",
        f"no sheet ({names}) has a header with a booking date and an amount column ({expected})",
    )


def _read_sheets(data: bytes, file: str) -> list[tuple[str, list[tuple[int, list[Cell]]]]]:
    """Each worksheet's title and its rows that hold something, with their numbers as Excel shows them.

    Blank rows are left out as they are read: a sheet formatted down to its millionth row has as
    many of them.
    """
    if not data.startswith(_ZIP):
        raise StatementError(
            file, "workbook", "not an XLSX workbook: an Excel workbook is a ZIP archive, this is not one"
        )
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise StatementError(
            file, "workbook", "not a readable XLSX workbook: the ZIP archive is damaged or cut short (truncated?)"
        ) from None
    if WORKBOOK_PART not in {part.filename for part in parts}:
        raise StatementError(file, "workbook", f"a ZIP archive without {WORKBOOK_PART}: not an XLSX workbook")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise StatementError(
            file, "workbook", f"the workbook unpacks to {unpacked} bytes, over the limit of {MAX_UNPACKED_BYTES}"
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores: nothing a statement needs.
            warnings.simplefilter("ignore")
            workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
            try:
                return [(sheet.title, _filled_rows(sheet.iter_rows(min_row=1))) for sheet in workbook.worksheets]
            finally:
                workbook.close()
    except StatementError:
        raise
    # What openpyxl raises for a damaged workbook: a part missing or malformed XML in one.
    except (KeyError, ValueError, TypeError, SyntaxError, zipfile.BadZipFile, EOFError) as exc:
        raise StatementError(
            file, "workbook", f"not a readable XLSX workbook, a part of it is damaged: {exc}"
        ) from None


def _filled_rows(rows: Iterable[Sequence[Any]]) -> list[tuple[int, list[Cell]]]:
    filled = []
    for number, row in enumerate(rows, start=1):
        cells = [_cell(c) for c in row]
        if any(_filled(cell) for cell in cells):
            filled.append((number, cells))
    return filled


def _cell(cell: Any) -> Cell:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, int):
        return Number(Decimal(value), _format_currency(cell.number_format))
    if isinstance(value, float):
        # Excel keeps fifteen significant digits; the rest of a double is noise from arithmetic.
        return Number(Decimal(f"{value:.15g}"), _format_currency(cell.number_format))
    return str(value)


def _format_currency(number_format: str | None) -> str | None:
    """The currency a number format shows ('#,##0.00 "€"', "[$EUR] #,##0.00", "#,##0.00 Kč"), if any."""
    if not number_format:
        return None
    shown = [match.group(1) for match in _LOCALE_BLOCK.finditer(number_format)]
    rest = _LOCALE_BLOCK.sub("", number_format)
    shown += _QUOTED.findall(rest)
    rest = _QUOTED.sub("", rest)
    for text in shown:
        text = text.strip()
        if _CODE.match(text):
            return text
        if text in _SYMBOLS:
            return _SYMBOLS[text]
    for symbol, code in _SYMBOLS.items():
        if symbol in rest:
            return code
    return None


def _filled(cell: Cell) -> bool:
    return not isinstance(cell, str) or bool(cell.strip())


def _find_header(
    rows: Sequence[tuple[int, Sequence[Cell]]], mapping: Mapping[str, str] | None, file: str, sheet: str | None
) -> tuple[int, Header] | None:
    """The index in ``rows`` of the header, among the sheet's first rows, and what it says."""
    for index, (number, row) in enumerate(rows):
        if number > HEADER_SEARCH_LINES:
            break
        names = [cell if isinstance(cell, str) else "" for cell in row]
        where = f"sheet {sheet!r}, row {number}" if sheet else f"row {number}"
        columns = header_columns(names, mapping, file, where)
        if columns is not None:
            labels = [f"{get_column_letter(i + 1)} {name.strip()!r}" for i, name in enumerate(names)]
            return index, Header(number, "", columns, labels)
    return None
