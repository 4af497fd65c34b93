"""Cash application in the public API: the review queue, the suspense list and a collector's decisions."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from opendso.matching.v1 import matching_pb2 as mt
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from opendso_gateway import matching_serializers
from opendso_gateway.bus import Bus

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
    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1, max_length=200)
    amount: DecimalString = Field(description='Decimal string in the item\'s currency, e.g. "1200.00"')
    write_off: DecimalString | None = Field(
        default=None, description="What the payment fell short by and settles anyway (fees, rounding, discount)"
    )


class ConfirmBody(BaseModel):
    """A collector's decision on a line in review or in suspense."""

    model_config = ConfigDict(extra="forbid")

    accept_proposal: bool = Field(
        default=False, description="Take the engine's proposal as it stands; customer_id and allocations are ignored"
    )
    customer_id: str = Field(default="", max_length=200)
    allocations: list[AllocationBody] = Field(
        default_factory=list, description="Items and amounts chosen; what they leave is unallocated on the customer"
    )
    learn: bool = Field(default=True, description="Remember the counterparty's IBAN and name for this customer")


class ReverseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="Why the allocation is undone, for the audit trail")


# Who decided, as told by the caller: a placeholder until the access issue brings real authentication,
# after which the user comes from the verified token and this header goes away.
UserHeader = Annotated[str, Header(alias="X-OpenDSO-User", min_length=1, max_length=200)]


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


async def _queue(
    request: Request, status: mt.TransactionStatus.ValueType, entity: str, page_size: int, page_token: str
) -> dict[str, Any]:
    answer = await _bus(request).ask(
        mt.ListReviewQueue(entity=entity, status=status, page_size=page_size, page_token=page_token), mt.ReviewQueue
    )
    return matching_serializers.review_queue(answer)


@router.get("/review", summary="Bank lines waiting for a collector, with the engine's proposal")
async def review_queue(
    request: Request,
    entity: str = "",
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    return await _queue(request, mt.TRANSACTION_STATUS_IN_REVIEW, entity, page_size, page_token)


@router.get("/suspense", summary="Bank lines no customer was found for")
async def suspense_list(
    request: Request,
    entity: str = "",
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    return await _queue(request, mt.TRANSACTION_STATUS_SUSPENSE, entity, page_size, page_token)


@router.get("/transactions/{transaction_id}", summary="One bank line and what became of it")
async def transaction_match(request: Request, transaction_id: str) -> dict[str, Any]:
    entry = await _bus(request).ask(mt.GetTransactionMatch(transaction_id=transaction_id), mt.ReviewEntry)
    return matching_serializers.review_entry(entry)


@router.post("/transactions/{transaction_id}/confirm", summary="Apply a bank line: the proposal, or items chosen")
async def confirm_match(
    request: Request, transaction_id: str, body: ConfirmBody, user: UserHeader = "api"
) -> dict[str, Any]:
    decision = await _bus(request).ask(
        mt.ConfirmMatch(
            transaction_id=transaction_id,
            accept_proposal=body.accept_proposal,
            customer_id=body.customer_id,
            allocations=[
                mt.AllocationRequest(item_id=a.item_id, amount=a.amount, write_off=a.write_off or "")
                for a in body.allocations
            ],
            user=user,
            skip_learning=not body.learn,
            correlation_id=request.state.request_id,
        ),
        mt.MatchDecision,
    )
    return matching_serializers.match_decision(decision)


@router.post("/allocations/{allocation_id}/reverse", summary="Undo an allocation: its items owe again")
async def reverse_allocation(
    request: Request, allocation_id: str, body: ReverseBody, user: UserHeader = "api"
) -> dict[str, Any]:
    decision = await _bus(request).ask(
        mt.ReverseAllocation(
            allocation_id=allocation_id, reason=body.reason, user=user, correlation_id=request.state.request_id
        ),
        mt.MatchDecision,
    )
    return matching_serializers.match_decision(decision)
