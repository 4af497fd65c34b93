"""What a bank statement is once read, whatever the file format, and what every parser shares.

A parser turns one file into :class:`Statement` values or raises :class:`StatementError`;
it never returns part of a broken file. Amounts are signed from the account holder's point
of view: money received is positive, money paid out negative.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from opendso_money import Money
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException


class Transaction(NamedTuple):
    """One line of a statement, as the matching service needs it.

    An immutable value like the rest of the model, but a named tuple: a large statement
    builds a hundred thousand of them, and a frozen dataclass takes ten times as long
    to build.
    """

    booking_date: date
    value_date: date | None
    amount: Money
    counterparty_name: str | None
    counterparty_iban: str | None
    counterparty_bic: str | None
    remittance_text: str
    structured_reference: str | None
    structured_reference_type: str | None
    end_to_end_id: str | None
    bank_reference: str | None
    bank_transaction_code: str | None
    # Where the line is in its file ("NTRY-0042", "Ntry[3]/TxDtls[2]", "line 12"), for people reading errors.
    entry_reference: str | None
    # The bank's own reference of the entry that booked the line (CAMT NtryRef), when it gives one.
    entry_id: str | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    date: date
    amount: Money


@dataclass(frozen=True, slots=True)
class Statement:
    """One account's statement (or notification) for a period.

    ``format`` names what was read, down to the message version ("camt.053.001.08",
    "camt.052.001.02", "mt940", "csv", "xlsx"). ``account_number`` is the account's
    other identification, given only when it has no IBAN.
    """

    format: str
    statement_id: str
    account_iban: str | None
    currency: str
    opening_balance: Balance | None
    closing_balance: Balance | None
    transactions: tuple[Transaction, ...]
    account_number: str | None = None


class StatementError(ValueError):
    """A file, or a value in it, that cannot be read as a bank statement.

    ``location`` says where: "line 12" in MT940 and CSV files, an element path such as
    "Stmt[1]/Ntry[3]/Amt (line 57)" in CAMT files.
    """

    def __init__(self, file: str, location: str, reason: str) -> None:
        super().__init__(f"{file}: {location}: {reason}")
        self.file = file
        self.location = location
        self.reason = reason

    def __reduce__(self) -> tuple[type[StatementError], tuple[str, str, str]]:
        return type(self), (self.file, self.location, self.reason)


def transaction_id(statement: Statement, tx: Transaction, index: int) -> str:
    """A stable id for a statement line: the same line imported twice gets the same id.

    Built from the account, booking date, amount and the bank's identification of the
    line (its reference and the end-to-end id), so an intraday report (camt.052) and the
    day's statement (camt.053) give a line they both carry the same id. Without either,
    the bank's reference of the entry (NtryRef) stands in for them, and only without
    that the position in the statement. A batch booking's lines share the entry's bank
    reference, so their place in the batch is part of the key.
    """
    account = statement.account_iban or statement.account_number or statement.statement_id
    amount = format(tx.amount.amount.normalize(), "f")
    identity = [tx.bank_reference or "", tx.end_to_end_id or ""]
    if tx.entry_reference and "TxDtls[" in tx.entry_reference:
        identity.append(tx.entry_reference[tx.entry_reference.index("TxDtls[") :])
    if not tx.bank_reference and not tx.end_to_end_id:
        identity.append(f"NtryRef {tx.entry_id}" if tx.entry_id else f"#{index}")
    key = "\x1f".join([account, tx.booking_date.isoformat(), amount, tx.amount.currency, *identity])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


# --- shared by the parsers ---------------------------------------------------------------------------


def make_money(amount: Decimal, currency: str) -> Money:
    """Money with at least the currency's minor units, so "12.5" and "12.50" read the same.

    Raises ``ValueError`` for a currency that is not a three-letter code.
    """
    quantum, exponent = _minor_unit(currency)
    amount_exponent = amount.as_tuple().exponent
    if isinstance(amount_exponent, int) and amount_exponent > exponent:
        amount = amount.quantize(quantum)
    return Money(amount, currency)


@lru_cache(maxsize=256)
def _minor_unit(currency: str) -> tuple[Decimal, int]:
    # Once per currency: a 100,000-line statement would otherwise work it out on every line.
    exponent = -Money(Decimal(0), currency).minor_units
    return Decimal(1).scaleb(exponent), exponent


def check_balances(
    file: str, location: str, opening: Balance | None, closing: Balance | None, amounts: Iterable[Money]
) -> None:
    """Refuse a statement whose closing balance is not the opening balance plus its lines.

    A statement that does not add up has lost or invented lines; importing it would
    apply money that was never received, or miss some that was.
    """
    if opening is None or closing is None:
        return
    if opening.amount.currency != closing.amount.currency:
        raise StatementError(
            file,
            location,
            f"opening balance is in {opening.amount.currency}, closing balance in {closing.amount.currency}",
        )
    total = opening.amount.amount + sum((m.amount for m in amounts), Decimal(0))
    if total != closing.amount.amount:
        raise StatementError(
            file,
            location,
            f"closing balance {closing.amount.amount} {closing.amount.currency} is not opening balance "
            f"{opening.amount.amount} plus the transactions ({total})",
        )


_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$")
_SEPARATORS = re.compile(r"[\s\-.]")


def looks_like_iban(text: str) -> bool:
    """Whether the text is shaped like an IBAN (country, check digits, account), valid or not."""
    return bool(_IBAN_SHAPE.match(_SEPARATORS.sub("", text).upper()))


@lru_cache(maxsize=4096)
def normalise_iban(text: str) -> str:
    """The IBAN in its compact form; ``ValueError`` saying why when it is not a valid one."""
    # Statements name the same few hundred counterparties again and again: the cache makes
    # a 100,000-line file pay for each distinct IBAN once.
    compact = _SEPARATORS.sub("", text).upper()
    try:
        return IBAN(compact).compact
    except SchwiftyException as exc:
        raise ValueError(f"invalid IBAN {compact!r}: {exc}") from None


BIC_PATTERN = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")


def clean_text(text: str | None) -> str | None:
    """The text with runs of whitespace collapsed to one space; None when nothing is left."""
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Bytes that are common letters in Czech, Slovak or Polish under cp1250 (ř, ě, Ř, Ě, ť, ą, ł) and
# unlikely characters under cp1252 (ø, ì, Ø, Ì, ³), and the other way round for à/À, which
# French writes all the time and Central European languages almost never (ŕ/Ŕ).
_CP1250_EVIDENCE = (b"\xf8", b"\xec", b"\xd8", b"\xcc", b"\x9d", b"\xb9", b"\xb3")
_CP1252_EVIDENCE = (b"\xe0", b"\xc0")


def decode_text(data: bytes, file: str) -> str:
    """The file as text: a BOM's encoding, else UTF-8, else the Windows code page that fits.

    Bank exports outside XML are UTF-8 or a Windows code page: cp1252 in Western Europe,
    cp1250 in Czechia, Slovakia and Poland. The code page whose decoding produces that
    region's letters wins.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise StatementError(file, "line 1", f"cannot decode the file as {codec}: {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    cp1250 = sum(data.count(b) for b in _CP1250_EVIDENCE) > sum(data.count(b) for b in _CP1252_EVIDENCE)
    for codec in ("cp1250", "cp1252") if cp1250 else ("cp1252", "cp1250"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise StatementError(file, "line 1", "cannot decode the file: not UTF-8, cp1252 or cp1250")
