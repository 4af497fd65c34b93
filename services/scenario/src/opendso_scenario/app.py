"""The composition root of the scenario service."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from opendso.collection.v1 import collection_pb2 as col
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import ServiceRuntime
from opendso_bus.service import serve

from opendso_scenario import handlers
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.settings import Settings
from opendso_scenario.store import INBOX, OUTBOX, UnitOfWork

NAME = "scenario"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)


def create_app(settings: Settings) -> tuple[ServiceRuntime[UnitOfWork], handlers.Deps]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    zone = ZoneInfo(settings.timezone)
    deps = handlers.Deps(
        today=lambda: dt.datetime.now(zone).date(),
        now=lambda: dt.datetime.now(dt.UTC),
        settle_seconds=settings.settle_seconds,
        scenarios=builtin_scenarios(),
        default_scenario=settings.default_scenario,
    )
    if deps.default_scenario not in deps.scenarios:
        raise ValueError(f"default_scenario {settings.default_scenario!r} is not one of {sorted(deps.scenarios)}")
    on_customer = functools.partial(handlers.record_customer, deps=deps)
    on_item = functools.partial(handlers.record_item, deps=deps)
    runtime.on_event(rv.CustomerCreated, on_customer)
    runtime.on_event(rv.CustomerChanged, on_customer)
    runtime.on_event(rv.ItemOpened, on_item)
    runtime.on_event(rv.ItemChanged, on_item)
    runtime.on_event(rv.ItemClosed, on_item)
    runtime.on_event(rv.CustomersChanged, functools.partial(handlers.record_customers, deps=deps))
    runtime.on_event(rv.ItemsChanged, functools.partial(handlers.record_items, deps=deps))
    runtime.on_event(rv.ContactsChanged, functools.partial(handlers.record_contacts, deps=deps))
    runtime.on_event(msg.MessageSent, functools.partial(handlers.record_message_sent, deps=deps))
    runtime.on_event(msg.MessageFailed, functools.partial(handlers.record_message_failed, deps=deps))

    async def agenda(query: col.GetAgenda) -> col.Agenda:
        async with runtime.uow() as uow:
            return await handlers.get_agenda(query, uow)

    runtime.on_query(col.GetAgenda, agenda)
    return runtime, deps


async def evaluation_loops(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps, interval: float) -> None:
    await asyncio.gather(settled_pass(runtime, deps), daily_pass(runtime, deps, interval))


async def settled_pass(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps) -> None:
    tick = max(0.1, min(1.0, deps.settle_seconds / 4))
    while True:
        try:
            created = await handlers.evaluate_settled(runtime.uow, deps)
            if created:
                log.info("created %d tasks", created)
        except Exception:
            log.exception("evaluating changed customers failed; retrying")
        await asyncio.sleep(tick)


async def daily_pass(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps, interval: float) -> None:
    while True:
        try:
            created = await handlers.evaluate_all(runtime.uow, deps)
            log.info("daily pass created %d tasks", created)
        except Exception:
            log.exception("daily pass failed; next try in %.0fs", interval)
        await asyncio.sleep(interval)


def main() -> None:
    settings = Settings()
    runtime, deps = create_app(settings)
    asyncio.run(
        serve(
            NAME,
            settings,
            MIGRATIONS,
            lambda: runtime,
            lambda rt: evaluation_loops(rt, deps, settings.evaluation_interval_seconds),
        )
    )
