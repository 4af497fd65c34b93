"""Bus handlers: a SendMessage command is rendered from its template and queued
once per message key; the dispatcher (dispatch.py) hands it to its provider and
a MessageSent (or MessageFailed) event says what happened."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from google.protobuf.timestamp_pb2 import Timestamp
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_bus import InvalidRequest
from opendso_contracts.convert import date_from_proto, money_from_proto
from opendso_contracts.portal_links import DEFAULT_LIFETIME, PortalLinks, debtor_link
from opendso_telemetry import inject_headers

from opendso_messaging.domain.letter_layout import LetterLayout, letter_layout
from opendso_messaging.domain.message_payment_qr import CreditorAccount, payment_qr_for
from opendso_messaging.domain.statement import statement_for
from opendso_messaging.domain.template_rules import effective_template
from opendso_messaging.domain.templates import ItemLine, MessageContext, Template, TemplateError, render
from opendso_messaging.store import MessageRecord, UnitOfWork

_MESSAGE_NAMESPACE = uuid.UUID("2b7c1d9e-41a0-4c55-8d0e-7f3e9a6b5c11")
TEXT_CHANNELS = frozenset({"sms", "whatsapp", "voice"})
# Printed, stored for a print-and-post provider (providers/letters.py); needs SendMessage.postal_address.
LETTER = "letter"
CHANNELS = frozenset({"email", LETTER}) | TEXT_CHANNELS
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@dataclass(frozen=True)
class Deps:
    sender: str
    company_name: str
    collector_name: str
    collector_email: str
    portal_base_url: str
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    # Entity code -> the account its debtors pay into: e-mails and letters then carry a payment QR code.
    bank_accounts: Mapping[str, CreditorAccount] = field(default_factory=dict)
    # Signs #PortalLink so the gateway's portal opens it (the same secret on both sides); None: an unsigned link
    # to the customer, which the portal refuses (tests that do not look at the link).
    portal_links: PortalLinks | None = None
    portal_link_lifetime: dt.timedelta = DEFAULT_LIFETIME


def message_id_for(message_key: str) -> str:
    # Deterministic: a redelivered command after a crash between delivery and
    # commit produces the same id, which the provider refuses to send twice.
    return str(uuid.uuid5(_MESSAGE_NAMESPACE, message_key))


async def send_message(command: msg.SendMessage, uow: UnitOfWork, deps: Deps) -> None:
    """Render the message and queue it, once per message key; the dispatcher hands it to its provider.

    A message that cannot be sent as asked (no address, unknown template) is recorded as failed and
    ``MessageFailed`` tells the collection engine, so nothing waits for it in silence.
    """
    await send_messages([command], uow, deps)


async def send_messages(commands: Sequence[msg.SendMessage], uow: UnitOfWork, deps: Deps) -> None:
    """:func:`send_message` for a batch of commands in one transaction, with a few statements for all of them.

    A key already recorded, or seen earlier in the batch, is skipped: the first command of a key wins, as
    it would one command at a time.
    """
    recorded = await uow.messages.existing_keys({c.message_key for c in commands})
    fresh: list[msg.SendMessage] = []
    for command in commands:
        if command.message_key not in recorded:
            recorded.add(command.message_key)
            fresh.append(command)
    if not fresh:
        return
    refusals = [_refusal(c) for c in fresh]
    codes = {c.template_code for c, refusal in zip(fresh, refusals, strict=True) if not refusal}
    stored = await uow.templates.stored_for(codes)
    chosen: dict[tuple[str, str], Template | str] = {}
    now = deps.now()
    # The trace of the handling, for commands that carry none of their own.
    current = inject_headers({}).get("traceparent", "")
    records: list[MessageRecord] = []
    failures: list[msg.MessageFailed] = []
    for command, refusal in zip(fresh, refusals, strict=True):
        record = _queued(command, deps, now, refusal, chosen, stored, current)
        records.append(record)
        if record.state == "failed":
            if command.HasField("meta"):
                uow.caused_by(command.meta)
            failures.append(
                msg.MessageFailed(
                    meta=uow.meta(entity=command.entity),
                    message_key=command.message_key,
                    customer_id=command.customer_id,
                    task_id=command.task_id,
                    channel=command.channel,
                    reason=record.last_error,
                    state="failed",
                )
            )
    await uow.messages.add_many(records)
    await uow.publish_many(list(failures))


def _queued(
    command: msg.SendMessage,
    deps: Deps,
    now: dt.datetime,
    failure: str,
    chosen: dict[tuple[str, str], Template | str],
    stored: Mapping[str, Sequence[Template]],
    current_trace: str,
) -> MessageRecord:
    """The row for ``command``: rendered and queued, or failed with the reason."""
    language = command.language or "en"
    record = MessageRecord(
        message_key=command.message_key,
        message_id=message_id_for(command.message_key),
        customer_id=command.customer_id,
        task_id=command.task_id,
        channel=command.channel,
        recipient=command.recipient,
        subject="",
        text="",
        provider="",
        provider_ref="",
        sent_at=None,
        entity=command.entity,
        language=language,
        # The send continues the trace of the command that asked for it.
        traceparent=command.meta.traceparent or current_trace,
        created_at=now,
        updated_at=now,
    )
    rendered = None
    layout: LetterLayout | None = None
    attachments = ""
    if not failure:
        key = (command.template_code, language)
        if key not in chosen:
            try:
                # The tenant's stored template first, the shipped one where nothing is stored.
                chosen[key] = effective_template(stored.get(command.template_code, ()), *key)
            except KeyError as exc:
                chosen[key] = f"unknown template: {exc}"
        template = chosen[key]
        if isinstance(template, str):
            failure = template
        else:
            try:
                context = _context(command, deps)
                rendered = render(template, context)
                if command.channel == LETTER:
                    layout = letter_layout(template, context)
                elif command.channel == "email":
                    attachments = attachments_for(template, command, context)
            except TemplateError as exc:
                # Templates are checked when saved, so what is left is this customer's data (a custom field
                # the command lacks): fail this message visibly, naming it, instead of retrying in vain.
                failure = f"cannot render for {command.customer_id}: {exc}"
    if rendered is None:
        return replace(record, state="failed", last_error=failure)
    return replace(
        _with_payment_qr(_with_letter(record, command, layout), command, deps),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        attachments=attachments,
        state="queued",
        next_attempt_at=now,
    )


def attachments_for(template: Template, command: msg.SendMessage, context: MessageContext) -> str:
    """What the e-mail carries besides its text, as the record keeps it (JSON; "" for nothing).

    The statement is laid out now, from the very items the message is about; the invoice PDFs are only
    named (by item) and read from the document store when the e-mail is built, so a PDF the ERP drops
    between the command and the send still goes with it.
    """
    spec: dict[str, object] = {}
    if template.attach_statement:
        spec["statement"] = statement_for(template, context).to_json()
    if template.attach_invoices:
        spec["invoice_items"] = [i.item_id for i in command.items if i.item_id]
    return json.dumps(spec, ensure_ascii=False) if spec else ""


def portal_link(command: msg.SendMessage, deps: Deps) -> str:
    """The debtor portal page of the command's customer, behind a link signed to expire."""
    if deps.portal_links is None:
        return f"{deps.portal_base_url}/{command.customer_id}"
    entity, _, account_number = command.customer_id.partition("/")
    token = deps.portal_links.mint(debtor_link(entity, account_number, deps.now(), deps.portal_link_lifetime))
    return f"{deps.portal_base_url}/{token}"


