# Turkish names have a dotless i (U+0131) and Czech ones an en dash, which RUF001 takes for typos.
# ruff: noqa: RUF001
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from opendso_importer.domain.column_mapping import ColumnMapping, propose_mapping
from opendso_importer.domain.receivables_csv import (
    CustomerRow,
    FileRejected,
    ParsedFile,
    RowError,
    parse_date,
    parse_receivables,
    parse_receivables_csv,
)
from opendso_importer.domain.tabular import read_table
from opendso_money import Money
from openpyxl import Workbook

ERP_EXPORTS = Path(__file__).parent.parent / "data" / "erp"

HEADER = (
    "entity;account_number;customer_name;email;language;country;"
    "item_number;item_type;issue_date;due_date;amount;open_amount;currency"
)


def parse(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> ParsedFile:
    return parse_receivables_csv("\n".join((header, *lines)).encode(encoding), "export.csv")


def errors_of(parsed: ParsedFile) -> list[tuple[int, str | None]]:
    return [(e.row, e.column) for e in parsed.errors]


def only_error(parsed: ParsedFile) -> RowError:
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


def rejection(data: bytes) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        parse_receivables_csv(data, "export.csv")
    return caught.value


# --- formats and encodings ----------------------------------------------------------------------------


def test_semicolon_file_with_decimal_comma_and_bom_reads_amounts_and_dates() -> None:
    data = (
        "\ufeffEntity;Account Number;Customer Name;Invoice Number;Issue Date;Due Date;Amount;Open Amount;Currency\r\n"
        "CZ01;C-7;Novák s.r.o.;F2024-001;01.03.2024;31.03.2024;1 234,50;1.000,25;czk\r\n"
    ).encode()

    parsed = parse_receivables_csv(data, "export.csv")

    assert parsed.errors == ()
    assert parsed.customers[0].name == "Novák s.r.o."
    (item,) = parsed.items
    assert item.number == "F2024-001"
    assert item.kind == "invoice"
    assert item.issue_date == date(2024, 3, 1)
    assert item.due_date == date(2024, 3, 31)
    assert item.amount == Money(Decimal("1234.50"), "CZK")
    assert item.open_amount == Money(Decimal("1000.25"), "CZK")
    assert item.row == 2


def test_cp1250_export_reads_czech_names() -> None:
    parsed = parse(
        "CZ01;C-7;Dvořák a syn s.r.o.;;cs;CZ;F1;;01.03.2024;31.03.2024;100,00;;CZK",
        "CZ01;C-8;Jiří Černý;;cs;CZ;F2;;01.03.2024;31.03.2024;200,00;;CZK",
        encoding="cp1250",
    )

    assert [c.name for c in parsed.customers] == ["Dvořák a syn s.r.o.", "Jiří Černý"]


def test_cp1252_export_reads_german_names() -> None:
    parsed = parse("DE01;D-1;Müller GmbH;;de;DE;;;;;;;", encoding="cp1252")

    assert parsed.customers[0].name == "Müller GmbH"


def test_cp1252_export_reads_french_accents_that_cp1250_would_misread() -> None:
    parsed = parse("FR01;F-1;Crème Hélène à Nîmes;;fr;FR;;;;;;;", encoding="cp1252")

    assert parsed.customers[0].name == "Crème Hélène à Nîmes"


def test_cp1250_export_reads_polish_letters_that_cp1252_would_turn_into_symbols() -> None:
    parsed = parse("PL01;P-1;Łódź Spółka, Paweł Wąsik;;pl;PL;;;;;;;", encoding="cp1250")

    assert parsed.customers[0].name == "Łódź Spółka, Paweł Wąsik"


def test_latin_1_export_reads_like_cp1252() -> None:
    parsed = parse("FR01;F-1;Société Générale;;fr;FR;;;;;;;", encoding="latin-1")

    assert parsed.customers[0].name == "Société Générale"


def test_a_given_encoding_overrides_detection() -> None:
    data = f"{HEADER}\nHU01;H-1;Kővári Kft;;hu;HU;;;;;;;".encode("cp1250")

    parsed = parse_receivables_csv(data, "export.csv", encoding="cp1250")

    assert parsed.customers[0].name == "Kővári Kft"


def test_tab_separated_file_with_english_aliases() -> None:
    data = (
        b"Entity\tCustomer number\tName\tInvoice number\tType\tInvoice date\tDue\tAmount\tBalance\tCurrency\n"
        b"US01\t42\tAcme Inc\tINV-9\tCredit Note\t03/01/2024\t03/31/2024\t1,234.50\t\tUSD\n"
    )

    parsed = parse_receivables_csv(data, "export.tsv")

    assert parsed.errors == ()
    (item,) = parsed.items
    assert item.account_number == "42"
    assert item.kind == "credit_note"
    assert item.amount == Money(Decimal("-1234.50"), "USD")
    assert item.due_date == date(2024, 3, 31)


def test_pipe_and_comma_files_are_recognised() -> None:
    pipe = parse_receivables_csv(b"entity|account|customer name\nE1|A1|Acme, Inc\n", "pipe.csv")
    comma = parse_receivables_csv(b'entity,account,customer name\nE1,A1,"Acme; Inc"\n', "comma.csv")

    assert pipe.customers[0].name == "Acme, Inc"
    assert comma.customers[0].name == "Acme; Inc"


def test_decimal_commas_in_the_data_do_not_fool_the_delimiter_detection() -> None:
    data = (
        b"entity;account;name;invoice;issue_date;due_date;amount;currency\n"
        b"E1;A1;Acme;I1;2024-01-01;2024-01-31;1,50;EUR\n"
        b"E1;A1;Acme;I2;2024-01-01;2024-01-31;2,75;EUR\n"
    )

    parsed = parse_receivables_csv(data, "export.csv")

    assert [i.amount.amount for i in parsed.items] == [Decimal("1.50"), Decimal("2.75")]


def test_excel_sep_line_sets_the_delimiter_and_rows_keep_their_physical_numbers() -> None:
    data = b"sep=;\nentity;account;name;email\nE1;A1;Acme;not-an-address\n"

    parsed = parse_receivables_csv(data, "export.csv")

    assert errors_of(parsed) == [(3, "email")]


def test_header_names_ignore_case_spaces_underscores_and_accents() -> None:
    parsed = parse_receivables_csv("ÉNTITY;Account_Number;CUSTOMER  NAME\nE1;A1;Acme\n".encode(), "export.csv")

    assert parsed.customers[0].account_number == "A1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-31", date(2024, 3, 31)),
        ("2024-03-31 00:00:00", date(2024, 3, 31)),
        ("31.03.2024", date(2024, 3, 31)),
        ("31/03/2024", date(2024, 3, 31)),
        ("03/31/2024", date(2024, 3, 31)),
        ("04/03/2024", date(2024, 3, 4)),
        ("20240331", date(2024, 3, 31)),
    ],
)
def test_dates_are_read_as_erps_write_them_and_ambiguous_slashes_are_day_first(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "31.13.2024", "31/13/2024", "24-03-31", "yesterday", "2024033"])
def test_impossible_or_unknown_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


