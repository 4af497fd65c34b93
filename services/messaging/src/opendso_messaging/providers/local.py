"""Local mode: what would be sent is written to folders a person can open.

E-mails become ``.eml`` files in the existing local outbox (the same MIME
message SMTP and SES would send, attachments and QR code included); letters
become PDFs with their manifest in a folder, like the print-and-post disk store.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers import Delivery, OutboundEmail
from opendso_messaging.providers.letters import DiskLetterStore, LetterFont, PrintAndPost
from opendso_messaging.providers.mime import build_email_bytes

NAME = "local"


class LocalEmailSender:
    """An :class:`~opendso_messaging.providers.EmailSender` writing into a :class:`LocalOutbox`, once per message id."""

    name = NAME

    def __init__(self, outbox: LocalOutbox) -> None:
        self.outbox = outbox

    async def send(self, email: OutboundEmail) -> Delivery:
        return await asyncio.to_thread(self.send_blocking, email)

    def send_blocking(self, email: OutboundEmail) -> Delivery:
        path = self.outbox.deliver_message(email.message_id, lambda sent_at: build_email_bytes(email, sent_at=sent_at))
        # The outbox dates each file with its delivery time, also for a message delivered by an earlier attempt.
        accepted_at = datetime.fromtimestamp(path.stat().st_mtime_ns / 1e9, UTC)
        return Delivery(provider=NAME, ref=path.name, accepted_at=accepted_at, detail=f"written to {path}")


def local_letter_sender(folder: Path, *, font: LetterFont | Literal["auto"] | None = "auto") -> PrintAndPost:
    """Letters in local mode: rendered PDFs and their manifests in ``folder``."""
    return PrintAndPost(DiskLetterStore(folder, name=NAME), font=font)
