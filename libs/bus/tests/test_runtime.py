"""The bus against a real nats-server and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
import pytest
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso.reporting.v1 import reporting_pb2 as rp
from opendso_bus import NotFound, RemoteError, ServiceRuntime, SqlUnitOfWork, inbox_table, outbox_table
from opendso_bus.client import request
from opendso_bus.deadletter import list_dead_letters, replay_dead_letter
from opendso_bus.nats_server import NatsServer
from opendso_db import create_engine, ensure_database, session_factory
from opendso_telemetry import trace_id_hex, tracer
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import Column, MetaData, String, Table, insert, select

from conftest import MakeDatabase, eventually

pytestmark = pytest.mark.integration

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)
NOTES = Table("notes", metadata, Column("event_id", String(64), primary_key=True), Column("number", String(60)))

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def _tracing() -> None:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))


class NotesUoW(SqlUnitOfWork):
    pass


Handler = Callable[[rv.ItemOpened, NotesUoW], Awaitable[None]]


class Harness:
    def __init__(self, nats_url: str, make_database: MakeDatabase) -> None:
        self.nats_url = nats_url
        self.make_database = make_database
        self.runtimes: list[ServiceRuntime[NotesUoW]] = []
        self.engines: list[Any] = []

    async def runtime(
        self, service: str, handler: Handler | None = None, nats_url: str | None = None, start: bool = True
    ) -> ServiceRuntime[NotesUoW]:
        url = await self.make_database(service.replace("-", "_"))
        await ensure_database(url)
        engine = create_engine(url)
        self.engines.append(engine)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        rt: ServiceRuntime[NotesUoW] = ServiceRuntime(
            service,
            nats_url=nats_url or self.nats_url,
            sessions=session_factory(engine),
            outbox_table=OUTBOX,
            inbox_table=INBOX,
            uow_class=NotesUoW,
            max_attempts=3,
            retry_delay_seconds=0.05,
            outbox_poll_seconds=0.2,
        )
        if handler is not None:
            rt.on_event(rv.ItemOpened, handler, consumer=f"{service}-items")
        if start:
            await rt.start()
            self.runtimes.append(rt)
        return rt

    async def close(self) -> None:
        for rt in self.runtimes:
            await rt.stop()
        for engine in self.engines:
            await engine.dispose()


@pytest.fixture
async def harness(nats_url: str, make_database: MakeDatabase) -> AsyncIterator[Harness]:
    h = Harness(nats_url, make_database)
    yield h
    await h.close()


def uid() -> str:
    return uuid.uuid4().hex[:8]


def recording_handler(tag: str, calls: list[str]) -> Handler:
    async def handle(event: rv.ItemOpened, uow: NotesUoW) -> None:
        if event.item.entity != tag:
            return  # another test's event on the shared stream
        calls.append(event.meta.event_id)
        await uow.session.execute(insert(NOTES).values(event_id=event.meta.event_id, number=event.item.number))

    return handle


async def emit(rt: ServiceRuntime[NotesUoW], tag: str, number: str) -> rv.ItemOpened:
    async with rt.uow() as uow:
        event = rv.ItemOpened(meta=uow.meta(entity=tag), item=rv.OpenItem(entity=tag, number=number))
        await uow.publish(event)
        await uow.commit()
    return event


async def notes(rt: ServiceRuntime[NotesUoW]) -> list[str]:
    async with rt.sessions() as s:
        return list((await s.execute(select(NOTES.c.number).order_by(NOTES.c.number))).scalars())


async def test_event_leaves_through_the_outbox_and_a_redelivery_changes_nothing(harness: Harness) -> None:
    tag, calls = uid(), []
    consumer = await harness.runtime(f"c-{tag}", recording_handler(tag, calls))
    producer = await harness.runtime(f"p-{tag}")
    event = await emit(producer, tag, "INV-1")

    async def one_note() -> bool:
        return await notes(consumer) == ["INV-1"]

    await eventually(one_note)
    async with producer.sessions() as s:
        assert await producer.outbox.backlog(s) == 0

    # The same event again, as a redelivery would bring it (a new message id
    # so the server does not drop it first): the inbox must.
    nc = await nats.connect(harness.nats_url)
    js = nc.jetstream()
    await js.publish(
        "opendso.receivables.v1.item_opened", event.SerializeToString(), headers={"Nats-Msg-Id": f"again-{tag}"}
    )

    async def drained() -> bool:
        info = await js.consumer_info("OPENDSO_RECEIVABLES", f"c-{tag}-items")
        return info.num_pending == 0 and info.num_ack_pending == 0

    await eventually(drained)
    await nc.close()
    assert calls == [event.meta.event_id]
    assert await notes(consumer) == ["INV-1"]


async def test_server_drops_a_republished_outbox_row_by_its_message_id(harness: Harness) -> None:
    tag = uid()
    producer = await harness.runtime(f"p-{tag}")
    event = await emit(producer, tag, "INV-9")

    async def relayed() -> bool:
        async with producer.sessions() as s:
            return await producer.outbox.backlog(s) == 0

    await eventually(relayed)
    nc = await nats.connect(harness.nats_url)
    ack = await nc.jetstream().publish(
        "opendso.receivables.v1.item_opened", event.SerializeToString(), headers={"Nats-Msg-Id": event.meta.event_id}
    )
    await nc.close()
    assert ack.duplicate is True


async def test_failing_handler_is_retried_then_dead_lettered_and_can_be_replayed(harness: Harness) -> None:
    tag, attempts = uid(), []
    broken = {"on": True}

    async def handle(event: rv.ItemOpened, uow: NotesUoW) -> None:
        if event.item.entity != tag:
            return
        attempts.append(1)
        if broken["on"]:
            raise RuntimeError("database blip")
        await uow.session.execute(insert(NOTES).values(event_id=event.meta.event_id, number=event.item.number))

    consumer = await harness.runtime(f"c-{tag}", handle)
    producer = await harness.runtime(f"p-{tag}")
    await emit(producer, tag, "INV-2")
    nc = await nats.connect(harness.nats_url)
    js = nc.jetstream()

    async def parked() -> bool:
        return any(d.consumer == f"c-{tag}-items" for d in await list_dead_letters(js))

    await eventually(parked)
    letter = next(d for d in await list_dead_letters(js) if d.consumer == f"c-{tag}-items")
    assert letter.attempts == 3
    assert "database blip" in letter.error
    assert len(attempts) == 3
    assert await notes(consumer) == []

    broken["on"] = False
    assert await replay_dead_letter(js, letter.seq) == "opendso.receivables.v1.item_opened"

    async def applied() -> bool:
        return await notes(consumer) == ["INV-2"]

    await eventually(applied)
    assert all(d.seq != letter.seq for d in await list_dead_letters(js))
    await nc.close()


async def test_rows_left_in_the_outbox_by_a_crash_are_published_at_the_next_start(harness: Harness) -> None:
    tag, calls = uid(), []
    consumer = await harness.runtime(f"c-{tag}", recording_handler(tag, calls))
    producer = await harness.runtime(f"p-{tag}", start=False)  # committed, never relayed: a crash
    await emit(producer, tag, "INV-3")
    async with producer.sessions() as s:
        assert await producer.outbox.backlog(s) == 1
    await producer.start()
    harness.runtimes.append(producer)

    async def delivered() -> bool:
        return await notes(consumer) == ["INV-3"]

    await eventually(delivered)


async def test_queries_answer_and_refusals_reach_the_caller(harness: Harness) -> None:
    tag = uid()
    service = await harness.runtime(f"q-{tag}", start=False)

    async def aging(req: rp.GetAging) -> rp.AgingReport:
        if req.entity == "missing":
            raise NotFound("no entity 'missing'")
        return rp.AgingReport(entity=req.entity)

    service.on_query(rp.GetAging, aging)
    await service.start()
    harness.runtimes.append(service)
    nc = await nats.connect(harness.nats_url)
    try:
        reply = await request(nc, rp.GetAging(entity="FR01"), rp.AgingReport)
        assert reply.entity == "FR01"
        with pytest.raises(RemoteError) as refused:
            await request(nc, rp.GetAging(entity="missing"), rp.AgingReport)
        assert refused.value.code == "not_found"
        assert "missing" in refused.value.detail
    finally:
        await nc.close()


async def test_trace_follows_an_event_from_producer_to_consumer(harness: Harness) -> None:
    tag, seen_traces = uid(), []

    async def handle(event: rv.ItemOpened, uow: NotesUoW) -> None:
        if event.item.entity == tag:
            seen_traces.append(trace_id_hex())

    await harness.runtime(f"c-{tag}", handle)
    producer = await harness.runtime(f"p-{tag}")
    with tracer("test").start_as_current_span("upload"):
        origin = trace_id_hex()
        await emit(producer, tag, "INV-4")

    async def handled() -> bool:
        return bool(seen_traces)

    await eventually(handled)
    assert seen_traces == [origin]


async def test_consumers_resume_after_a_nats_restart(harness: Harness, tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        tag, calls = uid(), []
        consumer = await harness.runtime(f"c-{tag}", recording_handler(tag, calls), nats_url=server.url)
        producer = await harness.runtime(f"p-{tag}", nats_url=server.url)
        await emit(producer, tag, "INV-5")

        async def first() -> bool:
            return await notes(consumer) == ["INV-5"]

        await eventually(first)
        server.restart()
        await emit(producer, tag, "INV-6")

        async def second() -> bool:
            return await notes(consumer) == ["INV-5", "INV-6"]

        await eventually(second, timeout=30)
    finally:
        await harness.close()
        harness.runtimes.clear()
        server.stop()


async def test_health_answers_with_database_check(harness: Harness) -> None:
    from opendso.system.v1 import health_pb2
    from opendso_contracts.registry import health_subject

    tag = uid()
    await harness.runtime(f"h-{tag}")
    nc = await nats.connect(harness.nats_url)
    msg = await nc.request(health_subject(f"h-{tag}"), b"", timeout=5)
    await nc.close()
    status = health_pb2.HealthStatus.FromString(msg.data)
    assert status.service == f"h-{tag}"
    assert status.status == "ok"
    assert status.checks["database"].startswith("ok")


async def test_a_batch_handler_gets_events_together_once_each_and_a_bad_one_is_dead_lettered_alone(
    harness: Harness,
) -> None:
    tag = uid()
    batches: list[list[str]] = []

    async def handle(events: list[rv.ItemOpened], uow: NotesUoW) -> None:
        mine = [e for e in events if e.item.entity == tag]
        if not mine:
            return  # another test's events on the shared stream
        batches.append([e.item.number for e in mine])
        if any(e.item.number == "BAD" for e in mine):
            raise RuntimeError("a bad item")
        await uow.session.execute(insert(NOTES), [{"event_id": e.meta.event_id, "number": e.item.number} for e in mine])

    consumer = await harness.runtime(f"c-{tag}", start=False)
    consumer.on_event_batch(rv.ItemOpened, handle, consumer=f"c-{tag}-items")
    await consumer.start()
    harness.runtimes.append(consumer)
    producer = await harness.runtime(f"p-{tag}")
    async with producer.uow() as uow:
        events = [
            rv.ItemOpened(meta=uow.meta(entity=tag), item=rv.OpenItem(entity=tag, number=f"INV-{n:02}"))
            for n in range(20)
        ]
        events.insert(10, rv.ItemOpened(meta=uow.meta(entity=tag), item=rv.OpenItem(entity=tag, number="BAD")))
        await uow.publish_many(list(events))
        await uow.commit()
    nc = await nats.connect(harness.nats_url)
    js = nc.jetstream()

    async def settled() -> bool:
        parked = any(d.consumer == f"c-{tag}-items" for d in await list_dead_letters(js))
        return parked and len(await notes(consumer)) == 20

    await eventually(settled, timeout=20)
    # A redelivery of an event handled already (a new message id, so the server does not drop it first).
    handled = len(batches)
    await js.publish(
        "opendso.receivables.v1.item_opened", events[0].SerializeToString(), headers={"Nats-Msg-Id": f"again-{tag}"}
    )

    async def drained() -> bool:
        info = await js.consumer_info("OPENDSO_RECEIVABLES", f"c-{tag}-items")
        return info.num_pending == 0 and info.num_ack_pending == 0

    await eventually(drained)
    letter = next(d for d in await list_dead_letters(js) if d.consumer == f"c-{tag}-items")
    await nc.close()

    assert await notes(consumer) == [f"INV-{n:02}" for n in range(20)]
    assert max(len(b) for b in batches) > 1
    assert len(batches) == handled  # the redelivered event never reached the handler
    assert letter.attempts == 3 and "a bad item" in letter.error


async def test_a_batch_consumer_resumes_after_a_nats_restart(harness: Harness, tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        tag = uid()

        async def handle(events: list[rv.ItemOpened], uow: NotesUoW) -> None:
            mine = [e for e in events if e.item.entity == tag]
            if mine:
                await uow.session.execute(
                    insert(NOTES), [{"event_id": e.meta.event_id, "number": e.item.number} for e in mine]
                )

        consumer = await harness.runtime(f"c-{tag}", nats_url=server.url, start=False)
        consumer.on_event_batch(rv.ItemOpened, handle, consumer=f"c-{tag}-items")
        await consumer.start()
        harness.runtimes.append(consumer)
        producer = await harness.runtime(f"p-{tag}", nats_url=server.url)
        await emit(producer, tag, "INV-7")

        async def first() -> bool:
            return await notes(consumer) == ["INV-7"]

        await eventually(first)
        server.restart()
        await emit(producer, tag, "INV-8")

        async def second() -> bool:
            return await notes(consumer) == ["INV-7", "INV-8"]

        await eventually(second, timeout=30)
    finally:
        await harness.close()
        harness.runtimes.clear()
        server.stop()
