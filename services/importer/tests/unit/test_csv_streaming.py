"""A CSV is read as a stream of lines once its encoding is known for the whole file: the same rows, the
same rejections as reading it decoded at once."""

from __future__ import annotations

import pytest
from opendso_importer.domain.tabular import FileRejected, read_table

HEADER = "entity;account_number;customer_name\n"


def _rows(data: bytes, encoding: str | None = None) -> tuple[str | None, list[tuple[int, tuple[str, ...]]]]:
    table = read_table(data, "ar.csv", encoding=encoding)
    return table.encoding, list(table.rows)


def _reason(data: bytes, encoding: str | None = None) -> str:
    with pytest.raises(FileRejected) as rejected:
        _rows(data, encoding)
    return rejected.value.errors[0].reason


def test_a_utf8_file_with_or_without_a_bom_is_read_line_by_line() -> None:
    body = HEADER + "FR01;C1;Société Générale\n" + "FR01;C2;Müller\r\n"
    for data in (body.encode(), b"\xef\xbb\xbf" + body.encode()):
        codec, rows = _rows(data)
        assert codec in ("utf-8", "utf-8-sig")
        assert rows == [(2, ("FR01", "C1", "Société Générale")), (3, ("FR01", "C2", "Müller"))]


def test_a_byte_that_is_not_utf8_far_into_the_file_makes_it_a_windows_code_page() -> None:
    lines = "".join(f"FR01;C{n};Client {n}\n" for n in range(50_000))
    data = (HEADER + lines + "FR01;X;Crédit Agricole\n").encode("cp1252")
    codec, rows = _rows(data)
    assert codec == "cp1252"
    assert rows[-1] == (50_002, ("FR01", "X", "Crédit Agricole"))


def test_an_encoding_pinned_by_a_profile_is_streamed_or_refused_with_the_reason() -> None:
    data = (HEADER + "FR01;C1;Łódź\n").encode("cp1250")
    assert _rows(data, "cp1250") == ("cp1250", [(2, ("FR01", "C1", "Łódź"))])
    assert "cannot decode the file as utf-8" in _reason(data, "utf-8")
    assert "cannot decode the file as klingon" in _reason(data, "klingon")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \r\n\t\n", "empty file"),
        (b"\xef\xbb\xbf\n\n", "empty file"),
        ((HEADER + "FR01;C1;A\x00B\n").encode(), "not a text file (contains NUL characters)"),
    ],
)
def test_files_that_are_no_table_are_refused_whole(data: bytes, reason: str) -> None:
    assert _reason(data) == reason


def test_utf16_with_its_bom_is_still_read() -> None:
    data = (HEADER + "FR01;C1;Ελληνικά\n").encode("utf-16")
    assert _rows(data) == ("utf-16", [(2, ("FR01", "C1", "Ελληνικά"))])
