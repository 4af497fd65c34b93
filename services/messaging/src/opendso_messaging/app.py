"""The composition root of the messaging service."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import os
import socket
from pathlib import Path

import boto3
from opendso.messaging.v1 import messaging_pb2 as msg
from opendso.portal.v1 import portal_pb2 as pt
from opendso_bus import ServiceRuntime
from opendso_bus.service import serve
from opendso_bus.uploads import get_upload

from opendso_messaging import (
    cancellation,
    delivery,
    documents,
    handlers,
    invoices,
    portal_payment,
    template_handlers,
)
from opendso_messaging.dispatch import Dispatcher, DispatchSettings, Providers, dispatch_loop
from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers import EmailSender
from opendso_messaging.providers.email_ses import SesEmailSender, SesSettings
from opendso_messaging.providers.email_smtp import SmtpEmailSender, SmtpSettings
from opendso_messaging.providers.letters import DiskLetterStore, PrintAndPost, S3LetterStore
from opendso_messaging.providers.local import NAME as LOCAL
from opendso_messaging.providers.local import LocalEmailSender, local_letter_sender
from opendso_messaging.providers.twilio_channels import Channel as TextChannel
from opendso_messaging.providers.twilio_channels import LocalTextOutbox, TextSender, TwilioChannels, TwilioSettings
from opendso_messaging.settings import Settings
from opendso_messaging.store import INBOX, OUTBOX, MessageRecord, UnitOfWork

NAME = "messaging"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def email_sender(settings: Settings) -> EmailSender:
    if settings.email_provider == "smtp":
        return SmtpEmailSender(
            SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value(),
            )
        )
    if settings.email_provider == "ses":
        return SesEmailSender(
            SesSettings(
                region=settings.ses_region,
                configuration_set=settings.ses_configuration_set,
                endpoint_url=settings.ses_endpoint_url or None,
            )
        )
    return LocalEmailSender(LocalOutbox(settings.outbox_dir))


def text_sender(settings: Settings) -> TextSender:
    if settings.text_provider == "twilio":
        return TwilioChannels(
            TwilioSettings(
                account_sid=settings.twilio_account_sid,
                auth_token=settings.twilio_auth_token.get_secret_value(),
                sms_from=settings.twilio_sms_from,
                whatsapp_from=settings.twilio_whatsapp_from,
                voice_from=settings.twilio_voice_from,
                status_callback_url=settings.twilio_status_callback_url,
                api_base_url=settings.twilio_api_base_url,
            )
        )
    return LocalTextOutbox(settings.outbox_dir / "text", sender=settings.company_name)


def letter_sender(settings: Settings) -> PrintAndPost:
    """Letters rendered to PDF and stored: in the local outbox, a provider's folder or an S3 bucket."""
    if settings.letter_provider == "disk":
        return PrintAndPost(DiskLetterStore(settings.letter_folder))
    if settings.letter_provider == "s3":
        # A session per client: boto3's default session is shared module state and not thread-safe.
        client = boto3.session.Session().client(
            "s3",
            region_name=settings.letter_s3_region or None,
            endpoint_url=settings.letter_s3_endpoint_url or None,
        )
        return PrintAndPost(S3LetterStore(client, settings.letter_s3_bucket, prefix=settings.letter_s3_prefix))
    return local_letter_sender(settings.outbox_dir / "letters")


def letter_return_address(settings: Settings) -> tuple[str, ...]:
    """The return address printed on letters; in local mode, without one, a line saying what to set."""
    lines = tuple(line for line in settings.letter_sender_lines if line.strip())
    if len(lines) >= 2:
        return lines
    return (settings.company_name, "return address not set: OPENDSO_MESSAGING_LETTER_SENDER_LINES")


def reconciler(email: EmailSender, text: TextSender, letters: PrintAndPost | None = None) -> Providers:
    """The providers, and how to tell after a crash whether an interrupted send went out."""

    async def went_out(record: MessageRecord) -> bool | None:
        if record.channel == handlers.LETTER and letters is not None:
            # The stores keep a letter once per id: one found there went out, and storing it again is a no-op.
            if await letters.is_stored(record.message_id):
                return True
            # Nobody collects from the local folder, so a letter not in it never went out; a print-and-post
            # provider may have collected (and removed) it already, which cannot be known.
            return False if letters.name == LOCAL else None
        if record.channel == "email" and isinstance(email, LocalEmailSender):
            return email.outbox.path_for(record.message_id).exists()
        if record.channel in handlers.TEXT_CHANNELS and isinstance(text, LocalTextOutbox):
            return text.path_for(TextChannel(record.channel), record.message_key).exists()
        # SMTP and SES cannot be asked; Twilio could list the messages sent to the number (find_sent_text)
        # but a reminder's text is not unique enough to tell ours apart safely.
        return None

    return Providers(email=email, text=text, reconcile=went_out, letters=letters)


