"""The service runtime: one FastStream NATS broker per process, with the
behaviour every service needs decided once here.

- JetStream durable pull consumers with *manual* acks: a handler that raises
  is nak'ed with a growing delay, and after ``max_attempts`` deliveries the
  message is parked in the dead-letter stream (never silently dropped, which
  is FastStream's default on an exception).
- Every event handler runs inside a unit of work whose transaction also
  records the event id in the inbox: a redelivered event changes nothing.
- A batch handler (``on_event_batch``) gets the messages of a fetch together,
  in one unit of work, with the same inbox, retries and dead-lettering.
- Outgoing messages leave through the outbox relay.
- Request/reply queries on core NATS with a queue group, so instances share them.
- The connection reconnects forever (nats-py gives up after ~2 minutes by default).
"""

# No ``from __future__ import annotations`` here: FastStream resolves the
# handler parameter annotations at runtime.

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsResponse, PullSub
from faststream.nats.annotations import NatsMessage
from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opendso_contracts.registry import (
    DEADLETTER_PREFIX,
    HEALTH_REPLY,
    health_subject,
    query_for,
    stream_for,
    subject_for,
)
from opendso_db import create_engine, is_sqlite, session_factory
from opendso_telemetry import extract_context, tracer
from opentelemetry.trace import Link, SpanKind, Status, StatusCode, get_current_span
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opendso_bus.envelope import MSG_ID, meta_of
from opendso_bus.errors import CODE_HEADER, DETAIL_HEADER, STATUS_HEADER, QueryError
from opendso_bus.inbox import Inbox
from opendso_bus.outbox import Outbox, OutboxRelay
from opendso_bus.settings import ServiceSettings
from opendso_bus.streams import ensure_streams
from opendso_bus.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Message)
Q = TypeVar("Q", bound=Message)
U = TypeVar("U", bound=SqlUnitOfWork)

EventHandler = Callable[[Any, Any], Awaitable[None]]
QueryHandler = Callable[[Any], Awaitable[Message]]

# Headers on a dead-lettered message, read back by ``opendso deadletter``.
DL_SUBJECT = "opendso-original-subject"
DL_CONSUMER = "opendso-consumer"
DL_ERROR = "opendso-error"
DL_ATTEMPTS = "opendso-attempts"


class PermanentError(Exception):
    """A handler error that no retry can fix (bad data): dead-letter at once."""


class _Acks:
    """A message fetched by the runtime itself, with the acknowledgements ``_process`` gives FastStream's."""

    def __init__(self, raw: Msg) -> None:
        self.raw_message = raw

    async def ack(self) -> None:
        await self.raw_message.ack()

    async def nack(self, delay: float | None = None) -> None:
        await self.raw_message.nak(delay=delay)

    async def reject(self) -> None:
        await self.raw_message.term()


