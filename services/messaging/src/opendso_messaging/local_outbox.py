"""The offline e-mail provider: writes what would be sent into a folder a person can read.

Each message becomes one RFC 5322 ``.eml`` file that any mail client opens.
Used for local development, demonstrations and air-gapped installations.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

# Characters allowed in the local part of a Message-ID (RFC 5322 dot-atom text).
_MSG_ID_SAFE = "!#$&'*+-/=?^_`{|}~."
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class OutgoingEmail:
    """An e-mail ready to send; ``attachments`` are (filename, MIME type, content)."""

    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    # Extra headers (name, value), e.g. the trace id that ties the mail to its upload.
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.message_id:
            raise ValueError("an e-mail needs a message id: it is what makes delivery idempotent")
        if not self.to:
            raise ValueError(f"e-mail {self.message_id!r} has no recipient")
        if "\n" in self.subject or "\r" in self.subject:
            raise ValueError(f"e-mail {self.message_id!r} has a line break in its subject")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _filename(message_id: str) -> str:
    """A file name safe on every filesystem, distinct for distinct ids.

    The readable part alone could collide ("a/b" and "a_b"), so a digest of
    the exact id follows it.
    """
    readable = _UNSAFE_FILENAME.sub("_", message_id).strip("._")[:80] or "message"
    digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:16]
    return f"{readable}-{digest}.eml"


def _build(email: OutgoingEmail, sent_at: datetime) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["Message-ID"] = f"<{quote(email.message_id, safe=_MSG_ID_SAFE)}@opendso.local>"
    message["Date"] = format_datetime(sent_at)
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    for name, value in email.headers:
        if value:
            message[name] = value
    if email.subject.isascii():
        message["Subject"] = email.subject
    else:
        # Python's own folding drops the space between two encoded words
        # ("Société Générale" comes back as "SociétéGénérale", CPython
        # gh-92081), so the subject is encoded here, spaces inside the words,
        # and stored as is: lines this short are never refolded.
        message.set_raw("Subject", Header(email.subject, "utf-8", header_name="Subject").encode())
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for filename, mime_type, content in email.attachments:
        maintype, _, subtype = mime_type.partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


class LocalOutbox:
    """Delivers e-mails as ``.eml`` files in ``folder``, at most one file per message id."""

    def __init__(self, folder: Path, clock: Callable[[], datetime] = _utc_now) -> None:
        self.folder = folder
        self._clock = clock

    def path_for(self, message_id: str) -> Path:
        return self.folder / _filename(message_id)

    def deliver(self, email: OutgoingEmail) -> Path:
        """Write ``email`` and return its file; a message id already delivered is left as it is.

        A reader never sees a half-written file: the message is written to a
        temporary file in the same folder, then linked into place.
        """
        return self.deliver_message(email.message_id, lambda sent_at: _build(email, sent_at).as_bytes())

    def deliver_message(self, message_id: str, render: Callable[[datetime], bytes]) -> Path:
        """Write the message ``render(sent_at)`` builds as the file of ``message_id``, like :meth:`deliver`.

        For messages built elsewhere (the providers' MIME builder): ``render``
        is called only when the id was not delivered yet, with the delivery time.
        """
        path = self.path_for(message_id)
        if path.exists():
            return path
        self.folder.mkdir(parents=True, exist_ok=True)
        sent_at = self._clock()
        data = render(sent_at)
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".delivering-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            # The file time is the delivery time, which is what list() orders by.
            timestamp = round(sent_at.timestamp() * 1_000_000) * 1_000
            os.utime(temporary, ns=(timestamp, timestamp))
            self._publish(Path(temporary), path)
        finally:
            Path(temporary).unlink(missing_ok=True)
        return path

    @staticmethod
    def _publish(temporary: Path, path: Path) -> None:
        # A hard link appears atomically and refuses to replace an existing
        # file, so two instances delivering the same id at once keep the first
        # file untouched. Filesystems without hard links fall back to
        # os.replace, which is atomic too but lets the last writer win.
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
        except OSError:
            if not path.exists():
                os.replace(temporary, path)

    def list(self) -> builtins.list[Path]:
        """Every delivered ``.eml`` file, oldest delivery first."""
        if not self.folder.is_dir():
            return []
        files = [p for p in self.folder.glob("*.eml") if p.is_file()]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def read(self, message_id: str) -> EmailMessage:
        """The e-mail delivered for ``message_id``; ``KeyError`` when there is none."""
        path = self.path_for(message_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyError(f"no e-mail {message_id!r} in {self.folder}") from None
        # The file keeps the CRLF of the wire format; the text parts read back
        # with the newlines they were given, as a mail client would show them.
        message = BytesParser(policy=policy.default).parsebytes(data.replace(b"\r\n", b"\n"))
        assert isinstance(message, EmailMessage)  # the default policy always builds EmailMessage
        return message
