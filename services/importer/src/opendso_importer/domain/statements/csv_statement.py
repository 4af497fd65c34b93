"""Bank statements exported as CSV from online banking (and, through the same reading of rows,
as XLSX workbooks: see :mod:`.xlsx_statement`).

There is no standard: each bank names its columns in its own language. A mapping from
our field names to the file's column headers can be given (and saved per bank);
without one, the headers of common English, German, French and Czech exports are
recognised. Some exports start with a few lines about the account before the header;
they are skipped, and an IBAN among them is taken as the account's.

Conventions we pick:

* An amount is signed, or unsigned with a debit/credit column (S/H, D/C...), or split
  into a debit and a credit column. A file whose amounts end in a comma and one or two
  digits writes decimal commas, so "1.234" in it is one thousand two hundred and
  thirty-four; otherwise a dot is the decimal separator.
* Dates are ISO or day first (31.03.2026, 31/03/2026, 2. 3. 2026): the banks whose
  exports we read are European.
* Rows are grouped into one statement per account and currency. A CSV export has no
  balances, so nothing is checked against them.
* Any bad row rejects the whole file: a statement with a line missing would leave a
  payment unapplied without anyone noticing.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePath

from opendso_money import parse_amount
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from opendso_importer.domain.statements.model import (
    BIC_PATTERN,
    Statement,
    StatementError,
    Transaction,
    clean_text,
    decode_text,
    looks_like_iban,
    make_money,
    normalise_iban,
)
from opendso_importer.domain.statements.references import classify_reference

CSV_FIELDS = (
    "booking_date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "direction",
    "currency",
    "counterparty_name",
    "counterparty_iban",
    "counterparty_bank_code",
    "counterparty_bic",
    "remittance_text",
    "variable_symbol",
    "structured_reference",
    "end_to_end_id",
    "bank_reference",
    "bank_transaction_code",
    "account_iban",
)

# Normalised header (see _normalise) → field. Several columns may feed remittance_text;
# for any other field the first column found wins.
_ALIASES: Mapping[str, str] = {
    **{f.replace("_", ""): f for f in CSV_FIELDS},
    # English
    "date": "booking_date",
    "bookingday": "booking_date",
    "transactiondate": "booking_date",
    "postingdate": "booking_date",
    "valuedate": "value_date",
    "transactionamount": "amount",
    "debitamount": "debit",
    "creditamount": "credit",
    "creditdebit": "direction",
    "debitcredit": "direction",
    "dc": "direction",
    "ccy": "currency",
    "counterparty": "counterparty_name",
    "name": "counterparty_name",
    "payerpayee": "counterparty_name",
    "payer": "counterparty_name",
    "payee": "counterparty_name",
    "iban": "counterparty_iban",
    "counterpartyaccount": "counterparty_iban",
    "bic": "counterparty_bic",
    "swift": "counterparty_bic",
    "bicswift": "counterparty_bic",
    "reference": "remittance_text",
    "referenceremittance": "remittance_text",
    "remittance": "remittance_text",
    "remittanceinformation": "remittance_text",
    "purpose": "remittance_text",
    "description": "remittance_text",
    "details": "remittance_text",
    "creditorreference": "structured_reference",
    "endtoendreference": "end_to_end_id",
    "endtoendid": "end_to_end_id",
    "transactionid": "bank_reference",
    "transactiontype": "bank_transaction_code",
    "bookingtext": "bank_transaction_code",
    "account": "account_iban",
    "ownaccount": "account_iban",
    # German
    "buchungstag": "booking_date",
    "buchungsdatum": "booking_date",
    "datum": "booking_date",
    "wertstellung": "value_date",
    "wertstellungsdatum": "value_date",
    "valuta": "value_date",
    "valutadatum": "value_date",
    "betrag": "amount",
    "umsatz": "amount",
    "soll": "debit",
    "haben": "credit",
    "sollhaben": "direction",
    "wahrung": "currency",
    "waehrung": "currency",
    "auftraggeberempfanger": "counterparty_name",
    "auftraggeberempfaenger": "counterparty_name",
    "auftraggeber": "counterparty_name",
    "empfanger": "counterparty_name",
    "zahlungsempfanger": "counterparty_name",
    "beguenstigterzahlungspflichtiger": "counterparty_name",
    "begunstigterzahlungspflichtiger": "counterparty_name",
    "namezahlungsbeteiligter": "counterparty_name",
    "ibanzahlungsbeteiligter": "counterparty_iban",
    "kontonummeriban": "counterparty_iban",
    "kontonummer": "counterparty_iban",
    "biczahlungsbeteiligter": "counterparty_bic",
    "verwendungszweck": "remittance_text",
    "endezuendereferenz": "end_to_end_id",
    "kundenreferenz": "end_to_end_id",
    "buchungstext": "bank_transaction_code",
    "umsatzart": "bank_transaction_code",
    "auftragskonto": "account_iban",
    # French
    "dateoperation": "booking_date",
    "datedoperation": "booking_date",
    "datecomptable": "booking_date",
    "datedecomptabilisation": "booking_date",
    "datevaleur": "value_date",
    "datedevaleur": "value_date",
    "montant": "amount",
    "montantdebit": "debit",
    "montantcredit": "credit",
    "devise": "currency",
    "monnaie": "currency",
    "tiers": "counterparty_name",
    "nomdutiers": "counterparty_name",
    "contrepartie": "counterparty_name",
    "beneficiaire": "counterparty_name",
    "ibandutiers": "counterparty_iban",
    "bicdutiers": "counterparty_bic",
    "libelle": "remittance_text",
    "libelleoperation": "remittance_text",
    "libelledeloperation": "remittance_text",
    "communication": "remittance_text",
    "referencedebout": "end_to_end_id",
    "typedoperation": "bank_transaction_code",
    "typeoperation": "bank_transaction_code",
    # Czech (and Slovak)
    "datumzauctovani": "booking_date",
    "datumpohybu": "booking_date",
    "datumprovedeni": "booking_date",
    "datumvaluty": "value_date",
    "castka": "amount",
    "objem": "amount",
    "suma": "amount",
    "vydaj": "debit",
    "prijem": "credit",
    "mena": "currency",
    "nazevprotiuctu": "counterparty_name",
    "protistrana": "counterparty_name",
    "protiucet": "counterparty_iban",
    "cisloprotiuctu": "counterparty_iban",
    "kodbanky": "counterparty_bank_code",
    "bicprotiuctu": "counterparty_bic",
    "zpravaproprijemce": "remittance_text",
    "poznamka": "remittance_text",
    "popis": "remittance_text",
    "variabilnisymbol": "variable_symbol",
    "variabilnysymbol": "variable_symbol",
    "vs": "variable_symbol",
    "idpohybu": "bank_reference",
    "idtransakce": "bank_reference",
    "typ": "bank_transaction_code",
    "typpohybu": "bank_transaction_code",
}

_DEBIT_MARKS = frozenset({"d", "s", "dbit", "db", "dr", "debit", "soll", "-", "vydaj", "ausgang", "belastung"})
_CREDIT_MARKS = frozenset({"c", "h", "crdt", "cr", "credit", "haben", "+", "prijem", "eingang", "gutschrift"})
_DELIMITERS = ";,\t|"
HEADER_SEARCH_LINES = 30
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4}|\d{2})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CURRENCY_CODE = re.compile(r"(?:^|(?<=[\s\d]))([A-Z]{3})(?=$|[\s\d+-])")
_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "Kč": "CZK", "$": "USD"}
_DECIMAL_COMMA = re.compile(r",\d{1,2}\)?-?$")
_DECIMAL_POINT = re.compile(r"\.\d{1,2}\)?-?$")
# Czech and Slovak domestic account: [prefix-]number/bank code.
_DOMESTIC_ACCOUNT = re.compile(r"^(?:(\d{1,6})-)?(\d{2,10})(?:/(\d{4}))?$")
_VARIABLE_SYMBOL = re.compile(r"^\d{1,10}$")


def parse_csv_statement(
    data: bytes, file: str, mapping: Mapping[str, str] | None = None, *, currency: str | None = None
) -> list[Statement]:
    """The statements of a CSV export: one per account and currency, in the order they first appear.

    ``mapping`` names the column (by its header) of each field in :data:`CSV_FIELDS`;
    without it the headers are recognised. ``currency`` is for files without a currency
    column. A header-only file holds no statement.
    """
    check_mapping(mapping, file)
    text = decode_text(data, file).removeprefix("\ufeff")
    # Lines as the csv module counts them (not str.splitlines, which also breaks at \u2028 and
    # other separators a remittance text may hold), so that row numbers are physical lines.
    lines = io.StringIO(text, newline="").readlines()
    header = _find_header(lines, file, mapping)
    account_iban = preamble_iban(_split(line, header.delimiter) for line in lines[: header.line - 1])
    rows = [(f"line {line}", cells) for line, cells in _rows(lines, header, file)]
    return read_rows(file, "csv", rows, header, currency=currency, account_iban=account_iban)


def check_mapping(mapping: Mapping[str, str] | None, file: str) -> None:
    """Refuse a mapping naming fields we do not know, or without a booking date and an amount."""
    if mapping is None:
        return
    unknown = sorted(set(mapping) - set(CSV_FIELDS))
    if unknown:
        raise StatementError(file, "mapping", f"unknown fields {unknown}; known: {', '.join(CSV_FIELDS)}")
    if "booking_date" not in mapping or not {"amount", "debit", "credit"} & mapping.keys():
        raise StatementError(file, "mapping", "a mapping needs booking_date and amount (or debit and credit)")


def read_rows(
    file: str,
    format: str,
    rows: Sequence[tuple[str, Sequence[Cell]]],
    header: Header,
    *,
    currency: str | None = None,
    account_iban: str | None = None,
) -> list[Statement]:
    """The statements of a table's data rows, each given with where it is ("line 12"), read
    through the columns of its header; one statement per account and currency."""
    decimal_comma = _decimal_comma(
        [
            cell
            for _, cells in rows
            for f in ("amount", "debit", "credit")
            for cell in _cells(cells, header, f)
            if isinstance(cell, str)
        ]
    )
    readers = [_Row(file, where, cells, header, decimal_comma, currency, account_iban) for where, cells in rows]
    return _statements([(row.account(), row.transaction()) for row in readers], file, format)


def has_statement_header(lines: list[str]) -> bool:
    """Whether one of the lines is a header we recognise (a booking date and an amount column)."""
    try:
        _find_header([f"{line}\n" for line in lines], "<sniff>", None)
    except StatementError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Number:
    """A number as a spreadsheet holds it: its value, and the currency its format shows, if any."""

    value: Decimal
    currency: str | None = None


# A cell as a table gives it: CSV cells are all text; a workbook's may be numbers and dates.
Cell = str | Number | date


@dataclass(frozen=True, slots=True)
class Header:
    """Where a table's header is and which of its columns feed which field.

    ``columns`` maps a field to the indices of its columns (several only for
    remittance_text); ``labels`` names each column in error messages.
    """

    line: int
    delimiter: str
    columns: dict[str, list[int]]
    labels: list[str]


def _normalise(header: str) -> str:
    without_notes = re.sub(r"\(.*?\)", "", header)
    decomposed = unicodedata.normalize("NFKD", without_notes)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")
    return "".join(c for c in plain.casefold() if c.isalnum())


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def header_columns(
    cells: Sequence[str], mapping: Mapping[str, str] | None, file: str, where: str
) -> dict[str, list[int]] | None:
    """The columns of the fields, when the cells are a header we recognise (a booking date
    and an amount column at least); None when they are not.

    With a ``mapping``, a header that has the booking date and an amount but misses another
    mapped column is refused, naming the missing columns.
    """
    wanted = None if mapping is None else {_normalise(h): f for f, h in mapping.items()}
    columns: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        key = _normalise(cell)
        field = wanted.get(key) if wanted is not None else _ALIASES.get(key)
        if field is None:
            continue
        if field not in columns:
            columns[field] = [index]
        elif field == "remittance_text":
            columns[field].append(index)
    if "booking_date" not in columns or not {"amount", "debit", "credit"} & columns.keys():
        return None
    if mapping is not None and wanted is not None and len(columns) < len(wanted):
        missing = sorted(set(wanted.values()) - columns.keys())
        raise StatementError(file, where, "no column " + ", ".join(f"{mapping[f]!r} ({f})" for f in missing))
    return columns


HEADER_HINT = "e.g. 'Booking date', 'Buchungstag', 'Datum zaúčtování'"


def _find_header(lines: list[str], file: str, mapping: Mapping[str, str] | None) -> Header:
    for number, line in enumerate(lines[:HEADER_SEARCH_LINES], start=1):
        for delimiter in _DELIMITERS:
            if delimiter not in line:
                continue
            cells = _split(line, delimiter)
            columns = header_columns(cells, mapping, file, f"line {number}")
            if columns is not None:
                return Header(number, delimiter, columns, [repr(cell) for cell in cells])
    expected = "the mapped columns" if mapping is not None else HEADER_HINT
    raise StatementError(
        file,
        f"lines 1-{min(len(lines), HEADER_SEARCH_LINES)}",
        f"no header with a booking date and an amount column ({expected})",
    )


def preamble_iban(rows: Iterable[Sequence[Cell]]) -> str | None:
    """The account's IBAN when the rows above the header name exactly one ("IBAN: DE89 ...")."""
    found: set[str] = set()
    for cells in rows:
        for cell in cells:
            if not isinstance(cell, str):
                continue
            for candidate in (cell, *cell.split(":")[1:]):
                if looks_like_iban(candidate):
                    try:
                        found.add(normalise_iban(candidate))
                    except ValueError:
                        continue
    return found.pop() if len(found) == 1 else None


