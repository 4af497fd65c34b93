"""Tell a statement file's format from its content, and read it with the right parser."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Mapping

from opendso_importer.domain.statements.camt import parse_camt
from opendso_importer.domain.statements.csv_statement import has_statement_header, parse_csv_statement
from opendso_importer.domain.statements.model import Statement, StatementError, decode_text
from opendso_importer.domain.statements.mt940 import parse_mt940
from opendso_importer.domain.statements.xlsx_statement import is_xlsx, parse_xlsx_statement

FORMATS = ("auto", "camt", "mt940", "csv", "xlsx")
_SNIFF_BYTES = 64 * 1024
_MT940_START = re.compile(r"^\s*(?:\{1:|:\d{2}[A-Z]?:)")
_MT940_TAGS = re.compile(r"^:(?:20|25|28C?|60[FM]|61):", re.MULTILINE)
_MT940_MESSAGE_TYPE = re.compile(r"\{2:[IO](\d{3})")
_CSV_DELIMITERS = ";,\t|"
_CSV_SNIFF_LINES = 30
_ZIP = b"PK\x03\x04"
# What people upload by mistake, by its first bytes.
_NOT_STATEMENTS = (
    (b"%PDF", "a PDF document, not a statement file: download the statement as CAMT, MT940, CSV or XLSX"),
    (_ZIP, "a ZIP archive that is not an Excel workbook: unpack it and import the statement in it"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word document: save the statement as XLSX or CSV"),
)


def detect_format(data: bytes, file: str = "<data>") -> str:
    """ "camt", "mt940", "csv" or "xlsx", from the file's content; :class:`StatementError` if it is
    none of them."""
    head = data[:_SNIFF_BYTES]
    if not head.strip():
        raise StatementError(file, "line 1", "empty file")
    if head.startswith(_ZIP) and is_xlsx(data):
        return "xlsx"
    for magic, reason in _NOT_STATEMENTS:
        if head.startswith(magic):
            raise StatementError(file, "line 1", reason)
    unmarked = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if unmarked.startswith(b"<"):
        return "camt"  # any XML: the CAMT parser says which message it is if it is another one
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise StatementError(file, "line 1", "a binary file, not a statement")
    text = decode_text(head, file).removeprefix("\ufeff")
    if text.lstrip().startswith("<"):
        return "camt"  # XML in UTF-16
    if _MT940_START.match(text) and _MT940_TAGS.search(text):
        message_type = _MT940_MESSAGE_TYPE.search(text[:200])
        if message_type is not None and message_type.group(1) not in ("940", "950"):
            raise StatementError(
                file, "line 1", f"a SWIFT MT{message_type.group(1)} message: only MT940 statements are read"
            )
        return "mt940"
    if _looks_like_csv(text):
        return "csv"
    raise StatementError(file, "line 1", "not a bank statement: neither CAMT XML, MT940, CSV nor XLSX")


def _looks_like_csv(text: str) -> bool:
    """A recognised statement header, or two lines split into the same number of fields."""
    lines = [line for line in text.splitlines()[:_CSV_SNIFF_LINES] if line.strip()]
    if has_statement_header(lines):
        return True
    for delimiter in _CSV_DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=delimiter), [])) for line in lines if delimiter in line]
        if any(counts.count(n) >= 2 for n in set(counts) if n >= 2):
            return True
    return False


def parse_statements(
    data: bytes, file: str, format: str = "auto", *, csv_mapping: Mapping[str, str] | None = None
) -> list[Statement]:
    """Every statement in the file, complete and checked, or :class:`StatementError`.

    ``format`` is "auto" (detected from the content), "camt", "mt940", "csv" or "xlsx";
    ``csv_mapping`` maps our field names to a CSV file's or workbook's column headers (see
    :data:`~opendso_importer.domain.statements.csv_statement.CSV_FIELDS`).
    """
    if format not in FORMATS:
        raise StatementError(file, "format", f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    if not data.strip():
        raise StatementError(file, "line 1", "empty file")
    found = detect_format(data, file) if format == "auto" else format
    if found == "camt":
        return parse_camt(data, file)
    if found == "mt940":
        return parse_mt940(data, file)
    if found == "xlsx":
        return parse_xlsx_statement(data, file, csv_mapping)
    return parse_csv_statement(data, file, csv_mapping)