# --- rows --------------------------------------------------------------------------------------------


def test_customer_only_rows_give_customers_without_items() -> None:
    parsed = parse(
        "E1;A1;Acme;ap@acme.example;DE;de;;;;;;;",
        "E1;A2;Beta;;;;;;;;;;",
    )

    assert parsed.items == ()
    assert parsed.customers == (
        CustomerRow("E1", "A1", "Acme", "ap@acme.example", "de", "DE", None, 2),
        CustomerRow("E1", "A2", "Beta", None, "en", None, None, 3),
    )


def test_a_customer_repeated_on_its_items_is_listed_once_in_first_seen_order() -> None:
    parsed = parse(
        "E1;B;Beta;;;;I1;;2024-01-01;2024-01-31;10;;EUR",
        "E1;A;Acme;;;;I2;;2024-01-01;2024-01-31;20;;EUR",
        "E1;B;Beta;;;;I3;;2024-01-01;2024-01-31;30;;EUR",
    )

    assert [c.account_number for c in parsed.customers] == ["B", "A"]
    assert [(i.account_number, i.number) for i in parsed.items] == [("B", "I1"), ("A", "I2"), ("B", "I3")]
    assert parsed.rows_read == 3


def test_open_amount_defaults_to_amount() -> None:
    parsed = parse("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;99,90;;EUR")

    assert parsed.items[0].open_amount == Money(Decimal("99.90"), "EUR")