def _rows(lines: list[str], header: Header, file: str) -> list[tuple[int, list[str]]]:
    """The data rows after the header, each with the line it starts on (quoted cells may span lines)."""
    body = "".join(lines[header.line :])
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=header.delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = header.line + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
            start = header.line + reader.line_num + 1
    except csv.Error as exc:
        raise StatementError(file, f"line {start}", f"unreadable CSV: {exc}") from None
    return rows


def _cells(cells: Sequence[Cell], header: Header, field: str) -> list[Cell]:
    """The field's non-blank cells in the row, text stripped."""
    found: list[Cell] = []
    for index in header.columns.get(field, []):
        if index < len(cells):
            cell = cells[index]
            if isinstance(cell, str):
                cell = cell.strip()
                if not cell:
                    continue
            found.append(cell)
    return found


def _text(cell: Cell) -> str:
    if isinstance(cell, Number):
        return format(cell.value, "f")
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


def _decimal_comma(amounts: list[str]) -> bool | None:
    """Whether the file writes decimal commas; None when no amount tells."""
    for amount in amounts:
        compact = amount.replace(" ", "")
        if _DECIMAL_COMMA.search(compact):
            return True
        if _DECIMAL_POINT.search(compact):
            return False
    return None


class _Row:
    """One data row, read into a transaction; errors name where it is and its column."""

    def __init__(
        self,
        file: str,
        where: str,
        cells: Sequence[Cell],
        header: Header,
        decimal_comma: bool | None,
        currency: str | None,
        account_iban: str | None,
    ) -> None:
        self.file = file
        self.where = where
        self.cells = cells
        self.header = header
        self.decimal_comma = decimal_comma
        self.default_currency = currency
        self.default_account = account_iban

    def raw(self, field: str) -> Cell | None:
        found = _cells(self.cells, self.header, field)
        return found[0] if found else None

    def cell(self, field: str) -> str | None:
        found = self.raw(field)
        return None if found is None else _text(found)

    def error(self, field: str | None, reason: str) -> StatementError:
        if field is None:
            return StatementError(self.file, self.where, reason)
        column = self.header.labels[self.header.columns[field][0]]
        return StatementError(self.file, self.where, f"{field} (column {column}): {reason}")

    def transaction(self) -> Transaction:
        booking_date = self.date("booking_date")
        if booking_date is None:
            raise self.error("booking_date", "missing booking date")
        amount, currency_hint = self.amount()
        currency = (self.cell("currency") or currency_hint or self.default_currency or "").upper()
        try:
            money = make_money(amount, currency)
        except ValueError:
            if "currency" in self.header.columns:
                raise self.error("currency", f"not a currency code: {currency!r}") from None
            raise self.error(None, "no currency column, and the amount names none") from None
        lines = (clean_text(_text(c)) for c in _cells(self.cells, self.header, "remittance_text"))
        remittance = " ".join(t for t in lines if t)
        end_to_end = self.cell("end_to_end_id")
        reference, reference_type = self.reference(remittance, end_to_end)
        return Transaction(
            booking_date=booking_date,
            value_date=self.date("value_date"),
            amount=money,
            counterparty_name=clean_text(self.cell("counterparty_name")),
            counterparty_iban=self.counterparty_iban(currency),
            counterparty_bic=self.bic(),
            remittance_text=remittance,
            structured_reference=reference,
            structured_reference_type=reference_type,
            end_to_end_id=end_to_end,
            bank_reference=self.cell("bank_reference"),
            bank_transaction_code=clean_text(self.cell("bank_transaction_code")),
            entry_reference=self.where,
        )

    def date(self, field: str) -> date | None:
        found = self.raw(field)
        if found is None:
            return None
        if isinstance(found, date):
            return found
        text = _text(found)
        try:
            return _parse_date(text)
        except ValueError:
            raise self.error(field, f"not a date: {text!r}") from None

    def amount(self) -> tuple[Decimal, str | None]:
        """The signed amount, and the currency written next to it, if any."""
        if "amount" in self.header.columns:
            found = self.raw("amount")
            if found is None:
                raise self.error("amount", "missing amount")
            value, currency = self.number("amount", found)
            direction = self.cell("direction")
            if direction is not None:
                mark = _normalise(direction) or direction.strip()
                if mark in _DEBIT_MARKS:
                    value = -abs(value)
                elif mark in _CREDIT_MARKS:
                    value = abs(value)
                else:
                    raise self.error("direction", f"neither debit nor credit: {direction!r}")
            return value, currency
        debit = self.raw("debit")
        credit = self.raw("credit")
        debit_value, debit_currency = self.number("debit", debit) if debit is not None else (Decimal(0), None)
        credit_value, credit_currency = self.number("credit", credit) if credit is not None else (Decimal(0), None)
        if debit is not None and credit is not None and debit_value and credit_value:
            raise self.error(None, f"both a debit ({_text(debit)}) and a credit ({_text(credit)})")
        if debit is None and credit is None:
            raise self.error(None, "neither a debit nor a credit amount")
        if debit_value:
            return -abs(debit_value), debit_currency
        return abs(credit_value), credit_currency or debit_currency

    def number(self, field: str, cell: Cell) -> tuple[Decimal, str | None]:
        if isinstance(cell, Number):
            return cell.value, cell.currency
        if isinstance(cell, date):
            raise self.error(field, f"not an amount: a date ({cell.isoformat()})")
        text = cell
        currency = None
        for symbol, code in _CURRENCY_SYMBOLS.items():
            if symbol in text:
                text, currency = text.replace(symbol, " "), code
        code_match = _CURRENCY_CODE.search(text)
        if code_match is not None:
            text, currency = text.replace(code_match.group(1), " "), code_match.group(1)
        compact = text.replace(" ", "").replace("\u00a0", "")
        if self.decimal_comma is True:
            compact = compact.replace(".", "")
        elif self.decimal_comma is False:
            compact = compact.replace(",", "")
        try:
            return parse_amount(compact), currency
        except ValueError:
            raise self.error(field, f"not an amount: {text.strip()!r}") from None

    def reference(self, remittance: str, end_to_end: str | None) -> tuple[str | None, str | None]:
        symbol = self.cell("variable_symbol")
        if symbol is not None:
            if not _VARIABLE_SYMBOL.match(symbol):
                raise self.error("variable_symbol", f"not a variable symbol (up to ten digits): {symbol!r}")
            if symbol.lstrip("0"):
                return symbol.lstrip("0"), "CZ_VS"
        structured = self.cell("structured_reference")
        if structured is not None:
            return classify_reference(structured, None, "")
        search = f"{remittance} {end_to_end}" if end_to_end else remittance
        return classify_reference(None, None, search)

    def counterparty_iban(self, currency: str) -> str | None:
        text = self.cell("counterparty_iban")
        if text is None:
            return None
        if looks_like_iban(text):
            try:
                return normalise_iban(text)
            except ValueError as exc:
                raise self.error("counterparty_iban", str(exc)) from None
        return self.domestic_iban(text.replace(" ", ""), currency)

    def domestic_iban(self, account: str, currency: str) -> str | None:
        """The IBAN of a Czech or Slovak domestic account number ("19-2000145399/0800").

        The two countries write accounts alike; the statement's own account tells which,
        else a CZK amount says Czech. Other domestic numbers stay unknown.
        """
        match = _DOMESTIC_ACCOUNT.match(account)
        bank = (match.group(3) if match else None) or self.cell("counterparty_bank_code")
        own_country = (self.cell("account_iban") or self.default_account or "")[:2].upper()
        country = own_country if own_country in ("CZ", "SK") else "CZ" if currency == "CZK" else None
        if match is None or bank is None or country is None:
            return None
        try:
            generated = IBAN.generate(
                country, bank_code=bank, branch_code=(match.group(1) or "").rjust(6, "0"), account_code=match.group(2)
            )
        except SchwiftyException:
            return None
        return str(generated.compact)

    def bic(self) -> str | None:
        text = self.cell("counterparty_bic")
        if text is None:
            return None
        if not BIC_PATTERN.match(text.upper()):
            raise self.error("counterparty_bic", f"not a BIC: {text!r}")
        return text.upper()

    def account(self) -> str | None:
        text = self.cell("account_iban")
        if text is None:
            return self.default_account
        try:
            return normalise_iban(text)
        except ValueError as exc:
            raise self.error("account_iban", str(exc)) from None


def _parse_date(text: str) -> date:
    for pattern in (_ISO_DATE, _COMPACT_DATE):
        match = pattern.match(text)
        if match is not None:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _DAY_FIRST.match(text)
    if match is None:
        raise ValueError(text)
    year = int(match.group(3))
    return date(year + 2000 if year < 100 else year, int(match.group(2)), int(match.group(1)))


def _statements(rows: list[tuple[str | None, Transaction]], file: str, format: str) -> list[Statement]:
    groups: dict[tuple[str | None, str], list[Transaction]] = {}
    for account, tx in rows:
        groups.setdefault((account, tx.amount.currency), []).append(tx)
    stem = PurePath(file).stem or file
    several_accounts = len({account for account, _ in groups}) > 1
    several_currencies = len({currency for _, currency in groups}) > 1
    return [
        Statement(
            format=format,
            statement_id="/".join(
                [stem, *([account or "-"] if several_accounts else []), *([currency] if several_currencies else [])]
            ),
            account_iban=account,
            currency=currency,
            opening_balance=None,
            closing_balance=None,
            transactions=tuple(transactions),
        )
        for (account, currency), transactions in groups.items()
    ]
