"""The customer timeline in the public API: every action, status change, comment, message and payment event of
an account, or of one of its items, newest first."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from google.protobuf.timestamp_pb2 import Timestamp
from opendso.reporting.v1 import reporting_pb2 as rp

from opendso_gateway import response_examples as examples
from opendso_gateway.access import allow, check_customer
from opendso_gateway.bus import Bus
from opendso_gateway.domain.access import Action, Feature, Principal, timeline_entry_without_comment
from opendso_gateway.problems import Problem

router = APIRouter(prefix="/api/v1/customers", tags=["timeline"])


def _bus(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def _instant(name: str, text: str, *, end_of_day: bool) -> dt.datetime:
    """A bound of the period: an instant with its offset, or a day (UTC), which ``to`` includes whole."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day + dt.timedelta(days=1 if end_of_day else 0), dt.time(), dt.UTC)
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Problem(
            422, "Invalid request", f"{name}: {text!r} is not a date (2026-11-24) or an instant (2026-11-24T09:00:00Z)"
        ) from None
    if at.tzinfo is None:
        # A time without its zone is a different instant in every office: refuse rather than guess.
        raise Problem(422, "Invalid request", f"{name}: {text!r} has no time zone; add Z or an offset such as +01:00")
    return at.astimezone(dt.UTC)


def _timestamp(at: dt.datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


def _utc(ts: Timestamp) -> str:
    return ts.ToDatetime(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def _entry(e: rp.TimelineEntry, principal: Principal) -> dict[str, Any]:
    entry = {
        "id": e.entry_id,
        "occurred_at": _utc(e.occurred_at),
        "kind": e.kind,
        "actor": e.actor,
        "actor_type": e.actor_type,
        "summary": e.summary,
        "item_ids": list(e.item_ids),
        "detail": json.loads(e.detail_json) if e.detail_json else {},
        "event_id": e.event_id,
    }
    return timeline_entry_without_comment(entry, principal.role)


@router.get(
    "/{entity}/{account_number}/timeline",
    summary="What happened on an account or one of its items: actions, statuses, comments, messages, payments",
    responses=examples.ok(examples.TIMELINE),
)
async def customer_timeline(
    request: Request,
    entity: str,
    account_number: str,
    principal: Annotated[Principal, allow(Feature.CUSTOMERS, Action.READ)],
    item: Annotated[str, Query(max_length=250, description="Only entries about this item id")] = "",
    kind: Annotated[
        list[str] | None,
        Query(description="Only these kinds (repeat the parameter or separate with commas), e.g. message.sent"),
    ] = None,
    from_: Annotated[
        str | None, Query(alias="from", description="From this day (UTC) or instant with its offset, included")
    ] = None,
    to: Annotated[
        str | None, Query(description="Up to this day (UTC, included whole) or instant with its offset, excluded")
    ] = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> dict[str, Any]:
    await check_customer(request, principal, entity, account_number)
    query = rp.GetTimeline(
        customer_id=f"{entity}/{account_number}",
        item_id=item,
        kinds=sorted({k.strip() for value in kind or [] for k in value.split(",") if k.strip()}),
        page_size=page_size,
        page_token=page_token,
    )
    if from_:
        query.occurred_from.CopyFrom(_timestamp(_instant("from", from_, end_of_day=False)))
    if to:
        query.occurred_before.CopyFrom(_timestamp(_instant("to", to, end_of_day=True)))
    answer = await _bus(request).ask(query, rp.Timeline)
    return {
        "customer_id": query.customer_id,
        "item_id": item or None,
        "entries": [_entry(e, principal) for e in answer.entries],
        "next_page_token": answer.next_page_token or None,
    }
