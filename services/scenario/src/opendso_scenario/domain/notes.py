"""Notes from outside the collection team: a debtor's comment or declared payment, a colleague's answer on a
dispute, a partner's outcome on its case.

Pure: which key a request is kept under (so a retried request is recognised), which items a declared payment
covers and until when they are not chased, who is told.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from .qualification import ROLES

_NAMESPACE: Final = uuid.UUID("4c7d8f0e-2b1a-4f6e-9c3d-5a8b7e6f1d20")
MAX_PAUSE_DAYS: Final = 90


class NoteKind(StrEnum):
    COMMENT = "comment"
    DECLARED_PAYMENT = "declared_payment"
    DISPUTE_ANSWER = "dispute_answer"
    PARTNER_OUTCOME = "partner_outcome"


class NoteError(ValueError):
    """A note that cannot be recorded; the message says why, in the caller's terms."""


def note_key(kind: NoteKind, customer_id: str, idempotency_key: str, content: Iterable[str]) -> str:
    """The key a note is kept under: the caller's idempotency key when it gives one, else its content, so the
    same request redelivered (or sent twice by a double click) is recorded once."""
    if idempotency_key.strip():
        basis = f"key\x1f{idempotency_key.strip()}"
    else:
        basis = "content\x1f" + "\x1f".join(content)
    # Hashed: a comment can be long, a key column is not.
    digest = hashlib.sha256(basis.encode()).hexdigest()[:32]
    return f"note:{kind.value}:{customer_id}:{digest}"


def note_id(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, key))


@dataclass(frozen=True)
class OpenItem:
    item_id: str
    currency: str
    open_amount: Decimal


def declared_items(open_items: Iterable[OpenItem], requested: Iterable[str], currency: str) -> tuple[str, ...]:
    """The items a declared payment covers: those named (each open and in the payment's currency), or when none
    is named every open item in the payment's currency."""
    by_id = {i.item_id: i for i in open_items if i.open_amount > 0}
    named = tuple(dict.fromkeys(requested))
    if not named:
        chosen = tuple(i.item_id for i in by_id.values() if i.currency == currency)
        if not chosen:
            raise NoteError(f"no open item in {currency}: the payment covers nothing")
        return chosen
    for item_id in named:
        item = by_id.get(item_id)
        if item is None:
            raise NoteError(f"item {item_id!r} is not open on this account")
        if item.currency != currency:
            raise NoteError(f"item {item_id!r} is in {item.currency}, the payment in {currency}")
    return named


def pause_end(today: dt.date, days: int) -> dt.date:
    """The first day a declared payment's items may be chased again, ``days`` from ``today`` (capped: a
    payment that has not arrived within a quarter was not made)."""
    if days < 0:
        raise NoteError("the pause of a declared payment cannot be negative")
    return today + dt.timedelta(days=min(days, MAX_PAUSE_DAYS))


def assignee(owner: str, collector: str) -> str:
    """Who gets the task an answer on a dispute creates: its owner when a person owns it, else the collector
    (a role such as "sales" is nobody's agenda)."""
    return owner if owner.strip() and owner not in ROLES else collector
