"""Bus handlers: a SendMessage command is rendered from its template and
delivered once; a MessageSent (or MessageFailed) event says what happened."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Protocol

from google.protobuf.timestamp_pb2 import Timestamp
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_from_proto, money_from_proto
from opendso_telemetry import trace_id_hex

from opendso_messaging.domain.builtin_templates import find_template
from opendso_messaging.domain.templates import ItemLine, MessageContext, TemplateError, render
from opendso_messaging.local_outbox import OutgoingEmail
from opendso_messaging.store import MessageRecord, UnitOfWork

_MESSAGE_NAMESPACE = uuid.UUID("2b7c1d9e-41a0-4c55-8d0e-7f3e9a6b5c11")


class EmailProvider(Protocol):
    name: str

    def deliver(self, email: OutgoingEmail) -> object: ...


@dataclass(frozen=True)
class Deps:
    email: EmailProvider
    sender: str
    company_name: str
    collector_name: str
    collector_email: str
    portal_base_url: str


def message_id_for(message_key: str) -> str:
    # Deterministic: a redelivered command after a crash between delivery and
    # commit produces the same id, which the provider refuses to send twice.
    return str(uuid.uuid5(_MESSAGE_NAMESPACE, message_key))


async def send_message(command: msg.SendMessage, uow: UnitOfWork, deps: Deps) -> None:
    if await uow.messages.already_sent(command.message_key):
        return
    failure = _refusal(command)
    if failure:
        await uow.publish(
            msg.MessageFailed(
                meta=uow.meta(entity=command.entity),
                message_key=command.message_key,
                customer_id=command.customer_id,
                task_id=command.task_id,
                channel=command.channel,
                reason=failure,
            )
        )
        return
    try:
        template = find_template(command.template_code, command.language or "en")
    except KeyError as exc:
        await uow.publish(
            msg.MessageFailed(
                meta=uow.meta(entity=command.entity),
                message_key=command.message_key,
                customer_id=command.customer_id,
                task_id=command.task_id,
                channel=command.channel,
                reason=f"unknown template: {exc}",
            )
        )
        return
    today = date_from_proto(command.today)
    ctx = MessageContext(
        customer_name=command.customer_name,
        account_number=command.account_number,
        contact_name=command.contact_name or command.customer_name,
        language=command.language or "en",
        company_name=deps.company_name,
        collector_name=deps.collector_name,
        collector_email=deps.collector_email,
        portal_link=f"{deps.portal_base_url}/{command.customer_id}",
        today=today,
        items=tuple(
            ItemLine(
                number=i.number,
                issue_date=date_from_proto(i.issue_date),
                due_date=date_from_proto(i.due_date),
                open_amount=money_from_proto(i.open_amount),
                days_overdue=i.days_overdue,
            )
            for i in command.items
        ),
        late_penalty=tuple(money_from_proto(m) for m in command.late_penalty),
        recovery_cost=tuple(money_from_proto(m) for m in command.recovery_cost),
    )
    try:
        rendered = render(template, ctx)
    except TemplateError as exc:
        raise InvalidRequest(str(exc)) from exc
    message_id = message_id_for(command.message_key)
    ref = deps.email.deliver(
        OutgoingEmail(
            message_id=message_id,
            sender=deps.sender,
            to=(command.recipient,),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            headers=(("X-OpenDSO-Trace-Id", trace_id_hex()), ("X-OpenDSO-Message-Key", command.message_key)),
        )
    )
    now = dt.datetime.now(dt.UTC)
    await uow.messages.add(
        MessageRecord(
            message_key=command.message_key,
            message_id=message_id,
            customer_id=command.customer_id,
            task_id=command.task_id,
            channel=command.channel,
            recipient=command.recipient,
            subject=rendered.subject,
            text=rendered.text,
            provider=deps.email.name,
            provider_ref=str(ref),
            sent_at=now,
        )
    )
    await uow.publish(
        msg.MessageSent(
            meta=uow.meta(entity=command.entity),
            message_id=message_id,
            message_key=command.message_key,
            customer_id=command.customer_id,
            task_id=command.task_id,
            channel=command.channel,
            recipient=command.recipient,
            subject=rendered.subject,
            provider=deps.email.name,
            provider_ref=str(ref),
        )
    )


def _refusal(command: msg.SendMessage) -> str:
    if command.channel != "email":
        return f"channel {command.channel!r} has no provider yet"
    if not command.recipient or "@" not in command.recipient:
        return f"no valid e-mail address for {command.customer_id} (got {command.recipient!r})"
    if not command.message_key:
        return "command has no message_key"
    return ""


async def list_outbox(query: msg.ListOutbox, uow: UnitOfWork) -> msg.OutboxListing:
    if query.limit < 0 or query.limit > 500:
        raise InvalidRequest(f"limit must be between 1 and 500, got {query.limit}")
    listing = msg.OutboxListing()
    for record in await uow.messages.latest(query.limit or 50, query.customer_id):
        ts = Timestamp()
        ts.FromDatetime(record.sent_at)
        listing.entries.append(
            msg.OutboxEntry(
                message_id=record.message_id,
                message_key=record.message_key,
                customer_id=record.customer_id,
                recipient=record.recipient,
                subject=record.subject,
                sent_at=ts,
                text=record.text,
                provider_ref=record.provider_ref,
            )
        )
    return listing
