"""The one MIME builder: the bytes SMTP sends, SES sends raw and the local outbox writes.

The structure is the one mail clients show best::

    multipart/mixed                  (only with attachments)
      multipart/alternative
        text/plain
        multipart/related            (only with inline images)
          text/html
          image/png                  Content-ID: <qr@...>, referenced as cid:qr
      application/pdf                (attachments)

The message is written directly as bytes rather than through the standard
library's ``EmailMessage``: that object model parses back every header it is
given and costs more than the rest of a send (a few hundred messages a second
against thousands). What it guaranteed is kept here, and checked by the tests
with the standard parser:

- 7-bit only (SES asks for ASCII-only raw messages, and any SMTP relay accepts
  them without 8BITMIME), CRLF line ends throughout;
- non-ASCII header text as RFC 2047 encoded words, folded; other headers
  folded at spaces to 78 characters where they can be, never past 998;
- display names quoted or encoded, domains in their IDNA (ASCII) form; a
  local part that is not ASCII cannot travel without SMTPUTF8 and is refused;
- text parts as 7bit when ASCII with short lines, else quoted-printable or
  base64, whichever is shorter; binary parts base64 in 76-character lines;
- boundaries that cannot occur in an encoded part (``=_`` never appears in
  quoted-printable or base64) and are checked against the 7bit ones.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable
from datetime import datetime
from email.utils import encode_rfc2231, format_datetime, formataddr
from urllib.parse import quote

from opendso_messaging.providers import OutboundEmail, parse_address

# Characters allowed in the local part of a Message-ID (RFC 5322 dot-atom text).
_MSG_ID_SAFE = "!#$&'*+-/=?^_`{|}~."
_DEFAULT_ID_DOMAIN = "opendso.local"
_CRLF = b"\r\n"
# RFC 5322: lines SHOULD stay within 78 characters and MUST within 998.
_FOLD_AT = 78
_HARD_LIMIT = 998
# Characters of a MIME parameter value that call for a quoted string (RFC 2045 tspecials and space).
_TSPECIALS = frozenset('()<>@,;:\\"/[]?= \t')


def message_id_header(email: OutboundEmail) -> str:
    """The Message-ID header for ``email``: its message id at the sender's domain, the same on every retry."""
    _, address = parse_address(email.sender)
    domain = address.rpartition("@")[2].strip().lower() or _DEFAULT_ID_DOMAIN
    return f"<{quote(email.message_id, safe=_MSG_ID_SAFE)}@{quote(domain, safe='.-')}>"


def ascii_address(address: str) -> str:
    """``address`` as it can travel without SMTPUTF8: its domain in IDNA form.

    Raises ``ValueError`` for a local part that is not ASCII: only a server offering SMTPUTF8 could take it.
    """
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        raise ValueError(f"the address {address!r} has a non-ASCII local part, which needs SMTPUTF8")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as exc:
        raise ValueError(f"the domain of {address!r} is not a valid internationalised domain: {exc}") from exc


def build_email_bytes(email: OutboundEmail, *, sent_at: datetime) -> bytes:
    """The complete message for ``email``, dated ``sent_at``, as sent on the wire (CRLF, ASCII only)."""
    if email.inline_images and not email.html:
        raise ValueError(f"e-mail {email.message_id!r} has inline images but no HTML to show them")
    out = bytearray()
    _header(out, "Message-ID", message_id_header(email))
    _header(out, "Date", format_datetime(sent_at))
    _address_header(out, "From", [email.sender])
    _address_header(out, "To", email.to)
    if email.reply_to:
        _address_header(out, "Reply-To", [email.reply_to])
    _header(out, "Subject", email.subject)
    if email.message_key:
        _header(out, "X-OpenDSO-Message-Key", email.message_key)
    if email.trace_id:
        _header(out, "X-OpenDSO-Trace-Id", email.trace_id)
    for name, value in email.headers:
        _header(out, name, value)
    out += b"MIME-Version: 1.0\r\n"
    token = secrets.token_hex(12)
    texts = (email.text, email.html)
    alternative = _text_part(email.text, "plain")
    if email.html:
        html = _text_part(email.html, "html")
        if email.inline_images:
            related = [html]
            for image in email.inline_images:
                headers = [
                    f"Content-Type: {_mime_type(image.content_type)}",
                    "Content-Transfer-Encoding: base64",
                    f"Content-ID: <{image.cid}>",
                    _disposition("inline", image.filename),
                ]
                related.append(_part(headers, _base64_lines(image.content)))
            html = _multipart("related", _boundary(token, "r", texts), related)
        alternative = _multipart("alternative", _boundary(token, "a", texts), [alternative, html])
    whole = alternative
    if email.attachments:
        parts = [alternative]
        for attachment in email.attachments:
            headers = [
                f"Content-Type: {_mime_type(attachment.content_type)}",
                "Content-Transfer-Encoding: base64",
                _disposition("attachment", attachment.filename),
            ]
            parts.append(_part(headers, _base64_lines(attachment.content)))
        whole = _multipart("mixed", _boundary(token, "m", texts), parts)
    out += whole
    return bytes(out)


