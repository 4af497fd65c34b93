from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from opendso_importer.domain.statements import (
    Statement,
    StatementError,
    Transaction,
    parse_csv_statement,
    parse_statements,
)
from opendso_money import Money

DATA = Path(__file__).parents[2] / "data" / "statements"
ENGLISH = "Booking date;Value date;Amount;Currency;Counterparty;IBAN;Reference / Remittance"


def csv_file(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\r\n".join(lines).encode(encoding)


def parse(data: bytes, mapping: dict[str, str] | None = None, currency: str | None = None) -> list[Statement]:
    return parse_csv_statement(data, "export.csv", mapping, currency=currency)


def only_transaction(data: bytes) -> Transaction:
    (single,) = parse(data)
    (tx,) = single.transactions
    return tx


def rejection(data: bytes, mapping: dict[str, str] | None = None, currency: str | None = None) -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse(data, mapping, currency)
    assert caught.value.file == "export.csv"
    return caught.value


# --- sample files -------------------------------------------------------------------------------------


def test_german_sparkasse_export_in_cp1252_with_account_lines_before_the_header() -> None:
    (stmt,) = parse_statements((DATA / "csv_sparkasse_de.csv").read_bytes(), "csv_sparkasse_de.csv")

    assert (stmt.format, stmt.statement_id, stmt.account_iban, stmt.currency) == (
        "csv",
        "csv_sparkasse_de",
        "DE89370400440532013000",
        "EUR",
    )
    assert (stmt.opening_balance, stmt.closing_balance) == (None, None)
    assert stmt.transactions[0] == Transaction(
        booking_date=date(2026, 3, 2),
        value_date=date(2026, 3, 2),
        amount=Money.of("1190.00", "EUR"),
        counterparty_name="Müller Maschinenbau GmbH",
        counterparty_iban="DE28500105170005319074",
        counterparty_bic="INGDDEFFXXX",
        remittance_text="INV-2026-00123 / 00124",
        structured_reference=None,
        structured_reference_type=None,
        end_to_end_id=None,
        bank_reference=None,
        bank_transaction_code="SEPA-Gutschrift",
        entry_reference="line 6",
    )
    assert [t.amount.amount for t in stmt.transactions] == [
        Decimal(a) for a in ("1190.00", "-845.37", "2450.80", "512.00", "-1500.00", "-12.50")
    ]
    assert [t.structured_reference_type for t in stmt.transactions] == [None, None, "RF", "CZ_VS", None, None]
    assert stmt.transactions[2].counterparty_name == "Société Générale de Transports SARL"
    assert stmt.transactions[4].counterparty_iban == "CH9300762011623852957"  # written in groups of four
    assert stmt.transactions[5].remittance_text == "Kontoführung März 2026"


def test_czech_fio_export_in_cp1250_turns_domestic_accounts_into_ibans() -> None:
    (stmt,) = parse_statements((DATA / "csv_fio_cz.csv").read_bytes(), "csv_fio_cz.csv")

    novak, dvorak, horak = stmt.transactions
    assert (stmt.currency, novak.amount) == ("CZK", Money.of("24200.00", "CZK"))
    assert (novak.counterparty_name, novak.counterparty_iban) == ("Novák a syn s.r.o.", "CZ6508000000192000145399")
    assert (novak.structured_reference, novak.structured_reference_type) == ("20260042", "CZ_VS")
    assert (dvorak.amount.amount, dvorak.counterparty_iban, dvorak.structured_reference) == (
        Decimal("-4356.00"),
        "CZ5601000000190000123457",
        "707",
    )
    assert (horak.counterparty_iban, horak.structured_reference) == ("CZ4220100000002800123456", "20260055")
    assert horak.bank_transaction_code == "Příjem převodem"


# --- headers in several languages ---------------------------------------------------------------------


def test_english_headers_with_signed_amounts_and_decimal_point() -> None:
    data = csv_file(
        ENGLISH,
        "2026-03-02;2026-03-03;-1234.50;EUR;Stadtwerke München GmbH;DE66 7015 0000 0001 2345 67;Strom Februar",
    )

    tx = only_transaction(data)

    assert (tx.booking_date, tx.value_date, tx.amount) == (
        date(2026, 3, 2),
        date(2026, 3, 3),
        Money.of("-1234.50", "EUR"),
    )
    assert (tx.counterparty_name, tx.counterparty_iban, tx.remittance_text) == (
        "Stadtwerke München GmbH",
        "DE66701500000001234567",
        "Strom Februar",
    )


def test_french_headers_with_debit_and_credit_columns() -> None:
    data = csv_file(
        "Date d'opération;Date de valeur;Libellé;Débit;Crédit;Devise",
        "02/03/2026;02/03/2026;VIR SEPA DUPONT ET FILS FACT 2026-118;;1 250,00;EUR",
        "03/03/2026;03/03/2026;PRLV SEPA EDF;-86,40;;EUR",
    )

    (stmt,) = parse(data)

    assert [(t.booking_date, t.amount.amount, t.remittance_text) for t in stmt.transactions] == [
        (date(2026, 3, 2), Decimal("1250.00"), "VIR SEPA DUPONT ET FILS FACT 2026-118"),
        (date(2026, 3, 3), Decimal("-86.40"), "PRLV SEPA EDF"),
    ]


def test_german_headers_with_unsigned_amount_and_soll_haben_column() -> None:
    data = csv_file(
        "Buchungstag;Wertstellung;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Soll/Haben;Währung",
        "02.03.26;02.03.26;Müller Maschinenbau GmbH;INV-2026-00123;1.190,00;H;EUR",
        "02.03.26;02.03.26;Stadtwerke München GmbH;Strom;845,37;S;EUR",
    )

    (stmt,) = parse(data)

    assert [t.amount.amount for t in stmt.transactions] == [Decimal("1190.00"), Decimal("-845.37")]
    assert stmt.transactions[0].booking_date == date(2026, 3, 2)


def test_czech_headers_with_dates_written_with_spaces() -> None:
    data = csv_file(
        "Datum zaúčtování;Částka;Měna;Protiúčet;Název protiúčtu;Variabilní symbol;Zpráva pro příjemce",
        "2. 3. 2026;1 500,00;CZK;CZ6508000000192000145399;Novák a syn s.r.o.;0020260042;faktura",
    )

    tx = only_transaction(data)

    assert (tx.booking_date, tx.amount, tx.structured_reference) == (
        date(2026, 3, 2),
        Money.of("1500.00", "CZK"),
        "20260042",
    )


def test_several_remittance_columns_are_joined() -> None:
    data = csv_file(
        "Datum;Betrag;Währung;Verwendungszweck;Zpráva pro příjemce",
        "02.03.2026;10,00;EUR;INV-2026-00123;und 00124",
    )

    assert only_transaction(data).remittance_text == "INV-2026-00123 und 00124"


# --- a mapping given by the user ----------------------------------------------------------------------


def test_a_mapping_names_the_columns_of_an_unknown_layout() -> None:
    mapping = {
        "booking_date": "Posted",
        "amount": "Sum",
        "currency": "Cur",
        "counterparty_name": "Who",
        "remittance_text": "Why",
        "bank_reference": "Bank id",
    }
    data = csv_file(
        "Posted,Sum,Cur,Who,Why,Bank id", '2026-03-02,"1,234.56",USD,Northwind Traders Inc.,INV-2026-00150,B-77'
    )

    (stmt,) = parse(data, mapping=mapping)
    (tx,) = stmt.transactions

    assert (tx.amount, tx.counterparty_name, tx.remittance_text, tx.bank_reference) == (
        Money.of("1234.56", "USD"),
        "Northwind Traders Inc.",
        "INV-2026-00150",
        "B-77",
    )


def test_a_mapping_reaches_the_csv_parser_through_parse_statements() -> None:
    data = csv_file("Posted;Sum;Cur", "2026-03-02;5,00;EUR", "2026-03-03;6,00;EUR")

    (stmt,) = parse_statements(
        data, "export.csv", csv_mapping={"booking_date": "Posted", "amount": "Sum", "currency": "Cur"}
    )

    assert len(stmt.transactions) == 2


def test_a_mapping_with_a_column_missing_from_the_file_is_rejected() -> None:
    mapping = {"booking_date": "Posted", "amount": "Sum", "counterparty_name": "Payer"}

    error = rejection(csv_file("Posted;Sum", "2026-03-02;5,00"), mapping=mapping, currency="EUR")

    assert (error.location, error.reason) == ("line 1", "no column 'Payer' (counterparty_name)")


def test_a_mapping_with_an_unknown_field_is_rejected() -> None:
    error = rejection(csv_file(ENGLISH), mapping={"booking_date": "Booking date", "colour": "Colour"})

    assert (error.location, "unknown fields ['colour']" in error.reason) == ("mapping", True)


def test_a_mapping_without_booking_date_or_amount_is_rejected() -> None:
    error = rejection(csv_file(ENGLISH), mapping={"amount": "Amount"})

    assert (error.location, error.reason) == (
        "mapping",
        "a mapping needs booking_date and amount (or debit and credit)",
    )


def test_a_line_separator_inside_a_remittance_text_does_not_shift_line_numbers() -> None:
    data = csv_file(ENGLISH, "2026-03-02;;10.00;EUR;A;;first\u2028second", "2026-03-03;;bad;EUR;B;;")

    assert rejection(data).location == "line 3"


def test_a_file_without_currency_column_takes_the_given_currency() -> None:
    (stmt,) = parse(csv_file("Date;Amount", "2026-03-02;5.00"), currency="CHF")

    assert stmt.transactions[0].amount == Money.of("5.00", "CHF")


def test_a_currency_written_next_to_the_amount_is_used() -> None:
    tx = only_transaction(csv_file("Date;Amount", "2026-03-02;1.234,50 EUR"))

    assert tx.amount == Money.of("1234.50", "EUR")


# --- amounts ------------------------------------------------------------------------------------------


def test_a_file_with_decimal_commas_reads_a_dot_as_thousands_separator() -> None:
    data = csv_file("Datum;Betrag;Währung", "02.03.2026;1.234;EUR", "03.03.2026;12,50;EUR")

    (stmt,) = parse(data)

    assert [t.amount.amount for t in stmt.transactions] == [Decimal("1234.00"), Decimal("12.50")]


def test_a_file_with_decimal_points_reads_a_comma_as_thousands_separator() -> None:
    data = csv_file("Date,Amount,Currency", '2026-03-02,"1,234",EUR', "2026-03-03,12.50,EUR")

    (stmt,) = parse(data)

    assert [t.amount.amount for t in stmt.transactions] == [Decimal("1234.00"), Decimal("12.50")]


def test_a_row_with_both_debit_and_credit_is_rejected() -> None:
    data = csv_file("Date;Debit;Credit;Currency", "2026-03-02;5,00;7,00;EUR")

    error = rejection(data)

    assert (error.location, "both a debit" in error.reason) == ("line 2", True)


def test_a_row_with_neither_debit_nor_credit_is_rejected() -> None:
    error = rejection(csv_file("Date;Debit;Credit;Currency;Reference", "2026-03-02;;;EUR;x"))

    assert error.reason == "neither a debit nor a credit amount"


# --- grouping and rows --------------------------------------------------------------------------------


def test_rows_in_several_currencies_become_one_statement_per_currency() -> None:
    data = csv_file(ENGLISH, "2026-03-02;;10.00;EUR;A;;", "2026-03-02;;20.00;USD;B;;", "2026-03-03;;30.00;EUR;C;;")

    eur, usd = parse(data)

    assert [(s.statement_id, s.currency, len(s.transactions)) for s in (eur, usd)] == [
        ("export/EUR", "EUR", 2),
        ("export/USD", "USD", 1),
    ]


def test_blank_lines_are_skipped_and_line_numbers_stay_physical() -> None:
    data = csv_file(ENGLISH, "", "2026-03-02;;10.00;EUR;A;;", "", "2026-03-03;;x;EUR;B;;")

    error = rejection(data)

    assert error.location == "line 5"


def test_a_quoted_cell_over_two_lines_keeps_the_next_row_number() -> None:
    data = csv_file(ENGLISH, '2026-03-02;;10.00;EUR;A;;"two', 'lines"', "2026-03-03;;oops;EUR;B;;")

    assert rejection(data).location == "line 4"


def test_a_header_only_file_holds_no_statement() -> None:
    assert parse(csv_file(ENGLISH)) == []


# --- rejections ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("31.02.2026;;10.00;EUR;A;;", "booking_date (column 'Booking date'): not a date: '31.02.2026'"),
        ("2026-03-02;;ten;EUR;A;;", "amount (column 'Amount'): not an amount: 'ten'"),
        ("2026-03-02;;;EUR;A;;", "amount (column 'Amount'): missing amount"),
        (";;10.00;EUR;A;;", "booking_date (column 'Booking date'): missing booking date"),
        ("2026-03-02;;10.00;EURO;A;;", "currency (column 'Currency'): not a currency code: 'EURO'"),
        ("2026-03-02;;10.00;EUR;A;DE28500105170005319075;", "counterparty_iban (column 'IBAN'): invalid IBAN"),
        ("2026-03-02;yesterday;10.00;EUR;A;;", "value_date (column 'Value date'): not a date: 'yesterday'"),
    ],
)
def test_a_malformed_value_names_line_column_and_why(row: str, reason: str) -> None:
    error = rejection(csv_file(ENGLISH, "2026-03-01;;1.00;EUR;ok;;", row))

    assert error.location == "line 3"
    assert error.reason.startswith(reason), error.reason


def test_an_unknown_debit_credit_mark_is_rejected() -> None:
    data = csv_file("Datum;Betrag;Soll/Haben;Währung", "02.03.2026;5,00;X;EUR")

    assert "neither debit nor credit: 'X'" in rejection(data).reason


def test_a_variable_symbol_that_is_not_digits_is_rejected() -> None:
    data = csv_file("Datum;Částka;Měna;VS", "02.03.2026;5,00;CZK;ABC")

    assert "not a variable symbol" in rejection(data).reason


def test_a_file_without_a_currency_anywhere_is_rejected() -> None:
    error = rejection(csv_file("Date;Amount", "2026-03-02;5.00"))

    assert (error.location, error.reason) == ("line 2", "no currency column, and the amount names none")


def test_a_file_without_a_recognisable_header_is_rejected() -> None:
    error = rejection(csv_file("Name;Email", "Acme;ap@acme.example"))

    assert "no header with a booking date and an amount column" in error.reason
