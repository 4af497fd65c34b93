"""SMS, WhatsApp and automated voice calls through Twilio, and their local outbox.

Both :class:`TwilioChannels` (the REST API through ``twilio.rest.Client``)
and :class:`LocalTextOutbox` (readable JSON files in a folder) answer like
the e-mail adapters: a :class:`~opendso_messaging.providers.Delivery` when
the message was accepted, a :class:`~opendso_messaging.providers.ProviderError`
saying whether a later attempt can help when it was not.

Sending once. Twilio's Messages and Calls APIs take no idempotency key (the
``I-Twilio-Idempotency-Token`` header exists only on the webhooks Twilio sends
us), so a retried request after a lost answer sends a second SMS. The caller
must therefore:

1. commit an intent (message key, channel, number, time) *before* calling
   ``send_text``/``place_call``;
2. record the returned ``Delivery.ref`` (the Twilio SID) against the key;
3. when a redelivered command finds an intent without a SID, not send
   blindly: the status callback URL carries the message key
   (``?message_key=...``), so a callback may already have tied a SID to it;
   otherwise ask :meth:`TwilioChannels.find_sent_text` /
   :meth:`TwilioChannels.find_placed_call`, which list what was sent to that
   number since the intent and recognise the message by its body (calls carry
   no body: any call from our number to that number since the intent counts).
   Only when nothing is found is sending again safe.

A read timeout is the ambiguous case (Twilio may have accepted the request):
the error is retryable and says so; step 3 is what makes the retry safe.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from babel.numbers import format_currency
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from opendso_messaging.providers import Delivery, ProviderError

NAME = "twilio"
LOCAL_NAME = "local-text"

# Twilio's limits: a message body (SMS and WhatsApp), and the inline TwiML of a call.
MAX_BODY_CHARS = 1600
MAX_TWIML_CHARS = 4000

# Twilio error codes (https://www.twilio.com/docs/api/errors) that come with a
# 4xx status but only say "not now": a full queue, a rate limit.
RETRYABLE_CODES = frozenset({20429, 21611, 14107})
# Twilio error codes that refuse *every* message until an operator fixes the Twilio settings, whatever the
# message: credentials refused (20003), account suspended or closed (20005, 10001), test credentials used to
# send for real (20008), a sender number or WhatsApp sender the account cannot send from (21212, 21606, 21659,
# 63007). Failing each message on them would push every reminder to another channel, or to a collector's
# agenda, for a fault that is ours: the dispatcher pauses the channel instead and keeps its messages queued.
CONFIGURATION_CODES = frozenset({20003, 20005, 20008, 10001, 21212, 21606, 21659, 63007})


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    VOICE = "voice"


class InvalidPhoneNumber(ValueError):
    """A number that is not in, or cannot be read as, E.164."""


# Without the ``phonenumbers`` package (not installed in this workspace) a
# number is only checked for E.164 shape, never for a country's numbering
# plan, and a national number ("06 12 34 56 78") is refused rather than
# guessed: its country code and trunk prefix rules are unknown here.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_FORMATTING = re.compile(r"[\s\u00a0\u2009\-./()]")
# "+44 (0)20 ..." : the trunk prefix some write after the country code is not dialled internationally.
_TRUNK_ZERO = re.compile(r"\(0\)")
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


def to_e164(number: str) -> str:
    """``number`` in E.164 (``+33612345678``): spaces, dots, dashes, brackets and a ``00`` prefix are tidied.

    Raises :class:`InvalidPhoneNumber` naming the number and what is wrong with it.
    """
    compact = _FORMATTING.sub("", _TRUNK_ZERO.sub("", number.strip()))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact:
        raise InvalidPhoneNumber("no phone number given")
    if not compact.startswith("+"):
        raise InvalidPhoneNumber(f"phone number {number!r} has no country code (expected +<country><number>)")
    if not _E164.fullmatch(compact):
        raise InvalidPhoneNumber(f"phone number {number!r} is not E.164: '+' then 7 to 15 digits, not starting with 0")
    return compact


@dataclass(frozen=True)
class OutboundText:
    """An SMS or WhatsApp message; ``to`` is normalised to E.164.

    A WhatsApp message outside the 24-hour window after the debtor last wrote
    to us must be an approved template: give ``content_sid`` (and its
    ``content_variables``); ``body`` then only serves the local outbox, the
    log and the reconciliation.
    """

    message_key: str
    channel: Channel
    to: str
    body: str
    content_sid: str = ""
    content_variables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.message_key:
            raise ValueError("a text message needs a message key: it is what makes delivery idempotent")
        if self.channel not in {Channel.SMS, Channel.WHATSAPP}:
            raise ValueError(f"message {self.message_key!r}: channel {self.channel!r} is not sms or whatsapp")
        object.__setattr__(self, "to", to_e164(self.to))
        if not self.body.strip() and not self.content_sid:
            raise ValueError(f"message {self.message_key!r} has neither a body nor a content template")
        if len(self.body) > MAX_BODY_CHARS:
            raise ValueError(
                f"message {self.message_key!r} has {len(self.body)} characters; Twilio takes at most {MAX_BODY_CHARS}"
            )
        if self.content_variables and not self.content_sid:
            raise ValueError(f"message {self.message_key!r} has content variables but no content_sid")


@dataclass(frozen=True)
class OutboundCall:
    """An automated call that speaks ``say`` in ``language``, or plays the TwiML served at ``twiml_url``."""

    message_key: str
    to: str
    language: str
    say: str = ""
    twiml_url: str = ""

    def __post_init__(self) -> None:
        if not self.message_key:
            raise ValueError("a call needs a message key: it is what makes delivery idempotent")
        object.__setattr__(self, "to", to_e164(self.to))
        if bool(self.say.strip()) == bool(self.twiml_url):
            raise ValueError(f"call {self.message_key!r} needs exactly one of a text to say or a TwiML URL")
        if self.twiml_url and urlsplit(self.twiml_url).scheme not in {"https", "http"}:
            raise ValueError(f"call {self.message_key!r}: TwiML URL {self.twiml_url!r} is not an http(s) URL")


class TextSender(Protocol):
    """Sends SMS, WhatsApp messages and calls: Twilio, or the local outbox."""

    @property
    def name(self) -> str: ...

    async def send_text(self, message: OutboundText) -> Delivery:
        """Hand ``message`` to the provider; raise :class:`ProviderError` when it is not accepted."""
        ...

    async def place_call(self, call: OutboundCall) -> Delivery:
        """Start ``call``; raise :class:`ProviderError` when it cannot be placed."""
        ...


# Twilio <Say> wants a locale; the product's languages map to their main one.
_SAY_LOCALES = {
    "cs": "cs-CZ",
    "de": "de-DE",
    "en": "en-GB",
    "es": "es-ES",
    "fr": "fr-FR",
    "it": "it-IT",
    "nl": "nl-NL",
    "pl": "pl-PL",
    "pt": "pt-PT",
    "ro": "ro-RO",
    "sk": "sk-SK",
    "tr": "tr-TR",
}
_LOCALE = re.compile(r"([a-z]{2})[-_]([A-Za-z]{2})")


def say_locale(language: str) -> str:
    """The ``<Say language>`` for a message language: ``fr`` → ``fr-FR``; ``fr_BE`` → ``fr-BE``."""
    tag = language.strip()
    match = _LOCALE.fullmatch(tag)
    if match:
        return f"{match.group(1)}-{match.group(2).upper()}"
    locale = _SAY_LOCALES.get(tag.lower())
    if locale is None:
        raise ValueError(f"no voice locale known for language {language!r}; give a locale such as 'fr-FR'")
    return locale


def spoken_amount(amount: Decimal, currency: str, language: str) -> str:
    """An amount as a voice should read it: the currency's name, not its symbol ("1 234,50 euros")."""
    # Text-to-speech reads "€" or "EUR" badly or not at all; Babel's name format spells the currency out.
    return format_currency(amount, currency, locale=language.replace("-", "_"), format_type="name")


