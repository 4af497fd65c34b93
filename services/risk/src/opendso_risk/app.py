"""The composition root of the risk service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from opendso_bus import ServiceRuntime
from opendso_bus.service import serve
from opendso_db import create_engine, is_sqlite, session_factory

from opendso_risk import handlers
from opendso_risk.settings import Settings
from opendso_risk.store import INBOX, OUTBOX, UnitOfWork

NAME = "risk"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings) -> ServiceRuntime[UnitOfWork]:
    engine = create_engine(settings.database_url)
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime(
        NAME,
        nats_url=settings.nats_url,
        sessions=session_factory(engine),
        outbox_table=OUTBOX,
        inbox_table=INBOX,
        uow_class=UnitOfWork,
        max_attempts=settings.max_attempts,
        retry_delay_seconds=settings.retry_delay_seconds,
        outbox_poll_seconds=settings.outbox_poll_seconds,
        lock_outbox_rows=not is_sqlite(settings.database_url),
    )
    handlers.register(runtime)
    return runtime


def main() -> None:
    settings = Settings()
    runtime = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime))
