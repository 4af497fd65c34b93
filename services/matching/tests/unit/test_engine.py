"""The matching engine on small hand-written ledgers: every shape of payment, every rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_matching.domain.engine import (
    CONFIDENCE,
    CONFLICT_CAP,
    DIGITS_ONLY_PENALTY,
    DOUBT_CAP,
    FX_PENALTY,
    MatchConfig,
    _one_edit_apart,
    _penalised,
    match,
)
from opendso_matching.domain.index import MatchIndex, normalise_iban
from opendso_matching.domain.model import Customer, OpenItem, Outcome, Payment, Proposal
from opendso_matching.domain.names import MAX_CUSTOMERS_PER_WORD
from opendso_money import Money

D = Decimal
ENTITY = "FR01"
OTHER_ENTITY = "DE01"
BOOKED = date(2024, 4, 15)
AUTO = MatchConfig().auto_apply_at

DUPONT_IBAN = "FR76 3000 6000 0112 3456 7890 189"
MULLER_IBAN = "DE89 3704 0044 0532 0130 00"
UNKNOWN_IBAN = "BE68 5390 0754 7034"

CUSTOMERS = [
    Customer("C1", ENTITY, "Dupont Frères SARL"),
    Customer("C2", ENTITY, "Müller Maschinenbau GmbH"),
    Customer("C3", ENTITY, "Kowalski Sp. z o.o."),
    Customer("C9", OTHER_ENTITY, "Dupont Frères GmbH"),
]


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def item(
    item_id: str,
    number: str,
    amount: str,
    *,
    customer: str = "C1",
    due: date = date(2024, 3, 31),
    currency: str = "EUR",
    reference: str = "",
    entity: str = ENTITY,
) -> OpenItem:
    return OpenItem(
        item_id=item_id,
        customer_id=customer,
        entity=entity,
        number=number,
        kind="credit_note" if amount.startswith("-") else "invoice",
        due_date=due,
        open_amount=Money.of(amount, currency),
        reference=reference,
    )


def ledger(
    *items: OpenItem, ibans: Iterable[tuple[str, str]] = (), aliases: Iterable[tuple[str, str]] = ()
) -> MatchIndex:
    index = MatchIndex()
    for customer in CUSTOMERS:
        index.add_customer(customer)
    for iban, customer_id in ibans:
        index.add_iban(iban, customer_id)
    for customer_id, alias in aliases:
        index.add_alias(customer_id, alias)
    index.add_items(items)
    return index


def pay(
    amount: str,
    text: str = "",
    *,
    currency: str = "EUR",
    iban: str = "",
    name: str = "",
    structured: str = "",
    structured_type: str = "",
    entity: str = ENTITY,
) -> Payment:
    return Payment(
        transaction_id="T1",
        entity=entity,
        booking_date=BOOKED,
        amount=Money.of(amount, currency),
        counterparty_name=name,
        counterparty_iban=iban,
        remittance_text=text,
        structured_reference=structured,
        structured_reference_type=structured_type,
    )


@dataclass
class Rates:
    """A rate table that remembers what it was asked."""

    table: dict[tuple[str, str], Decimal]
    asked: list[tuple[str, str, date]] = field(default_factory=list)

    def __call__(self, source: str, target: str, on: date) -> Decimal | None:
        self.asked.append((source, target, on))
        return self.table.get((source, target))


def run(payment: Payment, index: MatchIndex, rates: Rates | None = None) -> Proposal:
    proposal = match(payment, index, rates=rates)
    check_consistent(proposal, payment, index)
    return proposal


def check_consistent(proposal: Proposal, payment: Payment, index: MatchIndex) -> None:
    """What holds of every proposal, whatever the payment."""
    assert D(0) <= proposal.confidence <= D(1)
    assert proposal.transaction_id == payment.transaction_id
    assert proposal.reasons
    if proposal.outcome in (Outcome.APPLY, Outcome.REVIEW) and proposal.customer_id is not None:
        decided = Outcome.APPLY if proposal.confidence >= AUTO else Outcome.REVIEW
        assert proposal.outcome is decided
    if proposal.outcome is Outcome.APPLY:
        assert proposal.customer_id is not None
    for allocation in proposal.allocations:
        held = index.item(allocation.item_id)
        assert held is not None
        assert held.customer_id == proposal.customer_id
        assert held.entity == payment.entity
        assert allocation.item_number == held.number
        settled = allocation.amount + (allocation.write_off or Money.zero(allocation.amount.currency))
        # Never more than the item owes, and in the same direction.
        assert abs(settled.amount) <= abs(held.open_amount.amount)
        assert (settled.amount >= 0) == (held.open_amount.amount >= 0)
        if held.open_amount.amount > 0:
            assert allocation.amount.amount >= 0
        if allocation.write_off is not None:
            assert allocation.write_off.amount > 0
    if proposal.allocations:
        # What is allocated and what stays unallocated add up to the payment (in the items' currency).
        currency = proposal.allocations[0].amount.currency
        total = proposal.unallocated
        for allocation in proposal.allocations:
            total = total + allocation.amount
        paid = payment.amount
        if proposal.rate is not None:
            paid = Money((paid.amount * proposal.rate).quantize(D("0.01")), currency)
        assert total == paid
        assert proposal.unallocated.amount >= 0


def allocated(proposal: Proposal) -> list[tuple[str, Money, Money | None]]:
    return [(a.item_id, a.amount, a.write_off) for a in proposal.allocations]


def mentions(proposal: Proposal, *words: str) -> bool:
    text = " | ".join(proposal.reasons)
    return all(w in text for w in words)


# --- one payment, one item -------------------------------------------------------------------------------


def test_reference_and_exact_amount_apply() -> None:
    index = ledger(item("i1", "F-2024/000123", "1190.00"), item("i2", "F-2024/000124", "500.00"))
    proposal = run(pay("1190.00", "Rechnung F-2024/000123"), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][0]
    assert proposal.customer_id == "C1"
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]
    assert proposal.unallocated == eur("0")
    assert proposal.rate is None
    assert mentions(proposal, "F-2024/000123 found in the remittance text", "exactly")


@pytest.mark.parametrize("text", ["INV 2024 000123", "fa.2024000123", "Zahlung 2024000123"])
def test_a_reference_found_by_its_digits_only_costs_a_little(text: str) -> None:
    index = ledger(item("i1", "F-2024/000123", "1190.00"))
    proposal = run(pay("1190.00", text), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][0] - DIGITS_ONLY_PENALTY
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]
    assert mentions(proposal, "(digits only)")


def test_known_iban_raises_the_confidence_of_a_reference() -> None:
    index = ledger(item("i1", "F-2024/000123", "1190.00"), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("1190.00", "F-2024/000123", iban=DUPONT_IBAN.replace(" ", "")), index)
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][1]
    assert mentions(proposal, "IBAN", "known for C1")


def test_reference_with_a_short_payment_within_the_tolerance() -> None:
    index = ledger(item("i1", "F-2024/000123", "1190.00"))
    alone = run(pay("1188.50", "F-2024/000123"), index)
    assert alone.outcome is Outcome.REVIEW
    assert alone.confidence == CONFIDENCE["reference_within_tolerance"][0]
    assert allocated(alone) == [("i1", eur("1188.50"), eur("1.50"))]
    assert mentions(alone, "short by 1.50 EUR")

    index = ledger(item("i1", "F-2024/000123", "1190.00"), ibans=[(DUPONT_IBAN, "C1")])
    corroborated = run(pay("1188.50", "F-2024/000123", iban=DUPONT_IBAN), index)
    assert corroborated.outcome is Outcome.APPLY
    assert corroborated.confidence == CONFIDENCE["reference_within_tolerance"][1]


# --- several items ---------------------------------------------------------------------------------------


def test_several_items_named_and_paid_together() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "1190.00", due=date(2024, 3, 1)),
        item("i2", "F-2024/000124", "310.00", due=date(2024, 3, 15)),
        item("i3", "F-2024/000125", "99.00"),
    )
    proposal = run(pay("1500.00", "Rechnungen F-2024/000124 und F-2024/000123"), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][0]
    # Oldest first, whatever the order in the text.
    assert allocated(proposal) == [("i1", eur("1190.00"), None), ("i2", eur("310.00"), None)]
    assert mentions(proposal, "F-2024/000123", "F-2024/000124")


def test_payer_names_more_invoices_than_it_pays() -> None:
    items = (
        item("i1", "F-2024/000301", "100.00", due=date(2024, 3, 1)),
        item("i2", "F-2024/000302", "250.00", due=date(2024, 3, 2)),
        item("i3", "F-2024/000303", "400.00", due=date(2024, 3, 3)),
    )
    text = "F-2024/000301 F-2024/000302 F-2024/000303"
    alone = run(pay("500.00", text), ledger(*items))
    assert alone.outcome is Outcome.REVIEW
    assert alone.confidence == CONFIDENCE["reference_subset"][0]
    assert set(alone.allocated_items) == {"i1", "i3"}
    assert alone.unallocated == eur("0")
    assert mentions(alone, "owe together")

    corroborated = run(pay("500.00", text, iban=DUPONT_IBAN), ledger(*items, ibans=[(DUPONT_IBAN, "C1")]))
    assert corroborated.outcome is Outcome.APPLY
    assert corroborated.confidence == CONFIDENCE["reference_subset"][1]
    assert allocated(corroborated) == [("i1", eur("100.00"), None), ("i3", eur("400.00"), None)]


def test_payer_names_two_invoices_and_pays_exactly_one() -> None:
    index = ledger(item("i1", "F-2024/000301", "100.00"), item("i2", "F-2024/000302", "250.00"))
    proposal = run(pay("250.00", "F-2024/000301, F-2024/000302"), index)
    assert allocated(proposal) == [("i2", eur("250.00"), None)]
    assert proposal.confidence == CONFIDENCE["reference_subset"][0]
    assert mentions(proposal, "exactly what F-2024/000302 still owes")


def test_write_off_never_turns_an_allocation_negative() -> None:
    index = ledger(
        item("i1", "F-2024/000401", "100.00", due=date(2024, 3, 1)),
        item("i2", "F-2024/000402", "1.00", due=date(2024, 3, 20)),
    )
    proposal = run(pay("99.50", "F-2024/000401 F-2024/000402"), index)
    assert proposal.customer_id == "C1"
    # 1.50 short on 101.00: the small young invoice cannot carry it, the older one does.
    assert allocated(proposal) == [("i1", eur("98.50"), eur("1.50")), ("i2", eur("1.00"), None)]


def test_named_items_in_another_currency_are_left_out() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "1190.00"),
        item("i2", "F-2024/000124", "500.00", currency="USD"),
    )
    proposal = run(pay("1190.00", "F-2024/000123 F-2024/000124"), index)
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]
    assert mentions(proposal, "F-2024/000124 not in EUR")


# --- partial and over-payments ---------------------------------------------------------------------------


def test_partial_payment_then_a_second_partial_on_what_is_left() -> None:
    index = ledger(item("i1", "F-2024/000500", "1000.00"), ibans=[(DUPONT_IBAN, "C1")])
    first = run(pay("400.00", "acompte F-2024/000500", iban=DUPONT_IBAN), index)
    assert first.outcome is Outcome.APPLY
    assert first.confidence == CONFIDENCE["reference_partial_one"][1]
    assert allocated(first) == [("i1", eur("400.00"), None)]
    assert first.unallocated == eur("0")
    assert mentions(first, "pays part of the 1000.00 EUR")

    index.reduce("i1", eur("400.00"))
    reduced = index.item("i1")
    assert reduced is not None
    assert reduced.open_amount == eur("600.00")

    second = run(pay("350.00", "F-2024/000500", iban=DUPONT_IBAN), index)
    assert allocated(second) == [("i1", eur("350.00"), None)]
    assert mentions(second, "pays part of the 600.00 EUR")

    index.reduce("i1", eur("350.00"))
    last = run(pay("250.00", "F-2024/000500 solde", iban=DUPONT_IBAN), index)
    assert last.confidence == CONFIDENCE["reference_exact_amount"][1]
    assert allocated(last) == [("i1", eur("250.00"), None)]


def test_partial_payment_without_a_second_evidence_is_reviewed() -> None:
    index = ledger(item("i1", "F-2024/000500", "1000.00"))
    proposal = run(pay("400.00", "F-2024/000500"), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["reference_partial_one"][0]


def test_partial_payment_of_several_items_pays_the_oldest_first() -> None:
    index = ledger(
        item("i1", "F-2024/000601", "300.00", due=date(2024, 2, 1)),
        item("i2", "F-2024/000602", "300.00", due=date(2024, 3, 1)),
        item("c1", "AV-2024/000007", "-50.00", due=date(2024, 3, 5)),
    )
    proposal = run(pay("400.00", "F-2024/000602 F-2024/000601 AV-2024/000007"), index)
    assert proposal.confidence == CONFIDENCE["reference_partial_several"][0]
    # The credit note adds to what there is to share: 400 + 50 = 300 + 150.
    assert allocated(proposal) == [
        ("c1", eur("-50.00"), None),
        ("i1", eur("300.00"), None),
        ("i2", eur("150.00"), None),
    ]


def test_overpayment_leaves_the_rest_unallocated_on_the_customer() -> None:
    index = ledger(item("i1", "F-2024/000700", "500.00"))
    proposal = run(pay("550.00", "F-2024/000700", name="DUPONT FRERES"), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_overpaid"][1]
    assert proposal.customer_id == "C1"
    assert allocated(proposal) == [("i1", eur("500.00"), None)]
    assert proposal.unallocated == eur("50.00")
    assert mentions(proposal, "50.00 EUR stays unallocated", "counterparty name 'DUPONT FRERES' fits")


def test_only_credit_notes_named_leaves_the_payment_unallocated() -> None:
    index = ledger(item("c1", "AV-2024/000007", "-200.00"), item("i1", "F-2024/000800", "200.00"))
    proposal = run(pay("200.00", "AV-2024/000007"), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.allocations == ()
    assert proposal.unallocated == eur("200.00")
    assert proposal.customer_id == "C1"
    assert mentions(proposal, "owe nothing")


def test_a_number_read_whole_after_its_digits_is_no_digits_only_match() -> None:
    # "INV" before the number makes a longer run whose digits come first; the number itself is there too.
    index = ledger(item("i1", "F-2024/000123", "1190.00"))
    proposal = run(pay("1190.00", "INV F2024000123"), index)
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][0]
    assert not mentions(proposal, "(digits only)")


# --- credit notes ----------------------------------------------------------------------------------------


def credit_on_invoice() -> tuple[OpenItem, OpenItem]:
    """An invoice and a credit note whose reference is that invoice's number, as ERPs record them."""
    return (
        item("i1", "DE01-2026-080447", "1000.00", due=date(2024, 3, 1)),
        item("cn", "DE01-CN-2026-007351", "-200.00", due=date(2024, 3, 10), reference="DE01-2026-080447"),
    )