def test_a_positive_credit_note_is_stored_negative() -> None:
    parsed = parse("E1;A1;Acme;;;;CN1;credit_note;2024-01-01;2024-01-31;50;20;EUR")

    assert parsed.items[0].amount == Money(Decimal("-50"), "EUR")
    assert parsed.items[0].open_amount == Money(Decimal("-20"), "EUR")


def test_a_negative_credit_note_is_kept_negative() -> None:
    parsed = parse("E1;A1;Acme;;;;CN1;credit note;2024-01-01;2024-01-31;-50;;EUR")

    assert parsed.items[0].amount == Money(Decimal("-50"), "EUR")


def test_a_paid_item_has_zero_open_amount() -> None:
    parsed = parse("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;50;0;EUR")

    assert parsed.items[0].open_amount.is_zero()


def test_a_language_tag_with_a_region_keeps_the_language() -> None:
    parsed = parse("E1;A1;Acme;;de-AT;at;;;;;;;")

    assert (parsed.customers[0].language, parsed.customers[0].country) == ("de", "AT")


@pytest.mark.parametrize(
    ("line", "column", "value_in_reason"),
    [
        ("E1;A1;Acme;;;;I1;;2024-01-01;31.02.2024;10;;EUR", "due_date", "31.02.2024"),
        ("E1;A1;Acme;;;;I1;;someday;2024-01-31;10;;EUR", "issue_date", "someday"),
        ("E1;A1;Acme;;;;I1;;2024-03-01;2024-02-01;10;;EUR", "due_date", "before issue_date"),
        ("E1;A1;Acme;;;;I1;foo;2024-01-01;2024-01-31;10;;EUR", "item_type", "unknown item_type 'foo'"),
        ("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;ten;;EUR", "amount", "'ten'"),
        ("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;10;x1;EUR", "open_amount", "'x1'"),
        ("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;10;12;EUR", "open_amount", "exceeds amount 10"),
        ("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;10;-5;EUR", "open_amount", "opposite sign"),
        ("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;10;;EURO", "currency", "currency must be 3 letters, got 'EURO'"),
        ("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;10;;", "currency", "currency is required"),
        ("E1;A1;Acme;;;;I1;;;2024-01-31;10;;EUR", "issue_date", "issue_date is required"),
        ("E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;;;EUR", "amount", "amount is required"),
        ("E1;A1;Acme;ap@@acme;;;;;;;;;", "email", "invalid e-mail 'ap@@acme'"),
        ("E1;A1;Acme;;xx;;;;;;;;", "language", "'xx'"),
        ("E1;A1;Acme;;;Germany;;;;;;;", "country", "'Germany'"),
        (";A1;Acme;;;;;;;;;;", "entity", "entity is required"),
        ("E1;;Acme;;;;;;;;;;", "account_number", "account_number is required"),
        ("E1;A1;;;;;;;;;;;", "customer_name", "customer_name is required"),
        ("E1;A1;Acme;;;;;;2024-01-01;2024-01-31;10;;EUR", "item_number", "item_number is required"),
    ],
)
def test_a_bad_value_is_reported_with_row_column_and_the_value(line: str, column: str, value_in_reason: str) -> None:
    parsed = parse("E1;OK;Fine;;;;I0;;2024-01-01;2024-01-31;1;;EUR", line)

    error = only_error(parsed)
    assert (error.file, error.row, error.column) == ("export.csv", 3, column)
    assert value_in_reason in error.reason


