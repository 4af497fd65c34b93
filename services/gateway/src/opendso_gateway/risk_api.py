"""Credit risk in the public API: a customer's risk profile (score with its parts, payment behaviour, limits and
covers) and predicted payment dates, credit limits of customers and legal groups, insurance covers, external
ratings, the risk agenda, alerts, and the risk configuration.

Every route needs a permission (``Permission``, one of the gateway's features), checked by ``guard``
through the gateway's sign-in (``access.Allow``). Data scope: entities out of the user's scope answer 404,
and a user with a portfolio sees only the customers, limits, covers and alerts of that collector.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from opendso.common.v1.common_pb2 import Date, Money
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.risk.v1 import risk_pb2 as rk
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from opendso_gateway.access import Allow, bearer
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])


class Permission(StrEnum):
    # Profiles, predicted dates, limits, covers, agenda, configuration: credit limits and insurance are
    # confidential, so not for sales or read-only users.
    READ = "risk:read"
    # Credit limits, insurance covers, external ratings.
    WRITE = "risk:write"
    ALERTS_READ = "risk_alerts:read"
    ALERTS_WRITE = "risk_alerts:write"
    CONFIG_WRITE = "risk_config:write"


# Each permission of these routes in the gateway's one table of who may do what (domain.access).
FEATURES: Mapping[Permission, tuple[Feature, Action]] = {
    Permission.READ: (Feature.RISK, Action.READ),
    Permission.WRITE: (Feature.RISK, Action.WRITE),
    Permission.ALERTS_READ: (Feature.RISK_ALERTS, Action.READ),
    Permission.ALERTS_WRITE: (Feature.RISK_ALERTS, Action.WRITE),
    Permission.CONFIG_WRITE: (Feature.RISK_CONFIG, Action.WRITE),
}


@dataclass(frozen=True)
class Caller:
    """The signed-in user as these routes need them."""

    user: str
    role: str
    # None: every entity.
    entities: frozenset[str] | None
    # A collector's name: only that collector's customers.
    portfolio: str

    def has_entity(self, entity: str) -> bool:
        return self.entities is None or entity in self.entities

    def in_portfolio(self, collector: str) -> bool:
        return not self.portfolio or collector.strip().casefold() == self.portfolio.strip().casefold()

    def entity_list(self, requested: str) -> list[str] | None:
        """The entities a list asks for: the one requested (None when out of scope: nothing to list), else the
        scope's (empty: every entity)."""
        if requested:
            return [requested] if self.has_entity(requested) else None
        if self.entities is None:
            return []
        # An empty list would ask for every entity: a scope of none lists nothing.
        return sorted(self.entities) or None


def _caller(principal: Principal) -> Caller:
    scope = principal.scope
    entities = None if scope.entities is None else frozenset(scope.entities)
    return Caller(user=principal.email, role=principal.role.value, entities=entities, portfolio=scope.portfolio or "")


