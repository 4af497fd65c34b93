"""Late-payment penalties in the public API: settings per entity and customer, and what a customer owes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Money
from pydantic import BaseModel, ConfigDict, Field

from opendso_gateway import serializers
from opendso_gateway.access import allow, check_customer, check_entity
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.matching_api import DecimalString

router = APIRouter(tags=["late-payment penalties"])


class AmountBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": "5.00", "currency": "EUR"}]})

    amount: DecimalString = Field(description='Decimal string, e.g. "5.00"')
    currency: str = Field(pattern="^[A-Z]{3}$", description="ISO 4217 code")


class SettingsBody(BaseModel):
    """The settings replace the stored ones; a field left out (or null) takes the entity's value, else the default
    (no penalty items, interest and compensation charged, no minimum)."""

    # A misspelt field silently dropped would charge a customer meant to be exempt: refuse it instead.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"issue_items": True, "minimum_interest": {"amount": "5.00", "currency": "EUR"}},
                {"exempt_interest": True, "exempt_compensation": True},
            ]
        },
    )

    issue_items: bool | None = Field(default=None, description="Issue interest and compensation as penalty items")
    exempt_interest: bool | None = Field(default=None, description="No late-payment interest (e.g. a public body)")
    exempt_compensation: bool | None = Field(default=None, description="No fixed recovery compensation")
    minimum_interest: AmountBody | None = Field(default=None, description="No interest item below this amount")


class CustomerSettingsBody(SettingsBody):
    law: str = Field(
        default="",
        max_length=10,
        description='Its own late-payment law ("EU", "FR", "DE", "GB", "CZ", "SK", "PL", "RO")',
    )


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _settings(body: SettingsBody, law: str = "") -> col.PenaltySettings:
    message = col.PenaltySettings(law=law)
    for name in ("issue_items", "exempt_interest", "exempt_compensation"):
        value = getattr(body, name)
        if value is not None:
            setattr(message, name, value)
    if body.minimum_interest is not None:
        message.minimum_interest.CopyFrom(
            Money(amount=body.minimum_interest.amount, currency=body.minimum_interest.currency)
        )
    return message


async def _set(request: Request, entity: str, account_number: str, settings: col.PenaltySettings, user: str) -> Any:
    answer = await _bus(request).ask(
        col.SetPenaltySettings(
            entity=entity,
            account_number=account_number,
            settings=settings,
            user=user,
            correlation_id=request.state.request_id,
        ),
        col.PenaltySettingsSet,
    )
    return _settings_answer(answer)


def _settings_answer(answer: col.PenaltySettingsSet) -> dict[str, Any]:
    return {
        "entity": answer.entity,
        "account_number": answer.account_number or None,
        "settings": settings_json(answer.settings),
        "terms": terms_json(answer.terms),
        "replayed": answer.replayed,
    }


@router.get(
    "/api/v1/entities/{entity}/penalty-settings",
    summary="An entity's late-payment penalty settings, and the terms a customer without its own gets",
)
async def get_entity_settings(
    request: Request,
    entity: str,
    principal: Annotated[Principal, allow(Feature.PENALTIES, Action.READ)],
) -> Any:
    check_entity(principal, entity)
    answer = await _bus(request).ask(col.GetPenaltySettings(entity=entity), col.PenaltySettingsSet)
    return {key: value for key, value in _settings_answer(answer).items() if key != "replayed"}


@router.put("/api/v1/entities/{entity}/penalty-settings", summary="Set an entity's late-payment penalty settings")
async def put_entity_settings(
    request: Request,
    entity: str,
    body: SettingsBody,
    principal: Annotated[Principal, allow(Feature.PENALTIES, Action.WRITE)],
) -> Any:
    check_entity(principal, entity)
    return await _set(request, entity, "", _settings(body), principal.email)


@router.put(
    "/api/v1/customers/{entity}/{account_number}/penalty-settings",
    summary="Set a customer's late-payment penalty settings (exemptions, its own law)",
)
async def put_customer_settings(
    request: Request,
    entity: str,
    account_number: str,
    body: CustomerSettingsBody,
    principal: Annotated[Principal, allow(Feature.PENALTIES, Action.WRITE)],
) -> Any:
    await check_customer(request, principal, entity, account_number)
    return await _set(request, entity, account_number, _settings(body, body.law), principal.email)


@router.get(
    "/api/v1/customers/{entity}/{account_number}/penalties",
    summary="A customer's late-payment penalties: what is due now per invoice, and the penalty items issued",
)
async def get_penalties(
    request: Request,
    entity: str,
    account_number: str,
    principal: Annotated[Principal, allow(Feature.PENALTIES, Action.READ)],
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    answer = await _bus(request).ask(col.GetPenalties(customer_id=f"{entity}/{account_number}"), col.Penalties)
    return {
        "customer_id": answer.customer_id,
        "entity": answer.entity,
        "account_number": answer.account_number,
        "as_of": serializers.date(answer.as_of),
        "terms": terms_json(answer.terms),
        "entity_settings": settings_json(answer.entity_settings),
        "customer_settings": settings_json(answer.customer_settings),
        "invoices": [
            {
                "item_id": i.item_id,
                "number": i.number,
                "due_date": serializers.date(i.due_date),
                "open_amount": serializers.money(i.open_amount),
                "days_late": i.days_late,
                "interest_to_date": _money(i, "interest_to_date"),
                "compensation": _money(i, "compensation"),
                "interest_not_issued": _money(i, "interest_not_issued"),
                "compensation_issued": i.compensation_issued,
                "interest_issued_to": serializers.date(i.interest_issued_to),
                "rates": [_rate(r) for r in i.rates],
                "problem": i.problem or None,
            }
            for i in answer.invoices
        ],
        "issued": [issued_json(p) for p in answer.issued],
    }


_KIND = {col.PENALTY_KIND_INTEREST: "interest", col.PENALTY_KIND_COMPENSATION: "compensation"}


def _money(message: Any, field: str) -> dict[str, str] | None:
    return serializers.money(getattr(message, field)) if message.HasField(field) else None


def _rate(r: col.PenaltyRate) -> dict[str, Any]:
    return {
        "period": r.period,
        "start": serializers.date(r.start),
        "end": serializers.date(r.end),
        "reference_rate": r.reference_rate,
        "points": r.points,
        "rate": r.rate,
        "fixed_on": r.fixed_on,
    }


def settings_json(s: col.PenaltySettings) -> dict[str, Any]:
    return {
        "issue_items": s.issue_items if s.HasField("issue_items") else None,
        "exempt_interest": s.exempt_interest if s.HasField("exempt_interest") else None,
        "exempt_compensation": s.exempt_compensation if s.HasField("exempt_compensation") else None,
        "law": s.law or None,
        "minimum_interest": _money(s, "minimum_interest"),
        "updated_by": s.updated_by or None,
    }


def terms_json(t: col.PenaltyTerms) -> dict[str, Any]:
    return {
        "law": t.law or None,
        "issue_items": t.issue_items,
        "charge_interest": t.charge_interest,
        "charge_compensation": t.charge_compensation,
        "minimum_interest": _money(t, "minimum_interest"),
    }


def issued_json(p: col.IssuedPenalty) -> dict[str, Any]:
    return {
        "penalty_id": p.penalty_id,
        "item_id": p.item_id,
        "number": p.number,
        "kind": _KIND.get(p.kind, "unknown"),
        "amount": serializers.money(p.amount),
        "period_from": serializers.date(p.period_from),
        "period_to": serializers.date(p.period_to),
        "rates": [_rate(r) for r in p.rates],
        "law": p.law,
        "issued_on": serializers.date(p.issued_on),
    }
