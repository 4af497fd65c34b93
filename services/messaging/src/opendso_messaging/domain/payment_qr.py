"""Payment QR codes for reminders, letters and the portal: the payloads, not the pictures.

A debtor who scans the code gets a bank transfer filled in with our account,
the amount and the reference the matching service keys on, so the payment
comes back matched. Three standards are built here:

EPC069-12 ("GiroCode", SEPA credit transfer)
    Version 002, character set 1 (UTF-8), identification ``SCT``. One field a
    line, separated by LF, in the order of the guideline; the last populated
    line is not followed by a separator. The amount is ``EUR`` followed by the
    amount with a dot and at most two decimals, written as short as it goes
    (``EUR1``, ``EUR12.3``, as the guideline's examples do). Remittance is the
    structured creditor reference *or* the text, never both. At most 331 bytes,
    which is what a version 13 QR code holds at error correction level M.

Czech QR Platba (Short Payment Descriptor, SPD 1.0, Czech Banking Association)
    ``SPD*1.0*KEY:value*...``. Values are written, as the format recommends, in
    upper case without diacritics so the QR code can use the compact
    alphanumeric mode; a ``*`` inside a value is written ``%2A`` and a ``%`` is
    written ``%25`` (so a reader that decodes percent escapes gets the text
    back), and any character outside printable ASCII is percent-encoded as
    UTF-8. Lengths are counted on the value as written.

Slovak PAY by square (by square "pay" document, data model 1.1.0)
    The fields of one payment order, tab separated, prefixed with the CRC32 of
    the text (4 bytes little-endian), compressed with raw LZMA1 (lc=3, lp=0,
    pb=2, 128 KiB dictionary), prefixed with the 2-byte by square header and
    the 2-byte little-endian length of the uncompressed data, then written in
    base32hex (``0-9A-V``) without padding. ``decode_pay_by_square`` reverses
    every step and checks the length and the CRC.

Everything here is pure computation over the request; rendering the payload
into an image lives in ``opendso_messaging.payment_qr_image``.
"""

from __future__ import annotations

import base64
import binascii
import lzma
import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from opendso_money import Money


