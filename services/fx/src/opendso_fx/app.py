"""The composition root of the fx service."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from opendso.fx.v1 import fx_pb2 as fx
from opendso_bus import ServiceRuntime
from opendso_bus.service import serve
from opendso_bus.uploads import get_upload

from opendso_fx import handlers
from opendso_fx.domain.providers import ProviderError, RateProvider
from opendso_fx.providers import EcbProvider, ForexPythonProvider
from opendso_fx.settings import Settings
from opendso_fx.store import INBOX, OUTBOX, UnitOfWork

NAME = "fx"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)


def deps_from(settings: Settings) -> handlers.Deps:
    return handlers.Deps(lookback_days=settings.lookback_days, backfill_days=settings.backfill_days)


def providers_from(settings: Settings) -> list[RateProvider]:
    """The sources the schedule fetches from, in the settings' order; none at all when offline."""
    if settings.offline:
        return []
    built: dict[str, RateProvider] = {
        "ecb": EcbProvider(settings.ecb_base_url, timeout=settings.http_timeout_seconds),
        "forex_python": ForexPythonProvider(settings.forex_python_url, timeout=settings.http_timeout_seconds),
    }
    return [built[name] for name in settings.provider_names]


def create_app(settings: Settings) -> tuple[ServiceRuntime[UnitOfWork], handlers.Deps]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    deps = deps_from(settings)

    async def rate(query: fx.GetRate) -> fx.Rate:
        async with runtime.uow() as uow:
            return await handlers.get_rate(query, uow, deps)

    async def conversion(query: fx.Convert) -> fx.Conversion:
        async with runtime.uow() as uow:
            return await handlers.convert(query, uow, deps)

    async def import_file(command: fx.ImportRates) -> fx.RatesImported:
        if command.object_name:
            # Fetched before the transaction opens, so a slow object store never holds the database.
            command.content = await get_upload(runtime.broker.connection.jetstream(), command.object_name)
        async with runtime.uow() as uow:
            return await handlers.import_rates(command, uow, deps)

    async def manual(command: fx.SetManualRate) -> fx.Rate:
        async with runtime.uow() as uow:
            return await handlers.set_manual_rate(command, uow, deps)

    async def latest_rates() -> str:
        async with runtime.uow() as uow:
            latest = await uow.repo.latest_days()
        if not latest:
            return "no rates stored yet (import an ECB file, or set OPENDSO_FX_OFFLINE=false)"
        return ", ".join(f"{source} {day.isoformat()}" for source, day in sorted(latest.items()))

    runtime.on_query(fx.GetRate, rate)
    runtime.on_query(fx.Convert, conversion)
    runtime.on_query(fx.ImportRates, import_file)
    runtime.on_query(fx.SetManualRate, manual)
    runtime.add_health_check("rates", latest_rates)
    return runtime, deps


async def fetch_loop(
    runtime: ServiceRuntime[UnitOfWork], providers: list[RateProvider], deps: handlers.Deps, interval: float
) -> None:
    """Fetch from every source in turn, then wait; a source that fails is asked again next time, and the
    others still run (the stored history keeps answering meanwhile)."""
    if not providers:
        log.info("fetching nothing (OPENDSO_FX_OFFLINE, OPENDSO_FX_PROVIDERS): rates come from files and manual entry")
        return
    while True:
        for provider in providers:
            try:
                await handlers.fetch_rates(provider, runtime.uow, deps)
            except ProviderError as exc:
                log.warning("fetching rates from %s failed: %s; next try in %.0fs", provider.source, exc, interval)
            except Exception:
                log.exception("storing rates from %s failed; next try in %.0fs", provider.source, interval)
        await asyncio.sleep(interval)


def main() -> None:
    settings = Settings()
    runtime, deps = create_app(settings)
    providers = providers_from(settings)
    asyncio.run(
        serve(
            NAME,
            settings,
            MIGRATIONS,
            lambda: runtime,
            background=lambda r: fetch_loop(r, providers, deps, settings.fetch_interval_seconds),
        )
    )
