"""Parse an ERP export of customers and their open items, from CSV or XLSX.

The export has one row per open item, with the customer's columns repeated on
every row; a row without ``item_number`` only describes a customer. Which
column holds which field comes from a :class:`ColumnMapping` (a user's "smart
upload" mapping) or, without one, from the headers themselves: canonical names
and the known synonyms of :mod:`column_mapping`. Parsing is pure: bytes in,
values and per-row errors out. A row with any error produces nothing (never
half a customer or an item without its customer) and the other rows still
parse; only problems that make the whole file unreadable raise
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
* Customer fields (name, e-mail, group, collector, credit limit...) describe
  the account, so every row of an account must agree on them.
"""

from __future__ import annotations

import functools
import operator
import re
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from opendso_money import Money, parse_amount

from opendso_importer.domain.column_mapping import (
    CUSTOMER_COLUMNS,
    ITEM_COLUMNS,
    REQUIRED_ITEM_COLUMNS,
    ColumnMapping,
    canonical_field,
    check_mapping,
    locate_columns,
    missing_required,
    normalise_header,
)
from opendso_importer.domain.ids import item_id_of
from opendso_importer.domain.seen_items import SeenItems
from opendso_importer.domain.tabular import FileRejected as FileRejected
from opendso_importer.domain.tabular import RowError as RowError
from opendso_importer.domain.tabular import Table, read_table
from opendso_importer.domain.upload_source import Source