class _Guard(Allow):
    """The gateway's sign-in and permission check (``access.Allow``: 401, 403, 429) for one of these routes'
    permissions, answering the signed-in user as the routes need them."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(*FEATURES[permission])

    async def __call__(  # type: ignore[override]
        self, request: Request, token: Annotated[str | None, Depends(bearer)]
    ) -> Caller:
        return _caller(await super().__call__(request, token))


def guard(permission: Permission) -> Any:
    """The dependency a route declares for its permission."""
    return Depends(_Guard(permission))


Reader = Annotated[Caller, guard(Permission.READ)]
Writer = Annotated[Caller, guard(Permission.WRITE)]
AlertReader = Annotated[Caller, guard(Permission.ALERTS_READ)]
AlertWriter = Annotated[Caller, guard(Permission.ALERTS_WRITE)]
ConfigWriter = Annotated[Caller, guard(Permission.CONFIG_WRITE)]

# --- bodies ---------------------------------------------------------------------------------------------------

POSITIVE_DECIMAL = r"^\d{1,18}(\.\d{1,8})?$"


def _no_json_number(value: object) -> object:
    # A JSON number went through a binary float before it got here: refused so amounts stay exact.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError('give the amount as a decimal string such as "5000.00", not a JSON number')
    return value


PositiveDecimal = Annotated[str, StringConstraints(pattern=POSITIVE_DECIMAL), BeforeValidator(_no_json_number)]


class AmountBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount": "50000.00", "currency": "EUR"}]}
    )

    amount: PositiveDecimal = Field(description='Decimal string, e.g. "50000.00"')
    currency: str = Field(pattern="^[A-Z]{3}$", description="ISO 4217 code")


class LimitBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": {"amount": "50000.00", "currency": "EUR"},
                    "review_on": "2027-06-30",
                    "comment": "Raised after the 2025 accounts: equity up 18%",
                }
            ]
        },
    )

    amount: AmountBody
    review_on: dt.date | None = Field(default=None, description="When the limit is to be reviewed")
    comment: str = Field(default="", max_length=2000)


class RatingBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"rating": "72", "agency": "Creditreform", "rated_on": "2026-11-02"}]},
    )

    rating: PositiveDecimal = Field(description='0 (worst) to 100 (best), a decimal string such as "72"')
    agency: str = Field(default="", max_length=200)
    rated_on: dt.date | None = Field(default=None, description="Default: today")


_HOLDER_KINDS = {"customer": rk.HOLDER_KIND_CUSTOMER, "group": rk.HOLDER_KIND_GROUP, "entity": rk.HOLDER_KIND_ENTITY}
_HOLDER_KIND_NAMES = {v: k for k, v in _HOLDER_KINDS.items()}
_COVER_KINDS = {"permanent": rk.COVER_KIND_PERMANENT, "temporary": rk.COVER_KIND_TEMPORARY}
_COVER_KIND_NAMES = {v: k for k, v in _COVER_KINDS.items()}
_ALERT_STATUSES = {"open": rk.ALERT_STATUS_OPEN, "acknowledged": rk.ALERT_STATUS_ACKNOWLEDGED}
_ALERT_STATUS_NAMES = {v: k for k, v in _ALERT_STATUSES.items()}
ALERT_RULES = (
    "promise_broken",
    "limit_exceeded",
    "limit_near",
    "score_dropped",
    "overdue_without_action",
    "dispute_open",
    "insurance_expiring",
)


class CoverBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "holder_kind": "customer",
                    "holder_id": "FR01/C00042",
                    "insurer": "Allianz Trade",
                    "amount": {"amount": "40000.00", "currency": "EUR"},
                    "kind": "permanent",
                    "starts_on": "2026-01-01",
                    "policy_reference": "POL-FR-2026-00871",
                },
                {
                    "holder_kind": "customer",
                    "holder_id": "DE01/K-10077",
                    "insurer": "Coface",
                    "amount": {"amount": "15000.00", "currency": "EUR"},
                    "kind": "temporary",
                    "starts_on": "2026-11-01",
                    "expires_on": "2027-01-31",
                    "comment": "Covers the Christmas season orders only",
                },
            ]
        },
    )

    holder_kind: str = Field(pattern="^(customer|group|entity)$", description="customer, group or entity")
    holder_id: str = Field(
        min_length=1,
        max_length=200,
        description='"FR01/C00042" (a customer; for a group, its parent) or "FR01" (an entity)',
    )
    insurer: str = Field(min_length=1, max_length=200)
    amount: AmountBody
    kind: str = Field(pattern="^(permanent|temporary)$", description="permanent or temporary")
    starts_on: dt.date | None = None
    expires_on: dt.date | None = Field(default=None, description="Required for a temporary cover")
    policy_reference: str = Field(default="", max_length=200)
    comment: str = Field(default="", max_length=2000)


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"comment": "Called the customer: the limit excess is one order, paid on Friday"}]
        },
    )

    comment: str = Field(default="", max_length=2000)


class ConfigBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "config": {
                        "alerts": {"limit_near": {"enabled": True, "percent": 85}, "dispute_open": {"days": 21}},
                        "agenda": {"horizon_days": 45},
                    },
                    "expected_version": 3,
                }
            ]
        },
    )

    config: dict[str, Any] = Field(description="The settings to change; those left out take their defaults")
    expected_version: int = Field(ge=0, le=2**31 - 1, description="The version read (0 while the defaults apply)")


# --- helpers --------------------------------------------------------------------------------------------------


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def _date(d: Date) -> str | None:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}" if d.year else None


def _to_date(value: dt.date) -> Date:
    return Date(year=value.year, month=value.month, day=value.day)


def _money(m: Money) -> dict[str, str] | None:
    return {"amount": m.amount, "currency": m.currency} if m.currency else None


def _time(message: Any, name: str) -> str | None:
    if not message.HasField(name):
        return None
    value: dt.datetime = getattr(message, name).ToDatetime(tzinfo=dt.UTC)
    return value.isoformat()


def _not_found_customer(entity: str, account_number: str) -> Problem:
    return Problem(404, "Not found", f"no customer {account_number!r} in entity {entity!r}", code="not_found")


async def _check_customer(request: Request, caller: Caller, entity: str, account_number: str) -> None:
    """404 unless the customer is in the caller's scope; for a portfolio, the importer says whose it is."""
    if not caller.has_entity(entity):
        raise _not_found_customer(entity, account_number)
    if caller.portfolio:
        account = await _bus(request).ask(
            rv.GetCustomerAccount(entity=entity, account_number=account_number), rv.CustomerAccount
        )
        if not account.found or not caller.in_portfolio(account.customer.collector):
            raise _not_found_customer(entity, account_number)


