"""The reports on a real nats-server: events reach the read models through the service's consumers, the
reports answer over the bus, a missing FX service is a problem not a rate of 1, and a rebuild from the streams
gets the same figures."""

from __future__ import annotations

import datetime as dt
import uuid

import nats
import pytest
from google.protobuf.message import Message
from nats.js import JetStreamContext
from opendso.common.v1.common_pb2 import Date, EventMeta, Money
from opendso.matching.v1 import matching_pb2 as mt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus.client import request
from opendso_bus.service import prepare_database
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, session_factory
from opendso_reporting.app import MIGRATIONS, create_app
from opendso_reporting.rebuild import replay, replayed_handlers, stream_events, uow_factory
from opendso_reporting.report_queries import ReportDeps, aging_balance, cash_receipts
from opendso_reporting.settings import Settings

from conftest import MakeDatabase, eventually

pytestmark = pytest.mark.integration
TODAY = dt.datetime.now(dt.UTC).date()


async def publish(js: JetStreamContext, event: Message) -> None:
    meta: EventMeta = event.meta  # type: ignore[attr-defined]
    await js.publish(subject_for(type(event)), event.SerializeToString(), headers={"Nats-Msg-Id": meta.event_id})


def meta(entity: str, source: str) -> EventMeta:
    m = EventMeta(event_id=str(uuid.uuid4()), source=source, entity=entity)
    m.occurred_at.FromDatetime(dt.datetime.now(dt.UTC))
    return m


def day(d: dt.date) -> Date:
    return Date(year=d.year, month=d.month, day=d.day)


async def test_a_payment_reaches_the_reports_over_the_bus_and_a_rebuild_agrees(
    nats_url: str, make_database: MakeDatabase
) -> None:
    settings = Settings(
        nats_url=nats_url,
        database_url=await make_database("reporting_reports_bus"),
        trace_exporter="none",
        retry_delay_seconds=0.1,
        fx_timeout_seconds=0.2,
    )
    await prepare_database(settings, MIGRATIONS)
    runtime = create_app(settings)
    await runtime.start()
    nc = await nats.connect(nats_url)
    entity = f"R{uuid.uuid4().hex[:8]}"
    customer = f"{entity}/C1"
    scope = rp.ReportScope(entities=[entity])
    try:
        js = nc.jetstream()
        await publish(
            js,
            rv.CustomerCreated(
                meta=meta(entity, "importer"),
                customer=rv.Customer(customer_id=customer, entity=entity, name="Alpha", collector="ann"),
            ),
        )
        await publish(
            js,
            rv.ItemOpened(
                meta=meta(entity, "importer"),
                item=rv.OpenItem(
                    item_id=f"{entity}/invoice/F-1",
                    customer_id=customer,
                    entity=entity,
                    number="F-1",
                    kind=rv.ITEM_KIND_INVOICE,
                    issue_date=day(TODAY - dt.timedelta(days=40)),
                    due_date=day(TODAY - dt.timedelta(days=10)),
                    amount=Money(amount="100.00", currency="USD"),
                    open_amount=Money(amount="100.00", currency="USD"),
                ),
            ),
        )

        async def aged() -> bool:
            report = await request(nc, rp.GetAgingBalance(scope=scope), rp.AgingBalance)
            return [r.total.amount for r in report.rows] == ["100.00"]

        await eventually(aged)
        # No FX service on this bus: a group-currency report says what it left out, never converts at 1.
        grouped = await request(
            nc,
            rp.GetAgingBalance(scope=rp.ReportScope(entities=[entity], currency_mode=rp.CURRENCY_MODE_GROUP)),
            rp.AgingBalance,
        )
        assert list(grouped.rows) == [] and grouped.header.problems

        await publish(
            js,
            mt.PaymentAllocated(
                meta=meta(entity, "matching"),
                allocation_id=f"A-{entity}",
                entity=entity,
                customer_id=customer,
                allocations=[
                    mt.Allocation(item_id=f"{entity}/invoice/F-1", amount=Money(amount="60.00", currency="USD"))
                ],
                booking_date=day(TODAY),
            ),
        )

        async def received() -> bool:
            report = await request(
                nc,
                rp.GetCollectorActivity(scope=rp.ReportScope(entities=[entity], level=rp.REPORT_LEVEL_COLLECTOR)),
                rp.CollectorActivity,
            )
            return [(r.key, [m.amount for m in r.collected]) for r in report.rows] == [("ann", ["60.00"])]

        await eventually(received)
        exported = await request(
            nc, rp.ExportReport(format=rp.EXPORT_FORMAT_XLSX, receipts=rp.GetCashReceipts(scope=scope)), rp.ReportFile
        )
        assert exported.rows == 1 and exported.content[:2] == b"PK"

        rebuilt_url = await make_database("reporting_rebuilt")
        await prepare_database(Settings(nats_url=nats_url, database_url=rebuilt_url), MIGRATIONS)
        engine = create_engine(rebuilt_url)
        try:
            rebuilt = uow_factory(session_factory(engine))
            await replay(stream_events(js, set(replayed_handlers(settings)), idle_seconds=2.0), rebuilt, settings)
            live = uow_factory(runtime.sessions)
            deps = ReportDeps(rates=_no_rates, today=lambda: TODAY)
            for answer, query in (
                (aging_balance, rp.GetAgingBalance(scope=scope)),
                (cash_receipts, rp.GetCashReceipts(scope=scope)),
            ):
                async with live() as a, rebuilt() as b:
                    assert await answer(query, a, deps) == await answer(query, b, deps)  # type: ignore[operator]
        finally:
            await engine.dispose()
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()


async def _no_rates(from_currency: str, to_currency: str, on: dt.date) -> object:
    raise AssertionError("no conversion expected")
