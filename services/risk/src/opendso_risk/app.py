"""The composition root of the risk service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from opendso_bus import ServiceRuntime
from opendso_bus.service import serve

from opendso_risk import handlers
from opendso_risk.settings import Settings
from opendso_risk.store import INBOX, OUTBOX, UnitOfWork

NAME = "risk"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings) -> ServiceRuntime[UnitOfWork]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    handlers.register(runtime)
    return runtime


def main() -> None:
    settings = Settings()
    runtime = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime))
