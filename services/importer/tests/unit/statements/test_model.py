import pickle
from dataclasses import replace
from datetime import date
from pathlib import Path

from opendso_importer.domain.statements import Statement, StatementError, Transaction, parse_statements, transaction_id
from opendso_money import Money

DATA = Path(__file__).parents[2] / "data" / "statements"

TX = Transaction(
    booking_date=date(2026, 3, 2),
    value_date=date(2026, 3, 2),
    amount=Money.of("1190.00", "EUR"),
    counterparty_name="Müller Maschinenbau GmbH",
    counterparty_iban="DE28500105170005319074",
    counterparty_bic="INGDDEFFXXX",
    remittance_text="INV-2026-00123 / 00124",
    structured_reference=None,
    structured_reference_type=None,
    end_to_end_id="MM-2026-0311-1",
    bank_reference="2026030212345678",
    bank_transaction_code="PMNT/RCDT/ESCT",
    entry_reference="Stmt[1]/Ntry[1]",
)
STATEMENT = Statement(
    format="camt.053.001.02",
    statement_id="S-1",
    account_iban="DE89370400440532013000",
    currency="EUR",
    opening_balance=None,
    closing_balance=None,
    transactions=(TX,),
)


def test_transaction_id_is_32_hex_characters() -> None:
    tx_id = transaction_id(STATEMENT, TX, 0)

    assert len(tx_id) == 32
    int(tx_id, 16)


def test_transaction_id_ignores_the_position_when_the_bank_identifies_the_line() -> None:
    assert transaction_id(STATEMENT, TX, 0) == transaction_id(STATEMENT, TX, 7)


def test_transaction_id_ignores_the_statement_format_and_id() -> None:
    other_file = replace(STATEMENT, format="mt940", statement_id="STARTUMSE/00042/001")

    assert transaction_id(STATEMENT, TX, 0) == transaction_id(other_file, TX, 0)


def test_transaction_id_does_not_depend_on_how_the_amount_is_written() -> None:
    assert transaction_id(STATEMENT, TX, 0) == transaction_id(STATEMENT, TX._replace(amount=Money.of("1190", "EUR")), 0)


def test_transaction_id_changes_with_account_date_amount_currency_and_references() -> None:
    base = transaction_id(STATEMENT, TX, 0)

    assert base != transaction_id(replace(STATEMENT, account_iban="CZ6508000000192000145399"), TX, 0)
    assert base != transaction_id(STATEMENT, TX._replace(booking_date=date(2026, 3, 3)), 0)
    assert base != transaction_id(STATEMENT, TX._replace(amount=Money.of("1190.01", "EUR")), 0)
    assert base != transaction_id(STATEMENT, TX._replace(amount=Money.of("1190.00", "CZK")), 0)
    assert base != transaction_id(STATEMENT, TX._replace(bank_reference="2026030212345679"), 0)
    assert base != transaction_id(STATEMENT, TX._replace(end_to_end_id="MM-2026-0311-2"), 0)


def test_without_bank_references_the_position_tells_identical_lines_apart() -> None:
    anonymous = TX._replace(bank_reference=None, end_to_end_id=None)

    assert transaction_id(STATEMENT, anonymous, 0) != transaction_id(STATEMENT, anonymous, 1)
    assert transaction_id(STATEMENT, anonymous, 1) == transaction_id(STATEMENT, anonymous, 1)


def test_without_bank_references_the_entry_reference_stands_in_for_the_position() -> None:
    fee = TX._replace(bank_reference=None, end_to_end_id=None, entry_id="DB-0304-0004")

    assert transaction_id(STATEMENT, fee, 0) == transaction_id(STATEMENT, fee, 5)
    assert transaction_id(STATEMENT, fee, 0) != transaction_id(STATEMENT, fee._replace(entry_id="DB-0304-0005"), 0)


def test_the_entry_reference_does_not_change_the_id_of_a_line_the_bank_identifies() -> None:
    assert transaction_id(STATEMENT, TX, 0) == transaction_id(STATEMENT, TX._replace(entry_id="NTRY-1"), 0)


def test_an_account_without_iban_is_identified_by_its_number_not_the_statement() -> None:
    no_iban = replace(STATEMENT, account_iban=None, account_number="0532013000")
    report = replace(no_iban, statement_id="RPT-2026-03-02-1200", format="camt.052.001.08")

    assert transaction_id(no_iban, TX, 0) == transaction_id(report, TX, 0)
    assert transaction_id(no_iban, TX, 0) != transaction_id(replace(no_iban, account_number="0532013001"), TX, 0)


def test_lines_of_one_batch_sharing_the_bank_reference_get_different_ids() -> None:
    first = TX._replace(end_to_end_id=None, entry_reference="Stmt[1]/Ntry[4]/TxDtls[1]")
    second = first._replace(entry_reference="Stmt[1]/Ntry[4]/TxDtls[2]")

    assert transaction_id(STATEMENT, first, 3) != transaction_id(STATEMENT, second, 4)


def test_every_line_of_every_sample_gets_a_distinct_id_that_survives_a_reimport() -> None:
    for file in [
        "camt053_v02_commerzbank.xml",
        "camt053_v08_kbc.xml",
        "camt052_v08_intraday_deutsche_bank.xml",
        "camt052_v02_intraday_erste_bank.xml",
        "mt940_commerzbank.sta",
        "csv_sparkasse_de.csv",
    ]:
        data = (DATA / file).read_bytes()

        def ids(statements: list[Statement]) -> list[str]:
            return [transaction_id(s, t, i) for s in statements for i, t in enumerate(s.transactions)]

        first, again = ids(parse_statements(data, file)), ids(parse_statements(data, f"copy of {file}"))
        assert first == again
        assert len(set(first)) == len(first)


def test_statement_error_names_file_location_and_reason_and_survives_pickling() -> None:
    error = StatementError("march.xml", "Stmt[1]/Ntry[3]/Amt (line 57)", "not an amount: 'x'")

    assert str(error) == "march.xml: Stmt[1]/Ntry[3]/Amt (line 57): not an amount: 'x'"
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.file, copy.location, copy.reason) == (error.file, error.location, error.reason)


def test_transactions_are_values() -> None:
    assert TX._replace() == TX
    assert hash(TX._replace()) == hash(TX)
