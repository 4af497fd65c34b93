"""The composition root of the reporting service."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from google.protobuf.message import Message
from nats.errors import NoRespondersError
from opendso.collection.v1 import collection_pb2 as col
from opendso.fx.v1 import fx_pb2 as fx
from opendso.matching.v1 import matching_pb2 as mt
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import RemoteError, ServiceRuntime
from opendso_bus.client import request
from opendso_bus.service import serve
from opendso_contracts.convert import date_to_proto
from opendso_contracts.registry import subject_for

from opendso_reporting import handlers, report_handlers
from opendso_reporting.domain.currency import MissingRate
from opendso_reporting.domain.timeline import TRANSLATORS
from opendso_reporting.report_queries import REPORTS, Answer, RateSource, ReportDeps, dso_series, export_report
from opendso_reporting.settings import Settings
from opendso_reporting.store import INBOX, OUTBOX, UnitOfWork

NAME = "reporting"
Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings) -> ServiceRuntime[UnitOfWork]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    runtime.on_event(rv.ItemOpened, handlers.record_item)
    runtime.on_event(rv.ItemChanged, handlers.record_item)
    runtime.on_event(rv.ItemClosed, handlers.record_item)
    runtime.on_event(rv.ItemsChanged, handlers.record_items)

    async def aging(query: rp.GetAging) -> rp.AgingReport:
        async with runtime.uow() as uow:
            return await handlers.get_aging(query, uow, dt.datetime.now(dt.UTC).date())

    runtime.on_query(rp.GetAging, aging)

    # The timeline reads the same item events as the aging, on consumers of its own: neither read model
    # waits for the other's failures, and a new durable consumer starts from the streams' retained history.
    for event_type, translate in TRANSLATORS.items():
        name = subject_for(event_type).rsplit(".", 1)[-1].replace("_", "-")
        runtime.on_event(event_type, handlers.record_timeline(translate), consumer=f"{NAME}-timeline-{name}")

    async def timeline(query: rp.GetTimeline) -> rp.Timeline:
        async with runtime.uow() as uow:
            return await handlers.get_timeline(query, uow)

    runtime.on_query(rp.GetTimeline, timeline)
    wire_reports(runtime, settings)
    return runtime


def report_handlers_by_event(settings: Settings) -> dict[type[Message], Handler]:
    """What keeps the reports' read models, by event type (item events are handled with the aging above).
    The rebuild command replays the streams through the same handlers."""
    end_plan: Handler = report_handlers.end_plan
    return {
        rv.CustomerCreated: report_handlers.record_customer,
        rv.CustomerChanged: report_handlers.record_customer,
        rv.CustomersChanged: report_handlers.record_customers,
        rv.EntitiesChanged: report_handlers.record_entities,
        col.ItemsQualified: report_handlers.record_qualification(settings.dispute_codes),
        col.TaskChanged: report_handlers.record_task,
        col.PaymentPlanCreated: report_handlers.record_plan,
        col.PaymentPlanCancelled: end_plan,
        col.PaymentPlanCompleted: end_plan,
        col.PaymentPlanBroken: end_plan,
        col.PromiseBroken: report_handlers.end_promise,
        msg.MessageSent: report_handlers.record_message,
        mt.PaymentAllocated: report_handlers.record_allocation,
        mt.AllocationReversed: report_handlers.record_reversal,
    }


ITEM_HANDLERS: dict[type[Message], Handler] = {
    rv.ItemOpened: handlers.record_item,
    rv.ItemChanged: handlers.record_item,
    rv.ItemClosed: handlers.record_item,
    rv.ItemsChanged: handlers.record_items,
}


def rates_from_fx_service(runtime: ServiceRuntime[UnitOfWork], timeout: float) -> RateSource:
    """The FX service's rate of a day; its not_found, or its silence, is a missing rate, never 1."""

    async def rate(from_currency: str, to_currency: str, on: dt.date) -> Decimal:
        query = fx.GetRate(from_currency=from_currency, to_currency=to_currency, on=date_to_proto(on))
        try:
            answer = await request(runtime.broker.connection, query, fx.Rate, timeout=timeout)
        except RemoteError as exc:
            raise MissingRate(exc.detail) from None
        except (TimeoutError, NoRespondersError) as exc:
            raise MissingRate(
                f"no {from_currency}->{to_currency} rate: the FX service did not answer ({type(exc).__name__})"
            ) from None
        return Decimal(answer.rate)

    return rate


def wire_reports(runtime: ServiceRuntime[UnitOfWork], settings: Settings, deps: ReportDeps | None = None) -> None:
    for event_type, handler in report_handlers_by_event(settings).items():
        name = subject_for(event_type).rsplit(".", 1)[-1].replace("_", "-")
        runtime.on_event(event_type, handler, consumer=f"{NAME}-reports-{name}")
    deps = deps or ReportDeps(
        rates=rates_from_fx_service(runtime, settings.fx_timeout_seconds),
        today=lambda: dt.datetime.now(dt.UTC).date(),
        dispute_codes=settings.dispute_codes,
        group_currency=settings.group_currency,
    )
    answers: dict[type[Message], Answer] = {**REPORTS, rp.ExportReport: export_report, rp.GetDsoSeries: dso_series}
    for request_type, answer in answers.items():
        runtime.on_query(request_type, _answering(runtime, answer, deps))


def _answering(
    runtime: ServiceRuntime[UnitOfWork], answer: Answer, deps: ReportDeps
) -> Callable[[Any], Awaitable[Message]]:
    async def respond(query: Any) -> Message:
        async with runtime.uow() as uow:
            reply: Message = await answer(query, uow, deps)
            return reply

    return respond


def main() -> None:
    settings = Settings()
    runtime = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime))
