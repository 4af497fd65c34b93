"""A statement as big as a busy collection account's month: it must stream, not load."""

from decimal import Decimal

from opendso_importer.domain.statements import parse_statements
from opendso_importer.domain.statements.samples import ACCOUNT_IBAN, build_large_camt, large_camt_amount

ENTRIES = 100_000


def test_a_100000_entry_camt053_parses_to_100000_transactions_that_add_up() -> None:
    data = build_large_camt(ENTRIES)

    (statement,) = parse_statements(data, "large.xml")

    assert len(statement.transactions) == ENTRIES
    total = sum((t.amount.amount for t in statement.transactions), Decimal(0))
    assert total == sum((large_camt_amount(i) for i in range(ENTRIES)), Decimal(0))
    assert statement.opening_balance is not None and statement.closing_balance is not None
    assert statement.closing_balance.amount.amount - statement.opening_balance.amount.amount == total
    assert statement.account_iban == ACCOUNT_IBAN
    last = statement.transactions[-1]
    assert (last.remittance_text, last.entry_reference) == (f"INV-2026-{ENTRIES - 1:06d}", str(ENTRIES))


def test_the_generated_statement_is_deterministic() -> None:
    assert build_large_camt(10) == build_large_camt(10)
