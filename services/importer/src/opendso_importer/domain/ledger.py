"""What an import changes, so that the importer publishes precise events.

An import compares what the file says about a customer or an item with what
we already hold. Re-importing the same file must change nothing, so equal
values (``100`` and ``100.00`` included) are UNCHANGED and raise no event.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum

from opendso_money import Money

from opendso_importer.domain.receivables_csv import CustomerRow, ItemRow


@dataclass(frozen=True)
class CustomerState:
    """A customer as we hold it; (entity, account_number) is its identity."""

    entity: str
    account_number: str
    name: str
    email: str | None
    language: str
    country: str | None
    contact_name: str | None
    customer_group: str | None = None
    sector: str | None = None
    collector: str | None = None
    sales_rep: str | None = None
    credit_limit: Decimal | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    parent_account: str | None = None
    preferred_channel: str | None = None


@dataclass(frozen=True)
class ItemState:
    """An open item as we hold it; (entity, kind, number) is its identity.

    The account is not part of the identity: an ERP may move an item to
    another account, which is a change of ``account_number``.
    """

    entity: str
    account_number: str
    number: str
    kind: str
    issue_date: date
    due_date: date
    amount: Money
    open_amount: Money
    reference: str | None
    product_group: str | None = None
    product: str | None = None
    priority: str | None = None

    @property
    def is_open(self) -> bool:
        return not self.open_amount.is_zero()


class ChangeKind(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class CustomerChange:
    """``changed_fields`` are sorted field names; empty for CREATED and UNCHANGED."""

    kind: ChangeKind
    state: CustomerState
    changed_fields: tuple[str, ...]


class ItemChangeKind(StrEnum):
    OPENED = "opened"
    CHANGED = "changed"
    CLOSED = "closed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ItemChange:
    """``changed_fields`` are sorted field names that differ from what we held; empty for a new item."""

    kind: ItemChangeKind
    state: ItemState
    changed_fields: tuple[str, ...]


def customer_state(row: CustomerRow) -> CustomerState:
    return CustomerState(
        entity=row.entity,
        account_number=row.account_number,
        name=row.name,
        email=row.email,
        language=row.language,
        country=row.country,
        contact_name=row.contact_name,
        customer_group=row.customer_group,
        sector=row.sector,
        collector=row.collector,
        sales_rep=row.sales_rep,
        credit_limit=row.credit_limit,
        street=row.street,
        postal_code=row.postal_code,
        city=row.city,
        parent_account=row.parent_account,
        preferred_channel=row.preferred_channel,
    )


def item_state(row: ItemRow) -> ItemState:
    return ItemState(
        entity=row.entity,
        account_number=row.account_number,
        number=row.number,
        kind=row.kind,
        issue_date=row.issue_date,
        due_date=row.due_date,
        amount=row.amount,
        open_amount=row.open_amount,
        reference=row.reference,
        product_group=row.product_group,
        product=row.product,
        priority=row.priority,
    )


def diff_customer(existing: CustomerState | None, incoming: CustomerState) -> CustomerChange:
    """CREATED when we held nothing, else CHANGED with the differing fields, else UNCHANGED.

    Raises ValueError when the two states are not the same customer.
    """
    if existing is None:
        return CustomerChange(ChangeKind.CREATED, incoming, ())
    if (existing.entity, existing.account_number) != (incoming.entity, incoming.account_number):
        raise ValueError(
            f"cannot compare customer {existing.entity}/{existing.account_number} "
            f"with {incoming.entity}/{incoming.account_number}"
        )
    changed = _changed_fields(existing, incoming)
    return CustomerChange(ChangeKind.CHANGED if changed else ChangeKind.UNCHANGED, incoming, changed)


def diff_item(existing: ItemState | None, incoming: ItemState) -> ItemChange:
    """Classify what the file says about an item against what we held.

    Opening and closing win over a plain change, because they are what
    collection acts on: a new item with an open amount is OPENED, a new one
    already paid is CLOSED (we still record it, for payment behaviour); an
    open item whose open amount drops to zero is CLOSED and a closed item
    with an open amount again is OPENED (reopened, e.g. a bounced payment).
    Any other difference is CHANGED. Raises ValueError when the two states
    are not the same item.
    """
    if existing is None:
        kind = ItemChangeKind.OPENED if incoming.is_open else ItemChangeKind.CLOSED
        return ItemChange(kind, incoming, ())
    if (existing.entity, existing.kind, existing.number) != (incoming.entity, incoming.kind, incoming.number):
        raise ValueError(
            f"cannot compare item {existing.entity}/{existing.kind}/{existing.number} "
            f"with {incoming.entity}/{incoming.kind}/{incoming.number}"
        )
    changed = _changed_fields(existing, incoming)
    if existing.is_open and not incoming.is_open:
        kind = ItemChangeKind.CLOSED
    elif not existing.is_open and incoming.is_open:
        kind = ItemChangeKind.OPENED
    elif changed:
        kind = ItemChangeKind.CHANGED
    else:
        kind = ItemChangeKind.UNCHANGED
    return ItemChange(kind, incoming, changed)


def _changed_fields(old: CustomerState | ItemState, new: CustomerState | ItemState) -> tuple[str, ...]:
    # Money and Decimal compare by value, so 100 and 100.00 are not a change.
    return tuple(sorted(f.name for f in fields(old) if getattr(old, f.name) != getattr(new, f.name)))
