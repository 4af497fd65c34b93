"""Document numbers as payers type them: the keys an item is found by, and the keys a remittance text offers.

A payer writes "Rechnung F-2024/000123", "INV 2024000123", "fa.2024000123" or "F2024000123" for the
same invoice, and several numbers on one line. Both sides are reduced to keys:

* the *compact* key: letters and digits only, upper-cased ("F2024000123");
* the *digits* key: the digits of a number without its leading zeros ("2024000123"), when at
  least :data:`MIN_DIGITS` digits remain, since short numbers ("12") are everywhere in a text
  (days, amounts, house numbers) and would find items by chance;
* the *loose* key: the number's letter and digit groups with the leading zeros of each digit group
  dropped ("DE.1.2026.80447" for "DE01-2026-080447"), since payers drop or add zeros inside a number
  ("DE01-2026-80447", "DE01-2026-00080447") where no digits key can follow them;
* the *tail* keys: the compact and loose keys of a number without its first part when that part is a
  series or company code with digits ("2026080447" for "DE01-2026-080447"), which payers leave out.

A text offers its alphanumeric tokens and the runs of two to four adjacent tokens joined (what
separators split: "F 2024 000123", "DE01-CN-2026-000123"), so that each possible reading of a number
is looked up. Digits are only read as one number where they look like one: a run joining the digits
of several tokens needs :data:`MIN_JOINED_DIGITS` of them ("DE01" + "2026" is no number "12026"), and
a group of digits tied to other digits by a hyphen or a slash ("2026-88231") is part of that longer
number, not a number of its own.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

MIN_DIGITS = 5
# Digits gathered from several tokens of a text are one number only from this many on: shorter ones are
# a code and a year ("DE01 2026" -> "12026"), a date or an amount, and find other items by chance.
MIN_JOINED_DIGITS = 7
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
_GROUP = re.compile(r"[A-Za-z]+|\d+")
_SPACE = re.compile(r"\s")


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


def loose_key(text: str) -> str | None:
    """The letter and digit groups of a number, upper-cased, each digit group without its leading zeros:
    what stays the same when a payer drops or adds zeros. None when it is no number (fewer than two digit
    groups, or too few digits to be a document number rather than a date)."""
    return _loose([g.upper() for g in _GROUP.findall(text)])


def _loose(groups: list[str]) -> str | None:
    digit_groups = [g.lstrip("0") or "0" for g in groups if g[0].isdigit()]
    if len(digit_groups) < 2:
        return None
    digits = sum(len(g) for g in digit_groups)
    # Letters make a key specific enough from MIN_DIGITS on; digits alone need as many as any joined run.
    if digits < (MIN_DIGITS if len(digit_groups) < len(groups) else MIN_JOINED_DIGITS):
        return None
    return ".".join(g.lstrip("0") or "0" if g[0].isdigit() else g for g in groups)


def item_keys(number: str, reference: str = "") -> set[str]:
    """Every key an item can be found by: its number's and its payment reference's."""
    keys: set[str] = set()
    for which, value in enumerate((number, reference)):
        if not value:
            continue
        # Letter and digit groups by separated part ("DE01-2026-080447" -> [DE, 01], [2026], [080447]).
        parts = [_GROUP.findall(part) for part in _NOT_ALNUM.split(value.upper()) if part]
        groups = [g for part in parts for g in part]
        if not groups:
            continue
        keys.add("".join(groups))
        digits = _digits_of(groups)
        if digits is not None:
            keys.add(digits)
        loose = _loose(groups)
        if loose is not None:
            keys.add(loose)
        if which == 0:
            keys.update(_tail_keys(parts))
    return keys


def _digits_of(groups: list[str]) -> str | None:
    """:func:`digits_key` of a number already split into its letter and digit groups."""
    digit_groups = [n for n, g in enumerate(groups) if g[0].isdigit()]
    if not digit_groups or digit_groups[-1] - digit_groups[0] + 1 != len(digit_groups):
        # No digits, or letters between them ("DE01-CN-2026-..."): no number of its digits.
        return None
    digits = "".join(groups[n] for n in digit_groups).lstrip("0")
    return digits if len(digits) >= MIN_DIGITS else None


def _tail_keys(parts: list[list[str]]) -> list[str]:
    """The keys of a number (as its parts' groups) without its first part, when that part is a code with
    letters and digits ("DE01" of "DE01-2026-080447"): the digits of a code are no part of what a payer sees
    as the number."""
    if len(parts) < 3 or len(parts[0]) < 2:
        return []
    tail = [g for part in parts[1:] for g in part]
    keys: list[str] = []
    if sum(len(g) for g in tail if g[0].isdigit()) >= MIN_JOINED_DIGITS:
        keys.append("".join(tail))
    loose = _loose(tail)
    if loose is not None:
        keys.append(loose)
    return keys


def text_keys(text: str) -> list[str]:
    """The keys a remittance text offers, in the order they appear, each once.

    A run of digits alone is offered only when it has MIN_DIGITS digits without its leading zeros and
    stands alone: "12" or "000123" in a text is a day, an amount or the tail of a longer number far more
    often than the whole number of an item, and so is "88231" of "2026-88231" (the customer's own short
    numbers are looked at once the customer is known, see the engine's typo search). Nor is the end of a
    written number read as a number of its own ("2026-007351" of "DE01-CN-2026-007351" is not the
    invoice "DE01-2026-007351"), unless what comes before it is a word like "Rg." or "INV". Words and
    runs of words without a digit are no number at all.
    """
    return list(_text_keys(text))


# Texts come back (instalments days apart, generic words, a payer's standing order): their keys are kept.
@lru_cache(maxsize=1 << 15)
def _text_keys(text: str) -> tuple[str, ...]:
    matches = list(_TOKEN.finditer(text))
    tokens = [m.group().upper() for m in matches]
    count = len(tokens)
    facts = [_token_facts(t) for t in tokens]
    # tied[n]: token n and token n + 1 are written as one number ("2026-88231"), no space between them.
    tied = [not _SPACE.search(text, matches[n].end(), matches[n + 1].start()) for n in range(count - 1)]
    tied.append(False)
    # inside[n]: token n continues a written number that began with something other than noise words.
    inside = [False] * count
    # word[n]: token n is a word standing alone ("Zahlung", "Rechnung"): no part of a number written with
    # spaces, so no run across it is looked up.
    word = [False] * count
    for n in range(count):
        inside[n] = n > 0 and tied[n - 1] and (inside[n - 1] or tokens[n - 1] not in _NOISE_WORDS)
        word[n] = not facts[n].digits and len(tokens[n]) >= 5 and not tied[n] and not (n > 0 and tied[n - 1])
    seen: dict[str, None] = {}
    for start in range(count):
        if word[start]:
            continue
        longest = 7 if tokens[start].startswith("RF") and _RF_START.match(tokens[start]) else 4
        numbers = groups = loose_digits = 0
        joined = digits_of = ""
        # Reading the run's letters and digits as one string: a letter after a digit pending, and whether a
        # digit came after such a letter ("DE01CN2026": no number a payer would shorten to its digits).
        seen_digit = letter_pending = broken = letters = False
        for end in range(start + 1, min(start + longest, count) + 1):
            last = end - 1
            if word[last]:
                # A word standing alone is neither a number nor part of one.
                break
            fact = facts[last]
            joined += tokens[last]
            if fact.digits:
                broken = broken or fact.broken or (seen_digit and (letter_pending or fact.leads_with_letters))
                letter_pending = fact.ends_with_letters
                seen_digit = True
                numbers += 1
                digits_of += fact.digits
                groups += fact.digit_groups
                loose_digits += fact.loose_digits
            elif seen_digit:
                letter_pending = True
            letters = letters or fact.letters
            if numbers == 0:
                # Words, or runs of them ("INV", "Zahlung Rechnung"): a document number has digits.
                continue
            length = end - start
            if len(joined) > _RF_MAX and length > 4:
                break
            digits: str | None = None
            if not broken and not inside[start]:
                digits = digits_of.lstrip("0")
                if len(digits) < (MIN_JOINED_DIGITS if numbers > 1 else MIN_DIGITS) or (
                    length == 1 and end < count and tied[start] and facts[end].digits
                ):
                    digits = None
            if letters or digits is not None:
                seen.setdefault(joined, None)
            if digits is not None:
                seen.setdefault(digits, None)
            # The loose key (see _loose): two digit groups at least, and enough digits to be a document number.
            if (
                numbers > 1
                and not inside[start]
                and groups >= 2
                and loose_digits >= (MIN_DIGITS if letters else MIN_JOINED_DIGITS)
            ):
                seen.setdefault(".".join(f.loose for f in facts[start:end]), None)
    return tuple(seen)


class _TokenFacts(NamedTuple):
    """What a token of a text is made of, for reading runs of tokens as numbers."""

    digits: str  # its digits ("01" of "DE01")
    letters: bool
    leads_with_letters: bool
    # letters after its last digit ("X" of "F2024000123X")
    ends_with_letters: bool
    # letters between its digits ("A12B34")
    broken: bool
    loose: str  # its groups, digits without leading zeros ("DE.1")
    digit_groups: int
    loose_digits: int  # digits in its loose groups


@lru_cache(maxsize=1 << 16)
def _token_facts(token: str) -> _TokenFacts:
    """Words, years and prefixes come back in every text: what they are made of is worked out once."""
    groups = _GROUP.findall(token)
    stripped = [g.lstrip("0") or "0" if g[0].isdigit() else g for g in groups]
    shape = "".join("D" if g[0].isdigit() else "L" for g in groups)
    first, last = shape.find("D"), shape.rfind("D")
    return _TokenFacts(
        digits="".join(g for g in groups if g[0].isdigit()),
        letters="L" in shape,
        leads_with_letters=shape.startswith("L"),
        ends_with_letters=first >= 0 and shape.endswith("L"),
        broken=first >= 0 and "L" in shape[first:last],
        loose=".".join(stripped),
        digit_groups=shape.count("D"),
        loose_digits=sum(len(g) for g in stripped if g[0].isdigit()),
    )


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