class PaymentQrError(ValueError):
    """A payment QR code cannot be built (or decoded); ``field`` names the culprit."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class PaymentQrKind(StrEnum):
    EPC = "epc"
    SPD = "spd"
    PAY_BY_SQUARE = "pay_by_square"


@dataclass(frozen=True, slots=True)
class PaymentQr:
    """The text to encode in the QR code, and the standard it follows."""

    kind: PaymentQrKind
    payload: str


# --- IBAN, BIC, creditor reference -----------------------------------------------------------------------

# IBAN lengths per country (SWIFT IBAN registry). A country missing here is
# refused rather than guessed: an IBAN of the wrong length for its country can
# still pass mod-97.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

# EU and the rest of the EEA: within it the BIC may be left out of a SEPA transfer.
EEA_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
        "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
    }
)  # fmt: skip
# SEPA's geographical scope as used here: the EEA plus the non-EEA members that
# have long been in it. Newer admissions (AL, MD, ME, MK) are left out until
# their banks reach SCT in practice; their debtors get no EPC code rather than one
# their bank may refuse.
SEPA_COUNTRIES: frozenset[str] = EEA_COUNTRIES | frozenset({"CH", "GB", "GI", "MC", "SM", "VA", "AD"})

_SPACES = re.compile(r"\s+")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_DIGITS = re.compile(r"^[0-9]+$")


def _mod97(text: str) -> int:
    # ISO 7064 MOD 97-10 as IBAN and ISO 11649 use it: letters count as 10..35.
    return int("".join(str(int(ch, 36)) for ch in text)) % 97


def normalise_iban(iban: str, field: str = "iban") -> str:
    """The IBAN without spaces, in upper case, after checking country, length and mod-97."""
    value = _SPACES.sub("", iban).upper()
    if not value:
        raise PaymentQrError(field, "is empty")
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", value):
        raise PaymentQrError(field, f"{iban!r} is not an IBAN (two letters, two check digits, then letters and digits)")
    country = value[:2]
    expected = IBAN_LENGTHS.get(country)
    if expected is None:
        raise PaymentQrError(field, f"{iban!r}: country {country} does not issue IBANs")
    if len(value) != expected:
        raise PaymentQrError(field, f"{iban!r} has {len(value)} characters, a {country} IBAN has {expected}")
    if _mod97(value[4:] + value[:4]) != 1:
        raise PaymentQrError(field, f"{iban!r} fails the mod-97 check (a typo?)")
    return value


def normalise_bic(bic: str, field: str = "bic") -> str:
    """The BIC in upper case without spaces, after checking its ISO 9362 shape (8 or 11 characters)."""
    value = _SPACES.sub("", bic).upper()
    if not _BIC.match(value):
        raise PaymentQrError(field, f"{bic!r} is not a BIC (4 letters bank, 2 letters country, 2 location, 3 branch)")
    return value


def normalise_creditor_reference(reference: str, field: str = "creditor_reference") -> str:
    """An ISO 11649 creditor reference (``RF`` + 2 check digits + up to 21 letters/digits), checked mod-97."""
    value = _SPACES.sub("", reference).upper()
    if not re.fullmatch(r"RF[0-9]{2}[A-Z0-9]{1,21}", value):
        raise PaymentQrError(
            field, f"{reference!r} is not an ISO 11649 creditor reference (RF, 2 check digits, 1-21 letters/digits)"
        )
    if _mod97(value[4:] + value[:4]) != 1:
        raise PaymentQrError(field, f"{reference!r} fails the mod-97 check (a typo?)")
    return value


def make_creditor_reference(reference: str) -> str:
    """The ISO 11649 creditor reference for our own ``reference`` (an invoice or account number).

    Raises ``PaymentQrError`` when the reference has other characters than
    letters and digits (spaces are dropped) or more than 21 of them.
    """
    body = _SPACES.sub("", reference).upper()
    if not re.fullmatch(r"[A-Z0-9]{1,21}", body):
        raise PaymentQrError(
            "reference", f"{reference!r} must be 1-21 letters and digits to become a creditor reference"
        )
    check = 98 - _mod97(body + "RF00")
    return f"RF{check:02d}{body}"


# --- The request -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """What the debtor is asked to pay, and how to recognise the payment when it arrives.

    ``iban``, ``bic`` and ``creditor_reference`` are normalised (no spaces,
    upper case) and checked when the request is made. ``creditor_reference`` is
    an ISO 11649 ``RF`` reference; ``variable_symbol`` (up to 10 digits),
    ``constant_symbol`` (up to 4) and ``specific_symbol`` (up to 10) are the
    Czech and Slovak payment symbols. ``due_date`` is the date the payer's bank
    is asked to execute the transfer (SPD ``DT``, PAY by square due date): for
    a reminder pass the new deadline or nothing, never the invoice's past due
    date, which some banking apps refuse. The limits each standard adds (EPC
    name 70, SPD message 60, ...) are checked by its builder.
    """

    beneficiary_name: str
    iban: str
    amount: Money
    bic: str | None = None
    creditor_reference: str | None = None
    variable_symbol: str | None = None
    constant_symbol: str | None = None
    specific_symbol: str | None = None
    remittance_text: str | None = None
    due_date: date | None = None
    beneficiary_address_line_1: str | None = None
    beneficiary_address_line_2: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalised values replace the raw ones once, here
        set_(self, "beneficiary_name", _text(self.beneficiary_name, "beneficiary_name", 70))
        if not self.beneficiary_name:
            raise PaymentQrError("beneficiary_name", "is empty")
        set_(self, "iban", normalise_iban(self.iban))
        if self.bic is not None:
            set_(self, "bic", normalise_bic(self.bic))
        if self.creditor_reference is not None:
            set_(self, "creditor_reference", normalise_creditor_reference(self.creditor_reference))
        for name, limit in (("variable_symbol", 10), ("constant_symbol", 4), ("specific_symbol", 10)):
            raw = getattr(self, name)
            if raw is None:
                continue
            value = _SPACES.sub("", raw)
            if not _DIGITS.match(value) or len(value) > limit:
                raise PaymentQrError(name, f"{raw!r} must be 1 to {limit} digits")
            set_(self, name, value)
        for name in ("remittance_text", "beneficiary_address_line_1", "beneficiary_address_line_2"):
            raw = getattr(self, name)
            if raw is not None:
                set_(self, name, _text(raw, name, 140 if name == "remittance_text" else 70) or None)
        if self.amount.amount <= 0:
            raise PaymentQrError("amount", f"must be positive, got {self.amount}")
        if self.amount.amount != self.amount.amount.quantize(Decimal(1).scaleb(-self.amount.minor_units)):
            raise PaymentQrError(
                "amount", f"{self.amount.amount} has more decimals than {self.amount.currency} has (round it first)"
            )

    @property
    def has_symbols(self) -> bool:
        return bool(self.variable_symbol or self.constant_symbol or self.specific_symbol)


def _text(value: str, field: str, limit: int) -> str:
    # Control characters would break every format's separators (EPC's line feeds,
    # PAY by square's tabs), so they are refused rather than silently dropped.
    stripped = value.strip()
    if any(unicodedata.category(ch) == "Cc" for ch in stripped):
        raise PaymentQrError(field, "contains a line break, tab or other control character")
    if len(stripped) > limit:
        raise PaymentQrError(field, f"has {len(stripped)} characters, at most {limit} are allowed")
    return stripped


def _symbols_text(request: PaymentRequest) -> str:
    # The notation Czech and Slovak banks read the symbols from in a SEPA
    # transfer's remittance text: /VS/123/SS/456/KS/0308.
    parts = [
        f"/{tag}/{value}"
        for tag, value in (
            ("VS", request.variable_symbol),
            ("SS", request.specific_symbol),
            ("KS", request.constant_symbol),
        )
        if value
    ]
    return "".join(parts)


def _short_decimal(amount: Decimal) -> str:
    # 100.00 -> "100", 12.30 -> "12.3": the shortest form both EPC and by square accept.
    return format(amount.normalize(), "f")


def _check_length(field: str, value: str, limit: int, standard: str) -> None:
    if len(value) > limit:
        raise PaymentQrError(field, f"has {len(value)} characters, {standard} allows at most {limit}")


def _check_currency(request: PaymentRequest, allowed: tuple[str, ...], standard: str) -> None:
    if request.amount.currency not in allowed:
        raise PaymentQrError(
            "amount", f"currency {request.amount.currency} is not allowed in {standard} (only {', '.join(allowed)})"
        )


# --- EPC069-12 ---------------------------------------------------------------------------------------------

EPC_MAX_BYTES = 331
_EPC_PURPOSE = re.compile(r"^[A-Z0-9]{4}$")


def build_epc(
    request: PaymentRequest,
    *,
    purpose: str | None = None,
    information: str | None = None,
    version: str = "002",
) -> PaymentQr:
    """The EPC069-12 payload ("GiroCode") for a SEPA credit transfer in euro.

    ``purpose`` is an ISO 20022 purpose code (4 characters, e.g. ``GDDS``);
    ``information`` is the beneficiary-to-originator text the banking app shows
    (up to 70 characters). The creditor reference goes in the structured line
    when there is one and the remittance text is then left out (the standard
    allows one or the other, and the reference is what matching keys on);
    otherwise the unstructured line carries the Czech/Slovak symbols
    (``/VS/.../SS/.../KS/...``) followed by the text. Version ``001`` is kept
    for old readers and needs the BIC; so does a beneficiary outside the EEA.
    """
    _check_currency(request, ("EUR",), "an EPC QR code")
    if version not in ("001", "002"):
        raise PaymentQrError("version", f"{version!r} is not an EPC069-12 version (001 or 002)")
    country = request.iban[:2]
    if country not in SEPA_COUNTRIES:
        raise PaymentQrError("iban", f"a {country} account cannot receive a SEPA credit transfer")
    if request.bic is None and version == "001":
        raise PaymentQrError("bic", "is required by EPC QR code version 001")
    if request.bic is None and country not in EEA_COUNTRIES:
        raise PaymentQrError("bic", f"is required for a SEPA transfer to an account outside the EEA ({country})")
    amount = "EUR" + _short_decimal(request.amount.amount)
    if request.amount.amount > Decimal("999999999.99"):
        raise PaymentQrError("amount", "EPC QR codes carry at most EUR 999999999.99")
    if purpose is not None and not _EPC_PURPOSE.match(purpose):
        raise PaymentQrError("purpose", f"{purpose!r} is not a 4-character ISO 20022 purpose code")
    info = _text(information, "information", 70) if information is not None else ""

    structured = request.creditor_reference or ""
    unstructured = ""
    if not structured:
        unstructured = " ".join(p for p in (_symbols_text(request), request.remittance_text or "") if p)
        _check_length("remittance_text", unstructured, 140, "the EPC QR code's remittance line (with the symbols)")

    lines = [
        "BCD",
        version,
        "1",  # UTF-8
        "SCT",
        request.bic or "",
        request.beneficiary_name,
        request.iban,
        amount,
        purpose or "",
        structured,
        unstructured,
        info,
    ]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    size = len(payload.encode("utf-8"))
    if size > EPC_MAX_BYTES:
        raise PaymentQrError("payload", f"is {size} bytes, an EPC QR code holds at most {EPC_MAX_BYTES}")
    return PaymentQr(PaymentQrKind.EPC, payload)


# --- Czech QR Platba (SPD 1.0) -----------------------------------------------------------------------------

_SPD_ASIS = frozenset(string.printable[:95]) - {"*", "%"}  # printable ASCII, the two escapes excepted


def spd_value(text: str) -> str:
    """``text`` as SPD writes a value: upper case, no diacritics, ``*`` and ``%`` and non-ASCII percent-encoded."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    out: list[str] = []
    for ch in plain:
        if ch in _SPD_ASIS:
            out.append(ch)
        else:
            out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8"))
    return "".join(out)


