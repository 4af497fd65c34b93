"""The messaging service's tables: one row per message key, which is what
makes a message go out once, however often its command is delivered.

A message row is written when the command arrives (``queued``, already
rendered) and moves through its states as the dispatcher works on it:
``sending`` is recorded and committed *before* the provider is called, so a
crash during the call is found afterwards instead of silently sending again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from opendso_messaging.domain.template_rules import effective_template
from opendso_messaging.domain.templates import Template

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
    # queued -> sending -> sent -> delivered | bounced | read; failed, cancelled and unknown end it early.
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
    # Letters: where they go (the addressee, the printed lines as a JSON list, the ISO country), whether as
    # registered mail, and the letter as the handler laid it out (letter_layout, JSON) for the dispatcher.
    Column("postal_name", String(300), nullable=False, server_default=""),
    Column("postal_lines", Text, nullable=False, server_default="[]"),
    Column("postal_country", String(2), nullable=False, server_default=""),
    Column("registered", Boolean, nullable=False, server_default=false()),
    Column("letter_layout", Text, nullable=False, server_default=""),
    # The payment QR code the e-mail or letter carries (domain/payment_qr.py PaymentQrKind and its payload);
    # empty: none.
    Column("payment_qr_kind", String(20), nullable=False, server_default=""),
    Column("payment_qr_payload", Text, nullable=False, server_default=""),
    # E-mails: the files the template asked for (JSON: the statement's layout, the items whose invoice PDFs
    # go with it), rendered and read when the dispatcher builds the e-mail; "" for none.
    Column("attachments", Text, nullable=False, server_default=""),
    # What the e-mail carried, or what it was asked to carry and went without (an invoice PDF over the cap).
    Column("attachment_note", Text, nullable=False, server_default=""),
    # The file names it carried (JSON list), for the outbox listing.
    Column("attached_files", Text, nullable=False, server_default="[]"),
    Index("ix_msg_messages_state_next", "state", "next_attempt_at"),
)

# Keys per IN list: well under SQLite's and asyncpg's limits on bound parameters.
_KEYS_PER_QUERY = 500

# The states a message can be seen in; the last six end its sending. "unknown": the provider may have accepted it
# without saying so (dispatch.py): not sent again, for a collector to check.
STATES = ("queued", "sending", "sent", "delivered", "bounced", "read", "failed", "cancelled", "unknown")
# The states of a letter that was stored for the print-and-post provider: the debtor may have it.
LETTER_OUT_STATES = ("sent", "delivered", "bounced", "read")


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
    postal_name: str = ""
    postal_lines: str = "[]"
    postal_country: str = ""
    registered: bool = False
    letter_layout: str = ""
    payment_qr_kind: str = ""
    payment_qr_payload: str = ""
    attachments: str = ""
    attachment_note: str = ""
    attached_files: str = "[]"


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

    async def get(self, message_key: str) -> MessageRecord | None:
        row = (await self._session.execute(select(messages).where(messages.c.message_key == message_key))).first()
        return None if row is None else _record(row)

    async def by_message_id(self, message_id: str) -> MessageRecord | None:
        row = (await self._session.execute(select(messages).where(messages.c.message_id == message_id))).first()
        return None if row is None else _record(row)

    async def existing_keys(self, message_keys: Collection[str]) -> set[str]:
        """Those of ``message_keys`` that have a message, in any state: their commands were handled already."""
        found: set[str] = set()
        keys = list(message_keys)
        for first in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = keys[first : first + _KEYS_PER_QUERY]
            rows = await self._session.execute(select(messages.c.message_key).where(messages.c.message_key.in_(chunk)))
            found.update(rows.scalars())
        return found

    async def add(self, record: MessageRecord) -> None:
        await self.add_many([record])

    async def add_many(self, records: Sequence[MessageRecord]) -> None:
        """Insert the messages with one statement (the driver sends their rows in a few round trips)."""
        if records:
            await self._session.execute(insert(messages), [r.__dict__ for r in records])

    async def claim(
        self, claim: str, now: dt.datetime, limit: int, skip_channels: Collection[str] = ()
    ) -> list[MessageRecord]:
        """Take up to ``limit`` queued messages whose time has come for this claim, and mark them ``sending``.

        One statement: the rows are picked, marked and handed back together. On PostgreSQL the pick skips
        rows another instance is claiming at that moment (``SKIP LOCKED``), so racing instances take
        different messages instead of queueing behind each other for the same ones; the update still only
        takes rows that are queued, so no message is ever held twice. SQLite has one writer at a time.
        Messages of ``skip_channels`` (paused channels) stay queued.
        """
        due = select(messages.c.message_key).where(messages.c.state == "queued", messages.c.next_attempt_at <= now)
        if skip_channels:
            due = due.where(messages.c.channel.not_in(list(skip_channels)))
        due = (
            due.order_by(messages.c.next_attempt_at, messages.c.message_key)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self._session.execute(
            update(messages)
            .where(messages.c.message_key.in_(due.scalar_subquery()), messages.c.state == "queued")
            .values(
                state="sending",
                claim=claim,
                claimed_at=now,
                attempts=messages.c.attempts + 1,
                updated_at=now,
            )
            .returning(*messages.c)
        )
        records = [_record(r) for r in rows]
        # RETURNING gives no order: send the longest waiting first, as the pick chose them.
        records.sort(key=lambda r: (r.next_attempt_at or now, r.message_key))
        return records

    async def requeue(
        self, claim: str, message_keys: Collection[str], next_attempt_at: dt.datetime, reason: str, now: dt.datetime
    ) -> None:
        """Put back messages of this claim that were never handed over (their channel is paused): queued
        again for ``next_attempt_at``, and the attempt the claim counted taken back."""
        keys = list(message_keys)
        for first in range(0, len(keys), _KEYS_PER_QUERY):
            await self._session.execute(
                update(messages)
                .where(
                    messages.c.message_key.in_(keys[first : first + _KEYS_PER_QUERY]),
                    messages.c.claim == claim,
                    messages.c.state == "sending",
                )
                .values(
                    state="queued",
                    attempts=messages.c.attempts - 1,
                    next_attempt_at=next_attempt_at,
                    last_error=reason,
                    updated_at=now,
                )
            )

    async def mark_sent(
        self, claim: str, deliveries: list[tuple[str, str, str, dt.datetime]], now: dt.datetime
    ) -> None:
        """Record (key, provider, provider ref, accepted at) of messages this claim sent, in one statement.

        Only rows still ``sending`` under this claim move: within its lease nobody else touches them.
        """
        if deliveries:
            await self._session.execute(
                update(messages)
                .where(
                    messages.c.message_key == bindparam("b_key"),
                    messages.c.claim == claim,
                    messages.c.state == "sending",
                )
                .values(
                    state="sent",
                    provider=bindparam("b_provider"),
                    provider_ref=bindparam("b_ref"),
                    sent_at=bindparam("b_at"),
                    updated_at=now,
                    last_error="",
                ),
                [{"b_key": k, "b_provider": p, "b_ref": r, "b_at": at} for k, p, r, at in deliveries],
            )

    async def note_attachments(self, notes: Sequence[tuple[str, str, Sequence[str]]]) -> None:
        """Record (key, note, file names) of e-mails handed over: what each carried, or went without."""
        if notes:
            await self._session.execute(
                update(messages)
                .where(messages.c.message_key == bindparam("b_key"))
                .values(attachment_note=bindparam("b_note"), attached_files=bindparam("b_files")),
                [
                    {"b_key": key, "b_note": note, "b_files": json.dumps(list(files), ensure_ascii=False)}
                    for key, note, files in notes
                ],
            )

    async def abandoned(self, before: dt.datetime, limit: int) -> list[MessageRecord]:
        """Messages left ``sending`` since before ``before``: their sender stopped during the call."""
        rows = await self._session.execute(
            select(messages)
            .where(messages.c.state == "sending", messages.c.claimed_at < before)
            .order_by(messages.c.claimed_at)
            .limit(limit)
        )
        return [_record(r) for r in rows]

    async def queued_since_before(self, before: dt.datetime, limit: int) -> list[MessageRecord]:
        """Messages still queued that were asked for before ``before``, oldest first."""
        rows = await self._session.execute(
            select(messages)
            .where(messages.c.state == "queued", messages.c.created_at < before)
            .order_by(messages.c.created_at)
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

    async def letters_of(self, customer_id: str, limit: int) -> list[MessageRecord]:
        """The customer's letters that went out (stored for the print-and-post provider), newest first."""
        rows = await self._session.execute(
            select(messages)
            .where(
                messages.c.customer_id == customer_id,
                messages.c.channel == "letter",
                messages.c.state.in_(LETTER_OUT_STATES),
            )
            .order_by(messages.c.sent_at.desc(), messages.c.message_key)
            .limit(limit)
        )
        return [_record(r) for r in rows]

    async def letter_of(self, customer_id: str, message_id: str) -> MessageRecord | None:
        """One letter that went out, only if it is ``customer_id``'s: another customer's is as good as missing."""
        row = (
            await self._session.execute(
                select(messages).where(
                    messages.c.message_id == message_id,
                    messages.c.customer_id == customer_id,
                    messages.c.channel == "letter",
                    messages.c.state.in_(LETTER_OUT_STATES),
                )
            )
        ).first()
        return None if row is None else _record(row)

    async def latest(self, limit: int, customer_id: str = "") -> list[MessageRecord]:
        # Rows from before messages had states carry only sent_at.
        newest = func.coalesce(messages.c.created_at, messages.c.sent_at).desc()
        q = select(messages).order_by(newest, messages.c.message_key).limit(limit)
        if customer_id:
            q = q.where(messages.c.customer_id == customer_id)
        return [_record(r) for r in await self._session.execute(q)]


