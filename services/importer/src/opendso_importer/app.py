"""The composition root of the importer service."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import logging
import os
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from opendso.banking.v1 import banking_pb2 as bk
from opendso.imports.v1 import imports_pb2 as im
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import ServiceRuntime
from opendso_bus.progress import KvProgressStore
from opendso_bus.service import serve
from opendso_bus.uploads import download_upload

from opendso_importer import handlers, statements
from opendso_importer.customer_search import SqlCustomerFinder, search_customers
from opendso_importer.drop import DropStore, FolderDrop, ImportFile, ImportStatement, S3Drop, process_drop
from opendso_importer.entities import list_entities
from opendso_importer.parallel_reading import ReadingPool
from opendso_importer.progress import reporting_progress
from opendso_importer.settings import Settings
from opendso_importer.store import INBOX, OUTBOX, UnitOfWork

NAME = "importer"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
) -> tuple[ServiceRuntime[UnitOfWork], Callable[[], Coroutine[Any, Any, None]]]:
    """The runtime, and the drop-location watcher to run beside it."""
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)

    async def fetch_upload(name: str, into: Path) -> int:
        return await download_upload(runtime.broker.connection.jetstream(), name, into)

    workers = (os.cpu_count() or 1) if settings.parse_workers is None else settings.parse_workers
    deps = handlers.Deps(
        today=lambda: dt.datetime.now(dt.UTC).date(),
        max_file_bytes=settings.max_file_bytes,
        fetch_upload=fetch_upload,
        reading=ReadingPool(workers, from_bytes=settings.parallel_from_bytes) if workers else None,
    )

    # How far each import is, outside its transaction, for the caller waiting on the answer (progress.py).
    progress = KvProgressStore(lambda: runtime.broker.connection.jetstream())

    async def import_file(command: im.ImportReceivablesFile) -> im.ImportReport:
        async with reporting_progress(command, deps, progress) as import_deps, runtime.uow() as uow:
            return await handlers.import_receivables_file(command, uow, import_deps)

    async def account(query: rv.GetCustomerAccount) -> rv.CustomerAccount:
        async with runtime.uow() as uow:
            return await handlers.get_customer_account(query, uow)

    async def import_report(query: im.GetImportReport) -> im.ImportReport:
        async with runtime.uow() as uow:
            return await handlers.get_import_report(query, uow)

    async def import_statement(command: bk.ImportBankStatement) -> bk.StatementReport:
        async with runtime.uow() as uow:
            return await statements.import_bank_statement(command, uow, deps)

    def reading_dropped(downloaded: Path) -> handlers.Deps:
        # A dropped file's command names it as its upload; its content is the file already downloaded.
        async def fetch(_: str, into: Path) -> None:
            await asyncio.to_thread(_link_or_copy, downloaded, into)

        return dataclasses.replace(deps, fetch_upload=fetch)

    async def import_dropped_file(command: im.ImportReceivablesFile, downloaded: Path) -> im.ImportReport:
        async with runtime.uow() as uow:
            return await handlers.import_receivables_file(command, uow, reading_dropped(downloaded))

    async def import_dropped_statement(command: bk.ImportBankStatement, downloaded: Path) -> bk.StatementReport:
        async with runtime.uow() as uow:
            return await statements.import_bank_statement(command, uow, reading_dropped(downloaded))

    async def entities(query: rv.ListEntities) -> rv.EntityList:
        async with runtime.uow() as uow:
            return await list_entities(query, uow)

    runtime.on_query(im.ImportReceivablesFile, import_file)
    runtime.on_query(rv.ListEntities, entities)
    runtime.on_query(im.GetImportReport, import_report)
    runtime.on_query(rv.GetCustomerAccount, account)

    async def search(query: rv.SearchCustomers) -> rv.CustomerSearchResults:
        async with runtime.uow() as uow:
            return await search_customers(query, SqlCustomerFinder(uow.session))

    runtime.on_query(rv.SearchCustomers, search)
    runtime.on_query(bk.ImportBankStatement, import_statement)

    async def propose(query: im.ProposeMapping) -> im.MappingProposal:
        async with runtime.uow() as uow:
            return await handlers.propose_column_mapping(query, uow, deps)

    async def save_profile(command: im.SaveMappingProfile) -> im.MappingProfile:
        async with runtime.uow() as uow:
            return await handlers.save_mapping_profile(command, uow)

    runtime.on_query(im.ProposeMapping, propose)
    runtime.on_query(im.SaveMappingProfile, save_profile)
    return runtime, functools.partial(watch_drop, settings, import_dropped_file, import_dropped_statement)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copyfile(source, target)


def drop_store(settings: Settings) -> DropStore | None:
    if settings.drop_s3_bucket:
        import boto3

        client = boto3.client("s3", endpoint_url=settings.drop_s3_endpoint_url)
        return S3Drop(client, settings.drop_s3_bucket, settings.drop_s3_prefix)
    if settings.drop_dir is not None:
        return FolderDrop(settings.drop_dir)
    return None


async def watch_drop(settings: Settings, import_file: ImportFile, import_statement: ImportStatement) -> None:
    store = drop_store(settings)
    if store is None:
        return
    while True:
        try:
            await process_drop(store, import_file, import_statement, dt.datetime.now(dt.UTC).date())
        except Exception:
            log.exception("drop location: a pass failed; next pass in %.0fs", settings.drop_poll_seconds)
        await asyncio.sleep(settings.drop_poll_seconds)


def main() -> None:
    settings = Settings()
    runtime, background = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime, lambda _: background()))