def create_app(settings: Settings) -> tuple[ServiceRuntime[UnitOfWork], Dispatcher]:
    runtime: ServiceRuntime[UnitOfWork] = ServiceRuntime.from_settings(NAME, settings, OUTBOX, INBOX, UnitOfWork)
    deps = handlers.Deps(
        sender=settings.sender,
        company_name=settings.company_name,
        collector_name=settings.collector_name,
        collector_email=settings.collector_email,
        portal_base_url=settings.portal_base_url,
        portal_links=settings.portal_links(),
        portal_link_lifetime=dt.timedelta(days=settings.portal_link_days),
        bank_accounts=settings.creditor_accounts(),
    )
    # A fetched batch of commands in one transaction: rendering is cheap, the round trips were not. A batch
    # costs a dozen round trips whatever its size; 250 reminders are a few megabytes in one commit.
    runtime.on_event_batch(msg.SendMessage, functools.partial(handlers.send_messages, deps=deps), batch_size=250)
    runtime.on_event(msg.CancelMessage, functools.partial(cancellation.cancel_message, now=deps.now))

    async def outbox(query: msg.ListOutbox) -> msg.OutboxListing:
        async with runtime.uow() as uow:
            return await handlers.list_outbox(query, uow)

    runtime.on_query(msg.ListOutbox, outbox)
    template_handlers.register(runtime, deps)

    async def delivery_status(command: msg.RecordDeliveryStatus) -> msg.DeliveryStatusRecorded:
        async with runtime.uow() as uow:
            return await delivery.record_delivery_status(command, uow)

    runtime.on_query(msg.RecordDeliveryStatus, delivery_status)
    letters = letter_sender(settings)

    async def customer_documents(query: pt.ListCustomerDocuments) -> pt.CustomerDocuments:
        async with runtime.uow() as uow:
            return await documents.list_customer_documents(query, uow)

    async def customer_document(query: pt.GetCustomerDocument) -> pt.CustomerDocument:
        return await documents.get_customer_document(query, runtime.uow, letters, letters)

    async def fetch_upload(name: str) -> bytes:
        return await get_upload(runtime.broker.connection.jetstream(), name)

    async def store_document(command: msg.StoreCustomerDocument) -> msg.CustomerDocumentStored:
        return await invoices.store_customer_document(command, runtime.uow, letters, fetch_upload, deps.now())

    # Invoice PDFs the ERP drops are kept in the letters' store, for reminders and the portal.
    runtime.on_query(msg.StoreCustomerDocument, store_document)

    # The debtor portal's downloads: the letters are read back from the store the dispatcher wrote them to.
    runtime.on_query(pt.ListCustomerDocuments, customer_documents)
    runtime.on_query(pt.GetCustomerDocument, customer_document)

    async def payment_qr(query: msg.GetPaymentQr) -> msg.PaymentQrCode:
        return portal_payment.get_payment_qr(query, deps.bank_accounts)

    runtime.on_query(msg.GetPaymentQr, payment_qr)
    rates = {"email": settings.email_rate_per_second}
    rates.update(dict.fromkeys(handlers.TEXT_CHANNELS, settings.text_rate_per_second))
    dispatcher = Dispatcher(
        runtime.uow,
        dataclasses.replace(
            reconciler(email_sender(settings), text_sender(settings), letters),
            invoices=invoices.InvoiceLibrary(runtime.uow, letters),
        ),
        DispatchSettings(
            sender=settings.sender,
            batch_size=settings.dispatch_batch_size,
            concurrency=settings.dispatch_concurrency,
            max_attempts=settings.dispatch_max_attempts,
            retry_base_seconds=settings.dispatch_retry_base_seconds,
            lease_seconds=settings.dispatch_lease_seconds,
            max_queued_seconds=settings.dispatch_max_queued_hours * 3600,
            rate_per_second={channel: rate for channel, rate in rates.items() if rate > 0},
            letter_sender=letter_return_address(settings),
            letter_sender_country=settings.letter_sender_country,
            # Statements print like letters, in the font the letters found.
            statement_font=letters.font,
        ),
        instance=f"{socket.gethostname()}:{os.getpid()}",
    )
    # A channel paused by its provider's configuration (a refused login) makes the service "degraded".
    runtime.add_health_check("dispatch", dispatcher.health)
    return runtime, dispatcher


def main() -> None:
    settings = Settings()
    runtime, dispatcher = create_app(settings)
    asyncio.run(serve(NAME, settings, MIGRATIONS, lambda: runtime, lambda _: background(runtime, dispatcher)))


async def background(runtime: ServiceRuntime[UnitOfWork], dispatcher: Dispatcher) -> None:
    # The built-in templates become rows credit managers can list and edit; sending never waits for them
    # (a code with no row uses the shipped text).
    await template_handlers.seed_at_start(runtime.uow)
    await dispatch_loop(dispatcher)
