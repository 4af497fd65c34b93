"""Parse an ERP export of customers and their open items.

The export has one row per open item, with the customer's columns repeated on
every row; a row without ``item_number`` only describes a customer. Parsing is
pure: bytes in, values and per-row errors out. A row with any error produces
nothing (never half a customer or an item without its customer) and the other
rows still parse; only problems that make the whole file unreadable raise
:class:`FileRejected`.

Conventions an ERP export does not spell out, and that we pick:

* Dates ``a/b/yyyy`` are day-first (``03/04/2024`` is 3 April) unless the first
  number cannot be a month (``03/31/2024`` is then read as 31 March). Most of
  our exports come from European ERPs; a US export shows itself as soon as a
  day above 12 appears, but a single ambiguous row cannot, so we do not guess
  per file.
* Credit notes and unallocated payments reduce what the customer owes, so they
  are stored negative. ERPs often print them as positive amounts in a
  "credit note" row; a positive amount (and open amount) for those kinds is
  negated. A negative one is kept.
* ``open_amount`` defaults to ``amount``; it must have the same sign and be no
  larger in absolute value. Zero means paid.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

import charset_normalizer
from opendso_money import Money, parse_amount


class ItemKind(StrEnum):
    """Known values of ``ItemRow.kind``; a StrEnum so plain strings compare equal."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    UNALLOCATED_PAYMENT = "unallocated_payment"
    INSTALMENT = "instalment"


_CREDIT_KINDS = frozenset({ItemKind.CREDIT_NOTE, ItemKind.UNALLOCATED_PAYMENT})


@dataclass(frozen=True)
class RowError:
    """Why one row (or, for whole-file problems, the header) was not imported.

    ``row`` is the physical line number in the file, the header being row 1;
    ``column`` is the canonical column name, or None when the whole row is wrong.
    """

    file: str
    row: int
    column: str | None
    reason: str


@dataclass(frozen=True)
class CustomerRow:
    entity: str
    account_number: str
    name: str
    email: str | None
    language: str
    country: str | None
    contact_name: str | None
    row: int


@dataclass(frozen=True)
class ItemRow:
    entity: str
    account_number: str
    number: str
    kind: str
    issue_date: date
    due_date: date
    amount: Money
    open_amount: Money
    reference: str | None
    row: int


@dataclass(frozen=True)
class ParsedFile:
    """Everything that could be read from one file.

    ``customers`` holds one row per (entity, account_number), in first-seen
    order; ``rows_read`` counts the data rows, not the header or blank lines.
    """

    file: str
    customers: tuple[CustomerRow, ...]
    items: tuple[ItemRow, ...]
    errors: tuple[RowError, ...]
    rows_read: int


class FileRejected(ValueError):
    """The file as a whole cannot be read: empty, undecodable, no header, a required column missing."""

    def __init__(self, errors: tuple[RowError, ...]) -> None:
        super().__init__("; ".join(e.reason for e in errors))
        self.errors = errors


CUSTOMER_COLUMNS = ("entity", "account_number", "customer_name", "email", "language", "country", "contact_name")
ITEM_COLUMNS = (
    "item_number",
    "item_type",
    "issue_date",
    "due_date",
    "amount",
    "open_amount",
    "currency",
    "reference",
)
REQUIRED_COLUMNS = ("entity", "account_number", "customer_name")
REQUIRED_ITEM_COLUMNS = ("item_number", "issue_date", "due_date", "amount", "currency")

