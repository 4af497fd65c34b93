"""The SMTP adapter against a real SMTP server (aiosmtpd, in process, on a free port)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from opendso_messaging.providers import Attachment, Delivery, InlineImage, OutboundEmail, ProviderError
from opendso_messaging.providers.email_smtp import SmtpEmailSender, SmtpSettings

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n qr"
PDF = b"%PDF-1.7\n\x00\xff invoice"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """An aiosmtpd handler that keeps what it accepted and answers what a test tells it to."""

    def __init__(self) -> None:
        self.accepted: list[Envelope] = []
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply = ""

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.accepted.append(envelope)
        return "250 2.0.0 Ok: queued as 4XyZ12"

    def message(self, index: int = 0) -> EmailMessage:
        content = self.accepted[index].original_content
        assert isinstance(content, bytes)
        parsed = BytesParser(policy=policy.default).parsebytes(content.replace(b"\r\n", b"\n"))
        assert isinstance(parsed, EmailMessage)
        return parsed


class PipeliningRecorder(Recorder):
    """A recorder whose server offers PIPELINING (as production relays do, unlike aiosmtpd), or not, and
    counts the connections."""

    def __init__(self, pipelining: bool = True) -> None:
        super().__init__()
        self.pipelining = pipelining
        self.greetings = 0

    async def handle_EHLO(
        self, server: SMTPServer, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        self.greetings += 1
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses


def start(recorder: Recorder, **options: Any) -> Controller:
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    controller = start(recorder)
    yield recorder, controller.port
    controller.stop()


def plain(port: int, **changes: Any) -> SmtpEmailSender:
    return SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5, **changes))


def email(**changes: Any) -> OutboundEmail:
    fields: dict[str, Any] = {
        "message_id": "8d2f6a51-reminder",
        "sender": "Acme Credit <credit@acme.example>",
        "to": ("marie@dupont.example",),
        "subject": "Relance : facture échue",
        "text": "Merci de régler.\n",
        "html": '<p>Merci</p><img src="cid:payment-qr">',
        "inline_images": (InlineImage(cid="payment-qr", content=PNG),),
        "attachments": (Attachment("FAC-2025-001.pdf", "application/pdf", PDF),),
        "message_key": "FR01/C042/friendly/FAC-2025-001",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    fields.update(changes)
    return OutboundEmail(**fields)


async def test_the_message_arrives_with_its_headers_attachment_and_inline_qr(
    smtp_server: tuple[Recorder, int],
) -> None:
    recorder, port = smtp_server

    delivery = await plain(port, envelope_from="bounces@acme.example").send(email())

    [envelope] = recorder.accepted
    message = recorder.message()
    assert envelope.mail_from == "bounces@acme.example"
    assert envelope.rcpt_tos == ["marie@dupont.example"]
    assert message["Message-ID"] == "<8d2f6a51-reminder@acme.example>"
    assert message["X-OpenDSO-Message-Key"] == "FR01/C042/friendly/FAC-2025-001"
    assert message["X-OpenDSO-Trace-Id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert message["Subject"] == "Relance : facture échue"
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "FAC-2025-001.pdf"
    assert attachment.get_content() == PDF
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<payment-qr>"
    assert image.get_content() == PNG
    assert delivery.provider == "smtp"
    assert delivery.ref == "<8d2f6a51-reminder@acme.example>"
    assert delivery.detail == "250 2.0.0 Ok: queued as 4XyZ12"


async def test_a_4xx_answer_to_data_is_retryable(smtp_server: tuple[Recorder, int]) -> None:
    recorder, port = smtp_server
    recorder.data_reply = "451 4.3.0 Try again later"

    with pytest.raises(ProviderError) as raised:
        await plain(port).send(email())

    assert raised.value.retryable is True
    assert raised.value.code == "451"
    assert "Try again later" in raised.value.reason


async def test_a_550_recipient_refusal_is_final(smtp_server: tuple[Recorder, int]) -> None:
    recorder, port = smtp_server
    recorder.rcpt_replies["marie@dupont.example"] = "550 5.1.1 No such user"

    with pytest.raises(ProviderError) as raised:
        await plain(port).send(email())

    assert raised.value.retryable is False
    assert raised.value.code == "550"
    assert "marie@dupont.example: 550 5.1.1 No such user" in raised.value.reason
    assert recorder.accepted == []


async def test_a_greylisted_recipient_is_retryable(smtp_server: tuple[Recorder, int]) -> None:
    recorder, port = smtp_server
    recorder.rcpt_replies["marie@dupont.example"] = "450 4.2.0 Greylisted, come back later"

    with pytest.raises(ProviderError) as raised:
        await plain(port).send(email())

    assert raised.value.retryable is True


async def test_one_refused_recipient_among_two_is_reported_while_the_other_gets_the_mail(
    smtp_server: tuple[Recorder, int],
) -> None:
    recorder, port = smtp_server
    recorder.rcpt_replies["old@dupont.example"] = "550 5.1.1 No such user"

    delivery = await plain(port).send(email(to=("marie@dupont.example", "old@dupont.example")))

    assert delivery.refused_recipients == ("old@dupont.example",)
    assert recorder.accepted[0].rcpt_tos == ["marie@dupont.example"]


async def test_a_refused_connection_is_retryable() -> None:
    with pytest.raises(ProviderError) as raised:
        await plain(free_port()).send(email())

    assert raised.value.retryable is True
    assert raised.value.code == "ConnectionRefusedError"


async def test_a_server_that_never_answers_times_out_retryably() -> None:
    # A listening socket nobody serves: the connection opens, the greeting never comes.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        sender = SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=0.5))

        with pytest.raises(ProviderError) as raised:
            await sender.send(email())

    assert raised.value.retryable is True
    assert raised.value.code == "timeout"


# Login in clear is what this test is about; aiosmtpd warns about it.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_login_with_the_right_password_sends_and_a_wrong_one_is_a_configuration_error() -> None:
    def authenticator(
        server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        # handled=False: aiosmtpd then answers 535 itself (with the default, nobody answers).
        return AuthResult(success=auth_data.login == b"ar" and auth_data.password == b"s3cret", handled=False)

    recorder = Recorder()
    controller = start(recorder, authenticator=authenticator, auth_require_tls=False, auth_required=True)
    try:
        await plain(controller.port, username="ar", password="s3cret").send(email())
        with pytest.raises(ProviderError) as raised:
            await plain(controller.port, username="ar", password="wrong").send(email())
    finally:
        controller.stop()

    assert len(recorder.accepted) == 1
    # No message can go until the password is changed: the dispatcher pauses the channel, failing none.
    assert raised.value.configuration is True
    assert raised.value.code == "535"
    assert "login as 'ar' refused" in raised.value.reason


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


async def test_starttls_sends_over_tls_and_an_untrusted_certificate_is_a_configuration_error(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    recorder = Recorder()
    controller = start(recorder, tls_context=server_context, require_starttls=True)
    trusting = ssl.create_default_context(cafile=str(cert))
    try:
        await SmtpEmailSender(
            SmtpSettings(host="127.0.0.1", port=controller.port, security="starttls", ssl_context=trusting)
        ).send(email())
        with pytest.raises(ProviderError) as raised:
            # The system's trust store does not know the test certificate.
            await SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=controller.port, security="starttls")).send(
                email()
            )
    finally:
        controller.stop()

    assert len(recorder.accepted) == 1
    assert raised.value.configuration is True
    assert raised.value.code == "tls-certificate"


async def test_starttls_required_against_a_server_without_it_is_a_configuration_error(
    smtp_server: tuple[Recorder, int],
) -> None:
    recorder, port = smtp_server

    with pytest.raises(ProviderError) as raised:
        await SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=port, security="starttls", timeout=5)).send(email())

    assert raised.value.configuration is True
    assert raised.value.code == "unsupported"
    assert recorder.accepted == []


@pytest.mark.parametrize("pipelining", [True, False])
async def test_a_batch_goes_over_one_connection_and_a_refused_message_does_not_stop_the_others(
    pipelining: bool,
) -> None:
    recorder = PipeliningRecorder(pipelining)
    controller = start(recorder)
    recorder.rcpt_replies["gone@dupont.example"] = "550 5.1.1 No such user"
    emails = [
        email(message_id="m1", to=("marie@dupont.example",), text="first\n.a line starting with a dot\n"),
        email(message_id="m2", to=("gone@dupont.example",)),
        email(message_id="m3", to=("paul@dupont.example",)),
    ]
    try:
        outcomes = await plain(controller.port).send_many(emails)
    finally:
        controller.stop()

    first, refused, third = outcomes
    assert isinstance(first, Delivery) and isinstance(third, Delivery)
    assert isinstance(refused, ProviderError) and refused.code == "550" and not refused.retryable
    assert [e.rcpt_tos for e in recorder.accepted] == [["marie@dupont.example"], ["paul@dupont.example"]]
    plain_part = recorder.message(0).get_body(preferencelist=("plain",))
    assert isinstance(plain_part, EmailMessage)
    assert plain_part.get_content() == "first\n.a line starting with a dot\n"
    assert third.ref == "<m3@acme.example>"
    assert recorder.greetings == 1


async def test_a_4xx_answer_to_pipelined_data_is_retryable_and_the_next_message_still_goes() -> None:
    recorder = PipeliningRecorder()
    controller = start(recorder)
    replies = iter(["451 4.3.0 Try again later", ""])

    async def data(server: SMTPServer, session: Session, envelope: Envelope) -> str:
        reply = next(replies)
        if reply:
            return reply
        recorder.accepted.append(envelope)
        return "250 OK"

    recorder.handle_DATA = data  # type: ignore[method-assign]
    try:
        outcomes = await plain(controller.port).send_many([email(message_id="m1"), email(message_id="m2")])
    finally:
        controller.stop()

    assert isinstance(outcomes[0], ProviderError) and outcomes[0].retryable and outcomes[0].code == "451"
    assert isinstance(outcomes[1], Delivery)
    assert len(recorder.accepted) == 1
    assert recorder.greetings == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_refused_login_answers_the_same_configuration_error_for_every_message_of_a_batch() -> None:
    def authenticator(
        server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        return AuthResult(success=False, handled=False)

    recorder = Recorder()
    controller = start(recorder, authenticator=authenticator, auth_require_tls=False, auth_required=True)
    try:
        outcomes = await plain(controller.port, username="ar", password="wrong").send_many(
            [email(message_id="m1"), email(message_id="m2")]
        )
    finally:
        controller.stop()

    assert all(isinstance(o, ProviderError) and o.configuration and o.code == "535" for o in outcomes)
    assert recorder.accepted == []


@pytest.mark.parametrize("pipelining", [True, False])
async def test_a_421_after_the_content_is_ambiguous_and_the_next_message_goes_on_a_new_connection(
    pipelining: bool,
) -> None:
    recorder = PipeliningRecorder(pipelining=pipelining)
    controller = start(recorder)
    replies = iter(["421 4.4.2 Connection timed out", ""])

    async def data(server: SMTPServer, session: Session, envelope: Envelope) -> str:
        # A relay that queued the message and then failed to say so.
        recorder.accepted.append(envelope)
        return next(replies) or "250 OK"

    recorder.handle_DATA = data  # type: ignore[method-assign]
    try:
        outcomes = await plain(controller.port).send_many([email(message_id="m1"), email(message_id="m2")])
    finally:
        controller.stop()

    first = outcomes[0]
    assert isinstance(first, ProviderError)
    assert first.ambiguous and not first.retryable and not first.configuration and first.code == "421"
    assert "may have accepted it" in first.reason
    assert isinstance(outcomes[1], Delivery)
    assert len(recorder.accepted) == 2
    assert recorder.greetings == 2  # the connection that answered 421 was not used again


async def test_a_connection_dropped_before_the_reply_to_the_content_is_ambiguous() -> None:
    recorder = Recorder()
    controller = start(recorder)

    async def data(server: SMTPServer, session: Session, envelope: Envelope) -> str:
        recorder.accepted.append(envelope)
        assert server.transport is not None
        server.transport.close()
        return "250 OK"

    recorder.handle_DATA = data  # type: ignore[method-assign]
    try:
        with pytest.raises(ProviderError) as raised:
            await plain(controller.port).send(email())
    finally:
        controller.stop()

    assert raised.value.ambiguous and not raised.value.retryable
    assert raised.value.code == "disconnected"
    assert len(recorder.accepted) == 1


async def test_a_refusal_before_the_content_went_stays_a_clean_retryable_one(smtp_server: tuple[Recorder, int]) -> None:
    recorder, port = smtp_server
    recorder.rcpt_replies["marie@dupont.example"] = "421 4.7.0 Too many connections"

    with pytest.raises(ProviderError) as raised:
        await plain(port).send(email())

    assert raised.value.retryable and not raised.value.ambiguous
    assert recorder.accepted == []
