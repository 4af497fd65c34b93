"""Statements exported to Excel: workbooks built here the way online banks export them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from opendso_importer.domain.statements import StatementError, detect_format, parse_statements
from opendso_money import Money
from openpyxl import Workbook

OWN_IBAN = "DE89370400440532013000"
HEADER = [
    "Buchungstag",
    "Valutadatum",
    "Auftraggeber/Empfänger",
    "IBAN",
    "BIC",
    "Verwendungszweck",
    "Betrag",
    "Währung",
]


def workbook(*sheets: tuple[str, Sequence[Sequence[Any]]], formats: dict[str, str] | None = None) -> bytes:
    """An XLSX file with the sheets' rows; ``formats`` gives number formats by cell ("G5")."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        for ref, number_format in (formats or {}).items():
            sheet[ref].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sparkasse_export(*rows: Sequence[Any]) -> bytes:
    """A German savings bank's "export to Excel": a title, the account, the period, a blank row, the header."""
    top = [
        ["Umsatzanzeige Girokonto"],
        ["Kontoinhaber:", "Acme Antriebstechnik GmbH"],
        ["IBAN:", "DE89 3704 0044 0532 0130 00"],
        ["Zeitraum:", "01.03.2026 - 03.03.2026"],
        [],
        HEADER,
    ]
    return workbook(("Umsätze", [*top, *rows]))


ROWS = [
    [
        date(2026, 3, 2),
        date(2026, 3, 2),
        "Müller Maschinenbau GmbH",
        "DE28 5001 0517 0005 3190 74",
        "INGDDEFFXXX",
        "RE 2026-00123 Kd-Nr 10042",
        1190.0,
        "EUR",
    ],
    [
        datetime(2026, 3, 3, 9, 15),
        date(2026, 3, 3),
        "Stahlhandel Rhein-Ruhr GmbH",
        "DE44500105175407324931",
        None,
        "Rechnung SRR-88412",
        -845.37,
        "EUR",
    ],
    # A formula's sum, as Excel leaves it in the file: 0.1 + 0.2.
    [date(2026, 3, 3), None, "Kleinbetrag KG", None, None, "Rest INV-2026-00130", 0.1 + 0.2, "EUR"],
]


def parse(data: bytes, file: str = "umsaetze.xlsx", fmt: str = "auto") -> Any:
    return parse_statements(data, file, fmt)


def rejection(data: bytes, fmt: str = "auto") -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse(data, fmt=fmt)
    assert caught.value.file == "umsaetze.xlsx"
    return caught.value


def test_an_export_with_title_rows_is_read_from_the_header_down() -> None:
    (statement,) = parse(sparkasse_export(*ROWS))

    assert (statement.format, statement.statement_id, statement.account_iban) == ("xlsx", "umsaetze", OWN_IBAN)
    assert [t.amount for t in statement.transactions] == [
        Money.of("1190.00", "EUR"),
        Money.of("-845.37", "EUR"),
        Money.of("0.30", "EUR"),
    ]
    muller, supplier, small = statement.transactions
    assert (muller.booking_date, muller.counterparty_iban, muller.counterparty_bic) == (
        date(2026, 3, 2),
        "DE28500105170005319074",
        "INGDDEFFXXX",
    )
    assert (muller.remittance_text, muller.entry_reference) == ("RE 2026-00123 Kd-Nr 10042", "row 7")
    assert (supplier.booking_date, supplier.value_date) == (date(2026, 3, 3), date(2026, 3, 3))
    assert small.value_date is None


def test_an_xlsx_file_is_told_by_its_content_whatever_its_name() -> None:
    data = sparkasse_export(*ROWS)

    assert detect_format(data) == "xlsx"
    assert parse(data, file="export.dat") == parse(data, file="export.dat", fmt="xlsx")


def test_a_zip_without_a_workbook_is_not_taken_for_one() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("statement.csv", "Buchungstag;Betrag\n")

    with pytest.raises(StatementError) as caught:
        detect_format(archive.getvalue())

    assert "ZIP archive that is not an Excel workbook" in caught.value.reason


def test_split_debit_and_credit_columns_take_the_currency_from_the_number_format() -> None:
    rows = [
        ["Relevé de compte", None, None, None],
        ["Date opération", "Libellé", "Débit", "Crédit"],
        [date(2026, 3, 2), "VIR SEPA DUPONT SARL FACT 2026-0042", None, 2500],
        [date(2026, 3, 2), "PRLV URSSAF", 1234.5, None],
    ]
    data = workbook(("Relevé", rows), formats={"C4": '#,##0.00 "€"', "D3": "#,##0.00 [$€-40C]"})

    (statement,) = parse(data, file="releve.xlsx")

    assert [t.amount for t in statement.transactions] == [Money.of("2500.00", "EUR"), Money.of("-1234.50", "EUR")]


