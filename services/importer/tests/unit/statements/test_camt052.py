"""Intraday account reports (camt.052) read like statements, and giving their lines the ids the
day's statement (camt.053) gives the same lines."""

from decimal import Decimal
from pathlib import Path

from opendso_importer.domain.statements import Statement, parse_statements, transaction_id
from opendso_money import Money

DATA = Path(__file__).parents[2] / "data" / "statements"
INTRADAY = "camt052_v08_intraday_deutsche_bank.xml"
END_OF_DAY = "camt053_v08_end_of_day_deutsche_bank.xml"


def read(file: str) -> Statement:
    (statement,) = parse_statements((DATA / file).read_bytes(), file)
    return statement


def ids(statement: Statement) -> list[str]:
    return [transaction_id(statement, tx, i) for i, tx in enumerate(statement.transactions)]


def test_the_intraday_report_holds_its_booked_entries_only() -> None:
    report = read(INTRADAY)

    assert (report.format, report.statement_id) == ("camt.052.001.08", "0202051-20260304-1200")
    # The pending credit of 500.00 and the information-only advice of 9,999.00 are not on the account yet.
    assert [t.amount for t in report.transactions] == [
        Money.of("1190.00", "EUR"),
        Money.of("2380.00", "EUR"),
        Money.of("-12.50", "EUR"),
    ]
    assert report.opening_balance is not None and report.closing_balance is not None
    assert report.closing_balance.amount == Money.of("28957.50", "EUR")  # the interim booked balance
    muller, novak, fee = report.transactions
    assert (muller.counterparty_name, muller.end_to_end_id) == ("Müller Maschinenbau GmbH", "MM-2026-0318-1")
    assert (novak.structured_reference, novak.structured_reference_type) == ("RF18539007547034", "RF")
    assert (fee.remittance_text, fee.bank_reference, fee.entry_id) == (
        "Kontoführungsentgelt 02/2026",
        None,
        "DB-0304-0004",
    )


def test_a_version_02_report_splits_its_batch_and_leaves_out_the_pending_entry() -> None:
    report = read("camt052_v02_intraday_erste_bank.xml")

    assert report.format == "camt.052.001.02"
    assert [(t.amount.amount, t.end_to_end_id) for t in report.transactions] == [
        (Decimal("1530.00"), "HUBER-2026-117"),
        (Decimal("600.00"), "ALP-20260305-01"),
        (Decimal("250.00"), "ALP-20260305-02"),
    ]
    assert report.transactions[0].counterparty_bic == "RLNWATWWXXX"


def test_a_line_of_the_intraday_report_has_the_id_the_end_of_day_statement_gives_it() -> None:
    intraday, end_of_day = read(INTRADAY), read(END_OF_DAY)

    # Booked intraday: Müller and Novák by the bank's reference, the fee (no reference, no
    # end-to-end id) by its entry reference; the statement lists them at other positions.
    assert set(ids(intraday)) < set(ids(end_of_day))
    assert len(set(ids(end_of_day)) - set(ids(intraday))) == 2  # Kowalski, booked in the afternoon; a payment


def test_the_end_of_day_statement_adds_up() -> None:
    end_of_day = read(END_OF_DAY)

    assert end_of_day.opening_balance is not None and end_of_day.closing_balance is not None
    total = sum((t.amount.amount for t in end_of_day.transactions), Decimal(0))
    assert end_of_day.opening_balance.amount.amount + total == end_of_day.closing_balance.amount.amount
