"""Messaging throughput: render and queue reminders, then hand them to a local SMTP server through the
dispatcher, with one instance and with two (separate processes sharing the PostgreSQL database).

The SMTP server (aiosmtpd) runs in its own process and only counts what it accepts, as a relay would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import socket
import time
import uuid
from multiprocessing.sharedctypes import Synchronized
from typing import Any

TODAY = dt.date(2026, 11, 25)
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _smtp_server(port: int, accepted: Synchronized[int], ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with accepted.get_lock():
                accepted.value += 1
            return "250 OK queued"

    # A fixed server name: aiosmtpd would otherwise look its own up for every connection.
    controller = Controller(Count(), hostname="127.0.0.1", port=port, server_hostname="smtp.bench.local")
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _dispatch(url: str, port: int, instance: str, concurrency: int) -> None:
    asyncio.run(_dispatch_until_empty(url, port, instance, concurrency))


async def _dispatch_until_empty(url: str, port: int, instance: str, concurrency: int) -> None:
    from opendso_bus.outbox import Outbox
    from opendso_db import create_engine, session_factory
    from opendso_messaging.dispatch import Dispatcher, DispatchSettings, Providers
    from opendso_messaging.providers.email_smtp import SmtpEmailSender, SmtpSettings
    from opendso_messaging.store import OUTBOX, UnitOfWork

    engine = create_engine(url)
    sessions = session_factory(engine)
    dispatcher = Dispatcher(
        lambda: UnitOfWork(sessions, Outbox(OUTBOX), "bench-messaging"),
        Providers(
            email=SmtpEmailSender(
                SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=30, local_hostname="bench.local")
            )
        ),
        DispatchSettings(sender="Acme <credit@acme.example>", batch_size=200, concurrency=concurrency),
        instance=instance,
    )
    while await dispatcher.run_once():
        pass
    await engine.dispose()


async def _queue(url: str, n: int, prefix: str) -> float:
    """Render and queue ``n`` reminders of five items, a hundred commands per transaction; answers seconds."""
    from opendso.common.v1.common_pb2 import Money
    from opendso.messaging.v1 import messaging_pb2 as msg
    from opendso_bus.outbox import Outbox
    from opendso_contracts.convert import date_to_proto
    from opendso_db import create_engine, session_factory
    from opendso_messaging import handlers
    from opendso_messaging.store import OUTBOX, UnitOfWork

    engine = create_engine(url)
    sessions = session_factory(engine)
    deps = handlers.Deps(
        sender="Acme <credit@acme.example>",
        company_name="Acme",
        collector_name="Claire",
        collector_email="claire@acme.example",
        portal_base_url="https://portal.acme.example",
    )
    items = [
        msg.MessageItem(
            item_id=f"FR01/invoice/F{k}",
            number=f"F{k}",
            issue_date=date_to_proto(TODAY - dt.timedelta(days=60)),
            due_date=date_to_proto(TODAY - dt.timedelta(days=30 - k)),
            open_amount=Money(amount="1234.50", currency="EUR"),
            days_overdue=30 - k,
        )
        for k in range(5)
    ]
    start = time.perf_counter()
    for first in range(0, n, 100):
        async with UnitOfWork(sessions, Outbox(OUTBOX), "bench-messaging") as uow:
            for number in range(first, min(n, first + 100)):
                await handlers.send_message(
                    msg.SendMessage(
                        message_key=f"{prefix}-{number}",
                        customer_id=f"FR01/C{number}",
                        entity="FR01",
                        account_number=f"C{number}",
                        customer_name=f"Client {number}",
                        contact_name="Marie",
                        recipient=f"ap{number}@client.example",
                        language="fr",
                        channel="email",
                        template_code="first_reminder",
                        items=items,
                        today=date_to_proto(TODAY),
                        task_id=f"task-{prefix}-{number}",
                    ),
                    uow,
                    deps,
                )
            await uow.commit()
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return elapsed


def bench_messaging(n: int, concurrency: int = 16) -> None:
    from opendso_db import ensure_database, upgrade
    from opendso_messaging.app import MIGRATIONS

    name = f"bench_msg_{uuid.uuid4().hex[:8]}"
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        asyncio.run(ensure_database(url))
    except OSError:
        print(f"{'messaging: e-mails to SMTP':<48} skipped (no PostgreSQL on 127.0.0.1:5432)")
        return
    upgrade(url, MIGRATIONS)
    context = multiprocessing.get_context("spawn")
    accepted: Synchronized[int] = context.Value("i", 0)
    ready, stop = context.Event(), context.Event()
    port = _free_port()
    server = context.Process(target=_smtp_server, args=(port, accepted, ready, stop), daemon=True)
    server.start()
    ready.wait(30)
    try:
        for instances in (1, 2):
            prefix = f"run{instances}"
            queued = asyncio.run(_queue(url, n, prefix))
            print(
                f"{'messaging: render and queue (5 items, fr)':<48} {n:>8} messages in {queued:7.3f}s = "
                f"{n / queued:>10,.0f} messages/s"
            )
            before = accepted.value
            start = time.perf_counter()
            workers = [
                context.Process(target=_dispatch, args=(url, port, f"{prefix}-{k}", concurrency))
                for k in range(instances)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            elapsed = time.perf_counter() - start
            handed = accepted.value - before
            print(
                f"{f'messaging: handed to SMTP, {instances} instance(s)':<48} {handed:>8} messages in "
                f"{elapsed:7.3f}s = {handed / elapsed:>10,.0f} messages/s"
            )
    finally:
        stop.set()
        server.join(10)
