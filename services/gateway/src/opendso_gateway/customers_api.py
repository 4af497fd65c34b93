"""Finding a customer, and a customer's promises to pay.

The search is the importer's (it owns the customers); the gateway names the user's entities and portfolio in
the query and checks every answered customer against the scope again, so a wider answer never shows. The
promises are the collection engine's (it watches them until kept or broken).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from opendso.collection.v1 import collection_pb2 as col
from opendso.receivables.v1 import receivables_pb2 as rv

from opendso_gateway import response_examples as examples
from opendso_gateway import serializers
from opendso_gateway.access import allow, check_customer, not_found_customer
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal, Role
from opendso_gateway.domain.mobile import in_rep_portfolio
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

MAX_SEARCH_LIMIT = 100
MAX_SEARCH_OFFSET = 10_000
# The engine's "pending": a promise still watched, neither kept nor broken yet.
PROMISE_STATES = {"pending": "open", "open": "open", "kept": "kept", "broken": "broken"}


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def search_query(principal: Principal, text: str, entity: str, offset: int, limit: int) -> rv.SearchCustomers | None:
    """The importer's query cut to the user's scope; None when the scope reaches no customer to search."""
    scope = principal.scope
    if entity:
        if not scope.has_entity(entity):
            return None
        entities = [entity]
    elif scope.every_entity:
        entities = []
    else:
        entities = sorted(scope.entities or ())
        if not entities:
            return None
    query = rv.SearchCustomers(text=text, entities=entities, offset=offset, limit=limit)
    if scope.portfolio:
        # A sales rep's portfolio is the accounts they sell to, anyone else's those they collect.
        if principal.role is Role.SALES:
            query.sales_rep = scope.portfolio
        else:
            query.collector = scope.portfolio
    return query


@router.get(
    "",
    summary="Find customers by part of their name or account number, ignoring case and accents, in my scope",
    responses=examples.ok(examples.CUSTOMER_SEARCH),
)
async def search_customers(
    request: Request,
    principal: Annotated[Principal, allow(Feature.CUSTOMERS, Action.READ)],
    q: Annotated[
        str, Query(min_length=2, max_length=100, description="Part of the name or the account number; words all match")
    ],
    entity: Annotated[str, Query(max_length=50, description="Only this entity's customers")] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_SEARCH_OFFSET, description="How many matches to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT, description="How many customers at most")] = 20,
) -> dict[str, Any]:
    if sum(c.isalnum() for c in q) < 2:
        raise Problem(422, "Invalid request", "type at least 2 letters or digits to search")
    query = search_query(principal, q, entity, offset, limit)
    if query is None:
        return {"customers": [], "offset": offset, "limit": limit, "more": False}
    answer = await _bus(request).ask(query, rv.CustomerSearchResults)
    scope = principal.scope
    found = [
        c
        for c in answer.customers
        # Checked again here: the importer cuts by what it is asked, the gateway by the user's scope.
        if scope.has_entity(c.entity) and in_rep_portfolio(scope, principal.role, c.collector, c.sales_rep)
    ]
    return {
        "customers": [serializers.customer(c, principal.role) for c in found],
        "offset": offset,
        "limit": limit,
        "more": answer.more,
    }


def promise(p: col.PromiseToPay) -> dict[str, Any]:
    return {
        "promise_id": p.promise_id,
        "item_ids": list(p.item_ids),
        "amount": serializers.money(p.promised_amount),
        "promised_on": serializers.date(p.promised_on),
        "created_on": serializers.date(p.created_on),
        "by": p.by_user,
        "state": PROMISE_STATES.get(p.state, p.state),
    }


@router.get(
    "/{entity}/{account_number}/promises",
    summary="A customer's promises to pay: amount, day, items, and whether each was kept, broken or is open",
    responses=examples.ok(examples.CUSTOMER_PROMISES),
)
async def customer_promises(
    request: Request,
    entity: str,
    account_number: str,
    principal: Annotated[Principal, allow(Feature.QUALIFICATIONS, Action.READ)],
    limit: Annotated[int, Query(ge=1, le=500, description="How many promises at most, latest first")] = 100,
) -> dict[str, Any]:
    await check_sales_or_collector_scope(request, principal, entity, account_number)
    answer = await _bus(request).ask(
        col.ListPromises(customer_id=f"{entity}/{account_number}", limit=limit), col.Promises
    )
    return {"promises": [promise(p) for p in answer.promises], "truncated": answer.truncated}


async def check_sales_or_collector_scope(
    request: Request, principal: Principal, entity: str, account_number: str
) -> None:
    """404 unless the customer is in the user's entities and portfolio: for a sales rep the accounts they sell
    to (as the mobile API reads a portfolio), for anyone else those they collect (``check_customer``)."""
    if principal.role is not Role.SALES or not principal.scope.portfolio:
        await check_customer(request, principal, entity, account_number)
        return
    if not principal.scope.has_entity(entity):
        raise not_found_customer(entity, account_number)
    account = await _bus(request).ask(
        rv.GetCustomerAccount(entity=entity, account_number=account_number), rv.CustomerAccount
    )
    c = account.customer
    if not account.found or not principal.scope.has_entity(c.entity or entity):
        raise not_found_customer(entity, account_number)
    if not in_rep_portfolio(principal.scope, principal.role, c.collector, c.sales_rep):
        raise not_found_customer(entity, account_number)
