"""The unit of work handlers receive: one database transaction, and an outbox
that writes messages into that same transaction."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from google.protobuf.message import Message
from opendso.common.v1.common_pb2 import EventMeta
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opendso_bus.envelope import current_trace, new_meta
from opendso_bus.outbox import Outbox


class SqlUnitOfWork:
    """Base unit of work. Services subclass it to add their repositories in ``_open``."""

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        source: str,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._source = source
        self._on_commit = on_commit
        self._cause: EventMeta | None = None
        self._correlation_id = ""
        self._published = False
        self._trace: dict[str, str] | None = None

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._open()
        return self

    def _open(self) -> None:
        """Hook for subclasses: build repositories over ``self.session``."""

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        if self._published:
            self._on_commit()
            self._published = False

    async def rollback(self) -> None:
        await self.session.rollback()

    def caused_by(self, meta: EventMeta | None = None, *, correlation_id: str = "") -> None:
        """Messages published from now on name ``meta`` as their cause and share its correlation id."""
        self._cause = meta
        self._correlation_id = correlation_id or (meta.correlation_id if meta else "")

    def meta(self, entity: str = "", **kwargs: Any) -> EventMeta:
        """A new envelope for a message this unit of work is about to publish."""
        if self._trace is None:
            # One trace context per unit of work: reading it per event costs
            # more than the rest of the envelope on a bulk import.
            self._trace = current_trace()
        return new_meta(
            self._source,
            entity=entity,
            correlation_id=self._correlation_id,
            causation_id=self._cause.event_id if self._cause else "",
            trace=self._trace,
            **kwargs,
        )

    async def publish(self, message: Message) -> None:
        """Record ``message`` in the outbox, inside this transaction."""
        await self.publish_many([message])

    async def publish_many(self, messages: list[Message]) -> None:
        """Record several messages in the outbox with one statement, inside this transaction."""
        if messages:
            await self._outbox.add_many(self.session, messages)
            self._published = True
