"""The mobile read API for sales reps: one request for what a phone shows before a visit (an account summed up)
and one for the disputes waiting for the rep's answer.

Scoped like the rest of the API (entities), and by portfolio: a sales rep's accounts are those whose sales rep
they are (``domain.mobile.in_rep_portfolio``). Out of scope reads as missing. Confidential fields (credit terms,
internal comments) are left out for roles that may not see them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from opendso.collection.v1 import collection_pb2 as col
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_contracts.convert import optional_date_from_proto
from pydantic import BaseModel, ConfigDict, Field

from opendso_gateway import response_examples as examples
from opendso_gateway import serializers
from opendso_gateway.access import allow, audit_ids, not_found_customer
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal, without_confidential
from opendso_gateway.domain.mobile import (
    OpenAmount,
    assignee_names,
    balances,
    in_rep_portfolio,
    is_assignee,
    oldest_days_overdue,
)
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/mobile", tags=["mobile (sales reps)"])


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        # A malformed amount from a ledger counts as nothing rather than failing the whole summary.
        return Decimal(0)


def _today(request: Request) -> dt.date:
    now: dt.datetime = request.app.state.clock()
    return now.date()


def _dispute(d: col.Dispute, principal: Principal, *, assigned: bool = False) -> dict[str, Any]:
    """A dispute as the caller may see it. Its comment is the question its owner is asked: confidential to
    others, but the colleague it is assigned to needs it to answer."""
    body = {
        "customer_id": d.customer_id,
        "entity": d.entity,
        "account_number": d.account_number,
        "customer_name": d.customer_name,
        "item_id": d.item_id,
        "item_number": d.item_number,
        "open_amount": serializers.money(d.open_amount),
        "due_date": serializers.date(d.due_date),
        "disputed_since": serializers.date(d.since),
        "owner": d.owner,
        "comment": d.comment,
        "answers": list(d.answers),
    }
    if assigned or is_assignee(principal, d.owner, d.sales_rep):
        return body
    return without_confidential("item_status", body, principal.role)


def _in_scope(principal: Principal, entity: str, collector: str, sales_rep: str) -> bool:
    scope = principal.scope
    return scope.has_entity(entity) and in_rep_portfolio(scope, principal.role, collector, sales_rep)


async def _account_in_scope(
    request: Request, principal: Principal, entity: str, account_number: str
) -> rv.CustomerAccount:
    """The account, if the caller may see its customer; otherwise the same 404 as for no such account (a
    customer outside the caller's scope is not told apart from one that does not exist)."""
    if not principal.scope.has_entity(entity):
        raise not_found_customer(entity, account_number)
    account = await _bus(request).ask(
        rv.GetCustomerAccount(entity=entity, account_number=account_number), rv.CustomerAccount
    )
    customer = account.customer
    if not account.found or not _in_scope(principal, customer.entity or entity, customer.collector, customer.sales_rep):
        raise not_found_customer(entity, account_number)
    return account


@router.get(
    "/customers/{entity}/{account_number}",
    summary="Mobile: a customer's account summed up before a visit: balances, overdue, open items, disputes, contacts",
    responses=examples.ok(examples.MOBILE_ACCOUNT_SUMMARY),
)
async def account_summary(
    request: Request,
    entity: str,
    account_number: str,
    principal: Annotated[Principal, allow(Feature.CUSTOMERS, Action.READ)],
) -> dict[str, Any]:
    account = await _account_in_scope(request, principal, entity, account_number)
    customer = account.customer
    disputes = (
        await _bus(request).ask(col.ListDisputes(customer_id=customer.customer_id, limit=100), col.Disputes)
        if principal.may(Feature.QUALIFICATIONS, Action.READ)
        else col.Disputes()
    )
    today = _today(request)
    amounts = [
        OpenAmount(optional_date_from_proto(i.due_date), _amount(i.open_amount.amount), i.open_amount.currency)
        for i in account.items
    ]
    disputed = {d.item_id for d in disputes.disputes}
    items = sorted(
        (i for i, a in zip(account.items, amounts, strict=True) if a.amount > 0),
        key=lambda i: (serializers.date(i.due_date) or "9999-12-31", i.number),
    )
    return {
        "customer": serializers.customer(customer, principal.role),
        "balances": [
            {
                "currency": b.currency,
                "open": str(b.open),
                "overdue": str(b.overdue),
                "open_items": b.open_items,
                "overdue_items": b.overdue_items,
            }
            for b in balances(amounts, today)
        ],
        "oldest_days_overdue": oldest_days_overdue(amounts, today),
        "items": [
            {
                "item_id": i.item_id,
                "number": i.number,
                "due_date": serializers.date(i.due_date),
                "open_amount": serializers.money(i.open_amount),
                "disputed": i.item_id in disputed,
            }
            for i in items
        ],
        "disputes": [_dispute(d, principal) for d in disputes.disputes],
        "contacts": [serializers.contact(c) for c in account.contacts],
        "as_of": today.isoformat(),
    }


@router.get(
    "/disputes",
    summary="Mobile: the open disputes assigned to me, newest first",
    responses=examples.ok(examples.MOBILE_DISPUTES),
)
async def my_disputes(
    request: Request,
    principal: Annotated[Principal, allow(Feature.QUALIFICATIONS, Action.READ)],
    entity: Annotated[str, Query(max_length=50, description="Only this entity's")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    names = assignee_names(principal)
    if not names:
        # Without a name the engine would answer every dispute: refuse rather than widen.
        raise Problem(422, "No assignee", "your user has neither a portfolio nor an e-mail to match disputes on")
    scope = principal.scope
    if entity and not scope.has_entity(entity):
        return {"disputes": [], "truncated": False}
    if entity or scope.every_entity:
        entities = [entity]
    else:
        entities = sorted(scope.entities or ())
    found: list[col.Dispute] = []
    truncated = False
    for one in entities:
        answer = await _bus(request).ask(col.ListDisputes(entity=one, assignees=names, limit=limit), col.Disputes)
        truncated = truncated or answer.truncated
        # Checked again here: the engine filters by name, the gateway by scope, and only both together hold.
        found.extend(d for d in answer.disputes if _in_scope(principal, d.entity, d.collector, d.sales_rep))
    found.sort(key=lambda d: (serializers.date(d.since) or "", d.item_id), reverse=True)
    return {
        # The engine listed them as the caller's: each one's question is theirs to read.
        "disputes": [_dispute(d, principal, assigned=True) for d in found[:limit]],
        "truncated": truncated or len(found) > limit,
    }


class DisputeAnswerBody(BaseModel):
    """A sales rep's answer to the question on a disputed item assigned to them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_id": "FR01/invoice/F-2026-0057",
                    "answer": "Confirmed with the buyer: the price is 38.50 per unit; a credit note of 115.50 follows",
                }
            ]
        },
    )

    item_id: str = Field(min_length=1, max_length=250, description="The disputed item, as the disputes list names it")
    answer: str = Field(min_length=1, max_length=4000, description="The answer; the dispute's owner gets it as a task")


@router.post(
    "/customers/{entity}/{account_number}/dispute-answers",
    summary="Mobile: answer a dispute assigned to me; its owner gets the answer as a task",
    responses={404: {"description": "No such dispute assigned to you in your scope"}},
)
async def answer_dispute(
    request: Request,
    entity: str,
    account_number: str,
    body: DisputeAnswerBody,
    principal: Annotated[Principal, allow(Feature.QUALIFICATIONS, Action.WRITE)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> dict[str, Any]:
    names = assignee_names(principal)
    if not names:
        raise Problem(422, "No assignee", "your user has neither a portfolio nor an e-mail to match disputes on")
    account = await _account_in_scope(request, principal, entity, account_number)
    customer = account.customer
    customer_id = customer.customer_id or f"{entity}/{account_number}"
    # Only a dispute the engine lists as the caller's, in their entities and portfolio, may be answered by them:
    # the same answer a colleague gives through an internal link, with the user as who answered.
    assigned = await _bus(request).ask(
        col.ListDisputes(customer_id=customer_id, assignees=names, limit=1000), col.Disputes
    )
    dispute = next(
        (
            d
            for d in assigned.disputes
            if d.item_id == body.item_id
            and d.customer_id == customer_id
            and _in_scope(principal, d.entity, d.collector, d.sales_rep)
        ),
        None,
    )
    if dispute is None:
        raise _no_dispute(body.item_id)
    audit_ids(request, item_id=body.item_id)
    answer = await _bus(request).ask(
        col.AnswerDisputeQuestion(
            customer_id=customer_id,
            item_id=body.item_id,
            answer=body.answer,
            user=principal.email,
            # Scoped to the user: another user's identical key is another request.
            idempotency_key=f"user:{principal.user_id}:answer:{body.item_id}:{idempotency_key}"
            if idempotency_key
            else "",
            correlation_id=request.state.request_id,
        ),
        col.DisputeQuestionAnswered,
    )
    return {
        "recorded": "dispute_answer",
        "answer_id": answer.answer_id,
        "item_id": answer.item_id,
        "answer": answer.answer,
        "replayed": answer.replayed,
    }


def _no_dispute(item_id: str) -> Problem:
    return Problem(404, "Not found", f"no dispute on {item_id!r} assigned to you", code="not_found")
