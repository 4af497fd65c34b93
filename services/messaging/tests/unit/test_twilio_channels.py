from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from opendso_messaging.providers import ProviderError
from opendso_messaging.providers.twilio_channels import (
    Channel,
    InvalidPhoneNumber,
    LocalTextOutbox,
    OutboundCall,
    OutboundText,
    TwilioChannels,
    TwilioSettings,
    call_twiml,
    callback_url,
    say_locale,
    spoken_amount,
    to_e164,
)

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "test-auth-token"
NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, list[str]]
    query: dict[str, list[str]]
    authorization: str


@dataclass
class FakeTwilio:
    """Answers the Messages and Calls endpoints the way api.twilio.com does."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    # Answers to give next, (status, JSON body), before falling back to a 201 with a new SID.
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # What a GET of Messages.json / Calls.json lists.
    listed: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, method: str, path: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if self.answers:
            return self.answers.pop(0)
        resource = path.rsplit("/", 1)[-1]
        if method == "GET":
            key = "messages" if resource == "Messages.json" else "calls"
            return 200, {key: self.listed, "next_page_uri": None, "page": 0, "page_size": 50, "uri": path}
        number = len(self.requests)
        if resource == "Messages.json":
            return 201, {"sid": f"SM{number:032d}", "status": "queued", "to": form["To"][0], "body": form.get("Body")}
        if resource == "Calls.json":
            return 201, {"sid": f"CA{number:032d}", "status": "queued", "to": form["To"][0]}
        return 404, {"code": 20404, "message": f"The requested resource {path} was not found", "status": 404}


@pytest.fixture
def twilio_server() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            fake.requests.append(
                Recorded(self.command, parts.path, form, parse_qs(parts.query), self.headers.get("Authorization", ""))
            )
            status, body = fake.answer(self.command, parts.path, form)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _handle
        do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def settings(url: str, **changes: Any) -> TwilioSettings:
    values: dict[str, Any] = {
        "account_sid": ACCOUNT,
        "auth_token": TOKEN,
        "sms_from": "+33700000001",
        "whatsapp_from": "+33700000002",
        "voice_from": "+33700000003",
        "status_callback_url": "https://opendso.example/webhooks/twilio/status",
        "api_base_url": url,
        "timeout_seconds": 5.0,
    }
    values.update(changes)
    return TwilioSettings(**values)


def channels(fake: FakeTwilio, **changes: Any) -> TwilioChannels:
    return TwilioChannels(settings(fake.url, **changes), clock=lambda: NOW)


def sms(**changes: Any) -> OutboundText:
    values: dict[str, Any] = {
        "message_key": "reminder-42",
        "channel": Channel.SMS,
        "to": "+33 6 12 34 56 78",
        "body": "Dupont SA: 1 234,50 € overdue since 1 March. Pay at https://pay.example/C003",
    }
    values.update(changes)
    return OutboundText(**values)


# --- numbers -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033 6.12.34.56.78", "+33612345678"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+49-30-901820", "+4930901820"),
        ("+420\u00a0601\u00a0123\u00a0456", "+420601123456"),
    ],
)
def test_numbers_are_tidied_into_e164(written: str, e164: str) -> None:
    assert to_e164(written) == e164


@pytest.mark.parametrize(
    ("written", "complaint"),
    [
        ("06 12 34 56 78", "no country code"),
        ("+0612345678", "not E.164"),
        ("+33 6 12 34 56 78 90 12 34", "not E.164"),
        ("+33 6 12 AB 56 78", "not E.164"),
        ("+123", "not E.164"),
        ("", "no phone number"),
    ],
)
def test_numbers_that_are_not_e164_are_refused_with_the_reason(written: str, complaint: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match=complaint):
        to_e164(written)


def test_a_message_to_an_invalid_number_cannot_even_be_built() -> None:
    with pytest.raises(InvalidPhoneNumber, match="'06 12' has no country code"):
        sms(to="06 12")


def test_a_message_longer_than_twilio_takes_is_refused() -> None:
    with pytest.raises(ValueError, match="1601 characters; Twilio takes at most 1600"):
        sms(body="x" * 1601)


def test_a_call_needs_exactly_one_of_text_or_twiml_url() -> None:
    with pytest.raises(ValueError, match="exactly one of a text to say or a TwiML URL"):
        OutboundCall(message_key="call-1", to="+33612345678", language="fr")
    with pytest.raises(ValueError, match="exactly one"):
        OutboundCall(
            message_key="call-1", to="+33612345678", language="fr", say="Bonjour", twiml_url="https://x.example/t"
        )


def test_settings_refuse_a_malformed_account_sid() -> None:
    with pytest.raises(ValueError, match="account SID 'AC123' is not"):
        settings("", account_sid="AC123")


def test_settings_accept_an_alphanumeric_sms_sender_but_not_for_whatsapp() -> None:
    assert settings("", sms_from="OpenDSO").sms_from == "OpenDSO"
    with pytest.raises(ValueError, match=r"whatsapp_from 'OpenDSO' is not an E\.164 number"):
        settings("", whatsapp_from="OpenDSO")


# --- voice ---------------------------------------------------------------------------------------------------------


def test_a_spoken_amount_names_the_currency_in_the_language() -> None:
    assert spoken_amount(Decimal("1234.5"), "EUR", "fr") == "1\u202f234,50 euros"
    assert spoken_amount(Decimal("1234.5"), "EUR", "en") == "1,234.50 euros"


def test_say_locales_come_from_the_message_language() -> None:
    assert say_locale("cs") == "cs-CZ"
    assert say_locale("fr_be") == "fr-BE"
    with pytest.raises(ValueError, match="no voice locale known for language 'xx'"):
        say_locale("xx")


def test_call_twiml_says_the_text_twice_in_the_language_and_escapes_it() -> None:
    twiml = call_twiml("Dupont & fils: 1 234,50 euros <overdue>", "fr", voice="Polly.Lea")
    reading = '<Say language="fr-FR" voice="Polly.Lea">Dupont &amp; fils: 1 234,50 euros &lt;overdue&gt;</Say>'
    assert twiml.count(reading) == 2
    assert '<Pause length="2" />' in twiml


# --- Twilio REST ---------------------------------------------------------------------------------------------------


async def test_an_sms_is_posted_to_twilio_with_its_callback(twilio_server: FakeTwilio) -> None:
    delivery = await channels(twilio_server).send_text(sms())

    [request] = twilio_server.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request.form["To"] == ["+33612345678"]
    assert request.form["From"] == ["+33700000001"]
    assert request.form["Body"] == [sms().body]
    callback = urlsplit(request.form["StatusCallback"][0])
    assert callback.netloc == "opendso.example"
    assert dict(parse_qsl(callback.query)) == {"message_key": "reminder-42", "channel": "sms"}
    assert request.authorization == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert delivery.provider == "twilio"
    assert delivery.ref == "SM" + "0" * 31 + "1"
    assert delivery.accepted_at == NOW
    assert delivery.detail == "status queued"


async def test_a_whatsapp_message_prefixes_both_numbers(twilio_server: FakeTwilio) -> None:
    await channels(twilio_server).send_text(sms(channel=Channel.WHATSAPP))

    [request] = twilio_server.requests
    assert request.form["To"] == ["whatsapp:+33612345678"]
    assert request.form["From"] == ["whatsapp:+33700000002"]
    assert dict(parse_qsl(urlsplit(request.form["StatusCallback"][0]).query))["channel"] == "whatsapp"


async def test_a_whatsapp_template_sends_its_content_sid_and_variables(twilio_server: FakeTwilio) -> None:
    message = sms(channel=Channel.WHATSAPP, content_sid="HX123", content_variables={"1": "Dupont", "2": "1 234,50 €"})
    await channels(twilio_server).send_text(message)

    [request] = twilio_server.requests
    assert request.form["ContentSid"] == ["HX123"]
    assert json.loads(request.form["ContentVariables"][0]) == {"1": "Dupont", "2": "1 234,50 €"}
    assert "Body" not in request.form


async def test_a_voice_call_says_the_message_in_its_language(twilio_server: FakeTwilio) -> None:
    call = OutboundCall(
        message_key="call-7", to="+49 30 901820", language="de", say="Guten Tag, offen sind 1.234,50 Euro."
    )
    delivery = await channels(twilio_server, voices={"de": "Polly.Vicki"}).place_call(call)

    [request] = twilio_server.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    assert request.form["To"] == ["+4930901820"]
    assert request.form["From"] == ["+33700000003"]
    assert (
        '<Say language="de-DE" voice="Polly.Vicki">Guten Tag, offen sind 1.234,50 Euro.</Say>'
        in (request.form["Twiml"][0])
    )
    assert "Url" not in request.form
    assert dict(parse_qsl(urlsplit(request.form["StatusCallback"][0]).query))["channel"] == "voice"
    assert delivery.ref.startswith("CA")


async def test_a_voice_call_can_play_twiml_from_a_url(twilio_server: FakeTwilio) -> None:
    call = OutboundCall(message_key="call-8", to="+33612345678", language="fr", twiml_url="https://tw.example/r.xml")
    await channels(twilio_server, detect_answering_machine=True).place_call(call)

    [request] = twilio_server.requests
    assert request.form["Url"] == ["https://tw.example/r.xml"]
    assert request.form["MachineDetection"] == ["Enable"]
    assert "Twiml" not in request.form


async def test_an_invalid_to_number_is_a_final_error(twilio_server: FakeTwilio) -> None:
    twilio_server.answers.append(
        (
            400,
            {
                "code": 21211,
                "message": "The 'To' number +33612345678 is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            },
        )
    )
    with pytest.raises(ProviderError) as caught:
        await channels(twilio_server).send_text(sms())
    assert not caught.value.retryable
    assert caught.value.code == "21211"
    assert "is not a valid phone number" in caught.value.reason
    assert "sms to +33612345678" in caught.value.reason


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, {"code": 20429, "message": "Too Many Requests", "status": 429}),
        (503, {"code": 20503, "message": "Service Unavailable", "status": 503}),
        (400, {"code": 21611, "message": "This 'From' number has exceeded the queue", "status": 400}),
    ],
)
async def test_throttling_and_outages_are_retryable(
    twilio_server: FakeTwilio, status: int, body: dict[str, Any]
) -> None:
    twilio_server.answers.append((status, body))
    with pytest.raises(ProviderError) as caught:
        await channels(twilio_server).send_text(sms())
    assert caught.value.retryable
    assert caught.value.code == str(body["code"])


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"code": 20003, "message": "Authenticate", "status": 401}),
        (401, {"message": "Unauthorized", "status": 401}),  # no code: the status says it
        (403, {"code": 20005, "message": "Account not active", "status": 403}),
        (400, {"code": 21606, "message": "The From phone number is not a valid, SMS-capable number", "status": 400}),
    ],
)
async def test_refused_credentials_a_closed_account_or_a_foreign_sender_are_configuration_errors(
    twilio_server: FakeTwilio, status: int, body: dict[str, Any]
) -> None:
    twilio_server.answers.extend([(status, body), (status, body)])
    for send in (
        channels(twilio_server).send_text(sms()),
        channels(twilio_server).place_call(
            OutboundCall(message_key="call-9", to="+33612345678", language="fr", say="Bonjour")
        ),
    ):
        with pytest.raises(ProviderError) as caught:
            await send
        # Not the message's fault: the dispatcher pauses the channel and keeps the message queued.
        assert caught.value.configuration and caught.value.retryable
        assert "configuration" in str(caught.value)


async def test_an_unreachable_twilio_is_retryable() -> None:
    # Port 9 on loopback (discard) is closed on test machines: the connection is refused.
    with pytest.raises(ProviderError, match="cannot reach Twilio") as caught:
        await TwilioChannels(settings("http://127.0.0.1:9")).send_text(sms())
    assert caught.value.retryable


async def test_a_channel_without_a_sender_number_is_a_final_error(twilio_server: FakeTwilio) -> None:
    with pytest.raises(ProviderError, match="no Twilio sender number configured for whatsapp") as caught:
        await channels(twilio_server, whatsapp_from="").send_text(sms(channel=Channel.WHATSAPP))
    assert not caught.value.retryable
    assert twilio_server.requests == []


def test_the_callback_url_keeps_its_own_query() -> None:
    url = callback_url("https://gw.example/hooks/twilio?tenant=acme", "key with spaces&more", Channel.SMS)
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "tenant": "acme",
        "message_key": "key with spaces&more",
        "channel": "sms",
    }


def test_a_message_sent_before_a_crash_is_found_again(twilio_server: FakeTwilio) -> None:
    created = format_datetime(datetime(2025, 3, 14, 9, 0, 30, tzinfo=UTC))
    twilio_server.listed = [
        {"sid": "SMother", "body": "another text", "date_created": created, "to": "+33612345678"},
        {"sid": "SMours", "body": sms().body, "date_created": created, "to": "+33612345678"},
    ]
    found = channels(twilio_server).find_sent_text(sms(), since=NOW)

    assert found == "SMours"
    [request] = twilio_server.requests
    assert request.method == "GET"
    assert request.query["To"] == ["+33612345678"]
    assert request.query["From"] == ["+33700000001"]


def test_an_older_message_with_the_same_text_is_not_taken_for_ours(twilio_server: FakeTwilio) -> None:
    old = format_datetime(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    twilio_server.listed = [{"sid": "SMold", "body": sms().body, "date_created": old}]
    assert channels(twilio_server).find_sent_text(sms(), since=NOW) is None


def test_a_call_placed_before_a_crash_is_found_again(twilio_server: FakeTwilio) -> None:
    twilio_server.listed = [{"sid": "CAours", "date_created": format_datetime(NOW), "to": "+33612345678"}]
    call = OutboundCall(message_key="call-9", to="+33612345678", language="fr", say="Bonjour")
    assert channels(twilio_server).find_placed_call(call, since=NOW) == "CAours"
    assert twilio_server.requests[0].path.endswith("/Calls.json")


# --- local mode ----------------------------------------------------------------------------------------------------


async def test_the_local_outbox_writes_a_readable_file_per_message(tmp_path: Path) -> None:
    outbox = LocalTextOutbox(tmp_path / "outbox", clock=lambda: NOW)
    delivery = await outbox.send_text(sms())

    path = tmp_path / "outbox" / delivery.ref
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written == {
        "channel": "sms",
        "message_key": "reminder-42",
        "from": "OpenDSO",
        "to": "+33612345678",
        "body": sms().body,
        "written_at": "2025-03-14T09:00:00+00:00",
    }
    # Readable as it is: the euro sign is not escaped.
    assert "1 234,50 €" in path.read_text(encoding="utf-8")
    assert delivery.provider == "local-text"


async def test_the_local_outbox_writes_a_key_once(tmp_path: Path) -> None:
    outbox = LocalTextOutbox(tmp_path, clock=lambda: NOW)
    first = await outbox.send_text(sms())
    again = await outbox.send_text(sms(body="a different text"))

    assert again.ref == first.ref
    assert outbox.read(Channel.SMS, "reminder-42")["body"] == sms().body
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.ref]  # noqa: ASYNC240 - a test's tmp folder


async def test_the_local_outbox_keeps_channels_apart(tmp_path: Path) -> None:
    outbox = LocalTextOutbox(tmp_path, clock=lambda: NOW)
    text = await outbox.send_text(sms())
    whatsapp = await outbox.send_text(sms(channel=Channel.WHATSAPP))
    assert text.ref != whatsapp.ref
    assert whatsapp.ref.startswith("whatsapp-reminder-42-")


async def test_the_local_outbox_writes_a_call_with_its_twiml(tmp_path: Path) -> None:
    outbox = LocalTextOutbox(tmp_path, clock=lambda: NOW)
    call = OutboundCall(message_key="call-7", to="+4930901820", language="de", say="Offen sind 1.234,50 Euro.")
    await outbox.place_call(call)

    written = outbox.read(Channel.VOICE, "call-7")
    assert written["say"] == "Offen sind 1.234,50 Euro."
    assert written["language"] == "de"
    assert '<Say language="de-DE">Offen sind 1.234,50 Euro.</Say>' in written["twiml"]


def test_reading_a_key_never_written_names_it(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="no sms message 'nope'"):
        LocalTextOutbox(tmp_path).read(Channel.SMS, "nope")