def _scope_lists(caller: Caller, entity: str) -> list[str] | None:
    """The entities a list asks the service for (empty: every entity); None when the caller's scope holds
    none, so there is nothing to ask. 404 for a requested entity out of scope."""
    entities = caller.entity_list(entity)
    if entities is None and entity:
        raise Problem(404, "Not found", f"no entity {entity!r}", code="not_found")
    return entities


def _empty(name: str) -> dict[str, Any]:
    return {name: [], "next_page_token": None, "total": 0}


# --- JSON -----------------------------------------------------------------------------------------------------


def limit_use_json(u: rk.LimitUse) -> dict[str, Any]:
    return {
        "known": u.known,
        "balance": _money(u.balance),
        "use": u.use or None,
        "headroom": _money(u.headroom),
        "open_by_currency": [_money(m) for m in u.open_by_currency],
        "conversions": [
            {
                "amount": _money(c.amount),
                "converted": _money(c.converted),
                "rate": c.rate,
                "rate_published_on": _date(c.rate_published_on),
            }
            for c in u.conversions
        ],
        "problem": u.problem or None,
        "computed_on": _date(u.computed_on),
        "customers": u.customers,
    }


def limit_json(limit: rk.CreditLimit) -> dict[str, Any]:
    return {
        "limit_id": limit.limit_id,
        "holder_kind": _HOLDER_KIND_NAMES.get(limit.holder_kind, "unknown"),
        "holder_id": limit.holder_id,
        "holder_name": limit.holder_name,
        "entity": limit.entity,
        "collector": limit.collector or None,
        "amount": _money(limit.amount),
        "review_on": _date(limit.review_on),
        "comment": limit.comment,
        "source": limit.source,
        "updated_by": limit.updated_by or None,
        "updated_at": _time(limit, "updated_at"),
        "use": limit_use_json(limit.use) if limit.HasField("use") else None,
    }


