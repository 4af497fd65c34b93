from __future__ import annotations

import io
import json
import re
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import segno
from opendso_messaging.local_outbox import LocalOutbox
from opendso_messaging.providers import InlineImage, Letter, LetterTable, OutboundEmail, PostalAddress
from opendso_messaging.providers.letters import (
    DiskLetterStore,
    LetterFont,
    PrintAndPost,
    find_unicode_font,
    render_letter_pdf,
    transliterate_latin1,
)
from opendso_messaging.providers.local import LocalEmailSender, local_letter_sender

CREATED = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def qr_png() -> bytes:
    buffer = io.BytesIO()
    segno.make("SPD*1.0*ACC:CZ6508000000192000145399*AM:1200.50*CC:EUR", error="m").save(buffer, kind="png", scale=4)
    return buffer.getvalue()


def letter(letter_id: str = "letter-3f1c0b7e", **changes: object) -> Letter:
    fields: dict[str, object] = {
        "letter_id": letter_id,
        "sender": PostalAddress("Acme s.r.o.", ("Václavské nám. 1", "110 00 Praha", "Česko")),
        "recipient": PostalAddress("Žluťoučký kůň, s.r.o.", ("Příčná 5", "602 00 Brno")),
        "date": "14. března 2025",
        "subject": "Upomínka: faktura č. 2025-001",
        "body": "Vážený zákazníku,\n\nprosíme o úhradu \u2013 děkujeme.\n\nS pozdravem\nAcme",
        "table": LetterTable(
            ("Faktura", "Splatnost", "Částka"), (("2025-001", "1. 2. 2025", "1 200,50 €"),), ("L", "L", "R")
        ),
        "payment_qr_png": qr_png(),
        "qr_caption": "Zaplaťte QR platbou",
        "registered": True,
        "message_key": "CZ01/C042/formal/2025-001",
    }
    fields.update(changes)
    return Letter(**fields)  # type: ignore[arg-type]


def unicode_font() -> LetterFont:
    font = find_unicode_font()
    if font is None:
        pytest.skip("no DejaVu Sans on this machine (Debian: fonts-dejavu-core)")
    return font


# A small PDF text reader for fpdf2's output (no PDF library is installed): with a
# TrueType font the text is glyph ids, which the font's ToUnicode map turns back
# into characters; with a core font it is latin-1.
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_TJ = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for raw in _STREAM.findall(pdf):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return out


def _unescape(literal: bytes) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        escaped = match.group(1)
        if escaped[:1].isdigit():
            return bytes([int(escaped, 8)])
        return _ESCAPES.get(escaped, escaped)

    return re.sub(rb"\\([0-7]{1,3}|.)", replace, literal, flags=re.S)


def pdf_text(pdf: bytes) -> str:
    """Every shown string, decoded with each embedded font's map (a string decodes right under its own font)."""
    streams = _streams(pdf)
    shown = [_unescape(s) for stream in streams for s in _TJ.findall(stream)]
    maps = [
        {int(gid, 16): chr(int(code, 16)) for gid, code in _BFCHAR.findall(stream)}
        for stream in streams
        if b"beginbfchar" in stream
    ]
    if not maps:
        return "\n".join(s.decode("latin-1") for s in shown)
    decoded = []
    for cmap in maps:
        for s in shown:
            gids = [int.from_bytes(s[i : i + 2], "big") for i in range(0, len(s) - 1, 2)]
            decoded.append("".join(cmap.get(gid, "\ufffd") for gid in gids))
    return "\n".join(decoded)


def test_a_letter_renders_its_czech_text_with_the_unicode_font() -> None:
    pdf = render_letter_pdf(letter(), font=unicode_font(), created_at=CREATED)
    text = pdf_text(pdf)

    assert pdf.startswith(b"%PDF-")
    assert b"DejaVuSans" in pdf
    for expected in [
        "Žluťoučký kůň, s.r.o.",
        "Příčná 5",
        "Václavské nám. 1",
        "14. března 2025",
        "Upomínka: faktura č. 2025-001",
        "prosíme o úhradu \u2013 děkujeme.",
        "1 200,50 €",
        "Zaplaťte QR platbou",
    ]:
        assert expected in text


def test_the_payment_qr_code_is_embedded_as_an_image() -> None:
    with_qr = render_letter_pdf(letter(), font=unicode_font(), created_at=CREATED)
    without = render_letter_pdf(letter(payment_qr_png=None), font=unicode_font(), created_at=CREATED)

    assert b"/Subtype /Image" in with_qr
    assert b"/Subtype /Image" not in without


def test_an_unreadable_qr_image_is_refused_naming_the_letter() -> None:
    with pytest.raises(ValueError, match="letter 'letter-3f1c0b7e': the payment QR code is not a readable image"):
        render_letter_pdf(letter(payment_qr_png=b"not a png"), font=unicode_font(), created_at=CREATED)


def test_the_same_letter_renders_to_the_same_bytes() -> None:
    font = unicode_font()

    assert render_letter_pdf(letter(), font=font, created_at=CREATED) == render_letter_pdf(
        letter(), font=font, created_at=CREATED
    )


def test_a_long_letter_continues_on_a_second_page() -> None:
    rows = tuple((f"2025-{n:03}", "1. 2. 2025", "100,00 €") for n in range(80))
    table = LetterTable(("Faktura", "Splatnost", "Částka"), rows)

    pdf = render_letter_pdf(letter(table=table), font=unicode_font(), created_at=CREATED)

    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 2
    assert "2025-079" in pdf_text(pdf)


