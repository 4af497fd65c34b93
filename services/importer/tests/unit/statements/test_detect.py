from pathlib import Path

import pytest
from opendso_importer.domain.statements import StatementError, detect_format, parse_statements

DATA = Path(__file__).parents[2] / "data" / "statements"


@pytest.mark.parametrize(
    ("file", "fmt"),
    [
        ("camt053_v02_commerzbank.xml", "camt"),
        ("camt053_v08_kbc.xml", "camt"),
        ("camt054_v04_ceska_sporitelna.xml", "camt"),
        ("camt052_v08_intraday_deutsche_bank.xml", "camt"),
        ("camt052_v02_intraday_erste_bank.xml", "camt"),
        ("camt053_v08_end_of_day_deutsche_bank.xml", "camt"),
        ("mt940_commerzbank.sta", "mt940"),
        ("csv_sparkasse_de.csv", "csv"),
        ("csv_fio_cz.csv", "csv"),
    ],
)
def test_every_sample_file_is_detected_by_its_content(file: str, fmt: str) -> None:
    assert detect_format((DATA / file).read_bytes()) == fmt


def test_every_sample_file_parses_with_auto_detection_and_with_its_format_named() -> None:
    for file, fmt in [("camt053_v08_kbc.xml", "camt"), ("mt940_commerzbank.sta", "mt940"), ("csv_fio_cz.csv", "csv")]:
        data = (DATA / file).read_bytes()

        assert parse_statements(data, file) == parse_statements(data, file, fmt)


def test_xml_with_a_byte_order_mark_and_leading_blank_lines_is_camt() -> None:
    assert detect_format(b"\xef\xbb\xbf\n\n  <?xml version='1.0'?><Document/>") == "camt"


def test_a_utf16_camt_file_is_detected_and_read() -> None:
    data = (DATA / "camt054_v04_ceska_sporitelna.xml").read_text(encoding="utf-8")
    utf16 = data.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    assert detect_format(utf16) == "camt"
    assert len(parse_statements(utf16, "utf16.xml")[0].transactions) == 4


def test_mt940_without_swift_envelope_is_detected() -> None:
    assert detect_format(b"\r\n:20:STARTUMSE\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n") == "mt940"


def test_a_header_only_csv_is_still_csv() -> None:
    assert detect_format("Buchungstag;Wertstellung;Betrag;Währung\r\n".encode()) == "csv"


def test_an_unknown_layout_with_rows_is_csv() -> None:
    assert detect_format(b"Posted,Sum,Cur\n2026-03-02,5.00,EUR\n") == "csv"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \r\n\t\n", "empty file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive"),
        (b"\x00\x01\x02\x03binary", "a binary file"),
        (b"Dear customer, please find your statement attached.", "not a bank statement"),
        (b"{1:F01COBADEFFAXXX0000000000}{2:O9421200260302COBADEFFAXXXN}{4:\n:20:X\n:25:Y\n", "MT942"),
    ],
)
def test_a_file_in_none_of_the_formats_is_rejected_with_why(data: bytes, reason: str) -> None:
    with pytest.raises(StatementError) as caught:
        detect_format(data)

    assert reason in caught.value.reason


def test_parse_statements_refuses_an_empty_file_even_with_a_format_named() -> None:
    with pytest.raises(StatementError) as caught:
        parse_statements(b"", "empty.xml", "camt")

    assert str(caught.value) == "empty.xml: line 1: empty file"


def test_parse_statements_refuses_an_unknown_format_name() -> None:
    with pytest.raises(StatementError) as caught:
        parse_statements(b"x", "statement.xls", "xls")

    assert (caught.value.location, "unknown format 'xls'" in caught.value.reason) == ("format", True)


def test_a_file_given_the_wrong_format_is_rejected_by_that_parser() -> None:
    with pytest.raises(StatementError) as caught:
        parse_statements((DATA / "csv_sparkasse_de.csv").read_bytes(), "csv_sparkasse_de.csv", "camt")

    assert "malformed XML" in caught.value.reason
