from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from opendso_importer.domain.statements import Statement, StatementError, Transaction, parse_statements
from opendso_money import Money

DATA = Path(__file__).parents[2] / "data" / "statements"
SAMPLE = "mt940_commerzbank.sta"


def mt940(*lines: str) -> bytes:
    return "\r\n".join(lines).encode("latin-1")


def statement_lines(*body: str, opening: str = "C260227EUR1000,00", closing: str = "C260302EUR1000,00") -> bytes:
    return mt940(
        ":20:STARTUMSE", ":25:DE89370400440532013000", ":28C:00042/001", f":60F:{opening}", *body, f":62F:{closing}"
    )


def parse(data: bytes) -> list[Statement]:
    return parse_statements(data, "statement.sta")


def only_transaction(data: bytes) -> Transaction:
    (single,) = parse(data)
    (tx,) = single.transactions
    return tx


def rejection(data: bytes) -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse(data)
    assert caught.value.file == "statement.sta"
    return caught.value


# --- the sample file ----------------------------------------------------------------------------------


def test_sample_file_holds_two_statements_inside_swift_envelopes() -> None:
    first, second = parse_statements((DATA / SAMPLE).read_bytes(), SAMPLE)

    assert (first.format, first.statement_id, second.statement_id) == (
        "mt940",
        "STARTUMSE/00042/001",
        "STARTUMSE/00043/001",
    )
    # ":25:37040044/0532013000" is a German bank code and account number: the IBAN follows from them.
    assert first.account_iban == "DE89370400440532013000"
    assert first.opening_balance is not None and first.closing_balance is not None
    assert (first.opening_balance.date, first.opening_balance.amount) == (date(2026, 2, 27), Money.of("12500", "EUR"))
    assert (first.closing_balance.date, first.closing_balance.amount) == (date(2026, 3, 2), Money.of("13356.63", "EUR"))
    assert [len(first.transactions), len(second.transactions)] == [3, 4]


def test_sample_structured_details_give_counterparty_references_and_text() -> None:
    (first, _) = parse_statements((DATA / SAMPLE).read_bytes(), SAMPLE)

    assert first.transactions[0] == Transaction(
        booking_date=date(2026, 3, 2),
        value_date=date(2026, 3, 2),
        amount=Money.of("1190.00", "EUR"),
        # "?32Mueller " ends one 65-character line and "Maschinenbau GmbH" starts the next
        counterparty_name="Mueller Maschinenbau GmbH",
        counterparty_iban="DE28500105170005319074",
        counterparty_bic="INGDDEFFXXX",
        remittance_text="INV-2026-00123 / 00124",
        structured_reference=None,
        structured_reference_type=None,
        end_to_end_id="MM-2026-0311-1",
        bank_reference="2026030212345678",
        bank_transaction_code="NTRF+166",
        entry_reference="line 6",
    )


def test_sample_purpose_cut_at_27_characters_is_joined_without_a_space() -> None:
    (first, _) = parse_statements((DATA / SAMPLE).read_bytes(), SAMPLE)
    direct_debit, czech = first.transactions[1:]

    assert direct_debit.remittance_text == "Strom Februar 2026 Vertrag 4711-0815"
    assert direct_debit.amount == Money.of("-845.37", "EUR")
    assert (czech.remittance_text, czech.structured_reference, czech.structured_reference_type) == (
        "VS:20260042 faktura 2026-0042",
        "20260042",
        "CZ_VS",
    )
    assert czech.end_to_end_id is None  # EREF+NOTPROVIDED


def test_sample_second_statement_reads_reversal_name_over_two_subfields_and_free_text() -> None:
    (_, second) = parse_statements((DATA / SAMPLE).read_bytes(), SAMPLE)
    rf, reversal, fee, free_text = second.transactions

    assert (rf.counterparty_name, rf.structured_reference, rf.structured_reference_type) == (
        "Societe Generale de Transports SARL",
        "RF18539007547034",
        "RF",
    )
    assert (reversal.amount, reversal.bank_transaction_code) == (Money.of("-150.00", "EUR"), "NTRF+159")
    assert (fee.remittance_text, fee.counterparty_bic) == ("Kontofuehrung Maerz 2026", None)
    assert free_text.remittance_text == "Zahlung Rechnung INV-2026-00160 Dupont & Fils SA Danke fuer die Geduld"
    assert free_text.end_to_end_id == "KREF-2026-77"  # the :61: customer reference
    assert [t.entry_reference for t in second.transactions] == ["line 28", "line 32", "line 37", "line 39"]


