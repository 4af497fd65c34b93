"""Item events keep the aging read model (and the reports' item read model) current; GetAging answers from it.
Every context's events keep the timeline; GetTimeline answers from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_from_proto, date_to_proto, money_from_proto, money_to_proto

from opendso_reporting import report_handlers
from opendso_reporting.domain.aging import AgingItem, aging
from opendso_reporting.domain.timeline import KINDS, TimelineEntry, decode_cursor, encode_cursor
from opendso_reporting.store import TimelineFilter, UnitOfWork

E = TypeVar("E", bound=Message)

TIMELINE_PAGE_SIZE = 50
TIMELINE_MAX_PAGE_SIZE = 500


async def record_item(event: rv.ItemOpened | rv.ItemChanged | rv.ItemClosed, uow: UnitOfWork) -> None:
    item = event.item
    open_amount = money_from_proto(item.open_amount)
    closed = isinstance(event, rv.ItemClosed) or open_amount.is_zero()
    await uow.items.put(
        AgingItem(
            item_id=item.item_id,
            customer_id=item.customer_id,
            entity=item.entity,
            due_date=date_from_proto(item.due_date),
            open_amount=open_amount,
        ),
        closed=closed,
        version_at=event.meta.occurred_at.ToDatetime(tzinfo=dt.UTC),
    )
    await report_handlers.record_item(event, uow)


async def record_items(event: rv.ItemsChanged, uow: UnitOfWork) -> None:
    """A bulk import's batch: the same as one item event per change."""
    states = []
    for change in event.changes:
        item = change.item
        open_amount = money_from_proto(item.open_amount)
        aging_item = AgingItem(
            item_id=item.item_id,
            customer_id=item.customer_id,
            entity=item.entity,
            due_date=date_from_proto(item.due_date),
            open_amount=open_amount,
        )
        states.append((aging_item, change.type == rv.CHANGE_TYPE_CLOSED or open_amount.is_zero()))
    await uow.items.put_many(states, event.meta.occurred_at.ToDatetime(tzinfo=dt.UTC))
    await report_handlers.record_items(event, uow)


async def get_aging(query: rp.GetAging, uow: UnitOfWork, today: dt.date) -> rp.AgingReport:
    as_of = date_from_proto(query.as_of) if query.as_of.year else today
    report = rp.AgingReport(as_of=date_to_proto(as_of), entity=query.entity)
    for per_currency in aging(await uow.items.all(query.entity), as_of):
        report.currencies.append(
            rp.CurrencyAging(
                currency=per_currency.currency,
                buckets=[
                    rp.BucketAmount(label=b.bucket.label, amount=money_to_proto(b.amount), count=b.count)
                    for b in per_currency.buckets
                ],
                total=money_to_proto(per_currency.total),
                overdue=money_to_proto(per_currency.overdue),
                percent_overdue=str(per_currency.percent_overdue),
            )
        )
    return report


def record_timeline(
    translate: Callable[[E], list[TimelineEntry]],
) -> Callable[[E, UnitOfWork], Awaitable[None]]:
    """A subscriber that stores what ``translate`` makes of each event; entries already stored (a redelivery,
    a replay from the dead-letter stream) are left as they are."""

    async def record(event: E, uow: UnitOfWork) -> None:
        await uow.timeline.add(translate(event))

    return record


async def get_timeline(query: rp.GetTimeline, uow: UnitOfWork) -> rp.Timeline:
    if not query.customer_id:
        raise InvalidRequest("customer_id is required")
    if not 0 <= query.page_size <= TIMELINE_MAX_PAGE_SIZE:
        raise InvalidRequest(f"page_size must be between 1 and {TIMELINE_MAX_PAGE_SIZE}, got {query.page_size}")
    unknown = sorted(set(query.kinds) - KINDS)
    if unknown:
        raise InvalidRequest(f"unknown kind {', '.join(map(repr, unknown))}; kinds are {', '.join(sorted(KINDS))}")
    occurred_from = query.occurred_from.ToDatetime(tzinfo=dt.UTC) if query.HasField("occurred_from") else None
    before = query.occurred_before.ToDatetime(tzinfo=dt.UTC) if query.HasField("occurred_before") else None
    if occurred_from is not None and before is not None and occurred_from >= before:
        raise InvalidRequest(
            f"the period is empty: from {occurred_from.isoformat()} is not before {before.isoformat()}"
        )
    try:
        after = decode_cursor(query.page_token) if query.page_token else None
    except ValueError as exc:
        raise InvalidRequest(f"page_token is not a token this service issued: {exc}") from None
    page_size = query.page_size or TIMELINE_PAGE_SIZE
    rows = await uow.timeline.page(
        TimelineFilter(
            customer_id=query.customer_id,
            item_id=query.item_id,
            kinds=tuple(sorted(set(query.kinds))),
            occurred_from=occurred_from,
            occurred_before=before,
            after=after,
            limit=page_size + 1,
        )
    )
    page = rows[:page_size]
    answer = rp.Timeline(
        next_page_token=encode_cursor(page[-1].occurred_at, page[-1].entry_id) if len(rows) > page_size else ""
    )
    for row in page:
        entry = answer.entries.add(
            entry_id=row.entry_id,
            customer_id=row.customer_id,
            item_ids=row.item_ids,
            kind=row.kind,
            actor=row.actor,
            actor_type=row.actor_type,
            summary=row.summary,
            detail_json=row.detail_json,
            event_id=row.event_id,
        )
        entry.occurred_at.FromDatetime(row.occurred_at)
    return answer
