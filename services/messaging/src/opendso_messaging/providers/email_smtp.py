"""E-mail over SMTP with the standard library's smtplib, run in a worker thread.

Connections are reused between messages (connecting and greeting cost more
than sending a reminder): a connection idle for more than a moment is checked
with NOOP before it carries a message, one idle too long is closed, a refused
transaction is reset (RSET) before the next one, and a connection that failed
otherwise is never reused.
The SMTP dialogue (MAIL, RCPT, DATA) is driven step by step rather than with
``sendmail`` so every reply code is classified, and the server's answer to
DATA (usually its queue id) is kept for the log. Where the server offers
PIPELINING, MAIL, RCPT and DATA go in one write and their replies are read
together: two round trips per message.

Errors that no message can get past (a login refused, STARTTLS missing, a
certificate not trusted) are configuration errors: the dispatcher pauses the
channel rather than failing every message.

Once the message's content and its final dot are handed over, a 421 or a
connection that drops before the server's reply is ambiguous: servers and the
proxies in front of them have been seen to queue a message and then fail to
say so (RFC 1047). Such a message is answered as ``ambiguous`` and never sent
again automatically (see ``dispatch.py`` for why).
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from opendso_messaging.providers import Delivery, OutboundEmail, ProviderError, parse_address
from opendso_messaging.providers.mime import ascii_address, build_email_bytes, message_id_header

NAME = "smtp"
MAX_IDLE = 32
IDLE_SECONDS = 30.0
# A connection used this recently is taken as it is: servers do not drop a connection that busy.
TRUSTED_IDLE_SECONDS = 2.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect.

    ``security``: ``"starttls"`` upgrades a plain connection (port 587) and
    fails if the server cannot; ``"tls"`` is implicit TLS (port 465);
    ``"none"`` sends in clear (a relay on localhost, tests).
    ``envelope_from`` is the bounce address (MAIL FROM) when it differs from
    the From header.
    """

    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    envelope_from: str = ""
    local_hostname: str | None = None
    # None: the system's trusted certificates with host name checking.
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("SMTP settings need a host")
        if self.timeout <= 0:
            raise ValueError(f"the SMTP timeout must be positive, got {self.timeout}")
        if bool(self.username) != bool(self.password):
            raise ValueError("SMTP login needs both a username and a password (got only one)")


def smtp_reply_is_retryable(code: int) -> bool:
    """Whether an SMTP reply code means "try again later" (RFC 5321: 4yz transient, 5yz permanent).

    Codes outside 4yz/5yz (smtplib's -1 for a dropped connection, a garbled
    reply) say nothing about the message, so they are treated as transient.
    """
    return not 500 <= code <= 599


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _quit(smtp: smtplib.SMTP) -> None:
    # The outcome is known before QUIT: a server that drops the connection or
    # answers QUIT oddly after accepting the message must not turn a sent
    # message into a failure (a retry would send it twice). So QUIT's own
    # errors are dropped here, and only here.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