def test_a_bad_row_yields_nothing_and_does_not_stop_the_others() -> None:
    parsed = parse(
        "E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;10;;EUR",
        "E1;A2;Beta;;;;I2;;2024-01-01;not a date;10;;EUR",
        "E1;A3;Gamma;;;;I3;;2024-01-01;2024-01-31;10;;EUR",
    )

    assert errors_of(parsed) == [(3, "due_date")]
    assert [i.number for i in parsed.items] == ["I1", "I3"]
    assert [c.account_number for c in parsed.customers] == ["A1", "A3"]  # no customer from the bad row


def test_every_problem_of_a_row_is_reported() -> None:
    parsed = parse("E1;A1;Acme;bad;;;I1;;2024-01-01;2024-01-31;ten;;EUR")

    assert errors_of(parsed) == [(2, "email"), (2, "amount")]


def test_row_numbers_are_physical_lines_across_blank_lines_and_multiline_values() -> None:
    parsed = parse(
        "",
        'E1;A1;"Acme\nWest";;;;I1;;2024-01-01;2024-01-31;10;;EUR',
        "E1;A2;Beta;;;;I2;;2024-01-01;2024-01-31;x;;EUR",
    )

    assert parsed.items[0].row == 3
    assert errors_of(parsed) == [(5, "amount")]
    assert parsed.rows_read == 2


def test_values_beyond_the_header_reject_the_row() -> None:
    parsed = parse_receivables_csv(b"entity,account,name\nE1,A1,Acme, Inc\nE1,A2,Beta,\n", "export.csv")

    error = only_error(parsed)
    assert (error.row, error.column) == (2, None)
    assert "4 values" in error.reason
    assert [c.account_number for c in parsed.customers] == ["A2"]


def test_the_same_item_twice_is_an_error_naming_the_first_row() -> None:
    parsed = parse(
        "E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;10;;EUR",
        "E1;A1;Acme;;;;I2;;2024-01-01;2024-01-31;10;;EUR",
        "E1;A1;Acme;;;;I1;;2024-01-01;2024-01-31;15;;EUR",
    )

    error = only_error(parsed)
    assert (error.row, error.column, error.reason) == (4, "item_number", "duplicate item in file, first on row 2")
    assert [i.amount.amount for i in parsed.items] == [Decimal("10"), Decimal("10")]


def test_a_duplicate_names_its_number_whatever_slashes_entity_and_number_hold() -> None:
    parsed = parse(
        "FR/01;A1;Acme;;;;2026/INV/7;;2024-01-01;2024-01-31;10;;EUR",
        "FR/01;A1;Acme;;;;2026/INV/7;;2024-01-01;2024-01-31;10;;EUR",
    )

    error = only_error(parsed)
    assert (error.row, error.value) == (3, "2026/INV/7")


def test_an_invoice_and_a_credit_note_may_share_a_number() -> None:
    parsed = parse(
        "E1;A1;Acme;;;;100;invoice;2024-01-01;2024-01-31;10;;EUR",
        "E1;A1;Acme;;;;100;credit_note;2024-01-01;2024-01-31;10;;EUR",
    )

    assert parsed.errors == ()
    assert len(parsed.items) == 2


def test_conflicting_customer_data_keeps_the_first_row_and_rejects_the_later_one() -> None:
    parsed = parse(
        "E1;A1;Acme;ap@acme.example;;;I1;;2024-01-01;2024-01-31;10;;EUR",
        "E1;A1;Acme;billing@acme.example;;;I2;;2024-01-01;2024-01-31;10;;EUR",
    )

    error = only_error(parsed)
    assert (error.row, error.column) == (3, "email")
    assert "'billing@acme.example' conflicts with the value on row 2" in error.reason
    assert parsed.customers[0].email == "ap@acme.example"
    assert [i.number for i in parsed.items] == ["I1"]