def _cut_escaped(value: str, limit: int) -> str:
    # Cut to ``limit`` characters without splitting a %XX escape in two.
    if len(value) <= limit:
        return value
    cut = value[:limit]
    tail = cut.rfind("%")
    if tail != -1 and tail > limit - 3:
        cut = cut[:tail]
    return cut


def build_spd(request: PaymentRequest, *, recipient_name: bool = True) -> PaymentQr:
    """The Czech QR Platba (SPD 1.0) payload for a transfer in CZK (or EUR).

    Keys, in this order when present: ``ACC`` (IBAN+BIC), ``AM``, ``CC``,
    ``RN`` (the beneficiary name, shortened to the 35 characters SPD allows:
    it is shown to the payer, the account number decides), ``DT``, ``MSG`` (the
    creditor reference and the remittance text, up to 60 characters), ``X-VS``,
    ``X-KS``, ``X-SS``.
    """
    _check_currency(request, ("CZK", "EUR"), "a QR Platba (SPD) code")
    account = request.iban + (f"+{request.bic}" if request.bic else "")
    amount = f"{request.amount.amount:.2f}"
    if len(amount) > 10:
        raise PaymentQrError("amount", f"{amount} is longer than the 10 characters SPD allows")
    pairs: list[tuple[str, str]] = [("ACC", account), ("AM", amount), ("CC", request.amount.currency)]
    if recipient_name:
        pairs.append(("RN", _cut_escaped(spd_value(request.beneficiary_name), 35)))
    if request.due_date is not None:
        pairs.append(("DT", request.due_date.strftime("%Y%m%d")))
    message = spd_value(" ".join(p for p in (request.creditor_reference, request.remittance_text) if p))
    if message:
        _check_length("remittance_text", message, 60, "QR Platba's MSG (with the creditor reference, as written)")
        pairs.append(("MSG", message))
    for key, value in (
        ("X-VS", request.variable_symbol),
        ("X-KS", request.constant_symbol),
        ("X-SS", request.specific_symbol),
    ):
        if value:
            pairs.append((key, value))
    return PaymentQr(PaymentQrKind.SPD, "SPD*1.0*" + "*".join(f"{k}:{v}" for k, v in pairs))