def cover_json(c: rk.InsuranceCover) -> dict[str, Any]:
    return {
        "cover_id": c.cover_id,
        "holder_kind": _HOLDER_KIND_NAMES.get(c.holder_kind, "unknown"),
        "holder_id": c.holder_id,
        "holder_name": c.holder_name,
        "entity": c.entity,
        "collector": c.collector or None,
        "insurer": c.insurer,
        "amount": _money(c.amount),
        "kind": _COVER_KIND_NAMES.get(c.kind, "unknown"),
        "starts_on": _date(c.starts_on),
        "expires_on": _date(c.expires_on),
        "policy_reference": c.policy_reference,
        "comment": c.comment,
        "updated_by": c.updated_by or None,
        "updated_at": _time(c, "updated_at"),
    }


def rating_json(r: rk.ExternalRating) -> dict[str, Any]:
    return {
        "rating": r.rating,
        "agency": r.agency,
        "rated_on": _date(r.rated_on),
        "set_by": r.set_by,
        "set_at": _time(r, "set_at"),
    }


def score_json(s: rk.Score) -> dict[str, Any]:
    return {
        "rated": s.rated,
        "value": s.value if s.rated else None,
        "grade": s.grade or None,
        "points": s.points,
        "rated_weight": s.rated_weight,
        "parts": [
            {
                "name": p.name,
                "value": p.value or None,
                "measure": p.measure,
                "weight": p.weight,
                "quality": p.quality,
                "points": p.points,
                "rated": p.rated,
                "explanation": p.explanation,
            }
            for p in s.parts
        ],
    }


def behaviour_json(b: rk.Behaviour) -> dict[str, Any]:
    return {
        "windows": [
            {
                "months": w.months,
                "paid_invoices": w.paid_invoices,
                "average_days_to_pay": w.average_days_to_pay or None,
                "weighted_days_to_pay": w.weighted_days_to_pay or None,
                "average_days_late": w.average_days_late or None,
                "weighted_days_late": w.weighted_days_late or None,
                "share_paid_late": w.share_paid_late or None,
                "weighted_days_after_due": w.weighted_days_after_due or None,
            }
            for w in b.windows
        ],
        "trend": b.trend,
        "trend_explanation": b.trend_explanation,
        "disputes": {
            "open": b.open_disputes,
            "last_12_months": b.disputes_last_12_months,
            "resolved_last_12_months": b.disputes_resolved_last_12_months,
            "average_resolution_days": b.average_dispute_resolution_days or None,
            "oldest_open_days": b.oldest_open_dispute_days,
        },
        "promises": {
            "last_12_months": b.promises_last_12_months,
            "broken_last_12_months": b.broken_promises_last_12_months,
        },
        "last_action_on": _date(b.last_action_on),
    }


def profile_json(p: rk.RiskProfile) -> dict[str, Any]:
    return {
        "customer_id": p.customer_id,
        "entity": p.entity,
        "account_number": p.account_number,
        "name": p.name,
        "collector": p.collector or None,
        "customer_group": p.customer_group or None,
        "parent_account": p.parent_account or None,
        "group": {"group_id": p.group_id, "size": p.group_size} if p.group_id else None,
        "as_of": _date(p.as_of),
        "score": score_json(p.score),
        "behaviour": behaviour_json(p.behaviour),
        "open_balance": [_money(m) for m in p.open_balance],
        "overdue_balance": [_money(m) for m in p.overdue_balance],
        "limits": [limit_json(limit) for limit in p.limits],
        "covers": [cover_json(c) for c in p.covers],
        "external_rating": rating_json(p.external_rating) if p.HasField("external_rating") else None,
        "config_version": p.config_version,
    }


def alert_json(a: rk.Alert) -> dict[str, Any]:
    return {
        "alert_id": a.alert_id,
        "key": a.key,
        "rule": a.rule,
        "severity": a.severity,
        "summary": a.summary,
        "facts": {f.name: f.value for f in a.facts},
        "customer_id": a.customer_id or None,
        "entity": a.entity,
        "account_number": a.account_number or None,
        "customer_name": a.customer_name or None,
        "collector": a.collector or None,
        "subject_id": a.subject_id,
        "raised_at": _time(a, "raised_at"),
        "raised_on": _date(a.raised_on),
        "status": _ALERT_STATUS_NAMES.get(a.status, "open"),
        "acknowledged_by": a.acknowledged_by or None,
        "acknowledged_at": _time(a, "acknowledged_at"),
        "comment": a.comment or None,
    }


