"""The files an e-mail carries: the account statement, rendered to PDF by the letter renderer, and the invoice
PDFs stored for the message's items, within a size cap.

The handler wrote what the template asked for into the message's row (``attachments``, JSON); the dispatcher
calls :func:`attachments_of` when it builds the e-mail. Invoice PDFs are read only from the message's own
customer (``customer_id`` is part of every lookup), so another customer's invoice can never go out. Those that
would take the e-mail past the cap are left out and named in the note the dispatcher records with the message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Protocol

from opendso_messaging.domain.statement import Statement
from opendso_messaging.providers import Attachment, Letter, LetterTable, PostalAddress
from opendso_messaging.providers.letters import LetterFont, render_letter_pdf

PDF = "application/pdf"
# Many mail systems refuse messages over 10 to 25 MB, and base64 adds a third: 10 MB of files stays under all.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A customer's document as the store hands it back for an e-mail."""

    item_ids: tuple[str, ...]
    file_name: str
    media_type: str
    content: bytes


class InvoiceFiles(Protocol):
    async def invoices_for(self, customer_id: str, item_ids: Sequence[str]) -> list[StoredFile]:
        """The invoice PDFs stored for ``item_ids`` of ``customer_id`` only, in the order of ``item_ids``."""
        ...


@dataclass(frozen=True)
class Attached:
    """What an e-mail carries, and the note that says what it carries or went without."""

    files: tuple[Attachment, ...]
    note: str


def sender_address(letter_sender: Sequence[str], email_sender: str) -> PostalAddress:
    """The statement's letterhead: the letters' return address when set, else the e-mail sender."""
    lines = [line for line in letter_sender if line.strip()]
    if len(lines) >= 2:
        return PostalAddress(lines[0], tuple(lines[1:]))
    name, address = parseaddr(email_sender)
    # A dispatcher without a sender still starts: the letterhead then only says who prints it.
    return PostalAddress(name or address or "OpenDSO", (address or "-",))


def statement_pdf(
    statement: Statement, letter_id: str, sender: PostalAddress, font: LetterFont | None, created_at: dt.datetime
) -> bytes:
    """The statement printed by the letter renderer: the same table, fonts and layout as a letter's."""
    layout = statement.layout
    name, *lines = statement.recipient or ("",)
    letter = Letter(
        letter_id=letter_id,
        sender=sender,
        recipient=PostalAddress(name or statement.title, tuple(lines) or (statement.title,)),
        date=layout.date,
        subject=statement.title,
        body=layout.body,
        table=LetterTable(layout.headings, layout.rows, ("L", "L", "R")) if layout.headings else None,
        closing=layout.closing,
    )
    return render_letter_pdf(letter, font=font, created_at=created_at)


async def attachments_of(
    spec_json: str,
    *,
    message_id: str,
    customer_id: str,
    created_at: dt.datetime,
    sender: PostalAddress,
    font: LetterFont | None,
    invoices: InvoiceFiles | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Attached:
    """The files of a message's ``attachments`` spec; ``ValueError`` when the spec is not readable.

    The statement comes first and always fits; invoices follow, oldest item first as the message lists
    them, each only while the total stays within ``max_bytes``.
    """
    if not spec_json:
        return Attached((), "")
    try:
        spec = json.loads(spec_json)
        statement = Statement.from_json(spec["statement"]) if "statement" in spec else None
        item_ids = [str(i) for i in spec.get("invoice_items", [])]
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"message {message_id!r}: the stored attachments are not readable ({exc!r})") from exc
    files: list[Attachment] = []
    notes: list[str] = []
    if statement is not None:
        # fpdf2 is pure Python: off the event loop, so other sends go on while it draws.
        content = await asyncio.to_thread(statement_pdf, statement, f"{message_id}-statement", sender, font, created_at)
        files.append(Attachment(statement.file_name, PDF, content))
    if "invoice_items" in spec:
        found = await invoices.invoices_for(customer_id, item_ids) if invoices is not None and item_ids else []
        total = sum(len(f.content) for f in files)
        left_out: list[str] = []
        for stored in found:
            if total + len(stored.content) > max_bytes:
                left_out.append(f"{stored.file_name} ({', '.join(stored.item_ids)}, {len(stored.content)} bytes)")
                continue
            total += len(stored.content)
            files.append(Attachment(stored.file_name, stored.media_type or PDF, stored.content))
        have = {i for f in found for i in f.item_ids}
        missing = [i for i in item_ids if i not in have]
        if left_out:
            notes.append(f"left out over the {max_bytes:,}-byte cap: {', '.join(left_out)}")
        if missing:
            notes.append(f"no invoice PDF stored for: {', '.join(missing)}")
    if files:
        notes.insert(0, "attached: " + ", ".join(f.filename for f in files))
    return Attached(tuple(files), "; ".join(notes))
