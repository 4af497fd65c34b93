"""SWIFT MT940 customer statements, read with the ``mt-940`` library.

The library splits the tags and reads balances and statement lines (``:61:``). We add
what it leaves out or gets wrong for us:

* line numbers, for error messages and for each transaction's ``entry_reference``;
* the structured ``:86:`` of German and Central European banks: sub-fields ``?00``
  posting text, ``?20``-``?29`` and ``?60``-``?63`` purpose, ``?30`` BIC, ``?31`` IBAN,
  ``?32``/``?33`` name, and the SEPA keywords inside the purpose (``EREF+``, ``SVWZ+``...);
* SWIFT envelopes (``{1:...}{2:...}{4:`` ... ``-}``) around the statements, and
  statement-level ``:86:`` after the closing balance, which the library would add to the
  last transaction's text.

Sub-fields are 27 characters wide and free text lines 65: a line filled to the width was
cut by the bank's software wherever it happened to be, so it continues the next one
without a space; a shorter line ended at a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import mt940
from mt940.models import Amount as _LibAmount
from mt940.models import Balance as _LibBalance
from mt940.models import Transactions as _LibTransactions
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from opendso_importer.domain.statements.model import (
    BIC_PATTERN,
    Balance,
    Statement,
    StatementError,
    Transaction,
    check_balances,
    clean_text,
    decode_text,
    looks_like_iban,
    make_money,
    normalise_iban,
)
from opendso_importer.domain.statements.references import classify_reference

# Every fix the library offers over its 5.0.0 behaviour: RC (reversal of a credit) is money
# going out, ":86:" is never cut after nine lines, a lower-case mark still signs the amount.
_OPTIONS = mt940.Options.all()
# ":86:" we read ourselves (see _parse_details): the library need not.
_PROCESSORS: Any = {"post_transaction_details": []}

_TAG = re.compile(r"^:(\d{2}[A-Z]?|NS):")
# Basic, application and user header blocks, and the opening of the text block.
_ENVELOPE = re.compile(r"\{[1-3]:[^{}]*\}|\{4:")
_STRUCTURED = re.compile(r"^(\d{3})([?>~^])\d{2}")
_SUBFIELD_WIDTH = 27
_LINE_WIDTH = 65
_PURPOSE = frozenset({*(f"2{d}" for d in range(10)), "60", "61", "62", "63"})
_SEPA_KEYWORD = re.compile(
    r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|PURP|COAM|OAMT|SQTP|ORCR|ORMR|DDAT|MDAT)\+"
)
_GERMAN_ACCOUNT = re.compile(r"^(\d{8})/(\d{1,10})$")
_NO_REFERENCE = "NONREF"
# The library's names of the balances, final (F) before intermediate (M) before plain.
_OPENING_BALANCES = ("final_opening_balance", "intermediate_opening_balance", "opening_balance")
_CLOSING_BALANCES = ("final_closing_balance", "intermediate_closing_balance", "closing_balance")
_NOT_PROVIDED = "NOTPROVIDED"


@dataclass(frozen=True, slots=True)
class _Tag:
    id: str
    line: int
    last_line: int
    value: str


@dataclass(frozen=True, slots=True)
class _Details:
    """What a ``:86:`` says about one transaction."""

    remittance_text: str = ""
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    counterparty_bic: str | None = None
    end_to_end_id: str | None = None
    transaction_code: str | None = None


def parse_mt940(data: bytes, file: str) -> list[Statement]:
    """Every statement in the file (a file may hold several, each starting with ``:20:``)."""
    lines = _unwrap(decode_text(data, file).splitlines())
    tags = _tags(lines)
    if not any(tag.id == "20" for tag in tags):
        raise StatementError(file, "line 1", "no :20: statement reference: not an MT940 statement")
    if tags[0].id != "20":
        raise StatementError(file, f"line {tags[0].line}", f":{tags[0].id}: before the first :20:")
    blocks: list[list[_Tag]] = []
    for tag in tags:
        if tag.id == "20":
            blocks.append([])
        blocks[-1].append(tag)
    return [_statement(block, lines, file) for block in blocks]


def _unwrap(lines: list[str]) -> list[str]:
    """The lines without SWIFT envelope blocks, as many as before so line numbers hold."""
    unwrapped = []
    for line in lines:
        if line.startswith(("{", "-}")):
            rest = _ENVELOPE.sub("", line)
            line = rest if rest.startswith(":") else ""  # "{4:" may be followed by ":20:" on its line
        unwrapped.append(line)
    return unwrapped


def _tags(lines: list[str]) -> list[_Tag]:
    tags: list[_Tag] = []
    for number, line in enumerate(lines, start=1):
        match = _TAG.match(line)
        if match is not None:
            tags.append(_Tag(match.group(1), number, number, line[match.end() :]))
        elif tags and line.strip():
            last = tags[-1]
            tags[-1] = _Tag(last.id, last.line, number, f"{last.value}\n{line}")
    return tags


def _statement(block: list[_Tag], lines: list[str], file: str) -> Statement:
    start = block[0].line
    # A ":86:" that follows no ":61:" describes the statement, not a transaction: left out.
    kept: list[str] = []
    for index, tag in enumerate(block):
        if tag.id == "86" and (index == 0 or block[index - 1].id != "61"):
            continue
        kept += lines[tag.line - 1 : tag.last_line]
    parsed = _LibTransactions(processors=_PROCESSORS, options=_OPTIONS)
    try:
        parsed.parse("\n".join(kept))
    except (RuntimeError, ArithmeticError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise _locate(block, file, exc) from None

    reference = str(parsed.data.get("transaction_reference") or "").strip()
    if not reference:
        raise StatementError(file, f"line {start}", "empty :20: statement reference")
    number = parsed.data.get("statement_number")
    sequence = parsed.data.get("sequence_number")
    statement_id = "/".join(str(p) for p in (reference, number, sequence) if p)

    currency = parsed.currency
    if currency is None:
        raise StatementError(file, f"line {start}", "no opening balance (:60F:) to tell the currency")
    opening = _balance(parsed, _OPENING_BALANCES, block, file)
    closing = _balance(parsed, _CLOSING_BALANCES, block, file)

    statement_lines = [tag for tag in block if tag.id == "61"]
    details_of = {previous.line: tag for previous, tag in pairwise(block) if (previous.id, tag.id) == ("61", "86")}
    if len(statement_lines) != len(parsed.transactions):
        raise _untyped_line(statement_lines, file)
    transactions = tuple(
        _transaction(t.data, currency, line, details_of.get(line.line), file)
        for t, line in zip(parsed.transactions, statement_lines, strict=True)
    )
    closing_tag = next((t for t in block if t.id.startswith("62")), block[0])
    check_balances(file, f"line {closing_tag.line}", opening, closing, (t.amount for t in transactions))
    return Statement(
        format="mt940",
        statement_id=statement_id,
        account_iban=_account_iban(block, file),
        currency=currency,
        opening_balance=opening,
        closing_balance=closing,
        transactions=transactions,
    )


def _untyped_line(statement_lines: list[_Tag], file: str) -> StatementError:
    # The library starts a transaction at a ":61:" only once the previous one has its type
    # code, and merges two lines otherwise.
    probe = _LibTransactions(options=_OPTIONS)
    parser = probe.tags[61]
    line = next((t.line for t in statement_lines if not parser.parse(probe, t.value.strip()).get("id")), None)
    return StatementError(
        file,
        f"line {line or statement_lines[0].line}",
        "a :61: statement line without its transaction type (e.g. NTRF)",
    )


def _locate(block: list[_Tag], file: str, exc: Exception) -> StatementError:
    """Say which field the library could not read, by reading the fields one at a time."""
    probe = _LibTransactions(options=_OPTIONS)
    for tag in block:
        parser = probe.tags.get(tag.id) or probe.tags.get(int(tag.id[:2]) if tag.id[:2].isdigit() else tag.id)
        if parser is None:
            continue
        value = "\n".join(line.rstrip() for line in tag.value.splitlines()).strip()
        try:
            fields = parser.parse(probe, value)
            for processor in probe.processors.get(f"pre_{parser.slug}", []):
                fields = processor(probe, parser, fields)
            parser(probe, fields)
        except (RuntimeError, ArithmeticError, ValueError, KeyError, TypeError, IndexError) as failure:
            first_line = value.splitlines()[0] if value else ""
            if isinstance(failure, RuntimeError):
                why = "does not match the field's format"
            elif isinstance(failure, ArithmeticError):
                why = "its amount is not a number"
            else:
                why = str(failure)
            return StatementError(file, f"line {tag.line}", f"malformed :{tag.id}: field {first_line!r}: {why}")
    return StatementError(file, f"line {block[0].line}", f"unreadable MT940 statement: {exc}")


def _balance(parsed: _LibTransactions, keys: tuple[str, ...], block: list[_Tag], file: str) -> Balance | None:
    for key in keys:
        balance = parsed.data.get(key)
        if not isinstance(balance, _LibBalance):
            continue
        tag_id = {"final": "F", "intermediate": "M"}.get(key.split("_")[0], "")
        prefix = "60" if "opening" in key else "62"
        line = next((t.line for t in block if t.id == prefix + tag_id), block[0].line)
        if not isinstance(balance.amount, _LibAmount) or balance.date is None or balance.amount.currency is None:
            raise StatementError(file, f"line {line}", "balance without an amount, currency or date")
        try:
            amount = make_money(balance.amount.amount, balance.amount.currency)
        except ValueError as exc:
            raise StatementError(file, f"line {line}", str(exc)) from None
        return Balance(_plain_date(balance.date), amount)
    return None


def _transaction(data: dict[str, Any], currency: str, line: _Tag, details_tag: _Tag | None, file: str) -> Transaction:
    amount = data.get("amount")
    value_date = data.get("date")
    if not isinstance(amount, _LibAmount) or not isinstance(value_date, date):
        raise StatementError(file, f"line {line.line}", "statement line without an amount or date")
    # The field as written, not the library's copy: that has lost the trailing spaces of
    # its lines, and a line cut at 65 characters may end in the space between two words.
    details = _parse_details(details_tag.value, file, details_tag.line) if details_tag is not None else _Details()
    customer_reference = _text(data.get("customer_reference"))
    end_to_end = details.end_to_end_id
    if end_to_end is None and customer_reference and customer_reference.upper() != _NO_REFERENCE:
        # Without an EREF the ":61:" customer reference is the payer's own reference for the payment.
        end_to_end = customer_reference
    search = f"{details.remittance_text} {end_to_end}" if end_to_end else details.remittance_text
    reference, reference_type = classify_reference(None, None, search)
    code = _text(data.get("id"))
    if details.transaction_code:
        code = f"{code}+{details.transaction_code}" if code else details.transaction_code
    entry_date = data.get("entry_date")
    return Transaction(
        booking_date=_plain_date(entry_date if isinstance(entry_date, date) else value_date),
        value_date=_plain_date(value_date),
        amount=make_money(Decimal(amount.amount), currency),
        counterparty_name=details.counterparty_name,
        counterparty_iban=details.counterparty_iban,
        counterparty_bic=details.counterparty_bic,
        remittance_text=details.remittance_text,
        structured_reference=reference,
        structured_reference_type=reference_type,
        end_to_end_id=end_to_end,
        bank_reference=_text(data.get("bank_reference")),
        bank_transaction_code=code,
        entry_reference=f"line {line.line}",
    )


def _parse_details(raw: str, file: str, line: int) -> _Details:
    """Read a ``:86:`` field: German-style sub-fields when it has them, else free text."""
    structured = _STRUCTURED.match(raw)
    if structured is None:
        return _Details(remittance_text=_join_wrapped(raw.splitlines(), _LINE_WIDTH))
    code, separator = structured.group(1), structured.group(2)
    # Sub-fields run across the 65-character lines regardless of where the lines break.
    body = "".join(raw.splitlines())[3:]
    pieces = re.split(re.escape(separator) + r"(\d{2})", body)
    fields: dict[str, list[str]] = {}
    purpose: list[str] = []
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        if key in _PURPOSE:
            purpose.append(value)
        else:
            fields.setdefault(key, []).append(value)

    keywords, free_text = _sepa_keywords(_join_wrapped(purpose, _SUBFIELD_WIDTH))
    remittance = " ".join(p for p in (free_text, keywords.get("SVWZ")) if p)
    name = clean_text(_join_wrapped(fields.get("32", []) + fields.get("33", []), _SUBFIELD_WIDTH)) or keywords.get(
        "ABWA"
    )
    account = (fields.get("31") or [keywords.get("IBAN") or ""])[0].strip()
    iban = None
    if account and looks_like_iban(account):
        try:
            iban = normalise_iban(account)
        except ValueError as exc:
            raise StatementError(file, f"line {line}", f"?31 counterparty account: {exc}") from None
    bic = (fields.get("30") or [keywords.get("BIC") or ""])[0].strip().upper()
    end_to_end = keywords.get("EREF")
    if end_to_end is not None and end_to_end.replace(" ", "").upper() == _NOT_PROVIDED:
        end_to_end = None
    return _Details(
        remittance_text=remittance,
        counterparty_name=name,
        counterparty_iban=iban,
        counterparty_bic=bic if BIC_PATTERN.match(bic) else None,  # a German bank code (BLZ) is no BIC
        end_to_end_id=end_to_end,
        transaction_code=code,
    )


def _sepa_keywords(purpose: str) -> tuple[dict[str, str], str]:
    """SEPA keywords in a purpose ("EREF+E2E-1 SVWZ+INV-7"), and the text before the first one."""
    pieces = _SEPA_KEYWORD.split(purpose)
    keywords: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        cleaned = clean_text(value)
        if cleaned and key not in keywords:
            keywords[key] = cleaned
    return keywords, clean_text(pieces[0]) or ""


def _join_wrapped(parts: list[str], width: int) -> str:
    """Join lines a bank wrapped at ``width``: a full line continues without a space."""
    joined = ""
    for index, part in enumerate(parts):
        if index and len(parts[index - 1]) < width:
            joined += " "
        joined += part
    return " ".join(joined.split())


def _account_iban(block: list[_Tag], file: str) -> str | None:
    """The account of ``:25:`` as an IBAN: given as one (maybe with its currency after it),
    or as German bank code and account number, from which the IBAN follows."""
    tag = next((t for t in block if t.id == "25"), None)
    if tag is None:
        return None
    account = re.sub(r"\s", "", tag.value).upper()
    if looks_like_iban(account[:-3]) and re.fullmatch(r"[A-Z]{3}", account[-3:]):
        account = account[:-3]
    if looks_like_iban(account):
        try:
            return normalise_iban(account)
        except ValueError as exc:
            raise StatementError(file, f"line {tag.line}", f":25: account: {exc}") from None
    german = _GERMAN_ACCOUNT.match(account)
    if german is not None:
        try:
            return str(IBAN.generate("DE", bank_code=german.group(1), account_code=german.group(2)).compact)
        except SchwiftyException:
            return None
    return None


def _plain_date(value: date) -> date:
    # The library's dates are a subclass; callers compare and serialise plain dates.
    return date(value.year, value.month, value.day)


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