# Keys are normalised (see _normalise_name); every canonical name maps to itself.
_ALIASES: Mapping[str, str] = {
    **{c.replace("_", ""): c for c in CUSTOMER_COLUMNS + ITEM_COLUMNS},
    "legalentity": "entity",
    "company": "entity",
    "companycode": "entity",
    "account": "account_number",
    "accountno": "account_number",
    "accountnr": "account_number",
    "customernumber": "account_number",
    "customerno": "account_number",
    "customernr": "account_number",
    "customerid": "account_number",
    "customeraccount": "account_number",
    "name": "customer_name",
    "customer": "customer_name",
    "accountname": "customer_name",
    "emailaddress": "email",
    "mail": "email",
    "lang": "language",
    "countrycode": "country",
    "contact": "contact_name",
    "contactperson": "contact_name",
    "itemno": "item_number",
    "invoicenumber": "item_number",
    "invoiceno": "item_number",
    "invoicenr": "item_number",
    "invoice": "item_number",
    "documentnumber": "item_number",
    "documentno": "item_number",
    "type": "item_type",
    "documenttype": "item_type",
    "itemkind": "item_type",
    "invoicedate": "issue_date",
    "documentdate": "issue_date",
    "issued": "issue_date",
    "due": "due_date",
    "invoiceamount": "amount",
    "originalamount": "amount",
    "grossamount": "amount",
    "balance": "open_amount",
    "openbalance": "open_amount",
    "outstanding": "open_amount",
    "outstandingamount": "open_amount",
    "amountdue": "open_amount",
    "remainingamount": "open_amount",
    "currencycode": "currency",
    "ccy": "currency",
    "ref": "reference",
    "yourreference": "reference",
}

_KIND_ALIASES: Mapping[str, ItemKind] = {
    "invoice": ItemKind.INVOICE,
    "creditnote": ItemKind.CREDIT_NOTE,
    "credit": ItemKind.CREDIT_NOTE,
    "unallocatedpayment": ItemKind.UNALLOCATED_PAYMENT,
    "unallocated": ItemKind.UNALLOCATED_PAYMENT,
    "payment": ItemKind.UNALLOCATED_PAYMENT,
    "instalment": ItemKind.INSTALMENT,
    "installment": ItemKind.INSTALMENT,
}

_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
    dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id
    ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu
    lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu
    rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr
    ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())

# Officially assigned ISO 3166-1 alpha-2 codes, plus XK (Kosovo): user-assigned,
# but what ERPs and the EU use, and we do have customers there.
_ISO_3166_ALPHA2_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH
    ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT
    HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS
    LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI
    NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG
    SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
    UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
