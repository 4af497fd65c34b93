"""Letters: rendered to PDF with fpdf2, stored where a print-and-post provider collects them.

The PDF is an A4 letter laid out for a window envelope (DIN 5008 / C5/6
window: the recipient's address 45 mm from the top, 20 mm from the left).
fpdf2's built-in fonts only know latin-1, so a Unicode TrueType font is used
when the machine has one (DejaVu Sans, from the ``fonts-dejavu`` package on
Debian); without one, the text is transliterated to latin-1 (``č`` → ``c``,
``€`` → ``EUR``) and a warning is logged, so a Czech or Polish letter still
prints, without its diacritics.

Stores write each letter once per letter id: a PDF plus a JSON manifest
(registered or not, the recipient's address) in a folder, or a PDF object
with that information as metadata, plus the same manifest, in an S3 bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from opendso_messaging.providers import Delivery, Letter, LetterStore, PostalAddress, ProviderError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# Where distributions put DejaVu Sans (Debian/Ubuntu, Fedora, Arch, Alpine).
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),
)
_FAMILY = "LetterSans"
_CORE_FAMILY = "helvetica"

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Customer documents (invoice PDFs the ERP drops) live beside the letters, in this folder or key prefix.
DOCUMENTS = "documents"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LetterFont:
    """A TrueType family for letters: a regular face and, if there is one, a bold face."""

    regular: Path
    bold: Path | None = None


def find_unicode_font(candidates: tuple[Path, ...] = FONT_CANDIDATES) -> LetterFont | None:
    """DejaVu Sans (with its bold face beside it) from the first candidate that exists, else None."""
    for regular in candidates:
        if regular.is_file():
            bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
            return LetterFont(regular=regular, bold=bold if bold.is_file() else None)
    return None


# Characters NFKD does not reduce to latin-1 (it leaves ł, đ and punctuation alone).
_LATIN1_SUBSTITUTES = {
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "\u0131": "i",
    "œ": "oe",
    "Œ": "OE",
    "€": "EUR",
    "\u2013": "-",
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2026": "...",
    "\u2022": "-",
    "\u202f": " ",
    "\u2009": " ",
}


def transliterate_latin1(text: str) -> str:
    """``text`` reduced to latin-1 for fpdf2's core fonts: accents dropped where latin-1 has no letter, ``?`` last.

    Letters latin-1 has (é, ü, ß) stay as they are; others lose their accent
    (č → c, ő → o), a few have a conventional spelling (ł → l, € → EUR).
    """
    out: list[str] = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
        elif char in _LATIN1_SUBSTITUTES:
            out.append(_LATIN1_SUBSTITUTES[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


class _LetterPdf(FPDF):
    def __init__(self, footer_text: str, family: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer_text
        self._family = family

    def footer(self) -> None:
        # The letter id and page count on every page: a print shop that drops a sheet can tell which letter it is.
        self.set_y(-12)
        self.set_font(self._family, "", 7)
        self.set_text_color(110)
        self.cell(0, 4, f"{self._footer_text}  {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


def render_letter_pdf(letter: Letter, *, font: LetterFont | None, created_at: datetime | None = None) -> bytes:
    """The letter as a PDF; the same letter, font and ``created_at`` give the same bytes.

    ``font=None`` uses fpdf2's latin-1 core font with :func:`transliterate_latin1`.
    """
    if font is None:
        family = _CORE_FAMILY
        bold_style = "B"
        log.warning("letter %s: no Unicode font, its text is transliterated to latin-1", letter.letter_id)
        clean: Callable[[str], str] = transliterate_latin1
    else:
        family = _FAMILY
        bold_style = "B" if font.bold else ""
        clean = _identity

    pdf = _LetterPdf(footer_text=clean(letter.letter_id), family=family)
    if font is not None:
        pdf.add_font(_FAMILY, "", str(font.regular))
        if font.bold:
            pdf.add_font(_FAMILY, "B", str(font.bold))
    pdf.set_title(clean(letter.subject))
    pdf.set_creator("OpenDSO")
    pdf.set_creation_date(created_at or _utc_now())
    pdf.set_margins(left=25, top=20, right=20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()

    # Sender, top right.
    pdf.set_font(family, "", 9)
    pdf.set_xy(125, 20)
    for line in letter.sender.as_lines():
        pdf.set_x(125)
        pdf.cell(65, 4.5, clean(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # Return address and recipient inside the envelope window.
    pdf.set_xy(25, 45)
    pdf.set_font(family, "", 7)
    pdf.cell(85, 4, clean(", ".join(letter.sender.as_lines())[:90]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(25, 52)
    pdf.set_font(family, "", 11)
    for line in letter.recipient.as_lines():
        pdf.set_x(25)
        pdf.cell(85, 5, clean(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_xy(25, 95)
    pdf.set_font(family, "", 10)
    pdf.cell(0, 5, clean(letter.date), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(family, bold_style, 11)
    pdf.multi_cell(0, 6, clean(letter.subject), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(family, "", 10)
    pdf.multi_cell(0, 5, clean(letter.body.strip("\n")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if letter.table is not None:
        pdf.ln(5)
        pdf.set_font(family, "", 9)
        align = letter.table.align or ("L",) * len(letter.table.headings)
        with pdf.table(
            text_align=align,
            headings_style=FontFace(emphasis="BOLD" if bold_style else None, fill_color=(235, 235, 235)),
            line_height=5,
        ) as table:
            for cells in (letter.table.headings, *letter.table.rows):
                row = table.row()
                for cell in cells:
                    row.cell(clean(cell))

    if letter.closing.strip("\n"):
        pdf.ln(5)
        pdf.set_font(family, "", 10)
        pdf.multi_cell(0, 5, clean(letter.closing.strip("\n")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if letter.payment_qr_png is not None:
        pdf.ln(6)
        # Keep the code and its caption together on one page.
        if pdf.get_y() + 45 > pdf.h - 20:
            pdf.add_page()
        top = pdf.get_y()
        try:
            pdf.image(io.BytesIO(letter.payment_qr_png), x=25, y=top, w=35, h=35)
        except Exception as exc:  # fpdf2/Pillow raise several types for unreadable image data
            raise ValueError(
                f"letter {letter.letter_id!r}: the payment QR code is not a readable image: {exc}"
            ) from exc
        if letter.qr_caption:
            pdf.set_xy(65, top + 2)
            pdf.set_font(family, "", 9)
            pdf.multi_cell(0, 4.5, clean(letter.qr_caption))
    return bytes(pdf.output())


def _identity(text: str) -> str:
    return text


def _safe_name(letter_id: str) -> str:
    """A file or key name safe everywhere, distinct for distinct ids (a digest follows the readable part)."""
    readable = _UNSAFE_NAME.sub("_", letter_id).strip("._")[:80] or "letter"
    digest = hashlib.sha256(letter_id.encode("utf-8")).hexdigest()[:16]
    return f"{readable}-{digest}"


def _address_json(address: PostalAddress) -> dict[str, Any]:
    return {"name": address.name, "lines": list(address.lines)}


def letter_manifest(letter: Letter, pdf: bytes, pdf_name: str, stored_at: datetime) -> dict[str, Any]:
    """What the print-and-post provider reads beside the PDF."""
    return {
        "letter_id": letter.letter_id,
        "message_key": letter.message_key,
        "registered": letter.registered,
        "recipient": _address_json(letter.recipient),
        "sender": _address_json(letter.sender),
        "subject": letter.subject,
        "pdf": pdf_name,
        "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
        "pdf_bytes": len(pdf),
        "stored_at": stored_at.isoformat(),
    }


class DiskLetterStore:
    """Letters as ``<id>.pdf`` plus ``<id>.json`` (the manifest) in a folder a print-and-post provider reads.

    The manifest is written last: a letter is complete, and may be collected,
    once its manifest exists. The local mode is this store on a local folder.
    """

    def __init__(self, folder: Path, *, name: str = "disk", clock: Callable[[], datetime] = _utc_now) -> None:
        self.folder = folder
        self._name = name
        self._clock = clock

    @property
    def name(self) -> str:
        return self._name

    def paths_for(self, letter_id: str) -> tuple[Path, Path]:
        """The PDF and the manifest of ``letter_id``."""
        base = _safe_name(letter_id)
        return self.folder / f"{base}.pdf", self.folder / f"{base}.json"

    async def is_stored(self, letter_id: str) -> bool:
        """Whether the letter is complete in the folder (its manifest, written last, exists)."""
        return await asyncio.to_thread(self.paths_for(letter_id)[1].exists)

    async def store(self, letter: Letter, pdf: bytes) -> Delivery:
        return await asyncio.to_thread(self.store_blocking, letter, pdf)

    async def read(self, letter_id: str) -> bytes | None:
        """The stored PDF of ``letter_id``; None when it is not (or no longer) in the folder."""
        return await asyncio.to_thread(self.read_blocking, letter_id)

    def read_blocking(self, letter_id: str) -> bytes | None:
        pdf_path, manifest_path = self.paths_for(letter_id)
        # A PDF without its manifest is one a crash interrupted: not a letter that went out.
        if not manifest_path.exists():
            return None
        try:
            return pdf_path.read_bytes()
        except FileNotFoundError:
            # A print-and-post provider that collects by moving files away took it.
            return None
        except OSError as exc:
            raise ProviderError(
                self._name, f"cannot read letter {letter_id!r} in {self.folder}: {exc}", retryable=True
            ) from exc

    def store_blocking(self, letter: Letter, pdf: bytes) -> Delivery:
        pdf_path, manifest_path = self.paths_for(letter.letter_id)
        try:
            if not manifest_path.exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                stored_at = self._clock()
                # A PDF left by a crash before its manifest was never collected: replacing it is safe.
                self._write(pdf_path, pdf, replace=True)
                manifest = letter_manifest(letter, pdf, pdf_path.name, stored_at)
                self._write(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2).encode(), replace=False)
            # Whoever wrote the manifest first (this call, an earlier one, another instance) decided the letter.
            stored = json.loads(manifest_path.read_text(encoding="utf-8"))
        except OSError as exc:
            # A full disk or a lost network mount may come back; a permission error will not.
            retryable = not isinstance(exc, PermissionError)
            raise ProviderError(
                self._name, f"cannot store letter {letter.letter_id!r} in {self.folder}: {exc}", retryable=retryable
            ) from exc
        return Delivery(
            provider=self._name,
            ref=pdf_path.name,
            accepted_at=datetime.fromisoformat(stored["stored_at"]),
            detail=f"stored in {self.folder}",
        )

    def document_path(self, name: str) -> Path:
        """Where a customer document (an invoice PDF) is kept: beside the letters, in ``documents/``."""
        return self.folder / DOCUMENTS / f"{_safe_name(name)}.pdf"

    async def put_document(self, name: str, content: bytes) -> None:
        """Keep ``content`` as the document ``name``; the same name again replaces it with the same bytes."""
        await asyncio.to_thread(self.put_document_blocking, name, content)

    def put_document_blocking(self, name: str, content: bytes) -> None:
        path = self.document_path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write(path, content, replace=True)
        except OSError as exc:
            raise ProviderError(
                self._name, f"cannot store document {name!r} in {path.parent}: {exc}", retryable=True
            ) from exc

    async def read_document(self, name: str) -> bytes | None:
        """The document ``name``; None when it is not in the folder."""
        return await asyncio.to_thread(self.read_document_blocking, name)

    def read_document_blocking(self, name: str) -> bytes | None:
        try:
            return self.document_path(name).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ProviderError(self._name, f"cannot read document {name!r}: {exc}", retryable=True) from exc

    def _write(self, path: Path, data: bytes, *, replace: bool) -> None:
        # Written aside then moved into place: a provider polling the folder never reads half a file.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".storing-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            if replace:
                os.replace(temporary, path)
            else:
                # A hard link refuses to replace: of two instances storing at once, the first manifest stays.
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)


_S3_RETRYABLE = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"})


class S3LetterStore:
    """Letters as PDF objects in an S3 bucket (``<prefix><id>.pdf``), with the manifest as ``<id>.json`` beside.

    The PDF object carries ``Content-Type: application/pdf`` and the manifest's
    essentials as metadata (``registered``, ``letter-id``, ``message-key``,
    ``recipient`` as ASCII JSON: S3 metadata is ASCII only). Writes are
    conditional (``If-None-Match: *``) so a letter already stored is never
    overwritten, which a provider reacting to object-created events would
    otherwise print twice; turn ``conditional_writes`` off for S3-compatible
    stores that do not support it.
    """

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        prefix: str = "",
        name: str = "s3",
        conditional_writes: bool = True,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 letter store needs a bucket name")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self._client = client
        self.bucket = bucket
        self.prefix = prefix
        self._name = name
        self._conditional = conditional_writes
        self._clock = clock

    @property
    def name(self) -> str:
        return self._name

    def keys_for(self, letter_id: str) -> tuple[str, str]:
        """The PDF's and the manifest's object keys for ``letter_id``."""
        base = self.prefix + _safe_name(letter_id)
        return f"{base}.pdf", f"{base}.json"

    async def is_stored(self, letter_id: str) -> bool:
        """Whether the letter's manifest (written after its PDF) is in the bucket."""
        return await asyncio.to_thread(self.is_stored_blocking, letter_id)

    def is_stored_blocking(self, letter_id: str) -> bool:
        manifest_key = self.keys_for(letter_id)[1]
        try:
            self._client.head_object(Bucket=self.bucket, Key=manifest_key)
        except ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if status == 404 or exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise ProviderError(
                self._name,
                f"cannot tell whether letter {letter_id!r} is in s3://{self.bucket}/{manifest_key}: {exc}",
                retryable=True,
            ) from exc
        return True

    async def store(self, letter: Letter, pdf: bytes) -> Delivery:
        return await asyncio.to_thread(self.store_blocking, letter, pdf)

    async def read(self, letter_id: str) -> bytes | None:
        """The stored PDF of ``letter_id``; None when the bucket does not have it (any more)."""
        return await asyncio.to_thread(self.read_blocking, letter_id)

    def read_blocking(self, letter_id: str) -> bytes | None:
        pdf_key = self.keys_for(letter_id)[0]
        try:
            return self._client.get_object(Bucket=self.bucket, Key=pdf_key)["Body"].read()
        except ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if status == 404 or exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise ProviderError(
                self._name, f"cannot read letter {letter_id!r} from s3://{self.bucket}/{pdf_key}: {exc}", retryable=True
            ) from exc
        except BotoCoreError as exc:
            raise ProviderError(
                self._name, f"cannot read letter {letter_id!r} from s3://{self.bucket}: {exc}", retryable=True
            ) from exc

    def store_blocking(self, letter: Letter, pdf: bytes) -> Delivery:
        pdf_key, manifest_key = self.keys_for(letter.letter_id)
        stored_at = self._clock()
        metadata = {
            "letter-id": _ascii(letter.letter_id),
            "message-key": _ascii(letter.message_key),
            "registered": "true" if letter.registered else "false",
            "recipient": json.dumps(_address_json(letter.recipient), ensure_ascii=True, separators=(",", ":")),
        }
        manifest = letter_manifest(letter, pdf, pdf_key.rpartition("/")[2], stored_at)
        try:
            self._put(pdf_key, pdf, "application/pdf", metadata)
            written = self._put(
                manifest_key,
                json.dumps(manifest, ensure_ascii=False, indent=2).encode(),
                "application/json",
                {"letter-id": metadata["letter-id"], "registered": metadata["registered"]},
            )
            if not written:
                # Stored before: answer with the first storing's time.
                body = self._client.get_object(Bucket=self.bucket, Key=manifest_key)["Body"].read()
                stored_at = datetime.fromisoformat(json.loads(body)["stored_at"])
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            raise ProviderError(
                self._name,
                f"cannot store letter {letter.letter_id!r} in s3://{self.bucket}/{pdf_key}: "
                f"{code} (HTTP {status}) {error.get('Message', '')}",
                retryable=code in _S3_RETRYABLE or status >= 500 or status == 429,
                code=code,
            ) from exc
        except BotoCoreError as exc:
            # Unreachable endpoint, timeouts, missing credentials: all come back once someone waits or acts,
            # and a letter is not the reason, so the bus's retries (then the dead letters) handle them.
            raise ProviderError(
                self._name,
                f"cannot store letter {letter.letter_id!r} in s3://{self.bucket}: {exc}",
                retryable=True,
                code=type(exc).__name__,
            ) from exc
        return Delivery(provider=self._name, ref=pdf_key, accepted_at=stored_at, detail=f"s3://{self.bucket}/{pdf_key}")

    def document_key(self, name: str) -> str:
        """The object key of a customer document (an invoice PDF): beside the letters, under ``documents/``."""
        return f"{self.prefix}{DOCUMENTS}/{_safe_name(name)}.pdf"

    async def put_document(self, name: str, content: bytes) -> None:
        """Keep ``content`` as the document ``name``, once: an object already there (same name, same bytes,
        since names are derived from what is stored) is left as it is."""
        await asyncio.to_thread(self.put_document_blocking, name, content)

    def put_document_blocking(self, name: str, content: bytes) -> None:
        key = self.document_key(name)
        try:
            self._put(key, content, "application/pdf", {"document": _ascii(name)})
        except (ClientError, BotoCoreError) as exc:
            raise ProviderError(
                self._name, f"cannot store document {name!r} in s3://{self.bucket}/{key}: {exc}", retryable=True
            ) from exc

    async def read_document(self, name: str) -> bytes | None:
        """The document ``name``; None when the bucket does not have it."""
        return await asyncio.to_thread(self.read_document_blocking, name)

    def read_document_blocking(self, name: str) -> bytes | None:
        key = self.document_key(name)
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if status == 404 or exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise ProviderError(
                self._name, f"cannot read document {name!r} from s3://{self.bucket}/{key}: {exc}", retryable=True
            ) from exc
        except BotoCoreError as exc:
            raise ProviderError(
                self._name, f"cannot read document {name!r} from s3://{self.bucket}: {exc}", retryable=True
            ) from exc

    def _put(self, key: str, body: bytes, content_type: str, metadata: dict[str, str]) -> bool:
        """Write the object; False when it already existed (and was left as it was)."""
        extra: dict[str, Any] = {"IfNoneMatch": "*"} if self._conditional else {}
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, Metadata=metadata, **extra
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
                return False
            raise
        return True


