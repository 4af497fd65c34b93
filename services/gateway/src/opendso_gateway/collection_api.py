"""The collection engine's account-level actions in the public API: the next best action suggested for a
customer, and escalating its case to a partner (call centre, legal partner, debt buyer) or taking it back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from opendso.collection.v1 import collection_pb2 as col
from pydantic import BaseModel, ConfigDict, Field

from opendso_gateway import serializers
from opendso_gateway.access import allow, check_customer, check_ids
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal

router = APIRouter(prefix="/api/v1/customers", tags=["collection"])

PartnerKindName = Literal["call_centre", "legal", "debt_sale"]
_KINDS: dict[str, col.PartnerKind.ValueType] = {
    "call_centre": col.PARTNER_KIND_CALL_CENTRE,
    "legal": col.PARTNER_KIND_LEGAL,
    "debt_sale": col.PARTNER_KIND_DEBT_SALE,
}
_KIND_NAMES = {value: name for name, value in _KINDS.items()}


class EscalationBody(BaseModel):
    """A customer's case handed to a partner."""

    # A misspelt field silently dropped could escalate every overdue item instead of the chosen ones.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "partner_kind": "legal",
                    "item_ids": ["FR01/invoice/F-2026-0042", "FR01/invoice/F-2026-0057"],
                    "partner_id": "cabinet-martin",
                    "note": "Formal notice sent on 2026-10-15, no answer; the customer acknowledged the debt by phone",
                },
                {"partner_kind": "call_centre"},
            ]
        },
    )

    partner_kind: PartnerKindName = Field(description="call_centre, legal or debt_sale")
    item_ids: list[Annotated[str, Field(min_length=1, max_length=250)]] = Field(
        default_factory=list, max_length=1000, description="The items to escalate; empty: every overdue item"
    )
    partner_id: str = Field(default="", max_length=200, description="Which partner; empty leaves it to routing")
    note: str = Field(default="", max_length=2000, description="What the partner should know")


class WithdrawBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Customer paid in full on 2026-11-20"}]},
    )

    reason: str = Field(min_length=1, max_length=2000, description="Why the case is taken back")


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _customer_id(entity: str, account_number: str) -> str:
    return f"{entity}/{account_number}"


def next_best_action(a: col.NextBestAction) -> dict[str, Any]:
    return {
        "customer_id": a.customer_id,
        "action": a.action,
        "reason": a.reason,
        "rule": a.rule,
        "facts": {f.name: f.value for f in a.facts},
        "item_ids": list(a.item_ids),
        "act_on": serializers.date(a.act_on),
        "step_code": a.step_code or None,
        "channel": a.channel or None,
        "overdue": [serializers.money(m) for m in a.overdue],
        "today": serializers.date(a.today),
    }


def case_escalated(e: col.CaseEscalated) -> dict[str, Any]:
    return {
        "case_id": e.case_id,
        "customer_id": e.customer_id,
        "entity": e.entity,
        "account_number": e.account_number,
        "customer_name": e.customer_name,
        "partner_kind": _KIND_NAMES.get(e.partner_kind),
        "partner_id": e.partner_id or None,
        "items": [
            {
                "item_id": i.item_id,
                "number": i.number,
                "due_date": serializers.date(i.due_date),
                "open_amount": serializers.money(i.open_amount),
                "days_overdue": i.days_overdue,
            }
            for i in e.items
        ],
        "totals": [serializers.money(m) for m in e.totals],
        "item_status": e.item_status,
        "note": e.note,
        "escalated_by": e.escalated_by,
        "escalated_on": serializers.date(e.escalated_on),
        "task_id": e.task_id or None,
        "replayed": e.replayed,
    }


def case_withdrawn(w: col.CaseWithdrawn) -> dict[str, Any]:
    return {
        "case_id": w.case_id,
        "customer_id": w.customer_id,
        "partner_kind": _KIND_NAMES.get(w.partner_kind),
        "partner_id": w.partner_id or None,
        "item_ids": list(w.item_ids),
        "reason": w.reason,
        "withdrawn_by": w.withdrawn_by,
        "withdrawn_on": serializers.date(w.withdrawn_on),
        "replayed": w.replayed,
    }


@router.get(
    "/{entity}/{account_number}/next-action",
    summary="The one action suggested next for a customer, with the reason and the facts behind it",
)
async def get_next_action(
    request: Request,
    entity: str,
    account_number: str,
    principal: Annotated[Principal, allow(Feature.CUSTOMERS, Action.READ)],
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    answer = await _bus(request).ask(
        col.GetNextBestAction(customer_id=_customer_id(entity, account_number)), col.NextBestAction
    )
    return next_best_action(answer)


@router.post(
    "/{entity}/{account_number}/escalations",
    status_code=201,
    summary="Hand a customer's case (chosen or all overdue items) to a call centre, legal partner or debt buyer",
    responses={200: {"description": "The same escalation was already open: nothing new happened"}},
)
async def escalate(
    request: Request,
    response: Response,
    entity: str,
    account_number: str,
    body: EscalationBody,
    principal: Annotated[Principal, allow(Feature.ESCALATIONS, Action.WRITE)],
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    check_ids(principal, body.item_ids, "item")
    answer = await _bus(request).ask(
        col.EscalateCase(
            customer_id=_customer_id(entity, account_number),
            item_ids=body.item_ids,
            partner_kind=_KINDS[body.partner_kind],
            partner_id=body.partner_id,
            note=body.note,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        col.CaseEscalated,
    )
    if answer.replayed:
        response.status_code = 200
    return case_escalated(answer)


@router.post(
    "/{entity}/{account_number}/escalations/{case_id}/withdraw",
    summary="Take an escalated case back from its partner: its items return to the scenario",
)
async def withdraw(
    request: Request,
    entity: str,
    account_number: str,
    case_id: str,
    body: WithdrawBody,
    principal: Annotated[Principal, allow(Feature.ESCALATIONS, Action.WRITE)],
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    answer = await _bus(request).ask(
        col.WithdrawEscalation(
            case_id=case_id,
            customer_id=_customer_id(entity, account_number),
            reason=body.reason,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        col.CaseWithdrawn,
    )
    return case_withdrawn(answer)