# --- Headers -------------------------------------------------------------------------------------------


def _header(out: bytearray, name: str, value: str) -> None:
    """An unstructured header: folded at spaces; encoded words where it is not ASCII or cannot fold in 998."""
    folded = _fold_at_spaces(name, value) if value.isascii() and "=?" not in value else None
    if folded is None:
        # "=?" in plain text would be read as the start of an encoded word: such a value is encoded too.
        folded = f"{name}: " + "\r\n ".join(_encoded_words(value, first=_FOLD_AT - len(name) - 2))
    out += folded.encode("ascii")
    out += _CRLF


# RFC 2047 "Q" encoding: what may stand for itself in an encoded word of unstructured text, and the rest.
_Q_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")
_Q_PREFIX, _Q_SUFFIX = "=?utf-8?q?", "?="
# An encoded word is at most 75 characters (RFC 2047 section 2).
_WORD_LIMIT = 75


class _QCodes(dict[int, str]):
    """Each character's "Q" code by code point, for ``str.translate``; filled as characters turn up."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in _Q_SAFE:
            value = char
        elif char == " ":
            value = "_"
        else:
            value = "".join(f"={byte:02X}" for byte in char.encode("utf-8"))
        self[code] = value
        return value


_Q_CODES = _QCodes()
# The second hex digit of a UTF-8 continuation byte (80 to BF): no word may start with one.
_CONTINUATION = frozenset("89AB")


def _encoded_words(text: str, *, first: int = _WORD_LIMIT) -> list[str]:
    """``text`` as "Q" encoded words of at most 75 characters (the first at most ``first``), never splitting a
    character; put one per line (or space apart), since readers drop the space between encoded words."""
    overhead = len(_Q_PREFIX) + len(_Q_SUFFIX)
    encoded = text.translate(_Q_CODES)
    # Room for the longest character (four bytes, "=XX" each) even after a long header name.
    room = max(min(first, _WORD_LIMIT) - overhead, 12)
    words = []
    while len(encoded) > room:
        cut = room
        # Back to the start of an "=XX" escape ("=" is itself escaped, so each "=" starts one), then past
        # continuation bytes to the first byte of their character.
        while (
            encoded[cut - 1] == "="
            or encoded[cut - 2] == "="
            or (encoded[cut] == "=" and encoded[cut + 1] in _CONTINUATION)
        ):
            cut -= 1
        words.append(_Q_PREFIX + encoded[:cut] + _Q_SUFFIX)
        encoded = encoded[cut:]
        room = _WORD_LIMIT - overhead
    words.append(_Q_PREFIX + encoded + _Q_SUFFIX)
    return words


def _address_header(out: bytearray, name: str, values: Iterable[str]) -> None:
    folded = _fold_at_spaces(name, ", ".join(_address(value) for value in values))
    if folded is None:
        raise ValueError(f"the {name} header has a word longer than a line may be")
    out += folded.encode("ascii")
    out += _CRLF


def _fold_at_spaces(name: str, value: str) -> str | None:
    """``Name: value`` broken before spaces into lines of at most 78 characters where its words allow; None
    when a word would leave a line longer than 998."""
    if len(name) + 2 + len(value) <= _FOLD_AT:
        return f"{name}: {value}"
    first, *words = value.split(" ")
    current = f"{name}: {first}"
    lines: list[str] = []
    for word in words:
        if not word or len(current) + 1 + len(word) <= _FOLD_AT:
            # A run of spaces stays on its line: a continuation line of blanks alone is not allowed.
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = f" {word}"
    lines.append(current)
    if any(len(line) > _HARD_LIMIT for line in lines):
        return None
    return "\r\n".join(lines)


def _address(value: str) -> str:
    name, address = parse_address(value)
    address = ascii_address(address)
    if not name:
        return address
    if name.isascii() and "=?" not in name:
        # formataddr quotes a name with specials (a comma, a dot) and escapes the quotes inside it.
        return formataddr((name, address))
    # Encoded words separated by spaces, where the header may fold.
    return f"{' '.join(_encoded_words(name))} <{address}>"


def _disposition(kind: str, filename: str) -> str:
    if not filename:
        return f"Content-Disposition: {kind}"
    if filename.isascii() and filename.isprintable():
        escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
        return f'Content-Disposition: {kind}; filename="{escaped}"'
    # RFC 2231: the name in UTF-8, percent-encoded, which every current mail client reads.
    return f"Content-Disposition: {kind}; filename*={encode_rfc2231(filename, 'utf-8')}"


def _mime_type(content_type: str) -> str:
    maintype, _, subtype = content_type.strip().lower().partition("/")
    if not _is_token(maintype) or not _is_token(subtype):
        # A type a mail client cannot read is still a file the reader can save.
        return "application/octet-stream"
    return f"{maintype}/{subtype}"


def _is_token(value: str) -> bool:
    return bool(value) and value.isascii() and value.isprintable() and not _TSPECIALS.intersection(value)


# --- Parts -------------------------------------------------------------------------------------------


def _part(headers: list[str], body: bytes) -> bytes:
    return "\r\n".join(headers).encode("ascii") + b"\r\n\r\n" + body


def _text_part(text: str, subtype: str) -> bytes:
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normalised.endswith("\n"):
        # Like the standard library's builder: a text part ends with a line end.
        normalised += "\n"
    content_type = f'Content-Type: text/{subtype}; charset="utf-8"'
    if normalised.isascii() and max(map(len, normalised.split("\n"))) <= _HARD_LIMIT:
        body = normalised.replace("\n", "\r\n").encode("ascii")
        return _part([content_type, "Content-Transfer-Encoding: 7bit"], body)
    raw = normalised.encode("utf-8")
    qp = binascii.b2a_qp(raw, istext=True)
    # Base64 of n bytes takes 4/3 n plus a line end every 76 characters.
    if len(qp) <= len(raw) * 4 // 3 + len(raw) // 57 * 2:
        return _part([content_type, "Content-Transfer-Encoding: quoted-printable"], qp.replace(b"\n", _CRLF))
    return _part([content_type, "Content-Transfer-Encoding: base64"], _base64_lines(raw))


def _base64_lines(content: bytes) -> bytes:
    # encodebytes writes lines of 76 characters, each ended by a newline.
    return base64.encodebytes(content).replace(b"\n", _CRLF)


def _boundary(token: str, kind: str, texts: Iterable[str]) -> str:
    boundary = f"=_{token}_{kind}"
    # "=_" never occurs in quoted-printable or base64; a 7bit text part is checked (a random token never
    # turns up in practice, but a boundary inside a part would cut it).
    while any(boundary in text for text in texts):
        boundary = f"=_{secrets.token_hex(12)}_{kind}"
    return boundary


def _multipart(subtype: str, boundary: str, parts: list[bytes]) -> bytes:
    delimiter = f"--{boundary}".encode("ascii")
    out = bytearray(f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode("ascii"))
    for part in parts:
        # The line end before a delimiter belongs to the delimiter (RFC 2046): the part keeps its own.
        out += delimiter + _CRLF + part + _CRLF
    out += delimiter + b"--" + _CRLF
    return bytes(out)
