"""The debtor portal's rules: the reasons a debtor may give for a dispute, the totals of a statement, and the
answers kept for a repeated Idempotency-Key."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# A fixed list, so the collector can report on them; "other" needs the comment to say what.
DISPUTE_REASONS: dict[str, str] = {
    "not_received": "Goods or service not received",
    "defective": "Goods defective or service faulty",
    "wrong_price": "Wrong price or quantity",
    "already_paid": "Already paid",
    "credit_note_expected": "Credit note expected",
    "not_ordered": "Not ordered",
    "other": "Other",
}


def dispute_comment(reason: str, comment: str) -> str:
    """The comment the collection engine records for a dispute from the portal: the reason, then the words."""
    label = DISPUTE_REASONS[reason]
    text = f"Disputed from the portal: {label}"
    return f"{text}. {comment.strip()}" if comment.strip() else text


def open_totals(amounts: Iterable[tuple[Decimal, str]]) -> dict[str, Decimal]:
    """Open amount per currency, currencies in alphabetical order; never summed across currencies."""
    totals: dict[str, Decimal] = {}
    for amount, currency in amounts:
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    return dict(sorted(totals.items()))


class IdempotencyConflict(Exception):
    """The key was used before with another request."""


@dataclass(frozen=True)
class _Kept:
    fingerprint: str
    answer: dict[str, Any]


class Replays:
    """The answers to the last ``capacity`` keyed requests: a repeated key with the same request gets the same
    answer without asking again; with another request, ``IdempotencyConflict``. Per gateway instance, in
    memory: the collection engine also drops a repeated qualification, so a restart loses nothing recorded."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[tuple[str, str], _Kept] = OrderedDict()

    def get(self, scope: str, key: str, fingerprint: str) -> dict[str, Any] | None:
        kept = self._kept.get((scope, key))
        if kept is None:
            return None
        if kept.fingerprint != fingerprint:
            raise IdempotencyConflict(key)
        return kept.answer

    def keep(self, scope: str, key: str, fingerprint: str, answer: dict[str, Any]) -> None:
        self._kept[(scope, key)] = _Kept(fingerprint, answer)
        self._kept.move_to_end((scope, key))
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)
