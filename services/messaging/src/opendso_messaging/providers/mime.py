"""The one MIME builder: the bytes SMTP sends, SES sends raw and the local outbox writes.

The structure is the one mail clients show best::

    multipart/mixed                  (only with attachments)
      multipart/alternative
        text/plain
        multipart/related            (only with inline images)
          text/html
          image/png                  Content-ID: <qr@...>, referenced as cid:qr
      application/pdf                (attachments)
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import quote

from opendso_messaging.providers import OutboundEmail

# 7-bit transfer encodings for every part: SES asks for ASCII-only raw
# messages, and any SMTP relay accepts them without 8BITMIME. Parts are encoded
# with newlines (so a base64 text part decodes to the text as written, as the
# local outbox reads it back) and the whole is written with SMTP's CRLF.
_BUILD_POLICY = policy.default.clone(cte_type="7bit")
POLICY = policy.SMTP.clone(cte_type="7bit")

# Characters allowed in the local part of a Message-ID (RFC 5322 dot-atom text).
_MSG_ID_SAFE = "!#$&'*+-/=?^_`{|}~."
_DEFAULT_ID_DOMAIN = "opendso.local"


def message_id_header(email: OutboundEmail) -> str:
    """The Message-ID header for ``email``: its message id at the sender's domain, the same on every retry."""
    _, address = parseaddr(email.sender)
    domain = address.rpartition("@")[2].strip().lower() or _DEFAULT_ID_DOMAIN
    return f"<{quote(email.message_id, safe=_MSG_ID_SAFE)}@{quote(domain, safe='.-')}>"


def build_email_message(email: OutboundEmail, *, sent_at: datetime) -> EmailMessage:
    """The complete MIME message for ``email``, dated ``sent_at``; serialise it with :data:`POLICY`."""
    message = EmailMessage(policy=_BUILD_POLICY)
    message["Message-ID"] = message_id_header(email)
    message["Date"] = format_datetime(sent_at)
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    _set_subject(message, email.subject)
    if email.message_key:
        message["X-OpenDSO-Message-Key"] = email.message_key
    if email.trace_id:
        message["X-OpenDSO-Trace-Id"] = email.trace_id
    for name, value in email.headers:
        message[name] = value

    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
        if email.inline_images:
            html_part = message.get_body(preferencelist=("html",))
            assert isinstance(html_part, EmailMessage)  # just added above
            for image in email.inline_images:
                maintype, subtype = _mime_type(image.content_type)
                # add_related turns the HTML part into multipart/related with the image beside it.
                html_part.add_related(
                    image.content,
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{image.cid}>",
                    disposition="inline",
                    filename=image.filename or None,
                )
    elif email.inline_images:
        raise ValueError(f"e-mail {email.message_id!r} has inline images but no HTML to show them")
    for attachment in email.attachments:
        maintype, subtype = _mime_type(attachment.content_type)
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message


def build_email_bytes(email: OutboundEmail, *, sent_at: datetime) -> bytes:
    """:func:`build_email_message` serialised as sent on the wire (CRLF, ASCII only)."""
    return build_email_message(email, sent_at=sent_at).as_bytes(policy=POLICY)


def _set_subject(message: EmailMessage, subject: str) -> None:
    if subject.isascii():
        message["Subject"] = subject
    else:
        # Python's own folding drops the space between two encoded words
        # ("Société Générale" comes back as "SociétéGénérale", CPython
        # gh-92081), so the subject is encoded here, spaces inside the words,
        # and stored as is (the same fix as the local outbox's).
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def _mime_type(content_type: str) -> tuple[str, str]:
    maintype, _, subtype = content_type.strip().lower().partition("/")
    if not maintype or not subtype or "/" in subtype:
        # A type a mail client cannot read is still a file the reader can save.
        return "application", "octet-stream"
    return maintype, subtype