"""
ISO_3166_ALPHA2 = frozenset(_ISO_3166_ALPHA2_CODES.split())


def parse_receivables_csv(data: bytes, file: str, *, encoding: str | None = None) -> ParsedFile:
    """Read customers and open items from an ERP's CSV export.

    The encoding is detected unless given (a saved upload mapping may pin it);
    the delimiter is one of ``, ; TAB |``. Raises :class:`FileRejected` only for
    problems of the whole file; a bad row becomes a :class:`RowError`.
    """
    text = _decode(data, file, encoding)
    lines = _Lines(text)
    delimiter = lines.delimiter_hint
    header_line, header = lines.header(file, delimiter)
    columns = _map_header(header, file, header_line)

    builder = _FileBuilder(file)
    try:
        for line, cells in lines.records(header_line, header.delimiter):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (often at the end) are not rows
            builder.rows_read += 1
            builder.add(line, cells, columns, len(header.cells))
    except csv.Error as exc:
        raise FileRejected((RowError(file, lines.current_line, None, f"unreadable CSV: {exc}"),)) from None
    return builder.result()


# --- decoding -----------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The single-byte code pages ERPs export in, in the order we prefer on a tie.
_LEGACY_ENCODINGS = ("cp1252", "cp1250", "cp1257", "cp1251")
_SAMPLE_BYTES = 256 * 1024


def _decode(data: bytes, file: str, encoding: str | None) -> str:
    def reject(reason: str) -> FileRejected:
        return FileRejected((RowError(file, 1, None, reason),))

    if not data.strip():
        raise reject("empty file")
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise reject(f"cannot decode the file as {encoding}: {exc}") from None
    else:
        detected = _detect_and_decode(data)
        if detected is None:
            raise reject("cannot decode the file: not UTF-8 and no known encoding fits")
        text = detected
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise reject("not a text file (contains NUL characters)")
    if not text.strip():
        raise reject("empty file")
    return text


def _detect_and_decode(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _decode_legacy(data)
    if text is not None:
        return text
    # Not a Windows code page either (UTF-16 without BOM, an Asian code page...).
    best = charset_normalizer.from_bytes(data).best()
    return None if best is None else str(best)


def _decode_legacy(data: bytes) -> str | None:
    """Pick among the Windows code pages by how plausible the decoded words are.

    charset_normalizer alone is unreliable here: on a few hundred bytes of
    mostly ASCII it reads French cp1252 as cp1250 ("Hélčne") and Polish cp1250
    as cp1252 ("Pawe³"). Words, though, give the code page away: a symbol
    glued to letters, or letters no single language writes together, mean the
    wrong one.
    """
    sample = data[:_SAMPLE_BYTES]
    ranked: list[tuple[tuple[int, int, int], str]] = []
    for preference, codec in enumerate(_LEGACY_ENCODINGS):
        try:
            decoded = sample.decode(codec)
        except UnicodeDecodeError:
            continue
        plausibility = _plausibility(decoded)
        if plausibility is not None:
            ranked.append(((plausibility[0], plausibility[1], -preference), codec))
    for _, codec in sorted(ranked, reverse=True):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue  # a byte undefined in this code page beyond the sample
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WORD = re.compile(r"[^\s\x21-\x40\x5b-\x60\x7b-\x7e]+")
# Non-ASCII letters of the languages written in the candidate code pages.
_LATIN_ALPHABETS = tuple(
    frozenset(letters)
    for letters in (
        "àâæçéèêëîïôœùûüÿ",  # French
        "äöüß",  # German
        "áéíñóúü",  # Spanish
        "àèéìíîòóù",  # Italian
        "áâãàçéêíóôõú",  # Portuguese
        "áéëïóöü",  # Dutch
        "åäöé",  # Swedish
        "åäöšž",  # Finnish
        "æøåé",  # Danish, Norwegian
        "áðéíóúýþæö",  # Icelandic
        "áčďéěíňóřšťúůýž",  # Czech
        "áäčďéíĺľňóôŕšťúýž",  # Slovak
        "ąćęłńóśźż",  # Polish
        "áéíóöőúüű",  # Hungarian
        "čćđšž",  # Slovenian, Croatian, Bosnian, Serbian latin
        "ăâîșțşţ",  # Romanian
        "ąčęėįšųūž",  # Lithuanian
        "āčēģīķļņšūž",  # Latvian
        "äõöüšž",  # Estonian
    )
)
# A Cyrillic word has no Latin letters at all: "Mьller" is cp1251 misreading "Müller".
_CYRILLIC = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюяёђѓєѕіїјљњћќўџґ")
_ALPHABETS = (*_LATIN_ALPHABETS, _CYRILLIC)


def _plausibility(text: str) -> tuple[int, int] | None:
    """(word score, words one language covers), or None if the text has control characters."""
    if _CONTROL.search(text):
        return None
    score = 0
    words: list[frozenset[str]] = []
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        letters = frozenset(c.lower() for c in word if not c.isascii() and c.isalpha())
        symbols = sum(1 for c in word if not c.isascii() and not c.isalpha())
        if symbols and len(letters) + sum(c.isascii() for c in word) > 0:
            score -= 3 * symbols  # "Pawe³", "£ódŸ": a symbol inside a word is a misread letter
        if not letters:
            continue
        if letters <= _CYRILLIC and any(c.isascii() and c.isalpha() for c in word):
            letters = letters | {"latin"}  # covered by no alphabet
        words.append(letters)
        score += 1 if any(letters <= alphabet for alphabet in _ALPHABETS) else -2
    one_language = max((sum(1 for w in words if w <= alphabet) for alphabet in _ALPHABETS), default=0)
    return score, one_language


# --- lines, delimiter, header ------------------------------------------------------------------------

_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024


@dataclass(frozen=True)
class _Header:
    cells: list[str]
    delimiter: str


class _Lines:
    """The decoded text as physical lines, so that every record knows its line number."""

    def __init__(self, text: str) -> None:
        self.lines = io.StringIO(text, newline="").readlines()
        self.current_line = 0
        # Excel writes (and reads) a "sep=;" line before the header.
        first = self.lines[0].strip() if self.lines else ""
        self.delimiter_hint: str | None = None
        self.skip = 0
        if first.lower().startswith("sep=") and len(first) == 5 and first[4] in _DELIMITERS:
            self.delimiter_hint, self.skip = first[4], 1

    def header(self, file: str, delimiter: str | None) -> tuple[int, _Header]:
        for index in range(self.skip, len(self.lines)):
            line = self.lines[index]
            if line.strip():
                delimiter = delimiter or _sniff_delimiter(self._sample(index), line)
                cells = next(csv.reader([line], delimiter=delimiter, quotechar='"'), [])
                return index + 1, _Header([c.strip() for c in cells], delimiter)
        raise FileRejected((RowError(file, 1, None, "empty file: no header row"),))

    def _sample(self, start: int) -> str:
        sample = "".join(self.lines[start : start + 200])
        return sample[:_SNIFF_CHARS]

    def records(self, header_line: int, delimiter: str) -> Iterator[tuple[int, list[str]]]:
        """Yield (line number where the record starts, cells) after the header."""
        source = iter(self.lines[header_line:])
        reader = csv.reader(source, delimiter=delimiter, quotechar='"')
        consumed = header_line
        for cells in reader:
            start = consumed + 1
            consumed = header_line + reader.line_num
            self.current_line = consumed
            yield start, cells


def _sniff_delimiter(sample: str, header_line: str) -> str:
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    # The sniffer can be fooled by decimal commas in the data; the header has none.
    if sniffed and sniffed in header_line:
        return sniffed
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _normalise_name(text: str) -> str:
    """Fold case, accents, spaces, underscores and punctuation: "Due_Date", "due date", "Dúe-Date"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


