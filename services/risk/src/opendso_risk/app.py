"""The composition root of the risk service."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from google.protobuf.message import Message
from nats.errors import NoRespondersError
from opendso.collection.v1 import collection_pb2 as col
from opendso.fx.v1 import fx_pb2 as fx
from opendso.matching.v1 import matching_pb2 as mt
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.risk.v1 import risk_pb2 as rk
from opendso_bus import RemoteError, ServiceRuntime
from opendso_bus.client import request
from opendso_bus.service import serve
from opendso_contracts.convert import date_from_proto, date_to_proto, money_from_proto, money_to_proto
from opendso_money import Money

from opendso_risk import evaluation, handlers, queries
from opendso_risk.settings import Settings
from opendso_risk.store import INBOX, OUTBOX, UnitOfWork

NAME = "risk"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)
Q = TypeVar("Q", bound=Message)


def converter(runtime: ServiceRuntime[UnitOfWork], timeout: float) -> handlers.Convert:
    """Conversions asked of the FX service; its not_found (no rate) or its silence is a missing rate."""

    async def convert(amount: Money, to_currency: str, on: dt.date) -> handlers.Converted:
        query = fx.Convert(amount=money_to_proto(amount), to_currency=to_currency, on=date_to_proto(on))
        try:
            answer = await request(runtime.broker.connection, query, fx.Conversion, timeout=timeout)
        except RemoteError as exc:
            raise handlers.RateMissing(exc.detail) from None
        except (TimeoutError, NoRespondersError) as exc:
            detail = f"no {amount.currency}->{to_currency} rate on {on}: the FX service did not answer"
            raise handlers.RateMissing(f"{detail} ({type(exc).__name__})") from None
        return handlers.Converted(
            converted=money_from_proto(answer.converted),
            rate=Decimal(answer.rate.rate),
            published_on=date_from_proto(answer.rate.published_on),
        )

    return convert


def deps_from(settings: Settings) -> handlers.Deps:
    zone = ZoneInfo(settings.timezone)
    return handlers.Deps(
        today=lambda: dt.datetime.now(zone).date(),
        now=lambda: dt.datetime.now(dt.UTC),
        zone=zone,
        dispute_codes=settings.dispute_codes,
    )


def create_app(settings: Settings) -> tuple[ServiceRuntime[UnitOfWork], handlers.Deps]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    deps = dataclasses.replace(deps_from(settings), convert=converter(runtime, settings.fx_timeout_seconds))

    on_customer = functools.partial(handlers.record_customer, deps=deps)
    on_item = functools.partial(handlers.record_item, deps=deps)
    runtime.on_event(rv.CustomersChanged, functools.partial(handlers.record_customers, deps=deps))
    runtime.on_event(rv.CustomerCreated, on_customer)
    runtime.on_event(rv.CustomerChanged, on_customer)
    runtime.on_event(rv.ItemsChanged, functools.partial(handlers.record_items, deps=deps))
    runtime.on_event(rv.ItemOpened, on_item)
    runtime.on_event(rv.ItemChanged, on_item)
    runtime.on_event(rv.ItemClosed, on_item)
    runtime.on_event(rv.EntitiesChanged, functools.partial(handlers.record_entities, deps=deps))
    runtime.on_event(mt.PaymentAllocated, functools.partial(handlers.record_allocation, deps=deps))
    runtime.on_event(mt.AllocationReversed, functools.partial(handlers.record_reversal, deps=deps))
    runtime.on_event(col.ItemsQualified, functools.partial(handlers.record_qualification, deps=deps))
    runtime.on_event(col.PromiseBroken, functools.partial(handlers.record_promise_broken, deps=deps))
    runtime.on_event(col.PaymentPlanCreated, functools.partial(handlers.record_plan_created, deps=deps))
    runtime.on_event(col.PaymentPlanBroken, functools.partial(handlers.record_plan_broken, deps=deps))
    runtime.on_event(col.TaskChanged, functools.partial(handlers.record_task_changed, deps=deps))
    runtime.on_event(col.CaseEscalated, functools.partial(handlers.record_case_escalated, deps=deps))
    runtime.on_event(msg.MessageSent, functools.partial(handlers.record_message_sent, deps=deps))

    def in_uow(
        handler: Callable[[Q, UnitOfWork], Awaitable[Message]],
    ) -> Callable[[Q], Awaitable[Message]]:
        async def answer(query: Q) -> Message:
            async with runtime.uow() as uow:
                return await handler(query, uow)

        return answer

    runtime.on_query(rk.GetRiskProfile, lambda q: queries.get_profile(q, runtime.uow, deps))
    runtime.on_query(rk.GetPredictedDates, lambda q: queries.get_predicted_dates(q, runtime.uow, deps))
    runtime.on_query(rk.SetCreditLimit, lambda q: queries.set_credit_limit(q, runtime.uow, deps))
    runtime.on_query(rk.SetExternalRating, in_uow(lambda q, u: queries.set_external_rating(q, u, deps)))
    runtime.on_query(rk.RemoveCreditLimit, in_uow(lambda q, u: queries.remove_credit_limit(q, u, deps)))
    runtime.on_query(rk.ListCreditLimits, in_uow(queries.list_credit_limits))
    runtime.on_query(rk.SetInsuranceCover, in_uow(lambda q, u: queries.set_insurance_cover(q, u, deps)))
    runtime.on_query(rk.RemoveInsuranceCover, in_uow(queries.remove_insurance_cover))
    runtime.on_query(rk.ListInsuranceCovers, in_uow(lambda q, u: queries.list_insurance_covers(q, u, deps)))
    runtime.on_query(rk.GetRiskAgenda, in_uow(lambda q, u: queries.get_agenda(q, u, deps)))
    runtime.on_query(rk.ListAlerts, in_uow(queries.list_alerts))
    runtime.on_query(rk.AcknowledgeAlert, in_uow(lambda q, u: queries.acknowledge_alert(q, u, deps)))
    runtime.on_query(rk.GetRiskConfig, in_uow(lambda q, u: queries.get_config(u)))
    runtime.on_query(rk.SetRiskConfig, in_uow(lambda q, u: queries.set_config(q, u, deps)))

    async def waiting() -> str:
        async with runtime.uow() as uow:
            return f"{await uow.repo.waiting()} customers waiting for an evaluation"

    runtime.add_health_check("evaluation", waiting)
    return runtime, deps


async def evaluation_loop(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps, settings: Settings) -> None:
    """Customers whose facts changed are evaluated once their changes settle."""
    while True:
        try:
            evaluated, raised = await evaluation.evaluation_pass(
                runtime.uow, deps, settings.batch_size, settings.settle_seconds
            )
            if evaluated:
                log.info("evaluated %d customers, raised %d alerts", evaluated, raised)
        except Exception:
            log.exception("evaluating customers failed; retrying")
        await asyncio.sleep(settings.evaluation_interval_seconds)


async def daily_loop(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps, settings: Settings) -> None:
    """Once a day (and at start, as the rules or the date may have changed while stopped): every customer is
    evaluated again and the covers' expiries looked at."""
    done: dt.date | None = None
    while True:
        today = deps.today()
        if today != done:
            try:
                raised = await evaluation.daily_pass(runtime.uow, deps)
                done = today
                log.info("daily pass for %s: every customer queued, %d cover alerts", today, raised)
            except Exception:
                log.exception("daily pass failed; next try in %.0fs", settings.daily_check_seconds)
        await asyncio.sleep(settings.daily_check_seconds)


async def passes(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps, settings: Settings) -> None:
    await asyncio.gather(evaluation_loop(runtime, deps, settings), daily_loop(runtime, deps, settings))


def main() -> None:
    settings = Settings()
    runtime, deps = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime, lambda rt: passes(rt, deps, settings)))
