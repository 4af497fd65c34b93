"""The composition root of the importer service."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import ServiceRuntime
from opendso_bus.service import serve
from opendso_bus.uploads import get_upload
from opendso_db import create_engine, is_sqlite, session_factory

from opendso_importer import handlers
from opendso_importer.settings import Settings
from opendso_importer.store import INBOX, OUTBOX, UnitOfWork

NAME = "importer"
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

    async def fetch_upload(name: str) -> bytes:
        return await get_upload(runtime.broker.connection.jetstream(), name)

    deps = handlers.Deps(
        today=lambda: dt.datetime.now(dt.UTC).date(),
        max_file_bytes=settings.max_file_bytes,
        fetch_upload=fetch_upload,
    )

    async def import_file(command: im.ImportReceivablesFile) -> im.ImportReport:
        async with runtime.uow() as uow:
            return await handlers.import_receivables_file(command, uow, deps)

    async def account(query: rv.GetCustomerAccount) -> rv.CustomerAccount:
        async with runtime.uow() as uow:
            return await handlers.get_customer_account(query, uow)

    async def import_report(query: im.GetImportReport) -> im.ImportReport:
        async with runtime.uow() as uow:
            return await handlers.get_import_report(query, uow)

    runtime.on_query(im.ImportReceivablesFile, import_file)
    runtime.on_query(im.GetImportReport, import_report)
    runtime.on_query(rv.GetCustomerAccount, account)
    return runtime


def main() -> None:
    settings = Settings()
    runtime = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime))
