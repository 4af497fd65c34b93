"""The messaging service's tables: one row per message key, which is what
makes a message go out once, however often its command is delivered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, insert, select

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
    Column("sent_at", DateTime(timezone=True), nullable=False, index=True),
)


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
    sent_at: dt.datetime


class MessageRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session

    async def already_sent(self, message_key: str) -> bool:
        found = await self._session.scalar(select(messages.c.message_id).where(messages.c.message_key == message_key))
        return found is not None

    async def add(self, record: MessageRecord) -> None:
        await self._session.execute(insert(messages).values(**record.__dict__))

    async def latest(self, limit: int, customer_id: str = "") -> list[MessageRecord]:
        q = select(messages).order_by(messages.c.sent_at.desc()).limit(limit)
        if customer_id:
            q = q.where(messages.c.customer_id == customer_id)
        return [MessageRecord(**r._mapping) for r in await self._session.execute(q)]


class UnitOfWork(SqlUnitOfWork):
    messages: MessageRepository

    def _open(self) -> None:
        self.messages = MessageRepository(self)
