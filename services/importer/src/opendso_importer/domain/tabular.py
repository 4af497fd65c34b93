"""Read an uploaded spreadsheet, CSV or XLSX, as a header and rows of text.

Callers see one shape whatever the format: the header's cells, then each
non-blank row with its physical row number (the header row of a plain file
being row 1) and its cells as text. XLSX cells are turned into the text a
careful CSV export would hold: ISO dates, plain decimals with a dot, rounded
to what the cell shows. Rows are read lazily, so a large sheet is never held
in memory as a whole; a file that turns out to be unreadable while its rows are
being read raises :class:`FileRejected` from the iteration.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

import charset_normalizer
import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from opendso_importer.domain.upload_source import Source, binary, chunks, head, is_blank, whole

TableFormat = Literal["csv", "xlsx", "json"]


@dataclass(frozen=True)
class RowError:
    """Why one row (or, for whole-file problems, the file) was not imported.

    ``row`` is the physical row number in the file, the header of a plain file
    being row 1; 0 when no row can be named (the file cannot be decoded or
    opened). ``column`` is the canonical column name, or None when the whole
    row or file is wrong; ``header`` is that column's title as written in the
    file, and ``value`` the offending value as read, when there is one.
    """

    file: str
    row: int
    column: str | None
    reason: str
    header: str | None = None
    value: str | None = None


class FileRejected(ValueError):
    """The file as a whole cannot be read: empty, undecodable, no header, a required column missing."""

    def __init__(self, errors: tuple[RowError, ...]) -> None:
        super().__init__("; ".join(e.reason for e in errors))
        self.errors = errors

    def __reduce__(self) -> tuple[type[FileRejected], tuple[tuple[RowError, ...]]]:
        # Raised in a worker process, it crosses back pickled: rebuilt from its errors, not its message.
        return FileRejected, (self.errors,)


def _reject(file: str, reason: str, row: int = 0) -> FileRejected:
    return FileRejected((RowError(file, row, None, reason),))


@dataclass(frozen=True)
class Table:
    """A file's header and its rows, read as text.

    ``rows`` yields ``(physical row number, cells)`` for every row after the
    header that has at least one non-blank cell, once; cells keep their
    surrounding spaces (header cells are stripped). ``delimiter`` and
    ``encoding`` are what a CSV was read with, ``sheet`` the worksheet an XLSX
    was read from, so that a saved upload profile can pin them.
    """

    headers: tuple[str, ...]
    rows: Iterator[tuple[int, tuple[str, ...]]]
    format: TableFormat
    header_row: int = 1
    delimiter: str | None = None
    encoding: str | None = None
    # A CSV's physical lines, for readers that share its rows out in runs of text (see csv_runs).
    lines: _Lines | None = field(default=None, repr=False, compare=False)
    sheet: str | None = None


_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Far above any real export (a 100,000-row sheet is some 50 MB of XML); a zip bomb is far above it.
MAX_XLSX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024


def detect_format(data: bytes, file: str) -> TableFormat:
    """XLSX when the content is a zip archive or the name says so; CSV (any delimited text) otherwise.

    The content wins over the name because users rename files; the name
    still counts so that a broken ``.xlsx`` is reported as a broken workbook,
    not as a CSV without a header.
    """
    if data.startswith(_ZIP_SIGNATURES) or file.lower().endswith(_XLSX_SUFFIXES):
        return "xlsx"
    return "csv"


def read_table(data: Source, file: str, *, sheet: str | None = None, encoding: str | None = None) -> Table:
    """Read ``data`` (the content of the upload named ``file``, in memory or in a file) as a table.

    ``sheet`` picks an XLSX worksheet by name (default: the first visible one);
    ``encoding`` pins a CSV's encoding instead of detecting it. Raises
    :class:`FileRejected` when the file as a whole cannot be read.
    """
    if is_blank(data):
        raise _reject(file, "empty file")
    start = head(data, 64)
    if start.startswith(_OLE_SIGNATURE):
        # Encrypted .xlsx files are OLE containers too, so the name cannot tell them apart.
        raise _reject(file, "an Excel 97-2003 (.xls) or password-protected workbook: save it as .xlsx or CSV")
    if file.lower().endswith(".json"):
        return _read_json(whole(data), file)
    if detect_format(start, file) == "xlsx":
        return _read_xlsx(data, file, sheet)
    return _read_csv(data, file, encoding)


# --- JSON (the batch API) -------------------------------------------------------------------------------


def _read_json(data: bytes, file: str) -> Table:
    """A JSON array of records (objects of field -> value), or ``{"records": [...]}``, as a table.

    Record n (from 1) is row n and the header is row 0, so a rejected record is
    named by its position. Numbers are read as decimals, never floats.
    """
    try:
        document = json.loads(data, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _reject(file, f"not valid JSON: {exc}") from None
    records = document.get("records") if isinstance(document, dict) else document
    if not isinstance(records, list) or not records:
        raise _reject(file, 'expected a non-empty JSON array of records, or {"records": [...]}')
    headers: dict[str, None] = {}
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise FileRejected((RowError(file, n, None, f"record {n} is not an object"),))
        headers.update(dict.fromkeys(str(k) for k in record))
    names = tuple(headers)

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)

    rows = ((n, tuple(text(record.get(h)) for h in names)) for n, record in enumerate(records, start=1))
    return Table(headers=names, rows=rows, format="json", header_row=0)


# --- CSV ----------------------------------------------------------------------------------------------


def _read_csv(data: Source, file: str, encoding: str | None) -> Table:
    codec = _streamable_codec(data, file, encoding)
    if codec is None:
        text, codec = decode(whole(data), file, encoding)
        lines = _Lines(io.StringIO(text, newline=""))
    else:
        # Decoded line by line as the rows are read: a large file is never held as text as well (nor as
        # bytes, when it is a file on disk).
        lines = _Lines(io.TextIOWrapper(binary(data), encoding=codec, newline=""))
    header_line, cells, delimiter = lines.header(file)
    return Table(
        headers=tuple(cells),
        rows=_csv_rows(lines, file, header_line, delimiter),
        format="csv",
        header_row=header_line,
        delimiter=delimiter,
        encoding=codec,
        lines=lines,
    )


_STREAM_BYTES = 1 << 20
_BYTE_ORIENTED = ("utf-16", "utf-32")


def _streamable_codec(data: Source, file: str, encoding: str | None) -> str | None:
    """The codec to read the file with as a stream, checked over the whole file (a chunk at a time); None
    when it must be decoded at once (a legacy code page to pick by plausibility, UTF-16/32). Rejects an
    empty file, one that is not in the encoding asked for, and one with NUL characters, as ``decode``."""
    if is_blank(data):
        raise _reject(file, "empty file")
    start = head(data, 8)
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError as exc:
            raise _reject(file, f"cannot decode the file as {encoding}: {exc}") from None
        if codec.startswith(_BYTE_ORIENTED):
            return None
        decodes, nul = _decodes(data, codec)
        if not decodes:
            return None  # decode() names the byte that does not fit
    elif start.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
        decodes, nul = _decodes(data, codec)
        if not decodes:
            raise _reject(file, "cannot decode the file: not UTF-8 and no known encoding fits")
    elif any(start.startswith(bom) for bom, _ in _BOMS):
        return None
    else:
        codec = "utf-8"
        decodes, nul = _decodes(data, codec)
        if not decodes:
            return None
    if nul:
        raise _reject(file, "not a text file (contains NUL characters)")
    if is_blank(data, after=codecs.BOM_UTF8):
        raise _reject(file, "empty file")
    return codec


def _decodes(data: Source, codec: str) -> tuple[bool, bool]:
    """Whether the content decodes in ``codec``, and whether it holds a NUL byte: one pass over a file that may
    be on disk, not one for each question."""
    decoder = codecs.getincrementaldecoder(codec)()
    nul = False
    try:
        for piece in chunks(data, _STREAM_BYTES):
            decoder.decode(piece)
            nul = nul or b"\x00" in piece
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, nul
    return True, nul


def csv_runs(table: Table, run_lines: int) -> Iterator[tuple[int, str]]:
    """A CSV's lines after the header in runs of about ``run_lines`` lines, as (number of the run's first
    line, its text); a run ends only between records, never inside a quoted value that spans lines.

    Read with :func:`csv_records`, the runs give the rows ``table.rows`` gives. Raises ValueError for a
    table that is not a CSV.
    """
    if table.lines is None or table.delimiter is None:
        raise ValueError("only a CSV is read in runs of lines")
    lines = table.lines.after(table.header_row)
    first = table.header_row + 1  # the number of the run's first line
    run: list[str] = []
    for line in lines:
        run.append(line)
        # A line with an odd count of quote characters may open a value that spans lines (or hold a stray
        # quote that does not): from there on the file is not cut, whatever it costs in speed. Before it,
        # every line holds whole records ("" inside a quoted value counts two).
        if line.count('"') % 2:
            run.extend(lines)
            break
        if len(run) >= run_lines:
            yield first, "".join(run)
            first += len(run)
            run = []
    if run:
        yield first, "".join(run)


def csv_records(file: str, text: str, first_line: int, delimiter: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    """The non-blank rows of a run of CSV lines (see :func:`csv_runs`), numbered as in the file."""
    lines = _Lines.of_run(text)
    return _csv_rows(lines, file, first_line - 1, delimiter, first=0)


def _csv_rows(
    lines: _Lines, file: str, header_line: int, delimiter: str, *, first: int | None = None
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Rows after line ``header_line``; ``first``: the index in ``lines`` they start at (the header's
    line number, unless the lines are a run that starts later in the file)."""
    try:
        for line, cells in lines.records(header_line, delimiter, first=first):
            if any(cell.strip() for cell in cells):  # blank lines (often at the end) are not rows
                yield line, tuple(cells)
    except csv.Error as exc:
        raise _reject(file, f"unreadable CSV: {exc}", lines.current_line) from None


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The single-byte code pages ERPs export in, in the order we prefer on a tie.
_LEGACY_ENCODINGS = ("cp1252", "cp1250", "cp1257", "cp1251", "cp1254")
_SAMPLE_BYTES = 256 * 1024


