"""What cash application works with: payments, the open items they may pay, and what the engine proposes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from opendso_money import Money


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An item as the matching service knows it; ``open_amount`` is what is still to pay.

    Credit notes and unallocated payments are negative. An item paid in full stays known
    (open amount zero) so that a second payment quoting it is recognised as such.
    """

    item_id: str
    customer_id: str
    entity: str
    number: str
    kind: str
    due_date: date
    open_amount: Money
    reference: str = ""

    @property
    def is_open(self) -> bool:
        return not self.open_amount.is_zero()


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    entity: str
    name: str
    account_number: str = ""


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received on one bank line (what the importer publishes as a bank transaction)."""

    transaction_id: str
    entity: str
    booking_date: date
    amount: Money
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance_text: str = ""
    structured_reference: str = ""
    structured_reference_type: str = ""


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a payment applied to one item. ``write_off`` is the short-paid rest the payment settles
    anyway (bank fees, rounding, cash discount within the tolerance); it is in the item's currency."""

    item_id: str
    item_number: str
    amount: Money
    write_off: Money | None = None


class Outcome(StrEnum):
    # Confident enough: applied without a person.
    APPLY = "apply"
    # A collector decides (confirm, pick other items, split).
    REVIEW = "review"
    # No customer found: the money waits in the suspense list.
    SUSPENSE = "suspense"
    # Not a customer payment (money paid out); nothing to apply.
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the engine proposes for one payment, with the confidence and the reasons behind it.

    ``unallocated`` is the part of the payment no item takes: it becomes an unallocated payment
    on ``customer_id`` (or stays in suspense without a customer). ``rate`` is the FX rate used
    when the payment's currency is not the items'.
    """

    transaction_id: str
    outcome: Outcome
    confidence: Decimal
    customer_id: str | None
    allocations: tuple[Allocation, ...]
    unallocated: Money
    reasons: tuple[str, ...]
    rate: Decimal | None = None
    alternatives: tuple[str, ...] = field(default=())

    @property
    def allocated_items(self) -> tuple[str, ...]:
        return tuple(a.item_id for a in self.allocations)