# Delivery reports from the providers' webhooks, one row per report: the provider's id of the report is the
# key, so a report delivered twice (a webhook retried after a lost answer) is recorded, and acted on, once.
delivery_reports = Table(
    "msg_delivery_reports",
    metadata,
    Column("report_id", String(300), primary_key=True),
    Column("message_key", String(600), nullable=False, index=True),
    Column("provider", String(30), nullable=False),
    # The report's reading (domain/delivery_status.py DeliveryState), and whether it changed the message.
    Column("delivery_state", String(20), nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
# SES reports name a message by the provider's MessageId only (when its tag is missing).
Index("ix_msg_messages_provider_ref", messages.c.provider_ref)


@dataclass(frozen=True)
class DeliveryReport:
    report_id: str
    message_key: str
    provider: str
    delivery_state: str
    applied: bool
    detail: str
    occurred_at: dt.datetime
    received_at: dt.datetime


class DeliveryReportRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session

    async def recorded(self, report_id: str) -> bool:
        found = await self._session.scalar(
            select(delivery_reports.c.report_id).where(delivery_reports.c.report_id == report_id)
        )
        return found is not None

    async def add(self, report: DeliveryReport) -> None:
        await self._session.execute(insert(delivery_reports).values(**report.__dict__))

    async def applied_states(self, message_key: str) -> list[str]:
        """The delivery states of the reports that changed this message, in no particular order."""
        rows = await self._session.execute(
            select(delivery_reports.c.delivery_state).where(
                delivery_reports.c.message_key == message_key, delivery_reports.c.applied.is_(True)
            )
        )
        return list(rows.scalars())

    async def message_for_update(self, message_key: str) -> MessageRecord | None:
        """The message, locked until the transaction ends (PostgreSQL): two reports on one message, handled at
        once by two instances, are then applied one after the other and the higher-ranked one wins. SQLite
        has one writer per file already."""
        row = (
            await self._session.execute(select(messages).where(messages.c.message_key == message_key).with_for_update())
        ).first()
        return None if row is None else _record(row)

    async def key_by_provider_ref(self, provider_ref: str) -> str | None:
        found = await self._session.scalar(
            select(messages.c.message_key).where(messages.c.provider_ref == provider_ref).limit(1)
        )
        return None if found is None else str(found)


# Customer documents the ERP dropped (invoice PDFs), kept in the letters' store under their id; the rows say
# whose they are and which items they are about. Every lookup names the customer: another customer's
# document is as good as missing.
documents = Table(
    "msg_documents",
    metadata,
    Column("document_id", String(64), primary_key=True),
    Column("customer_id", String(200), nullable=False, index=True),
    Column("entity", String(50), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("stored_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
document_items = Table(
    "msg_document_items",
    metadata,
    Column("document_id", String(64), primary_key=True),
    Column("item_id", String(200), primary_key=True),
    Column("customer_id", String(200), nullable=False),
    Index("ix_msg_document_items_customer_item", "customer_id", "item_id"),
)


@dataclass(frozen=True)
class DocumentRecord:
    document_id: str
    customer_id: str
    entity: str
    kind: str
    file_name: str
    media_type: str
    size_bytes: int
    sha256: str
    stored_by: str
    created_at: dt.datetime
    item_ids: tuple[str, ...] = ()


class DocumentRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session

    async def add(self, record: DocumentRecord) -> bool:
        """Keep the document's row and its items; False (nothing written) when its id is recorded already."""
        connection = await self._session.connection()
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        values = {k: v for k, v in record.__dict__.items() if k != "item_ids"}
        result = await self._session.execute(dialect.insert(documents).values(**values).on_conflict_do_nothing())
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        await self._session.execute(
            insert(document_items),
            [
                {"document_id": record.document_id, "item_id": item, "customer_id": record.customer_id}
                for item in record.item_ids
            ],
        )
        return True

    async def _with_items(self, rows: Sequence[object]) -> list[DocumentRecord]:
        records = [_document(r) for r in rows]
        ids = [r.document_id for r in records]
        items: dict[str, list[str]] = {}
        for first in range(0, len(ids), _KEYS_PER_QUERY):
            linked = await self._session.execute(
                select(document_items.c.document_id, document_items.c.item_id)
                .where(document_items.c.document_id.in_(ids[first : first + _KEYS_PER_QUERY]))
                .order_by(document_items.c.item_id)
            )
            for document_id, item_id in linked:
                items.setdefault(document_id, []).append(item_id)
        return [replace(r, item_ids=tuple(items.get(r.document_id, ()))) for r in records]

    async def get(self, customer_id: str, document_id: str) -> DocumentRecord | None:
        """One document, only if it is ``customer_id``'s."""
        rows = (
            await self._session.execute(
                select(documents).where(documents.c.document_id == document_id, documents.c.customer_id == customer_id)
            )
        ).all()
        found = await self._with_items(rows)
        return found[0] if found else None

    async def of_customer(self, customer_id: str, limit: int) -> list[DocumentRecord]:
        """The customer's documents, newest first."""
        rows = (
            await self._session.execute(
                select(documents)
                .where(documents.c.customer_id == customer_id)
                .order_by(documents.c.created_at.desc(), documents.c.document_id)
                .limit(limit)
            )
        ).all()
        return await self._with_items(rows)

    async def invoices_for(self, customer_id: str, item_ids: Collection[str]) -> dict[str, DocumentRecord]:
        """The newest invoice of each of ``item_ids`` that ``customer_id`` has, by item id."""
        found: dict[str, DocumentRecord] = {}
        keys = list(item_ids)
        for first in range(0, len(keys), _KEYS_PER_QUERY):
            rows = await self._session.execute(
                select(documents, document_items.c.item_id.label("linked_item"))
                .join(document_items, document_items.c.document_id == documents.c.document_id)
                .where(
                    document_items.c.customer_id == customer_id,
                    documents.c.customer_id == customer_id,
                    documents.c.kind == "invoice",
                    document_items.c.item_id.in_(keys[first : first + _KEYS_PER_QUERY]),
                )
                .order_by(documents.c.created_at, documents.c.document_id)
            )
            for row in rows:
                values = dict(row._mapping)
                item = values.pop("linked_item")
                # Ordered oldest first: a newer upload for the item (a corrected invoice) wins.
                found[item] = _document(values)
        return found


def _document(row: object) -> DocumentRecord:
    values = dict(row) if isinstance(row, dict) else dict(row._mapping)  # type: ignore[attr-defined]
    values["created_at"] = _aware(values["created_at"])
    return DocumentRecord(**values)


class UnitOfWork(SqlUnitOfWork):
    messages: MessageRepository
    deliveries: DeliveryReportRepository
    templates: TemplateRepository
    documents: DocumentRepository

    def _open(self) -> None:
        self.messages = MessageRepository(self)
        self.deliveries = DeliveryReportRepository(self)
        self.templates = TemplateRepository(self)
        self.documents = DocumentRepository(self)


# Message templates as credit managers edited them, one row per code and language. The built-in ones are
# seeded when absent, so an edit is never overwritten; a deleted row is kept (flagged) so versions go on.
templates = Table(
    "msg_templates",
    metadata,
    Column("code", String(100), primary_key=True),
    Column("language", String(20), primary_key=True),
    Column("channel", String(30), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("body", Text, nullable=False),
    # Incremented by every save and deletion: a save names the version it edits.
    Column("version", Integer, nullable=False),
    # Shipped with the product: deleting it resets it to the shipped text.
    Column("builtin", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("attach_statement", Boolean, nullable=False, server_default=false()),
    Column("attach_invoices", Boolean, nullable=False, server_default=false()),
)


@dataclass(frozen=True)
class StoredTemplate:
    code: str
    language: str
    channel: str
    subject: str
    body: str
    version: int
    builtin: bool
    deleted: bool
    updated_by: str
    updated_at: dt.datetime
    attach_statement: bool = False
    attach_invoices: bool = False

    def template(self) -> Template:
        return Template(
            code=self.code,
            channel=self.channel,
            language=self.language,
            subject=self.subject,
            body=self.body,
            attach_statement=self.attach_statement,
            attach_invoices=self.attach_invoices,
        )


def _stored_template(row: object) -> StoredTemplate:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    return StoredTemplate(**{**values, "updated_at": _aware(values["updated_at"])})


class TemplateRepository:
    """Stored templates. Writes never overwrite blindly: seeding skips an existing row and an update applies
    only to the version it names (optimistic concurrency); both say whether they applied."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._session = uow.session

    async def all(
        self, *, code: str = "", channel: str = "", language: str = "", include_deleted: bool = False
    ) -> list[StoredTemplate]:
        query = select(templates).order_by(templates.c.code, templates.c.language)
        if code:
            query = query.where(templates.c.code == code)
        if channel:
            query = query.where(templates.c.channel == channel)
        if language:
            query = query.where(templates.c.language == language)
        if not include_deleted:
            query = query.where(templates.c.deleted.is_(False))
        return [_stored_template(r) for r in await self._session.execute(query)]

    async def stored_for(self, codes: Collection[str]) -> dict[str, list[Template]]:
        """The stored, not deleted, templates of each of ``codes``, by code (absent: nothing stored)."""
        by_code: dict[str, list[Template]] = {}
        if codes:
            query = select(templates).where(templates.c.code.in_(list(codes)), templates.c.deleted.is_(False))
            for row in await self._session.execute(query):
                stored = _stored_template(row)
                by_code.setdefault(stored.code, []).append(stored.template())
        return by_code

    async def effective(self, code: str, language: str) -> Template:
        """The template a message with ``code`` in ``language`` uses (``template_rules.effective_template``).

        Raises ``KeyError`` naming the code when neither a stored nor a built-in template has it.
        """
        stored = [s.template() for s in await self.all(code=code)]
        return effective_template(stored, code, language)

    async def get(self, code: str, language: str) -> StoredTemplate | None:
        """The row of this code and language, deleted or not."""
        row = (
            await self._session.execute(
                select(templates).where(templates.c.code == code, templates.c.language == language)
            )
        ).first()
        return None if row is None else _stored_template(row)

    async def insert(self, record: StoredTemplate) -> bool:
        """Store a new code and language; False (nothing written) when a row exists, even concurrently."""
        return bool(await self.seed([record]))

    async def seed(self, records: list[StoredTemplate]) -> list[tuple[str, str]]:
        """Store the rows that do not exist, deleted or not; answers those written. Never overwrites an edit."""
        connection = await self._session.connection()
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        written = []
        for record in records:
            # ON CONFLICT DO NOTHING: two instances seeding at once neither fail nor overwrite each other.
            result = await self._session.execute(
                dialect.insert(templates).values(**record.__dict__).on_conflict_do_nothing()
            )
            if result.rowcount:  # type: ignore[attr-defined]
                written.append((record.code, record.language))
        return written

    async def update(self, record: StoredTemplate, expected_version: int) -> bool:
        """Replace the row if it is still at ``expected_version``; False when someone saved in between."""
        values = {k: v for k, v in record.__dict__.items() if k not in ("code", "language")}
        result = await self._session.execute(
            update(templates)
            .where(
                templates.c.code == record.code,
                templates.c.language == record.language,
                templates.c.version == expected_version,
            )
            .values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
