"""Roles, features and data scope: the one table of who may read and change what, and which fields of an
answer are confidential.

Pure: no FastAPI, no database. The routes name a feature and an action; ``permitted`` answers from the table
below, and ``Scope`` says which entities and customers a user's data reaches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    ADMIN = "admin"
    CREDIT_MANAGER = "credit_manager"
    COLLECTOR = "collector"
    SALES = "sales"
    READ_ONLY = "read_only"
    # A call centre, legal partner or debt buyer: the partner API (assigned cases) comes with its issue.
    PARTNER = "partner"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


class Feature(StrEnum):
    CUSTOMERS = "customers"  # accounts, the scenario chasing them and why, next best action, timeline
    QUALIFICATIONS = "qualifications"  # item statuses: disputes, promises to pay...
    AGENDA = "agenda"
    PAYMENT_PLANS = "payment_plans"
    ESCALATIONS = "escalations"  # cases handed to partners
    PENALTIES = "penalties"  # late-payment penalties and their settings
    IMPORTS = "imports"  # ledger files and batches, contacts, mapping profiles, import reports
    ENTITIES = "entities"
    CASH_APPLICATION = "cash_application"  # bank statements, review queue, suspense, confirmations
    REPORTS = "reports"
    SCENARIOS = "scenarios"
    TEMPLATES = "templates"
    FX = "fx"
    OUTBOX = "outbox"  # what the local-mode providers delivered
    RISK = "risk"  # risk profiles, scores, predicted dates, credit limits, insurance covers, the risk agenda
    RISK_ALERTS = "risk_alerts"
    RISK_CONFIG = "risk_config"  # the score's weights and the alert rules
    USERS = "users"
    AUDIT = "audit"
    PROFILE = "profile"  # one's own identity and permissions
    PARTNERS = "partners"  # call centres and legal partners: their API keys, webhooks and delivery log
    DOCUMENTS = "documents"  # customers' documents held for them (invoice PDFs), attached to e-mails, in the portal
    STATUSES = "statuses"  # the organisation's item statuses (dispute, promise to pay...) and their effects
    SENDING_HOURS = "sending_hours"  # the days and time slots an entity's automatic actions go out in


_A, _M, _C, _S, _R, _P = Role.ADMIN, Role.CREDIT_MANAGER, Role.COLLECTOR, Role.SALES, Role.READ_ONLY, Role.PARTNER
_STAFF = frozenset({_A, _M, _C, _S, _R})
_BACK_OFFICE = frozenset({_A, _M, _C, _R})
_NOBODY: frozenset[Role] = frozenset()

# Feature -> (roles that may read, roles that may write). Writing does not imply reading: both are listed.
PERMISSIONS: Mapping[Feature, tuple[frozenset[Role], frozenset[Role]]] = {
    Feature.CUSTOMERS: (_STAFF, _NOBODY),
    Feature.QUALIFICATIONS: (_STAFF, frozenset({_A, _M, _C, _S})),
    Feature.AGENDA: (_STAFF, frozenset({_A, _M, _C})),
    Feature.PAYMENT_PLANS: (_STAFF, frozenset({_A, _M, _C})),
    Feature.ESCALATIONS: (_BACK_OFFICE, frozenset({_A, _M})),
    Feature.PENALTIES: (_STAFF, frozenset({_A, _M})),
    Feature.IMPORTS: (frozenset({_A, _M, _R}), frozenset({_A, _M})),
    Feature.ENTITIES: (_STAFF, frozenset({_A})),
    Feature.CASH_APPLICATION: (_BACK_OFFICE, frozenset({_A, _M, _C})),
    Feature.REPORTS: (_STAFF, _NOBODY),
    Feature.SCENARIOS: (_BACK_OFFICE, frozenset({_A, _M})),
    Feature.TEMPLATES: (_BACK_OFFICE, frozenset({_A, _M})),
    Feature.FX: (_STAFF, frozenset({_A, _M})),
    Feature.OUTBOX: (_BACK_OFFICE, _NOBODY),
    # Credit limits and insurance terms are confidential: not for sales or read-only users.
    Feature.RISK: (frozenset({_A, _M, _C}), frozenset({_A, _M})),
    Feature.RISK_ALERTS: (frozenset({_A, _M, _C}), frozenset({_A, _M, _C})),
    Feature.RISK_CONFIG: (frozenset({_A, _M, _C}), frozenset({_A, _M})),
    Feature.USERS: (frozenset({_A}), frozenset({_A})),
    Feature.AUDIT: (frozenset({_A}), _NOBODY),
    Feature.PROFILE: (frozenset(Role), _NOBODY),
    # Credit managers pick the partner a case goes to; only admins create partners and hold their keys.
    Feature.PARTNERS: (frozenset({_A, _M}), frozenset({_A})),
    # A collector may file the invoice copy a customer asked for; within the user's entities, unlike imports.
    Feature.DOCUMENTS: (_STAFF, frozenset({_A, _M, _C})),
    # Settings: everyone who qualifies items reads the statuses; only admins change them or the sending hours.
    Feature.STATUSES: (_STAFF, frozenset({_A})),
    Feature.SENDING_HOURS: (_STAFF, frozenset({_A})),
}

# Permissions whose data cannot be cut by entity (a ledger or entities file may hold any entity's rows, an
# import report shows them): only a user whose scope is every entity has them.
GROUP_WIDE: frozenset[tuple[Feature, Action]] = frozenset(
    {
        (Feature.IMPORTS, Action.READ),
        (Feature.IMPORTS, Action.WRITE),
        (Feature.ENTITIES, Action.WRITE),
        # One catalogue for the whole organisation: an admin of one entity may not change it for the others.
        (Feature.STATUSES, Action.WRITE),
    }
)


def permitted(role: Role, feature: Feature, action: Action) -> bool:
    readers, writers = PERMISSIONS[feature]
    return role in (readers if action is Action.READ else writers)


def roles_without(feature: Feature, action: Action) -> list[Role]:
    return [role for role in Role if not permitted(role, feature, action)]


class ScopeTooWide(Exception):
    """A list query can filter on one entity only, and the user's scope holds several: they must choose."""


