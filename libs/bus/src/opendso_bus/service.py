"""The shared main loop of a service process: trace set-up, database and
migrations, start, wait for SIGINT/SIGTERM, stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from opendso_db import ensure_database, upgrade
from opendso_telemetry import setup_tracing

from opendso_bus.runtime import ServiceRuntime
from opendso_bus.settings import ServiceSettings

log = logging.getLogger(__name__)


async def prepare_database(settings: ServiceSettings, migrations: Path) -> None:
    await ensure_database(settings.database_url)
    # alembic's env.py runs its own event loop: give it a thread.
    await asyncio.to_thread(upgrade, settings.database_url, migrations)


async def serve(
    name: str,
    settings: ServiceSettings,
    migrations: Path,
    build: Callable[[], ServiceRuntime[Any]],
    background: Callable[[ServiceRuntime[Any]], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Run a service until it is told to stop."""
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s")
    setup_tracing(name, settings.trace_exporter, settings.otlp_endpoint)
    await prepare_database(settings, migrations)
    runtime = build()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    task = asyncio.create_task(background(runtime)) if background else None
    print(f"opendso-{name} ready", flush=True)
    await stop.wait()
    log.info("%s stopping", name)
    if task:
        task.cancel()
    await runtime.stop()
