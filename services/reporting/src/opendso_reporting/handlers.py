"""Item events keep the aging read model current; GetAging answers from it."""

from __future__ import annotations

import datetime as dt

from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_contracts.convert import date_from_proto, date_to_proto, money_from_proto, money_to_proto

from opendso_reporting.domain.aging import AgingItem, aging
from opendso_reporting.store import UnitOfWork


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