def test_without_a_unicode_font_the_text_is_transliterated_to_latin1() -> None:
    pdf = render_letter_pdf(letter(), font=None, created_at=CREATED)
    text = pdf_text(pdf)

    assert b"DejaVu" not in pdf
    assert "Zlutoucký kun, s.r.o." in text
    assert "prosíme o úhradu - dekujeme." in text
    assert "1 200,50 EUR" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Příčná", "Prícná"),
        ("Łódź", "Lódz"),
        ("Straße, Genève", "Straße, Genève"),
        ("„quoted“ \u2013 5 €", '"quoted" - 5 EUR'),
        ("Ş ț ő", "S t o"),
        ("日本", "??"),
    ],
)
def test_transliteration_keeps_latin1_and_drops_only_what_latin1_lacks(text: str, expected: str) -> None:
    assert transliterate_latin1(text) == expected


def test_a_table_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="row 2 of the letter table has 1 cells, the headings 2"):
        LetterTable(("a", "b"), (("1", "2"), ("3",)))


def test_a_postal_address_without_lines_is_refused() -> None:
    with pytest.raises(ValueError, match="postal address of 'Dupont SA' has no street"):
        PostalAddress("Dupont SA", ("",))


async def test_the_disk_store_writes_the_pdf_and_a_manifest_with_registration_and_address(tmp_path: Path) -> None:
    store = DiskLetterStore(tmp_path / "print", clock=lambda: CREATED)

    delivery = await store.store(letter(), b"%PDF-1.3 letter")

    pdf_path, manifest_path = store.paths_for("letter-3f1c0b7e")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert delivery.provider == "disk"
    assert delivery.ref == pdf_path.name
    assert delivery.accepted_at == CREATED
    assert pdf_path.read_bytes() == b"%PDF-1.3 letter"
    assert manifest["registered"] is True
    assert manifest["recipient"] == {"name": "Žluťoučký kůň, s.r.o.", "lines": ["Příčná 5", "602 00 Brno"]}
    assert manifest["message_key"] == "CZ01/C042/formal/2025-001"
    assert manifest["pdf"] == pdf_path.name
    assert manifest["stored_at"] == "2025-03-14T09:00:00+00:00"


async def test_storing_the_same_letter_again_keeps_the_first(tmp_path: Path) -> None:
    times = iter([CREATED, datetime(2025, 3, 15, tzinfo=UTC)])
    store = DiskLetterStore(tmp_path / "print", clock=lambda: next(times))
    first = await store.store(letter(), b"%PDF first")

    again = await store.store(letter(), b"%PDF second")

    assert again == first
    pdf_path, _ = store.paths_for("letter-3f1c0b7e")
    assert pdf_path.read_bytes() == b"%PDF first"
    assert sorted(p.suffix for p in (tmp_path / "print").iterdir()) == [".json", ".pdf"]


async def test_a_pdf_left_without_its_manifest_by_a_crash_is_replaced(tmp_path: Path) -> None:
    store = DiskLetterStore(tmp_path / "print", clock=lambda: CREATED)
    pdf_path, manifest_path = store.paths_for("letter-3f1c0b7e")
    pdf_path.parent.mkdir(parents=True)
    pdf_path.write_bytes(b"%PDF half writ")

    await store.store(letter(), b"%PDF complete")

    assert pdf_path.read_bytes() == b"%PDF complete"
    assert manifest_path.exists()


async def test_distinct_letter_ids_that_look_alike_get_distinct_files(tmp_path: Path) -> None:
    store = DiskLetterStore(tmp_path / "print")

    slashed = await store.store(letter("../a b"), b"%PDF 1")
    underscored = await store.store(letter("_a_b"), b"%PDF 2")

    assert slashed.ref != underscored.ref
    assert "/" not in slashed.ref and not slashed.ref.startswith(".")


async def test_local_mode_renders_letters_into_a_folder(tmp_path: Path) -> None:
    sender = local_letter_sender(tmp_path / "letters", font=unicode_font())

    delivery = await sender.send(letter(registered=False))

    pdf = (tmp_path / "letters" / delivery.ref).read_bytes()
    manifest = json.loads((tmp_path / "letters" / delivery.ref).with_suffix(".json").read_text(encoding="utf-8"))
    assert delivery.provider == "local"
    assert "Žluťoučký kůň, s.r.o." in pdf_text(pdf)
    assert manifest["registered"] is False


def test_print_and_post_finds_the_machine_font_by_itself(tmp_path: Path) -> None:
    expected = unicode_font()

    assert PrintAndPost(DiskLetterStore(tmp_path)).font == expected
    assert PrintAndPost(DiskLetterStore(tmp_path), font=None).font is None


async def test_local_mode_e_mails_go_to_the_outbox_once_with_their_attachments(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path / "outbox", clock=lambda: CREATED)
    sender = LocalEmailSender(outbox)
    email = OutboundEmail(
        message_id="3f1c0b7e",
        sender="Acme <ar@acme.example>",
        to=("marie@dupont.example",),
        subject="Relance",
        text="Merci de payer.\n",
        html='<p>Merci</p><img src="cid:qr">',
        inline_images=(InlineImage(cid="qr", content=qr_png()),),
        message_key="FR01/C042/friendly/INV-1",
    )

    first = await sender.send(email)
    again = await sender.send(email)

    message = outbox.read("3f1c0b7e")
    assert again == first
    assert first.provider == "local"
    assert first.accepted_at == CREATED
    assert [p.name for p in outbox.list()] == [first.ref]
    assert message["X-OpenDSO-Message-Key"] == "FR01/C042/friendly/INV-1"
    assert message["Message-ID"] == "<3f1c0b7e@acme.example>"
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image.get_content() == qr_png()
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert plain.get_content() == "Merci de payer.\n"
