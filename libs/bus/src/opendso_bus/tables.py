"""The outbox and inbox tables every service keeps in its own database."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "bus_outbox",
        metadata,
        # seq orders rows inside a service; event_id is what the server dedupes on.
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        Index("ix_bus_outbox_unpublished", "published_at", "seq"),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "bus_inbox",
        metadata,
        Column("consumer", String(120), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