def test_the_same_account_in_two_entities_is_two_customers() -> None:
    parsed = parse("E1;A1;Acme;;;;;;;;;;", "E2;A1;Acme Polska;;;;;;;;;;")

    assert parsed.errors == ()
    assert [(c.entity, c.name) for c in parsed.customers] == [("E1", "Acme"), ("E2", "Acme Polska")]


# --- whole-file problems -------------------------------------------------------------------------------


def test_a_missing_required_column_rejects_the_file_naming_it() -> None:
    rejected = rejection(b"entity;customer_name\nE1;Acme\n")

    assert [(e.row, e.column) for e in rejected.errors] == [(1, "account_number")]
    assert "account_number" in str(rejected)


def test_a_missing_item_column_rejects_a_file_with_items() -> None:
    rejected = rejection(b"entity;account;name;invoice;issue_date;amount;currency\nE1;A1;Acme;I1;2024-01-01;1;EUR\n")

    assert [e.column for e in rejected.errors] == ["due_date"]


def test_item_columns_without_item_number_reject_the_file() -> None:
    rejected = rejection(b"entity;account;name;amount\nE1;A1;Acme;10\n")

    assert [e.column for e in rejected.errors] == ["item_number"]


def test_two_columns_meaning_the_same_reject_the_file() -> None:
    rejected = rejection(b"entity;account;customer number;name\nE1;A1;A2;Acme\n")

    assert [e.column for e in rejected.errors] == ["account_number"]
    assert "'account' and 'customer number'" in rejected.errors[0].reason


@pytest.mark.parametrize("data", [b"", b"  \r\n\r\n", "\ufeff".encode()])
def test_an_empty_file_is_rejected(data: bytes) -> None:
    assert "empty" in str(rejection(data))


def test_a_file_without_a_header_is_rejected() -> None:
    rejected = rejection(b"E1;A1;Acme\nE1;A2;Beta\n")

    assert "no header" in rejected.errors[0].reason


def test_a_binary_file_is_rejected() -> None:
    rejected = rejection(b"PK\x03\x04\x00\x00\x08\x00\xff\xfe\x00\x00binary")

    assert rejected.errors[0].column is None


def test_a_header_only_file_has_nothing_and_no_errors() -> None:
    parsed = parse()

    assert (parsed.customers, parsed.items, parsed.errors, parsed.rows_read) == ((), (), (), 0)


def test_an_unreadable_file_is_rejected_as_a_whole_not_at_a_row() -> None:
    rejected = rejection(b"\x00\x01\x02 binary \xff\xfe")

    assert [(e.row, e.column) for e in rejected.errors] == [(0, None)]


# --- ERP exports, synonyms and mappings ---------------------------------------------------------------


def erp_export(name: str) -> bytes:
    return (ERP_EXPORTS / name).read_bytes()


def proposed_mapping(data: bytes, **constant: str) -> ColumnMapping:
    proposal = propose_mapping(read_table(data, "export.csv").headers)
    return ColumnMapping(proposal.mapping.columns, constant)


def test_a_french_export_imports_with_its_proposed_mapping_and_constants_for_what_it_lacks() -> None:
    data = erp_export("fr_export_cp1252.csv")

    parsed = parse_receivables(data, "fr.csv", proposed_mapping(data, entity="FR01", language="fr"))

    assert [(c.entity, c.account_number, c.name, c.language) for c in parsed.customers] == [
        ("FR01", "411DUP", "Boulangerie Dupont & Fils", "fr"),
        ("FR01", "411HEL", "Crème & Pâtisserie Hélène SARL", "fr"),
        ("FR01", "411NIM", "Société Générale de Nîmes", "fr"),
    ]
    partly_paid = parsed.items[1]
    assert (partly_paid.number, partly_paid.issue_date, partly_paid.due_date) == (
        "FA-2024-0152",
        date(2024, 3, 12),
        date(2024, 4, 11),
    )
    assert (partly_paid.amount, partly_paid.open_amount) == (
        Money(Decimal("318.60"), "EUR"),
        Money(Decimal("118.60"), "EUR"),
    )
    assert len(parsed.items) == 4