def config_json(c: rk.RiskConfig) -> dict[str, Any]:
    return {
        "config": json.loads(c.json),
        "version": c.version,
        "updated_by": c.updated_by or None,
        "updated_at": _time(c, "updated_at"),
        "defaults": json.loads(c.default_json),
    }


# --- customers ------------------------------------------------------------------------------------------------

_CUSTOMER = "/customers/{entity}/{account_number}"


@router.get(_CUSTOMER, summary="A customer's risk: score with its parts, payment behaviour, balances, limits, covers")
async def get_profile(request: Request, entity: str, account_number: str, caller: Reader) -> dict[str, Any]:
    # Whose customer it is comes first, from the importer, as on every customer route: a profile out of
    # the caller's portfolio is never fetched.
    await _check_customer(request, caller, entity, account_number)
    profile = await _bus(request).ask(rk.GetRiskProfile(customer_id=f"{entity}/{account_number}"), rk.RiskProfile)
    return profile_json(profile)


@router.get(f"{_CUSTOMER}/predicted-dates", summary="When each open invoice of a customer is expected to be paid")
async def get_predicted_dates(request: Request, entity: str, account_number: str, caller: Reader) -> dict[str, Any]:
    await _check_customer(request, caller, entity, account_number)
    answer = await _bus(request).ask(rk.GetPredictedDates(customer_id=f"{entity}/{account_number}"), rk.PredictedDates)
    return {
        "customer_id": answer.customer_id,
        "as_of": _date(answer.as_of),
        "rule": answer.rule,
        "customer_days": answer.customer_days or None,
        "customer_invoices": answer.customer_invoices,
        "segment": answer.segment or None,
        "segment_days": answer.segment_days or None,
        "segment_customers": answer.segment_customers,
        "expected_days": answer.expected_days,
        "items": [
            {
                "item_id": i.item_id,
                "number": i.number,
                "due_date": _date(i.due_date),
                "open_amount": _money(i.open_amount),
                "predicted_on": _date(i.predicted_on),
                "days_after_due": i.days_after_due,
                "later_than_usual": i.later_than_usual,
            }
            for i in answer.items
        ],
    }


@router.put(f"{_CUSTOMER}/external-rating", summary="Record a customer's rating from an agency (0 to 100)")
async def put_rating(
    request: Request, entity: str, account_number: str, body: RatingBody, caller: Writer
) -> dict[str, Any]:
    await _check_customer(request, caller, entity, account_number)
    command = rk.SetExternalRating(
        customer_id=f"{entity}/{account_number}",
        rating=body.rating,
        agency=body.agency,
        user=caller.user,
        correlation_id=_request_id(request),
    )
    if body.rated_on is not None:
        command.rated_on.CopyFrom(_to_date(body.rated_on))
    answer = await _bus(request).ask(command, rk.ExternalRatingSet)
    return {"customer_id": answer.customer_id, "external_rating": rating_json(answer.rating)}


@router.delete(f"{_CUSTOMER}/external-rating", summary="Remove a customer's external rating")
async def delete_rating(request: Request, entity: str, account_number: str, caller: Writer) -> dict[str, Any]:
    await _check_customer(request, caller, entity, account_number)
    answer = await _bus(request).ask(
        rk.SetExternalRating(
            customer_id=f"{entity}/{account_number}", rating="", user=caller.user, correlation_id=_request_id(request)
        ),
        rk.ExternalRatingSet,
    )
    return {"customer_id": answer.customer_id, "removed": answer.removed}


