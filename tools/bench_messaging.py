"""Messaging throughput: SendMessage commands published to NATS and handled by the messaging service's runtime
as app.py wires it (rendered and queued in PostgreSQL, a fetched batch per transaction), then handed to a local
SMTP server by the dispatcher, with one instance and with two (separate processes sharing the database).

The SMTP server runs in its own process and only counts what it accepts, as a relay would: aiosmtpd, whose
ceiling is measured alone first, then a bare sink (a few lines of asyncio that read a message in one call) to
show what the dispatchers do when the server is not what limits them. Each line also gives the CPU time per
message of the dispatcher processes and of the server: on a machine whose cores are shared with PostgreSQL,
the server and other work, ``1000 / (dispatcher ms per message)`` is what one instance does with a core.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import socket
import tempfile
import time
import uuid
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
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
        async def handle_EHLO(
            self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
        ) -> list[str]:
            # Relays (Postfix, Exim, SES, Microsoft 365) offer PIPELINING; aiosmtpd reads pipelined
            # commands in order but does not say so.
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]]

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


async def _smtp_ceiling(port: int, n: int, connections: int) -> float:
    """What the SMTP server alone takes: ``n`` ready-made messages over ``connections`` pipelined connections,
    from a bare client that does nothing else; answers seconds."""
    data = (b"Subject: bench\r\n\r\n" + b"x" * 70 + b"\r\n") * 70 + b".\r\n"

    async def one(count: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()
        writer.write(b"EHLO bench.local\r\n")
        while not (await reader.readline()).startswith(b"250 "):
            pass
        for _ in range(count):
            writer.write(b"MAIL FROM:<credit@acme.example>\r\nRCPT TO:<ap@client.example>\r\nDATA\r\n")
            for _ in range(3):
                await reader.readline()
            writer.write(data)
            await reader.readline()
        writer.write(b"QUIT\r\n")
        await reader.readline()
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one(n // connections) for _ in range(connections)))
    return time.perf_counter() - start


def _sink_server(port: int, accepted: Synchronized[int], ready: Any, stop: Any) -> None:
    """A bare SMTP server: it answers each command, reads a message in one call, and counts it."""

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink.bench.local ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink.bench.local\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await reader.readuntil(b"\r\n.\r\n")
                with accepted.get_lock():
                    accepted.value += 1
                writer.write(b"250 OK queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(session, "127.0.0.1", port, limit=1 << 20)
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        server.close()

    asyncio.run(serve())


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux); 0 where /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _dispatch(url: str, port: int, instance: str, concurrency: int, ready: Any, go: Any, cpu: Any) -> None:
    asyncio.run(_dispatch_until_empty(url, port, instance, concurrency, ready, go, cpu))


async def _dispatch_until_empty(
    url: str, port: int, instance: str, concurrency: int, ready: Any, go: Any, cpu: Any
) -> None:
    from opendso_bus.outbox import Outbox
    from opendso_db import create_engine, session_factory
    from opendso_messaging.dispatch import Dispatcher, DispatchSettings, Providers, drain
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
    # Started and connected before the clock starts: the measure is of sending, not of importing.
    ready.set()
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    before = os.times()
    await drain(dispatcher)
    after = os.times()
    cpu.value = after.user + after.system - before.user - before.system
    await engine.dispose()


async def _queue(url: str, nats_url: str, outbox: Path, n: int, prefix: str) -> tuple[float, float]:
    """Publish ``n`` SendMessage commands (reminders of five items), then start the messaging service's runtime
    as the service wires it and time it rendering and queueing them all; answers seconds, and CPU seconds of
    this process (the runtime's)."""
    import nats
    from opendso.common.v1.common_pb2 import Money
    from opendso.messaging.v1 import messaging_pb2 as msg
    from opendso_bus.envelope import headers_for, new_meta
    from opendso_bus.streams import ensure_streams
    from opendso_contracts.convert import date_to_proto
    from opendso_contracts.registry import stream_for, subject_for
    from opendso_db import create_engine
    from opendso_messaging.app import create_app
    from opendso_messaging.settings import Settings
    from opendso_messaging.store import messages
    from sqlalchemy import func, select

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
    subject = subject_for(msg.SendMessage)
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await ensure_streams(js)
    for first in range(0, n, 1000):
        acks = []
        for number in range(first, min(n, first + 1000)):
            command = msg.SendMessage(
                meta=new_meta("bench"),
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
            )
            stream = stream_for(subject).name
            acks.append(
                await js.publish_async(
                    subject, command.SerializeToString(), headers=headers_for(command), stream=stream
                )
            )
        await asyncio.gather(*acks)
    await client.close()
    settings = Settings(
        database_url=url,
        nats_url=nats_url,
        outbox_dir=outbox,
        sender="Acme <credit@acme.example>",
        company_name="Acme",
        collector_name="Claire",
        collector_email="claire@acme.example",
        portal_base_url="https://portal.acme.example",
    )
    runtime, _ = create_app(settings)
    engine = create_engine(url)
    # One instance handles the stream in order: the last command queued means all were (a retried one aside,
    # which the count then waits for). The last is looked up by its key: counting all the while would scan
    # the growing table under the service's feet.
    last = select(messages.c.message_key).where(messages.c.message_key == f"{prefix}-{n - 1}")
    mine = select(func.count()).select_from(messages).where(messages.c.message_key.startswith(f"{prefix}-"))
    start, before = time.perf_counter(), os.times()
    await runtime.start()
    async with engine.connect() as connection:
        while (await connection.execute(last)).first() is None:
            await connection.rollback()  # a fresh snapshot for the next look
            await asyncio.sleep(0.02)
        while (await connection.execute(mine)).scalar_one() < n:
            await connection.rollback()
            await asyncio.sleep(0.2)
    elapsed, after = time.perf_counter() - start, os.times()
    await runtime.stop()
    await engine.dispose()
    # The runtime's own engine (ServiceRuntime.from_settings made it): its connections would outlive the run.
    await runtime.sessions.kw["bind"].dispose()
    return elapsed, after.user + after.system - before.user - before.system


def bench_messaging(n: int, concurrency: int = 16) -> None:
    from opendso_bus.nats_server import NatsServer
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
    try:
        with tempfile.TemporaryDirectory() as folder, NatsServer(Path(folder) / "nats") as nats_server:
            for kind, serve in (("aiosmtpd", _smtp_server), ("bare sink", _sink_server)):
                _bench_against(context, url, nats_server.url, Path(folder), kind, serve, n, concurrency)
    finally:
        asyncio.run(_drop(name))


async def _drop(name: str) -> None:
    """Drop the bench's database: forty thousand rendered e-mails are a few hundred megabytes."""
    import asyncpg

    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await connection.close()


def _bench_against(
    context: Any, url: str, nats_url: str, folder: Path, kind: str, serve: Any, n: int, concurrency: int
) -> None:
    accepted: Synchronized[int] = context.Value("i", 0)
    ready, stop = context.Event(), context.Event()
    port = _free_port()
    server = context.Process(target=serve, args=(port, accepted, ready, stop), daemon=True)
    server.start()
    ready.wait(30)
    try:
        if kind == "aiosmtpd":
            server_cpu = _cpu_seconds(server.pid or 0)
            alone = asyncio.run(_smtp_ceiling(port, n, concurrency))
            handed = accepted.value
            server_cpu = _cpu_seconds(server.pid or 0) - server_cpu
            print(
                f"{'messaging: aiosmtpd alone (its ceiling)':<48} {handed:>8} messages in {alone:7.3f}s = "
                f"{handed / alone:>10,.0f} messages/s  (server {1000 * server_cpu / handed:.2f} ms CPU/message)"
            )
        for instances in (1, 2):
            _run(context, url, nats_url, folder, port, server.pid or 0, accepted, n, kind, instances, concurrency)
    finally:
        stop.set()
        server.join(10)


def _run(
    context: Any,
    url: str,
    nats_url: str,
    folder: Path,
    port: int,
    server_pid: int,
    accepted: Synchronized[int],
    n: int,
    kind: str,
    instances: int,
    concurrency: int,
) -> None:
    prefix = f"{kind.replace(' ', '')}{instances}"
    queued, queue_cpu = asyncio.run(_queue(url, nats_url, folder / "outbox", n, prefix))
    print(
        f"{'messaging: SendMessage via NATS, rendered, queued':<48} {n:>8} messages in {queued:7.3f}s = "
        f"{n / queued:>10,.0f} messages/s  (service {1000 * queue_cpu / n:.2f} ms CPU/message)"
    )
    go = context.Event()
    started = [(context.Event(), context.Value("d", 0.0)) for _ in range(instances)]
    workers = [
        context.Process(target=_dispatch, args=(url, port, f"{prefix}-{k}", concurrency, ready, go, cpu))
        for k, (ready, cpu) in enumerate(started)
    ]
    for worker in workers:
        worker.start()
    for ready, _ in started:
        ready.wait(60)
    before, server_cpu = accepted.value, _cpu_seconds(server_pid)
    start = time.perf_counter()
    go.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    handed = accepted.value - before
    server_cpu = _cpu_seconds(server_pid) - server_cpu
    dispatcher_cpu = sum(cpu.value for _, cpu in started)
    label = f"messaging: to {kind}, {instances} instance{'s' if instances > 1 else ''}"
    print(
        f"{label:<48} {handed:>8} messages in {elapsed:7.3f}s = {handed / elapsed:>10,.0f} messages/s  "
        f"(dispatcher {1000 * dispatcher_cpu / max(handed, 1):.2f}, server {1000 * server_cpu / max(handed, 1):.2f} "
        "ms CPU/message)"
    )