def call_twiml(say: str, language: str, *, voice: str = "", repeat: int = 2) -> str:
    """TwiML that speaks ``say`` ``repeat`` times, a pause between, in ``language``'s locale."""
    response = VoiceResponse()
    attributes: dict[str, str] = {"language": say_locale(language)}
    if voice:
        attributes["voice"] = voice
    for number in range(repeat):
        if number:
            # The debtor often misses the beginning of the first reading.
            response.pause(length=2)
        response.say(say, **attributes)
    return str(response)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TwilioSettings:
    """What :class:`TwilioChannels` needs.

    ``sms_from`` is an E.164 number or an alphanumeric sender id (up to 11
    characters, where the destination country allows them); WhatsApp and
    voice need a number. A channel whose number is empty is not offered.
    ``status_callback_url`` is the public URL of the gateway's Twilio status
    webhook; the message key and channel are added to its query string.
    ``api_base_url`` points the client elsewhere than ``https://api.twilio.com``
    (a local server in tests).
    """

    account_sid: str
    auth_token: str = field(repr=False)
    sms_from: str = ""
    whatsapp_from: str = ""
    voice_from: str = ""
    status_callback_url: str = ""
    api_base_url: str = ""
    timeout_seconds: float = 15.0
    # Per language (or locale), the <Say> voice, e.g. {"cs": "Google.cs-CZ-Standard-A"}; empty: Twilio's default.
    voices: Mapping[str, str] = field(default_factory=dict)
    # Ask Twilio to tell a person from voicemail (AnsweredBy in the status callback); billed per call.
    detect_answering_machine: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"AC[0-9a-fA-F]{32}", self.account_sid):
            raise ValueError(f"Twilio account SID {self.account_sid!r} is not 'AC' followed by 32 hex digits")
        if not self.auth_token:
            raise ValueError("Twilio settings need the auth token")
        if self.sms_from and not _ALPHANUMERIC_SENDER.fullmatch(self.sms_from):
            to_e164(self.sms_from)
        for what, number in (("whatsapp_from", self.whatsapp_from), ("voice_from", self.voice_from)):
            if number and _E164.fullmatch(number) is None:
                raise ValueError(f"Twilio {what} {number!r} is not an E.164 number")
        if self.status_callback_url and urlsplit(self.status_callback_url).scheme not in {"https", "http"}:
            raise ValueError(f"Twilio status callback URL {self.status_callback_url!r} is not an http(s) URL")
        if self.timeout_seconds <= 0:
            raise ValueError(f"Twilio timeout must be positive, got {self.timeout_seconds}")


