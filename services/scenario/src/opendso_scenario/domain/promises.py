"""Promises to pay: an amount by a date, watched until kept or broken.

Pure and deterministic: the payments and ``today`` are passed in. A promise's id and the keys of
what a broken promise creates depend only on the promise, so checking every day, or re-running a
day, never raises a second alert nor a second task for the same promise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from opendso_money import CurrencyMismatchError, Money

from .model import Channel


class PromiseError(ValueError):
    """A promise that cannot be recorded; ``field`` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        super().__init__(f"{field_name}: {message}")


class PromiseCurrencyError(CurrencyMismatchError):
    """A payment in another currency than the promise's; convert it before checking."""


def promise_id_for(customer_id: str, item_ids: Iterable[str], promised_on: date) -> str:
    """The stable id of a promise: the same customer, items (in any order) and date give the same id.

    The amount is left out on purpose: re-entering the promise with a corrected amount updates it
    rather than watching two promises for the same money.
    """
    parts = [customer_id, promised_on.isoformat(), *sorted(set(item_ids))]
    return "promise-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Promise:
    customer_id: str
    item_ids: tuple[str, ...]
    """Stored sorted and without duplicates, as the id sees them."""
    amount: Money
    promised_on: date
    created_on: date
    by: str
    promise_id: str = field(init=False)

    def __post_init__(self) -> None:
        if not self.customer_id.strip():
            raise PromiseError("customer_id", "must not be blank")
        if not self.item_ids:
            raise PromiseError("item_ids", "a promise covers at least one item")
        if not self.by.strip():
            raise PromiseError("by", "must not be blank")
        if self.amount.amount <= 0:
            raise PromiseError("amount", f"must be > 0, got {self.amount}")
        if self.promised_on < self.created_on:
            raise PromiseError(
                "promised_on", f"{self.promised_on.isoformat()} is before the promise was made ({self.created_on})"
            )
        object.__setattr__(self, "item_ids", tuple(sorted(set(self.item_ids))))
        object.__setattr__(self, "promise_id", promise_id_for(self.customer_id, self.item_ids, self.promised_on))


class PromiseState(StrEnum):
    PENDING = "pending"
    """Not yet due, or due but within the grace period with nothing paid."""
    KEPT = "kept"
    """The promised amount was paid by the deadline."""
    PARTLY_KEPT = "partly_kept"
    """Past the promised date, within the grace period, with part of the amount paid."""
    BROKEN = "broken"
    """Past the promised date plus grace, with less than the amount paid by then."""


@dataclass(frozen=True)
class PromiseCheck:
    promise_id: str
    state: PromiseState
    paid: Money
    """Paid towards the promise between its creation and the deadline (or today, if earlier)."""
    missing: Money
    """What is still missing of the promised amount; zero once kept."""
    deadline: date
    """The promised date plus grace: the last day a payment still keeps the promise."""
    checked_on: date


def check_promise(
    promise: Promise, payments_received: Iterable[tuple[date, Money]], today: date, grace_days: int
) -> PromiseCheck:
    """Where the promise stands on ``today``.

    ``payments_received`` are (received on, amount) applied to the promise's items. Only those
    received from the day the promise was made to the deadline count: an earlier payment was
    already known when the amount was promised, and a later one does not un-break a promise that
    already raised its alert (it is still reconciled against the items as usual).
    Raises ``PromiseCurrencyError`` for a payment in another currency.
    """
    if grace_days < 0:
        raise ValueError(f"grace_days must be >= 0, got {grace_days}")
    currency = promise.amount.currency
    deadline = promise.promised_on + timedelta(days=grace_days)
    last_counted = min(today, deadline)
    paid = Money.zero(currency)
    for received_on, amount in payments_received:
        if amount.currency != currency:
            raise PromiseCurrencyError(
                f"promise {promise.promise_id} is in {currency} but the payment of {amount} received on "
                f"{received_on.isoformat()} is not; convert payments to {currency} before checking the promise"
            )
        if promise.created_on <= received_on <= last_counted:
            paid = paid + amount

    missing = promise.amount - paid
    if missing.amount <= 0:
        state = PromiseState.KEPT
        missing = Money.zero(currency)
    elif today <= promise.promised_on:
        state = PromiseState.PENDING
    elif today <= deadline:
        state = PromiseState.PARTLY_KEPT if paid.amount > 0 else PromiseState.PENDING
    else:
        state = PromiseState.BROKEN
    return PromiseCheck(
        promise_id=promise.promise_id, state=state, paid=paid, missing=missing, deadline=deadline, checked_on=today
    )


@dataclass(frozen=True)
class CollectorTask:
    """A task for a collector's agenda; stored under ``key``."""

    key: str
    customer_id: str
    action: str
    """One of the engine's channels (``model.Channel``)."""
    assignee_role: str
    due_on: date
    item_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class PromiseBroken:
    """The payload of the "promise broken" event; published under ``event_id``."""

    event_id: str
    promise_id: str
    customer_id: str
    item_ids: tuple[str, ...]
    promised_amount: Money
    paid: Money
    missing: Money
    promised_on: date
    deadline: date
    detected_on: date


@dataclass(frozen=True)
class BrokenPromiseFollowUps:
    task: CollectorTask
    event: PromiseBroken


def broken_promise_key(promise_id: str) -> str:
    """Depends on the promise only, not on the day it is detected: detecting it again changes nothing."""
    return f"promise-broken:{promise_id}"


def follow_ups_for_broken(promise: Promise, check: PromiseCheck, today: date) -> BrokenPromiseFollowUps | None:
    """What to create for a broken promise: a collector task and a "promise broken" event.

    None when ``check`` is not BROKEN. The keys are the same on every run, so storing the task and
    publishing the event by key creates each once however often the promise is checked.
    """
    if check.promise_id != promise.promise_id:
        raise ValueError(f"check {check.promise_id} is not for promise {promise.promise_id}")
    if check.state is not PromiseState.BROKEN:
        return None
    key = broken_promise_key(promise.promise_id)
    task = CollectorTask(
        key=f"{key}:task",
        customer_id=promise.customer_id,
        # The customer gave their word to a person; a call gets a new date faster than a letter.
        action=Channel.PHONE_CALL.value,
        assignee_role="collector",
        due_on=today,
        item_ids=promise.item_ids,
        reason=(
            f"promise of {promise.amount} for {promise.promised_on.isoformat()} broken: "
            f"{check.paid} paid, {check.missing} missing"
        ),
    )
    event = PromiseBroken(
        event_id=key,
        promise_id=promise.promise_id,
        customer_id=promise.customer_id,
        item_ids=promise.item_ids,
        promised_amount=promise.amount,
        paid=check.paid,
        missing=check.missing,
        promised_on=promise.promised_on,
        deadline=check.deadline,
        detected_on=today,
    )
    return BrokenPromiseFollowUps(task=task, event=event)