class ItemKind(StrEnum):
    """Known values of ``ItemRow.kind``; a StrEnum so plain strings compare equal."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    UNALLOCATED_PAYMENT = "unallocated_payment"
    INSTALMENT = "instalment"


_CREDIT_KINDS = frozenset({ItemKind.CREDIT_NOTE, ItemKind.UNALLOCATED_PAYMENT})


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
    customer_group: str | None = None
    sector: str | None = None
    collector: str | None = None
    sales_rep: str | None = None
    credit_limit: Decimal | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    parent_account: str | None = None
    preferred_channel: str | None = None


# An item row's checked values: number, kind, issue and due dates, amount and open amount (signed as the
# kind has them), currency, reference, product group, product, priority.
ItemFields = tuple[str, str, date, date, Decimal, Decimal, str, str | None, str | None, str | None, str | None]


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
    product_group: str | None = None
    product: str | None = None
    priority: str | None = None


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


# Item types as ERPs print them, in the languages we import (folded by normalise_header).
_KIND_ALIASES: Mapping[str, ItemKind] = {
    **dict.fromkeys(
        ("invoice", "inv", "facture", "rechnung", "faktura", "factura", "fatura", "satisfaturasi"),
        ItemKind.INVOICE,
    ),
    **dict.fromkeys(
        (
            "creditnote",
            "credit",
            "cn",
            "avoir",
            "gutschrift",
            "dobropis",
            "fakturakorygujaca",
            "korekta",
            "notadecredit",
            "iadefaturasi",
        ),
        ItemKind.CREDIT_NOTE,
    ),
    **dict.fromkeys(
        (
            "unallocatedpayment",
            "unallocated",
            "payment",
            "paiement",
            "reglement",
            "zahlung",
            "platba",
            "uhrada",
            "platnosc",
            "wplata",
            "plata",
            "incasare",
            "odeme",
            "tahsilat",
        ),
        ItemKind.UNALLOCATED_PAYMENT,
    ),
    **dict.fromkeys(
        ("instalment", "installment", "ratenzahlung", "rate", "splatka", "rata", "taksit"),
        ItemKind.INSTALMENT,
    ),
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


@functools.lru_cache(maxsize=512)
def _kind_alias(raw_kind: str) -> ItemKind | None:
    # Cached: a file repeats a handful of type names on every row.
    return _KIND_ALIASES.get(normalise_header(raw_kind))


def parse_receivables(
    data: Source,
    file: str,
    mapping: ColumnMapping | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
) -> ParsedFile:
    """Read customers and open items from an ERP export, CSV or XLSX.

    ``mapping`` says which column holds which field; without one, headers are
    recognised by their canonical names and known synonyms. A CSV's encoding
    is detected unless given, its delimiter is one of ``, ; TAB |``; an XLSX
    is read from ``sheet`` (default: the first visible sheet). Raises
    :class:`FileRejected` only for problems of the whole file; a bad row
    becomes a :class:`RowError` naming its row, field, header and value.
    """
    chunks = list(iter_receivables(data, file, mapping, encoding=encoding, sheet=sheet))
    return ParsedFile(
        file=file,
        customers=tuple(c for chunk in chunks for c in chunk.customers),
        items=tuple(i for chunk in chunks for i in chunk.items),
        errors=tuple(e for chunk in chunks for e in chunk.errors),
        rows_read=sum(chunk.rows_read for chunk in chunks),
    )


def iter_receivables(
    data: Source,
    file: str,
    mapping: ColumnMapping | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    chunk_rows: int = 20_000,
) -> Iterator[ParsedFile]:
    """The same reading as :func:`parse_receivables`, handed out ``chunk_rows`` rows at a time, so that a
    million-row file is never held whole as rows. Each chunk holds the customers first seen in it, its
    items and its errors; checks across the file (a customer's conflicting rows, duplicate items) still
    span every chunk. A :class:`FileRejected` may come after some chunks (a workbook damaged half-way):
    the caller must then drop what it did with them.
    """
    table = read_table(data, file, sheet=sheet, encoding=encoding)
    builder = _FileBuilder(file, columns_of(table, file, mapping))
    for line, cells in table.rows:
        builder.rows_read += 1
        builder.add(line, cells)
        if builder.rows_read >= chunk_rows:
            yield builder.take()
    yield builder.take()


def columns_of(table: Table, file: str, mapping: ColumnMapping | None) -> Columns:
    """Where each field is in the table's rows: as mapped, or recognised from the headers; a file whose
    columns do not fit raises :class:`FileRejected`."""
    return _columns_by_header(table, file) if mapping is None else _columns_by_mapping(table, file, mapping)


def parse_receivables_csv(data: Source, file: str, *, encoding: str | None = None) -> ParsedFile:
    """:func:`parse_receivables` without a mapping, for callers from before mappings (CSV or XLSX alike)."""
    return parse_receivables(data, file, encoding=encoding)


# --- header -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Where each field's value comes from in the rows of one file."""

    by_index: Mapping[int, str]  # column index -> field
    headers: Mapping[str, str]  # field -> header as written in the file
    constants: Mapping[str, str]  # field -> value for every row
    width: int

    @functools.cached_property
    def index_of(self) -> Mapping[str, int]:
        return {name: index for index, name in self.by_index.items()}

    @functools.cached_property
    def item_indexes(self) -> tuple[tuple[str, int], ...]:
        return tuple((name, i) for name, i in self.index_of.items() if name in _ITEM_FIELDS)

    @functools.cached_property
    def item_constants(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, value) for name, value in self.constants.items() if name in _ITEM_FIELDS)

    @functools.cached_property
    def customer_indexes(self) -> tuple[int, ...]:
        """The columns that describe the account: rows agreeing on them describe the same customer alike."""
        return tuple(sorted(i for i, name in self.by_index.items() if name in _CUSTOMER_COLUMNS))


def _columns_by_header(table: Table, file: str) -> Columns:
    """Columns recognised by name: a canonical name or a known synonym, each field once."""
    by_index: dict[int, str] = {}
    headers: dict[str, str] = {}
    errors: list[RowError] = []
    line = table.header_row
    for index, title in enumerate(table.headers):
        canonical = canonical_field(title)
        if canonical is None:
            continue  # ERPs export many more columns than we need
        if canonical in headers:
            errors.append(
                RowError(
                    file,
                    line,
                    canonical,
                    f"columns '{headers[canonical]}' and '{title}' both mean {canonical}",
                    header=title,
                )
            )
            continue
        headers[canonical] = title
        by_index[index] = canonical
    if not by_index:
        shown = (table.delimiter or ", ").join(table.headers)
        raise FileRejected((RowError(file, line, None, f"no header row: no known column in '{shown[:80]}'"),))
    missing = missing_required(headers)
    if "item_number" in missing:
        missing = tuple(n for n in missing if n not in REQUIRED_ITEM_COLUMNS or n == "item_number")
    for name in missing:
        if name == "item_number":
            # Without item numbers every item would be silently dropped as a customer-only row.
            filled = ", ".join(sorted(set(headers) & set(ITEM_COLUMNS)))
            reason = f"required column 'item_number' missing (the file has item columns: {filled})"
        else:
            reason = f"required column '{name}' missing"
        errors.append(RowError(file, line, name, reason))
    if errors:
        raise FileRejected(tuple(errors))
    return Columns(by_index, headers, {}, len(table.headers))


