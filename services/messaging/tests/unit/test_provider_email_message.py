from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from opendso_messaging.providers import Attachment, InlineImage, OutboundEmail
from opendso_messaging.providers.mime import build_email_bytes, message_id_header

SENT_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n fake qr code"
PDF = b"%PDF-1.7\n\x00\xff invoice"


def outbound(message_id: str = "3f1c0b7e-reminder", **changes: Any) -> OutboundEmail:
    fields: dict[str, Any] = {
        "message_id": message_id,
        "sender": "Acme Credit <credit@acme.example>",
        "to": ("Marie Dupont <marie.dupont@dupont.example>",),
        "subject": "Reminder: overdue invoices",
        "text": "Dear Marie,\nplease pay.\n",
        "html": '<html><body><p>Please pay.</p><img src="cid:payment-qr" alt="QR"></body></html>\n',
        "inline_images": (InlineImage(cid="payment-qr", content=PNG, filename="qr.png"),),
        "attachments": (Attachment("INV-2025-001.pdf", "application/pdf", PDF),),
        "message_key": "FR01/C042/friendly/INV-2025-001",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    fields.update(changes)
    return OutboundEmail(**fields)


def parse(data: bytes) -> EmailMessage:
    # The wire form has CRLF line ends; a mail client shows the text with plain newlines.
    message = BytesParser(policy=policy.default).parsebytes(data.replace(b"\r\n", b"\n"))
    assert isinstance(message, EmailMessage)
    return message


def test_the_message_has_text_html_inline_qr_and_attachment_in_the_usual_structure() -> None:
    message = parse(build_email_bytes(outbound(), sent_at=SENT_AT))

    assert message.get_content_type() == "multipart/mixed"
    [alternative, attachment] = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    [plain, related] = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    [html, image] = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<payment-qr>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == PNG
    assert attachment.get_filename() == "INV-2025-001.pdf"
    assert attachment.get_content() == PDF


def test_the_html_references_the_inline_image_by_its_content_id() -> None:
    message = parse(build_email_bytes(outbound(), sent_at=SENT_AT))

    html = message.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html.get_content()


def test_the_opendso_headers_and_the_date_are_written() -> None:
    message = parse(build_email_bytes(outbound(reply_to="ar@acme.example"), sent_at=SENT_AT))

    assert message["X-OpenDSO-Message-Key"] == "FR01/C042/friendly/INV-2025-001"
    assert message["X-OpenDSO-Trace-Id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert message["Reply-To"] == "ar@acme.example"
    assert message["Date"] == "Fri, 14 Mar 2025 09:30:00 +0000"
    assert message["To"] == "Marie Dupont <marie.dupont@dupont.example>"


def test_the_message_id_comes_from_the_given_id_at_the_sender_domain_on_every_attempt() -> None:
    first = parse(build_email_bytes(outbound(), sent_at=SENT_AT))
    retry = parse(build_email_bytes(outbound(), sent_at=datetime(2025, 3, 15, tzinfo=UTC)))

    assert first["Message-ID"] == "<3f1c0b7e-reminder@acme.example>"
    assert retry["Message-ID"] == first["Message-ID"]
    assert message_id_header(outbound("a b")) == "<a%20b@acme.example>"


def test_the_wire_form_is_ascii_with_crlf_even_for_czech_and_french_text() -> None:
    email = outbound(
        subject="Upomínka: faktura č. 2025-001 \u2013 Société Générale",
        text="Vážený zákazníku, dès que possible.\n",
        sender="Účtárna Acme <ucetni@acme.example>",
    )

    data = build_email_bytes(email, sent_at=SENT_AT)
    message = parse(data)

    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert message["Subject"] == "Upomínka: faktura č. 2025-001 \u2013 Société Générale"
    assert message["From"] == "Účtárna Acme <ucetni@acme.example>"
    plain = message.get_body(preferencelist=("plain",))
    assert isinstance(plain, EmailMessage)
    assert plain.get_content() == "Vážený zákazníku, dès que possible.\n"


def test_a_text_only_email_is_a_single_plain_part() -> None:
    message = parse(build_email_bytes(outbound(html="", inline_images=(), attachments=()), sent_at=SENT_AT))

    assert message.get_content_type() == "text/plain"


def test_custom_headers_are_added() -> None:
    message = parse(build_email_bytes(outbound(headers=(("X-Campaign", "march"),)), sent_at=SENT_AT))

    assert message["X-Campaign"] == "march"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"to": ()}, "has no recipient"),
        ({"to": ("not-an-address",)}, "is not an e-mail address"),
        ({"sender": "Acme\r\nBcc: x@example.com <a@b.example>"}, "line break"),
        ({"subject": "Hi\nBcc: all@example.com"}, "line break in its subject"),
        ({"message_key": "k\r\nBcc: x@example.com"}, "message key .* line break"),
        ({"headers": (("Subject", "again"),)}, "written by the builder itself"),
        ({"headers": (("Bad Name", "x"),)}, "invalid header name"),
        ({"html": "<p>no image here</p>"}, "'payment-qr' is not referenced by the HTML"),
        ({"inline_images": (InlineImage(cid="a b", content=PNG),)}, "cid 'a b' may only hold"),
    ],
)
def test_an_email_that_cannot_be_sent_safely_is_refused_with_the_reason(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        outbound(**changes)


def test_an_attachment_with_a_malformed_type_goes_as_octet_stream() -> None:
    email = outbound(attachments=(Attachment("data.bin", "weird", b"\x01"),))

    [attachment] = parse(build_email_bytes(email, sent_at=SENT_AT)).iter_attachments()

    assert attachment.get_content_type() == "application/octet-stream"
