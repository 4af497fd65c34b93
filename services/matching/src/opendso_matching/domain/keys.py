"""Document numbers as payers type them: the keys an item is found by, and the keys a remittance text offers.

A payer writes "Rechnung F-2024/000123", "INV 2024000123", "fa.2024000123" or "F2024000123" for the
same invoice, and several numbers on one line. Both sides are reduced to keys:

* the *compact* key: letters and digits only, upper-cased ("F2024000123");
* the *digits* key: the digits of a number without its leading zeros ("2024000123"), when at
  least :data:`MIN_DIGITS` digits remain, since short numbers ("12") are everywhere in a text
  (days, amounts, house numbers) and would find items by chance.

A text offers its alphanumeric tokens and the runs of two to four adjacent tokens joined (what
separators split: "F 2024 000123", "DE01-CN-2026-000123"), so that each possible reading of a number
is looked up.
"""

from __future__ import annotations

import re

MIN_DIGITS = 5
# Words a payer puts before a number; a token made only of one of these is no number.
_NOISE_WORDS = frozenset(
    {
        "INV",
        "INVOICE",
        "INVOICES",
        "NO",
        "NR",
        "NUM",
        "REF",
        "RE",
        "RECHNUNG",
        "RECHNUNGEN",
        "RG",
        "FA",
        "FACT",
        "FACTURE",
        "FACTURES",
        "FAKTURA",
        "FAKTURY",
        "FACTURA",
        "FATURA",
        "PAYMENT",
        "PAIEMENT",
        "ZAHLUNG",
        "PLATBA",
        "VS",
        "KS",
        "SS",
        "AND",
        "ET",
        "UND",
        "A",
        "I",
        "FOR",
        "POUR",
        "FUR",
        "FUER",
        "ZA",
    }
)
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_DIGITS = re.compile(r"\d+")
_LETTERS_BETWEEN_DIGITS = re.compile(r"\d[^A-Za-z0-9]*[A-Za-z][^0-9]*\d")


def compact(text: str) -> str:
    return _NOT_ALNUM.sub("", text).upper()


def digits_key(text: str) -> str | None:
    """The number's digits without leading zeros, or None when fewer than MIN_DIGITS remain.

    Only a number whose digits form one run ("F2024000123", "2024-000123") has a digits key:
    "A12B34" is not a number a payer would shorten to "1234", and the credit note "DE01-CN-2026-000123"
    is not the invoice "DE01-2026-000123" (letters between the digits, separators or not).
    """
    runs = _DIGITS.findall(text)
    if not runs:
        return None
    if len(runs) > 1 and _LETTERS_BETWEEN_DIGITS.search(text):
        return None
    stripped = "".join(runs).lstrip("0")
    return stripped if len(stripped) >= MIN_DIGITS else None


def item_keys(number: str, reference: str = "") -> set[str]:
    """Every key an item can be found by: its number's and its payment reference's."""
    keys: set[str] = set()
    for value in (number, reference):
        if not value:
            continue
        key = compact(value)
        if key:
            keys.add(key)
        digits = digits_key(value)
        if digits is not None:
            keys.add(digits)
    return keys


def text_keys(text: str) -> list[str]:
    """The keys a remittance text offers, in the order they appear, each once.

    A run of digits alone is offered only when it has MIN_DIGITS digits without its leading zeros:
    "12" or "000123" in a text is a day, an amount or the tail of a longer number far more often than
    the whole number of an item (the customer's own short numbers are looked at once the customer is
    known, see the engine's typo search).
    """
    tokens = [t.upper() for t in _TOKEN.findall(text)]
    seen: dict[str, None] = {}
    for start in range(len(tokens)):
        for length in _run_lengths(tokens[start]):
            run = tokens[start : start + length]
            if len(run) < length:
                break
            if length == 1 and run[0] in _NOISE_WORDS:
                continue
            joined = "".join(run)
            if len(joined) > _RF_MAX and length > 4:
                break
            digits = digits_key(joined) if not joined.isdigit() else joined.lstrip("0")
            if digits is not None and len(digits) < MIN_DIGITS:
                digits = None
            if not joined.isdigit() or digits is not None:
                seen.setdefault(joined, None)
            if digits is not None:
                seen.setdefault(digits, None)
    return list(seen)


# An RF creditor reference (ISO 11649) has up to 25 characters and is printed in groups of four
# ("RF18 5390 0754 7034"): more tokens than the usual runs of three must be joined to read it.
_RF_START = re.compile(r"^RF\d{2}")
_RF_MAX = 25


def _run_lengths(token: str) -> range:
    return range(1, 8) if _RF_START.match(token) else range(1, 5)


def text_tokens(text: str) -> list[str]:
    """The text's single tokens (upper-cased, noise words left out), for comparing with a customer's own
    item numbers where a one-character typo is allowed."""
    return [t for t in (t.upper() for t in _TOKEN.findall(text)) if t not in _NOISE_WORDS]