def _columns_by_mapping(table: Table, file: str, mapping: ColumnMapping) -> Columns:
    """Columns as a user mapped them; a mapping that does not fit the file rejects it whole."""
    problems = check_mapping(mapping, table.headers)
    if problems:
        raise FileRejected(
            tuple(RowError(file, table.header_row, p.field, p.message, header=p.header) for p in problems)
        )
    located = locate_columns(mapping, table.headers)
    return Columns(
        by_index={index: name for name, index in located.items()},
        headers={name: table.headers[index] for name, index in located.items()},
        constants={name: value.strip() for name, value in mapping.constant.items()},
        width=len(table.headers),
    )


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
    ("customer_group", "customer_group"),
    ("sector", "sector"),
    ("collector", "collector"),
    ("sales_rep", "sales_rep"),
    ("credit_limit", "credit_limit"),
    ("street", "street"),
    ("postal_code", "postal_code"),
    ("city", "city"),
    ("parent_account", "parent_account"),
    ("preferred_channel", "preferred_channel"),
)

# Every column _customer reads: the account's identity and its fields.
_CUSTOMER_COLUMNS = frozenset(CUSTOMER_COLUMNS)
_ITEM_FIELDS = frozenset(ITEM_COLUMNS)


class _Row:
    """One data row's values by canonical column, collecting its errors.

    Cells are stripped when asked for, not up front: a row is read field by field and most of a
    customer's fields are not read at all once its account has been seen (see ``_FileBuilder.add``).
    """

    __slots__ = ("cells", "columns", "errors", "file", "line")

    def __init__(self, file: str, line: int, cells: tuple[str, ...] | list[str], columns: Columns) -> None:
        self.file = file
        self.line = line
        self.cells = cells
        self.columns = columns
        self.errors: list[RowError] = []

    def error(self, column: str | None, reason: str) -> None:
        header = value = None
        if column is not None:
            header = self.columns.headers.get(column)
            value = self.get(column)
        self.errors.append(RowError(self.file, self.line, column, reason, header=header, value=value))

    def get(self, column: str) -> str | None:
        index = self.columns.index_of.get(column)
        if index is None:
            return self.columns.constants.get(column) or None
        cells = self.cells
        return (cells[index].strip() or None) if index < len(cells) else None

    def required(self, column: str) -> str | None:
        value = self.get(column)
        if value is None:
            self.error(column, f"{column} is required")
        return value

    def item_values(self) -> dict[str, str | None]:
        """The item's fields at once (``get`` for each of them costs a third of a large file's parse)."""
        cells, width = self.cells, len(self.cells)
        values = {name: (cells[i].strip() or None) if i < width else None for name, i in self.columns.item_indexes}
        for name, value in self.columns.item_constants:
            values[name] = value or None
        return values


@dataclass(slots=True)
class ParsedRow:
    """One row read on its own: its errors, or the customer it describes and its item (None for a row that
    only describes a customer). The checks that need other rows come after (:class:`FileChecks`)."""

    line: int
    errors: list[RowError]
    customer: CustomerRow | None
    item: ItemRow | None