def _context(command: msg.SendMessage, deps: Deps) -> MessageContext:
    return MessageContext(
        customer_name=command.customer_name,
        account_number=command.account_number,
        contact_name=command.contact_name or command.customer_name,
        language=command.language or "en",
        company_name=deps.company_name,
        collector_name=deps.collector_name,
        collector_email=deps.collector_email,
        portal_link=portal_link(command, deps),
        today=date_from_proto(command.today),
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
        custom=dict(command.custom_fields),
    )


def _refusal(command: msg.SendMessage) -> str:
    if not command.message_key:
        return "command has no message_key"
    if command.channel not in CHANNELS:
        return f"channel {command.channel!r} has no provider (known: {', '.join(sorted(CHANNELS))})"
    if command.channel == "email" and (not command.recipient or "@" not in command.recipient):
        return f"no valid e-mail address for {command.customer_id} (got {command.recipient!r})"
    if command.channel in TEXT_CHANNELS and not _E164.fullmatch(command.recipient):
        return f"no phone number in international form for {command.customer_id} (got {command.recipient!r})"
    if command.channel == LETTER and not _has_postal_address(command):
        address = command.postal_address
        return (
            f"no postal address for the letter to {command.customer_id}: SendMessage.postal_address needs a name "
            f"and a street or town line (got name {address.name!r}, lines {list(address.lines)!r})"
        )
    return ""


def _has_postal_address(command: msg.SendMessage) -> bool:
    address = command.postal_address
    return bool(address.name.strip()) and any(line.strip() for line in address.lines)


def _with_letter(record: MessageRecord, command: msg.SendMessage, layout: LetterLayout | None) -> MessageRecord:
    """The record with what the dispatcher needs to print a letter; other channels' records unchanged."""
    if layout is None:
        return record
    address = command.postal_address
    lines = [line.strip() for line in address.lines if line.strip()]
    return replace(
        record,
        # What the outbox and MessageSent show as where the letter went.
        recipient=", ".join([address.name.strip(), *lines])[:320],
        postal_name=address.name.strip(),
        postal_lines=json.dumps(lines, ensure_ascii=False),
        postal_country=address.country.strip().upper()[:2],
        registered=command.registered,
        letter_layout=layout.to_json(),
    )


def _with_payment_qr(record: MessageRecord, command: msg.SendMessage, deps: Deps) -> MessageRecord:
    """The record with the payment QR code its e-mail or letter carries; unchanged when none applies."""
    account = deps.bank_accounts.get(command.entity)
    if account is None or command.channel not in ("email", LETTER):
        return record
    qr = payment_qr_for(account, command.account_number, (money_from_proto(i.open_amount) for i in command.items))
    if qr is None:
        return record
    return replace(record, payment_qr_kind=qr.kind.value, payment_qr_payload=qr.payload)


async def list_outbox(query: msg.ListOutbox, uow: UnitOfWork) -> msg.OutboxListing:
    if query.limit < 0 or query.limit > 500:
        raise InvalidRequest(f"limit must be between 1 and 500, got {query.limit}")
    listing = msg.OutboxListing()
    for record in await uow.messages.latest(query.limit or 50, query.customer_id):
        ts = Timestamp()
        ts.FromDatetime(record.sent_at or record.created_at or dt.datetime.now(dt.UTC))
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
                state=record.state,
                last_error=record.last_error,
                attachments=json.loads(record.attached_files or "[]"),
                attachment_note=record.attachment_note,
            )
        )
    return listing
