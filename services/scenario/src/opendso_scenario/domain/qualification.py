"""Item statuses and qualification: what a collector says about items, and what follows from it.

A status (dispute, promise to pay, ...) is configured once in a ``StatusCatalogue`` with its
effects: whether it takes items out of the scenario, which follow-up action it creates and after
how many days, who owns its resolution, which confirmation message it sends. ``qualify`` applies
one status to a set of a customer's items and says what to store and what to create; it never
stores or sends anything itself.

Pure and deterministic: the same request gives the same statuses, the same follow-up and the same
keys, so the service can store what ``qualify`` returns by key and a retried request changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .model import Channel, Item


class Role(StrEnum):
    """Who owns the resolution of a status."""

    COLLECTOR = "collector"
    SALES = "sales"
    CREDIT_MANAGER = "credit_manager"
    LEGAL = "legal"


class Recipient(StrEnum):
    """Who a confirmation message goes to."""

    CUSTOMER = "customer"
    OWNER = "owner"
    """The colleague who owns the resolution (an internal message)."""


ACTION_TYPES: Final = frozenset(channel.value for channel in Channel)
"""Follow-up action types: the engine's channels, so a follow-up lands on the same agenda as a step."""

ROLES: Final = frozenset(role.value for role in Role)


@dataclass(frozen=True)
class FollowUp:
    """An action to create ``delay_days`` after the qualification date."""

    action: str
    """One of ACTION_TYPES, e.g. "phone_call", "email", "internal_task"."""
    delay_days: int


@dataclass(frozen=True)
class StatusDefinition:
    code: str
    labels: Mapping[str, str] = field(hash=False)
    """Label per language code ("en", "fr", ...)."""
    excludes_from_scenario: bool = False
    follow_up: FollowUp | None = None
    resolution_owner: str | None = None
    """One of ROLES; None when nobody in particular has to act."""
    sends_confirmation: str | None = None
    """Template code of the confirmation message; None when the status sends none."""
    is_dispute: bool = False
    closes_on_payment: bool = False
    """The status ends by itself once the item is paid (a promise kept, a plan paid off)."""
    requires_comment: bool = False

    def __post_init__(self) -> None:
        # A read-only copy: a definition shared by every qualification must not change under them.
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))

    def label(self, language: str) -> str:
        """The label in ``language``, else in English, else in any language, else the code."""
        if language in self.labels:
            return self.labels[language]
        if "en" in self.labels:
            return self.labels["en"]
        if self.labels:
            return self.labels[min(self.labels)]
        return self.code


@dataclass(frozen=True)
class CatalogueProblem:
    status_code: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"status {self.status_code!r}: {self.field}: {self.message}"