def decode(data: bytes, file: str, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV upload and the encoding it was read with.

    The encoding is detected unless given: a BOM, else UTF-8, else the most
    plausible Windows code page, else charset_normalizer's guess.
    """
    if not data.strip():
        raise _reject(file, "empty file")
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise _reject(file, f"cannot decode the file as {encoding}: {exc}") from None
        codec = encoding
    else:
        detected = _detect_and_decode(data)
        if detected is None:
            raise _reject(file, "cannot decode the file: not UTF-8 and no known encoding fits")
        text, codec = detected
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise _reject(file, "not a text file (contains NUL characters)")
    if not text.strip():
        raise _reject(file, "empty file")
    return text, codec


def _detect_and_decode(data: bytes) -> tuple[str, str] | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    legacy = _decode_legacy(data)
    if legacy is not None:
        return legacy
    # Not a Windows code page either (UTF-16 without BOM, an Asian code page...).
    best = charset_normalizer.from_bytes(data).best()
    return None if best is None else (str(best), best.encoding)


def _decode_legacy(data: bytes) -> tuple[str, str] | None:
    """Pick among the Windows code pages by how plausible the decoded words are.

    charset_normalizer alone is unreliable here: on a few hundred bytes of
    mostly ASCII it reads French cp1252 as cp1250 ("Hélčne") and Polish cp1250
    as cp1252 ("Pawe³"). Words, though, give the code page away: a symbol
    glued to letters, or letters no single language writes together, mean the
    wrong one.
    """
    sample = data[:_SAMPLE_BYTES]
    ranked: list[tuple[tuple[int, int, int], str]] = []
    for preference, codec in enumerate(_LEGACY_ENCODINGS):
        try:
            decoded = sample.decode(codec)
        except UnicodeDecodeError:
            continue
        plausibility = _plausibility(decoded)
        if plausibility is not None:
            ranked.append(((plausibility[0], plausibility[1], -preference), codec))
    for _, codec in sorted(ranked, reverse=True):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue  # a byte undefined in this code page beyond the sample
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WORD = re.compile(r"[^\s\x21-\x40\x5b-\x60\x7b-\x7e]+")
# Non-ASCII letters of the languages written in the candidate code pages. Icelandic is left out:
# its ð, þ, ý sit where cp1254 has Turkish ğ, ş and dotless i, and Turkish is the one our customers write.
_LATIN_ALPHABETS = tuple(
    frozenset(letters)
    for letters in (
        "àâæçéèêëîïôœùûüÿ",  # French
        "äöüß",  # German
        "áéíñóúü",  # Spanish
        "àèéìíîòóù",  # Italian
        "áâãàçéêíóôõú",  # Portuguese
        "áéëïóöü",  # Dutch
        "åäöé",  # Swedish
        "åäöšž",  # Finnish
        "æøåé",  # Danish, Norwegian
        "áčďéěíňóřšťúůýž",  # Czech
        "áäčďéíĺľňóôŕšťúýž",  # Slovak
        "ąćęłńóśźż",  # Polish
        "áéíóöőúüű",  # Hungarian
        "čćđšž",  # Slovenian, Croatian, Bosnian, Serbian latin
        "ăâîșțşţ",  # Romanian
        "ąčęėįšųūž",  # Lithuanian
        "āčēģīķļņšūž",  # Latvian
        "äõöüšž",  # Estonian
        "çğıöşüâîûİ",  # Turkish (İ kept: its lower() is two characters, i and a combining dot)
    )
)
# A Cyrillic word has no Latin letters at all: "Mьller" is cp1251 misreading "Müller".
_CYRILLIC = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюяёђѓєѕіїјљњћќўџґ")
_ALPHABETS = (*_LATIN_ALPHABETS, _CYRILLIC)


def _plausibility(text: str) -> tuple[int, int] | None:
    """(word score, words one language covers), or None if the text has control characters."""
    if _CONTROL.search(text):
        return None
    score = 0
    words: list[frozenset[str]] = []
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        letters = frozenset(c if c == "İ" else c.lower() for c in word if not c.isascii() and c.isalpha())
        symbols = sum(1 for c in word if not c.isascii() and not c.isalpha())
        if symbols and len(letters) + sum(c.isascii() for c in word) > 0:
            score -= 3 * symbols  # "Pawe³", "£ódŸ": a symbol inside a word is a misread letter
        if not letters:
            continue
        if letters <= _CYRILLIC and any(c.isascii() and c.isalpha() for c in word):
            letters = letters | {"latin"}  # covered by no alphabet
        words.append(letters)
        score += 1 if any(letters <= alphabet for alphabet in _ALPHABETS) else -2
    one_language = max((sum(1 for w in words if w <= alphabet) for alphabet in _ALPHABETS), default=0)
    return score, one_language


_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024


class _Lines:
    """The text as physical lines, read as they are asked for, so that every record knows its line number
    and a large file is never held as a list of lines."""

    def __init__(self, source: Iterable[str]) -> None:
        self._source = iter(source)
        self._head: list[str] = []  # the lines read so far for the header and the delimiter's sniffing
        self._taken = False
        self.current_line = 0
        # Excel writes (and reads) a "sep=;" line before the header.
        first = self._line(0)
        first = "" if first is None else first.strip()
        self.delimiter_hint: str | None = None
        self.skip = 0
        if first.lower().startswith("sep=") and len(first) == 5 and first[4] in _DELIMITERS:
            self.delimiter_hint, self.skip = first[4], 1

    @classmethod
    def of_run(cls, text: str) -> _Lines:
        """Lines of a run cut from a file (see :func:`csv_runs`)."""
        return cls(io.StringIO(text, newline=""))

    def _line(self, index: int) -> str | None:
        while len(self._head) <= index:
            line = next(self._source, None)
            if line is None:
                return None
            self._head.append(line)
        return self._head[index]

    def header(self, file: str) -> tuple[int, list[str], str]:
        """(line number, stripped cells, delimiter) of the first non-blank line."""
        index = self.skip
        while (line := self._line(index)) is not None:
            if line.strip():
                delimiter = self.delimiter_hint or sniff_delimiter(self._sample(index), line)
                cells = next(csv.reader([line], delimiter=delimiter, quotechar='"'), [])
                return index + 1, [c.strip() for c in cells], delimiter
            index += 1
        raise _reject(file, "empty file: no header row")

    def _sample(self, start: int) -> str:
        self._line(start + 199)
        sample = "".join(self._head[start : start + 200])
        return sample[:_SNIFF_CHARS]

    def after(self, index: int) -> Iterator[str]:
        """The lines from ``index`` (0-based) to the end, once: the text is read as they are."""
        if self._taken:
            raise RuntimeError("the lines of a file are read once")
        self._taken = True
        self._line(index - 1)
        head, self._head = self._head[index:], []
        yield from head
        yield from self._source

    def records(self, header_line: int, delimiter: str, *, first: int | None = None) -> Iterator[tuple[int, list[str]]]:
        """Yield (line number where the record starts, cells) after the header (line ``header_line``);
        ``first`` is the index of the line after the header when it is not ``header_line`` (the lines
        are a run cut from the file)."""
        reader = csv.reader(self.after(header_line if first is None else first), delimiter=delimiter, quotechar='"')
        consumed = header_line
        for cells in reader:
            start = consumed + 1
            consumed = header_line + reader.line_num
            self.current_line = consumed
            yield start, cells


def sniff_delimiter(sample: str, header_line: str) -> str:
    """The delimiter among ``, ; TAB |`` of a CSV whose first lines are ``sample``."""
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    # The sniffer can be fooled by decimal commas in the data; the header has none.
    if sniffed and sniffed in header_line:
        return sniffed
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- XLSX ---------------------------------------------------------------------------------------------


def _read_xlsx(data: Source, file: str, sheet: str | None) -> Table:
    start = head(data, 128)
    if not start.startswith(_ZIP_SIGNATURES):
        raise _reject(file, "not a valid XLSX workbook: the content is not a zip archive (a renamed file?)")
    # OpenDocument stores an uncompressed "mimetype" entry first, right after its 30-byte zip header.
    if start[30:38] == b"mimetype" and start[38:].startswith(b"application/vnd.oasis.opendocument"):
        raise _reject(file, "an OpenDocument spreadsheet (.ods), not XLSX: save it as .xlsx or CSV")
    _check_uncompressed_size(data, file)
    try:
        workbook = openpyxl.load_workbook(binary(data), read_only=True, data_only=True)
    except Exception as exc:
        # openpyxl lets zipfile, XML and its own errors through, of many types, on a damaged file.
        raise _reject(file, f"not a valid XLSX workbook (damaged or truncated?): {_describe(exc)}") from None
    worksheet = _pick_sheet(workbook, file, sheet)
    # A wrong <dimension> (some writers leave "A1") would cut columns off in read-only mode.
    worksheet.reset_dimensions()
    rows = _xlsx_rows(workbook, worksheet, file)
    for number, cells in rows:
        headers = tuple(c.strip() for c in cells)
        return Table(headers=headers, rows=rows, format="xlsx", header_row=number, sheet=worksheet.title)
    raise _reject(file, f"empty sheet '{worksheet.title}': no header row")


def _check_uncompressed_size(data: Source, file: str) -> None:
    """Refuse a zip bomb before openpyxl inflates it (shared strings are read into memory whole).

    The declared sizes can be trusted: zipfile never inflates an entry beyond its declared size.
    """
    try:
        with binary(data) as stream, zipfile.ZipFile(stream) as archive:
            total = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # openpyxl reports the damage, in its own words
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise _reject(file, f"the workbook inflates to {total:,} bytes, more than a receivables export can be")


def _pick_sheet(workbook: openpyxl.Workbook, file: str, sheet: str | None) -> ReadOnlyWorksheet:
    sheets = [ws for ws in workbook.worksheets if isinstance(ws, ReadOnlyWorksheet)]
    if sheet is not None:
        chosen = [ws for ws in sheets if ws.title == sheet] or [
            ws for ws in sheets if ws.title.lower() == sheet.lower()
        ]
        if not chosen:
            names = ", ".join(f"'{ws.title}'" for ws in sheets) or "none"
            workbook.close()
            raise _reject(file, f"no sheet '{sheet}' in the workbook; its sheets: {names}")
        return chosen[0]
    visible = [ws for ws in sheets if ws.sheet_state == "visible"] or sheets
    if not visible:
        workbook.close()
        raise _reject(file, "the workbook has no worksheet")
    return visible[0]


def _xlsx_rows(
    workbook: openpyxl.Workbook, worksheet: ReadOnlyWorksheet, file: str
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Non-blank rows, trailing empty cells dropped; the first one is the header."""
    number = 0
    try:
        # Without dimensions, openpyxl yields every row from 1, an empty tuple for a missing one.
        for number, cells in enumerate(worksheet.rows, start=1):
            texts = [cell_text(cell.value, cell.number_format) for cell in cells]
            while texts and not texts[-1].strip():
                texts.pop()
            if texts:
                yield number, tuple(texts)
    except Exception as exc:
        # The sheet's XML is parsed as we go: damage after the first rows shows up here.
        raise _reject(file, f"not a valid XLSX workbook (damaged after row {number}?): {_describe(exc)}") from None
    finally:
        workbook.close()


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


# Excel keeps 15 significant digits: anything past them is binary noise, never data.
_EXCEL_PRECISION = Context(prec=15, rounding=ROUND_HALF_UP)
_QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_SCALING_COMMA = re.compile(r"[0#?],+(?![0#?,])")
_DECIMALS = re.compile(r"\.([0#?]*)")


def cell_text(value: object, number_format: str | None = None) -> str:
    """A spreadsheet value as the canonical text a CSV would hold.

    Dates become ISO (a midnight datetime a plain date), numbers plain
    decimals with a dot. A float is read through its shortest ``repr`` and
    rounded to the decimals its number format shows (``0.1 + 0.2`` formatted
    ``#,##0.00`` is ``0.30``), or to Excel's 15 significant digits when the
    format shows no fixed number, so binary noise never reaches an amount.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value, number_format)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _float_text(value: float, number_format: str | None) -> str:
    exact = Decimal(repr(value))
    places = shown_decimals(number_format)
    if places is not None and abs(exact) < 10**15:
        shown = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    else:
        shown = _EXCEL_PRECISION.plus(exact).normalize()
    if shown.is_zero():
        shown = shown.copy_abs()  # no "-0.00"
    return format(shown, "f")


def shown_decimals(number_format: str | None) -> int | None:
    """How many decimals of the value a number format shows, or None when it shows no fixed number.

    ``#,##0.00`` shows 2, ``0%`` 2 (of the value, not of the percentage),
    ``General``, text, scientific, fraction and scaled (``#,##0,``) formats None.
    """
    if not number_format or number_format.lower() == "general":
        return None
    section = _first_section(number_format)
    cleaned = _QUOTED_OR_ESCAPED.sub("", section)
    if not re.search(r"[0#?]", cleaned) or re.search(r"[eE][+-]", cleaned) or "/" in cleaned:
        return None
    if _SCALING_COMMA.search(cleaned):
        return None
    match = _DECIMALS.search(cleaned)
    places = len(match.group(1)) if match else 0
    return places + 2 if "%" in cleaned else places


def _first_section(number_format: str) -> str:
    """The part of ``positive;negative;zero;text`` that applies to positive numbers."""
    in_quotes = False
    for index, char in enumerate(number_format):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ";" and not in_quotes and (index == 0 or number_format[index - 1] != "\\"):
            return number_format[:index]
    return number_format