def test_a_rejected_row_names_the_file_row_field_original_header_and_value() -> None:
    data = erp_export("fr_export_cp1252.csv")

    parsed = parse_receivables(data, "fr.csv", proposed_mapping(data, entity="FR01"))

    assert parsed.errors == (
        RowError("fr.csv", 5, "due_date", "invalid due_date '31/02/2024'", header="Échéance", value="31/02/2024"),
    )


def test_a_czech_export_in_cp1250_imports_by_its_czech_headers_without_a_mapping() -> None:
    parsed = parse_receivables(erp_export("cz_export_cp1250.csv"), "cz.csv")

    assert parsed.errors == ()
    assert [c.name for c in parsed.customers] == [
        "Dvořák a syn s.r.o.",
        "Jiří Černý – Řeznictví",
        "Žilinská strojárne a.s.",
    ]
    assert parsed.customers[2].country == "SK"
    item = parsed.items[1]
    assert (item.number, item.reference, item.due_date) == ("FV240044", "240044", date(2024, 3, 22))
    assert item.open_amount == Money(Decimal("1000.00"), "CZK")


def test_a_turkish_export_in_cp1254_imports_its_sales_rep_and_credit_notes() -> None:
    parsed = parse_receivables(erp_export("tr_export_cp1254.csv"), "tr.csv")

    assert parsed.errors == ()
    assert [(c.account_number, c.name, c.sales_rep) for c in parsed.customers] == [
        ("120.01.0042", "Yılmaz İnşaat Ltd. Şti.", "Ayşe Doğan"),
        ("120.01.0057", "Öztürk Gıda Sanayi A.Ş.", "Mehmet Çelik"),
    ]
    assert [(i.kind, i.amount) for i in parsed.items] == [
        ("invoice", Money(Decimal("48600.00"), "TRY")),
        ("credit_note", Money(Decimal("-2400.00"), "TRY")),
        ("invoice", Money(Decimal("17250.50"), "TRY")),
    ]


@pytest.mark.parametrize(
    ("written", "kind"),
    [("Facture", "invoice"), ("Avoir", "credit_note"), ("Gutschrift", "credit_note"), ("Dobropis", "credit_note"),
     ("Faktura korygująca", "credit_note"), ("Notă de credit", "credit_note"), ("Zahlung", "unallocated_payment"),
     ("Płatność", "unallocated_payment"), ("Splátka", "instalment"), ("Taksit", "instalment")],
)  # fmt: skip
def test_item_types_are_understood_in_the_languages_we_import(written: str, kind: str) -> None:
    parsed = parse(f"E1;A1;Acme;;;;I1;{written};2024-01-01;2024-01-31;10;;EUR")

    assert parsed.items[0].kind == kind


def test_a_mapping_reads_only_the_columns_it_maps() -> None:
    data = b"Kunde;Konto;Betrag;Name\nMuller;K1;10;Muller GmbH\n"
    mapping = ColumnMapping({"account_number": "Konto", "customer_name": "Name"}, {"entity": "DE01"})

    parsed = parse_receivables(data, "de.csv", mapping)

    assert parsed.errors == ()
    assert parsed.customers == (CustomerRow("DE01", "K1", "Muller GmbH", None, "en", None, None, 2),)


