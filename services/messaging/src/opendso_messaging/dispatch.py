"""The dispatcher: hands queued messages to their providers, never twice.

Each pass claims a batch of queued messages (they become ``sending``) and
commits that claim *before* any provider is called: the intent is on record.
The messages are then sent concurrently, and the outcomes recorded in one
transaction with their events:

- accepted: ``sent`` and ``MessageSent``;
- refused for now (a retryable provider error): back to ``queued`` with an
  exponential delay, until ``max_attempts`` makes it ``failed``;
- refused for good: ``failed`` and ``MessageFailed``, so the collection
  engine puts the action back on a collector's agenda;
- refused because of the provider's configuration (a login refused, a
  certificate not trusted, an account paused): the message is not at fault,
  so it goes back to ``queued`` without counting the attempt, and the whole
  channel pauses, with a growing delay, logged and shown by the health check,
  until a send on it succeeds again.

E-mails go to a provider that takes several at once (SMTP) in groups, one
connection per group, several groups at a time.

A message left ``sending`` longer than the lease was being sent when its
instance stopped. Where the provider can say whether it went out (the local
outbox finds its file; Twilio lists what was sent), that answer is recorded.
Where it cannot (SMTP, SES), the message is *not* sent again, since the
debtor may have it already.

The same holds when the provider's own answer is ambiguous (an SMTP 421 or a
dropped connection after the message's content went). Such a message is held
in the state ``unknown``, neither resent nor counted as sent, with the reason;
``MessageFailed`` puts its action back on a collector's agenda. Why not resend
with the same Message-ID and let the recipient's side drop the copy? Few mail
systems deduplicate by Message-ID, so the debtor would likely get the reminder
twice, and a credit manager would rather have a collector look at one message
that probably arrived than have a debtor read the same demand twice (worse for
a formal notice). Why not take it as sent? Because it may not have gone, and a
reminder silently lost delays the collection it was for. ``unknown`` is kept
apart from ``failed`` so nobody resends by hand thinking it did not go; a
delivery report or bounce that arrives later still settles it.

Instances share the work through the database: a claim only takes rows that
are still queued, so two dispatchers never hold the same message, and on
PostgreSQL it skips the rows another instance is claiming at that moment.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import html
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from opendso.messaging.v1 import messaging_pb2 as msg
from opendso_telemetry import extract_context, tracer
from opentelemetry import trace

from opendso_messaging.attachments import (
    DEFAULT_MAX_BYTES,
    Attached,
    InvoiceFiles,
    attachments_of,
    sender_address,
)
from opendso_messaging.domain.message_payment_qr import QR_CID, caption, reference_in, reference_label
from opendso_messaging.domain.payment_qr import PaymentQr, PaymentQrKind
from opendso_messaging.handlers import LETTER, TEXT_CHANNELS
from opendso_messaging.letter_sending import letter_from
from opendso_messaging.payment_qr_image import render_png
from opendso_messaging.providers import (
    BatchEmailSender,
    Delivery,
    EmailSender,
    InlineImage,
    LetterSender,
    OutboundEmail,
    PostalAddress,
    ProviderError,
)
from opendso_messaging.providers.letters import LetterFont, find_unicode_font
from opendso_messaging.providers.twilio_channels import Channel as TextChannel
from opendso_messaging.providers.twilio_channels import OutboundCall, OutboundText, TextSender
from opendso_messaging.store import MessageRecord, UnitOfWork

log = logging.getLogger(__name__)
_tracer = tracer("opendso.messaging")


@dataclass(frozen=True)
class DispatchSettings:
    sender: str
    batch_size: int = 200
    # Sends in flight at once per instance: providers answer in tens of milliseconds, so waiting on one
    # at a time would cap an instance far below what the providers take.
    concurrency: int = 16
    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    lease_seconds: float = 300.0
    # A message queued longer than this fails instead of going out days late (see expire_queued).
    max_queued_seconds: float = 72 * 3600.0
    # At most this many messages per second per channel (provider rate limits); None: no limit.
    rate_per_second: dict[str, float] = field(default_factory=dict)
    # The return address printed on letters (name, then its lines), and its country: a letter to another
    # country gets the country's name as its last line. Empty: letters are refused, naming the setting.
    letter_sender: tuple[str, ...] = ()
    letter_sender_country: str = ""
    # The font the statement PDF is printed in (the letters' font); "auto": look for DejaVu Sans once.
    statement_font: LetterFont | Literal["auto"] | None = "auto"
    # The files one e-mail may carry at most; invoice PDFs past it are left out and named.
    max_attachment_bytes: int = DEFAULT_MAX_BYTES


@dataclass
class Providers:
    email: EmailSender
    # SMS, WhatsApp and voice calls: Twilio, or the local text outbox.
    text: TextSender | None = None
    # How to find out, after a crash, whether an interrupted send went out; None: it cannot be known.
    reconcile: Callable[[MessageRecord], Awaitable[bool | None]] | None = None
    # Letters: rendered to PDF and stored for a print-and-post provider (disk, S3, the local folder).
    letters: LetterSender | None = None
    # The invoice PDFs the ERP dropped, for e-mails whose template attaches them; None: none are attached.
    invoices: InvoiceFiles | None = None


# An e-mail of a batch: its place in the batch, its row, and what the provider gets.
_Email = tuple[int, MessageRecord, OutboundEmail]


class _Pace:
    """Spaces sends on one channel to at most ``rate`` per second (a provider's rate limit)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float:
        return 1.0 / self._interval

    async def wait(self, count: int = 1) -> None:
        """Wait until ``count`` more sends are allowed: they may go together when it returns."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            start = max(now, self._next)
            self._next = start + count * self._interval
            # Until the last of them is due: none goes earlier than one at a time would.
            delay = start + (count - 1) * self._interval - now
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass(frozen=True)
class _Pause:
    """A channel paused by a configuration error: when it may be tried again, and why."""

    since: dt.datetime
    until: dt.datetime
    seconds: float
    reason: str


class ChannelPaused(Exception):
    """What the health check raises while a channel waits for its configuration to be fixed."""


class Dispatcher:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        providers: Providers,
        settings: DispatchSettings,
        instance: str,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._uow = uow_factory
        self._providers = providers
        self._settings = settings
        self._instance = instance
        self._now = now
        self._paces = {channel: _Pace(rate) for channel, rate in settings.rate_per_second.items()}
        self._paused: dict[str, _Pause] = {}
        self._font = find_unicode_font() if settings.statement_font == "auto" else settings.statement_font
        self._letterhead = sender_address(settings.letter_sender, settings.sender)
        # What each e-mail of a batch in flight carried (message key -> what), recorded with its outcome.
        self._notes: dict[str, Attached] = {}

    def paused(self) -> dict[str, str]:
        """The channels paused by a configuration error now, with the reason."""
        now = self._now()
        return {channel: pause.reason for channel, pause in self._paused.items() if pause.until > now}

    async def health(self) -> str:
        """For the service's health check: raises :class:`ChannelPaused` while a channel is paused."""
        if not self._paused:
            return "ok"
        described = "; ".join(
            f"{channel} paused since {pause.since:%Y-%m-%d %H:%M:%S} UTC, next try at {pause.until:%H:%M:%S}: "
            f"{pause.reason}"
            for channel, pause in sorted(self._paused.items())
        )
        raise ChannelPaused(f"{described} (its messages stay queued)")

    async def run_once(self) -> int:
        """Claim and send one batch; answers how many messages were worked on."""
        claim = f"{self._instance}:{uuid.uuid4().hex[:12]}"
        async with self._uow() as uow:
            batch = await uow.messages.claim(
                claim, self._now(), self._settings.batch_size, skip_channels=list(self.paused())
            )
            await uow.commit()
        if not batch:
            return 0
        outcomes = await self._send_batch(batch)
        async with self._uow() as uow:
            # The sent ones in one statement and one outbox insert (most of a batch); the others one by one.
            sent = [(r, o) for r, o in zip(batch, outcomes, strict=True) if isinstance(o, Delivery)]
            await uow.messages.mark_sent(
                claim, [(r.message_key, o.provider, o.ref, o.accepted_at) for r, o in sent], self._now()
            )
            events = []
            for record, delivery in sent:
                context = extract_context({"traceparent": record.traceparent} if record.traceparent else {})
                with _tracer.start_as_current_span("record send", context=context):
                    events.append(_sent(uow, record, delivery))
            await uow.publish_many(list(events))
            carried = [(r.message_key, self._notes.pop(r.message_key, None)) for r in batch]
            await uow.messages.note_attachments(
                [(key, a.note, [f.filename for f in a.files]) for key, a in carried if a is not None]
            )
            await self._requeue_paused(uow, claim, batch, outcomes)
            for record, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, ProviderError) and not outcome.configuration:
                    await self._record_refusal(uow, record, outcome)
            await uow.commit()
        for channel in {record.channel for record, _ in sent}:
            if self._paused.pop(channel, None) is not None:
                log.warning("the %s channel sends again: its configuration was fixed", channel)
        return len(batch)

    async def _requeue_paused(
        self, uow: UnitOfWork, claim: str, batch: list[MessageRecord], outcomes: list[Delivery | ProviderError]
    ) -> None:
        """Pause the channels that answered a configuration error and put their messages back, uncounted."""
        by_channel: dict[str, list[tuple[MessageRecord, ProviderError]]] = {}
        for record, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, ProviderError) and outcome.configuration:
                by_channel.setdefault(record.channel, []).append((record, outcome))
        now = self._now()
        for channel, refused in by_channel.items():
            pause = self._pause(channel, refused[0][1], now)
            await uow.messages.requeue(
                claim, [record.message_key for record, _ in refused], pause.until, str(refused[0][1]), now
            )

    def _pause(self, channel: str, error: ProviderError, now: dt.datetime) -> _Pause:
        previous = self._paused.get(channel)
        seconds = self._settings.retry_base_seconds
        if previous is not None:
            seconds = min(previous.seconds * 2, self._settings.retry_max_seconds)
        pause = _Pause(
            since=previous.since if previous is not None else now,
            until=now + dt.timedelta(seconds=seconds),
            seconds=seconds,
            reason=str(error),
        )
        self._paused[channel] = pause
        log.error(
            "the %s channel is paused for %.0fs, its messages stay queued: %s; fix the provider's settings",
            channel,
            seconds,
            error,
        )
        return pause

    async def _send_batch(self, batch: list[MessageRecord]) -> list[Delivery | ProviderError]:
        """Send every message of the batch; answers the outcome of each, in order."""
        outcomes: list[Delivery | ProviderError | None] = [None] * len(batch)
        gate = asyncio.Semaphore(self._settings.concurrency)

        async def send(index: int, record: MessageRecord) -> None:
            async with gate:
                outcomes[index] = await self._send(record)

        async def send_group(group: list[_Email]) -> None:
            async with gate:
                for (index, _, _), outcome in zip(group, await self._send_emails(group), strict=True):
                    outcomes[index] = outcome

        email = self._providers.email
        grouped = isinstance(email, BatchEmailSender)
        singles = []
        to_build: list[tuple[int, MessageRecord]] = []
        for index, record in enumerate(batch):
            if record.channel != "email" or not grouped:
                singles.append(send(index, record))
            else:
                to_build.append((index, record))

        async def build(index: int, record: MessageRecord) -> _Email | None:
            # Built side by side: an e-mail with a statement to draw or invoices to read does not hold up the rest.
            async with gate:
                try:
                    return index, record, await self._email(record)
                except ValueError as exc:
                    # The message itself is malformed (an address the builder refuses): sending again cannot help.
                    outcomes[index] = ProviderError(email.name, str(exc), retryable=False, code="invalid")
                except ProviderError as exc:
                    # An attachment could not be read (the document store is unavailable): as the store says.
                    outcomes[index] = exc
                return None

        built = await asyncio.gather(*(build(index, record) for index, record in to_build))
        emails = [e for e in built if e is not None]
        await asyncio.gather(*singles, *(send_group(g) for g in self._groups(emails)))
        return [o if o is not None else ProviderError("none", "not sent", retryable=True) for o in outcomes]

    def _groups(self, emails: list[_Email]) -> list[list[_Email]]:
        """The e-mails in up to ``concurrency`` groups of similar size, one connection each; under a rate limit,
        groups of at most a tenth of a second's worth, so a group never bursts past the limit."""
        if not emails:
            return []
        groups = min(self._settings.concurrency, len(emails))
        size = -(-len(emails) // groups)
        pace = self._paces.get("email")
        if pace is not None:
            size = min(size, max(1, int(pace.rate / 10)))
        return [emails[first : first + size] for first in range(0, len(emails), size)]

    async def _send_emails(self, group: list[_Email]) -> list[Delivery | ProviderError]:
        email = self._providers.email
        assert isinstance(email, BatchEmailSender)
        pace = self._paces.get("email")
        if pace is not None:
            await pace.wait(len(group))
        # One span for the group, linked to the trace of each message's command.
        links = [
            trace.Link(trace.get_current_span(extract_context({"traceparent": record.traceparent})).get_span_context())
            for _, record, _ in group
            if record.traceparent
        ]
        with _tracer.start_as_current_span("send e-mails", links=links) as span:
            span.set_attribute("opendso.messages", len(group))
            try:
                return await email.send_many([outbound for _, _, outbound in group])
            except Exception as exc:
                # A fault of the adapter itself, after which nobody knows which of the group went out: none is
                # sent again (a debtor never gets one twice); they fail, naming the fault, for a collector.
                log.exception("sending %d e-mails failed", len(group))
                error = ProviderError(
                    email.name,
                    f"{exc!r} while handing a group of e-mails over; not sent again, since it may have gone",
                    retryable=False,
                    code="unknown",
                    ambiguous=True,
                )
                return [error] * len(group)

    async def _send(self, record: MessageRecord) -> Delivery | ProviderError:
        pace = self._paces.get(record.channel)
        if pace is not None:
            await pace.wait()
        context = extract_context({"traceparent": record.traceparent} if record.traceparent else {})
        with _tracer.start_as_current_span("send message", context=context) as span:
            span.set_attribute("opendso.message_key", record.message_key)
            span.set_attribute("opendso.channel", record.channel)
            try:
                if record.channel == LETTER:
                    return await self._send_letter(record)
                if record.channel in TEXT_CHANNELS:
                    text = self._providers.text
                    if text is None:
                        return ProviderError("none", "no SMS/WhatsApp/voice provider is configured", retryable=False)
                    if record.channel == "voice":
                        return await text.place_call(
                            OutboundCall(
                                message_key=record.message_key,
                                to=record.recipient,
                                language=record.language,
                                say=record.text,
                            )
                        )
                    return await text.send_text(
                        OutboundText(
                            message_key=record.message_key,
                            channel=TextChannel(record.channel),
                            to=record.recipient,
                            body=record.text,
                        )
                    )
                return await self._providers.email.send(await self._email(record))
            except ProviderError as exc:
                return exc
            except ValueError as exc:
                # The message itself is malformed (an address the builder refuses): sending again cannot help.
                return ProviderError(self._providers.email.name, str(exc), retryable=False, code="invalid")

    async def _send_letter(self, record: MessageRecord) -> Delivery | ProviderError:
        letters = self._providers.letters
        if letters is None:
            return ProviderError("none", "no letter provider is configured", retryable=False)
        if not self._settings.letter_sender:
            return ProviderError(
                letters.name,
                "no return address for letters (OPENDSO_MESSAGING_LETTER_SENDER_LINES)",
                retryable=False,
                code="invalid",
            )
        try:
            name, *lines = self._settings.letter_sender
            letter = letter_from(record, PostalAddress(name, tuple(lines)), self._settings.letter_sender_country)
        except ValueError as exc:
            # The stored letter cannot be printed as it is: sending it again cannot help.
            return ProviderError(letters.name, str(exc), retryable=False, code="invalid")
        return await letters.send(letter)

    async def _email(self, record: MessageRecord) -> OutboundEmail:
        trace_id = record.traceparent.split("-")[1] if record.traceparent.count("-") == 3 else ""
        attached = await attachments_of(
            record.attachments,
            message_id=record.message_id,
            customer_id=record.customer_id,
            created_at=record.created_at or self._now(),
            sender=self._letterhead,
            font=self._font,
            invoices=self._providers.invoices,
            max_bytes=self._settings.max_attachment_bytes,
        )
        if attached.note:
            self._notes[record.message_key] = attached
        email = OutboundEmail(
            message_id=record.message_id,
            sender=self._settings.sender,
            to=(record.recipient,),
            subject=record.subject,
            text=record.text,
            html=record.html,
            message_key=record.message_key,
            trace_id=trace_id,
            attachments=attached.files,
        )
        return _with_payment_qr(email, record)

    async def _record_refusal(self, uow: UnitOfWork, record: MessageRecord, outcome: ProviderError) -> None:
        now = self._now()
        context = extract_context({"traceparent": record.traceparent} if record.traceparent else {})
        with _tracer.start_as_current_span("record refusal", context=context):
            attempts_left = record.attempts < self._settings.max_attempts
            if outcome.retryable and attempts_left:
                delay = min(
                    self._settings.retry_base_seconds * 2 ** (record.attempts - 1), self._settings.retry_max_seconds
                )
                log.warning("message %s not accepted (%s); retry in %.0fs", record.message_key, outcome, delay)
                await uow.messages.set_state(
                    record.message_key,
                    "queued",
                    expect="sending",
                    next_attempt_at=now + dt.timedelta(seconds=delay),
                    last_error=str(outcome),
                    updated_at=now,
                )
                return
            reason = str(outcome) if not outcome.retryable else f"gave up after {record.attempts} attempts: {outcome}"
            await self._fail(uow, record, reason, now, state="unknown" if outcome.ambiguous else "failed")

    async def _fail(
        self, uow: UnitOfWork, record: MessageRecord, reason: str, now: dt.datetime, state: str = "failed"
    ) -> None:
        """End the send as ``failed``, or ``unknown`` when it may have gone; either way a collector decides."""
        if await uow.messages.set_state(record.message_key, state, expect="sending", last_error=reason, updated_at=now):
            await uow.publish(
                msg.MessageFailed(
                    meta=uow.meta(entity=record.entity),
                    message_key=record.message_key,
                    customer_id=record.customer_id,
                    task_id=record.task_id,
                    channel=record.channel,
                    reason=reason,
                    state=state,
                )
            )

    async def expire_queued(self) -> int:
        """Fail the messages queued for longer than ``max_queued_seconds`` (a channel paused for days, retries
        that never end): none stays queued for ever, and each failure puts the action back on an agenda."""
        now = self._now()
        before = now - dt.timedelta(seconds=self._settings.max_queued_seconds)
        async with self._uow() as uow:
            stale = await uow.messages.queued_since_before(before, self._settings.batch_size)
            for record in stale:
                waited = f"{self._settings.max_queued_seconds / 3600:g} h"
                why = f"; last: {record.last_error}" if record.last_error else ""
                reason = f"not sent within {waited} of being asked for, so not sent at all{why}"
                if await uow.messages.set_state(
                    record.message_key, "failed", expect="queued", last_error=reason, updated_at=now
                ):
                    await uow.publish(
                        msg.MessageFailed(
                            meta=uow.meta(entity=record.entity),
                            message_key=record.message_key,
                            customer_id=record.customer_id,
                            task_id=record.task_id,
                            channel=record.channel,
                            reason=reason,
                            state="failed",
                        )
                    )
            await uow.commit()
        return len(stale)

    async def reconcile(self) -> int:
        """Settle the messages whose send was interrupted (their instance stopped mid-call)."""
        before = self._now() - dt.timedelta(seconds=self._settings.lease_seconds)
        async with self._uow() as uow:
            stuck = await uow.messages.abandoned(before, self._settings.batch_size)
        for record in stuck:
            went_out = await self._providers.reconcile(record) if self._providers.reconcile is not None else None
            async with self._uow() as uow:
                now = self._now()
                if went_out is True:
                    if await uow.messages.set_state(
                        record.message_key, "sent", expect="sending", sent_at=now, updated_at=now
                    ):
                        await uow.publish(_sent(uow, record, Delivery(provider="reconciled", ref="", accepted_at=now)))
                elif went_out is False:
                    # Known not to have gone out: it may be sent now without risk of a duplicate.
                    await uow.messages.set_state(
                        record.message_key, "queued", expect="sending", next_attempt_at=now, updated_at=now
                    )
                else:
                    await self._fail(
                        uow,
                        record,
                        "the service stopped while handing this message to its provider and the provider cannot "
                        "say whether it went out: not sent again, so the debtor never gets it twice; check the "
                        "provider's log and send it again by hand if it did not",
                        now,
                        state="unknown",
                    )
                await uow.commit()
        return len(stuck)


def _with_payment_qr(email: OutboundEmail, record: MessageRecord) -> OutboundEmail:
    """The e-mail with the message's payment QR code shown in its HTML and its reference in its text."""
    if not (record.payment_qr_kind and record.payment_qr_payload):
        return email
    qr = PaymentQr(PaymentQrKind(record.payment_qr_kind), record.payment_qr_payload)
    reference = reference_in(qr)
    text = email.text
    if reference:
        text = f"{text.rstrip()}\n\n{reference_label(record.language)}: {reference}\n"
    if not email.html:
        return dataclasses.replace(email, text=text)
    block = (
        f'<p>{html.escape(caption(record.language))}</p><img src="cid:{QR_CID}" alt="Payment QR code" '
        'width="180" height="180">'
    )
    at = email.html.lower().rfind("</body>")
    body = email.html[:at] + block + email.html[at:] if at >= 0 else email.html + block
    return dataclasses.replace(
        email,
        text=text,
        html=body,
        inline_images=(*email.inline_images, InlineImage(QR_CID, render_png(qr), filename="payment-qr.png")),
    )


def _sent(uow: UnitOfWork, record: MessageRecord, delivery: Delivery) -> msg.MessageSent:
    return msg.MessageSent(
        meta=uow.meta(entity=record.entity),
        message_id=record.message_id,
        message_key=record.message_key,
        customer_id=record.customer_id,
        task_id=record.task_id,
        channel=record.channel,
        recipient=record.recipient,
        subject=record.subject,
        provider=delivery.provider,
        provider_ref=delivery.ref,
    )


# Passes of one dispatcher running at once: while one sends, the other claims its batch or records its
# outcomes, so the database round trips do not leave the providers idle.
PASSES_AT_ONCE = 2


async def drain(dispatcher: Dispatcher) -> int:
    """Send until nothing is due, ``PASSES_AT_ONCE`` passes at a time; answers how many messages were worked on."""

    async def passes() -> int:
        done = 0
        while worked := await dispatcher.run_once():
            done += worked
        return done

    return sum(await asyncio.gather(*(passes() for _ in range(PASSES_AT_ONCE))))


async def dispatch_loop(dispatcher: Dispatcher, idle_seconds: float = 0.2) -> None:
    """Send while there is work, ``PASSES_AT_ONCE`` passes at a time; poll gently when there is none; settle
    interrupted sends now and then."""

    async def passes(settles: bool) -> None:
        count = 0
        while True:
            try:
                if settles and count % 50 == 0:
                    await dispatcher.reconcile()
                    await dispatcher.expire_queued()
                count += 1
                if await dispatcher.run_once() == 0:
                    await asyncio.sleep(idle_seconds)
            except Exception:
                log.exception("dispatching messages failed; retrying")
                await asyncio.sleep(idle_seconds * 5)

    await asyncio.gather(*(passes(settles=k == 0) for k in range(PASSES_AT_ONCE)))
