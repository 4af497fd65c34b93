"""The labelled bank lines: deterministic, consistent with their truth and with the ledger they pay."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_cli.bank_generator import (
    BankConfig,
    BankLine,
    BankSet,
    LedgerCustomer,
    Scenario,
    TrueAllocation,
    Truth,
    Verdict,
    generate_bank_set,
    judge,
    ledger_customers,
    statement_csv,
)
from opendso_cli.generator import items_for_bench
from opendso_importer.domain.statements import parse_statements
from opendso_matching.domain.model import Allocation, Outcome, Payment, Proposal
from opendso_money import Money
from schwifty import IBAN

TODAY = date(2026, 11, 24)
ITEMS = 8000
LINES = 1200


def build(seed: int = 11, lines: int = LINES) -> tuple[list[LedgerCustomer], BankSet]:
    ledger = list(ledger_customers(items_for_bench(ITEMS, today=TODAY)))
    bank = generate_bank_set(ledger, BankConfig(seed=seed, lines=lines, customers=ITEMS // 10, today=TODAY))
    return ledger, bank


@pytest.fixture(scope="module")
def generated() -> tuple[list[LedgerCustomer], BankSet]:
    return build()


@pytest.fixture(scope="module")
def bank(generated: tuple[list[LedgerCustomer], BankSet]) -> BankSet:
    return generated[1]


def test_the_same_seed_gives_the_same_lines(bank: BankSet) -> None:
    _, again = build()
    assert again.lines == bank.lines
    assert (again.known_ibans, again.aliases) == (bank.known_ibans, bank.aliases)


def test_another_seed_gives_other_lines(bank: BankSet) -> None:
    _, other = build(seed=12)
    assert [line.payment for line in other.lines] != [line.payment for line in bank.lines]


def test_exactly_the_lines_asked_for_in_booking_order_with_unique_ids(bank: BankSet) -> None:
    assert len(bank.lines) == LINES
    dates = [line.payment.booking_date for line in bank.lines]
    assert dates == sorted(dates)
    assert all(TODAY < d <= TODAY + timedelta(days=40) for d in dates)
    assert len({line.payment.transaction_id for line in bank.lines}) == LINES
    assert (bank.customers, bank.items) == (ITEMS // 10, ITEMS)


def test_truth_amounts_add_up_to_the_line_less_what_is_unallocated(bank: BankSet) -> None:
    for line in bank.lines:
        truth, payment = line.truth, line.payment
        allocated = sum((a.amount.amount for a in truth.allocations), Decimal(0))
        assert allocated + truth.unallocated.amount == truth.paid.amount, line
        assert {a.amount.currency for a in truth.allocations} <= {truth.paid.currency} == {truth.unallocated.currency}
        if truth.rate is None:
            assert truth.paid == payment.amount, line
        else:
            assert payment.amount.currency != truth.paid.currency
            assert truth.paid == Money(payment.amount.amount * truth.rate, truth.paid.currency).rounded()
            assert bank.rates.rate(payment.amount.currency, truth.paid.currency, payment.booking_date) == truth.rate


def test_truth_pays_existing_items_of_its_customer_never_more_than_they_owe(
    generated: tuple[list[LedgerCustomer], BankSet],
) -> None:
    ledger, bank = generated
    items = {item.item_id: item for customer in ledger for item in customer.items}
    settled: dict[str, Decimal] = defaultdict(Decimal)
    for line in bank.lines:
        for allocation in line.truth.allocations:
            item = items[allocation.item_id]
            assert item.customer_id == line.truth.customer_id
            assert item.entity == line.payment.entity
            settled[item.item_id] += allocation.settled.amount
    for item_id, amount in settled.items():
        open_amount = items[item_id].open_amount.amount
        # Credit notes are negative: "never more" is in absolute value for both.
        assert abs(amount) <= abs(open_amount), item_id
        assert (amount > 0) == (open_amount > 0)


def test_every_scenario_of_the_mix_is_there_and_nobody_s_lines_have_no_customer(bank: BankSet) -> None:
    counts = Counter(line.truth.scenario for line in bank.lines)
    assert set(counts) == set(Scenario)
    assert counts[Scenario.CLEAN] > LINES * 0.15
    for line in bank.lines:
        nobody = line.truth.scenario in (Scenario.SUSPENSE, Scenario.PAID_OUT)
        assert (line.truth.customer_id is None) == nobody
        assert (line.payment.amount.amount < 0) == (line.truth.scenario is Scenario.PAID_OUT)
    partial_lines = Counter(
        line.truth.allocations[0].item_id for line in bank.lines if line.truth.scenario is Scenario.PARTIAL
    )
    assert max(partial_lines.values()) >= 2, "several payments for one item"


def test_noise_is_there_typos_change_the_number_and_short_payments_are_written_off(bank: BankSet) -> None:
    variants = Counter(line.truth.variant for line in bank.lines)
    assert {"zeros_dropped", "separators", "buyer_reference", "name_only", "iban_only"} <= set(variants)
    styles = Counter(line.truth.name_style for line in bank.lines)
    assert {"as_held", "bank", "typo", "missing", "contact_person"} <= set(styles)
    for line in bank.lines:
        truth = line.truth
        if truth.scenario is Scenario.TYPO:
            number = truth.allocations[0].item_id.rsplit("/", 1)[1]
            quoted = line.payment.remittance_text + line.payment.structured_reference
            assert number not in quoted
        if truth.scenario is Scenario.SHORT_PAID:
            (allocation,) = truth.allocations
            assert allocation.write_off is not None
            assert Decimal("0") < allocation.write_off.amount < Decimal("2")
        assert len(line.payment.remittance_text) <= 140


def test_known_ibans_are_valid_and_those_of_customers_that_pay_from_them(
    generated: tuple[list[LedgerCustomer], BankSet],
) -> None:
    ledger, bank = generated
    customers = {c.customer.customer_id for c in ledger}
    assert 0.25 * len(ledger) < len(bank.known_ibans) < 0.5 * len(ledger)
    known = dict(bank.known_ibans)
    assert set(known.values()) <= customers
    for line in bank.lines:
        iban = line.payment.counterparty_iban
        if iban:
            IBAN(iban)  # raises when the check digits or the country's format are wrong
            owner = known.get(iban)
            assert owner is None or owner == line.truth.customer_id


def test_the_statement_csv_reads_back_with_the_importer(bank: BankSet) -> None:
    lines = bank.lines[:200]
    statements = parse_statements(statement_csv(lines), "generated.csv")
    read = {tx.end_to_end_id: tx for statement in statements for tx in statement.transactions}
    assert len(read) == len(lines)
    for line in lines:
        tx = read[line.payment.transaction_id]
        assert tx.amount == line.payment.amount
        assert tx.booking_date == line.payment.booking_date
        assert (tx.counterparty_iban or "") == line.payment.counterparty_iban
        if line.payment.structured_reference_type == "CZ_VS":
            assert tx.structured_reference == line.payment.structured_reference.lstrip("0")


def _proposal(line: BankLine, allocations: tuple[Allocation, ...], customer_id: str | None = None) -> Proposal:
    return Proposal(
        transaction_id=line.payment.transaction_id,
        outcome=Outcome.APPLY,
        confidence=Decimal("0.99"),
        customer_id=customer_id if customer_id is not None else line.truth.customer_id,
        allocations=allocations,
        unallocated=line.truth.unallocated,
        reasons=(),
    )


def test_judge_accepts_the_truth_and_names_each_way_of_being_wrong() -> None:
    eur = "EUR"
    truth = Truth(
        Scenario.SHORT_PAID,
        "fee_or_rounding",
        "as_held",
        "FR01/C1",
        (TrueAllocation("FR01/invoice/F1", Money(Decimal("99.50"), eur), Money(Decimal("0.50"), eur)),),
        Money(Decimal("99.50"), eur),
        Money(Decimal("0"), eur),
    )
    line = BankLine(Payment("TX1", "FR01", TODAY, Money(Decimal("99.50"), eur)), truth)
    right = Allocation("FR01/invoice/F1", "F1", Money(Decimal("99.50"), eur), Money(Decimal("0.50"), eur))
    assert judge(truth, _proposal(line, (right,))) is Verdict.CORRECT
    assert judge(truth, _proposal(line, (right,), customer_id="FR01/C2")) is Verdict.WRONG_CUSTOMER
    assert judge(truth, _proposal(line, ())) is Verdict.LEFT_ON_ACCOUNT
    other = Allocation("FR01/invoice/F2", "F2", Money(Decimal("100.00"), eur))
    assert judge(truth, _proposal(line, (other,))) is Verdict.WRONG_ITEMS
    credited = Allocation("FR01/invoice/F3", "F3", Money(Decimal("40.00"), eur))
    credit_note = Allocation("FR01/credit_note/CN3", "CN3", Money(Decimal("-40.00"), eur))
    # A fully credited invoice closed against its credit note on the way: no money astray, but not the truth.
    assert judge(truth, _proposal(line, (right, credited, credit_note))) is Verdict.ZERO_SUM_ITEMS
    assert judge(truth, _proposal(line, (right, credited))) is Verdict.WRONG_ITEMS
    # Cash right, but the 0.50 not written off: the item stays open with it.
    partial = Allocation("FR01/invoice/F1", "F1", Money(Decimal("99.50"), eur))
    assert judge(truth, _proposal(line, (partial,))) is Verdict.WRONG_AMOUNTS
