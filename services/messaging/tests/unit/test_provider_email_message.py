from __future__ import annotations

import secrets
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


def header_lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def test_long_headers_fold_to_78_characters_and_read_back_as_written() -> None:
    subject = "Relance : factures échues de la Société Générale des Eaux et Forêts, compte C042 " * 3
    key = "FR01/" + "C" * 300
    email = outbound(
        subject=subject.strip(),
        message_key=key,
        to=tuple(f"Comptabilité fournisseurs {n} <ap{n}@müller.example>" for n in range(6)),
        headers=(("X-Campaign", "march " * 30),),
    )

    data = build_email_bytes(email, sent_at=SENT_AT)
    message = parse(data)

    assert data.isascii()
    assert all(len(line) <= 78 for line in header_lines(data) if not line.startswith(b"X-OpenDSO-Message-Key"))
    assert message["Subject"] == subject.strip()
    # Bounce processors read this header raw: a long key stays one unencoded line (within 998).
    assert f"X-OpenDSO-Message-Key: {key}".encode() in header_lines(data)
    assert message["X-Campaign"] == "march " * 30
    assert [a.addr_spec for a in message["To"].addresses] == [f"ap{n}@xn--mller-kva.example" for n in range(6)]
    assert message["To"].addresses[5].display_name == "Comptabilité fournisseurs 5"


def test_text_that_looks_like_an_encoded_word_is_encoded_so_it_reads_back_as_written() -> None:
    message = parse(build_email_bytes(outbound(subject="Payment =?utf-8?q?x?= reference"), sent_at=SENT_AT))

    assert message["Subject"] == "Payment =?utf-8?q?x?= reference"


def test_a_display_name_with_a_comma_is_quoted() -> None:
    message = parse(build_email_bytes(outbound(sender='"Acme, Credit Dept." <credit@acme.example>'), sent_at=SENT_AT))

    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Acme, Credit Dept.", "credit@acme.example")


def test_an_address_whose_local_part_is_not_ascii_is_refused() -> None:
    with pytest.raises(ValueError, match="non-ASCII local part"):
        build_email_bytes(outbound(to=("josé@dupont.example",)), sent_at=SENT_AT)


@pytest.mark.parametrize(
    "text",
    [
        "plain ascii text\nwith two lines",
        "trailing spaces   \nand tabs\t\n.a dot first\n=equals= and --dashes--\n",
        "a line longer than a thousand characters " * 40,
        "Vážený zákazníku, Ελληνικά, русский текст, 日本語のテキスト\n" * 20,
        "mixed \r\n line ends \r and more\n",
    ],
)
def test_every_body_line_is_short_and_the_text_reads_back_with_newlines(text: str) -> None:
    email = outbound(text=text, html=f"<p>{text}</p>", inline_images=(), attachments=())

    data = build_email_bytes(email, sent_at=SENT_AT)
    message = parse(data)

    assert data.isascii()
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert b"\n" not in data.replace(b"\r\n", b"")
    plain = message.get_body(preferencelist=("plain",))
    assert isinstance(plain, EmailMessage)
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert plain.get_content() == (expected if expected.endswith("\n") else expected + "\n")


def test_a_text_holding_the_boundary_gets_another_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 7bit part is written as it is: it must not contain the delimiter of its multipart.
    tokens = iter(["feedbeef" * 3, "0badcafe" * 3])
    monkeypatch.setattr(secrets, "token_hex", lambda n=None: next(tokens))

    data = build_email_bytes(
        outbound(text="before\n--=_" + "feedbeef" * 3 + "_a\nafter\n", inline_images=(), attachments=()),
        sent_at=SENT_AT,
    )

    plain = parse(data).get_body(preferencelist=("plain",))
    assert isinstance(plain, EmailMessage)
    assert plain.get_content() == "before\n--=_" + "feedbeef" * 3 + "_a\nafter\n"
    assert b'boundary="=_' + b"0badcafe" * 3 + b'_a"' in data


def test_a_non_ascii_attachment_name_is_written_per_rfc_2231() -> None:
    email = outbound(attachments=(Attachment("Relevé de compte.pdf", "application/pdf", PDF),))

    [attachment] = parse(build_email_bytes(email, sent_at=SENT_AT)).iter_attachments()

    assert attachment.get_filename() == "Relevé de compte.pdf"
    assert attachment.get_content() == PDF


@pytest.mark.parametrize(
    "subject",
    [
        "Připomínka: faktura č. 2025-001 \u2013 Účtárna Žluťoučký kůň úpěl ďábelské ódy " * 2,
        "請求書の支払いが遅れています。至急ご確認ください。" * 3,
        "Rappel 🔔 facture échue 💶 " * 6,
        "a" * 70 + "é" + "b" * 70,
    ],
)
def test_an_encoded_subject_splits_between_characters_into_short_words(subject: str) -> None:
    data = build_email_bytes(outbound(subject=subject), sent_at=SENT_AT)
    lines = header_lines(data)
    start = next(i for i, line in enumerate(lines) if line.startswith(b"Subject:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(b" "))

    assert all(len(line) <= 78 for line in lines[start:end])
    assert all(len(word) <= 75 for line in lines[start:end] for word in line.split() if word.startswith(b"=?"))
    assert parse(data)["Subject"] == subject
