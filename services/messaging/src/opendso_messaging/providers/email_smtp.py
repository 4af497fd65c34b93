"""E-mail over SMTP with the standard library's smtplib, run in a worker thread.

Connections are reused between messages (connecting and greeting cost more
than sending a reminder): a connection idle for more than a moment is checked
with NOOP before it carries a message, one idle too long is closed, and none
is reused after a refused or failed transaction.
The SMTP dialogue (MAIL, RCPT, DATA) is driven step by step rather than with
``sendmail`` so every reply code is classified, and the server's answer to
DATA (usually its queue id) is kept for the log.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parseaddr
from typing import Literal

from opendso_messaging.providers import Delivery, OutboundEmail, ProviderError
from opendso_messaging.providers.mime import build_email_bytes, message_id_header

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
    """An :class:`~opendso_messaging.providers.EmailSender` over SMTP."""

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

    def send_blocking(self, email: OutboundEmail) -> Delivery:
        """Send ``email`` in the calling thread; :class:`ProviderError` when it is not accepted."""
        sent_at = self._clock()
        data = build_email_bytes(email, sent_at=sent_at)
        envelope_from = parseaddr(self._settings.envelope_from or email.sender)[1]
        recipients = [address for _, address in getaddresses(list(email.to))]
        try:
            smtp = self._checkout()
            try:
                refused, answer = self._transaction(smtp, envelope_from, recipients, data)
            except BaseException:
                # A connection in the middle of a refused transaction is not handed to the next message.
                _quit(smtp)
                raise
            self._checkin(smtp)
        except ProviderError:
            raise
        except smtplib.SMTPNotSupportedError as exc:
            raise ProviderError(
                NAME, f"the server does not support it: {exc}", retryable=False, code="unsupported"
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderError(
                NAME,
                f"login as {self._settings.username!r} refused: {exc.smtp_code} {_text(exc.smtp_error)}",
                retryable=smtp_reply_is_retryable(exc.smtp_code),
                code=str(exc.smtp_code),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise ProviderError(
                NAME,
                f"the server answered {exc.smtp_code} {_text(exc.smtp_error)}",
                retryable=smtp_reply_is_retryable(exc.smtp_code),
                code=str(exc.smtp_code),
            ) from exc
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib reports a read timeout as a disconnection; the timeout is still there as the context.
            timed_out = isinstance(exc.__context__, TimeoutError)
            raise ProviderError(
                NAME,
                f"the server closed the connection: {exc}",
                retryable=True,
                code="timeout" if timed_out else "disconnected",
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            # A certificate that does not verify will not verify on the next attempt either.
            raise ProviderError(
                NAME, f"the server's TLS certificate is not trusted: {exc}", retryable=False, code="tls-certificate"
            ) from exc
        except TimeoutError as exc:
            raise ProviderError(
                NAME,
                f"no answer from {self._settings.host}:{self._settings.port} within {self._settings.timeout}s",
                retryable=True,
                code="timeout",
            ) from exc
        except OSError as exc:
            # Connection refused or reset, no route, name resolution: the network, for now.
            raise ProviderError(
                NAME,
                f"cannot reach {self._settings.host}:{self._settings.port}: {exc}",
                retryable=True,
                code=type(exc).__name__,
            ) from exc
        except smtplib.SMTPException as exc:
            # What is left is a protocol mismatch (no common AUTH mechanism...): configuration, not the moment.
            raise ProviderError(NAME, f"SMTP failed: {exc}", retryable=False, code=type(exc).__name__) from exc
        return Delivery(
            provider=NAME,
            ref=message_id_header(email),
            accepted_at=sent_at,
            detail=answer,
            refused_recipients=tuple(refused),
        )

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

    @staticmethod
    def _transaction(
        smtp: smtplib.SMTP, envelope_from: str, recipients: list[str], data: bytes
    ) -> tuple[dict[str, str], str]:
        code, reply = smtp.mail(envelope_from)
        if code != 250:
            raise ProviderError(
                NAME,
                f"sender {envelope_from!r} refused: {code} {_text(reply)}",
                retryable=smtp_reply_is_retryable(code),
                code=str(code),
            )
        refused: dict[str, str] = {}
        retryable = True
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
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
        code, reply = smtp.data(data)
        if code != 250:
            raise ProviderError(
                NAME,
                f"message refused after DATA: {code} {_text(reply)}",
                retryable=smtp_reply_is_retryable(code),
                code=str(code),
            )
        return refused, f"{code} {_text(reply)}"
