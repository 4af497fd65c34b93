"""Provider adapters: the ports the messaging handlers deliver through, and the types they share.

A handler builds an :class:`OutboundEmail` (or a :class:`Letter`) and hands it
to an :class:`EmailSender` (or a :class:`LetterSender`). Every adapter answers
the same way: a :class:`Delivery` when the provider accepted the message, a
:class:`ProviderError` saying whether trying again can help when it did not.

- ``retryable=True``: the provider or the network is unavailable for now
  (SMTP 4xx, connection refused, timeout, throttling). The handler should let
  the bus redeliver the command later; the message id stays the same, so the
  recipient's mail system sees the same message.
- ``retryable=False``: this message will never be accepted as it is (SMTP 5xx,
  invalid address, message rejected). The handler should record the failure
  (``MessageFailed``) so the collection process can use another channel.
- ``configuration=True``: the provider refuses *every* message until an
  operator fixes its settings (a login refused, a certificate not trusted, an
  account paused). Not the message's fault: the dispatcher pauses the channel
  and keeps its messages queued instead of failing them one by one.
- ``ambiguous=True``: the provider may have accepted the message although it
  did not say so (an SMTP 421 or a dropped connection after the content was
  handed over). Neither sent again nor taken as sent: the dispatcher holds it
  as ``unknown`` for a collector to check.

Adapters live in ``email_smtp``, ``email_ses``, ``letters`` and ``local``;
``mime`` builds the e-mail that SMTP, SES and the local outbox all send.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = [
    "Attachment",
    "BatchEmailSender",
    "Delivery",
    "EmailSender",
    "InlineImage",
    "Letter",
    "LetterSender",
    "LetterStore",
    "LetterTable",
    "OutboundEmail",
    "PostalAddress",
    "ProviderError",
    "parse_address",
]


@dataclass(frozen=True)
class Delivery:
    """A provider accepted a message.

    ``ref`` is what the provider knows the message by: the SES message id
    (which its notifications quote), the Message-ID header for SMTP (which
    bounces quote), a file name or an object key for the local and letter
    stores. ``detail`` is the provider's own answer, for the log.
    """

    provider: str
    ref: str
    accepted_at: datetime
    detail: str = ""
    # SMTP only: recipients the server refused while it accepted the others.
    refused_recipients: tuple[str, ...] = ()


class ProviderError(Exception):
    """A provider did not accept a message; ``retryable`` says whether a later attempt can succeed.

    ``code`` is the provider's own code (an SMTP reply code, an SES error
    code, an exception name) so an operator can tell a bad password from a
    bad address without reading the reason.
    """

    def __init__(
        self,
        provider: str,
        reason: str,
        *,
        retryable: bool,
        code: str = "",
        configuration: bool = False,
        ambiguous: bool = False,
    ) -> None:
        kind = "ambiguous" if ambiguous else "configuration" if configuration else "retryable" if retryable else "final"
        super().__init__(f"{provider} did not accept the message ({kind}, {code or 'no code'}): {reason}")
        self.provider = provider
        self.reason = reason
        # A configuration error can succeed later, once the settings are fixed; an ambiguous one must not be
        # tried again, since the message may be with the debtor already.
        self.retryable = (retryable or configuration) and not ambiguous
        self.code = code
        self.configuration = configuration and not ambiguous
        self.ambiguous = ambiguous


class Attachment(NamedTuple):
    """A file attached to an e-mail (an invoice PDF, a statement)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InlineImage:
    """An image shown inside the HTML body, referenced there as ``src="cid:<cid>"`` (the payment QR code)."""

    cid: str
    content: bytes
    content_type: str = "image/png"
    filename: str = ""


# RFC 5322 field names: printable ASCII except the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+")
# Content-ID local parts we produce and accept: no brackets, spaces or quotes to escape.
_CID = re.compile(r"[A-Za-z0-9._@-]+")
# Headers the builder writes itself; a custom header of the same name would duplicate them.
_RESERVED_HEADERS = frozenset(
    {
        "bcc",
        "cc",
        "content-transfer-encoding",
        "content-type",
        "date",
        "from",
        "message-id",
        "mime-version",
        "reply-to",
        "subject",
        "to",
        "x-opendso-message-key",
        "x-opendso-trace-id",
    }
)


def _single_line(what: str, value: str) -> None:
    # A line break in a header value would let the value add headers of its own (header injection).
    if "\n" in value or "\r" in value:
        raise ValueError(f"{what} has a line break: {value!r}")


# (display name, address) of an address line. A batch of e-mails has one sender and a run of reminders few
# recipients each, and parsing is a good part of building an e-mail: each line is parsed once.
parse_address = lru_cache(maxsize=4096)(parseaddr)


def _address(what: str, value: str) -> None:
    _single_line(what, value)
    _, address = parse_address(value)
    if "@" not in address:
        raise ValueError(f"{what} is not an e-mail address: {value!r}")


