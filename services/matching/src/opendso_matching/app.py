"""The composition root of the matching service."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import gc
import logging
from decimal import Decimal
from pathlib import Path

from nats.errors import NoRespondersError
from opendso.banking.v1 import banking_pb2 as bk
from opendso.fx.v1 import fx_pb2 as fx
from opendso.matching.v1 import matching_pb2 as mt
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import RemoteError, ServiceRuntime
from opendso_bus.client import request
from opendso_bus.service import prepare_database, serve
from opendso_contracts.convert import date_to_proto

from opendso_matching import handlers
from opendso_matching.domain.amounts import Tolerance
from opendso_matching.domain.engine import MatchConfig
from opendso_matching.held import HeldLedger
from opendso_matching.settings import Settings
from opendso_matching.store import INBOX, OUTBOX, UnitOfWork
from opendso_matching.workers import MatchWorkers

NAME = "matching"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)


def deps_from(settings: Settings) -> handlers.Deps:
    if not 0 < settings.auto_apply_at <= 1:
        raise ValueError(f"auto_apply_at must be above 0 and at most 1, got {settings.auto_apply_at}")
    tolerance = Tolerance(
        absolute=settings.tolerance_absolute,
        percent=settings.tolerance_percent,
        fx_percent=settings.tolerance_fx_percent,
    )
    return handlers.Deps(
        config=MatchConfig(auto_apply_at=settings.auto_apply_at, tolerance=tolerance),
        # Built here, started by whoever runs the service (see main): no process starts at construction.
        workers=MatchWorkers(settings.workers) if settings.workers else None,
        # Empty here, loaded by whoever runs the service (see run): a batch before that loads it first.
        ledger=HeldLedger() if settings.hold_items and not settings.workers else None,
    )


def rates_from_fx_service(runtime: ServiceRuntime[UnitOfWork], timeout: float) -> handlers.FetchRates:
    """Ask the FX service for each wanted rate; a rate it does not have (or no answer) is simply missing,
    and the engine then sends the payment to review rather than guess."""

    async def fetch(wanted: set[tuple[str, str, dt.date]]) -> dict[tuple[str, str, dt.date], Decimal]:
        found: dict[tuple[str, str, dt.date], Decimal] = {}
        for source, target, on in sorted(wanted):
            query = fx.GetRate(from_currency=source, to_currency=target, on=date_to_proto(on))
            try:
                answer = await request(runtime.broker.connection, query, fx.Rate, timeout=timeout)
            except (RemoteError, TimeoutError, NoRespondersError) as exc:
                log.info("no rate %s->%s on %s: %s", source, target, on, exc)
                continue
            found[(source, target, on)] = Decimal(answer.rate)
        return found

    return fetch


def create_app(settings: Settings) -> tuple[ServiceRuntime[UnitOfWork], handlers.Deps]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    deps = dataclasses.replace(
        deps_from(settings), fetch_rates=rates_from_fx_service(runtime, 2.0), names=handlers.NamesCache()
    )
    on_customer = functools.partial(handlers.record_customer, deps=deps)
    on_item = functools.partial(handlers.record_item, deps=deps)
    runtime.on_event(rv.CustomersChanged, functools.partial(handlers.record_customers, deps=deps))
    runtime.on_event(rv.CustomerCreated, on_customer)
    runtime.on_event(rv.CustomerChanged, on_customer)
    runtime.on_event(rv.ItemsChanged, functools.partial(handlers.record_items, deps=deps))
    runtime.on_event(rv.ItemOpened, on_item)
    runtime.on_event(rv.ItemChanged, on_item)
    runtime.on_event(rv.ItemClosed, on_item)
    runtime.on_event(bk.BankTransactionsReceived, functools.partial(handlers.match_transactions, deps=deps))
    runtime.on_event(bk.BankTransactionReceived, functools.partial(handlers.match_transaction, deps=deps))

    async def review_queue(query: mt.ListReviewQueue) -> mt.ReviewQueue:
        async with runtime.uow() as uow:
            return await handlers.list_review_queue(query, uow)

    async def transaction_match(query: mt.GetTransactionMatch) -> mt.ReviewEntry:
        async with runtime.uow() as uow:
            return await handlers.get_transaction_match(query, uow)

    async def confirm(command: mt.ConfirmMatch) -> mt.MatchDecision:
        async with runtime.uow() as uow:
            return await handlers.confirm_match(command, uow, deps)

    async def reverse(command: mt.ReverseAllocation) -> mt.MatchDecision:
        async with runtime.uow() as uow:
            return await handlers.reverse_allocation(command, uow, deps)

    runtime.on_query(mt.ListReviewQueue, review_queue)
    runtime.on_query(mt.GetTransactionMatch, transaction_match)
    runtime.on_query(mt.ConfirmMatch, confirm)
    runtime.on_query(mt.ReverseAllocation, reverse)
    return runtime, deps


async def rematch_loop(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps, interval: float) -> None:
    """Queued lines are matched again whenever their entity's ledger has changed."""
    while True:
        try:
            applied = await handlers.rematch_queued(runtime.uow, deps)
            if applied:
                log.info("applied %d queued lines after ledger changes", applied)
        except Exception:
            log.exception("matching queued lines again failed; retrying")
        await asyncio.sleep(interval)


async def load_held(runtime: ServiceRuntime[UnitOfWork], deps: handlers.Deps) -> None:
    """What the service holds in memory, loaded before it takes any line: every item, and each entity's names."""
    async with runtime.uow() as uow:
        if deps.ledger is not None:
            figures = await deps.ledger.load(uow)
            log.info(
                "holding %d items, loaded in %.1f s (%.1f s CPU)", figures.items, figures.seconds, figures.cpu_seconds
            )
        if deps.names is not None:
            for entity in await uow.repo.entities():
                await deps.names.of(entity, uow)
    # Held as long as the service runs: the collector's full passes leave it alone from now on (a million items
    # are millions of objects, walked again by every full pass).
    gc.collect()
    gc.freeze()


async def run(settings: Settings) -> None:
    """The service until it is told to stop; its matching workers (if any) live exactly as long."""
    runtime, deps = create_app(settings)
    if deps.workers is not None:
        # Before the service connects anything: a batch never waits for the processes to start.
        await deps.workers.start()
    if deps.ledger is not None or deps.names is not None:
        # The tables must be there to be read (serve prepares them again: a no-op by then).
        await prepare_database(settings, MIGRATIONS)
        await load_held(runtime, deps)
    try:
        await serve(
            NAME,
            settings,
            MIGRATIONS,
            lambda: runtime,
            background=lambda r: rematch_loop(r, deps, settings.rematch_interval_seconds),
        )
    finally:
        if deps.workers is not None:
            deps.workers.close()


def main() -> None:
    asyncio.run(run(Settings()))