def _map_header(header: _Header, file: str, line: int) -> dict[int, str]:
    """Column index → canonical column name, for the columns we know."""
    columns: dict[int, str] = {}
    first_seen: dict[str, str] = {}
    errors: list[RowError] = []
    for index, title in enumerate(header.cells):
        canonical = _ALIASES.get(_normalise_name(title))
        if canonical is None:
            continue  # ERPs export many more columns than we need
        if canonical in first_seen:
            errors.append(
                RowError(
                    file,
                    line,
                    canonical,
                    f"columns '{first_seen[canonical]}' and '{title}' both mean {canonical}",
                )
            )
            continue
        first_seen[canonical] = title
        columns[index] = canonical
    if not columns:
        shown = header.delimiter.join(header.cells)
        raise FileRejected((RowError(file, line, None, f"no header row: no known column in '{shown[:80]}'"),))
    present = set(columns.values())
    for name in REQUIRED_COLUMNS:
        if name not in present:
            errors.append(RowError(file, line, name, f"required column '{name}' missing"))
    item_columns = sorted(present & set(ITEM_COLUMNS))
    if "item_number" in present:
        for name in REQUIRED_ITEM_COLUMNS:
            if name not in present:
                errors.append(RowError(file, line, name, f"required column '{name}' missing"))
    elif item_columns:
        # Without item numbers every item would be silently dropped as a customer-only row.
        errors.append(
            RowError(
                file,
                line,
                "item_number",
                f"required column 'item_number' missing (the file has item columns: {', '.join(item_columns)})",
            )
        )
    if errors:
        raise FileRejected(tuple(errors))
    return columns


