"""What a collection scenario is made of, and what the engine reads and plans.

Pure values: frozen dataclasses over Decimal money and dates, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from opendso_money import Money


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    PHONE_CALL = "phone_call"
    INTERNAL_TASK = "internal_task"
    # Hand-overs to partners: performing such a step's task escalates its items (escalations.py).
    CALL_CENTRE_TASK = "call_centre_task"
    LEGAL_ESCALATION = "legal_escalation"
    DEBT_SALE = "debt_sale"


class Anchor(StrEnum):
    """What a step's ``offset_days`` counts from."""

    DUE_DATE = "due_date"
    """The leader invoice's due date; negative offsets fall before it."""
    LAST_ACTION = "last_action"
    """The day the previous step of the scenario was performed for the same leader."""


class ItemKind(StrEnum):
    """Known values of ``Item.kind``. A StrEnum so that plain strings compare equal."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    UNALLOCATED_PAYMENT = "unallocated_payment"
    INSTALMENT = "instalment"


class ScenarioError(ValueError):
    """A scenario or step definition that the engine could not follow sensibly."""


@dataclass(frozen=True)
class Step:
    code: str
    offset_days: int
    channel: Channel
    template: str
    automatic: bool
    """True: sent without a collector. False: a task on a collector's agenda."""
    anchor: Anchor = Anchor.DUE_DATE
    also: tuple[tuple[Channel, str], ...] = ()
    """Other channels the step uses at the same time, each with its template: a letter and its e-mail copy
    go out together, as one action per channel."""
    product_group: str | None = None
    """Only the items of this product group take part in the step: they lead it and are what it covers."""
    minimum_amount: Decimal | None = None
    """No action when every currency's covered total is below this; None: the scenario's minimum."""

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ScenarioError("a step needs a code")
        if not isinstance(self.also, tuple):
            raise ScenarioError(f"step {self.code!r}: also must be a tuple of (channel, template)")
        channels = [self.channel, *(channel for channel, _ in self.also)]
        if len(set(channels)) != len(channels):
            raise ScenarioError(f"step {self.code!r}: a channel is used twice ({', '.join(map(str, channels))})")
        for channel, template in self.also:
            if not template.strip():
                raise ScenarioError(f"step {self.code!r}: the {channel} of the step needs a template")
        if self.product_group is not None and not self.product_group.strip():
            raise ScenarioError(f"step {self.code!r}: product_group must not be blank (None for every item)")
        if self.minimum_amount is not None and (
            not isinstance(self.minimum_amount, Decimal) or self.minimum_amount < 0
        ):
            raise ScenarioError(f"step {self.code!r}: minimum_amount must be a Decimal >= 0")

    @property
    def channels(self) -> tuple[tuple[Channel, str], ...]:
        """Every (channel, template) of the step, its main channel first."""
        return ((self.channel, self.template), *self.also)

    def template_for(self, channel: str) -> str:
        """The template the step uses on ``channel``; ``KeyError`` when the step does not use it."""
        for used, template in self.channels:
            if used == channel:
                return template
        raise KeyError(channel)


@dataclass(frozen=True)
class Scenario:
    """Ordered steps that chase one customer's open items.

    Refuses at construction what would make the engine's "latest reached
    step" ambiguous, so a bad definition fails when it is saved, not when a
    customer is being chased.
    """

    code: str
    name: str
    steps: tuple[Step, ...]
    minimum_amount: Decimal = Decimal("0")
    """No action when every currency's covered total is below this."""

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ScenarioError("a scenario needs a code")
        if not isinstance(self.steps, tuple):
            # A list would make the frozen value unhashable and mutable behind our back.
            raise ScenarioError(f"scenario {self.code!r}: steps must be a tuple")
        if not self.steps:
            raise ScenarioError(f"scenario {self.code!r} needs at least one step")
        if not isinstance(self.minimum_amount, Decimal) or self.minimum_amount < 0:
            raise ScenarioError(f"scenario {self.code!r}: minimum_amount must be a Decimal >= 0")

        seen: set[str] = set()
        for step in self.steps:
            if step.code in seen:
                raise ScenarioError(f"scenario {self.code!r}: step code {step.code!r} is used twice")
            seen.add(step.code)

        # A LAST_ACTION step waits for the step before it; the first step has none.
        if self.steps[0].anchor is Anchor.LAST_ACTION:
            raise ScenarioError(f"scenario {self.code!r}: the first step cannot be anchored on the last action")
        for step in self.steps:
            if step.anchor is Anchor.LAST_ACTION and step.offset_days < 0:
                raise ScenarioError(
                    f"scenario {self.code!r}: step {step.code!r} cannot come before the action it follows"
                )

        # The engine plans the latest reached step by position; that only means
        # "the firmest step due now" when due-date offsets grow with position.
        previous: Step | None = None
        for step in self.steps:
            if step.anchor is not Anchor.DUE_DATE:
                continue
            if previous is not None and step.offset_days <= previous.offset_days:
                raise ScenarioError(
                    f"scenario {self.code!r}: step {step.code!r} (day {step.offset_days}) must come "
                    f"after step {previous.code!r} (day {previous.offset_days})"
                )
            previous = step

    def step(self, code: str) -> Step:
        """The step with this code; ``KeyError`` when the scenario has none."""
        for step in self.steps:
            if step.code == code:
                return step
        raise KeyError(code)


@dataclass(frozen=True)
class Item:
    """An open item of a customer's account, as the engine needs it."""

    item_id: str
    number: str
    kind: str
    """"invoice" | "credit_note" | "unallocated_payment" | "instalment" (see ItemKind)."""
    issue_date: date
    due_date: date
    open_amount: Money
    excluded: bool = False
    """Taken out of the scenario, e.g. by a dispute or a promise-to-pay status."""
    product_group: str | None = None
    """What a step limited to a product group looks at."""


@dataclass(frozen=True)
class Customer:
    customer_id: str
    entity: str
    account_number: str
    name: str
    language: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class PerformedAction:
    """A step already done (sent, called, validated) for a leader invoice."""

    step_code: str
    leader_item_id: str
    performed_on: date


@dataclass(frozen=True)
class PlannedAction:
    """One step to perform for a customer, on ``due_on``.

    ``key`` is the same for the same customer, scenario, step and leader, so
    storing actions under it makes re-planning idempotent.
    """

    key: str
    customer_id: str
    scenario_code: str
    step: Step
    leader_item_id: str
    due_on: date
    days_overdue: int
    covered_items: tuple[Item, ...]
    totals: tuple[Money, ...]
    """Open total of the covered items per currency, sorted by currency."""

    @property
    def automatic(self) -> bool:
        return self.step.automatic

    channel: Channel
    """The channel of this action: a step on several channels plans one action per channel."""

    @property
    def template(self) -> str:
        return self.step.template_for(self.channel)
