"""An upload read from a file on disk gives what the same bytes in memory give: the rows, the encoding, the
rejections; the file is read a piece at a time."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from opendso_importer.domain.tabular import FileRejected, read_table
from opendso_importer.domain.upload_source import CHUNK_BYTES, chunks, head, is_blank, sha256_hex, size_of

HEADER = "entity;account_number;customer_name\n"


def _read(source: bytes | Path) -> tuple[str | None, tuple[str, ...], list[tuple[int, tuple[str, ...]]]]:
    table = read_table(source, "ar.csv")
    return table.encoding, table.headers, list(table.rows)


def _on_disk(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload"
    path.write_bytes(data)
    return path


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["entity", "account_number", "customer_name"])
    sheet.append(["FR01", "C1", "Dupont"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# A letter of two bytes in UTF-8 placed across the first piece's end: the incremental decoder must join it.
def _straddling() -> bytes:
    lines = [HEADER.encode()]
    size = len(lines[0])
    while size < CHUNK_BYTES - 100:
        lines.append(b"FR01;C1;Dupont\n")
        size += len(lines[-1])
    start = b"FR01;C2;"
    lines.append(start + b"x" * (CHUNK_BYTES - 1 - size - len(start)) + "é\nFR01;C3;Øster\n".encode())
    data = b"".join(lines)
    assert data[CHUNK_BYTES - 1 : CHUNK_BYTES + 1] == "é".encode()
    return data


_STRADDLING = _straddling()


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + "".join(f"FR01;C{n};Société {n}\n" for n in range(60_000))).encode(),  # several pieces, streamed
        (HEADER + "FR01;C1;Crédit Agricole\n").encode("cp1252"),  # a legacy code page, decoded whole
        (HEADER + "FR01;C1;Łódź\n").encode("utf-16"),  # UTF-16 with its BOM
        b"\xef\xbb\xbf" + (HEADER + "FR01;C1;Müller\n").encode(),
        _STRADDLING,
        _workbook(),
    ],
    ids=["utf8-large", "cp1252", "utf16", "utf8-bom", "straddling", "xlsx"],
)
def test_a_file_on_disk_reads_as_the_same_bytes_in_memory(tmp_path: Path, data: bytes) -> None:
    from_memory = _read(data)
    from_disk = _read(_on_disk(tmp_path, data))
    assert from_disk == from_memory
    assert from_memory[2], "the case has rows"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \r\n\t\n" * 400_000, "empty file"),
        (b"\xef\xbb\xbf\n\n", "empty file"),
        ((HEADER + "x" * CHUNK_BYTES + "\nFR01;C1;A\x00B\n").encode(), "not a text file (contains NUL characters)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an Excel 97-2003 (.xls)"),
    ],
)
def test_a_file_on_disk_is_refused_for_the_same_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    for source in (data, _on_disk(tmp_path, data)):
        with pytest.raises(FileRejected) as rejected:
            _read(source)
        assert reason in rejected.value.errors[0].reason


def test_the_pieces_of_a_file_make_it_whole_and_its_size_and_checksum_match_the_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9_000  # over two pieces
    path = _on_disk(tmp_path, data)
    assert b"".join(chunks(path)) == data
    assert [len(p) for p in chunks(path)] == [CHUNK_BYTES, CHUNK_BYTES, len(data) - 2 * CHUNK_BYTES]
    assert (size_of(path), sha256_hex(path), head(path, 3)) == (size_of(data), sha256_hex(data), b"\x00\x01\x02")
    assert head(_on_disk(tmp_path, b"ab"), 10) == b"ab"


def test_blankness_is_judged_over_every_piece(tmp_path: Path) -> None:
    late = b" " * (3 * CHUNK_BYTES) + b"x"
    assert not is_blank(_on_disk(tmp_path, late))
    assert is_blank(b"\xef\xbb\xbf  \n", after=b"\xef\xbb\xbf")
    assert not is_blank(b"\xef\xbb\xbf  \n")
