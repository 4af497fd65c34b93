"""The composition root of the reporting service."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import ServiceRuntime
from opendso_bus.service import serve
from opendso_contracts.registry import subject_for

from opendso_reporting import handlers
from opendso_reporting.domain.timeline import TRANSLATORS
from opendso_reporting.settings import Settings
from opendso_reporting.store import INBOX, OUTBOX, UnitOfWork

NAME = "reporting"
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
    return runtime


def main() -> None:
    settings = Settings()
    runtime = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime))
