"""The composition root of the messaging service."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import ServiceRuntime
from opendso_bus.service import serve

from opendso_messaging import handlers
from opendso_messaging.local_outbox import LocalOutbox, OutgoingEmail
from opendso_messaging.settings import Settings
from opendso_messaging.store import INBOX, OUTBOX, UnitOfWork

NAME = "messaging"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class LocalEmailProvider:
    """E-mail in local mode: .eml files in the outbox folder."""

    name = "local"

    def __init__(self, folder: Path) -> None:
        self._outbox = LocalOutbox(folder)

    def deliver(self, email: OutgoingEmail) -> object:
        return self._outbox.deliver(email).name


def create_app(settings: Settings) -> ServiceRuntime[UnitOfWork]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    deps = handlers.Deps(
        email=LocalEmailProvider(settings.outbox_dir),
        sender=settings.sender,
        company_name=settings.company_name,
        collector_name=settings.collector_name,
        collector_email=settings.collector_email,
        portal_base_url=settings.portal_base_url,
    )
    runtime.on_event(msg.SendMessage, functools.partial(handlers.send_message, deps=deps))

    async def outbox(query: msg.ListOutbox) -> msg.OutboxListing:
        async with runtime.uow() as uow:
            return await handlers.list_outbox(query, uow)

    runtime.on_query(msg.ListOutbox, outbox)
    return runtime


def main() -> None:
    settings = Settings()
    runtime = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime))
