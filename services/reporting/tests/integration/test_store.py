"""The aging read model on real databases: late, older events never undo newer ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus.outbox import Outbox
from opendso_contracts.convert import date_to_proto
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_reporting import handlers
from opendso_reporting.app import MIGRATIONS
from opendso_reporting.store import OUTBOX, UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 24)


@pytest.fixture
async def uow_factory(make_database: MakeDatabase) -> AsyncIterator[Any]:
    import asyncio

    url = await make_database("reporting")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)  # the real migrations, not create_all
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "reporting")
    await engine.dispose()


def event(kind: type, open_amount: str, at: dt.datetime) -> Any:
    ts = Timestamp()
    ts.FromDatetime(at)
    e = kind()
    e.meta.event_id = f"{kind.__name__}-{at.isoformat()}"
    e.meta.occurred_at.CopyFrom(ts)
    e.item.CopyFrom(
        rv.OpenItem(
            item_id="FR01/invoice/F-1",
            customer_id="FR01/C1",
            entity="FR01",
            number="F-1",
            due_date=date_to_proto(TODAY - dt.timedelta(days=40)),
            open_amount={"amount": open_amount, "currency": "EUR"},
        )
    )
    return e


async def apply(uow_factory: Any, e: Any) -> None:
    async with uow_factory() as uow:
        await handlers.record_item(e, uow)
        await uow.commit()


async def aging(uow_factory: Any) -> rp.AgingReport:
    async with uow_factory() as uow:
        return await handlers.get_aging(rp.GetAging(entity="FR01"), uow, TODAY)


async def test_a_paid_item_leaves_the_aging_and_a_late_older_event_does_not_bring_it_back(uow_factory: Any) -> None:
    t0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    await apply(uow_factory, event(rv.ItemOpened, "100.00", t0))
    (eur,) = (await aging(uow_factory)).currencies
    assert eur.total.amount == "100.00"
    assert [b.count for b in eur.buckets if b.label == "31-60"] == [1]

    await apply(uow_factory, event(rv.ItemClosed, "0", t0 + dt.timedelta(minutes=5)))
    await apply(uow_factory, event(rv.ItemChanged, "40.00", t0 + dt.timedelta(minutes=1)))  # older, late

    assert list((await aging(uow_factory)).currencies) == []


async def test_a_partial_payment_lowers_the_aged_amount(uow_factory: Any) -> None:
    t0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    await apply(uow_factory, event(rv.ItemOpened, "100.00", t0))
    await apply(uow_factory, event(rv.ItemChanged, "40.50", t0 + dt.timedelta(seconds=1)))

    (eur,) = (await aging(uow_factory)).currencies
    assert (eur.total.amount, eur.overdue.amount, eur.percent_overdue) == ("40.50", "40.50", "100.00")


async def test_a_bulk_batch_ages_its_items_and_closes_those_marked_closed(uow_factory: Any) -> None:
    t0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    await apply(uow_factory, event(rv.ItemOpened, "100.00", t0))
    batch = rv.ItemsChanged()
    batch.meta.event_id = "batch-1"
    batch.meta.occurred_at.FromDatetime(t0 + dt.timedelta(seconds=1))
    for n in range(1, 1201):
        batch.changes.add(
            type=rv.CHANGE_TYPE_CREATED,
            item=rv.OpenItem(
                item_id=f"FR01/invoice/B-{n}",
                customer_id="FR01/C2",
                entity="FR01",
                number=f"B-{n}",
                due_date=date_to_proto(TODAY + dt.timedelta(days=10)),
                open_amount={"amount": "1.25", "currency": "EUR"},
            ),
        )
    closing = event(rv.ItemClosed, "0", t0).item
    batch.changes.add(type=rv.CHANGE_TYPE_CLOSED, item=closing)
    async with uow_factory() as uow:
        await handlers.record_items(batch, uow)
        await uow.commit()

    (eur,) = (await aging(uow_factory)).currencies
    assert eur.total.amount == "1500.00"  # 1200 x 1.25, and F-1 closed
    assert [b.count for b in eur.buckets if b.label == "not due"] == [1200]