def test_invoice_and_credit_note_both_listed() -> None:
    index = ledger(*credit_on_invoice(), item("i9", "DE01-2026-007351", "800.00"))
    proposal = run(pay("800.00", "Rg. DE01-2026-080447 abzgl. Gutschrift DE01-CN-2026-007351"), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][0]
    assert allocated(proposal) == [("i1", eur("1000.00"), None), ("cn", eur("-200.00"), None)]


def test_a_credit_note_on_the_named_invoice_is_netted_when_the_amount_says_so() -> None:
    index = ledger(*credit_on_invoice(), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("800.00", "Rechnung DE01-2026-080447", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_credit_netted"][1]
    assert allocated(proposal) == [("i1", eur("1000.00"), None), ("cn", eur("-200.00"), None)]
    assert mentions(proposal, "less DE01-CN-2026-007351")

    alone = run(pay("800.00", "Rechnung DE01-2026-080447"), ledger(*credit_on_invoice()))
    assert alone.outcome is Outcome.REVIEW
    assert alone.confidence == CONFIDENCE["reference_credit_netted"][0]


@pytest.mark.parametrize(("amount", "write_off"), [("1000.00", None), ("998.80", eur("1.20"))])
def test_a_credit_note_on_the_named_invoice_is_left_alone_when_the_invoice_is_paid(
    amount: str, write_off: Money | None
) -> None:
    index = ledger(*credit_on_invoice(), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay(amount, "Rechnung DE01-2026-080447", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert allocated(proposal) == [("i1", eur(amount), write_off)]
    assert proposal.unallocated == eur("0")


def test_a_credit_note_on_the_named_invoice_is_left_alone_on_a_partial_payment() -> None:
    index = ledger(*credit_on_invoice(), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("500.00", "Rechnung DE01-2026-080447", iban=DUPONT_IBAN), index)
    assert allocated(proposal) == [("i1", eur("500.00"), None)]


def test_an_unnamed_credit_note_netted_to_the_cent() -> None:
    index = ledger(
        item("i1", "F-2024/000900", "4733.42", due=date(2024, 3, 1)),
        item("cn", "AV-2024/000011", "-378.70", due=date(2024, 3, 9), reference="F-2024/000777"),
        item("c2", "AV-2024/000012", "-50.00", due=date(2024, 3, 9)),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("4354.72", "Ref F-2024/000900", iban=DUPONT_IBAN), index)
    assert proposal.confidence == CONFIDENCE["reference_credit_netted"][1]
    assert allocated(proposal) == [("i1", eur("4733.42"), None), ("cn", eur("-378.70"), None)]
    assert mentions(proposal, "less the credit note AV-2024/000011")

    # A cent off: a partial payment, the credit note is not touched.
    off = run(pay("4354.71", "Ref F-2024/000900", iban=DUPONT_IBAN), index)
    assert allocated(off) == [("i1", eur("4354.71"), None)]


def test_two_unnamed_credit_notes_that_could_be_netted_are_not_guessed() -> None:
    index = ledger(
        item("i1", "F-2024/000900", "1000.00"),
        item("c1", "AV-2024/000011", "-200.00"),
        item("c2", "AV-2024/000012", "-200.00"),
    )
    proposal = run(pay("800.00", "F-2024/000900"), index)
    assert allocated(proposal) == [("i1", eur("800.00"), None)]
    assert proposal.confidence == CONFIDENCE["reference_partial_one"][0]


# --- the customer by IBAN or name, then the amount -------------------------------------------------------


def test_credit_note_netted_balance_paid_by_a_known_iban() -> None:
    index = ledger(
        item("i1", "F-2024/000900", "1000.00", due=date(2024, 3, 1)),
        item("c1", "AV-2024/000010", "-200.00", due=date(2024, 3, 10)),
        item("x1", "F-2024/000901", "800.00", customer="C2"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("800.00", "virement", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["whole_balance"][1]
    assert proposal.customer_id == "C1"
    assert allocated(proposal) == [("i1", eur("1000.00"), None), ("c1", eur("-200.00"), None)]
    assert mentions(proposal, "known for C1", "whole open balance")


def test_known_iban_and_a_unique_amount() -> None:
    index = ledger(
        item("i1", "F-2024/001001", "300.00"),
        item("i2", "F-2024/001002", "450.00"),
        item("i3", "F-2024/001003", "700.00"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("450.00", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["one_item_amount"][1]
    assert allocated(proposal) == [("i2", eur("450.00"), None)]
    assert mentions(proposal, "only item of that amount")


def test_known_iban_and_several_items_of_the_same_amount() -> None:
    index = ledger(
        item("i1", "F-2024/001101", "450.00", due=date(2024, 3, 20)),
        item("i2", "F-2024/001102", "450.00", due=date(2024, 2, 20)),
        item("i3", "F-2024/001103", "450.00", due=date(2024, 4, 20)),
        item("i4", "F-2024/001104", "700.00"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("450.00", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["same_amount_several_items"][1]
    assert allocated(proposal) == [("i2", eur("450.00"), None)]
    assert proposal.alternatives == ("i1", "i3")
    assert mentions(proposal, "oldest is proposed")


def test_known_iban_and_a_subset_of_the_open_items() -> None:
    index = ledger(
        item("i1", "F-2024/001201", "120.00", due=date(2024, 2, 1)),
        item("i2", "F-2024/001202", "380.00", due=date(2024, 2, 2)),
        item("i3", "F-2024/001203", "999.00", due=date(2024, 2, 3)),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("500.00", iban=DUPONT_IBAN), index)
    assert proposal.confidence == CONFIDENCE["subset_of_items"][1]
    assert allocated(proposal) == [("i1", eur("120.00"), None), ("i2", eur("380.00"), None)]


def test_known_iban_and_several_subsets_of_the_amount() -> None:
    index = ledger(
        item("i1", "F-2024/001201", "100.00", due=date(2024, 2, 1)),
        item("i2", "F-2024/001202", "200.00", due=date(2024, 2, 2)),
        item("i3", "F-2024/001203", "150.00", due=date(2024, 2, 3)),
        item("i4", "F-2024/001204", "150.00", due=date(2024, 2, 4)),
        item("i5", "F-2024/001205", "999.00", due=date(2024, 2, 5)),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("300.00", iban=DUPONT_IBAN), index)
    # Not recorded as money on account: a collector picks the set.
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["several_subsets"][1]
    proposed = set(proposal.allocated_items)
    assert proposed in ({"i1", "i2"}, {"i3", "i4"})
    assert set(proposal.alternatives) == {"i1", "i2", "i3", "i4"} - proposed
    assert mentions(proposal, "several sets add up to it")


def test_known_iban_and_one_item_within_the_tolerance() -> None:
    index = ledger(
        item("i1", "F-2024/001301", "300.00"),
        item("i2", "F-2024/001302", "1000.00"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("998.75", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["one_item_within_tolerance"][1]
    assert allocated(proposal) == [("i2", eur("998.75"), eur("1.25"))]


def test_known_iban_and_nothing_fits_records_an_unallocated_payment() -> None:
    index = ledger(item("i1", "F-2024/001401", "300.00"), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("123.45", iban=DUPONT_IBAN), index)
    assert proposal.confidence == CONFIDENCE["nothing_fits"][1]
    assert proposal.customer_id == "C1"
    assert proposal.allocations == ()
    assert proposal.unallocated == eur("123.45")
    assert mentions(proposal, "no open item fits")


def test_a_strong_name_names_the_customer_but_does_not_apply_alone() -> None:
    index = ledger(item("i1", "F-2024/001501", "450.00", customer="C2"), item("i2", "F-2024/001502", "450.00"))
    proposal = run(pay("450.00", name="MUELLER MASCHINENBAU GMBH"), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.customer_id == "C2"
    assert proposal.confidence == CONFIDENCE["one_item_amount"][0]
    assert allocated(proposal) == [("i1", eur("450.00"), None)]
    assert mentions(proposal, "is Müller Maschinenbau GmbH")


def test_an_alias_names_the_customer() -> None:
    index = ledger(item("i1", "F-2024/001601", "75.00", customer="C3"), aliases=[("C3", "KOWALSKI TRADING WARSZAWA")])
    proposal = run(pay("75.00", name="KOWALSKI TRADING WARSZAWA"), index)
    assert proposal.customer_id == "C3"
    assert allocated(proposal) == [("i1", eur("75.00"), None)]


def test_a_resembling_name_only_suggests_a_customer() -> None:
    index = ledger(item("i1", "F-2024/001701", "75.00"))
    # Two customers of the same distinctive name: the name alone cannot tell them apart.
    index.add_customer(Customer("C4", ENTITY, "Dupont Frères SAS"))
    proposal = run(pay("75.00", name="DUPONT FRERES"), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == D("0.30")
    assert proposal.customer_id == "C1"
    assert proposal.allocations == ()
    # Alternatives are items, not customers: the other resembling customer is in the reasons.
    assert proposal.alternatives == ()
    assert mentions(proposal, "resembles", "'Dupont Frères SARL'", "'Dupont Frères SAS'")


# --- typos and short numbers once the customer is known --------------------------------------------------


def test_one_character_typo_with_the_customer_known() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "1190.00"),
        item("i2", "F-2024/000777", "1190.00"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("1190.00", "Rechnung F-2024/000132", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["typo_reference"][1]
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]
    assert mentions(proposal, "F-2024/000123 with one character off")


def test_typo_in_a_number_quoted_without_its_prefix() -> None:
    index = ledger(
        item("i1", "INV-2024-0457", "1190.00"),
        item("i2", "INV-2024-0458", "1190.00"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("1190.00", "INV 2024-0475", iban=DUPONT_IBAN), index)
    assert proposal.confidence == CONFIDENCE["typo_reference"][1]
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]
    assert mentions(proposal, "INV-2024-0457")


@pytest.mark.parametrize(
    ("amount", "expected", "rest"),
    [("400.00", eur("400.00"), eur("0")), ("1050.00", eur("1000.00"), eur("50.00"))],
)
def test_typo_reference_with_another_amount_is_proposed_not_put_on_account(
    amount: str, expected: Money, rest: Money
) -> None:
    index = ledger(item("i1", "F-2024/000123", "1000.00"), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay(amount, "Acompte F-2024/000132", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["typo_reference_amount_differs"][1]
    assert allocated(proposal) == [("i1", expected, None)]
    assert proposal.unallocated == rest
    assert mentions(proposal, "one character off", "is not what F-2024/000123 owe")


def test_typo_with_the_customer_known_by_name_is_reviewed() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "1190.00", customer="C2"), item("i2", "F-2024/000124", "1190.00", customer="C2")
    )
    proposal = run(pay("1190.00", "F2024000132", name="Müller Maschinenbau"), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["typo_reference"][0]
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]


def test_a_short_number_names_the_known_customers_item() -> None:
    index = ledger(
        item("i1", "42", "80.00"),
        item("i2", "43", "80.00"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("80.00", "Rechnung 42", iban=DUPONT_IBAN), index)
    assert allocated(proposal) == [("i1", eur("80.00"), None)]
    assert mentions(proposal, "'42' in the remittance text is the number of 42")


def test_a_short_number_finds_nobody_s_item_by_itself() -> None:
    index = ledger(item("i1", "12", "80.00", customer="C2"))
    proposal = run(pay("80.00", "Zahlung 12 Rechnungen"), index)
    assert proposal.outcome is Outcome.SUSPENSE
    assert proposal.allocations == ()


# --- structured references -------------------------------------------------------------------------------


def test_rf_creditor_reference_matches_the_items_reference() -> None:
    index = ledger(
        item("i1", "F-2024/000200", "640.00", reference="RF18 5390 0754 7034"),
        item("i2", "F-2024/000201", "640.00"),
    )
    proposal = run(pay("640.00", structured="RF18539007547034", structured_type="RF"), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][0]
    assert allocated(proposal) == [("i1", eur("640.00"), None)]
    assert mentions(proposal, "F-2024/000200 found in the RF reference RF18539007547034")


def test_rf_reference_in_the_text_printed_in_groups() -> None:
    index = ledger(item("i1", "F-2024/000200", "640.00", reference="RF18539007547034"))
    proposal = run(pay("640.00", "Ref RF18 5390 0754 7034"), index)
    assert allocated(proposal) == [("i1", eur("640.00"), None)]
    assert proposal.outcome is Outcome.APPLY


def test_czech_variable_symbol_matches_the_items_reference() -> None:
    index = ledger(item("i1", "FV-2024-17", "12100.00", currency="CZK", reference="2024000017", customer="C3"))
    proposal = run(
        pay("12100.00", currency="CZK", structured="0002024000017", structured_type="CZ_VS"),
        index,
    )
    assert proposal.outcome is Outcome.APPLY
    assert proposal.customer_id == "C3"
    assert allocated(proposal) == [("i1", Money.of("12100.00", "CZK"), None)]
    assert mentions(proposal, "CZ_VS reference 0002024000017")


# --- conflicts and what is not matched -------------------------------------------------------------------


def test_reference_to_another_customer_than_the_known_iban() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "1190.00"),
        item("x1", "F-2024/009999", "1190.00", customer="C2"),
        ibans=[(MULLER_IBAN, "C2")],
    )
    proposal = run(pay("1190.00", "F-2024/000123", iban=MULLER_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence <= CONFLICT_CAP
    assert proposal.customer_id == "C1"
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]
    assert mentions(proposal, "known for another customer, C2")


def test_references_to_several_customers_are_settled_by_the_iban() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "100.00"),
        item("x1", "F-2024/000124", "200.00", customer="C2"),
        ibans=[(MULLER_IBAN, "C2")],
    )
    proposal = run(pay("200.00", "F-2024/000123 F-2024/000124", iban=MULLER_IBAN), index)
    assert proposal.customer_id == "C2"
    assert allocated(proposal) == [("x1", eur("200.00"), None)]
    assert mentions(proposal, "C2 is the payer's")


def test_references_to_several_customers_without_a_tie_breaker() -> None:
    index = ledger(item("i1", "F-2024/000123", "100.00"), item("x1", "F-2024/000124", "200.00", customer="C2"))
    proposal = run(pay("300.00", "F-2024/000123 F-2024/000124"), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.customer_id is None
    assert proposal.allocations == ()
    assert mentions(proposal, "several customers: C1, C2")


def test_an_already_paid_item_quoted_is_reviewed_not_applied_elsewhere() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "0.00"),
        item("i2", "F-2024/000150", "1190.00"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("1190.00", "Rechnung F-2024/000123", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.customer_id == "C1"
    assert proposal.allocations == ()
    assert proposal.unallocated == eur("1190.00")
    reasons = [r for r in proposal.reasons if "already paid" in r]
    assert reasons == ["F-2024/000123 is named in the remittance text but is already paid"]


def test_an_already_paid_item_quoted_by_an_unknown_payer_still_names_its_customer() -> None:
    index = ledger(item("i1", "F-2024/000123", "0.00"))
    proposal = run(pay("1190.00", "F-2024/000123"), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.customer_id == "C1"
    assert proposal.unallocated == eur("1190.00")
    assert mentions(proposal, "already paid")


def test_an_open_item_beside_a_paid_one_is_still_paid() -> None:
    index = ledger(item("i1", "F-2024/000123", "0.00"), item("i2", "F-2024/000124", "310.00"))
    proposal = run(pay("310.00", "F-2024/000123 F-2024/000124"), index)
    assert proposal.outcome is Outcome.APPLY
    assert allocated(proposal) == [("i2", eur("310.00"), None)]
    assert mentions(proposal, "already paid")


def test_no_evidence_goes_to_suspense() -> None:
    index = ledger(item("i1", "F-2024/000123", "1190.00"), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("1190.00", "merci", iban=UNKNOWN_IBAN, name="JOHN SMITH"), index)
    assert proposal.outcome is Outcome.SUSPENSE
    assert proposal.confidence == 0
    assert proposal.customer_id is None
    assert proposal.allocations == ()
    assert proposal.unallocated == eur("1190.00")
    assert mentions(proposal, "no reference, known IBAN or customer name")


@pytest.mark.parametrize("amount", ["-1190.00", "0.00"])
def test_money_paid_out_is_ignored(amount: str) -> None:
    index = ledger(item("i1", "F-2024/000123", "1190.00"), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay(amount, "F-2024/000123", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.IGNORED
    assert proposal.confidence == 0
    assert proposal.customer_id is None
    assert proposal.allocations == ()
    assert mentions(proposal, "paid out")


def test_another_entitys_item_is_not_matched() -> None:
    index = ledger(item("x9", "F-2024/000999", "1190.00", customer="C9", entity=OTHER_ENTITY))
    proposal = run(pay("1190.00", "F-2024/000999"), index)
    assert proposal.outcome is Outcome.SUSPENSE
    assert proposal.allocations == ()


def test_another_entitys_iban_and_name_are_no_evidence() -> None:
    index = ledger(
        item("x9", "F-2024/000999", "1190.00", customer="C9", entity=OTHER_ENTITY),
        ibans=[(DUPONT_IBAN, "C9")],
    )
    proposal = run(pay("1190.00", iban=DUPONT_IBAN, name="DUPONT FRERES GMBH"), index)
    assert proposal.customer_id != "C9"
    assert proposal.allocations == ()


# --- currencies ------------------------------------------------------------------------------------------


def test_foreign_currency_payment_converted_at_the_days_rate() -> None:
    index = ledger(item("i1", "F-2024/000123", "1190.00"), ibans=[(DUPONT_IBAN, "C1")])
    rates = Rates({("USD", "EUR"): D("1.19")})
    proposal = run(pay("1000.00", "F-2024/000123", currency="USD", iban=DUPONT_IBAN), index, rates)
    assert rates.asked == [("USD", "EUR", BOOKED)]
    assert proposal.rate == D("1.19")
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][1] - FX_PENALTY
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]
    assert mentions(proposal, "1000.00 USD is 1190.00 EUR at 1.19")


def test_converted_payment_gets_the_fx_tolerance() -> None:
    index = ledger(item("i1", "F-2024/001800", "1000.00"), ibans=[(DUPONT_IBAN, "C1")])
    rates = Rates({("USD", "EUR"): D("0.99")})
    # 1000 USD at 0.99 is 990.00 EUR: 10 short, within the 1.5 % a conversion allows.
    proposal = run(pay("1000.00", "F-2024/001800", currency="USD", iban=DUPONT_IBAN), index, rates)
    assert allocated(proposal) == [("i1", eur("990.00"), eur("10.00"))]
    # The same shortfall in the items' own currency is a partial payment.
    same = run(pay("990.00", "F-2024/001800", iban=DUPONT_IBAN), index)
    assert allocated(same) == [("i1", eur("990.00"), None)]
    assert same.rate is None


def test_foreign_currency_payment_without_a_rate_is_reviewed() -> None:
    index = ledger(item("i1", "F-2024/000123", "1190.00"), ibans=[(DUPONT_IBAN, "C1")])
    for rates in (None, Rates({})):
        proposal = run(pay("1000.00", "F-2024/000123", currency="USD", iban=DUPONT_IBAN), index, rates)
        assert proposal.outcome is Outcome.REVIEW
        assert proposal.customer_id == "C1"
        assert proposal.allocations == ()
        assert proposal.unallocated == Money.of("1000.00", "USD")
        assert mentions(proposal, "no rate for 2024-04-15")


def test_foreign_currency_payment_to_a_known_iban_without_reference() -> None:
    index = ledger(item("i1", "F-2024/001900", "595.00"), ibans=[(DUPONT_IBAN, "C1")])
    rates = Rates({("CHF", "EUR"): D("1.05")})
    proposal = run(pay("566.67", currency="CHF", iban=DUPONT_IBAN), index, rates)
    # 566.67 CHF is 595.00 EUR (595.0035 rounded).
    assert allocated(proposal) == [("i1", eur("595.00"), None)]
    assert proposal.confidence == CONFIDENCE["one_item_amount"][1] - FX_PENALTY
    assert proposal.outcome is Outcome.APPLY


# --- the index -------------------------------------------------------------------------------------------


def test_index_lookups_normalise_ibans_and_keep_paid_items() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "0.00"), item("i2", "F-2024/000124", "10.00"), ibans=[(DUPONT_IBAN, "C1")]
    )
    assert index.customer_of_iban(DUPONT_IBAN.replace(" ", "").lower()) == "C1"
    assert index.customer_of_iban("") is None
    assert [i.item_id for i in index.items_of("C1")] == ["i1", "i2"]
    assert [i.item_id for i in index.open_items_of("C1")] == ["i2"]
    assert [i.item_id for i in index.items_by_key("2024000123")] == ["i1"]
    assert len(index) == 2


@pytest.mark.parametrize(
    "iban", ["DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "de89370400440532013000", "1234", "ÄB12", ""]
)
def test_an_iban_as_banks_send_it_is_its_own_normal_form(iban: str) -> None:
    assert normalise_iban(iban) == "".join(iban.split()).upper()


@pytest.mark.parametrize("grade", sorted(CONFIDENCE))
def test_penalised_grades_are_the_grades_less_the_penalties(grade: str) -> None:
    for digits_only in (False, True):
        for converted in (False, True):
            penalty = (DIGITS_ONLY_PENALTY if digits_only else Decimal(0)) + (FX_PENALTY if converted else Decimal(0))
            assert _penalised(grade, digits_only, converted) == tuple(g - penalty for g in CONFIDENCE[grade])


def test_index_replacing_an_item_moves_its_keys() -> None:
    index = ledger(item("i1", "F-2024/000123", "100.00"))
    index.add_item(item("i1", "F-2024/000123", "60.00"))
    assert len(index.items_by_key("F2024000123")) == 1
    index.add_item(item("i1", "F-2024/000555", "60.00", customer="C2"))
    assert index.items_by_key("F2024000123") == []
    assert [i.item_id for i in index.items_by_key("F2024000555")] == ["i1"]
    assert index.items_of("C1") == []
    assert [i.open_amount for i in index.items_of("C2")] == [eur("60.00")]


def test_index_key_shared_by_several_items() -> None:
    # The credit note's reference is the invoice's number: that key finds both, in the order added.
    index = ledger(item("i1", "F-2024/000123", "100.00"), item("c1", "AV-77", "-100.00", reference="F-2024/000123"))
    assert [i.item_id for i in index.items_by_key("F2024000123")] == ["i1", "c1"]
    found = index.items_by_keys(["AV77", "F2024000123", "UNKNOWN"])
    assert [(key, i.item_id) for key, i in found] == [("AV77", "c1"), ("F2024000123", "i1"), ("F2024000123", "c1")]
    index.add_item(item("c1", "AV-77", "-100.00", reference="F-2024/000999"))
    assert [i.item_id for i in index.items_by_key("F2024000123")] == ["i1"]
    index.add_item(item("i1", "F-2024/000124", "100.00"))
    assert index.items_by_key("F2024000123") == []
    index.add_item(item("i2", "F-2024/000123", "5.00"))
    assert [i.item_id for i in index.items_by_key("F2024000123")] == ["i2"]


def test_index_keys_given_as_an_iterator_or_to_a_batch_view() -> None:
    # The keys that find something are asked for first: an iterator is read once, the order is the keys'.
    index = ledger(item("i1", "F-2024/000123", "100.00"), item("c1", "AV-77", "-100.00", reference="F-2024/000123"))
    expected = [("AV77", "c1"), ("F2024000123", "i1"), ("F2024000123", "c1")]
    keys = ["UNKNOWN", "AV77", "F2024000123", "UNKNOWN2"]
    assert [(key, i.item_id) for key, i in index.items_by_keys(iter(keys))] == expected
    assert index.items_by_keys(iter(["UNKNOWN"])) == []
    view = index.batch_view(index)
    view.reduce("i1", eur("40.00"))
    found = view.items_by_keys(k for k in keys)
    assert [(key, i.item_id) for key, i in found] == expected
    assert found[1][1].open_amount == eur("60.00")
    assert view.items_by_keys(()) == []


# --- typos that name another existing item ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text", "meant"),
    [
        # "000124" written for "000123": more than 000124 owes, exactly what 000123 owes.
        ("1000.00", "Rechnung F-2024/000124", "i1"),
        # "000123" written for "000124": less than 000123 owes, exactly what 000124 owes.
        ("250.00", "Rechnung F-2024/000123", "i2"),
    ],
)
def test_a_typo_naming_the_customers_other_invoice_pays_the_one_the_amount_fits(
    amount: str, text: str, meant: str
) -> None:
    # Invoices issued together have neighbouring numbers: one digit off names the customer's other invoice.
    index = ledger(
        item("i1", "F-2024/000123", "1000.00"), item("i2", "F-2024/000124", "250.00"), ibans=[(DUPONT_IBAN, "C1")]
    )
    proposal = run(pay(amount, text, iban=DUPONT_IBAN), index)
    assert allocated(proposal) == [(meant, eur(amount), None)]
    assert proposal.unallocated == eur("0")
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_typo_of_sibling"][1]
    assert mentions(proposal, "one character away from it")


def test_a_sibling_the_amount_only_comes_near_is_proposed_not_applied() -> None:
    index = ledger(
        item("i1", "F-2024/000123", "1000.00"), item("i2", "F-2024/000124", "250.00"), ibans=[(DUPONT_IBAN, "C1")]
    )
    proposal = run(pay("999.00", "Rechnung F-2024/000124", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["reference_typo_of_sibling_within_tolerance"][1]
    assert allocated(proposal) == [("i1", eur("999.00"), eur("1.00"))]


@pytest.mark.parametrize("amount", ["261.49", "261.95"])
def test_an_item_named_with_a_typo_keeps_another_item_from_being_applied_by_its_amount(amount: str) -> None:
    # The text names 000500 (one digit off) for a part of it; 000900 owes about (or exactly) the amount.
    index = ledger(
        item("i1", "F-2024/000500", "771.49"), item("i2", "F-2024/000900", "261.95"), ibans=[(DUPONT_IBAN, "C1")]
    )
    proposal = run(pay(amount, "Acompte F-2024/000501", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == DOUBT_CAP
    assert proposal.allocated_items == ("i2",)
    assert mentions(proposal, "F-2024/000500 with one character off", "is not what F-2024/000500 owe")


def test_the_payers_own_item_one_character_from_another_customers_number() -> None:
    # The typo lands on C2's existing invoice; the IBAN is C1's, and C1 owes exactly the amount on 000123.
    index = ledger(
        item("i1", "F-2024/000123", "1190.00"),
        item("x1", "F-2024/000124", "500.00", customer="C2"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("1190.00", "Rechnung F-2024/000124", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.customer_id == "C1"
    assert proposal.confidence == CONFIDENCE["typo_reference"][1]
    assert allocated(proposal) == [("i1", eur("1190.00"), None)]
    assert mentions(proposal, "known for another customer, C1", "items of C1, whose IBAN it is")


# --- numbers written another way --------------------------------------------------------------------------


def test_a_number_with_zeros_added_is_found_not_taken_for_money_on_account() -> None:
    index = ledger(item("i1", "F-2024/000123", "1000.00"), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("1050.00", "Faktura F-2024/00000123", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert allocated(proposal) == [("i1", eur("1000.00"), None)]
    assert proposal.unallocated == eur("50.00")
    assert mentions(proposal, "read without its zeros or its prefix")


def test_a_number_in_the_text_like_one_of_the_customers_keeps_the_money_from_going_on_account() -> None:
    # "000312" is two characters from 000123: no key and no one-character typo finds it.
    index = ledger(item("i1", "F-2024/000123", "1000.00"), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("1050.00", "Rechnung F-2024/000312", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == DOUBT_CAP
    assert proposal.allocations == ()
    assert mentions(proposal, "no open item fits", "resembles F-2024/000123")


@pytest.mark.parametrize("reference", ["ZAM/1/2026", "PO88793"])
def test_pieces_of_a_number_do_not_find_another_customers_reference(reference: str) -> None:
    # "PL01" + "2026" read as 12026 is ZAM/1/2026's digits; "088793" without zeros is PO88793's.
    index = ledger(
        item("i1", "PL01-2026-088793", "1208.91"),
        item("x1", "PL01-2026-092951", "500.00", customer="C2", reference=reference),
    )
    proposal = run(pay("1208.91", "PL01-2026-088793"), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_exact_amount"][0]
    assert allocated(proposal) == [("i1", eur("1208.91"), None)]


# --- amounts that fit by coincidence ----------------------------------------------------------------------


def test_a_converted_amount_prefers_one_item_near_it_to_a_set_it_hits_to_the_cent() -> None:
    index = ledger(
        item("i1", "F-2024/001001", "600.00", due=date(2024, 2, 1)),
        item("i2", "F-2024/001002", "400.00", due=date(2024, 2, 2)),
        item("i3", "F-2024/001003", "1010.00", due=date(2024, 2, 3)),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    rates = Rates({("USD", "EUR"): D("1.00")})
    proposal = run(pay("1000.00", currency="USD", iban=DUPONT_IBAN), index, rates)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["one_item_within_tolerance"][1] - FX_PENALTY
    assert allocated(proposal) == [("i3", eur("1000.00"), eur("10.00"))]


def test_a_converted_amount_hitting_a_set_to_the_cent_is_only_proposed() -> None:
    index = ledger(
        item("i1", "F-2024/001001", "600.00", due=date(2024, 2, 1)),
        item("i2", "F-2024/001002", "400.00", due=date(2024, 2, 2)),
        item("i3", "F-2024/001003", "5000.00", due=date(2024, 2, 3)),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    rates = Rates({("USD", "EUR"): D("1.00")})
    proposal = run(pay("1000.00", currency="USD", iban=DUPONT_IBAN), index, rates)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == DOUBT_CAP
    assert set(proposal.allocated_items) == {"i1", "i2"}
    assert mentions(proposal, "converted")


TWENTY_AMOUNTS = [
    "2219.79",
    "2405.00",
    "412.25",
    "1557.46",
    "2880.55",
    "2747.66",
    "2323.02",
    "1790.23",
    "2698.74",
    "2077.20",
    "1345.26",
    "2846.01",
    "930.19",
    "1677.64",
    "932.67",
    "697.18",
    "1513.37",
    "2992.16",
    "970.50",
    "1826.06",
]


def test_a_round_amount_that_some_six_of_twenty_items_add_up_to_is_not_applied() -> None:
    # An advance of 7700.00 is 412.25 + 1557.46 + 1790.23 + 2077.20 + 930.19 + 932.67: one set, by chance.
    items = [
        item(f"i{n}", f"F-2024/{n:06d}", amount, due=date(2024, 2, 1) + timedelta(days=n))
        for n, amount in enumerate(TWENTY_AMOUNTS)
    ]
    index = ledger(*items, ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("7700.00", "Anzahlung", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == DOUBT_CAP
    assert len(proposal.allocations) == 6
    assert mentions(proposal, "would add up to it by chance")


def many_items(count: int) -> list[OpenItem]:
    return [
        item(f"i{n}", f"F-2024/{n:06d}", f"{1000 + n * 37}.{n:02d}", due=date(2024, 1, 1) + timedelta(days=n))
        for n in range(1, count + 1)
    ]


def test_a_set_of_the_oldest_items_is_applied_when_no_set_of_all_of_them_would_fit_by_chance() -> None:
    index = ledger(*many_items(26), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("2111.03", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["subset_of_items"][1]
    assert allocated(proposal) == [("i1", eur("1037.01"), None), ("i2", eur("1074.02"), None)]
    assert mentions(proposal, "the oldest 24 of 26 open items searched")


def test_nothing_fits_is_no_proof_when_not_every_item_was_searched() -> None:
    index = ledger(*many_items(26), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("3000.00", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == DOUBT_CAP
    assert proposal.allocations == ()
    assert mentions(proposal, "not every set of the open items was searched")


# --- invoices cancelled by a credit note ------------------------------------------------------------------


def cancelled_pair() -> tuple[OpenItem, OpenItem]:
    return (
        item("i3", "F-2024/000103", "333.33", due=date(2024, 3, 3)),
        item("c3", "AV-2024/000009", "-333.33", due=date(2024, 3, 4), reference="F-2024/000103"),
    )


def test_an_invoice_and_its_cancelling_credit_note_do_not_make_a_set_ambiguous() -> None:
    index = ledger(
        item("i1", "F-2024/000101", "110.00", due=date(2024, 3, 1)),
        item("i2", "F-2024/000102", "220.00", due=date(2024, 3, 2)),
        *cancelled_pair(),
        item("i4", "F-2024/000104", "50.00", due=date(2024, 3, 5)),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("330.00", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["subset_of_items"][1]
    assert allocated(proposal) == [("i1", eur("110.00"), None), ("i2", eur("220.00"), None)]


def test_the_whole_balance_with_a_cancelled_invoice_is_proposed_not_applied() -> None:
    # 330.00 is the balance, and also the two invoices without the pair that cancels out: who can tell?
    index = ledger(
        item("i1", "F-2024/000101", "110.00", due=date(2024, 3, 1)),
        item("i2", "F-2024/000102", "220.00", due=date(2024, 3, 2)),
        *cancelled_pair(),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("330.00", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["balance_with_items_netting_to_zero"][1]
    assert set(proposal.allocated_items) == {"i1", "i2", "i3", "c3"}
    assert mentions(proposal, "cancel each other")


def test_one_items_amount_that_is_also_the_balance_is_proposed_whatever_nets_to_zero() -> None:
    index = ledger(
        item("i1", "F-2024/000101", "110.00"),
        item("i2", "F-2024/000102", "100.00"),
        item("c1", "AV-2024/000001", "-60.00"),
        item("c2", "AV-2024/000002", "-40.00"),
        ibans=[(DUPONT_IBAN, "C1")],
    )
    proposal = run(pay("110.00", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert allocated(proposal) == [("i1", eur("110.00"), None)]
    assert set(proposal.alternatives) == {"i2", "c1", "c2"}
    assert mentions(proposal, "net to zero")


def test_one_items_amount_that_is_also_the_balance_with_a_cancelled_invoice_is_proposed() -> None:
    index = ledger(item("i1", "F-2024/000101", "110.00"), *cancelled_pair(), ibans=[(DUPONT_IBAN, "C1")])
    proposal = run(pay("110.00", iban=DUPONT_IBAN), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.confidence == CONFIDENCE["balance_with_items_netting_to_zero"][1]
    assert allocated(proposal) == [("i1", eur("110.00"), None)]
    assert set(proposal.alternatives) == {"i3", "c3"}


# --- names made of common words ---------------------------------------------------------------------------


def crowded_ledger(*items: OpenItem) -> MatchIndex:
    """C1..C3 and X ("Novák s.r.o."), with more customers called Novák than a word may select."""
    index = ledger(*items)
    for n in range(MAX_CUSTOMERS_PER_WORD + 1):
        index.add_customer(Customer(f"N{n}", ENTITY, f"Novák {chr(65 + n % 26)}{n} s.r.o."))
    index.add_customer(Customer("X", ENTITY, "Novák s.r.o."))
    return index


def test_an_exact_name_of_a_common_word_still_names_its_customer() -> None:
    index = crowded_ledger(item("x1", "F-2024/002001", "5000.00", customer="X"))
    proposal = run(pay("5000.00", name="NOVAK S.R.O."), index)
    assert proposal.outcome is Outcome.REVIEW
    assert proposal.customer_id == "X"
    assert proposal.confidence == CONFIDENCE["one_item_amount"][0]
    assert allocated(proposal) == [("x1", eur("5000.00"), None)]


def test_a_name_of_a_common_word_corroborates_the_referenced_customer() -> None:
    index = crowded_ledger(item("x1", "F-2024/002001", "5000.00", customer="X"))
    proposal = run(pay("4000.00", "F-2024/002001", name="NOVAK S.R.O."), index)
    assert proposal.outcome is Outcome.APPLY
    assert proposal.confidence == CONFIDENCE["reference_partial_one"][1]
    assert mentions(proposal, "counterparty name 'NOVAK S.R.O.' fits (100)")


@pytest.mark.parametrize(
    ("number", "reference", "other", "apart"),
    [
        ("F2024000123", None, item("i2", "F-2024/000124", "1.00"), True),
        ("F2024000123", None, item("i2", "F-2024/000132", "1.00"), True),
        ("F2024000123", None, item("i2", "F-2024/000456", "1.00"), False),
        ("F2024000123", "RF18539007", item("i2", "G-9", "1.00", reference="RF 1853 9008"), True),
        ("F2024000123", None, item("i2", "G-9", "1.00", reference="RF 1853 9008"), False),
        ("F2024000123", "", item("i2", "G-9", "1.00", reference="-"), True),
    ],
)
def test_one_edit_apart_compares_compacted_numbers_then_references(
    number: str, reference: str | None, other: OpenItem, apart: bool
) -> None:
    assert _one_edit_apart(number, reference, other) is apart
