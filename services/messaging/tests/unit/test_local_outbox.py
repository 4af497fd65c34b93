from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from opendso_messaging.local_outbox import LocalOutbox, OutgoingEmail


class TickingClock:
    """A clock that moves one minute at every reading, so deliveries have distinct times."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def outbox(folder: Path) -> LocalOutbox:
    return LocalOutbox(folder / "outbox", clock=TickingClock())


def email(message_id: str = "reminder-42", **changes: object) -> OutgoingEmail:
    fields: dict[str, object] = {
        "message_id": message_id,
        "sender": "Acme Credit <credit@acme.example>",
        "to": ("marie.dupont@dupont.example",),
        "subject": "Reminder: overdue invoices",
        "text": "Dear Marie,\nplease pay.\n",
        "html": "<!DOCTYPE html>\n<html><body><p>Dear Marie,<br>please pay.</p></body></html>\n",
    }
    fields.update(changes)
    return OutgoingEmail(**fields)  # type: ignore[arg-type]


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    assert isinstance(content, str)
    return content


def test_a_delivered_email_is_an_eml_file_that_reads_back(tmp_path: Path) -> None:
    box = outbox(tmp_path)

    path = box.deliver(email(to=("marie@dupont.example", "compta@dupont.example")))
    message = box.read("reminder-42")

    assert path.parent == tmp_path / "outbox"
    assert path.suffix == ".eml"
    assert message["Message-ID"] == "<reminder-42@opendso.local>"
    assert message["From"] == "Acme Credit <credit@acme.example>"
    assert message["To"] == "marie@dupont.example, compta@dupont.example"
    assert message["Date"] == "Fri, 14 Mar 2025 09:01:00 +0000"
    assert message.get_content_type() == "multipart/alternative"
    assert body(message, "plain") == "Dear Marie,\nplease pay.\n"
    assert "<p>Dear Marie,<br>please pay.</p>" in body(message, "html")


def test_the_file_uses_crlf_line_endings_and_ascii_headers(tmp_path: Path) -> None:
    path = outbox(tmp_path).deliver(email(subject="Relance : échéance dépassée"))

    headers = path.read_bytes().split(b"\r\n\r\n", 1)[0]

    assert headers.isascii()
    assert b"\r\nSubject: =?utf-8?" in headers
    assert b"\n" not in headers.replace(b"\r\n", b"")


def test_delivering_the_same_message_twice_keeps_one_unchanged_file(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    first = box.deliver(email())
    content = first.read_bytes()
    modified = first.stat().st_mtime_ns

    second = box.deliver(email(subject="A retry with another subject"))

    assert second == first
    assert box.list() == [first]
    assert first.read_bytes() == content
    assert first.stat().st_mtime_ns == modified


@pytest.mark.parametrize(
    "subject",
    [
        "Upomínka: faktura č. 2025-001 je po splatnosti \u2013 Žluťoučký kůň, s.r.o.",
        "Relance : facture n° 42 échue \u2013 Société Générale d'Équipement",
    ],
)
def test_a_non_ascii_subject_survives_the_round_trip(tmp_path: Path, subject: str) -> None:
    box = outbox(tmp_path)

    box.deliver(email(subject=subject, text="Vážený zákazníku, dès que possible.\n"))
    message = box.read("reminder-42")

    assert message["Subject"] == subject
    assert body(message, "plain") == "Vážený zákazníku, dès que possible.\n"


def test_an_attachment_is_delivered_with_its_name_type_and_content(tmp_path: Path) -> None:
    pdf = b"%PDF-1.7\n\x00\xff binary statement"
    box = outbox(tmp_path)

    box.deliver(email(attachments=(("statement C-042.pdf", "application/pdf", pdf),)))
    message = box.read("reminder-42")

    assert message.get_content_type() == "multipart/mixed"
    [attachment] = list(message.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    assert attachment.get_filename() == "statement C-042.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
    assert body(message, "plain") == "Dear Marie,\nplease pay.\n"
    assert "please pay" in body(message, "html")


def test_an_attachment_without_a_proper_mime_type_is_sent_as_bytes(tmp_path: Path) -> None:
    box = outbox(tmp_path)

    box.deliver(email(attachments=(("data.bin", "weird", b"\x01\x02"),)))

    [attachment] = list(box.read("reminder-42").iter_attachments())
    assert attachment.get_content_type() == "application/octet-stream"


def test_the_outbox_lists_deliveries_oldest_first(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    ids = ["zulu", "alpha", "mike"]

    paths = [box.deliver(email(message_id)) for message_id in ids]

    assert box.list() == paths


def test_an_outbox_nobody_delivered_to_lists_nothing(tmp_path: Path) -> None:
    assert outbox(tmp_path).list() == []


def test_file_names_are_safe_and_distinct_for_ids_that_look_alike(tmp_path: Path) -> None:
    box = outbox(tmp_path)

    slashed = box.deliver(email("../tenant/a b"))
    underscored = box.deliver(email("_tenant_a_b"))

    assert slashed != underscored
    assert slashed.parent == underscored.parent == tmp_path / "outbox"
    assert "/" not in slashed.name and " " not in slashed.name
    assert not slashed.name.startswith(".")
    assert box.read("../tenant/a b")["Message-ID"] == "<../tenant/a%20b@opendso.local>"


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    box = outbox(tmp_path)

    box.deliver(email())
    box.deliver(email())

    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [box.list()[0].name]


def test_reading_an_id_never_delivered_is_a_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="never-sent"):
        outbox(tmp_path).read("never-sent")


def test_an_email_without_recipient_is_refused() -> None:
    with pytest.raises(ValueError, match="no recipient"):
        email(to=())


@pytest.mark.parametrize("subject", ["Hello\nBcc: everyone@example.com", "Échéance\r\nBcc: x@example.com"])
def test_a_subject_with_a_line_break_is_refused(subject: str) -> None:
    with pytest.raises(ValueError, match="line break in its subject"):
        email(subject=subject)