@dataclass(frozen=True)
class OutboundEmail:
    """An e-mail ready for any :class:`EmailSender`.

    ``message_id`` is derived from the message key by the caller and becomes
    the Message-ID header, so a retry after a crash is the same message.
    ``message_key`` and ``trace_id`` travel as ``X-OpenDSO-Message-Key`` and
    ``X-OpenDSO-Trace-Id``: provider notifications (bounces, SES events) carry
    the headers back, which ties them to the task.
    """

    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str = ""
    attachments: tuple[Attachment, ...] = ()
    inline_images: tuple[InlineImage, ...] = ()
    message_key: str = ""
    trace_id: str = ""
    reply_to: str = ""
    # Further headers (name, value); names the builder writes itself are refused.
    headers: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.message_id:
            raise ValueError("an e-mail needs a message id: it is what makes delivery idempotent")
        _single_line("the message id", self.message_id)
        if not self.to:
            raise ValueError(f"e-mail {self.message_id!r} has no recipient")
        _address(f"the sender of e-mail {self.message_id!r}", self.sender)
        for recipient in self.to:
            _address(f"a recipient of e-mail {self.message_id!r}", recipient)
        if self.reply_to:
            _address(f"the reply-to of e-mail {self.message_id!r}", self.reply_to)
        if "\n" in self.subject or "\r" in self.subject:
            raise ValueError(f"e-mail {self.message_id!r} has a line break in its subject")
        _single_line(f"the message key of e-mail {self.message_id!r}", self.message_key)
        _single_line(f"the trace id of e-mail {self.message_id!r}", self.trace_id)
        for name, value in self.headers:
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"e-mail {self.message_id!r} has an invalid header name {name!r}")
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"e-mail {self.message_id!r}: header {name!r} is written by the builder itself")
            _single_line(f"header {name!r} of e-mail {self.message_id!r}", value)
        self._check_inline_images()

    def _check_inline_images(self) -> None:
        seen: set[str] = set()
        for image in self.inline_images:
            if not _CID.fullmatch(image.cid):
                raise ValueError(
                    f"e-mail {self.message_id!r}: inline image cid {image.cid!r} may only hold letters, digits, ._@-"
                )
            if image.cid in seen:
                raise ValueError(f"e-mail {self.message_id!r} has two inline images with cid {image.cid!r}")
            seen.add(image.cid)
            # An image the HTML never shows would arrive as an anonymous attachment: a template mistake.
            if f"cid:{image.cid}" not in self.html:
                raise ValueError(
                    f"e-mail {self.message_id!r}: inline image {image.cid!r} is not referenced by the HTML "
                    f'(expected src="cid:{image.cid}")'
                )


class EmailSender(Protocol):
    """Sends e-mails: SMTP, SES, or the local outbox."""

    @property
    def name(self) -> str: ...

    async def send(self, email: OutboundEmail) -> Delivery:
        """Hand ``email`` to the provider; raise :class:`ProviderError` when it is not accepted."""
        ...


@runtime_checkable
class BatchEmailSender(EmailSender, Protocol):
    """An :class:`EmailSender` that hands several e-mails over in one go (one SMTP connection, pipelined)."""

    async def send_many(self, emails: Sequence[OutboundEmail]) -> list[Delivery | ProviderError]:
        """Hand each of ``emails`` to the provider; answers, in order, what became of each."""
        ...


@dataclass(frozen=True)
class PostalAddress:
    """A postal address as printed: the name, then the lines (street, postcode and town, country)."""

    name: str
    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a postal address needs a name")
        if not any(line.strip() for line in self.lines):
            raise ValueError(f"the postal address of {self.name!r} has no street, town or country line")

    def as_lines(self) -> tuple[str, ...]:
        return (self.name, *(line for line in self.lines if line.strip()))


@dataclass(frozen=True)
class LetterTable:
    """The items table of a letter, already formatted for the reader's language.

    ``align`` gives each column's alignment (``"L"``, ``"C"``, ``"R"``);
    amounts read best right-aligned.
    """

    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        width = len(self.headings)
        if width == 0:
            raise ValueError("a letter table needs at least one column")
        for number, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise ValueError(f"row {number} of the letter table has {len(row)} cells, the headings {width}")
        if self.align and (len(self.align) != width or set(self.align) - {"L", "C", "R"}):
            raise ValueError(f"the letter table's align must be one of L, C, R per column, got {self.align!r}")


@dataclass(frozen=True)
class Letter:
    """A letter ready to print and post.

    ``date`` is printed as given (the caller formats it in the reader's
    language). ``registered`` asks the print-and-post provider for registered
    mail; it travels in the letter's manifest or object metadata.
    """

    letter_id: str
    sender: PostalAddress
    recipient: PostalAddress
    date: str
    subject: str
    body: str
    table: LetterTable | None = None
    payment_qr_png: bytes | None = None
    qr_caption: str = ""
    registered: bool = False
    message_key: str = ""
    # Text printed after the table (a template's words after #ItemsTable: the demand, the signature).
    closing: str = ""

    def __post_init__(self) -> None:
        if not self.letter_id:
            raise ValueError("a letter needs an id: it is what makes storing it idempotent")
        if "\n" in self.subject or "\r" in self.subject:
            raise ValueError(f"letter {self.letter_id!r} has a line break in its subject")


class LetterStore(Protocol):
    """Keeps rendered letters where a print-and-post provider collects them (a folder, an S3 bucket)."""

    @property
    def name(self) -> str: ...

    async def store(self, letter: Letter, pdf: bytes) -> Delivery:
        """Store ``pdf`` for ``letter`` once; storing the same letter id again changes nothing."""
        ...


class LetterSender(Protocol):
    """Sends letters: renders them and hands them to a print-and-post provider."""

    @property
    def name(self) -> str: ...

    async def send(self, letter: Letter) -> Delivery: ...