# --- Slovak PAY by square ----------------------------------------------------------------------------------

# Raw LZMA1 with the parameters the by square specification fixes.
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA1, "lc": 3, "lp": 0, "pb": 2, "dict_size": 128 * 1024}]
_BYSQUARE_TYPE_PAY = 0
_DOCUMENT_TYPE_PAY = 0
# The version nibble written: 0, as the published by square examples do even
# when they carry the 1.1.0 beneficiary fields; readers accept both 0 and 1.
_BYSQUARE_VERSION_WRITTEN = 0
_BYSQUARE_VERSIONS_READ = frozenset({0, 1})
_PAYMENT_ORDER = "1"


@dataclass(frozen=True, slots=True)
class BankAccount:
    iban: str
    bic: str = ""


@dataclass(frozen=True, slots=True)
class PayBySquareDocument:
    """One payment order of a by square "pay" document, as its fields are written (strings, empty = absent)."""

    amount: Decimal | None
    currency: str
    accounts: tuple[BankAccount, ...]
    invoice_id: str = ""
    due_date: date | None = None
    variable_symbol: str = ""
    constant_symbol: str = ""
    specific_symbol: str = ""
    originator_reference: str = ""
    note: str = ""
    beneficiary_name: str = ""
    beneficiary_address_line_1: str = ""
    beneficiary_address_line_2: str = ""