def make_twilio_client(settings: TwilioSettings) -> Any:
    """A ``twilio.rest.Client`` for ``settings``, with a request timeout and, if set, another API host."""
    # The default client has no timeout: a stalled connection would hold a worker forever.
    http_client = TwilioHttpClient(timeout=settings.timeout_seconds)
    client = Client(settings.account_sid, settings.auth_token, http_client=http_client)
    if settings.api_base_url:
        # The Api domain keeps its base URL in an attribute every request is built from.
        client.api.base_url = settings.api_base_url.rstrip("/")
    return client


def callback_url(base: str, message_key: str, channel: Channel) -> str:
    """``base`` with the message key and channel added to its query: callbacks then name their message."""
    parts = urlsplit(base)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("message_key", message_key), ("channel", channel)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def twilio_error_is_configuration(status: int, code: int | None) -> bool:
    """Whether a Twilio API error is the account's settings (credentials, account, sender), not the message's."""
    # 401 is the authentication failure whatever code comes with it (a proxy may strip the body).
    return status == 401 or code in CONFIGURATION_CODES


def twilio_error_is_retryable(status: int, code: int | None) -> bool:
    """Whether a Twilio API error means "try again later"."""
    if code in RETRYABLE_CODES:
        return True
    return status == 429 or status >= 500


