# Turkish is written with a dotless i (U+0131), which RUF001 takes for a misspelt i.
# ruff: noqa: RUF001
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime

import pytest
from opendso_importer.domain import tabular
from opendso_importer.domain.tabular import FileRejected, Table, cell_text, read_table, shown_decimals
from openpyxl import Workbook


def workbook(*rows: Sequence[object], formats: dict[str, str] | None = None, title: str = "Sheet1") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for coordinate, number_format in (formats or {}).items():
        sheet[coordinate].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows_of(table: Table) -> list[tuple[int, tuple[str, ...]]]:
    return list(table.rows)


def rejection(data: bytes, file: str, *, sheet: str | None = None) -> str:
    with pytest.raises(FileRejected) as caught:
        rows_of(read_table(data, file, sheet=sheet))
    (error,) = caught.value.errors
    assert (error.file, error.column) == (file, None)
    return error.reason


def rewrite_sheet_xml(data: bytes, change: Callable[[bytes], bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            target.writestr(entry, change(content) if entry.filename == "xl/worksheets/sheet1.xml" else content)
    return out.getvalue()


# --- CSV ----------------------------------------------------------------------------------------------


def test_a_csv_gives_its_header_and_rows_with_physical_line_numbers() -> None:
    table = read_table(b'a;b\n1;2\n\n3;"x\ny"\n4;5\n', "export.csv")

    assert (table.format, table.headers, table.header_row) == ("csv", ("a", "b"), 1)
    assert rows_of(table) == [(2, ("1", "2")), (4, ("3", "x\ny")), (6, ("4", "5"))]


def test_the_delimiter_and_encoding_a_csv_was_read_with_are_reported() -> None:
    table = read_table("Kunde\tOrt\nMüller\tKöln\n".encode("cp1252"), "export.txt")

    assert (table.delimiter, table.encoding) == ("\t", "cp1252")


def test_an_excel_sep_line_moves_the_header_to_row_two() -> None:
    table = read_table(b"sep=|\na|b\n1|2\n", "export.csv")

    assert (table.header_row, rows_of(table)) == (2, [(3, ("1", "2"))])


def test_a_cp1254_turkish_export_reads_turkish_letters() -> None:
    text = "Cari kod;Cari unvanı\n120.01;Yılmaz İnşaat Ltd. Şti.\n120.02;Öztürk Gıda A.Ş.\n"

    table = read_table(text.encode("cp1254"), "cari.csv")

    assert table.encoding == "cp1254"
    assert table.headers == ("Cari kod", "Cari unvanı")
    assert [cells[1] for _, cells in table.rows] == ["Yılmaz İnşaat Ltd. Şti.", "Öztürk Gıda A.Ş."]


def test_a_pinned_encoding_is_used_as_given() -> None:
    table = read_table("a\nKővári\n".encode("cp1250"), "export.csv", encoding="cp1250")

    assert rows_of(table) == [(2, ("Kővári",))]


@pytest.mark.parametrize("data", [b"", b" \n\n", "\ufeff".encode()])
def test_an_empty_file_is_rejected(data: bytes) -> None:
    assert "empty" in rejection(data, "export.csv")


# --- format detection and broken files ---------------------------------------------------------------


def test_a_workbook_is_read_as_xlsx_whatever_its_name() -> None:
    table = read_table(workbook(["a", "b"], [1, 2]), "export.csv")

    assert table.format == "xlsx"
    assert rows_of(table) == [(2, ("1", "2"))]


def test_a_file_named_xlsx_that_is_not_a_zip_archive_is_rejected_whole() -> None:
    assert "not a valid XLSX workbook" in rejection(b"a;b\n1;2\n", "export.xlsx")


def test_a_truncated_workbook_is_rejected_whole() -> None:
    data = workbook(["a", "b"], *([n, n] for n in range(50)))

    for cut in (10, len(data) // 2, len(data) - 10):
        assert "not a valid XLSX workbook" in rejection(data[:cut], "export.xlsx")


def test_a_workbook_damaged_after_its_first_rows_is_rejected_while_its_rows_are_read() -> None:
    data = workbook(["a", "b"], *([f"value {n}", n] for n in range(2000)))
    damaged = rewrite_sheet_xml(data, lambda xml: xml[: len(xml) // 2] + b"<<garbage")

    table = read_table(damaged, "export.xlsx")  # the header reads fine
    with pytest.raises(FileRejected) as caught:
        rows_of(table)

    assert table.headers == ("a", "b")
    assert "not a valid XLSX workbook" in caught.value.errors[0].reason


def test_a_workbook_that_inflates_beyond_the_limit_is_refused_before_it_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = workbook(["a"], ["x" * 5000])
    monkeypatch.setattr(tabular, "MAX_XLSX_UNCOMPRESSED_BYTES", 4000)

    assert "inflates to" in rejection(data, "export.xlsx")


def test_an_old_xls_or_encrypted_workbook_is_rejected_with_advice() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512

    assert "save it as .xlsx or CSV" in rejection(ole, "export.xls")


def test_an_opendocument_spreadsheet_is_named_as_such() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as ods:
        ods.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")

    assert "OpenDocument" in rejection(buffer.getvalue(), "export.ods")


def test_a_text_export_named_xls_is_read_as_csv() -> None:
    # SAP's "spreadsheet" export is tab-separated text with an .xls name.
    table = read_table(b"Konto\tName\n1\tA\n", "export.xls")

    assert (table.format, table.headers) == ("csv", ("Konto", "Name"))


def test_an_empty_sheet_is_rejected() -> None:
    assert "no header row" in rejection(workbook(), "export.xlsx")


# --- XLSX cells ---------------------------------------------------------------------------------------


def test_xlsx_rows_keep_their_physical_numbers_across_empty_rows() -> None:
    data = workbook([], ["a", "b"], ["x", 1], [], [None, None], ["y", 2])

    table = read_table(data, "export.xlsx")

    assert table.header_row == 2
    assert rows_of(table) == [(3, ("x", "1")), (6, ("y", "2"))]


def test_xlsx_rows_are_read_lazily() -> None:
    table = read_table(workbook(["a"], ["x"]), "export.xlsx")

    assert isinstance(table.rows, Iterator)
    assert next(table.rows) == (2, ("x",))


def test_xlsx_dates_become_iso_text() -> None:
    data = workbook(["issued", "due"], [date(2024, 3, 1), datetime(2024, 3, 31, 0, 0)])

    assert rows_of(read_table(data, "export.xlsx")) == [(2, ("2024-03-01", "2024-03-31"))]


def test_xlsx_numbers_are_rounded_to_the_decimals_their_format_shows() -> None:
    data = workbook(
        ["two", "three", "general", "integer", "percent"],
        [0.1 + 0.2, 2.0005, 0.1 + 0.2, 1234, 0.155],
        formats={"A2": "#,##0.00", "B2": "#,##0.000\\ [$€-40C]", "E2": "0.0%"},
    )

    assert rows_of(read_table(data, "export.xlsx")) == [(2, ("0.30", "2.001", "0.3", "1234", "0.155"))]


def test_trailing_empty_and_styled_cells_are_not_cells() -> None:
    data = workbook(["a", "b", None], ["x", "y", None], formats={"F1": "0.00", "F2": "0.00"})

    table = read_table(data, "export.xlsx")

    assert (table.headers, rows_of(table)) == (("a", "b"), [(2, ("x", "y"))])


def test_a_wrong_sheet_dimension_does_not_cut_columns_off() -> None:
    data = workbook(["a", "b", "c"], ["1", "2", "3"])
    wrong = rewrite_sheet_xml(data, lambda xml: xml.replace(b'<dimension ref="A1:C2"/>', b'<dimension ref="A1"/>'))

    assert rows_of(read_table(wrong, "export.xlsx")) == [(2, ("1", "2", "3"))]


def test_the_first_visible_sheet_is_read_unless_a_sheet_is_named() -> None:
    book = Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title, hidden.sheet_state = "Parameters", "hidden"
    hidden.append(["setting"])
    book.create_sheet("Open items").append(["account"])
    book.create_sheet("Customers").append(["name"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()

    assert read_table(data, "export.xlsx").headers == ("account",)
    assert read_table(data, "export.xlsx", sheet="customers").sheet == "Customers"
    assert "its sheets: 'Parameters', 'Open items', 'Customers'" in rejection(data, "export.xlsx", sheet="Items")


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (0.1 + 0.2, None, "0.3"),
        (0.1 + 0.2, "#,##0.00", "0.30"),
        (1.005, "0.00", "1.01"),  # 1.00499999... in binary, 1.005 to Excel and to us
        (-0.001, "0.00", "0.00"),
        (1e20, None, "100000000000000000000"),
        (123456789.123456789, "General", "123456789.123457"),
        (2.5e-7, None, "0.00000025"),
        (42, "0.00", "42"),
        (True, None, "TRUE"),
        (None, None, ""),
        (" text ", None, " text "),
        (datetime(2024, 3, 31, 14, 30), None, "2024-03-31 14:30:00"),
    ],
)
def test_cell_values_become_the_text_a_careful_csv_would_hold(
    value: object, number_format: str | None, text: str
) -> None:
    assert cell_text(value, number_format) == text


@pytest.mark.parametrize(
    ("number_format", "decimals"),
    [
        ("General", None),
        ("0", 0),
        ("#,##0.00", 2),
        ('#,##0.00\\ "€"', 2),
        ("[$-409]#,##0.000;[Red]-#,##0.000", 3),
        ('_-* #,##0.00\\ _€_-;\\-* #,##0.00\\ _€_-;_-* "-"??\\ _€_-;_-@_-', 2),
        ('"Total: "0.0', 1),
        ("0%", 2),
        ("0.0%", 3),
        ("0.00E+00", None),
        ("@", None),
        ("#,##0,", None),
        ("# ?/?", None),
    ],
)
def test_the_decimals_a_number_format_shows(number_format: str, decimals: int | None) -> None:
    assert shown_decimals(number_format) == decimals