def pay_by_square_document(request: PaymentRequest) -> PayBySquareDocument:
    """The by square payment order for ``request``: EUR only, symbols and creditor reference both carried."""
    # The data model takes any ISO 4217 code, but a Slovak banking app turns it
    # into a domestic/SEPA transfer, which is in euro.
    _check_currency(request, ("EUR",), "a PAY by square code")
    if len(_short_decimal(request.amount.amount).replace(".", "")) > 15:
        raise PaymentQrError("amount", "PAY by square carries at most 15 digits")
    return PayBySquareDocument(
        amount=request.amount.amount,
        currency=request.amount.currency,
        accounts=(BankAccount(request.iban, request.bic or ""),),
        due_date=request.due_date,
        variable_symbol=request.variable_symbol or "",
        constant_symbol=request.constant_symbol or "",
        specific_symbol=request.specific_symbol or "",
        originator_reference=request.creditor_reference or "",
        note=request.remittance_text or "",
        beneficiary_name=request.beneficiary_name,
        beneficiary_address_line_1=request.beneficiary_address_line_1 or "",
        beneficiary_address_line_2=request.beneficiary_address_line_2 or "",
    )


def serialize_pay_by_square(doc: PayBySquareDocument) -> str:
    """The tab-separated text of the document (one payment order), before checksum and compression."""
    if len(doc.invoice_id) > 10:
        raise PaymentQrError("invoice_id", "PAY by square allows at most 10 characters")
    if not doc.accounts:
        raise PaymentQrError("iban", "a PAY by square payment needs at least one account")
    fields = [
        doc.invoice_id,
        "1",  # payments
        _PAYMENT_ORDER,
        "" if doc.amount is None else _short_decimal(doc.amount),
        doc.currency,
        "" if doc.due_date is None else doc.due_date.strftime("%Y%m%d"),
        doc.variable_symbol,
        doc.constant_symbol,
        doc.specific_symbol,
        doc.originator_reference,
        doc.note,
        str(len(doc.accounts)),
    ]
    for account in doc.accounts:
        fields += [account.iban, account.bic]
    fields += [
        "0",  # no standing order extension
        "0",  # no direct debit extension
        doc.beneficiary_name,
        doc.beneficiary_address_line_1,
        doc.beneficiary_address_line_2,
    ]
    return "\t".join(fields)