class TwilioChannels:
    """A :class:`TextSender` over the Twilio REST API."""

    name = NAME

    def __init__(
        self, settings: TwilioSettings, *, client: Any = None, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._settings = settings
        self._client = client if client is not None else make_twilio_client(settings)
        self._clock = clock

    def _sender(self, channel: Channel) -> str:
        numbers = {
            Channel.SMS: self._settings.sms_from,
            Channel.WHATSAPP: self._settings.whatsapp_from,
            Channel.VOICE: self._settings.voice_from,
        }
        sender = numbers[channel]
        if not sender:
            # Configuration, not the moment: the message goes to another channel.
            raise ProviderError(NAME, f"no Twilio sender number configured for {channel}", retryable=False)
        return f"whatsapp:{sender}" if channel is Channel.WHATSAPP else sender

    @staticmethod
    def _address(channel: Channel, number: str) -> str:
        return f"whatsapp:{number}" if channel is Channel.WHATSAPP else number

    def _callback(self, message_key: str, channel: Channel) -> dict[str, str]:
        base = self._settings.status_callback_url
        return {"status_callback": callback_url(base, message_key, channel)} if base else {}

    async def send_text(self, message: OutboundText) -> Delivery:
        # The twilio client blocks (requests); a worker thread keeps the event loop running.
        return await asyncio.to_thread(self.send_text_blocking, message)

    def send_text_blocking(self, message: OutboundText) -> Delivery:
        """Send ``message`` in the calling thread; :class:`ProviderError` when Twilio does not accept it."""
        request: dict[str, Any] = {
            "to": self._address(message.channel, message.to),
            "from_": self._sender(message.channel),
            **self._callback(message.message_key, message.channel),
        }
        if message.content_sid:
            request["content_sid"] = message.content_sid
            if message.content_variables:
                request["content_variables"] = json.dumps(dict(message.content_variables), ensure_ascii=False)
        else:
            request["body"] = message.body
        accepted_at = self._clock()
        created = self._call(lambda: self._client.messages.create(**request), f"{message.channel} to {message.to}")
        return Delivery(provider=NAME, ref=str(created.sid), accepted_at=accepted_at, detail=f"status {created.status}")

    async def place_call(self, call: OutboundCall) -> Delivery:
        return await asyncio.to_thread(self.place_call_blocking, call)

    def place_call_blocking(self, call: OutboundCall) -> Delivery:
        """Start ``call`` in the calling thread; :class:`ProviderError` when Twilio refuses it."""
        request: dict[str, Any] = {
            "to": call.to,
            "from_": self._sender(Channel.VOICE),
            **self._callback(call.message_key, Channel.VOICE),
        }
        if call.twiml_url:
            request["url"] = call.twiml_url
        else:
            voice = self._settings.voices.get(call.language) or self._settings.voices.get(say_locale(call.language))
            twiml = call_twiml(call.say, call.language, voice=voice or "")
            if len(twiml) > MAX_TWIML_CHARS:
                raise ProviderError(
                    NAME,
                    f"call {call.message_key!r}: its TwiML has {len(twiml)} characters, Twilio takes at most "
                    f"{MAX_TWIML_CHARS}; shorten the text or serve it from a TwiML URL",
                    retryable=False,
                )
            request["twiml"] = twiml
        if self._settings.detect_answering_machine:
            request["machine_detection"] = "Enable"
        accepted_at = self._clock()
        created = self._call(lambda: self._client.calls.create(**request), f"call to {call.to}")
        return Delivery(provider=NAME, ref=str(created.sid), accepted_at=accepted_at, detail=f"status {created.status}")

    def find_sent_text(self, message: OutboundText, since: datetime) -> str | None:
        """The SID of ``message`` if Twilio already has it (created since ``since`` with the same body), else None.

        Blocking: run it in a thread. Twilio lists a number's messages newest
        first; a debtor's number receives few, so the latest 50 are enough.
        Messages still queued have no send date yet, so the creation date is
        compared, not Twilio's DateSent filter.
        """
        found = self._call(
            lambda: self._client.messages.list(
                to=self._address(message.channel, message.to), from_=self._sender(message.channel), limit=50
            ),
            f"listing messages to {message.to}",
        )
        for record in found:
            created = record.date_created
            if isinstance(created, datetime) and created >= _minute_floor(since) and record.body == message.body:
                return str(record.sid)
        return None

    def find_placed_call(self, call: OutboundCall, since: datetime) -> str | None:
        """The SID of a call from our number to ``call.to`` created since ``since``, else None (blocking)."""
        found = self._call(
            lambda: self._client.calls.list(to=call.to, from_=self._sender(Channel.VOICE), limit=20),
            f"listing calls to {call.to}",
        )
        for record in found:
            created = record.date_created
            if isinstance(created, datetime) and created >= _minute_floor(since):
                return str(record.sid)
        return None

    @staticmethod
    def _call(request: Callable[[], Any], what: str) -> Any:
        try:
            return request()
        except TwilioRestException as exc:
            raise ProviderError(
                NAME,
                f"Twilio refused {what} (HTTP {exc.status}, error {exc.code}): {exc.msg}",
                retryable=twilio_error_is_retryable(exc.status, exc.code),
                code=str(exc.code or exc.status),
                configuration=twilio_error_is_configuration(exc.status, exc.code),
            ) from exc
        except TwilioServiceException as exc:
            raise ProviderError(
                NAME,
                f"Twilio refused {what} (HTTP {exc.status}, error {exc.code}): {exc.title} {exc.detail or ''}".strip(),
                retryable=twilio_error_is_retryable(exc.status, exc.code),
                code=str(exc.code),
                configuration=twilio_error_is_configuration(exc.status, exc.code),
            ) from exc
        except requests.exceptions.ReadTimeout as exc:
            raise ProviderError(
                NAME,
                f"no answer from Twilio for {what}: it may have been accepted; reconcile before sending again",
                retryable=True,
                code=type(exc).__name__,
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise ProviderError(
                NAME, f"cannot reach Twilio for {what}: {exc}", retryable=True, code=type(exc).__name__
            ) from exc
        except TwilioException as exc:
            raise ProviderError(NAME, f"Twilio failed {what}: {exc}", retryable=True, code=type(exc).__name__) from exc


def _minute_floor(moment: datetime) -> datetime:
    # Twilio's dates have whole seconds (RFC 2822); a minute of slack covers
    # the rounding and a small clock difference between us and Twilio.
    return moment.astimezone(UTC) - timedelta(minutes=1)


# --- Local mode ----------------------------------------------------------------------------------------------------

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def _filename(channel: Channel, message_key: str) -> str:
    # The readable part alone could collide ("a/b" and "a_b"), so a digest of the exact key follows it.
    readable = _UNSAFE_FILENAME.sub("_", message_key).strip("._")[:80] or "message"
    digest = hashlib.sha256(f"{channel}\n{message_key}".encode()).hexdigest()[:16]
    return f"{channel}-{readable}-{digest}.json"


class LocalTextOutbox:
    """A :class:`TextSender` that writes each message or call as a readable JSON file in ``folder``.

    One file per channel and message key: sending the same key again leaves
    the first file as it is, as Twilio would have sent it once.
    """

    name = LOCAL_NAME

    def __init__(
        self,
        folder: Path,
        *,
        sender: str = "OpenDSO",
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.folder = folder
        self._sender = sender
        self._clock = clock

    def path_for(self, channel: Channel, message_key: str) -> Path:
        return self.folder / _filename(channel, message_key)

    async def send_text(self, message: OutboundText) -> Delivery:
        record: dict[str, object] = {"body": message.body}
        if message.content_sid:
            record["content_sid"] = message.content_sid
            record["content_variables"] = dict(message.content_variables)
        return self._write(message.channel, message.message_key, message.to, record)

    async def place_call(self, call: OutboundCall) -> Delivery:
        record: dict[str, object] = {"language": call.language}
        if call.twiml_url:
            record["twiml_url"] = call.twiml_url
        else:
            record["say"] = call.say
            record["twiml"] = call_twiml(call.say, call.language)
        return self._write(Channel.VOICE, call.message_key, call.to, record)

    def read(self, channel: Channel, message_key: str) -> dict[str, Any]:
        """What was written for ``message_key``; ``KeyError`` naming it when nothing was."""
        try:
            data: dict[str, Any] = json.loads(self.path_for(channel, message_key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KeyError(f"no {channel} message {message_key!r} in {self.folder}") from None
        return data

    def _write(self, channel: Channel, message_key: str, to: str, content: dict[str, object]) -> Delivery:
        path = self.path_for(channel, message_key)
        if path.exists():
            return Delivery(provider=LOCAL_NAME, ref=path.name, accepted_at=self._clock(), detail="already written")
        self.folder.mkdir(parents=True, exist_ok=True)
        written_at = self._clock()
        record = {
            "channel": str(channel),
            "message_key": message_key,
            "from": self._sender,
            "to": to,
            **content,
            "written_at": written_at.isoformat(),
        }
        data = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".writing-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            try:
                # A hard link appears atomically and never replaces an existing
                # file: two instances writing the same key keep the first file.
                os.link(temporary, path)
            except FileExistsError:
                pass
            except OSError:
                if not path.exists():
                    os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
        return Delivery(provider=LOCAL_NAME, ref=path.name, accepted_at=written_at, detail=f"written to {path}")