def test_statement_level_details_after_the_closing_balance_are_no_transaction_text() -> None:
    (first, _) = parse_statements((DATA / SAMPLE).read_bytes(), SAMPLE)

    assert all("Kontoauszug" not in t.remittance_text for t in first.transactions)


# --- signs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mark", "amount"),
    [("C", "100.00"), ("D", "-100.00"), ("RC", "-100.00"), ("RD", "100.00"), ("CR", "100.00"), ("DR", "-100.00")],
)
def test_debit_credit_and_reversal_marks_sign_the_amount(mark: str, amount: str) -> None:
    closing = f"{'C' if Decimal(amount) > 0 else 'D'}260302EUR100,00"

    data = statement_lines(f":61:2603020302{mark}100,00NTRFNONREF//B-1", opening="C260227EUR0,00", closing=closing)

    assert only_transaction(data).amount == Money.of(amount, "EUR")


def test_entry_date_is_the_booking_date_and_the_first_date_the_value_date() -> None:
    data = statement_lines(":61:2603010302C5,00NTRFNONREF", closing="C260302EUR1005,00")

    tx = only_transaction(data)

    assert (tx.booking_date, tx.value_date) == (date(2026, 3, 2), date(2026, 3, 1))


def test_a_line_without_entry_date_is_booked_on_its_value_date() -> None:
    tx = only_transaction(statement_lines(":61:260302C5,00NTRFNONREF", closing="C260302EUR1005,00"))

    assert tx.booking_date == date(2026, 3, 2)


def test_a_debit_opening_balance_is_negative() -> None:
    (stmt,) = parse(
        statement_lines(":61:2603020302C300,00NTRF", opening="D260227EUR200,00", closing="C260302EUR100,00")
    )

    assert stmt.opening_balance is not None
    assert stmt.opening_balance.amount == Money.of("-200.00", "EUR")


# --- field 86 -----------------------------------------------------------------------------------------


def test_structured_details_give_name_from_32_and_33_iban_from_31_bic_from_30() -> None:
    data = statement_lines(
        ":61:2603020302C10,00NTRFNONREF//B-1",
        ":86:166?00SEPA-GUTSCHRIFT?20EREF+E2E-7?21SVWZ+INV-2026-00200?30GIBACZPXXXX",
        "?31CZ65 0800 0000 1920 0014 5399?32Novak a syn s.r.o. Praha 4 -?33 Nusle",
        closing="C260302EUR1010,00",
    )

    tx = only_transaction(data)

    assert (tx.counterparty_name, tx.counterparty_iban, tx.counterparty_bic) == (
        "Novak a syn s.r.o. Praha 4 - Nusle",
        "CZ6508000000192000145399",
        "GIBACZPXXXX",
    )
    assert (tx.end_to_end_id, tx.remittance_text) == ("E2E-7", "INV-2026-00200")


def test_a_german_account_number_in_31_and_bank_code_in_30_are_no_iban_or_bic() -> None:
    data = statement_lines(
        ":61:2603020302C10,00NTRFNONREF", ":86:051?00UEBERWEISUNG?20Miete?3037040044?310532013000?32Max Mustermann"
    )

    tx = only_transaction(data.replace(b"C260302EUR1000,00", b"C260302EUR1010,00"))

    assert (tx.counterparty_iban, tx.counterparty_bic, tx.counterparty_name) == (None, None, "Max Mustermann")


def test_variable_symbol_in_a_purpose_subfield_is_found() -> None:
    data = statement_lines(
        ":61:2603020302C10,00NTRFNONREF", ":86:166?00PLATBA?20Faktura 2026-0042?21VS0020260042?22KS0308"
    )

    tx = only_transaction(data.replace(b"C260302EUR1000,00", b"C260302EUR1010,00"))

    assert (tx.structured_reference, tx.structured_reference_type) == ("20260042", "CZ_VS")
    assert tx.remittance_text == "Faktura 2026-0042 VS0020260042 KS0308"


def test_sepa_keywords_without_svwz_leave_the_text_before_them() -> None:
    data = statement_lines(":61:2603020302C10,00NTRFNONREF", ":86:166?00SEPA?20Rechnung 77 EREF+ABC-1?21KREF+K-9")

    tx = only_transaction(data.replace(b"C260302EUR1000,00", b"C260302EUR1010,00"))

    assert (tx.remittance_text, tx.end_to_end_id) == ("Rechnung 77", "ABC-1")


