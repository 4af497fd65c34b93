"""Protobuf's wire format written by hand where building message objects costs most of the work: the
``OpenItem`` of every row of a large file (in the reading workers) and the ``ItemChange`` around it (in the
importer). The bytes are those the protobuf library writes for the same message (fields in number order,
empty strings and zero enums left out); tests compare them.

A field is its key (number << 3 | wire type) as a varint, then a varint, or a length and that many bytes.
"""

from __future__ import annotations

import datetime as dt

from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_contracts.convert import date_to_proto


def encode_varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# Keys and lengths of an item's fields are small numbers: encoded once, looked up after.
_SMALL_VARINTS = [encode_varint(n) for n in range(1 << 14)]


def varint(value: int) -> bytes:
    return _SMALL_VARINTS[value] if value < 1 << 14 else encode_varint(value)


def length_delimited(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def string_field(number: int, value: str) -> bytes:
    """A string field; an empty one is left out, as protobuf leaves out a field at its default."""
    if not value:
        return b""
    data = value.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


KIND_TO_PROTO = {
    "invoice": rv.ITEM_KIND_INVOICE,
    "credit_note": rv.ITEM_KIND_CREDIT_NOTE,
    "unallocated_payment": rv.ITEM_KIND_UNALLOCATED_PAYMENT,
    "instalment": rv.ITEM_KIND_INSTALMENT,
}
# OpenItem.kind is field 6, a varint.
_KIND_FIELD = {kind: (b"\x30" + varint(value) if value else b"") for kind, value in KIND_TO_PROTO.items()}


class OpenItemWriter:
    """Writes ``OpenItem`` messages, keeping what repeats across a file's rows (an account's fields, dates,
    currencies) encoded once."""

    # A ledger has a few thousand distinct days; the bound keeps a worker's memory flat whatever comes.
    _MAX_CACHED = 50_000

    def __init__(self) -> None:
        self._accounts: dict[tuple[str, str, str], bytes] = {}
        self._dates: dict[tuple[int, dt.date], bytes] = {}
        self._currencies: dict[str, bytes] = {}

    def write(
        self,
        item_id: str,
        customer_id: str,
        entity: str,
        account_number: str,
        number: str,
        kind: str,
        issue_date: dt.date,
        due_date: dt.date,
        amount: str,
        open_amount: str,
        currency: str,
        reference: str | None,
        product_group: str | None,
        product: str | None,
        priority: str | None,
    ) -> bytes:
        account_key = (customer_id, entity, account_number)
        account = self._accounts.get(account_key)
        if account is None:
            if len(self._accounts) >= self._MAX_CACHED:
                self._accounts.clear()
            account = self._accounts[account_key] = (
                string_field(2, customer_id) + string_field(3, entity) + string_field(4, account_number)
            )
        money_currency = self._currencies.get(currency)
        if money_currency is None:
            money_currency = self._currencies[currency] = string_field(2, currency)
        item_id_data, number_data = item_id.encode(), number.encode()
        amount_money = b"\x0a" + varint(len(amount)) + amount.encode() + money_currency
        open_money = b"\x0a" + varint(len(open_amount)) + open_amount.encode() + money_currency
        # Keys written as bytes (fields 1, 5, 9 and 10 are length-delimited: 0x0a, 0x2a, 0x4a, 0x52), the
        # parts joined once: the id, the number and the amounts are never empty, so never left out.
        parts = [
            b"\x0a",
            varint(len(item_id_data)),
            item_id_data,
            account,
            b"\x2a",
            varint(len(number_data)),
            number_data,
            _KIND_FIELD[kind],
            self._date(7, issue_date),
            self._date(8, due_date),
            b"\x4a",
            varint(len(amount_money)),
            amount_money,
            b"\x52",
            varint(len(open_money)),
            open_money,
        ]
        if reference:
            parts.append(string_field(11, reference))
        if product_group:
            parts.append(string_field(12, product_group))
        if product:
            parts.append(string_field(13, product))
        if priority:
            parts.append(string_field(14, priority))
        return b"".join(parts)

    def _date(self, number: int, value: dt.date) -> bytes:
        key = (number, value)
        found = self._dates.get(key)
        if found is None:
            if len(self._dates) >= self._MAX_CACHED:
                self._dates.clear()
            found = self._dates[key] = length_delimited(number, date_to_proto(value).SerializeToString())
        return found