def _ascii(value: str) -> str:
    # S3 metadata travels as HTTP headers: ASCII only, so anything else is escaped like JSON does.
    return json.dumps(value, ensure_ascii=True)[1:-1]


class PrintAndPost:
    """A :class:`~opendso_messaging.providers.LetterSender`: renders the PDF, then stores it for the provider.

    ``font="auto"`` looks for DejaVu Sans once, here; ``None`` forces the
    latin-1 core font.
    """

    def __init__(
        self,
        store: LetterStore,
        *,
        font: LetterFont | Literal["auto"] | None = "auto",
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._store = store
        self._font = find_unicode_font() if font == "auto" else font
        if self._font is None:
            log.warning("no Unicode TrueType font found (%s): letters are transliterated to latin-1", FONT_CANDIDATES)
        self._clock = clock

    @property
    def name(self) -> str:
        return self._store.name

    @property
    def font(self) -> LetterFont | None:
        return self._font

    async def send(self, letter: Letter) -> Delivery:
        pdf = await asyncio.to_thread(render_letter_pdf, letter, font=self._font, created_at=self._clock())
        return await self._store.store(letter, pdf)

    async def is_stored(self, letter_id: str) -> bool | None:
        """Whether the letter is in its store; None for a store that cannot be asked."""
        if isinstance(self._store, DiskLetterStore | S3LetterStore):
            return await self._store.is_stored(letter_id)
        return None

    async def read(self, letter_id: str) -> bytes | None:
        """The letter's stored PDF, for the debtor portal; None when the store has it no more or cannot be read."""
        if isinstance(self._store, DiskLetterStore | S3LetterStore):
            return await self._store.read(letter_id)
        return None

    async def put_document(self, name: str, content: bytes) -> None:
        """Keep a customer document (an invoice PDF) in the letters' store; ``ProviderError`` when it cannot."""
        if not isinstance(self._store, DiskLetterStore | S3LetterStore):
            raise ProviderError(self.name, "this letter store cannot keep documents", retryable=False)
        await self._store.put_document(name, content)

    async def read_document(self, name: str) -> bytes | None:
        """A customer document kept by :meth:`put_document`; None when the store does not have it."""
        if isinstance(self._store, DiskLetterStore | S3LetterStore):
            return await self._store.read_document(name)
        return None
