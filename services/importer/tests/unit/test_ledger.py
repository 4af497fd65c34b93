from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from opendso_importer.domain.ledger import (
    ChangeKind,
    CustomerState,
    ItemChangeKind,
    ItemState,
    customer_state,
    diff_customer,
    diff_item,
    item_state,
)
from opendso_importer.domain.receivables_csv import CustomerRow, ItemRow
from opendso_money import Money

CUSTOMER = CustomerState("E1", "A1", "Acme", "ap@acme.example", "en", "DE", None)
ITEM = ItemState(
    entity="E1",
    account_number="A1",
    number="I1",
    kind="invoice",
    issue_date=date(2024, 1, 1),
    due_date=date(2024, 1, 31),
    amount=Money.of("100.00", "EUR"),
    open_amount=Money.of("100.00", "EUR"),
    reference=None,
)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_states_are_built_from_parsed_rows_without_their_row_numbers() -> None:
    customer = CustomerRow("E1", "A1", "Acme", "ap@acme.example", "en", "DE", None, row=7)
    item = ItemRow(
        "E1", "A1", "I1", "invoice", date(2024, 1, 1), date(2024, 1, 31), eur("100.00"), eur("100.00"), None, 7
    )

    assert customer_state(customer) == CUSTOMER
    assert item_state(item) == ITEM


def test_an_unknown_customer_is_created() -> None:
    change = diff_customer(None, CUSTOMER)

    assert (change.kind, change.state, change.changed_fields) == (ChangeKind.CREATED, CUSTOMER, ())


def test_a_customer_with_new_values_is_changed_listing_the_fields_sorted() -> None:
    incoming = replace(CUSTOMER, name="Acme GmbH", email=None, language="de")

    change = diff_customer(CUSTOMER, incoming)

    assert change.kind is ChangeKind.CHANGED
    assert change.changed_fields == ("email", "language", "name")
    assert change.state == incoming


def test_the_same_customer_again_is_unchanged() -> None:
    change = diff_customer(CUSTOMER, replace(CUSTOMER))

    assert (change.kind, change.changed_fields) == (ChangeKind.UNCHANGED, ())


def test_comparing_two_different_customers_is_refused() -> None:
    with pytest.raises(ValueError, match="A2"):
        diff_customer(CUSTOMER, replace(CUSTOMER, account_number="A2"))


def test_a_new_item_with_an_open_amount_is_opened() -> None:
    assert diff_item(None, ITEM).kind is ItemChangeKind.OPENED


def test_a_new_item_already_paid_is_closed() -> None:
    assert diff_item(None, replace(ITEM, open_amount=eur("0"))).kind is ItemChangeKind.CLOSED


def test_an_open_item_paid_in_full_is_closed() -> None:
    change = diff_item(ITEM, replace(ITEM, open_amount=eur("0.00")))

    assert (change.kind, change.changed_fields) == (ItemChangeKind.CLOSED, ("open_amount",))


def test_a_paid_item_with_an_open_amount_again_is_reopened() -> None:
    paid = replace(ITEM, open_amount=eur("0"))

    change = diff_item(paid, replace(ITEM, open_amount=eur("40")))

    assert (change.kind, change.changed_fields) == (ItemChangeKind.OPENED, ("open_amount",))


def test_a_partly_paid_item_with_a_new_due_date_is_changed_listing_the_fields_sorted() -> None:
    incoming = replace(ITEM, open_amount=eur("60"), due_date=date(2024, 2, 29))

    change = diff_item(ITEM, incoming)

    assert (change.kind, change.changed_fields) == (ItemChangeKind.CHANGED, ("due_date", "open_amount"))
    assert change.state == incoming


def test_an_item_moved_to_another_account_is_changed() -> None:
    change = diff_item(ITEM, replace(ITEM, account_number="A9"))

    assert (change.kind, change.changed_fields) == (ItemChangeKind.CHANGED, ("account_number",))


def test_a_closed_item_whose_reference_changes_stays_closed_but_is_changed() -> None:
    paid = replace(ITEM, open_amount=eur("0"))

    change = diff_item(paid, replace(paid, reference="PO-1"))

    assert (change.kind, change.changed_fields) == (ItemChangeKind.CHANGED, ("reference",))


def test_the_same_amount_written_differently_is_unchanged() -> None:
    incoming = replace(ITEM, amount=Money(Decimal("100"), "EUR"), open_amount=Money(Decimal("100.0"), "EUR"))

    change = diff_item(ITEM, incoming)

    assert (change.kind, change.changed_fields) == (ItemChangeKind.UNCHANGED, ())


def test_a_change_of_currency_is_a_change() -> None:
    incoming = replace(ITEM, amount=Money.of("100.00", "USD"), open_amount=Money.of("100.00", "USD"))

    assert diff_item(ITEM, incoming).changed_fields == ("amount", "open_amount")


def test_comparing_two_different_items_is_refused() -> None:
    with pytest.raises(ValueError, match="credit_note"):
        diff_item(ITEM, replace(ITEM, kind="credit_note"))