class SmtpEmailSender:
    """An :class:`~opendso_messaging.providers.EmailSender` over SMTP; also a
    :class:`~opendso_messaging.providers.BatchEmailSender`: ``send_many`` hands several e-mails over one
    connection, pipelining each transaction's commands where the server offers PIPELINING (RFC 2920)."""

    name = NAME

    def __init__(self, settings: SmtpSettings, clock: Callable[[], datetime] = _utc_now) -> None:
        self._settings = settings
        self._clock = clock
        # Built once: loading the system's certificates takes tens of milliseconds, more than a whole send.
        self._context: ssl.SSLContext | None = None
        if settings.security != "none":
            self._context = settings.ssl_context or ssl.create_default_context()
        # Connections are kept open between messages (a handshake costs more than a message), at most
        # MAX_IDLE of them, each closed after IDLE_SECONDS unused.
        self._idle: list[tuple[smtplib.SMTP, float]] = []
        self._lock = threading.Lock()

    async def send(self, email: OutboundEmail) -> Delivery:
        # smtplib blocks; a worker thread keeps the event loop (and the bus heartbeats) running.
        return await asyncio.to_thread(self.send_blocking, email)

    async def send_many(self, emails: Sequence[OutboundEmail]) -> list[Delivery | ProviderError]:
        return await asyncio.to_thread(self.send_many_blocking, emails)

    def send_blocking(self, email: OutboundEmail) -> Delivery:
        """Send ``email`` in the calling thread; :class:`ProviderError` when it is not accepted."""
        [outcome] = self.send_many_blocking([email])
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    def send_many_blocking(self, emails: Sequence[OutboundEmail]) -> list[Delivery | ProviderError]:
        """Send ``emails`` one after the other over one connection, in the calling thread.

        A refused message does not stop the others: the transaction is reset and the next one goes. A
        connection that fails is replaced for the next message; one that cannot be opened (or logged into)
        answers that error for every message left, which were then never handed over.
        """
        outcomes: list[Delivery | ProviderError] = []
        smtp: smtplib.SMTP | None = None
        for email in emails:
            if smtp is None:
                try:
                    smtp = self._checkout()
                except Exception as exc:
                    # Nothing of what is left was handed over: all of it may be tried again.
                    error = self._classified(
                        exc, unknown=ProviderError(NAME, repr(exc), retryable=True, code="internal")
                    )
                    outcomes.extend(error for _ in range(len(emails) - len(outcomes)))
                    return outcomes
            outcome, usable = self._send_on(smtp, email)
            outcomes.append(outcome)
            if not usable:
                # A connection in the middle of a failed transaction is not handed to the next message.
                _quit(smtp)
                smtp = None
        if smtp is not None:
            self._checkin(smtp)
        return outcomes

    def _send_on(self, smtp: smtplib.SMTP, email: OutboundEmail) -> tuple[Delivery | ProviderError, bool]:
        """One transaction; answers its outcome and whether the connection can carry the next one."""
        sent_at = self._clock()
        try:
            data = build_email_bytes(email, sent_at=sent_at)
            envelope_from = ascii_address(parse_address(self._settings.envelope_from or email.sender)[1])
            recipients = [ascii_address(parse_address(recipient)[1]) for recipient in email.to]
        except ValueError as exc:
            # The message itself cannot be written (an address without SMTPUTF8): sending again cannot help.
            return ProviderError(NAME, str(exc), retryable=False, code="invalid"), True
        try:
            if smtp.has_extn("pipelining"):
                refused, answer = _pipelined_transaction(smtp, envelope_from, recipients, data)
            else:
                refused, answer = _transaction(smtp, envelope_from, recipients, data)
        except ProviderError as exc:
            # A clean refusal: the server stays in step once the transaction is reset (421 closes it, and after
            # an ambiguous end the connection is in no known state).
            return exc, not exc.ambiguous and exc.code != "421" and _reset(smtp)
        except Exception as exc:
            # An error nobody expected in the middle of a transaction: whether the message went out is not
            # known, so it is not sent again (a debtor never gets it twice); it fails, naming the error.
            unknown = ProviderError(
                NAME,
                f"unexpected {exc!r} while handing the message over; not sent again, since it may have gone",
                retryable=False,
                code="unknown",
                ambiguous=True,
            )
            return self._classified(exc, unknown=unknown), False
        delivery = Delivery(
            provider=NAME,
            ref=message_id_header(email),
            accepted_at=sent_at,
            detail=answer,
            refused_recipients=tuple(refused),
        )
        return delivery, True

    def _classified(self, exc: BaseException, unknown: ProviderError) -> ProviderError:
        """The :class:`ProviderError` an exception of smtplib, ssl or the network stands for; ``unknown`` for
        any other exception."""
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            # STARTTLS or AUTH required by the settings and not offered: no message can go until fixed.
            return ProviderError(
                NAME, f"the server does not support it: {exc}", retryable=False, code="unsupported", configuration=True
            )
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            code = exc.smtp_code
            return ProviderError(
                NAME,
                f"login as {self._settings.username!r} refused: {code} {_text(exc.smtp_error)}",
                retryable=smtp_reply_is_retryable(code),
                code=str(code),
                # 535 and its kin refuse the credentials, for every message until someone changes them.
                configuration=not smtp_reply_is_retryable(code),
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            return ProviderError(
                NAME,
                f"the server answered {exc.smtp_code} {_text(exc.smtp_error)}",
                retryable=smtp_reply_is_retryable(exc.smtp_code),
                code=str(exc.smtp_code),
            )
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            # smtplib reports a read timeout as a disconnection; the timeout is still there as the context.
            timed_out = isinstance(exc.__context__, TimeoutError)
            return ProviderError(
                NAME,
                f"the server closed the connection: {exc}",
                retryable=True,
                code="timeout" if timed_out else "disconnected",
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            # A certificate that does not verify will not verify on the next attempt either.
            return ProviderError(
                NAME,
                f"the server's TLS certificate is not trusted: {exc}",
                retryable=False,
                code="tls-certificate",
                configuration=True,
            )
        if isinstance(exc, TimeoutError):
            return ProviderError(
                NAME,
                f"no answer from {self._settings.host}:{self._settings.port} within {self._settings.timeout}s",
                retryable=True,
                code="timeout",
            )
        if isinstance(exc, OSError):
            # Connection refused or reset, no route, name resolution: the network, for now.
            return ProviderError(
                NAME,
                f"cannot reach {self._settings.host}:{self._settings.port}: {exc}",
                retryable=True,
                code=type(exc).__name__,
            )
        if isinstance(exc, smtplib.SMTPException):
            # What is left is a protocol mismatch (no common AUTH mechanism...): configuration, not the moment.
            return ProviderError(
                NAME, f"SMTP failed: {exc}", retryable=False, code=type(exc).__name__, configuration=True
            )
        return unknown

    def _checkout(self) -> smtplib.SMTP:
        """An open connection: an idle one still answering, else a new one."""
        while True:
            with self._lock:
                if not self._idle:
                    break
                smtp, since = self._idle.pop()
            idle = time.monotonic() - since
            if idle > IDLE_SECONDS:
                _quit(smtp)
                continue
            if idle < TRUSTED_IDLE_SECONDS:
                return smtp
            try:
                # Servers drop idle connections: a NOOP finds out before a message is at stake.
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
            smtp.close()
        return self._connect()

    def _checkin(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append((smtp, time.monotonic()))
                return
        _quit(smtp)

    def close(self) -> None:
        """Close the idle connections (at shutdown)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for smtp, _ in idle:
            _quit(smtp)

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        context = self._context
        smtp: smtplib.SMTP
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                # starttls() raises SMTPNotSupportedError when the server does not offer it: never fall back to clear.
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def _reset(smtp: smtplib.SMTP) -> bool:
    """RSET after a refused transaction; answers whether the connection is in step for the next one."""
    try:
        return smtp.rset()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _refusal(stage: str, code: int, reply: bytes | str) -> ProviderError:
    retryable = smtp_reply_is_retryable(code)
    return ProviderError(NAME, f"{stage}: {code} {_text(reply)}", retryable=retryable, code=str(code))


def _check_envelope(
    envelope_from: str, mail: tuple[int, bytes], recipients: list[str], replies: list[tuple[int, bytes]]
) -> dict[str, str]:
    """The recipients refused; raises when the sender or every recipient was."""
    code, reply = mail
    if code != 250:
        # 530: the server wants a login the settings do not give; no message goes until they do.
        raise ProviderError(
            NAME,
            f"sender {envelope_from!r} refused: {code} {_text(reply)}",
            retryable=smtp_reply_is_retryable(code),
            code=str(code),
            configuration=code == 530,
        )
    refused: dict[str, str] = {}
    retryable = True
    for recipient, (code, reply) in zip(recipients, replies, strict=True):
        if code not in (250, 251):
            refused[recipient] = f"{code} {_text(reply)}"
            retryable = retryable and smtp_reply_is_retryable(code)
    if len(refused) == len(recipients):
        # Retryable only if every refusal was transient (a full mailbox, greylisting).
        details = "; ".join(f"{address}: {why}" for address, why in refused.items())
        raise ProviderError(
            NAME,
            f"every recipient refused: {details}",
            retryable=retryable,
            code=next(iter(refused.values())).split(" ", 1)[0],
        )
    return refused


def _transaction(
    smtp: smtplib.SMTP, envelope_from: str, recipients: list[str], data: bytes
) -> tuple[dict[str, str], str]:
    """MAIL, RCPT and DATA one reply at a time, for servers that do not offer PIPELINING."""
    mail = smtp.mail(envelope_from)
    replies = [smtp.rcpt(recipient) for recipient in recipients] if mail[0] == 250 else []
    refused = _check_envelope(envelope_from, mail, recipients, replies)
    # DATA by hand rather than smtp.data(): a failure before the content went is a clean refusal, one after it
    # is ambiguous, and smtp.data() tells the two apart for nobody.
    data_code, data_reply = smtp.docmd("DATA")
    if data_code != 354:
        raise _refusal("DATA refused", data_code, data_reply)
    return refused, _content(smtp, data)


def _ambiguous(why: str, code: str) -> ProviderError:
    return ProviderError(
        NAME,
        f"{why} after the message was handed over: the server may have accepted it; not sent again, so the debtor "
        "never gets it twice",
        retryable=False,
        code=code,
        ambiguous=True,
    )


def _content(smtp: smtplib.SMTP, data: bytes) -> str:
    """Send the content and its final dot; answers the server's acceptance (usually its queue id)."""
    # Dot-stuffing (RFC 5321 4.5.2); the builder ends every message with a line end.
    content = _LEADING_DOT.sub(b"..", data)
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    # A send that fails did not deliver its last bytes, the final dot: the server cannot have accepted it.
    smtp.send(content + b".\r\n")
    try:
        code, reply = smtp.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        timed_out = isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
        raise _ambiguous(
            f"no reply to the end of the message ({exc})", "timeout" if timed_out else "disconnected"
        ) from exc
    if code == 250:
        return f"{code} {_text(reply)}"
    # 421 closes the channel, and a garbled reply (smtplib's -1) says nothing: neither says the message was not
    # queued. Another 4yz or a 5yz is the server refusing it, cleanly.
    if code == 421 or not 400 <= code <= 599:
        raise _ambiguous(f"{code} {_text(reply)}", str(code))
    raise _refusal("message refused after DATA", code, reply)


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _pipelined_transaction(
    smtp: smtplib.SMTP, envelope_from: str, recipients: list[str], data: bytes
) -> tuple[dict[str, str], str]:
    """MAIL, every RCPT and DATA in one write, their replies read together, then the content (RFC 2920):
    two round trips per message instead of three and more."""
    # The addresses are parsed and checked already (one address each, ASCII, no line break).
    commands = [f"MAIL FROM:<{envelope_from}>"]
    commands += [f"RCPT TO:<{recipient}>" for recipient in recipients]
    commands.append("DATA")
    smtp.send("".join(f"{command}\r\n" for command in commands))
    mail = smtp.getreply()
    replies = [smtp.getreply() for _ in recipients]
    data_code, data_reply = smtp.getreply()
    try:
        refused = _check_envelope(envelope_from, mail, recipients, replies)
    except ProviderError:
        if data_code == 354:
            # A server that opened DATA all the same gets an empty message, which it cannot deliver to anyone.
            smtp.send(b".\r\n")
            smtp.getreply()
        raise
    if data_code != 354:
        raise _refusal("DATA refused", data_code, data_reply)
    return refused, _content(smtp, data)
