"""Rebuild: replay events into fresh read models (the reports', the aging's and the timeline's) through the
handlers the service subscribes with, so a rebuilt database holds what the running service computed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any

from google.protobuf.message import Message
from nats.js.api import DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from opendso_bus.outbox import Outbox
from opendso_contracts.registry import STREAMS, stream_for, subject_for, type_for

from opendso_reporting import handlers
from opendso_reporting.app import ITEM_HANDLERS, Handler, report_handlers_by_event
from opendso_reporting.domain.timeline import TRANSLATORS
from opendso_reporting.settings import Settings
from opendso_reporting.store import OUTBOX, UnitOfWork

BATCH = 200
log = logging.getLogger(__name__)


def replayed_handlers(settings: Settings) -> dict[type[Message], list[Handler]]:
    """Every handler of the service's read models, by event type, in the order they are applied."""
    found: dict[type[Message], list[Handler]] = {}
    for table in (ITEM_HANDLERS, report_handlers_by_event(settings)):
        for event_type, handler in table.items():
            found.setdefault(event_type, []).append(handler)
    for event_type, translate in TRANSLATORS.items():
        found.setdefault(event_type, []).append(handlers.record_timeline(translate))
    return found


def uow_factory(sessions: Any) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(sessions, Outbox(OUTBOX), "reporting")


async def replay(
    events: Iterable[Message] | AsyncIterable[Message],
    new_uow: Callable[[], UnitOfWork],
    settings: Settings,
    refused: list[tuple[str, str]] | None = None,
) -> int:
    """Apply the events in order, each once (by event id, as the inbox would), committing every BATCH events;
    answer how many were applied. Events no read model needs are skipped.

    An event a handler refuses (malformed: an amount without its currency, say) is left out, as the running
    service dead-letters it after its retries, so the rebuilt figures are the live ones; its id and the reason
    go into ``refused`` and the log, and the rebuild goes on."""
    by_type = replayed_handlers(settings)
    seen: set[str] = set()
    applied = 0
    pending: list[Message] = []

    async def flush() -> None:
        nonlocal applied
        if not pending:
            return
        async with new_uow() as uow:
            for event in pending:
                try:
                    # A savepoint an event: a refused one takes back only what it wrote.
                    async with uow.session.begin_nested():
                        for handler in by_type[type(event)]:
                            await handler(event, uow)
                except Exception as exc:
                    event_id: str = event.meta.event_id  # type: ignore[attr-defined]
                    log.warning(
                        "rebuild: %s %s left out, as the service dead-letters it: %s",
                        type(event).__name__,
                        event_id,
                        exc,
                    )
                    applied -= 1
                    if refused is not None:
                        refused.append((event_id, f"{type(event).__name__}: {exc}"))
            await uow.commit()
        pending.clear()

    async def take(event: Message) -> None:
        nonlocal applied
        handler_known = type(event) in by_type
        event_id: str = event.meta.event_id  # type: ignore[attr-defined]
        if not handler_known or event_id in seen:
            return
        seen.add(event_id)
        pending.append(event)
        applied += 1
        if len(pending) >= BATCH:
            await flush()

    if isinstance(events, AsyncIterable):
        async for event in events:
            await take(event)
    else:
        for event in events:
            await take(event)
    await flush()
    return applied


async def stream_events(
    js: JetStreamContext, wanted: set[type[Message]], idle_seconds: float = 5.0
) -> AsyncIterator[Message]:
    """Every retained message whose type a read model needs, stream by stream in stream order, read through an
    ordered (ephemeral) consumer: nothing is acknowledged or left behind."""
    streams = sorted({stream_for(subject_for(t)).name for t in wanted})
    for stream in streams:
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            continue
        last = info.state.last_seq
        if not info.state.messages:
            continue
        sub = await js.subscribe(
            f"{stream_subject(stream)}",
            stream=stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        try:
            while True:
                raw = await sub.next_msg(timeout=idle_seconds)
                try:
                    message_type = type_for(raw.subject)
                except KeyError:
                    message_type = None
                if message_type in wanted:
                    assert message_type is not None
                    yield message_type.FromString(raw.data)
                if raw.metadata.sequence.stream >= last:
                    break
        finally:
            await sub.unsubscribe()


def stream_subject(stream: str) -> str:
    context = next(s.context for s in STREAMS if s.name == stream)
    return f"opendso.{context}.v1.>"