def test_free_text_details_keep_their_lines_joined_by_spaces() -> None:
    data = statement_lines(":61:2603020302C10,00NTRFNONREF", ":86:/INV/2026-00123", "Thank you RF18 5390 0754 7034")

    tx = only_transaction(data.replace(b"C260302EUR1000,00", b"C260302EUR1010,00"))

    assert tx.remittance_text == "/INV/2026-00123 Thank you RF18 5390 0754 7034"
    assert (tx.structured_reference, tx.counterparty_name) == ("RF18539007547034", None)


def test_a_line_without_details_has_empty_text() -> None:
    tx = only_transaction(statement_lines(":61:2603020302C10,00NTRFNONREF", closing="C260302EUR1010,00"))

    assert (tx.remittance_text, tx.end_to_end_id, tx.bank_reference) == ("", None, None)


def test_an_invalid_iban_in_31_names_the_details_line() -> None:
    data = statement_lines(":61:2603020302C10,00NTRFNONREF", ":86:166?00SEPA?20X?31DE28500105170005319075")

    error = rejection(data.replace(b"C260302EUR1000,00", b"C260302EUR1010,00"))

    assert (error.location, "invalid IBAN" in error.reason) == ("line 6", True)


# --- accounts and statements --------------------------------------------------------------------------


def test_an_iban_account_with_its_currency_after_it_is_read() -> None:
    data = statement_lines().replace(b":25:DE89370400440532013000", b":25:DE89370400440532013000EUR")

    assert parse(data)[0].account_iban == "DE89370400440532013000"


def test_an_account_that_is_no_iban_leaves_the_account_empty() -> None:
    data = statement_lines().replace(b":25:DE89370400440532013000", b":25:0532013000")

    assert parse(data)[0].account_iban is None


def test_a_statement_without_lines_is_read_with_its_balances() -> None:
    (stmt,) = parse(statement_lines())

    assert (stmt.transactions, stmt.currency) == ((), "EUR")


def test_statement_id_without_statement_number_is_the_reference() -> None:
    data = mt940(":20:REF-2026-03-02", ":25:DE89370400440532013000", ":60F:C260227EUR0,00", ":62F:C260302EUR0,00")

    assert parse(data)[0].statement_id == "REF-2026-03-02"


# --- rejections ---------------------------------------------------------------------------------------


def test_closing_balance_that_is_not_opening_plus_lines_is_rejected_at_the_closing_balance() -> None:
    data = statement_lines(":61:2603020302C10,00NTRFNONREF", closing="C260302EUR1011,00")

    error = rejection(data)

    assert error.location == "line 6"
    assert "1011.00" in error.reason and "1010.00" in error.reason


def test_a_malformed_statement_line_names_its_line() -> None:
    data = statement_lines(":61:2603020302C10,00NTRFNONREF", ":61:26030X0302C10,00NTRF")

    error = rejection(data)

    assert error.location == "line 6"
    assert ":61:" in error.reason


def test_a_statement_line_without_transaction_type_is_rejected_rather_than_merged_with_the_next() -> None:
    data = statement_lines(":61:2603020302C10,00", ":61:2603020302C5,00NTRFNONREF", closing="C260302EUR1015,00")

    error = rejection(data)

    assert (error.location, "without its transaction type" in error.reason) == ("line 5", True)


def test_an_impossible_date_names_its_line() -> None:
    error = rejection(statement_lines(":61:2613020302C10,00NTRFNONREF", closing="C260302EUR1010,00"))

    assert error.location == "line 5"


def test_a_malformed_balance_names_its_line() -> None:
    error = rejection(statement_lines(opening="X260227EUR1000,00"))

    assert (error.location, ":60F:" in error.reason) == ("line 4", True)


def test_a_balance_without_amount_is_rejected() -> None:
    error = rejection(statement_lines(closing="C260302EUR"))

    assert (error.location, error.reason) == (
        "line 5",
        "malformed :62F: field 'C260302EUR': its amount is not a number",
    )


def test_a_statement_without_opening_balance_has_no_currency_and_is_rejected() -> None:
    data = mt940(":20:STARTUMSE", ":25:DE89370400440532013000", ":61:2603020302C10,00NTRFNONREF")

    assert "no opening balance" in rejection(data).reason


def test_a_field_before_the_first_statement_reference_is_rejected() -> None:
    data = mt940(":25:DE89370400440532013000", ":20:STARTUMSE", ":60F:C260227EUR0,00", ":62F:C260302EUR0,00")

    error = rejection(data)

    assert (error.location, error.reason) == ("line 1", ":25: before the first :20:")


def test_an_invalid_account_iban_is_rejected() -> None:
    data = statement_lines().replace(b":25:DE89370400440532013000", b":25:DE89370400440532013001")

    assert rejection(data).location == "line 2"