class RowParser:
    """Reads rows one at a time; what a row means needs no other row, so rows can be read anywhere (in a
    worker process, in any order) and checked across the file afterwards."""

    def __init__(self, file: str, columns: Columns) -> None:
        self.file = file
        self.columns = columns
        # An ERP export repeats the account's columns on each of its items: cells equal to those of a row
        # already read describe that customer alike, so they are parsed once.
        self._customer_by_cells: dict[tuple[str, ...], CustomerRow] = {}

    def parse(self, line: int, cells: tuple[str, ...] | list[str]) -> ParsedRow:
        row, customer, fields = self._read(line, cells)
        if row.errors or customer is None:
            return ParsedRow(line, row.errors, None, None)
        item = None if fields is None else _item_row(customer, fields, line)
        return ParsedRow(line, row.errors, customer, item)

    def parse_fields(
        self, line: int, cells: tuple[str, ...] | list[str]
    ) -> tuple[list[RowError], CustomerRow | None, ItemFields | None]:
        """As :meth:`parse`, the item as its plain fields rather than an ItemRow: the reading workers
        turn a million of them into text and bytes at once, and making the row objects on the way would
        cost a sixth of their work."""
        row, customer, fields = self._read(line, cells)
        if row.errors or customer is None:
            return row.errors, None, None
        return row.errors, customer, fields

    def _read(
        self, line: int, cells: tuple[str, ...] | list[str]
    ) -> tuple[_Row, CustomerRow | None, ItemFields | None]:
        row = _Row(self.file, line, cells, self.columns)
        # Trailing empty cells are harmless; values beyond the header mean misaligned columns.
        width = self.columns.width
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            row.error(None, f"row has {len(cells)} values but the header has {width} columns")
        account_cells = self._account_cells(cells)
        customer = self._customer_by_cells.get(account_cells)
        if customer is None:
            errors_before = len(row.errors)
            customer = _customer(row)
            if customer is not None and len(row.errors) == errors_before:
                self._customer_by_cells[account_cells] = customer
        fields = None
        if row.get("item_number"):
            fields = _item_fields(row)
        else:
            # An amount without an item number is an item that lost its number, not a customer row.
            filled = [c for c in ITEM_COLUMNS if row.get(c)]
            if filled:
                row.error("item_number", f"item_number is required when item columns are filled: {', '.join(filled)}")
        return row, customer, fields

    def _account_cells(self, cells: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        indexes = self.columns.customer_indexes
        # One itemgetter call for a full row (itemgetter of a single index answers the cell, not a tuple).
        if len(indexes) > 1 and len(cells) > indexes[-1]:
            return self._take_account_cells(cells)
        return tuple(cells[i] if i < len(cells) else "" for i in indexes)

    @functools.cached_property
    def _take_account_cells(self) -> Callable[[tuple[str, ...] | list[str]], tuple[str, ...]]:
        first, *rest = self.columns.customer_indexes
        return operator.itemgetter(first, *rest)


class FileChecks:
    """The checks across a file's rows, in row order: every row of an account agrees on the customer's
    fields with the account's first accepted row, and an item appears once.

    What is kept of an account is small (about 200 bytes, not the 1 KB of its row): its first row and a
    64-bit hash of each of its fields, in flat arrays. A later row is compared field by field with those
    hashes; two different values would have to share a keyed 64-bit hash to slip through (about one
    chance in 10^19 a comparison). The conflict names the account's first row, where the other value is.
    """

    def __init__(self, file: str, columns: Columns, *, expected_rows: int = 0) -> None:
        self.file = file
        self.columns = columns
        # Account ("entity<US>account") -> its ordinal + 1 in the arrays below.
        self._accounts = SeenItems(expected_rows // 8)
        self._first_rows = array("i")
        self._digests = array("q")  # _DIGEST_WIDTH hashes an account
        # By item id ("entity/kind/number"): the most of what an import keeps as it goes, kept small.
        self.item_rows = SeenItems(expected_rows)
        # Rows of an account come together and share their CustomerRow: its digest is made once, and once
        # it agrees with the account's (or is the account's first), the next rows with it are not compared.
        self._last: tuple[CustomerRow, tuple[int, ...]] | None = None
        self._agreeing: CustomerRow | None = None

    def accept(self, line: int, customer: CustomerRow, item_id: str | None) -> tuple[list[RowError], bool]:
        """The row's errors against the rows accepted before it (none: it is accepted and remembered), and
        whether it is the first accepted row of its account.

        ``customer`` is the customer the row describes as read (its ``row`` may be another row with the
        same cells); ``item_id`` the row's item's id (store.item_id_of), None for a customer-only row.
        """
        errors: list[RowError] = []
        if customer is self._agreeing:
            return self._check_item(line, customer, item_id, errors), False
        digest = self._digest(customer)
        key = f"{customer.entity}\x1f{customer.account_number}"
        ordinal = self._accounts.first_row(key)
        if ordinal is not None:
            at = (ordinal - 1) * _DIGEST_WIDTH
            held = self._digests[at : at + _DIGEST_WIDTH]
            if tuple(held) != digest:
                first_row = self._first_rows[ordinal - 1]
                for (field, column), ours, theirs in zip(_CUSTOMER_FIELDS, digest, held, strict=True):
                    if ours != theirs:
                        errors.append(self._error(line, customer, column, field, first_row))
        self._check_item(line, customer, item_id, errors)
        if errors:
            return errors, False
        self._agreeing = customer
        if ordinal is None:
            self._accounts.add(key, len(self._first_rows) + 1)
            self._first_rows.append(line)
            self._digests.extend(digest)
            return errors, True
        return errors, False

    def _check_item(
        self, line: int, customer: CustomerRow, item_id: str | None, errors: list[RowError]
    ) -> list[RowError]:
        """Adds to ``errors`` the row's item found earlier in the file; remembers it when the row has
        no error."""
        if item_id is not None:
            # Accepted so far: remembered in the same lookup that finds an earlier row with the item.
            first_row_of_item = self.item_rows.first_row(item_id) if errors else self.item_rows.add(item_id, line)
            if first_row_of_item is not None:
                # The number is what follows the entity and the kind (a kind has no slash; a number may).
                number = item_id[len(customer.entity) + 1 :].split("/", 1)[1]
                errors.append(
                    RowError(
                        self.file,
                        line,
                        "item_number",
                        f"duplicate item in file, first on row {first_row_of_item}",
                        header=self.columns.headers.get("item_number"),
                        value=number,
                    )
                )
        return errors

    def _digest(self, customer: CustomerRow) -> tuple[int, ...]:
        last = self._last
        if last is not None and last[0] is customer:
            return last[1]
        digest = tuple(hash(getattr(customer, field)) for field, _ in _CUSTOMER_FIELDS)
        self._last = (customer, digest)
        return digest

    def _error(self, line: int, customer: CustomerRow, column: str, field: str, first_row: int) -> RowError:
        value = getattr(customer, field)
        return RowError(
            self.file,
            line,
            column,
            f"{column} {_show(value)} conflicts with the value on row {first_row} for the same account",
            header=self.columns.headers.get(column),
            value=None if value is None else str(value),
        )


_DIGEST_WIDTH = len(_CUSTOMER_FIELDS)
_FIELD_OF_COLUMN = {column: field for field, column in _CUSTOMER_FIELDS}


class _FileBuilder:
    """Rows read and checked in order, in one process, handed out in chunks."""

    def __init__(self, file: str, columns: Columns) -> None:
        self.parser = RowParser(file, columns)
        self.checks = FileChecks(file, columns)
        self.file = file
        self.rows_read = 0
        self.new_customers: list[CustomerRow] = []
        self.items: list[ItemRow] = []
        self.errors: list[RowError] = []

    def add(self, line: int, cells: tuple[str, ...] | list[str]) -> None:
        parsed = self.parser.parse(line, cells)
        if parsed.customer is None:
            self.errors.extend(parsed.errors)
            return
        item = parsed.item
        customer = parsed.customer
        errors, first = self.checks.accept(
            line, customer, None if item is None else item_id_of(item.entity, item.kind, item.number)
        )
        if errors:
            self.errors.extend(errors)
            return
        if first:
            # As its first accepted row describes it (the same cells may have been read on an earlier row).
            self.new_customers.append(customer if customer.row == line else replace(customer, row=line))
        if item is not None:
            self.items.append(item)

    def take(self) -> ParsedFile:
        """What was read since the last take; the cross-row checks keep their memory."""
        chunk = ParsedFile(
            file=self.file,
            customers=tuple(self.new_customers),
            items=tuple(self.items),
            errors=tuple(self.errors),
            rows_read=self.rows_read,
        )
        self.new_customers, self.items, self.errors, self.rows_read = [], [], [], 0
        return chunk


def _show(value: object) -> str:
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

    credit_limit = _amount_value(row, "credit_limit", row.get("credit_limit"), required=False)
    if credit_limit is not None and credit_limit < 0:
        row.error("credit_limit", f"credit_limit {credit_limit} is negative")

    if entity is None or account is None or name is None:
        return None
    preferred_channel = _channel(row)
    return CustomerRow(
        entity=entity,
        account_number=account,
        name=name,
        email=email,
        language=language,
        country=country,
        contact_name=row.get("contact_name"),
        row=row.line,
        customer_group=row.get("customer_group"),
        sector=row.get("sector"),
        collector=row.get("collector"),
        sales_rep=row.get("sales_rep"),
        credit_limit=credit_limit,
        street=row.get("street"),
        postal_code=row.get("postal_code"),
        city=row.get("city"),
        parent_account=row.get("parent_account"),
        preferred_channel=preferred_channel,
    )


CHANNELS = ("email", "sms", "whatsapp", "letter", "phone")
_CHANNEL_ALIASES = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "courriel": "email",
    "sms": "sms",
    "text": "sms",
    "whatsapp": "whatsapp",
    "letter": "letter",
    "courrier": "letter",
    "brief": "letter",
    "post": "letter",
    "dopis": "letter",
    "list": "letter",
    "scrisoare": "letter",
    "mektup": "letter",
    "phone": "phone",
    "telephone": "phone",
    "téléphone": "phone",
    "telefon": "phone",
    "call": "phone",
}


def _channel(row: _Row) -> str | None:
    raw = row.get("preferred_channel")
    if raw is None:
        return None
    channel = _CHANNEL_ALIASES.get(raw.strip().lower())
    if channel is None:
        row.error("preferred_channel", f"unknown channel {raw!r}; one of {', '.join(CHANNELS)}")
    return channel


def _item_fields(row: _Row) -> ItemFields | None:
    """The row's item read and checked on its own, or None (its errors noted on the row)."""
    errors_before = len(row.errors)
    values = row.item_values()
    number = values.get("item_number")
    if number is None:
        row.error("item_number", "item_number is required")

    kind = ItemKind.INVOICE
    raw_kind = values.get("item_type")
    if raw_kind is not None:
        known = _kind_alias(raw_kind)
        if known is None:
            row.error("item_type", f"unknown item_type '{raw_kind}'")
        else:
            kind = known

    issue_date = _date_value(row, "issue_date", values.get("issue_date"))
    due_date = _date_value(row, "due_date", values.get("due_date"))
    if issue_date is not None and due_date is not None and due_date < issue_date:
        row.error("due_date", f"due_date {due_date.isoformat()} before issue_date {issue_date.isoformat()}")

    currency = values.get("currency")
    if currency is None:
        row.error("currency", "currency is required")
    else:
        currency = currency.upper()
        if not _CURRENCY.match(currency):
            row.error("currency", f"currency must be 3 letters, got '{values.get('currency')}'")

    amount = _amount_value(row, "amount", values.get("amount"), required=True)
    open_amount = _amount_value(row, "open_amount", values.get("open_amount"), required=False)
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

    if len(row.errors) > errors_before:
        return None
    assert number is not None and issue_date is not None and due_date is not None
    assert currency is not None and amount is not None and open_amount is not None
    return (
        number,
        kind.value,
        issue_date,
        due_date,
        amount,
        open_amount,
        currency,
        values.get("reference"),
        values.get("product_group"),
        values.get("product"),
        values.get("priority"),
    )


def _item_row(customer: CustomerRow, fields: ItemFields, line: int) -> ItemRow:
    number, kind, issue_date, due_date, amount, open_amount, currency, reference, product_group, product, priority = (
        fields
    )
    return ItemRow(
        entity=customer.entity,
        account_number=customer.account_number,
        number=number,
        kind=kind,
        issue_date=issue_date,
        due_date=due_date,
        amount=Money(amount, currency),
        open_amount=Money(open_amount, currency),
        reference=reference,
        row=line,
        product_group=product_group,
        product=product,
        priority=priority,
    )


def _date_value(row: _Row, column: str, text: str | None) -> date | None:
    if text is None:
        row.error(column, f"{column} is required")
        return None
    try:
        return _cached_date(text)
    except ValueError:
        row.error(column, f"invalid {column} '{text}'")
        return None


def _amount_value(row: _Row, column: str, text: str | None, *, required: bool) -> Decimal | None:
    if text is None:
        if required:
            row.error(column, f"{column} is required")
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


@functools.lru_cache(maxsize=8192)
def _cached_date(text: str) -> date:
    # A ledger's dates repeat (a few thousand distinct days in a million items); dates are immutable.
    return parse_date(text)


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
