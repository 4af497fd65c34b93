"""The partner API: call centres and legal partners see the cases handed to them and report what they achieved.

Two audiences. Admins (a user token) create partners, issue and revoke their API keys, hand cases to them and
read the webhook delivery log, under ``/api/v1/partners``. Partners (an API key, ``Authorization: ApiKey <key>``
or ``X-API-Key``) reach ``/api/v1/partner`` only, and there only the cases assigned to them: another partner's
case answers 404 like a missing one.

A partner's cases are the collection engine's (``ListPartnerCases``): cases escalated to it from anywhere, not
only through this API; the gateway keeps a copy in ``gateway_partner_cases`` with the outcomes reported. Every
assignment, outcome and withdrawal is sent to the partner as a signed webhook, queued in the database and retried
with backoff by a background worker (``partner_webhooks``). A promise or a dispute becomes the engine's
``QualifyItems``; every other outcome its ``RecordPartnerOutcome``, published as ``PartnerOutcomeRecorded``.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from opendso.collection.v1 import collection_pb2 as col
from opendso_contracts.convert import date_to_proto, optional_date_from_proto
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from opendso_gateway import response_examples as examples
from opendso_gateway.access import Limits, allow, audit_ids, check_customer, check_ids, too_many
from opendso_gateway.accounts import Accounts
from opendso_gateway.bus import Bus
from opendso_gateway.collection_api import case_escalated
from opendso_gateway.domain.access import Action, Feature, Principal, Role
from opendso_gateway.domain.partners import (
    OUTCOMES_OF,
    AssignedCase,
    DeliveryAttempt,
    KeyScope,
    Outcome,
    OutcomeKind,
    Partner,
    PartnerKey,
    PartnerKind,
    PartnerStore,
    UnsafeUrl,
    key_matches,
    key_prefix,
    new_key,
)
from opendso_gateway.partner_memory import MemoryPartnerStore
from opendso_gateway.partner_webhooks import WebhookSender, check_url
from opendso_gateway.problems import Problem
from opendso_gateway.store import SqlAccessStore, SqlPartnerStore

log = logging.getLogger(__name__)

admin_router = APIRouter(prefix="/api/v1/partners", tags=["partners (admin)"])
partner_router = APIRouter(prefix="/api/v1/partner", tags=["partner API"])
router = APIRouter()

_PARTNER_KINDS: dict[PartnerKind, col.PartnerKind.ValueType] = {
    PartnerKind.CALL_CENTRE: col.PARTNER_KIND_CALL_CENTRE,
    PartnerKind.LEGAL: col.PARTNER_KIND_LEGAL,
}
# Outcomes the collection engine already knows as item statuses.
_QUALIFYING: dict[OutcomeKind, str] = {OutcomeKind.PROMISE: "promise_to_pay", OutcomeKind.DISPUTE: "dispute"}
# The others: recorded by the engine, which publishes them as events.
_RECORDED: dict[OutcomeKind, col.PartnerOutcomeKind.ValueType] = {
    OutcomeKind.CALL_REACHED: col.PARTNER_OUTCOME_KIND_CALL_REACHED,
    OutcomeKind.WRONG_NUMBER: col.PARTNER_OUTCOME_KIND_WRONG_NUMBER,
    OutcomeKind.NEW_CONTACT: col.PARTNER_OUTCOME_KIND_NEW_CONTACT,
    OutcomeKind.LEGAL_STATUS: col.PARTNER_OUTCOME_KIND_LEGAL_STATUS,
    OutcomeKind.RECOVERED: col.PARTNER_OUTCOME_KIND_RECOVERED,
    OutcomeKind.DOCUMENT: col.PARTNER_OUTCOME_KIND_DOCUMENT,
}
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


# -- wiring --------------------------------------------------------------------------------------------------------


def partner_store(request: Request) -> PartnerStore:
    """The app's partner store: one set on ``app.state.partners``, else the SQL one over the access store's
    database (whose migrations hold the partner tables), or one in memory beside an access store in memory."""
    return partner_store_of(request.app.state)


def partner_store_of(state: Any) -> PartnerStore:
    store: PartnerStore | None = getattr(state, "partners", None)
    if store is None:
        accounts: Accounts = state.accounts
        if isinstance(accounts.store, SqlAccessStore):
            store = SqlPartnerStore(accounts.store)
        else:
            log.warning("the access store is not a database: partners are kept in memory")
            store = MemoryPartnerStore()
        state.partners = store
    return store


def webhook_sender(request: Request) -> WebhookSender:
    return webhook_sender_of(request.app.state)


def webhook_sender_of(state: Any) -> WebhookSender:
    sender: WebhookSender | None = getattr(state, "partner_webhooks", None)
    if sender is None:
        sender = WebhookSender(partner_store_of(state))
        state.partner_webhooks = sender
    return sender


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


# -- the API key guard ---------------------------------------------------------------------------------------------


def key_refused(detail: str = "send Authorization: ApiKey <key> or X-API-Key: <key>") -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "ApiKey"})


class PartnerCaller:
    """Who calls the partner API: the partner its key belongs to, and the key."""

    def __init__(self, partner: Partner, key: PartnerKey) -> None:
        self.partner = partner
        self.key = key


class PartnerKeyGuard:
    """The dependency of every partner route: a valid, unrevoked key of an enabled partner (else 401), within the
    partner's rate limit (else 429), holding ``scope`` (else 403)."""

    def __init__(self, scope: KeyScope) -> None:
        self.scope = scope

    async def __call__(
        self,
        request: Request,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
        x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> PartnerCaller:
        secret = x_api_key or ""
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "apikey":
                secret = value.strip()
        if not secret:
            raise key_refused()
        store = partner_store(request)
        key = await store.key_by_prefix(key_prefix(secret))
        matches = key is not None and key_matches(key, secret)
        partner = await store.partner(key.partner_id) if key is not None and matches else None
        if key is None or not matches or not key.active or partner is None or partner.disabled:
            log.info("partner key refused on %s %s", request.method, request.url.path)
            raise key_refused("the API key is invalid or revoked")
        request.state.principal = Principal(
            user_id=f"partner:{partner.partner_id}", email=f"partner-key:{key.prefix}", role=Role.PARTNER
        )
        limits: Limits = request.app.state.limits
        wait = limits.per_user.take(f"partner-key:{key.key_id}", limits.clock())
        if wait:
            raise too_many(wait, "request rate limit reached for this API key")
        if self.scope not in key.scopes:
            raise Problem(403, "Forbidden", f"this API key lacks the scope {self.scope.value}")
        return PartnerCaller(partner, key)


def partner_key(scope: KeyScope) -> Any:
    return Depends(PartnerKeyGuard(scope))


# -- bodies and answers --------------------------------------------------------------------------------------------


class PartnerBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Cabinet Martin & Associés",
                    "kind": "legal",
                    "webhook_url": "https://api.cabinet-martin.fr/opendso/webhooks",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    kind: PartnerKind
    webhook_url: HttpUrl = Field(description="Where the signed webhooks go (http or https, a public address)")
    allow_private: bool = Field(
        default=False, description="Let the webhook reach a private or loopback address (an on-premises partner)"
    )


class KeyBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"scopes": ["cases:read", "cases:write"]}]}
    )

    scopes: list[KeyScope] = Field(min_length=1, max_length=len(KeyScope))


class AssignBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "entity": "FR01",
                    "account_number": "C00042",
                    "item_ids": ["FR01/invoice/F-2026-0042", "FR01/invoice/F-2026-0057"],
                    "note": "Two reminders and a formal notice unanswered; the buyer left the company",
                }
            ]
        },
    )

    entity: str = Field(min_length=1, max_length=50)
    account_number: str = Field(min_length=1, max_length=100)
    item_ids: list[Annotated[str, Field(min_length=1, max_length=250)]] = Field(
        default_factory=list, max_length=1000, description="The items to hand over; empty: every overdue item"
    )
    note: str = Field(default="", max_length=2000)


class WithdrawBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "The customer agreed a payment plan with us directly"}]},
    )

    reason: str = Field(min_length=1, max_length=2000)


class Contact(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"phone": "+33 4 72 10 20 30", "email": "compta@dupont-sarl.fr"}]},
    )

    phone: str = Field(default="", max_length=50)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=1000)


class Document(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Injonction de payer 2026-118.pdf", "url": "https://files.cabinet-martin.fr/c/2026-118.pdf"}
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    url: HttpUrl


class OutcomeBody(BaseModel):
    """What a partner achieved on a case; the fields a kind needs are required for it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "promise",
                    "comment": "Reached the owner: pays after the end-of-month customer receipts",
                    "promised_amount": "3480.50",
                    "currency": "EUR",
                    "promised_on": "2026-12-05",
                },
                {
                    "kind": "new_contact",
                    "contact": {"phone": "+33 4 72 10 20 30", "email": "compta@dupont-sarl.fr"},
                },
            ]
        },
    )

    kind: OutcomeKind
    comment: str = Field(default="", max_length=2000)
    item_ids: list[Annotated[str, Field(min_length=1, max_length=250)]] = Field(
        default_factory=list, max_length=1000, description="The case's items concerned; empty: all of them"
    )
    promised_amount: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    promised_on: dt.date | None = None
    contact: Contact | None = None
    legal_status: str = Field(default="", max_length=100)
    recovered_amount: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=2)
    document: Document | None = None


def _missing(body: OutcomeBody) -> str:
    """The first field the outcome's kind needs and lacks ("" when complete)."""
    needs: dict[OutcomeKind, list[tuple[str, bool]]] = {
        OutcomeKind.PROMISE: [
            ("promised_amount", body.promised_amount is not None),
            ("currency", body.currency is not None),
            ("promised_on", body.promised_on is not None),
        ],
        OutcomeKind.NEW_CONTACT: [("contact", body.contact is not None and any(body.contact.model_dump().values()))],
        OutcomeKind.LEGAL_STATUS: [("legal_status", bool(body.legal_status.strip()))],
        OutcomeKind.RECOVERED: [
            ("recovered_amount", body.recovered_amount is not None),
            ("currency", body.currency is not None),
        ],
        OutcomeKind.DOCUMENT: [("document", body.document is not None)],
    }
    return next((name for name, present in needs.get(body.kind, []) if not present), "")


def partner_view(partner: Partner) -> dict[str, Any]:
    return {
        "partner_id": partner.partner_id,
        "name": partner.name,
        "kind": partner.kind.value,
        "webhook_url": partner.webhook_url,
        "allow_private": partner.allow_private,
        "disabled": partner.disabled,
        "created_at": partner.created_at.isoformat(),
        "created_by": partner.created_by,
    }


def key_view(key: PartnerKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "prefix": key.prefix,
        "scopes": sorted(s.value for s in key.scopes),
        "created_at": key.created_at.isoformat(),
        "created_by": key.created_by,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


# What a partner sees of a case: the escalating user and the scenario's task stay inside.
_CASE_FIELDS = (
    "customer_name",
    "partner_kind",
    "items",
    "totals",
    "note",
    "escalated_on",
)


def case_view(case: AssignedCase) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "entity": case.entity,
        "account_number": case.account_number,
        "status": "withdrawn" if case.withdrawn_at else "open",
        "assigned_at": case.assigned_at.isoformat(),
        "withdrawn_at": case.withdrawn_at.isoformat() if case.withdrawn_at else None,
        **{name: case.detail.get(name) for name in _CASE_FIELDS},
    }


def outcome_view(outcome: Outcome) -> dict[str, Any]:
    return {
        "outcome_id": outcome.outcome_id,
        "case_id": outcome.case_id,
        "kind": outcome.kind.value,
        "at": outcome.at.isoformat(),
        **outcome.detail,
    }


def attempt_view(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "seq": attempt.seq,
        "delivery_id": attempt.delivery_id,
        "event_type": attempt.event_type,
        "case_id": attempt.case_id,
        "attempt": attempt.attempt,
        "at": attempt.at.isoformat(),
        "status": attempt.status.value,
        "http_status": attempt.http_status,
        "error": attempt.error,
    }


async def _partner_or_404(store: PartnerStore, partner_id: str) -> Partner:
    partner = await store.partner(partner_id)
    if partner is None:
        raise Problem(404, "Not found", f"no partner {partner_id!r}", code="not_found")
    return partner


async def _checked_url(url: str, allow_private: bool) -> None:
    try:
        await check_url(url, allow_private)
    except UnsafeUrl as exc:
        raise Problem(422, "Webhook URL refused", str(exc)) from None


# -- admin routes --------------------------------------------------------------------------------------------------


@admin_router.post("", status_code=201, summary="Create a partner; its webhook signing secret is shown once")
async def create_partner(
    request: Request,
    body: PartnerBody,
    principal: Annotated[Principal, allow(Feature.PARTNERS, Action.WRITE)],
) -> dict[str, Any]:
    url = str(body.webhook_url)
    await _checked_url(url, body.allow_private)
    partner = Partner(
        partner_id=str(uuid.uuid4()),
        name=body.name.strip(),
        kind=body.kind,
        webhook_url=url,
        webhook_secret="whsec_" + secrets.token_urlsafe(32),
        allow_private=body.allow_private,
        created_at=_now(request),
        created_by=principal.email,
    )
    await partner_store(request).add_partner(partner)
    audit_ids(request, partner_id=partner.partner_id)
    return {**partner_view(partner), "webhook_secret": partner.webhook_secret}


@admin_router.get("", summary="Every partner")
async def list_partners(
    request: Request, _principal: Annotated[Principal, allow(Feature.PARTNERS, Action.READ)]
) -> list[dict[str, Any]]:
    return [partner_view(p) for p in await partner_store(request).partners()]


@admin_router.get("/{partner_id}", summary="One partner, with its keys (never the keys themselves)")
async def get_partner(
    request: Request, partner_id: str, _principal: Annotated[Principal, allow(Feature.PARTNERS, Action.READ)]
) -> dict[str, Any]:
    store = partner_store(request)
    partner = await _partner_or_404(store, partner_id)
    return {**partner_view(partner), "keys": [key_view(k) for k in await store.keys(partner_id)]}


@admin_router.post("/{partner_id}/keys", status_code=201, summary="Issue an API key: shown once, stored hashed")
async def issue_key(
    request: Request,
    partner_id: str,
    body: KeyBody,
    principal: Annotated[Principal, allow(Feature.PARTNERS, Action.WRITE)],
) -> dict[str, Any]:
    store = partner_store(request)
    await _partner_or_404(store, partner_id)
    issued = new_key()
    key = PartnerKey(
        key_id=str(uuid.uuid4()),
        partner_id=partner_id,
        prefix=issued.prefix,
        key_hash=issued.key_hash,
        scopes=frozenset(body.scopes),
        created_at=_now(request),
        created_by=principal.email,
    )
    await store.add_key(key)
    audit_ids(request, key_id=key.key_id)
    return {**key_view(key), "key": issued.secret}


@admin_router.post("/{partner_id}/keys/{key_id}/revoke", summary="Revoke an API key at once")
async def revoke_key(
    request: Request,
    partner_id: str,
    key_id: str,
    _principal: Annotated[Principal, allow(Feature.PARTNERS, Action.WRITE)],
) -> dict[str, Any]:
    store = partner_store(request)
    await _partner_or_404(store, partner_id)
    if not await store.revoke_key(partner_id, key_id, _now(request)):
        known = {k.key_id for k in await store.keys(partner_id)}
        if key_id not in known:
            raise Problem(404, "Not found", f"no key {key_id!r} for this partner", code="not_found")
    return {"key_id": key_id, "revoked": True}


async def _set_disabled(request: Request, partner_id: str, disabled: bool) -> dict[str, Any]:
    store = partner_store(request)
    await _partner_or_404(store, partner_id)
    await store.set_disabled(partner_id, disabled)
    return partner_view(await _partner_or_404(store, partner_id))


@admin_router.post(
    "/{partner_id}/disable",
    summary="Disable a partner: its keys are refused and no webhook goes out to it until it is enabled again",
)
async def disable_partner(
    request: Request, partner_id: str, _principal: Annotated[Principal, allow(Feature.PARTNERS, Action.WRITE)]
) -> dict[str, Any]:
    # Its keys are kept, not revoked: enabling the partner again must not force it to install new ones.
    return await _set_disabled(request, partner_id, True)


@admin_router.post("/{partner_id}/enable", summary="Enable a disabled partner again: its active keys work again")
async def enable_partner(
    request: Request, partner_id: str, _principal: Annotated[Principal, allow(Feature.PARTNERS, Action.WRITE)]
) -> dict[str, Any]:
    return await _set_disabled(request, partner_id, False)


@admin_router.get("/{partner_id}/deliveries", summary="The webhook delivery log: every attempt, newest first")
async def deliveries(
    request: Request,
    partner_id: str,
    _principal: Annotated[Principal, allow(Feature.PARTNERS, Action.READ)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    store = partner_store(request)
    await _partner_or_404(store, partner_id)
    return [attempt_view(a) for a in await store.attempts(partner_id, limit)]


@admin_router.post(
    "/{partner_id}/cases",
    status_code=201,
    summary="Hand a customer's case to this partner (escalation) and notify it by webhook",
)
async def assign_case(
    request: Request,
    partner_id: str,
    body: AssignBody,
    principal: Annotated[Principal, allow(Feature.ESCALATIONS, Action.WRITE)],
) -> dict[str, Any]:
    store = partner_store(request)
    partner = await _partner_or_404(store, partner_id)
    if partner.disabled:
        # It would never hear of the case: its keys are refused and no webhook goes out to it.
        raise Problem(409, "Partner disabled", f"partner {partner.name!r} is disabled; enable it or choose another")
    await check_customer(request, principal, body.entity, body.account_number)
    check_ids(principal, body.item_ids, "item")
    bus: Bus = request.app.state.bus
    answer = await bus.ask(
        col.EscalateCase(
            customer_id=f"{body.entity}/{body.account_number}",
            item_ids=body.item_ids,
            partner_kind=_PARTNER_KINDS[partner.kind],
            partner_id=partner.partner_id,
            note=body.note,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        col.CaseEscalated,
    )
    if answer.partner_id != partner.partner_id:
        # The open case for these items is another partner's (or routing's): handing it over twice would leak it.
        raise Problem(409, "Case already assigned", f"these items are in case {answer.case_id} of another partner")
    case = AssignedCase(
        case_id=answer.case_id,
        partner_id=partner.partner_id,
        customer_id=answer.customer_id,
        entity=answer.entity or body.entity,
        account_number=answer.account_number or body.account_number,
        assigned_at=_now(request),
        detail=case_escalated(answer),
    )
    existing = await store.case(case.case_id)
    if existing is None:
        await store.assign_case(case)
        await webhook_sender(request).enqueue(partner, "case.assigned", case.case_id, case_view(case))
    audit_ids(request, case_id=case.case_id)
    return case_view(existing or case)


@admin_router.post("/{partner_id}/cases/{case_id}/withdraw", summary="Take a case back from this partner")
async def withdraw_case(
    request: Request,
    partner_id: str,
    case_id: str,
    body: WithdrawBody,
    principal: Annotated[Principal, allow(Feature.ESCALATIONS, Action.WRITE)],
) -> dict[str, Any]:
    store = partner_store(request)
    partner = await _partner_or_404(store, partner_id)
    case = await store.case(case_id)
    if case is None or case.partner_id != partner_id:
        raise Problem(404, "Not found", f"no case {case_id!r} for this partner", code="not_found")
    await check_customer(request, principal, case.entity, case.account_number)
    bus: Bus = request.app.state.bus
    await bus.ask(
        col.WithdrawEscalation(
            case_id=case_id,
            customer_id=case.customer_id,
            reason=body.reason,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        col.CaseWithdrawn,
    )
    if case.withdrawn_at is None:
        case = AssignedCase(**{**case.__dict__, "withdrawn_at": _now(request)})
        await store.assign_case(case)
        await webhook_sender(request).enqueue(partner, "case.withdrawn", case_id, case_view(case))
    return case_view(case)


# -- partner routes ------------------------------------------------------------------------------------------------


def _engine_case(listed: col.PartnerCase, kept: AssignedCase | None) -> AssignedCase:
    """A case as the collection engine lists it, with the day the gateway first saw it when it did."""
    escalation = listed.escalation
    escalated_on = optional_date_from_proto(escalation.escalated_on)
    withdrawn_on = optional_date_from_proto(listed.withdrawn_on)
    assigned_at = (
        kept.assigned_at
        if kept is not None
        else dt.datetime.combine(escalated_on or dt.date(1970, 1, 1), dt.time(), dt.UTC)
    )
    withdrawn_at = None
    if listed.state == "withdrawn":
        withdrawn_at = (kept.withdrawn_at if kept is not None else None) or dt.datetime.combine(
            withdrawn_on or dt.date(1970, 1, 1), dt.time(), dt.UTC
        )
    return AssignedCase(
        case_id=escalation.case_id,
        partner_id=escalation.partner_id,
        customer_id=escalation.customer_id,
        entity=escalation.entity,
        account_number=escalation.account_number,
        assigned_at=assigned_at,
        detail=case_escalated(escalation),
        withdrawn_at=withdrawn_at,
    )


async def _engine_cases(request: Request, partner_id: str, include_withdrawn: bool) -> list[AssignedCase]:
    bus: Bus = request.app.state.bus
    answer = await bus.ask(
        col.ListPartnerCases(partner_id=partner_id, include_withdrawn=include_withdrawn, limit=1000),
        col.PartnerCases,
    )
    store = partner_store(request)
    cases = []
    for listed in answer.cases:
        # The engine is asked for this partner's cases only; one of another partner would still not be shown.
        if listed.escalation.partner_id != partner_id:
            continue
        cases.append(_engine_case(listed, await store.case(listed.escalation.case_id)))
    return cases


async def _own_case(request: Request, caller: PartnerCaller, case_id: str) -> AssignedCase:
    store = partner_store(request)
    case = await store.case(case_id)
    if case is None:
        # Escalated to this partner from elsewhere (the agenda, a scenario step): known to the engine only.
        found = [c for c in await _engine_cases(request, caller.partner.partner_id, True) if c.case_id == case_id]
        if found:
            case = found[0]
            await store.assign_case(case)
    if case is None or case.partner_id != caller.partner.partner_id:
        # Another partner's case reads as a missing one.
        raise Problem(404, "Not found", f"no case {case_id!r}", code="not_found")
    return case


@partner_router.get(
    "/cases",
    summary="The cases assigned to the calling partner, from the collection engine",
    responses=examples.ok(examples.PARTNER_CASES),
)
async def my_cases(
    request: Request,
    caller: Annotated[PartnerCaller, partner_key(KeyScope.CASES_READ)],
    status: Annotated[Literal["open", "withdrawn", "all"], Query()] = "open",
) -> list[dict[str, Any]]:
    cases = await _engine_cases(request, caller.partner.partner_id, include_withdrawn=status != "open")
    views = [case_view(c) for c in sorted(cases, key=lambda c: (c.assigned_at, c.case_id))]
    return [v for v in views if status == "all" or v["status"] == status]


@partner_router.get("/cases/{case_id}", summary="One case assigned to the calling partner, with its outcomes")
async def my_case(
    request: Request, case_id: str, caller: Annotated[PartnerCaller, partner_key(KeyScope.CASES_READ)]
) -> dict[str, Any]:
    case = await _own_case(request, caller, case_id)
    outcomes = await partner_store(request).outcomes(case_id)
    return {**case_view(case), "outcomes": [outcome_view(o) for o in outcomes]}


@partner_router.post("/cases/{case_id}/outcomes", status_code=201, summary="Report what was achieved on a case")
async def report_outcome(
    request: Request,
    response: Response,
    case_id: str,
    body: OutcomeBody,
    caller: Annotated[PartnerCaller, partner_key(KeyScope.CASES_WRITE)],
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    case = await _own_case(request, caller, case_id)
    partner = caller.partner
    if case.withdrawn_at is not None:
        raise Problem(409, "Case withdrawn", f"case {case_id!r} was taken back; it takes no more outcomes")
    if body.kind not in OUTCOMES_OF[partner.kind]:
        raise Problem(422, "Outcome not for this partner", f"a {partner.kind.value} partner reports no {body.kind}")
    missing = _missing(body)
    if missing:
        raise Problem(422, "Incomplete outcome", f"a {body.kind.value} outcome needs {missing}")
    case_items = [str(i.get("item_id")) for i in case.detail.get("items", [])]
    stray = [i for i in body.item_ids if i not in case_items]
    if stray:
        raise Problem(422, "Not in the case", f"item {stray[0]!r} is not in case {case_id!r}")
    item_ids = body.item_ids or case_items
    detail = body.model_dump(mode="json", exclude_none=True, exclude={"kind"})
    detail["item_ids"] = item_ids
    status_code = _QUALIFYING.get(body.kind)
    if status_code is not None:
        command = col.QualifyItems(
            customer_id=case.customer_id,
            item_ids=item_ids,
            status_code=status_code,
            comment=body.comment,
            owner=partner.name,
            user=f"partner:{partner.name}",
            correlation_id=request.state.request_id,
        )
        if body.kind is OutcomeKind.PROMISE:
            assert body.promised_amount is not None and body.currency is not None and body.promised_on is not None
            command.promised_amount.amount = str(body.promised_amount)
            command.promised_amount.currency = body.currency
            command.promised_on.CopyFrom(date_to_proto(body.promised_on))
        bus: Bus = request.app.state.bus
        answer = await bus.ask(command, col.ItemsQualified)
        detail["promise_id"] = answer.promise_id or None
    outcome_id = str(uuid.uuid4())
    if body.kind in _RECORDED:
        recorded = await _record_outcome(request, case, partner, body, idempotency_key or outcome_id)
        detail["event_id"] = recorded.outcome_id
    outcome = Outcome(
        outcome_id=outcome_id,
        case_id=case_id,
        partner_id=partner.partner_id,
        kind=body.kind,
        at=_now(request),
        detail=detail,
    )
    await partner_store(request).add_outcome(outcome)
    audit_ids(request, outcome_id=outcome.outcome_id)
    view = outcome_view(outcome)
    await webhook_sender(request).enqueue(partner, "case.updated", case_id, {"case": case_view(case), "outcome": view})
    return view


async def _record_outcome(
    request: Request, case: AssignedCase, partner: Partner, body: OutcomeBody, key: str
) -> col.PartnerOutcomeRecorded:
    """The outcome as the collection engine's event; ``key`` makes a redelivered or repeated request one event."""
    command = col.RecordPartnerOutcome(
        case_id=case.case_id,
        partner_id=partner.partner_id,
        kind=_RECORDED[body.kind],
        note=body.comment,
        legal_status=body.legal_status,
        user=f"partner:{partner.name}",
        idempotency_key=f"partner:{partner.partner_id}:{key}",
        correlation_id=request.state.request_id,
    )
    if body.contact is not None:
        command.contact.phone = body.contact.phone
        command.contact.email = body.contact.email
        command.contact.address = body.contact.address
        command.phone = body.contact.phone
    if body.recovered_amount is not None and body.currency is not None:
        command.recovered.amount = str(body.recovered_amount)
        command.recovered.currency = body.currency
    if body.document is not None:
        command.document_url = str(body.document.url)
        command.note = f"{body.document.name}: {body.comment}" if body.comment else body.document.name
    bus: Bus = request.app.state.bus
    return await bus.ask(command, col.PartnerOutcomeRecorded)


@admin_router.get(
    "/{partner_id}/deliveries/pending", summary="Webhooks queued for this partner and not yet settled, oldest first"
)
async def pending_deliveries(
    request: Request, partner_id: str, _principal: Annotated[Principal, allow(Feature.PARTNERS, Action.READ)]
) -> list[dict[str, Any]]:
    store = partner_store(request)
    await _partner_or_404(store, partner_id)
    return [
        {
            "delivery_id": p.delivery_id,
            "event_type": p.event_type,
            "case_id": p.case_id,
            "attempts": p.attempts,
            "next_attempt_at": p.next_attempt_at.isoformat(),
            "queued_at": p.created_at.isoformat(),
        }
        for p in await store.pending_deliveries(partner_id)
    ]


router.include_router(admin_router)
router.include_router(partner_router)