def entity_of(identifier: str) -> str:
    """The entity of a customer id (``FR01/C001``) or an item id (``FR01/invoice/F-1``)."""
    return identifier.split("/", 1)[0] if "/" in identifier else ""


@dataclass(frozen=True)
class Scope:
    """The data a user reaches: some entities or all (``entities`` None), and, when ``portfolio`` names a
    collector, only the customers whose collector that is."""

    entities: frozenset[str] | None = None
    portfolio: str = ""

    @property
    def every_entity(self) -> bool:
        return self.entities is None

    def has_entity(self, entity: str) -> bool:
        return self.entities is None or entity in self.entities

    def has_id(self, identifier: str) -> bool:
        """A customer or item id of an entity in scope (the portfolio is checked against the customer)."""
        return self.has_entity(entity_of(identifier))

    def in_portfolio(self, collector: str) -> bool:
        return not self.portfolio or collector.strip().casefold() == self.portfolio.strip().casefold()

    def entity_filter(self, requested: str) -> str | None:
        """The entity a list query filters on: the one asked for, or the scope's only one. None when the asked
        one is out of scope (the answer is empty); ``ScopeTooWide`` when several are in scope and none asked."""
        if requested:
            return requested if self.has_entity(requested) else None
        if self.entities is None:
            return ""
        if len(self.entities) == 1:
            return next(iter(self.entities))
        if not self.entities:
            return None
        raise ScopeTooWide(f"choose an entity: your scope holds {', '.join(sorted(self.entities))}")


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the gateway knows them from their token and their user record."""

    user_id: str
    email: str
    role: Role
    scope: Scope = Scope()
    name: str = ""

    def may(self, feature: Feature, action: Action) -> bool:
        return permitted(self.role, feature, action) and (
            self.scope.every_entity or (feature, action) not in GROUP_WIDE
        )


# --- confidential fields ------------------------------------------------------------------------------------------

# Who sees confidential fields: the people who run collection. Sales, read-only users and partners do not.
SEES_CONFIDENTIAL: frozenset[Role] = frozenset({_A, _M, _C})

# Kind of object in an answer -> its confidential fields: credit terms and internal comments.
CONFIDENTIAL: Mapping[str, frozenset[str]] = {
    "customer": frozenset({"credit_limit", "credit_insurance"}),
    "task": frozenset({"comment"}),
    "item_status": frozenset({"comment"}),
    "payment_plan": frozenset({"comment"}),
    "timeline_entry": frozenset({"comment"}),
}


def sees_confidential(role: Role) -> bool:
    return role in SEES_CONFIDENTIAL


def without_confidential(kind: str, body: dict[str, Any], role: Role) -> dict[str, Any]:
    """``body`` as ``role`` may see it: the kind's confidential fields left out, not blanked (a blank would
    say the customer has no credit limit)."""
    if sees_confidential(role):
        return body
    hidden = CONFIDENTIAL[kind]
    return {key: value for key, value in body.items() if key not in hidden}


def timeline_entry_without_comment(entry: dict[str, Any], role: Role) -> dict[str, Any]:
    """A timeline entry as ``role`` may see it: the comment out of its detail and out of its one-line summary,
    which ends with it as ``: "comment"`` (shortened)."""
    if sees_confidential(role):
        return entry
    detail = entry.get("detail")
    if not isinstance(detail, dict) or not str(detail.get("comment") or "").strip():
        return entry
    comment = " ".join(str(detail["comment"]).split())
    summary = str(entry.get("summary", ""))
    # The shortened comment starts like the comment: find where it begins, from the end.
    start = summary.rfind(f': "{comment[:20]}')
    shown = summary[:start] if start >= 0 and summary.endswith('"') else str(entry.get("kind", ""))
    kept = {key: value for key, value in detail.items() if key not in CONFIDENTIAL["timeline_entry"]}
    return {**entry, "summary": shown, "detail": kept}
