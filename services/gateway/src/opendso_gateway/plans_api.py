"""Payment plans in the public API: a collector agrees instalments that replace a customer's items in the scenario."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from opendso.collection.v1 import collection_pb2 as col
from opendso.common.v1.common_pb2 import Money
from opendso_contracts.convert import date_to_proto
from pydantic import BaseModel, ConfigDict, Field

from opendso_gateway import serializers
from opendso_gateway.access import allow, check_customer, check_ids
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal, Role, without_confidential
from opendso_gateway.matching_api import DecimalString
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/customers/{entity}/{account_number}/payment-plans", tags=["payment plans"])

Currency = Annotated[str, Field(pattern="^[A-Z]{3}$", description="ISO 4217 code of the covered items' currency")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


class AmountBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": "500.00", "currency": "EUR"}]})

    amount: DecimalString = Field(description='Decimal string, e.g. "250.00"')
    currency: Currency


class ScheduleLine(BaseModel):
    """One instalment of an explicit schedule."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"due_date": "2026-12-31", "amount": "1000.00", "currency": "EUR"}]},
    )

    due_date: dt.date
    amount: DecimalString = Field(description='Decimal string, e.g. "250.00"')
    currency: Currency


class PlanBody(BaseModel):
    """Open items of the customer paid off in instalments: a number of them, or an explicit schedule."""

    # A misspelt field silently dropped would change what the customer owes when: refuse it instead.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_ids": ["FR01/invoice/F-2026-0042", "FR01/invoice/F-2026-0057"],
                    "instalment_count": 3,
                    "first_date": "2026-12-15",
                    "frequency": "monthly",
                    "down_payment": {"amount": "500.00", "currency": "EUR"},
                    "comment": "Agreed by phone with the CFO; seasonal cash shortfall",
                },
                {
                    "item_ids": ["DE01/invoice/R-2026-1187"],
                    "schedule": [
                        {"due_date": "2026-12-31", "amount": "1000.00", "currency": "EUR"},
                        {"due_date": "2027-01-31", "amount": "1450.00", "currency": "EUR"},
                    ],
                },
            ]
        },
    )

    item_ids: list[str] = Field(min_length=1, max_length=1000)
    instalment_count: int | None = Field(default=None, ge=1, le=520)
    first_date: dt.date | None = None
    frequency: Literal["monthly", "weekly"] | None = None
    schedule: list[ScheduleLine] | None = Field(default=None, min_length=1, max_length=520)
    down_payment: AmountBody | None = Field(default=None, description="Due first, on down_payment_on (default today)")
    down_payment_on: dt.date | None = None
    comment: str = Field(default="", max_length=2000)


class CancelBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Second instalment missed; the case goes back to the scenario"}]},
    )

    reason: str = Field(default="", max_length=500, description="Why the plan ends, for the customer's timeline")


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


@router.post("", summary="Agree a payment plan: its instalments are chased instead of the items they cover")
async def create_plan(
    request: Request,
    entity: str,
    account_number: str,
    body: PlanBody,
    principal: Annotated[Principal, allow(Feature.PAYMENT_PLANS, Action.WRITE)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    await check_customer(request, principal, entity, account_number)
    check_ids(principal, body.item_ids, "item")
    by_count = {"instalment_count": body.instalment_count, "first_date": body.first_date}
    if body.schedule is None and None in by_count.values():
        missing = ", ".join(k for k, v in by_count.items() if v is None)
        raise Problem(422, "Incomplete payment plan", f"{missing}: required without a schedule")
    command = col.CreatePaymentPlan(
        customer_id=f"{entity}/{account_number}",
        item_ids=body.item_ids,
        instalment_count=body.instalment_count or 0,
        frequency=body.frequency or "",
        comment=body.comment,
        user=principal.email,
        idempotency_key=idempotency_key or "",
        correlation_id=request.state.request_id,
        schedule=[
            col.ScheduledInstalment(
                due_date=date_to_proto(line.due_date), amount=Money(amount=line.amount, currency=line.currency)
            )
            for line in body.schedule or []
        ],
    )
    if body.first_date is not None:
        command.first_date.CopyFrom(date_to_proto(body.first_date))
    if body.down_payment is not None:
        command.down_payment.CopyFrom(Money(amount=body.down_payment.amount, currency=body.down_payment.currency))
    if body.down_payment_on is not None:
        command.down_payment_on.CopyFrom(date_to_proto(body.down_payment_on))
    answer = await _bus(request).ask(command, col.PaymentPlanCreated)
    # 201 for the plan this request created; a retried request gets the same plan with 200.
    return JSONResponse(
        {"plan": plan(answer.plan, principal.role), "replayed": answer.replayed},
        status_code=200 if answer.replayed else 201,
    )


@router.get("", summary="The customer's payment plans, newest first")
async def list_plans(
    request: Request,
    entity: str,
    account_number: str,
    principal: Annotated[Principal, allow(Feature.PAYMENT_PLANS, Action.READ)],
    include_ended: bool = False,
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    answer = await _bus(request).ask(
        col.ListPaymentPlans(customer_id=f"{entity}/{account_number}", include_ended=include_ended), col.PaymentPlans
    )
    return {"customer_id": answer.customer_id, "plans": [plan(p, principal.role) for p in answer.plans]}


@router.post("/{plan_id}/cancel", summary="End an active payment plan: the covered items are chased again")
async def cancel_plan(
    request: Request,
    entity: str,
    account_number: str,
    plan_id: str,
    body: CancelBody,
    principal: Annotated[Principal, allow(Feature.PAYMENT_PLANS, Action.WRITE)],
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    answer = await _bus(request).ask(
        col.CancelPaymentPlan(
            customer_id=f"{entity}/{account_number}",
            plan_id=plan_id,
            user=principal.email,
            reason=body.reason,
            correlation_id=request.state.request_id,
        ),
        col.PaymentPlanCancelled,
    )
    return {"plan": plan(answer.plan, principal.role), "reason": answer.reason, "replayed": answer.replayed}


_STATE = {
    col.PAYMENT_PLAN_STATE_ACTIVE: "active",
    col.PAYMENT_PLAN_STATE_COMPLETED: "completed",
    col.PAYMENT_PLAN_STATE_BROKEN: "broken",
    col.PAYMENT_PLAN_STATE_CANCELLED: "cancelled",
}


def plan(p: col.PaymentPlan, role: Role) -> dict[str, Any]:
    body = {
        "plan_id": p.plan_id,
        "customer_id": p.customer_id,
        "entity": p.entity,
        "state": _STATE.get(p.state, "unknown"),
        "item_ids": list(p.item_ids),
        "total": serializers.money(p.total),
        "paid": serializers.money(p.paid),
        "frequency": p.frequency,
        "created_on": serializers.date(p.created_on),
        "created_by": p.created_by,
        "comment": p.comment,
        "ended_on": serializers.date(p.ended_on),
        "instalments": [
            {
                "item_id": i.item_id,
                "number": i.number,
                "sequence": i.sequence,
                "due_date": serializers.date(i.due_date),
                "amount": serializers.money(i.amount),
                "open_amount": serializers.money(i.open_amount),
            }
            for i in p.instalments
        ],
    }
    return without_confidential("payment_plan", body, role)
