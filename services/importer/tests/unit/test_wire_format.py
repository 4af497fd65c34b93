"""The OpenItem bytes written by hand are the protobuf library's, for every shape an item takes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from opendso_importer.domain.ledger import item_state
from opendso_importer.domain.receivables_csv import ItemRow
from opendso_importer.ledger_events import item_to_proto
from opendso_importer.parallel_reading import item_message
from opendso_importer.wire_format import OpenItemWriter, encode_varint, varint
from opendso_money import Money


def row(**changes: object) -> ItemRow:
    values: dict[str, object] = {
        "entity": "FR01",
        "account_number": "C1",
        "number": "F-2026-001",
        "kind": "invoice",
        "issue_date": dt.date(2026, 9, 1),
        "due_date": dt.date(2026, 10, 1),
        "amount": Money(Decimal("1234.50"), "EUR"),
        "open_amount": Money(Decimal("1234.50"), "EUR"),
        "reference": "PO-77",
        "row": 2,
    }
    values.update(changes)
    return ItemRow(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "item",
    [
        row(),
        row(kind="credit_note", amount=Money(Decimal("-50"), "EUR"), open_amount=Money(Decimal("-50"), "EUR")),
        row(open_amount=Money(Decimal("0"), "EUR"), reference=None),
        row(kind="unallocated_payment", product_group="Hardware", product="X-1", priority="high"),
        row(kind="instalment", account_number="Ł-ÅÇ", number="Ř/1", reference="žluťoučký kůň " * 30),
        row(amount=Money(Decimal("123456789012.345678"), "JPY"), open_amount=Money(Decimal("1E+2"), "JPY")),
        row(issue_date=dt.date(1999, 12, 31), due_date=dt.date(2100, 1, 1), reference=""),
    ],
)
def test_an_item_is_written_as_protobuf_writes_it(item: ItemRow) -> None:
    expected = item_to_proto(item_state(item)).SerializeToString(deterministic=True)
    assert item_message(item) == expected


def test_what_a_writer_keeps_does_not_leak_between_rows() -> None:
    writer = OpenItemWriter()
    writer._MAX_CACHED = 1  # type: ignore[misc]
    first = row()
    second = row(entity="DE01", account_number="D9", issue_date=dt.date(2026, 1, 2), reference=None)
    for item in (first, second, first):
        expected = item_to_proto(item_state(item)).SerializeToString(deterministic=True)
        written = writer.write(
            f"{item.entity}/{item.kind}/{item.number}",
            f"{item.entity}/{item.account_number}",
            item.entity,
            item.account_number,
            item.number,
            item.kind,
            item.issue_date,
            item.due_date,
            str(item.amount.amount),
            str(item.open_amount.amount),
            item.amount.currency,
            item.reference,
            item.product_group,
            item.product,
            item.priority,
        )
        assert written == expected


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 16383, 16384, 2**31, 2**63 - 1])
def test_varints_are_base_128_little_endian(value: int) -> None:
    encoded = varint(value)
    assert encoded == encode_varint(value)
    assert all(b & 0x80 for b in encoded[:-1]) and not encoded[-1] & 0x80
    assert sum((b & 0x7F) << (7 * i) for i, b in enumerate(encoded)) == value


@pytest.mark.parametrize("item", [row(), row(number="N" * 300, reference="R" * 20_000)])
def test_a_created_change_written_in_one_go_is_the_library_s(item: ItemRow) -> None:
    from opendso.receivables.v1 import receivables_pb2 as rv
    from opendso_importer.ledger_events import created_entry, item_change_entry

    message = item_message(item)
    expected = rv.ItemsChanged(
        changes=[rv.ItemChange(type=rv.CHANGE_TYPE_CREATED, item=rv.OpenItem.FromString(message))]
    )
    assert created_entry(message) == item_change_entry(rv.CHANGE_TYPE_CREATED, message, [])
    assert created_entry(message) == expected.SerializeToString()
