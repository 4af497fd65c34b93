"""Cash application in the public API: the review queue, the suspense list and a collector's decisions."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from opendso.matching.v1 import matching_pb2 as mt
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from opendso_gateway import matching_serializers
from opendso_gateway.access import allow, check_ids, entity_filter
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/matching", tags=["matching"])

# Plain decimals only: Decimal() would also take "1e3", "1_000" or " 12 ", spellings more likely a client's
# bug than an amount. A leading "-" stays allowed because a credit note owes a negative amount.
DECIMAL_PATTERN = r"^-?\d{1,18}(\.\d{1,8})?$"
_DECIMAL = re.compile(DECIMAL_PATTERN)


def _no_json_number(value: object) -> object:
    # A JSON number has been through a binary float before it gets here, so refusing it is the only way to
    # keep cents exact; pydantic would refuse it too, but without saying why.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError('give the amount as a decimal string such as "12.50", not a JSON number (floats lose cents)')
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise ValueError(f'{value!r} is not a decimal amount such as "12.50" or "-3.2"')
    return value


# The validator checks the pattern already; StringConstraints, listed first or pydantic drops it, puts it in the
# OpenAPI schema for clients.
DecimalString = Annotated[str, StringConstraints(pattern=DECIMAL_PATTERN), BeforeValidator(_no_json_number)]


class AllocationBody(BaseModel):
    """Part of the payment applied to one item, in the item's currency."""

    # A misspelt field silently dropped would change where money goes: refuse it instead.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"item_id": "FR01/invoice/F-2026-0042", "amount": "1250.00"}]},
    )

    item_id: str = Field(min_length=1, max_length=200)
    amount: DecimalString = Field(description='Decimal string in the item\'s currency, e.g. "1200.00"')
    write_off: DecimalString | None = Field(
        default=None, description="What the payment fell short by and settles anyway (fees, rounding, discount)"
    )


class ConfirmBody(BaseModel):
    """A collector's decision on a line in review or in suspense."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "FR01/C00042",
                    "allocations": [
                        {"item_id": "FR01/invoice/F-2026-0042", "amount": "1250.00"},
                        {"item_id": "FR01/invoice/F-2026-0057", "amount": "2215.00", "write_off": "15.50"},
                    ],
                    "learn": True,
                },
                {"accept_proposal": True},
            ]
        },
    )

    accept_proposal: bool = Field(
        default=False, description="Take the engine's proposal as it stands; customer_id and allocations are ignored"
    )
    customer_id: str = Field(default="", max_length=200)
    allocations: list[AllocationBody] = Field(
        default_factory=list, description="Items and amounts chosen; what they leave is unallocated on the customer"
    )
    learn: bool = Field(default=True, description="Remember the counterparty's IBAN and name for this customer")


class ReverseBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Applied to the wrong customer: same name, other SIREN"}]},
    )

    reason: str = Field(min_length=1, max_length=500, description="Why the allocation is undone, for the audit trail")


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


async def _queue(
    request: Request,
    principal: Principal,
    status: mt.TransactionStatus.ValueType,
    entity: str,
    page_size: int,
    page_token: str,
) -> dict[str, Any]:
    entity_in_scope = entity_filter(principal.scope, entity)
    if entity_in_scope is None:
        return matching_serializers.review_queue(mt.ReviewQueue())
    answer = await _bus(request).ask(
        mt.ListReviewQueue(entity=entity_in_scope, status=status, page_size=page_size, page_token=page_token),
        mt.ReviewQueue,
    )
    return matching_serializers.review_queue(answer)


def _transaction_not_found(transaction_id: str) -> Problem:
    return Problem(404, "Not found", f"no bank transaction {transaction_id!r}", code="not_found")


async def _entry_in_scope(request: Request, principal: Principal, transaction_id: str) -> mt.ReviewEntry:
    entry = await _bus(request).ask(mt.GetTransactionMatch(transaction_id=transaction_id), mt.ReviewEntry)
    if not principal.scope.has_entity(entry.transaction.entity):
        raise _transaction_not_found(transaction_id)
    return entry


@router.get("/review", summary="Bank lines waiting for a collector, with the engine's proposal")
async def review_queue(
    request: Request,
    principal: Annotated[Principal, allow(Feature.CASH_APPLICATION, Action.READ)],
    entity: str = "",
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    return await _queue(request, principal, mt.TRANSACTION_STATUS_IN_REVIEW, entity, page_size, page_token)


@router.get("/suspense", summary="Bank lines no customer was found for")
async def suspense_list(
    request: Request,
    principal: Annotated[Principal, allow(Feature.CASH_APPLICATION, Action.READ)],
    entity: str = "",
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    return await _queue(request, principal, mt.TRANSACTION_STATUS_SUSPENSE, entity, page_size, page_token)


@router.get("/transactions/{transaction_id}", summary="One bank line and what became of it")
async def transaction_match(
    request: Request,
    transaction_id: str,
    principal: Annotated[Principal, allow(Feature.CASH_APPLICATION, Action.READ)],
) -> dict[str, Any]:
    return matching_serializers.review_entry(await _entry_in_scope(request, principal, transaction_id))


@router.post("/transactions/{transaction_id}/confirm", summary="Apply a bank line: the proposal, or items chosen")
async def confirm_match(
    request: Request,
    transaction_id: str,
    body: ConfirmBody,
    principal: Annotated[Principal, allow(Feature.CASH_APPLICATION, Action.WRITE)],
) -> dict[str, Any]:
    if not principal.scope.every_entity:
        # One more question to the matching service, for scoped users only: whose line it is.
        await _entry_in_scope(request, principal, transaction_id)
        check_ids(principal, [body.customer_id] if body.customer_id else [], "customer")
        check_ids(principal, [a.item_id for a in body.allocations], "item")
    decision = await _bus(request).ask(
        mt.ConfirmMatch(
            transaction_id=transaction_id,
            accept_proposal=body.accept_proposal,
            customer_id=body.customer_id,
            allocations=[
                mt.AllocationRequest(item_id=a.item_id, amount=a.amount, write_off=a.write_off or "")
                for a in body.allocations
            ],
            user=principal.email,
            skip_learning=not body.learn,
            correlation_id=request.state.request_id,
        ),
        mt.MatchDecision,
    )
    return matching_serializers.match_decision(decision)


@router.post("/allocations/{allocation_id}/reverse", summary="Undo an allocation: its items owe again")
async def reverse_allocation(
    request: Request,
    allocation_id: str,
    body: ReverseBody,
    principal: Annotated[Principal, allow(Feature.CASH_APPLICATION, Action.WRITE)],
) -> dict[str, Any]:
    decision = await _bus(request).ask(
        mt.ReverseAllocation(
            allocation_id=allocation_id,
            reason=body.reason,
            user=principal.email,
            correlation_id=request.state.request_id,
        ),
        mt.MatchDecision,
    )
    return matching_serializers.match_decision(decision)