class StatusCatalogueError(ValueError):
    """A catalogue that cannot be used; ``problems`` lists every reason, not just the first."""

    def __init__(self, problems: Iterable[CatalogueProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def _follow_up_problems(follow_up: FollowUp, status_code: str, field_name: str) -> list[CatalogueProblem]:
    problems = []
    if follow_up.action not in ACTION_TYPES:
        known = ", ".join(sorted(ACTION_TYPES))
        problems.append(
            CatalogueProblem(status_code, field_name, f"unknown action type {follow_up.action!r} (known: {known})")
        )
    if follow_up.delay_days < 0:
        message = f"delay_days must be >= 0, got {follow_up.delay_days}"
        problems.append(CatalogueProblem(status_code, field_name, message))
    return problems


def _definition_problems(definition: StatusDefinition) -> list[CatalogueProblem]:
    code = definition.code
    problems = []
    if not code.strip() or code != code.strip():
        problems.append(CatalogueProblem(code, "code", "must be non-blank without surrounding spaces"))
    if not definition.labels or any(not label.strip() for label in definition.labels.values()):
        problems.append(CatalogueProblem(code, "labels", "needs at least one label and no blank label"))
    if definition.follow_up is not None:
        problems.extend(_follow_up_problems(definition.follow_up, code, "follow_up"))
    if definition.resolution_owner is not None and definition.resolution_owner not in ROLES:
        known = ", ".join(sorted(ROLES))
        problems.append(
            CatalogueProblem(code, "resolution_owner", f"unknown role {definition.resolution_owner!r} (known: {known})")
        )
    if definition.sends_confirmation is not None and not definition.sends_confirmation.strip():
        problems.append(CatalogueProblem(code, "sends_confirmation", "template code must be non-blank"))
    return problems


@dataclass(frozen=True)
class StatusCatalogue:
    """The statuses an entity uses. Refuses a bad definition when saved, not when an item is qualified."""

    definitions: tuple[StatusDefinition, ...]
    _by_code: Mapping[str, StatusDefinition] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.definitions, tuple):
            raise StatusCatalogueError([CatalogueProblem("", "definitions", "must be a tuple")])
        problems: list[CatalogueProblem] = []
        by_code: dict[str, StatusDefinition] = {}
        for definition in self.definitions:
            problems.extend(_definition_problems(definition))
            if definition.code in by_code:
                problems.append(CatalogueProblem(definition.code, "code", "is used twice"))
            by_code[definition.code] = definition
        if problems:
            raise StatusCatalogueError(problems)
        object.__setattr__(self, "_by_code", MappingProxyType(by_code))

    def get(self, code: str) -> StatusDefinition | None:
        return self._by_code.get(code)

    def __getitem__(self, code: str) -> StatusDefinition:
        return self._by_code[code]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[StatusDefinition]:
        return iter(self.definitions)

    def __len__(self) -> int:
        return len(self.definitions)


DEFAULT_CATALOGUE: Final = StatusCatalogue(
    (
        StatusDefinition(
            code="dispute",
            labels={"en": "Dispute", "fr": "Litige", "de": "Reklamation"},
            excludes_from_scenario=True,
            # Sales has a week to answer before the collector chases them, not the customer.
            follow_up=FollowUp("internal_task", 7),
            resolution_owner="sales",
            sends_confirmation="dispute_acknowledgement",
            is_dispute=True,
            requires_comment=True,
        ),
        StatusDefinition(
            code="promise_to_pay",
            labels={"en": "Promise to pay", "fr": "Promesse de paiement", "de": "Zahlungsversprechen"},
            excludes_from_scenario=True,
            # No timed follow-up: the promise itself is watched on its own date (see promises.py).
            resolution_owner="collector",
            sends_confirmation="promise_to_pay_confirmation",
            closes_on_payment=True,
        ),
        StatusDefinition(
            code="payment_plan",
            labels={"en": "Payment plan", "fr": "Échéancier", "de": "Ratenzahlung"},
            excludes_from_scenario=True,
            # The instalments replace the items and are chased on their own dates.
            resolution_owner="credit_manager",
            sends_confirmation="payment_plan_confirmation",
            closes_on_payment=True,
        ),
        StatusDefinition(
            code="waiting_for_credit_note",
            labels={"en": "Waiting for credit note", "fr": "Avoir attendu", "de": "Gutschrift erwartet"},
            excludes_from_scenario=True,
            follow_up=FollowUp("internal_task", 14),
            resolution_owner="sales",
            requires_comment=True,
        ),
        StatusDefinition(
            code="paid_directly_to_sales",
            labels={
                "en": "Paid directly to sales",
                "fr": "Payé directement au commercial",
                "de": "Direkt an den Vertrieb bezahlt",
            },
            excludes_from_scenario=True,
            # Short: if the payment does not show up within days, the claim was probably wrong.
            follow_up=FollowUp("internal_task", 3),
            resolution_owner="sales",
            closes_on_payment=True,
        ),
        StatusDefinition(
            code="litigation",
            labels={"en": "Litigation", "fr": "Contentieux", "de": "Rechtsstreit"},
            excludes_from_scenario=True,
            follow_up=FollowUp("internal_task", 30),
            resolution_owner="legal",
            requires_comment=True,
        ),
        StatusDefinition(
            code="do_not_chase",
            labels={"en": "Do not chase", "fr": "Ne pas relancer", "de": "Nicht mahnen"},
            excludes_from_scenario=True,
            resolution_owner="credit_manager",
            # Stopping collection must be explained, or nobody knows when to start again.
            requires_comment=True,
        ),
        # Set by an escalation (escalations.py), not chosen by hand: the partner works the items, so the
        # scenario must not remind the customer behind its back. Legal escalations use "litigation".
        StatusDefinition(
            code="with_call_centre",
            labels={"en": "With the call centre", "fr": "Confié au centre d'appels", "de": "Beim Callcenter"},
            excludes_from_scenario=True,
            resolution_owner="collector",
        ),
        StatusDefinition(
            code="debt_sold",
            labels={"en": "Debt sold", "fr": "Créance cédée", "de": "Forderung verkauft"},
            excludes_from_scenario=True,
            resolution_owner="credit_manager",
        ),
    )
)


BUILT_IN_CODES: Final = frozenset(
    {"dispute", "promise_to_pay", "payment_plan", "litigation", "with_call_centre", "debt_sold"}
)
"""Statuses the service sets by itself (a portal dispute, a promise, a plan, an escalation): a catalogue may edit
their labels and effects but never drop them, or those flows would put items in an unknown status."""


def removal_problems(
    current: StatusCatalogue, new: StatusCatalogue, in_use: Mapping[str, int]
) -> list[CatalogueProblem]:
    """Why ``new`` may not replace ``current``: a status it drops that items still hold, or a built-in one.

    Refused rather than retired: a status that vanished while items hold it would silently exclude them from
    their scenario under a code nobody can read (see ``excluded_items``); a user removing "Waiting for credit
    note" expects to be told which items still wait, and to move them first.
    """
    kept = {d.code for d in new}
    problems = []
    for definition in current:
        if definition.code in kept:
            continue
        if definition.code in BUILT_IN_CODES:
            message = "is set by the service itself; it cannot be removed"
            problems.append(CatalogueProblem(definition.code, "code", message))
        elif in_use.get(definition.code, 0) > 0:
            count = in_use[definition.code]
            problems.append(
                CatalogueProblem(
                    definition.code,
                    "code",
                    f"{count} item{'s' if count != 1 else ''} still hold{'s' if count == 1 else ''} this status; "
                    "qualify them otherwise before removing it",
                )
            )
    return problems


def catalogue_to_dicts(catalogue: StatusCatalogue) -> list[dict[str, object]]:
    """The catalogue as plain JSON values, in its order: what the service stores."""
    return [
        {
            "code": d.code,
            "labels": dict(sorted(d.labels.items())),
            "excludes_from_scenario": d.excludes_from_scenario,
            "follow_up": None
            if d.follow_up is None
            else {"action": d.follow_up.action, "delay_days": d.follow_up.delay_days},
            "resolution_owner": d.resolution_owner,
            "sends_confirmation": d.sends_confirmation,
            "is_dispute": d.is_dispute,
            "closes_on_payment": d.closes_on_payment,
            "requires_comment": d.requires_comment,
        }
        for d in catalogue
    ]


_FLAGS: Final = ("excludes_from_scenario", "is_dispute", "closes_on_payment", "requires_comment")


def catalogue_from_dicts(data: object) -> StatusCatalogue:
    """Reads ``catalogue_to_dicts``'s form; ``StatusCatalogueError`` names every status and field that is wrong."""
    if not isinstance(data, list):
        raise StatusCatalogueError([CatalogueProblem("", "statuses", "expected a list of statuses")])
    problems: list[CatalogueProblem] = []
    definitions: list[StatusDefinition] = []
    for index, raw in enumerate(data):
        if not isinstance(raw, Mapping):
            problems.append(CatalogueProblem(f"#{index}", "status", "expected an object"))
            continue
        code = raw.get("code")
        if not isinstance(code, str):
            problems.append(CatalogueProblem(f"#{index}", "code", "expected a text"))
            continue
        labels = raw.get("labels") or {}
        if not isinstance(labels, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            problems.append(CatalogueProblem(code, "labels", "expected texts by language code"))
            continue
        follow_up = raw.get("follow_up")
        rule = None
        if follow_up is not None:
            fields = follow_up if isinstance(follow_up, Mapping) else {}
            action, delay = fields.get("action"), fields.get("delay_days")
            if not isinstance(action, str) or not isinstance(delay, int) or isinstance(delay, bool):
                problems.append(CatalogueProblem(code, "follow_up", "expected an action and a whole number of days"))
                continue
            rule = FollowUp(action, delay)
        owner, confirmation = raw.get("resolution_owner"), raw.get("sends_confirmation")
        if owner is not None and not isinstance(owner, str):
            problems.append(CatalogueProblem(code, "resolution_owner", "expected a role"))
            continue
        if confirmation is not None and not isinstance(confirmation, str):
            problems.append(CatalogueProblem(code, "sends_confirmation", "expected a template code"))
            continue
        flags = {name: raw.get(name, False) for name in _FLAGS}
        wrong = [name for name, value in flags.items() if not isinstance(value, bool)]
        if wrong:
            problems.extend(CatalogueProblem(code, name, "expected true or false") for name in wrong)
            continue
        definitions.append(
            StatusDefinition(
                code=code,
                labels={k.strip(): v for k, v in labels.items()},
                follow_up=rule,
                resolution_owner=owner or None,
                sends_confirmation=confirmation or None,
                **flags,
            )
        )
    try:
        catalogue = StatusCatalogue(tuple(definitions))
    except StatusCatalogueError as exc:
        problems.extend(exc.problems)
    if problems:
        raise StatusCatalogueError(problems)
    return catalogue


@dataclass(frozen=True)
class ItemStatus:
    """An item as qualification sees it: its current status, if any, and whether it is closed."""

    item_id: str
    status_code: str | None = None
    """None: no status, the item follows the scenario."""
    since: date | None = None
    comment: str = ""
    owner: str | None = None
    set_by: str | None = None
    closed: bool = False
    """Paid or written off: there is nothing left to qualify."""


@dataclass(frozen=True)
class Qualification:
    """A collector's request: put these items of one customer in this status."""

    customer_id: str
    item_ids: tuple[str, ...]
    status_code: str
    on: date
    comment: str
    owner: str | None
    """Who owns the resolution; None takes the status's resolution owner."""
    user: str
    action: FollowUp | None = None
    """A specific action to create instead of the status's follow-up."""
    confirm_to: Recipient | None = Recipient.CUSTOMER
    """Who gets the status's confirmation message; None sends none."""


@dataclass(frozen=True)
class QualificationProblem:
    field: str
    message: str
    item_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.field}[{self.item_id}]" if self.item_id is not None else self.field
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class FollowUpAction:
    """An action to create on an agenda; stored under ``key`` so a retried qualification creates it once."""

    key: str
    customer_id: str
    action: str
    due_on: date
    item_ids: tuple[str, ...]
    status_code: str
    owner: str | None
    comment: str


@dataclass(frozen=True)
class ConfirmationMessage:
    """A message to send; stored under ``key`` so a retried qualification sends it once."""

    key: str
    customer_id: str
    template: str
    recipient: Recipient
    owner: str | None
    status_code: str
    item_ids: tuple[str, ...]
    on: date


@dataclass(frozen=True)
class QualificationResult:
    """What to store and create. When ``problems`` is not empty, nothing is: a qualification is all or nothing."""

    statuses: tuple[ItemStatus, ...] = ()
    follow_up: FollowUpAction | None = None
    confirmation: ConfirmationMessage | None = None
    problems: tuple[QualificationProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def qualification_key(customer_id: str, status_code: str, on: date, item_ids: Iterable[str]) -> str:
    """The stable identity of a qualification: same customer, status, day and items give the same key."""
    items = "\x1f".join(sorted(set(item_ids)))
    # Hashed: a qualification can cover hundreds of items, too many for a readable key.
    digest = hashlib.sha256(items.encode()).hexdigest()[:16]
    return f"qualification:{customer_id}:{status_code}:{on.isoformat()}:{digest}"


def _request_problems(
    items: Mapping[str, ItemStatus], request: Qualification, definition: StatusDefinition | None
) -> list[QualificationProblem]:
    problems: list[QualificationProblem] = []
    if not request.customer_id.strip():
        problems.append(QualificationProblem("customer_id", "must not be blank"))
    if not request.user.strip():
        problems.append(QualificationProblem("user", "must not be blank"))
    if not request.item_ids:
        problems.append(QualificationProblem("item_ids", "select at least one item"))
    for item_id in dict.fromkeys(request.item_ids):
        current = items.get(item_id)
        if current is None:
            problems.append(QualificationProblem("item_ids", "unknown item", item_id))
        elif current.closed:
            problems.append(QualificationProblem("item_ids", "item is closed", item_id))
    if definition is None:
        problems.append(QualificationProblem("status_code", f"unknown status {request.status_code!r}"))
    elif definition.requires_comment and not request.comment.strip():
        problems.append(QualificationProblem("comment", f"status {definition.code!r} requires a comment"))
    if request.owner is not None and not request.owner.strip():
        problems.append(QualificationProblem("owner", "must not be blank; leave it out to use the status's owner"))
    if request.action is not None:
        problems.extend(
            QualificationProblem("action", p.message) for p in _follow_up_problems(request.action, "", "action")
        )
    return problems


def qualify(
    items: Mapping[str, ItemStatus], request: Qualification, catalogue: StatusCatalogue = DEFAULT_CATALOGUE
) -> QualificationResult:
    """Put the requested items in the requested status.

    ``items`` are the customer's items by id with their current status. Returns the new statuses
    (in request order, duplicates dropped), the follow-up to create (the request's specific action,
    else the status's follow-up, due ``delay_days`` after ``on``), and the confirmation to send;
    or only problems, each naming the field and, for an item, the item.
    """
    definition = catalogue.get(request.status_code)
    problems = _request_problems(items, request, definition)
    if problems or definition is None:
        return QualificationResult(problems=tuple(problems))

    item_ids = tuple(dict.fromkeys(request.item_ids))
    owner = request.owner if request.owner is not None else definition.resolution_owner
    comment = request.comment.strip()
    statuses = tuple(
        replace(
            items[item_id],
            status_code=definition.code,
            since=request.on,
            comment=comment,
            owner=owner,
            set_by=request.user,
        )
        for item_id in item_ids
    )
    key = qualification_key(request.customer_id, definition.code, request.on, item_ids)

    follow_up_rule = request.action if request.action is not None else definition.follow_up
    follow_up = None
    if follow_up_rule is not None:
        follow_up = FollowUpAction(
            key=f"{key}:follow_up",
            customer_id=request.customer_id,
            action=follow_up_rule.action,
            due_on=request.on + timedelta(days=follow_up_rule.delay_days),
            item_ids=item_ids,
            status_code=definition.code,
            owner=owner,
            comment=comment,
        )

    confirmation = None
    if definition.sends_confirmation is not None and request.confirm_to is not None:
        confirmation = ConfirmationMessage(
            key=f"{key}:confirmation:{request.confirm_to.value}",
            customer_id=request.customer_id,
            template=definition.sends_confirmation,
            recipient=request.confirm_to,
            owner=owner,
            status_code=definition.code,
            item_ids=item_ids,
            on=request.on,
        )

    return QualificationResult(statuses=statuses, follow_up=follow_up, confirmation=confirmation)


def excluded_items(
    statuses: Mapping[str, ItemStatus] | Iterable[ItemStatus], catalogue: StatusCatalogue = DEFAULT_CATALOGUE
) -> set[str]:
    """Ids of the items whose status takes them out of the scenario.

    A status code missing from the catalogue (deleted while items still carry it) excludes its
    items: wrongly chasing a disputed invoice does more harm than a reminder sent a little late,
    and the item shows up on the collector's list under an unknown status until someone fixes it.
    """
    values = statuses.values() if isinstance(statuses, Mapping) else statuses
    excluded: set[str] = set()
    for status in values:
        if status.status_code is None:
            continue
        definition = catalogue.get(status.status_code)
        if definition is None or definition.excludes_from_scenario:
            excluded.add(status.item_id)
    return excluded


def apply_exclusions(
    items: Iterable[Item],
    statuses: Mapping[str, ItemStatus] | Iterable[ItemStatus],
    catalogue: StatusCatalogue = DEFAULT_CATALOGUE,
) -> tuple[Item, ...]:
    """The items with ``excluded`` set for those a status takes out of the scenario, as the engine reads them.

    Never clears an ``excluded`` already set: something else (a payment plan) may have set it.
    """
    out = excluded_items(statuses, catalogue)
    return tuple(replace(item, excluded=True) if item.item_id in out else item for item in items)