async def _set_limit(
    request: Request, caller: Caller, kind: rk.HolderKind.ValueType, holder_id: str, body: LimitBody
) -> dict[str, Any]:
    command = rk.SetCreditLimit(
        holder_kind=kind,
        holder_id=holder_id,
        amount=Money(amount=body.amount.amount, currency=body.amount.currency),
        comment=body.comment,
        user=caller.user,
        correlation_id=_request_id(request),
    )
    if body.review_on is not None:
        command.review_on.CopyFrom(_to_date(body.review_on))
    answer = await _bus(request).ask(command, rk.CreditLimitSet)
    return {"limit": limit_json(answer.limit), "replayed": answer.replayed}


async def _remove_limit(request: Request, caller: Caller, limit_id: str) -> dict[str, Any]:
    answer = await _bus(request).ask(
        rk.RemoveCreditLimit(limit_id=limit_id, user=caller.user, correlation_id=_request_id(request)),
        rk.CreditLimitRemoved,
    )
    return {"limit_id": answer.limit_id, "removed": answer.removed}


@router.put(f"{_CUSTOMER}/credit-limit", summary="Set a customer's credit limit, with its use computed now")
async def put_customer_limit(
    request: Request, entity: str, account_number: str, body: LimitBody, caller: Writer
) -> dict[str, Any]:
    await _check_customer(request, caller, entity, account_number)
    return await _set_limit(request, caller, rk.HOLDER_KIND_CUSTOMER, f"{entity}/{account_number}", body)


@router.delete(f"{_CUSTOMER}/credit-limit", summary="Remove the credit limit set here for a customer")
async def delete_customer_limit(request: Request, entity: str, account_number: str, caller: Writer) -> dict[str, Any]:
    await _check_customer(request, caller, entity, account_number)
    return await _remove_limit(request, caller, f"customer:{entity}/{account_number}")


_GROUP = "/groups/{entity}/{parent_account}"


@router.put(
    f"{_GROUP}/credit-limit",
    summary="Set the credit limit of a legal group: the customers sharing a parent account, and the parent",
)
async def put_group_limit(
    request: Request, entity: str, parent_account: str, body: LimitBody, caller: Writer
) -> dict[str, Any]:
    await _check_customer(request, caller, entity, parent_account)
    return await _set_limit(request, caller, rk.HOLDER_KIND_GROUP, f"{entity}/{parent_account}", body)


@router.delete(f"{_GROUP}/credit-limit", summary="Remove the credit limit of a legal group")
async def delete_group_limit(request: Request, entity: str, parent_account: str, caller: Writer) -> dict[str, Any]:
    await _check_customer(request, caller, entity, parent_account)
    return await _remove_limit(request, caller, f"group:{entity}/{parent_account}")