def test_cells_written_as_text_are_read_like_csv_cells() -> None:
    rows = [
        ["Pohyby na účtu", None, None, None, None],
        ["Datum zaúčtování", "Název protiúčtu", "Částka", "Měna", "Variabilní symbol"],
        ["02.03.2026", "Novák a syn s.r.o.", "12 345,50", "CZK", 20260042],
        ["03.03.2026", "ČEZ Prodej", "-1 200,00", "CZK", None],
    ]

    (statement,) = parse(workbook(("Pohyby", rows)), file="pohyby.xlsx")

    novak, cez = statement.transactions
    assert (novak.booking_date, novak.amount) == (date(2026, 3, 2), Money.of("12345.50", "CZK"))
    assert (novak.structured_reference, novak.structured_reference_type) == ("20260042", "CZ_VS")
    assert cez.amount == Money.of("-1200.00", "CZK")


def test_the_header_is_found_on_a_later_sheet() -> None:
    notes = ("Hinweise", [["Dieser Export enthält die Umsätze des gewählten Zeitraums."]])
    data = workbook(notes, ("Umsätze", [HEADER, ROWS[0]]))

    (statement,) = parse(data)

    assert statement.transactions[0].entry_reference == "sheet 'Umsätze', row 2"


def test_a_mapping_names_the_columns_of_an_unknown_layout() -> None:
    data = workbook(("Export", [["Posted", "Sum", "Cur", "Details"], [date(2026, 3, 2), 99.99, "EUR", "INV-7"]]))
    mapping = {"booking_date": "Posted", "amount": "Sum", "currency": "Cur", "remittance_text": "Details"}

    (statement,) = parse_statements(data, "export.xlsx", "xlsx", csv_mapping=mapping)

    assert (statement.transactions[0].amount, statement.transactions[0].remittance_text) == (
        Money.of("99.99", "EUR"),
        "INV-7",
    )


# --- rejections ---------------------------------------------------------------------------------------


def test_a_bad_amount_names_its_row_column_letter_and_header() -> None:
    bad = [date(2026, 3, 4), None, "X", None, None, "Y", "zwölf", "EUR"]

    error = rejection(sparkasse_export(*ROWS, bad))

    assert error.location == "row 10"
    assert error.reason == "amount (column G 'Betrag'): not an amount: 'zwölf'"


def test_a_bad_date_names_its_row_and_column() -> None:
    bad = ["Endsaldo", None, None, None, None, None, 19094.93, "EUR"]

    error = rejection(sparkasse_export(*ROWS, bad))

    assert (error.location, error.reason) == ("row 10", "booking_date (column A 'Buchungstag'): not a date: 'Endsaldo'")


def test_a_number_in_a_date_column_is_not_a_date() -> None:
    error = rejection(sparkasse_export([46083, None, "X", None, None, "Y", 1.0, "EUR"]))

    assert error.reason == "booking_date (column A 'Buchungstag'): not a date: '46083'"


def test_a_workbook_without_a_header_says_which_sheets_it_looked_at() -> None:
    error = rejection(workbook(("Tabelle1", [["Datum", "Text"], [date(2026, 3, 2), "x"]]), ("Tabelle2", [[]])))

    assert error.location == "rows 1-30"
    assert "no sheet ('Tabelle1', 'Tabelle2') has a header with a booking date and an amount column" in error.reason


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_workbook_is_rejected_whole(keep: float) -> None:
    data = sparkasse_export(*ROWS)

    error = rejection(data[: int(len(data) * keep)], fmt="xlsx")

    assert error.location == "workbook"
    assert "truncated?" in error.reason


def test_a_damaged_part_of_the_workbook_is_rejected_with_why() -> None:
    source = zipfile.ZipFile(io.BytesIO(sparkasse_export(*ROWS)))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for part in source.infolist():
            content = source.read(part.filename)
            target.writestr(part, content[: len(content) // 2] if part.filename.endswith("sheet1.xml") else content)

    error = rejection(damaged.getvalue(), fmt="xlsx")

    assert (error.location, error.reason.startswith("not a readable XLSX workbook, a part of it is damaged")) == (
        "workbook",
        True,
    )


def test_a_csv_file_given_as_xlsx_is_rejected() -> None:
    error = rejection(b"Buchungstag;Betrag\n02.03.2026;1,00\n", fmt="xlsx")

    assert error.reason.startswith("not an XLSX workbook: an Excel workbook is a ZIP archive")


def test_an_old_excel_file_is_refused_with_what_to_do() -> None:
    with pytest.raises(StatementError) as caught:
        detect_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)

    assert "save the statement as XLSX or CSV" in caught.value.reason


def test_fifteen_significant_digits_are_kept() -> None:
    (statement,) = parse(sparkasse_export([date(2026, 3, 2), None, "X", None, None, "Y", 1234567.89, "EUR"]))

    assert statement.transactions[0].amount.amount == Decimal("1234567.89")