def test_a_mapping_that_does_not_fit_the_file_rejects_it_naming_each_problem() -> None:
    mapping = ColumnMapping({"account_number": "Kundennr", "customer_name": "Firma"})

    with pytest.raises(FileRejected) as caught:
        parse_receivables(b"Konto;Firma\nK1;Muller\n", "de.csv", mapping)

    assert [(e.row, e.column, e.header) for e in caught.value.errors] == [
        (1, "account_number", "Kundennr"),
        (1, "entity", None),
    ]
    assert "header 'Kundennr' (for account_number) is not in the file" in str(caught.value)


def test_a_bad_constant_is_reported_on_each_row_with_its_value_and_no_header() -> None:
    data = b"Konto;Name;Beleg;Datum;Faellig;Betrag\nK1;A;R1;2024-01-01;2024-01-31;10\n"
    columns = {"account_number": "Konto", "customer_name": "Name", "item_number": "Beleg", "issue_date": "Datum",
               "due_date": "Faellig", "amount": "Betrag"}  # fmt: skip
    mapping = ColumnMapping(columns, {"entity": "DE01", "currency": "Euro"})

    parsed = parse_receivables(data, "de.csv", mapping)

    error = only_error(parsed)
    assert (error.row, error.column, error.header, error.value) == (2, "currency", None, "Euro")


def test_a_file_without_a_mapping_still_rejects_two_columns_with_the_same_meaning_in_two_languages() -> None:
    rejected = rejection(b"entity;account;name;Courriel;E-mail\nE1;A1;Acme;a@b.example;a@b.example\n")

    assert [(e.column, e.header) for e in rejected.errors] == [("email", "E-mail")]
    assert "columns 'Courriel' and 'E-mail' both mean email" in str(rejected)


# --- XLSX ---------------------------------------------------------------------------------------------