class ServiceRuntime(Generic[U]):
    def __init__(
        self,
        service: str,
        *,
        nats_url: str,
        sessions: async_sessionmaker[AsyncSession],
        outbox_table: Table,
        inbox_table: Table,
        uow_class: Callable[..., U],
        max_attempts: int = 5,
        retry_delay_seconds: float = 1.0,
        outbox_poll_seconds: float = 1.0,
        lock_outbox_rows: bool = False,
        version: str = "0.1.0",
    ) -> None:
        self.service = service
        self.version = version
        self.broker = NatsBroker(
            nats_url,
            name=f"opendso-{service}",
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
            graceful_timeout=10.0,
            # FastStream logs every message at this level: keep it below INFO.
            log_level=logging.DEBUG,
        )
        self.sessions = sessions
        self.outbox = Outbox(outbox_table)
        self.inbox = Inbox(inbox_table)
        self._uow_class = uow_class
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay_seconds
        self.relay = OutboxRelay(
            sessions, outbox_table, self._publish, poll_seconds=outbox_poll_seconds, lock_rows=lock_outbox_rows
        )
        self._tracer = tracer(f"opendso.{service}")
        self._js: JetStreamContext | None = None
        self._started_at = dt.datetime.now(dt.UTC)
        self._health_checks: dict[str, Callable[[], Awaitable[str]]] = {"database": self._check_database}
        # on_event_batch: (subject, durable consumer, batch size, what handles a fetch), and their fetch loops.
        self._batch_subscriptions: list[tuple[str, str, int, Callable[[list[Msg]], Awaitable[None]]]] = []
        self._batch_loops: list[asyncio.Task[None]] = []
        self._batch_pulls: list[JetStreamContext.PullSubscription] = []
        self._stopping = False
        self.on_query_subject(health_subject(service), self._health)

    @classmethod
    def from_settings(
        cls,
        service: str,
        settings: ServiceSettings,
        outbox_table: Table,
        inbox_table: Table,
        uow_class: Callable[..., U],
    ) -> "ServiceRuntime[U]":
        """The runtime of a service as its settings describe it: database, NATS, retries."""
        return cls(
            service,
            nats_url=settings.nats_url,
            sessions=session_factory(create_engine(settings.database_url)),
            outbox_table=outbox_table,
            inbox_table=inbox_table,
            uow_class=uow_class,
            max_attempts=settings.max_attempts,
            retry_delay_seconds=settings.retry_delay_seconds,
            outbox_poll_seconds=settings.outbox_poll_seconds,
            # PostgreSQL lets several instances claim outbox rows; a SQLite file has one writer.
            lock_outbox_rows=not is_sqlite(settings.database_url),
        )

    # -- wiring ------------------------------------------------------------
    def uow(self) -> U:
        """A new unit of work whose commit wakes the outbox relay."""
        return self._uow_class(self.sessions, self.outbox, self.service, self.relay.kick)

    def on_event(
        self,
        message_type: type[E],
        handler: Callable[[E, U], Awaitable[None]],
        *,
        consumer: str | None = None,
        concurrency: int = 1,
    ) -> None:
        """Subscribe ``handler(event, uow)`` to a durable message type, once per service.

        ``concurrency`` bounds how many messages of this subscription one
        instance handles at once. The default, 1, handles them one after the
        other in stream order; handlers must still tolerate reordering, which
        retries and several instances bring anyway.
        """
        subject = subject_for(message_type)
        stream = stream_for(subject)
        durable = consumer or f"{self.service}-{subject.rsplit('.', 1)[-1].replace('_', '-')}"
        # FastStream runs every message of a fetched batch as its own task at
        # once; the semaphore (FIFO) turns that back into the chosen bound.
        gate = asyncio.Semaphore(concurrency)

        async def consume(msg: NatsMessage) -> None:
            async with gate:
                await self._process(msg, message_type, handler, durable)

        consume.__name__ = f"{self.service}_{subject.rsplit('.', 1)[-1]}"
        self.broker.subscriber(
            subject,
            stream=JStream(stream.name, declare=False),
            durable=durable,
            pull_sub=PullSub(batch_size=max(8, concurrency), timeout=5.0),
            ack_policy=AckPolicy.MANUAL,
            # A safety net above our own dead-lettering, in case parking fails.
            config=ConsumerConfig(ack_wait=60.0, max_deliver=self.max_attempts + 5),
            description=f"{self.service} handles {message_type.DESCRIPTOR.full_name}",
        )(consume)

    def on_event_batch(
        self,
        message_type: type[E],
        handler: Callable[[list[E], U], Awaitable[None]],
        *,
        consumer: str | None = None,
        batch_size: int = 100,
    ) -> None:
        """Subscribe ``handler(events, uow)`` to a durable message type, handling the messages fetched
        together (up to ``batch_size``) in one unit of work: one transaction and one commit for all of them.

        For handlers whose per-message cost is mostly database round trips. The guarantees are those of
        :meth:`on_event`: each event is recorded in the inbox in the same transaction as its effects, and
        events already recorded (redeliveries) are left out of the list. Should the batch fail, its messages
        are handled one by one (``handler([event], uow)``), each with the usual retries and dead-lettering,
        so a bad message never holds back the others. A batch names no single cause: a handler that
        publishes on behalf of an event calls ``uow.caused_by(event.meta)`` first. Nothing waits for a batch
        to fill: a fetch answers with what is there, a lone message as soon as it arrives.

        The fetch loop is the runtime's own, on the NATS client (same durable pull consumer and settings as
        :meth:`on_event`): FastStream's per-message machinery would cost more than the handling, and its batch
        subscriber drops a partly fetched batch on a fetch timeout, to be redelivered a minute later.
        """
        subject = subject_for(message_type)
        durable = consumer or f"{self.service}-{subject.rsplit('.', 1)[-1].replace('_', '-')}"

        async def alone(event: E, uow: U) -> None:
            await handler([event], uow)

        async def process(raws: list[Msg]) -> None:
            await self._process_batch(raws, message_type, handler, alone, durable)

        self._batch_subscriptions.append((subject, durable, batch_size, process))

    def on_query(self, request_type: type[Q], handler: Callable[[Q], Awaitable[Message]]) -> None:
        query = query_for(request_type)

        async def answer(raw: Message) -> Message:
            if not isinstance(raw, request_type):
                raise TypeError("wrong request type")
            reply = await handler(raw)
            if not isinstance(reply, query.reply):
                raise TypeError(f"{query.subject} must answer {query.reply.DESCRIPTOR.full_name}")
            return reply

        self.on_query_subject(query.subject, answer, request_type)

    def on_query_subject(
        self, subject: str, handler: Callable[[Any], Awaitable[Message]], request_type: type[Message] | None = None
    ) -> None:
        async def respond(msg: NatsMessage) -> NatsResponse:
            headers = dict(msg.raw_message.headers or {})
            with self._tracer.start_as_current_span(
                f"answer {subject}", context=extract_context(headers), kind=SpanKind.SERVER
            ) as span:
                try:
                    request = request_type.FromString(msg.body) if request_type else None
                    reply = await handler(request)
                    return NatsResponse(reply.SerializeToString(), headers={STATUS_HEADER: "ok"})
                except DecodeError as exc:
                    return self._problem("invalid", f"undecodable request: {exc}")
                except QueryError as exc:
                    return self._problem(exc.code, exc.detail)
                except Exception as exc:
                    log.exception("%s: query %s failed", self.service, subject)
                    span.record_exception(exc)
                    span.set_status(Status(StatusCode.ERROR))
                    return self._problem("internal", f"{type(exc).__name__}: {exc}")

        respond.__name__ = f"{self.service}_answer_{subject.rsplit('.', 1)[-1]}"
        self.broker.subscriber(subject, queue=self.service)(respond)

    def add_health_check(self, name: str, check: Callable[[], Awaitable[str]]) -> None:
        self._health_checks[name] = check

    # -- lifecycle -----------------------------------------------------------
    async def start(self, connect_deadline_seconds: float = 60.0) -> None:
        deadline = time.monotonic() + connect_deadline_seconds
        while True:
            try:
                await self.broker.connect()
                break
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("%s: NATS not reachable yet (%s); retrying", self.service, exc)
                await asyncio.sleep(1.0)
        self._js = self.broker.connection.jetstream()
        await ensure_streams(self._js)
        await self.broker.start()
        self._stopping = False
        for subject, durable, batch_size, process in self._batch_subscriptions:
            subscription = await self._js.pull_subscribe(
                subject,
                durable=durable,
                stream=stream_for(subject).name,
                config=ConsumerConfig(ack_wait=60.0, max_deliver=self.max_attempts + 5),
            )
            self._batch_pulls.append(subscription)
            self._batch_loops.append(
                asyncio.create_task(self._fetch_batches(subscription, durable, batch_size, process))
            )
        self.relay.start()
        self.relay.kick()
        log.info("%s started", self.service)

    async def stop(self) -> None:
        await self.relay.stop()
        if self._batch_loops:
            # A batch being handled is finished (FastStream's graceful timeout); a fetch ends within a second.
            self._stopping = True
            _, late = await asyncio.wait(self._batch_loops, timeout=10.0)
            for loop in late:
                loop.cancel()
            await asyncio.gather(*self._batch_loops, return_exceptions=True)
            self._batch_loops.clear()
            for subscription in self._batch_pulls:
                # The durable consumer stays on the server; only this instance's interest ends.
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()
            self._batch_pulls.clear()
        await self.broker.stop()

    # -- internals -------------------------------------------------------------
    async def _publish(self, batch: list[tuple[str, bytes, dict[str, str]]]) -> list[bool]:
        """Publish a batch without waiting for each ack in turn (one connection keeps
        them in order in the stream), then collect the acks."""
        assert self._js is not None, "runtime not started"
        futures = [
            await self._js.publish_async(subject, payload, headers=headers, stream=stream_for(subject).name)
            for subject, payload, headers in batch
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            log.warning("%s: %d of %d publishes failed, first: %s", self.service, len(failed), len(batch), failed[0])
        return [not isinstance(r, BaseException) for r in results]

    def _problem(self, code: str, detail: str) -> NatsResponse:
        return NatsResponse(b"", headers={STATUS_HEADER: "error", CODE_HEADER: code, DETAIL_HEADER: detail[:4000]})

    async def _fetch_batches(
        self,
        subscription: JetStreamContext.PullSubscription,
        consumer: str,
        batch_size: int,
        process: Callable[[list[Msg]], Awaitable[None]],
    ) -> None:
        """Fetch and handle batches until the runtime stops; a fetch answers as soon as anything is there."""
        while not self._stopping:
            try:
                raws = await subscription.fetch(batch=batch_size, timeout=1.0)
            except TimeoutError:
                continue  # nothing came: fetch again (nats-py raises asyncio's and its own TimeoutError)
            except Exception as exc:
                # Disconnected, the server restarting: unacked messages are redelivered; fetch again shortly.
                log.warning("%s: fetching for %s failed (%s); retrying", self.service, consumer, exc)
                await asyncio.sleep(1.0)
                continue
            try:
                await process(raws)
            except Exception:
                # Not expected (handler failures are settled per message): what is unacked comes back.
                log.exception("%s: %s could not settle a batch of %d", self.service, consumer, len(raws))

    async def _process_batch(
        self,
        raws: list[Msg],
        message_type: type[E],
        handler: Callable[[list[E], U], Awaitable[None]],
        alone: Callable[[E, U], Awaitable[None]],
        consumer: str,
    ) -> None:
        """Handle ``raws`` in one unit of work; what cannot be (undecodable, or the batch failed) one by one."""
        decoded: list[tuple[Msg, E, str]] = []
        singles: list[Msg] = []
        for raw in raws:
            try:
                event = message_type.FromString(raw.data)
                event_id = meta_of(event).event_id or (raw.headers or {}).get(MSG_ID, "")
            except DecodeError:
                event_id = ""
            if event_id:
                decoded.append((raw, event, event_id))
            else:
                # The single path dead-letters it, as on_event would.
                singles.append(raw)
        links = [Link(get_current_span(extract_context(dict(raw.headers or {}))).get_span_context()) for raw in raws]
        with self._tracer.start_as_current_span(
            f"{consumer} process batch", kind=SpanKind.CONSUMER, links=links
        ) as span:
            span.set_attribute("messaging.batch.message_count", len(raws))
            try:
                if decoded:
                    await self._handle_batch(decoded, handler, consumer)
            except Exception as exc:
                span.record_exception(exc)
                log.warning(
                    "%s: %s failed on a batch of %d (%s); handling its messages one by one",
                    self.service,
                    consumer,
                    len(raws),
                    exc,
                )
                singles = raws
            else:
                for raw, _, _ in decoded:
                    await raw.ack()
        for raw in singles:
            await self._process(_Acks(raw), message_type, alone, consumer)

    async def _handle_batch(
        self, decoded: list[tuple[Msg, E, str]], handler: Callable[[list[E], U], Awaitable[None]], consumer: str
    ) -> None:
        async with self.uow() as uow:
            seen = await self.inbox.seen_many(uow.session, consumer, {event_id for _, _, event_id in decoded})
            fresh: dict[str, E] = {}
            for _, event, event_id in decoded:
                # A redelivery, or the same event twice in this batch: handled once.
                if event_id not in seen and event_id not in fresh:
                    fresh[event_id] = event
            if fresh:
                await handler(list(fresh.values()), uow)
                await self.inbox.record_many(uow.session, consumer, list(fresh))
                await uow.commit()

    async def _process(
        self,
        msg: "NatsMessage | _Acks",
        message_type: type[E],
        handler: Callable[[E, U], Awaitable[None]],
        consumer: str,
    ) -> None:
        raw = msg.raw_message
        headers = dict(raw.headers or {})
        attempt = raw.metadata.num_delivered or 1
        with self._tracer.start_as_current_span(
            f"{consumer} process", context=extract_context(headers), kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.destination.name", raw.subject)
            span.set_attribute("messaging.message.delivery_attempt", attempt)
            try:
                event = message_type.FromString(raw.data)
                event_id = meta_of(event).event_id or headers.get(MSG_ID, "")
                if not event_id:
                    raise PermanentError("message has no event id")
                async with self.uow() as uow:
                    if await self.inbox.seen(uow.session, consumer, event_id):
                        span.set_attribute("opendso.duplicate", True)
                    else:
                        uow.caused_by(meta_of(event))
                        await handler(event, uow)
                        await self.inbox.record(uow.session, consumer, event_id)
                        await uow.commit()
                await msg.ack()
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR))
                permanent = isinstance(exc, DecodeError | PermanentError)
                if permanent or attempt >= self.max_attempts:
                    log.exception("%s: %s failed on attempt %d; dead-lettering", self.service, consumer, attempt)
                    await self._dead_letter(raw, consumer, exc, attempt)
                    await msg.reject()
                else:
                    delay = self.retry_delay * 2 ** (attempt - 1)
                    log.warning(
                        "%s: %s failed on attempt %d (%s); retry in %.1fs", self.service, consumer, attempt, exc, delay
                    )
                    await msg.nack(delay=delay)

    async def _dead_letter(self, raw: Any, consumer: str, exc: BaseException, attempt: int) -> None:
        assert self._js is not None
        # Nats-* headers (message id, expected stream) belong to the original publish.
        headers = {k: v for k, v in (raw.headers or {}).items() if not k.startswith("Nats-")}
        original_id = (raw.headers or {}).get(MSG_ID, str(raw.metadata.sequence.stream))
        headers.update(
            {
                MSG_ID: f"dead:{consumer}:{original_id}",
                DL_SUBJECT: raw.subject,
                DL_CONSUMER: consumer,
                DL_ERROR: f"{type(exc).__name__}: {exc}"[:2000],
                DL_ATTEMPTS: str(attempt),
            }
        )
        await self._js.publish(f"{DEADLETTER_PREFIX}.{consumer}", raw.data, headers=headers)

    async def _check_database(self) -> str:
        async with self.sessions() as session:
            await session.execute(text("SELECT 1"))
            backlog = await self.outbox.backlog(session)
        return f"ok (outbox backlog {backlog})"

    async def _health(self, _request: Any) -> Message:
        reply = HEALTH_REPLY(service=self.service, version=self.version, status="ok")
        ts = Timestamp()
        ts.FromDatetime(self._started_at)
        reply.started_at.CopyFrom(ts)
        for name, check in self._health_checks.items():
            try:
                reply.checks[name] = await check()
            except Exception as exc:
                reply.checks[name] = f"failing: {type(exc).__name__}: {exc}"
                reply.status = "degraded"
        return reply
