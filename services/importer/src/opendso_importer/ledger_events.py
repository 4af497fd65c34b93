"""The receivables events an import publishes: ledger states as contract messages, and changes sent in
messages of a thousand."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf.message import Message
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_contracts.convert import date_to_proto, money_to_proto

from opendso_importer.domain.ledger import CustomerState, ItemState
from opendso_importer.domain.receivables_csv import CustomerRow
from opendso_importer.store import UnitOfWork, customer_id_of, item_id_of
from opendso_importer.wire_format import KIND_TO_PROTO, length_delimited, varint


def customer_to_proto(state: CustomerState | CustomerRow) -> rv.Customer:
    return rv.Customer(
        customer_id=customer_id_of(state.entity, state.account_number),
        entity=state.entity,
        account_number=state.account_number,
        name=state.name,
        email=state.email or "",
        language=state.language,
        country=state.country or "",
        contact_name=state.contact_name or "",
        customer_group=state.customer_group or "",
        sector=state.sector or "",
        collector=state.collector or "",
        sales_rep=state.sales_rep or "",
        credit_limit="" if state.credit_limit is None else str(state.credit_limit),
        street=state.street or "",
        postal_code=state.postal_code or "",
        city=state.city or "",
        parent_account=state.parent_account or "",
        preferred_channel=state.preferred_channel or "",
    )


def item_to_proto(state: ItemState) -> rv.OpenItem:
    return rv.OpenItem(
        item_id=item_id_of(state.entity, state.kind, state.number),
        customer_id=customer_id_of(state.entity, state.account_number),
        entity=state.entity,
        account_number=state.account_number,
        number=state.number,
        kind=KIND_TO_PROTO[state.kind],
        issue_date=date_to_proto(state.issue_date),
        due_date=date_to_proto(state.due_date),
        amount=money_to_proto(state.amount),
        open_amount=money_to_proto(state.open_amount),
        reference=state.reference or "",
        product_group=state.product_group or "",
        product=state.product or "",
        priority=state.priority or "",
    )


# Changes go out in messages of this many: a large import publishes thousands of
# messages instead of millions, each well under NATS's 1 MiB payload limit.
CHANGES_PER_MESSAGE = 1000


def entity_of(entities: Iterable[str]) -> str:
    """The entity a batch belongs to, or "" when it mixes several."""
    distinct = set(entities)
    return distinct.pop() if len(distinct) == 1 else ""


async def publish_item_changes(changes: list[rv.ItemChange], uow: UnitOfWork) -> None:
    await uow.publish_many(
        [
            rv.ItemsChanged(meta=uow.meta(entity=entity_of(c.item.entity for c in chunk)), changes=chunk)
            for chunk in chunked(changes)
        ]
    )


def chunked(changes: list[Any]) -> list[list[Any]]:
    return [changes[i : i + CHANGES_PER_MESSAGE] for i in range(0, len(changes), CHANGES_PER_MESSAGE)]


async def publish_customer_changes(changes: list[rv.CustomerChange], uow: UnitOfWork) -> None:
    await uow.publish_many(
        [
            rv.CustomersChanged(meta=uow.meta(entity=entity_of(c.customer.entity for c in chunk)), changes=chunk)
            for chunk in chunked(changes)
        ]
    )


# Changes of items read in worker processes arrive as serialized OpenItem messages. Wrapping each in an
# ItemChange by writing the few bytes of its fields (see wire_format) and parsing a thousand of them at once
# into an ItemsChanged costs a fraction of building a million message objects one by one.
def item_change_entry(
    change_type: int, item: bytes, changed_fields: list[str], closed_on: bytes | None = None
) -> bytes:
    """One ItemChange as an entry of ItemsChanged.changes (field 2), from the item's serialized OpenItem
    and, for a closing, the serialized Date it closed on."""
    change = b"\x08" + varint(change_type) + length_delimited(2, item)
    for name in changed_fields:
        change += length_delimited(3, name.encode())
    if closed_on is not None:
        change += length_delimited(4, closed_on)
    return length_delimited(2, change)


_CREATED_HEAD = b"\x08" + varint(rv.CHANGE_TYPE_CREATED) + b"\x12"


def created_entry(item: bytes) -> bytes:
    """``item_change_entry(CHANGE_TYPE_CREATED, item, [])``, written in one go: a first import makes a
    million of them."""
    head = _CREATED_HEAD + varint(len(item))
    return b"\x12" + varint(len(head) + len(item)) + head + item


async def publish_item_change_entries(entries: list[tuple[str, bytes]], uow: UnitOfWork) -> None:
    """Publish (entity, entry) changes made by :func:`item_change_entry`, a thousand to a message."""
    messages: list[Message] = []
    for batch in chunked(entries):
        message = rv.ItemsChanged(meta=uow.meta(entity=entity_of(entity for entity, _ in batch)))
        message.MergeFromString(b"".join(entry for _, entry in batch))
        messages.append(message)
    await uow.publish_many(messages)
