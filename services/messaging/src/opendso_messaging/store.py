"""The messaging service's tables: one row per message key, which is what
makes a message go out once, however often its command is delivered.

A message row is written when the command arrives (``queued``, already
rendered) and moves through its states as the dispatcher works on it:
``sending`` is recorded and committed *before* the provider is called, so a
crash during the call is found afterwards instead of silently sending again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    select,
    update,
)

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)

messages = Table(
    "msg_messages",
    metadata,
    Column("message_key", String(600), primary_key=True),
    Column("message_id", String(64), nullable=False, unique=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("task_id", String(64), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("provider", String(30), nullable=False),
    Column("provider_ref", String(500), nullable=False),
    # When the provider accepted it; null until then.
    Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
    Column("entity", String(50), nullable=False, server_default=""),
    Column("language", String(10), nullable=False, server_default=""),
    Column("html", Text, nullable=False, server_default=""),
    # queued -> sending -> sent -> delivered | bounced | read; failed and cancelled end it early.
    Column("state", String(20), nullable=False, server_default="sent"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    # The dispatcher's claim on the row while it sends (instance and batch), and when it took it.
    Column("claim", String(100), nullable=False, server_default=""),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
    # The trace of the command that asked for the message: the send continues it.
    Column("traceparent", String(100), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    Index("ix_msg_messages_state_next", "state", "next_attempt_at"),
)

# The states a message can be seen in; the last five end its sending.
STATES = ("queued", "sending", "sent", "delivered", "bounced", "read", "failed", "cancelled")


@dataclass(frozen=True)
class MessageRecord:
    message_key: str
    message_id: str
    customer_id: str
    task_id: str
    channel: str
    recipient: str
    subject: str
    text: str
    provider: str
    provider_ref: str
    sent_at: dt.datetime | None
    entity: str = ""
    language: str = ""
    html: str = ""
    state: str = "queued"
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    claim: str = ""
    claimed_at: dt.datetime | None = None
    last_error: str = ""
    traceparent: str = ""
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes for what was stored in UTC.
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _record(row: object) -> MessageRecord:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    for name in ("sent_at", "next_attempt_at", "claimed_at", "created_at", "updated_at"):
        values[name] = _aware(values[name])
    return MessageRecord(**values)


class MessageRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session

    async def already_sent(self, message_key: str) -> bool:
        """Whether a message with this key exists, in any state: its command was handled already."""
        found = await self._session.scalar(select(messages.c.message_id).where(messages.c.message_key == message_key))
        return found is not None

    async def get(self, message_key: str) -> MessageRecord | None:
        row = (await self._session.execute(select(messages).where(messages.c.message_key == message_key))).first()
        return None if row is None else _record(row)

    async def by_message_id(self, message_id: str) -> MessageRecord | None:
        row = (await self._session.execute(select(messages).where(messages.c.message_id == message_id))).first()
        return None if row is None else _record(row)

    async def add(self, record: MessageRecord) -> None:
        await self._session.execute(insert(messages).values(**record.__dict__))

    async def claim(self, claim: str, now: dt.datetime, limit: int) -> list[MessageRecord]:
        """Take up to ``limit`` queued messages whose time has come for this claim, and mark them ``sending``.

        The update only takes rows still queued, so two instances racing for the same rows never both get
        one: the second finds it sending and leaves it.
        """
        due = (
            select(messages.c.message_key)
            .where(messages.c.state == "queued", messages.c.next_attempt_at <= now)
            .order_by(messages.c.next_attempt_at, messages.c.message_key)
            .limit(limit)
        )
        keys = list((await self._session.execute(due)).scalars())
        if not keys:
            return []
        await self._session.execute(
            update(messages)
            .where(messages.c.message_key.in_(keys), messages.c.state == "queued")
            .values(
                state="sending",
                claim=claim,
                claimed_at=now,
                attempts=messages.c.attempts + 1,
                updated_at=now,
            )
        )
        rows = await self._session.execute(
            select(messages).where(messages.c.claim == claim, messages.c.state == "sending")
        )
        return [_record(r) for r in rows]

    async def abandoned(self, before: dt.datetime, limit: int) -> list[MessageRecord]:
        """Messages left ``sending`` since before ``before``: their sender stopped during the call."""
        rows = await self._session.execute(
            select(messages)
            .where(messages.c.state == "sending", messages.c.claimed_at < before)
            .order_by(messages.c.claimed_at)
            .limit(limit)
        )
        return [_record(r) for r in rows]

    async def set_state(self, message_key: str, state: str, *, expect: str | None = None, **values: object) -> bool:
        """Move a message to ``state`` (from ``expect`` only, when given); answers whether it moved."""
        condition = messages.c.message_key == message_key
        if expect is not None:
            condition = and_(condition, messages.c.state == expect)
        result = await self._session.execute(update(messages).where(condition).values(state=state, **values))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def counts_by_state(self) -> dict[str, int]:
        rows = await self._session.execute(select(messages.c.state, func.count()).group_by(messages.c.state))
        return {state: int(n) for state, n in rows}

    async def latest(self, limit: int, customer_id: str = "") -> list[MessageRecord]:
        # Rows from before messages had states carry only sent_at.
        newest = func.coalesce(messages.c.created_at, messages.c.sent_at).desc()
        q = select(messages).order_by(newest, messages.c.message_key).limit(limit)
        if customer_id:
            q = q.where(messages.c.customer_id == customer_id)
        return [_record(r) for r in await self._session.execute(q)]


class UnitOfWork(SqlUnitOfWork):
    messages: MessageRepository

    def _open(self) -> None:
        self.messages = MessageRepository(self)