def workbook(*rows: Sequence[object], formats: dict[str, str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Offene Posten"
    for row in rows:
        sheet.append(list(row))
    for coordinate, number_format in (formats or {}).items():
        sheet[coordinate].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GERMAN_HEADER = ("Buchungskreis", "Kundennummer", "Kundenname", "Sprache", "Belegnummer", "Belegart", "Belegdatum",
                 "Fälligkeitsdatum", "Rechnungsbetrag", "Offener Betrag", "Währung", "Sachbearbeiter")  # fmt: skip


def test_a_german_xlsx_export_imports_with_dates_numbers_and_its_physical_rows() -> None:
    data = workbook(
        GERMAN_HEADER,
        ("DE01", 10042, "Müller GmbH", "de", "R-24-001", "Rechnung", date(2024, 3, 1), datetime(2024, 3, 31),
         1190.0, 0.1 + 0.2, "EUR", "K. Weber"),
        (),
        ("DE01", 10042, "Müller GmbH", "de", "G-24-001", "Gutschrift", date(2024, 3, 5), date(2024, 3, 5),
         119.0, None, "EUR", "K. Weber"),
        ("DE01", 10057, "Schmidt & Söhne KG", "de", "R-24-002", "Rechnung", date(2024, 3, 8), date(2024, 4, 7),
         2380.5, 2380.5, "EUR", None),
        formats={"I2": "#,##0.00", "J2": "#,##0.00"},
    )  # fmt: skip

    parsed = parse_receivables(data, "OP-Liste.xlsx")

    assert parsed.errors == ()
    assert [(c.account_number, c.language, c.collector) for c in parsed.customers] == [
        ("10042", "de", "K. Weber"),
        ("10057", "de", None),
    ]
    assert [(i.row, i.number, i.kind, i.amount.amount, i.open_amount.amount) for i in parsed.items] == [
        (2, "R-24-001", "invoice", Decimal("1190.00"), Decimal("0.30")),
        (4, "G-24-001", "credit_note", Decimal("-119"), Decimal("-119")),
        (5, "R-24-002", "invoice", Decimal("2380.5"), Decimal("2380.5")),
    ]
    assert parsed.items[0].due_date == date(2024, 3, 31)
    assert parsed.rows_read == 3


def test_a_bad_xlsx_row_is_reported_at_its_physical_row_and_the_others_import() -> None:
    data = workbook(
        [], GERMAN_HEADER,
        ("DE01", 1, "A", "de", "R1", None, date(2024, 3, 1), "irgendwann", 10, None, "EUR", None),
        ("DE01", 2, "B", "de", "R2", None, date(2024, 3, 1), date(2024, 3, 31), 10, None, "EUR", None),
    )  # fmt: skip

    parsed = parse_receivables(data, "OP-Liste.xlsx")

    assert [(e.row, e.column, e.header, e.value) for e in parsed.errors] == [
        (3, "due_date", "Fälligkeitsdatum", "irgendwann")
    ]
    assert [i.number for i in parsed.items] == ["R2"]


def test_the_old_entry_point_reads_xlsx_too() -> None:
    data = workbook(("entity", "account", "name"), ("E1", "A1", "Acme"))

    assert parse_receivables_csv(data, "export.xlsx").customers[0].name == "Acme"


def test_an_xlsx_named_file_that_is_no_workbook_is_rejected_whole() -> None:
    with pytest.raises(FileRejected) as caught:
        parse_receivables(b"entity;account;name\nE1;A1;Acme\n", "export.xlsx")

    assert "not a valid XLSX workbook" in caught.value.errors[0].reason


def test_a_truncated_xlsx_is_rejected_whole() -> None:
    data = workbook(("entity", "account", "name"), *(("E1", f"A{n}", "Acme") for n in range(100)))

    with pytest.raises(FileRejected) as caught:
        parse_receivables(data[: len(data) - 100], "export.xlsx")

    assert "truncated" in caught.value.errors[0].reason


# --- optional fields ----------------------------------------------------------------------------------

RICH_HEADER = (
    "entity;account;name;customer group;sector;collector;sales rep;credit limit;"
    "invoice;issue_date;due_date;amount;currency;product group;product;priority"
)


def test_optional_customer_and_item_fields_are_carried_through() -> None:
    parsed = parse(
        "E1;A1;Acme;Key accounts;Retail;Anna;Bob;50 000,00;I1;2024-01-01;2024-01-31;10;EUR;Tools;Hammer;high",
        header=RICH_HEADER,
    )

    assert parsed.errors == ()
    (customer,) = parsed.customers
    assert (customer.customer_group, customer.sector, customer.collector, customer.sales_rep) == (
        "Key accounts",
        "Retail",
        "Anna",
        "Bob",
    )
    assert customer.credit_limit == Decimal("50000.00")
    (item,) = parsed.items
    assert (item.product_group, item.product, item.priority) == ("Tools", "Hammer", "high")


def test_optional_fields_left_empty_are_none() -> None:
    parsed = parse("E1;A1;Acme;;;;;;I1;2024-01-01;2024-01-31;10;EUR;;;", header=RICH_HEADER)

    assert (parsed.customers[0].collector, parsed.customers[0].credit_limit, parsed.items[0].product) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(("limit", "reason"), [("lots", "invalid credit_limit 'lots'"), ("-5", "is negative")])
def test_a_bad_credit_limit_rejects_the_row(limit: str, reason: str) -> None:
    parsed = parse(f"E1;A1;Acme;;;;;{limit};;;;;;;;", header=RICH_HEADER)

    error = only_error(parsed)
    assert (error.column, error.header, error.value) == ("credit_limit", "credit limit", limit)
    assert reason in error.reason


def test_rows_of_one_account_must_agree_on_its_collector() -> None:
    parsed = parse(
        "E1;A1;Acme;;;Anna;;;I1;2024-01-01;2024-01-31;10;EUR;;;",
        "E1;A1;Acme;;;Carl;;;I2;2024-01-01;2024-01-31;10;EUR;;;",
        header=RICH_HEADER,
    )

    error = only_error(parsed)
    assert (error.row, error.column, error.value) == (3, "collector", "Carl")
    assert "'Carl' conflicts with the value on row 2" in error.reason