def deserialize_pay_by_square(text: str) -> PayBySquareDocument:
    """The document a by square text holds; 1.0.0 documents (no beneficiary fields) are read too.

    Only one payment order without standing-order or direct-debit extension is
    supported; anything else is refused naming the field.
    """
    fields = text.split("\t")

    def take(name: str) -> str:
        if not fields:
            raise PaymentQrError("payload", f"ends before the {name} field")
        return fields.pop(0)

    invoice_id = take("invoice id")
    if take("payments count") != "1":
        raise PaymentQrError("payload", "only documents with exactly one payment are supported")
    kind = take("payment type")
    if kind != _PAYMENT_ORDER:
        raise PaymentQrError("payload", f"payment type {kind!r} is not a payment order (1)")
    amount_text = take("amount")
    try:
        amount = Decimal(amount_text) if amount_text else None
    except InvalidOperation:
        raise PaymentQrError("amount", f"{amount_text!r} is not a number") from None
    currency = take("currency")
    due_text = take("due date")
    try:
        due = date(int(due_text[:4]), int(due_text[4:6]), int(due_text[6:8])) if due_text else None
    except ValueError:
        raise PaymentQrError("due_date", f"{due_text!r} is not a date YYYYMMDD") from None
    vs, ks, ss = take("variable symbol"), take("constant symbol"), take("specific symbol")
    reference, note = take("originator reference"), take("note")
    count_text = take("bank accounts count")
    if not count_text.isdigit() or int(count_text) < 1:
        raise PaymentQrError("iban", f"bank accounts count {count_text!r} is not a positive number")
    accounts = tuple(BankAccount(take("IBAN"), take("BIC")) for _ in range(int(count_text)))
    for extension in ("standing order extension", "direct debit extension"):
        if take(extension) != "0":
            raise PaymentQrError("payload", f"a {extension} is not supported")
    beneficiary = [fields.pop(0) if fields else "" for _ in range(3)]
    return PayBySquareDocument(
        amount=amount,
        currency=currency,
        accounts=accounts,
        invoice_id=invoice_id,
        due_date=due,
        variable_symbol=vs,
        constant_symbol=ks,
        specific_symbol=ss,
        originator_reference=reference,
        note=note,
        beneficiary_name=beneficiary[0],
        beneficiary_address_line_1=beneficiary[1],
        beneficiary_address_line_2=beneficiary[2],
    )