@router.get("/credit-limits", summary="Credit limits set here, with their last computed use")
async def list_limits(
    request: Request,
    caller: Reader,
    entity: str = "",
    holder_id: str = "",
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    entities = _scope_lists(caller, entity)
    if entities is None:
        return _empty("limits")
    answer = await _bus(request).ask(
        rk.ListCreditLimits(
            entities=entities,
            holder_id=holder_id,
            collector=caller.portfolio,
            page_size=page_size,
            page_token=page_token,
        ),
        rk.CreditLimits,
    )
    return {
        "limits": [limit_json(limit) for limit in answer.limits],
        "next_page_token": answer.next_page_token or None,
        "total": answer.total,
    }


# --- insurance covers -----------------------------------------------------------------------------------------


def _cover_message(body: CoverBody, cover_id: str = "") -> rk.InsuranceCover:
    message = rk.InsuranceCover(
        cover_id=cover_id,
        holder_kind=_HOLDER_KINDS[body.holder_kind],
        holder_id=body.holder_id,
        insurer=body.insurer,
        amount=Money(amount=body.amount.amount, currency=body.amount.currency),
        kind=_COVER_KINDS[body.kind],
        policy_reference=body.policy_reference,
        comment=body.comment,
    )
    if body.starts_on is not None:
        message.starts_on.CopyFrom(_to_date(body.starts_on))
    if body.expires_on is not None:
        message.expires_on.CopyFrom(_to_date(body.expires_on))
    return message


async def _check_holder(request: Request, caller: Caller, body: CoverBody) -> None:
    if body.holder_kind == "entity":
        if not caller.has_entity(body.holder_id) or caller.portfolio:
            raise Problem(404, "Not found", f"no entity {body.holder_id!r}", code="not_found")
        return
    entity, _, account = body.holder_id.partition("/")
    if not account:
        raise Problem(422, "Invalid request", f"holder_id: {body.holder_id!r} is not a customer id such as FR01/C00042")
    await _check_customer(request, caller, entity, account)


async def _cover_in_scope(request: Request, caller: Caller, cover_id: str) -> rk.InsuranceCover:
    entities = _scope_lists(caller, "")
    answer = (
        rk.InsuranceCovers()
        if entities is None
        else await _bus(request).ask(
            rk.ListInsuranceCovers(cover_id=cover_id, entities=entities, collector=caller.portfolio),
            rk.InsuranceCovers,
        )
    )
    if not answer.covers:
        raise Problem(404, "Not found", f"no insurance cover {cover_id!r}", code="not_found")
    return answer.covers[0]


@router.post("/insurance-covers", status_code=201, summary="Record a credit insurance cover")
async def post_cover(
    request: Request,
    body: CoverBody,
    caller: Writer,
    idempotency_key: Annotated[str, Header(max_length=200)] = "",
) -> dict[str, Any]:
    await _check_holder(request, caller, body)
    answer = await _bus(request).ask(
        rk.SetInsuranceCover(
            cover=_cover_message(body),
            user=caller.user,
            correlation_id=_request_id(request),
            idempotency_key=idempotency_key,
        ),
        rk.InsuranceCoverSet,
    )
    return {"cover": cover_json(answer.cover), "replayed": answer.replayed}


@router.put("/insurance-covers/{cover_id}", summary="Replace a credit insurance cover")
async def put_cover(request: Request, cover_id: str, body: CoverBody, caller: Writer) -> dict[str, Any]:
    await _cover_in_scope(request, caller, cover_id)
    await _check_holder(request, caller, body)
    answer = await _bus(request).ask(
        rk.SetInsuranceCover(
            cover=_cover_message(body, cover_id), user=caller.user, correlation_id=_request_id(request)
        ),
        rk.InsuranceCoverSet,
    )
    return {"cover": cover_json(answer.cover), "replayed": answer.replayed}


@router.delete("/insurance-covers/{cover_id}", summary="Remove a credit insurance cover")
async def delete_cover(request: Request, cover_id: str, caller: Writer) -> dict[str, Any]:
    await _cover_in_scope(request, caller, cover_id)
    answer = await _bus(request).ask(
        rk.RemoveInsuranceCover(cover_id=cover_id, user=caller.user, correlation_id=_request_id(request)),
        rk.InsuranceCoverRemoved,
    )
    return {"cover_id": answer.cover_id, "removed": answer.removed}


@router.get("/insurance-covers", summary="Credit insurance covers, soonest expiry first")
async def list_covers(
    request: Request,
    caller: Reader,
    entity: str = "",
    holder_id: str = "",
    include_expired: bool = False,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    entities = _scope_lists(caller, entity)
    if entities is None:
        return _empty("covers")
    answer = await _bus(request).ask(
        rk.ListInsuranceCovers(
            entities=entities,
            holder_id=holder_id,
            collector=caller.portfolio,
            include_expired=include_expired,
            page_size=page_size,
            page_token=page_token,
        ),
        rk.InsuranceCovers,
    )
    return {
        "covers": [cover_json(c) for c in answer.covers],
        "next_page_token": answer.next_page_token or None,
        "total": answer.total,
    }


# --- agenda, alerts, configuration ----------------------------------------------------------------------------


@router.get("/agenda", summary="Limits and covers to review: expiries, limits exceeded, review dates due")
async def get_agenda(
    request: Request,
    caller: Reader,
    entity: str = "",
    horizon_days: Annotated[int, Query(ge=0, le=3650)] = 0,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    entities = _scope_lists(caller, entity)
    if entities is None:
        return {"as_of": None, **_empty("entries")}
    answer = await _bus(request).ask(
        rk.GetRiskAgenda(
            entities=entities,
            collector=caller.portfolio,
            horizon_days=horizon_days,
            page_size=page_size,
            page_token=page_token,
        ),
        rk.RiskAgenda,
    )
    return {
        "as_of": _date(answer.as_of),
        "entries": [
            {
                "reason": e.reason,
                "holder_kind": _HOLDER_KIND_NAMES.get(e.holder_kind, "unknown"),
                "holder_id": e.holder_id,
                "holder_name": e.holder_name,
                "entity": e.entity,
                "collector": e.collector or None,
                "due_on": _date(e.due_on),
                "summary": e.summary,
                "limit": limit_json(e.limit) if e.HasField("limit") else None,
                "cover": cover_json(e.cover) if e.HasField("cover") else None,
            }
            for e in answer.entries
        ],
        "next_page_token": answer.next_page_token or None,
        "total": answer.total,
    }


@router.get("/alerts", summary="Risk alerts, newest first: a collector sees those of their customers")
async def list_alerts(
    request: Request,
    caller: AlertReader,
    entity: str = "",
    customer_id: str = "",
    rule: Annotated[str, Query(pattern=f"^({'|'.join(ALERT_RULES)})?$")] = "",
    status: Annotated[str, Query(pattern="^(open|acknowledged)?$")] = "",
    raised_from: dt.date | None = None,
    raised_to: dt.date | None = None,
    collector: Annotated[str, Query(max_length=200, description="Only this collector's (a portfolio: theirs)")] = "",
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    entities = _scope_lists(caller, entity)
    if entities is None:
        return _empty("alerts")
    query = rk.ListAlerts(
        entities=entities,
        collector=caller.portfolio or collector,
        customer_id=customer_id,
        rule=rule,
        status=_ALERT_STATUSES.get(status, rk.ALERT_STATUS_UNSPECIFIED),
        page_size=page_size,
        page_token=page_token,
    )
    if raised_from is not None:
        query.raised_from.CopyFrom(_to_date(raised_from))
    if raised_to is not None:
        query.raised_to.CopyFrom(_to_date(raised_to))
    answer = await _bus(request).ask(query, rk.Alerts)
    return {
        "alerts": [alert_json(a) for a in answer.alerts],
        "next_page_token": answer.next_page_token or None,
        "total": answer.total,
    }


@router.post("/alerts/{alert_id}/acknowledge", summary="Say an alert was seen")
async def acknowledge_alert(
    request: Request, alert_id: str, body: AcknowledgeBody, caller: AlertWriter
) -> dict[str, Any]:
    entities = _scope_lists(caller, "")
    if entities is None:
        raise Problem(404, "Not found", f"no alert {alert_id!r}", code="not_found")
    answer = await _bus(request).ask(
        rk.AcknowledgeAlert(
            alert_id=alert_id,
            user=caller.user,
            comment=body.comment,
            correlation_id=_request_id(request),
            entities=entities,
            collector=caller.portfolio,
        ),
        rk.AlertAcknowledged,
    )
    return {"alert": alert_json(answer.alert), "replayed": answer.replayed}


@router.get("/config", summary="The score weights and alert rules in force, with the defaults")
async def get_config(request: Request, caller: Reader) -> dict[str, Any]:
    return config_json(await _bus(request).ask(rk.GetRiskConfig(), rk.RiskConfig))


@router.put("/config", summary="Change the score weights and alert rules (refused naming every wrong setting)")
async def put_config(request: Request, body: ConfigBody, caller: ConfigWriter) -> dict[str, Any]:
    answer = await _bus(request).ask(
        rk.SetRiskConfig(
            json=json.dumps(body.config),
            expected_version=body.expected_version,
            user=caller.user,
            correlation_id=_request_id(request),
        ),
        rk.RiskConfig,
    )
    return config_json(answer)
