"""The ledger's ids: what makes a customer and an item the same one across files and events."""

from __future__ import annotations


def customer_id_of(entity: str, account_number: str) -> str:
    return f"{entity}/{account_number}"


def item_id_of(entity: str, kind: str, number: str) -> str:
    # Item numbers are unique per entity and kind (an invoice and a credit note may share one).
    return f"{entity}/{kind}/{number}"