def encode_pay_by_square(doc: PayBySquareDocument) -> str:
    """The base32hex string to put in the QR code for ``doc``."""
    data = serialize_pay_by_square(doc).encode("utf-8")
    body = binascii.crc32(data).to_bytes(4, "little") + data
    if len(body) > 0xFFFF:
        raise PaymentQrError("payload", f"is {len(body)} bytes, PAY by square holds at most 65535")
    header = bytes(
        [
            (_BYSQUARE_TYPE_PAY << 4) | _BYSQUARE_VERSION_WRITTEN,
            (_DOCUMENT_TYPE_PAY << 4) | 0,  # reserved nibble
        ]
    )
    compressed = lzma.compress(body, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    raw = header + len(body).to_bytes(2, "little") + compressed
    return base64.b32hexencode(raw).decode("ascii").rstrip("=")


def decode_pay_by_square(qr_text: str) -> PayBySquareDocument:
    """The document a PAY by square QR string holds, after checking header, length and CRC32."""
    text = qr_text.strip().upper()
    if not text or not re.fullmatch(r"[0-9A-V]+", text):
        raise PaymentQrError("payload", "is not base32hex (0-9, A-V)")
    try:
        raw = base64.b32hexdecode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise PaymentQrError("payload", "has a base32hex length no encoder produces") from None
    if len(raw) < 4:
        raise PaymentQrError("payload", "is shorter than the by square header")
    by_square_type, version = raw[0] >> 4, raw[0] & 0x0F
    document_type = raw[1] >> 4
    if by_square_type != _BYSQUARE_TYPE_PAY or document_type != _DOCUMENT_TYPE_PAY:
        raise PaymentQrError("header", f"by square type {by_square_type}/{document_type} is not a pay document (0/0)")
    if version not in _BYSQUARE_VERSIONS_READ:
        raise PaymentQrError("header", f"by square version {version} is not supported (0 or 1)")
    length = int.from_bytes(raw[2:4], "little")
    decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    try:
        # Encoders differ on writing LZMA's end marker; the header's length says
        # where the data ends either way.
        body = decompressor.decompress(raw[4:], max_length=length)
    except lzma.LZMAError as exc:
        raise PaymentQrError("payload", f"does not decompress: {exc}") from None
    if len(body) != length or length < 4:
        raise PaymentQrError("payload", f"decompresses to {len(body)} bytes, the header says {length}")
    data = body[4:]
    if int.from_bytes(body[:4], "little") != binascii.crc32(data):
        raise PaymentQrError("payload", "CRC32 does not match the data (damaged or altered)")
    try:
        return deserialize_pay_by_square(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PaymentQrError("payload", "data is not UTF-8") from None


def build_pay_by_square(request: PaymentRequest) -> PaymentQr:
    """The Slovak PAY by square payload for ``request``."""
    return PaymentQr(PaymentQrKind.PAY_BY_SQUARE, encode_pay_by_square(pay_by_square_document(request)))


# --- Which code for which debtor ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentQrChoice:
    """The standard to use for a debtor, or ``None`` with the reason there is none."""

    kind: PaymentQrKind | None
    reason: str


def choose_payment_qr(customer_country: str, request: PaymentRequest) -> PaymentQrChoice:
    """The QR standard the debtor's banking app reads, for a transfer in ``request``'s currency to its IBAN.

    Slovak debtors paying euro get PAY by square, Czech debtors paying koruna to
    a Czech account get QR Platba, other debtors in SEPA paying euro to a SEPA
    account get the EPC code; anything else gets no code, and the reason says
    why.
    """
    country = customer_country.strip().upper()
    currency = request.amount.currency
    account_country = request.iban[:2]
    if country == "SK" and currency == "EUR":
        return PaymentQrChoice(PaymentQrKind.PAY_BY_SQUARE, "Slovak debtor paying EUR: PAY by square")
    if country == "CZ" and currency == "CZK":
        if account_country != "CZ":
            return PaymentQrChoice(
                None, f"CZK to a {account_country} account is not a domestic payment QR Platba can describe"
            )
        return PaymentQrChoice(PaymentQrKind.SPD, "Czech debtor paying CZK: QR Platba (SPD)")
    if currency != "EUR":
        return PaymentQrChoice(None, f"no payment QR standard for a {currency} transfer from {country}")
    if country not in SEPA_COUNTRIES:
        return PaymentQrChoice(None, f"{country} is not in SEPA: the EPC code needs a SEPA payer")
    if account_country not in SEPA_COUNTRIES:
        return PaymentQrChoice(None, f"the account {account_country} is not in SEPA: the EPC code needs a SEPA payee")
    if request.bic is None and not (country in EEA_COUNTRIES and account_country in EEA_COUNTRIES):
        return PaymentQrChoice(None, "a SEPA transfer involving a non-EEA country needs the BIC, which is missing")
    return PaymentQrChoice(PaymentQrKind.EPC, f"debtor in SEPA ({country}) paying EUR: EPC QR code")


def build_payment_qr(kind: PaymentQrKind, request: PaymentRequest) -> PaymentQr:
    """The payload of ``kind`` for ``request``, with each standard's defaults."""
    if kind is PaymentQrKind.EPC:
        return build_epc(request)
    if kind is PaymentQrKind.SPD:
        return build_spd(request)
    return build_pay_by_square(request)


__all__ = [
    "EEA_COUNTRIES",
    "EPC_MAX_BYTES",
    "SEPA_COUNTRIES",
    "BankAccount",
    "PayBySquareDocument",
    "PaymentQr",
    "PaymentQrChoice",
    "PaymentQrError",
    "PaymentQrKind",
    "PaymentRequest",
    "build_epc",
    "build_pay_by_square",
    "build_payment_qr",
    "build_spd",
    "choose_payment_qr",
    "decode_pay_by_square",
    "deserialize_pay_by_square",
    "encode_pay_by_square",
    "make_creditor_reference",
    "normalise_bic",
    "normalise_creditor_reference",
    "normalise_iban",
    "pay_by_square_document",
    "serialize_pay_by_square",
    "spd_value",
]