# --- rows ---------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>.][^@\s,;<>]*\.[^@\s,;<>.]{2,}$")
_LANGUAGE = re.compile(r"^([a-z]{2})(?:[-_][a-z]{2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Customer fields compared between rows of the same account, with their column.
_CUSTOMER_FIELDS = (
    ("name", "customer_name"),
    ("email", "email"),
    ("language", "language"),
    ("country", "country"),
    ("contact_name", "contact_name"),
)


class _Row:
    """One data row's values by canonical column, collecting its errors."""

    def __init__(self, file: str, line: int, values: dict[str, str]) -> None:
        self.file = file
        self.line = line
        self.values = values
        self.errors: list[RowError] = []

    def error(self, column: str | None, reason: str) -> None:
        self.errors.append(RowError(self.file, self.line, column, reason))

    def get(self, column: str) -> str | None:
        return self.values.get(column) or None

    def required(self, column: str) -> str | None:
        value = self.get(column)
        if value is None:
            self.error(column, f"{column} is required")
        return value


class _FileBuilder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.rows_read = 0
        self.customers: dict[tuple[str, str], CustomerRow] = {}
        self.items: list[ItemRow] = []
        self.item_rows: dict[tuple[str, str, str], int] = {}
        self.errors: list[RowError] = []

    def add(self, line: int, cells: list[str], columns: dict[int, str], width: int) -> None:
        row = _Row(self.file, line, {name: cells[i].strip() for i, name in columns.items() if i < len(cells)})
        # Trailing empty cells are harmless; values beyond the header mean misaligned columns.
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            row.error(None, f"row has {len(cells)} values but the header has {width} columns")
        customer = _customer(row)
        item = None
        if row.get("item_number"):
            item = _item(row, customer)
        else:
            # An amount without an item number is an item that lost its number, not a customer row.
            filled = [c for c in ITEM_COLUMNS if row.get(c)]
            if filled:
                row.error("item_number", f"item_number is required when item columns are filled: {', '.join(filled)}")
        if not row.errors and customer is not None:
            self._check_against_earlier_rows(row, customer, item)
        if row.errors or customer is None:
            self.errors.extend(row.errors)
            return
        self.customers.setdefault((customer.entity, customer.account_number), customer)
        if item is not None:
            self.item_rows[(item.entity, item.kind, item.number)] = line
            self.items.append(item)

    def _check_against_earlier_rows(self, row: _Row, customer: CustomerRow, item: ItemRow | None) -> None:
        first = self.customers.get((customer.entity, customer.account_number))
        if first is not None:
            for field, column in _CUSTOMER_FIELDS:
                ours, theirs = getattr(customer, field), getattr(first, field)
                if ours != theirs:
                    row.error(
                        column,
                        f"{column} {_show(ours)} conflicts with {_show(theirs)} on row {first.row} "
                        f"for the same account",
                    )
        if item is not None:
            first_row = self.item_rows.get((item.entity, item.kind, item.number))
            if first_row is not None:
                row.error("item_number", f"duplicate item in file, first on row {first_row}")

    def result(self) -> ParsedFile:
        return ParsedFile(
            file=self.file,
            customers=tuple(self.customers.values()),
            items=tuple(self.items),
            errors=tuple(self.errors),
            rows_read=self.rows_read,
        )


def _show(value: str | None) -> str:
    return "(empty)" if value is None else f"'{value}'"


def _customer(row: _Row) -> CustomerRow | None:
    entity = row.required("entity")
    account = row.required("account_number")
    name = row.required("customer_name")

    email = row.get("email")
    if email is not None and not _EMAIL.match(email):
        row.error("email", f"invalid e-mail '{email}'")

    language = "en"
    raw_language = row.get("language")
    if raw_language is not None:
        match = _LANGUAGE.match(raw_language.lower())
        if match is None or match.group(1) not in ISO_639_1:
            row.error("language", f"unknown language '{raw_language}', expected an ISO 639-1 code such as 'en'")
        else:
            language = match.group(1)  # "de-AT" → "de": we keep the language, not the region

    country = row.get("country")
    if country is not None:
        if country.upper() not in ISO_3166_ALPHA2:
            row.error("country", f"unknown country '{country}', expected an ISO 3166 alpha-2 code")
        country = country.upper()

    if entity is None or account is None or name is None:
        return None
    return CustomerRow(
        entity=entity,
        account_number=account,
        name=name,
        email=email,
        language=language,
        country=country,
        contact_name=row.get("contact_name"),
        row=row.line,
    )


def _item(row: _Row, customer: CustomerRow | None) -> ItemRow | None:
    errors_before = len(row.errors)
    number = row.required("item_number")

    kind = ItemKind.INVOICE
    raw_kind = row.get("item_type")
    if raw_kind is not None:
        known = _KIND_ALIASES.get(_normalise_name(raw_kind))
        if known is None:
            row.error("item_type", f"unknown item_type '{raw_kind}'")
        else:
            kind = known

    issue_date = _date_column(row, "issue_date")
    due_date = _date_column(row, "due_date")
    if issue_date is not None and due_date is not None and due_date < issue_date:
        row.error("due_date", f"due_date {due_date.isoformat()} before issue_date {issue_date.isoformat()}")

    currency = row.required("currency")
    if currency is not None:
        if not _CURRENCY.match(currency.upper()):
            row.error("currency", f"currency must be 3 letters, got '{currency}'")
        currency = currency.upper()

    amount = _amount_column(row, "amount", required=True)
    open_amount = _amount_column(row, "open_amount", required=False)
    if kind in _CREDIT_KINDS:
        amount = None if amount is None else -abs(amount)
        open_amount = None if open_amount is None else -abs(open_amount)
    if amount is not None:
        if open_amount is None:
            open_amount = amount
        elif amount != 0 and open_amount != 0 and (open_amount > 0) != (amount > 0):
            row.error("open_amount", f"open_amount {open_amount} has the opposite sign of amount {amount}")
        elif abs(open_amount) > abs(amount):
            row.error("open_amount", f"open_amount {open_amount} exceeds amount {amount}")

    if len(row.errors) > errors_before or customer is None:
        return None
    assert number is not None and issue_date is not None and due_date is not None
    assert currency is not None and amount is not None and open_amount is not None
    return ItemRow(
        entity=customer.entity,
        account_number=customer.account_number,
        number=number,
        kind=kind.value,
        issue_date=issue_date,
        due_date=due_date,
        amount=Money(amount, currency),
        open_amount=Money(open_amount, currency),
        reference=row.get("reference"),
        row=row.line,
    )


def _date_column(row: _Row, column: str) -> date | None:
    text = row.required(column)
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError:
        row.error(column, f"invalid {column} '{text}'")
        return None


def _amount_column(row: _Row, column: str, *, required: bool) -> Decimal | None:
    text = row.required(column) if required else row.get(column)
    if text is None:
        return None
    try:
        return parse_amount(text)
    except ValueError:
        row.error(column, f"invalid {column} '{text}'")
        return None


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SLASHED_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(text: str) -> date:
    """Read a date as ERPs write it; raises ValueError for anything else.

    ``2024-03-31`` (also with Excel's `` 00:00:00``), ``31.03.2024``,
    ``20240331``, ``31/03/2024``; ``a/b/yyyy`` is day-first unless only the
    month-first reading is a date (``03/31/2024``).
    """
    value = text.strip()
    if match := _ISO_DATE.match(value) or _COMPACT_DATE.match(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DOTTED_DATE.match(value):
        day, month, year = (int(g) for g in match.groups())
    elif match := _SLASHED_DATE.match(value):
        first, second, year = (int(g) for g in match.groups())
        day, month = (second, first) if second > 12 >= first else (first, second)
    else:
        raise ValueError(f"not a date: {text!r}")
    return date(year, month, day)
