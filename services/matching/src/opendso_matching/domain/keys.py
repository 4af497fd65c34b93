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
from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

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
# Splits a text into its separators and, between them, its tokens.
_TOKEN_SPLIT = re.compile(r"([A-Za-z0-9]+)")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_DIGITS = re.compile(r"\d+")
_LETTERS_BETWEEN_DIGITS = re.compile(r"\d[^A-Za-z0-9]*[A-Za-z][^0-9]*\d")
_GROUP = re.compile(r"[A-Za-z]+|\d+")
# A number as its letter groups, digit groups and what separates them.
_PIECE = re.compile(r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]+")
_SPACE = re.compile(r"\s")


def compact(text: str) -> str:
    # Most numbers are ASCII letters and digits split by hyphens ("DE01-2026-080447"): three string methods in C
    # cost a third of the regex, and for such a text they give what it gives.
    if text.isascii():
        plain = text.replace("-", "")
        if plain.isalnum():
            return plain.upper()
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
    if number:
        keys.update(number_keys(number, True))
    if reference:
        keys.update(number_keys(reference, False))
    return keys


# The shape nearly every ledger numbers its documents in ("DE01-2026-080447": a code, a year, a serial):
# its keys are read straight from the match. This runs for every item indexed, and the general reading
# below costs several times more.
_CODE_YEAR_SERIAL = re.compile(r"([A-Z]+)([0-9]+)[^A-Z0-9]+([0-9]+)[^A-Z0-9]+([0-9]+)")


def number_keys(value: str, with_tail: bool) -> list[str]:
    """:func:`_value_keys`, by a shortcut for the commonest shapes (the same keys, in the same order)."""
    if value.isascii():
        if value.isdigit():
            # A reference of digits alone ("2026615415"): itself, and its digits without leading zeros.
            digits = value.lstrip("0")
            return [value, digits] if len(digits) >= MIN_DIGITS else [value]
        shaped = _CODE_YEAR_SERIAL.fullmatch(value.upper())
        if shaped is not None:
            letters, code, year, serial = shaped.groups()
            return _code_year_serial_keys(letters, code, year, serial, with_tail)
    return _value_keys(value, with_tail)


def _code_year_serial_keys(letters: str, code: str, year: str, serial: str, with_tail: bool) -> list[str]:
    """The keys :func:`_value_keys` gives a number of letters, digits, a separator, digits, a separator and
    digits: its first part ``letters + code`` is a code with digits, so it has tail keys too."""
    keys = [letters + code + year + serial]
    digits = (code + year + serial).lstrip("0")
    if len(digits) >= MIN_DIGITS:
        keys.append(digits)
    code_s, year_s, serial_s = code.lstrip("0") or "0", year.lstrip("0") or "0", serial.lstrip("0") or "0"
    # Three digit groups beside a letter group: MIN_DIGITS (see _loose_of).
    if len(code_s) + len(year_s) + len(serial_s) >= MIN_DIGITS:
        keys.append(f"{letters}.{code_s}.{year_s}.{serial_s}")
    if with_tail:
        if len(year) + len(serial) >= MIN_JOINED_DIGITS:
            keys.append(year + serial)
        # Two digit groups and no letters: MIN_JOINED_DIGITS.
        if len(year_s) + len(serial_s) >= MIN_JOINED_DIGITS:
            keys.append(f"{year_s}.{serial_s}")
    return keys


def _value_keys(value: str, with_tail: bool) -> list[str]:
    """The keys of one number (see :func:`item_keys`), the tail keys too if ``with_tail``.

    One pass over the value's letter groups, digit groups and separators: this runs for every item
    indexed, a million of them in a large ledger.
    """
    groups: list[str] = []
    # The groups with the leading zeros of digit groups dropped, and which groups are digits.
    stripped: list[str] = []
    is_digits: list[bool] = []
    parts = 0
    # How many groups the first part ("DE01" of "DE01-2026-080447") has.
    first_part = 0
    after_separator = True
    for piece in _PIECE.findall(value.upper()):
        head = piece[0]
        if "0" <= head <= "9":
            groups.append(piece)
            stripped.append(piece.lstrip("0") or "0")
            is_digits.append(True)
        elif head.isascii() and head.isalpha():
            groups.append(piece)
            stripped.append(piece)
            is_digits.append(False)
        else:
            after_separator = True
            continue
        if after_separator:
            after_separator = False
            parts += 1
        if parts == 1:
            first_part += 1
    if not groups:
        return []
    keys = ["".join(groups)]
    digit_positions = [n for n, digit in enumerate(is_digits) if digit]
    if digit_positions and digit_positions[-1] - digit_positions[0] + 1 == len(digit_positions):
        # No letters between the digits ("DE01-CN-2026-..." has no number of its digits).
        digits = "".join(groups[n] for n in digit_positions).lstrip("0")
        if len(digits) >= MIN_DIGITS:
            keys.append(digits)
    loose = _loose_of(stripped, is_digits, 0)
    if loose is not None:
        keys.append(loose)
    if with_tail and parts >= 3 and first_part >= 2:
        # Without a first part that is a code with letters and digits: its digits are no part of what a
        # payer sees as the number.
        if sum(len(groups[n]) for n in range(first_part, len(groups)) if is_digits[n]) >= MIN_JOINED_DIGITS:
            keys.append("".join(groups[first_part:]))
        loose = _loose_of(stripped, is_digits, first_part)
        if loose is not None:
            keys.append(loose)
    return keys


def _loose_of(stripped: list[str], is_digits: list[bool], start: int) -> str | None:
    """:func:`_loose` of the groups from ``start`` on, given already stripped."""
    count = 0
    digits = 0
    for n in range(start, len(stripped)):
        if is_digits[n]:
            count += 1
            digits += len(stripped[n])
    if count < 2:
        return None
    if digits < (MIN_DIGITS if count < len(stripped) - start else MIN_JOINED_DIGITS):
        return None
    return ".".join(stripped[start:] if start else stripped)


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
    # A text without a digit offers no number at all: no run of its tokens is read.
    if _ANY_DIGIT.search(text) is None:
        return ()
    # The split alternates separators and tokens: [before, token, separator, token, ..., after]. An ASCII text is
    # upper-cased whole, its tokens then need no call each; elsewhere upper-casing may turn a separator into
    # letters ("ß" is "SS"), so each token is upper-cased alone, as found.
    if text.isascii():
        pieces = _TOKEN_SPLIT.split(text.upper())
        tokens = pieces[1::2]
    else:
        pieces = _TOKEN_SPLIT.split(text)
        tokens = [t.upper() for t in pieces[1::2]]
    # Which runs of tokens are read, and how, depends on the tokens' forms only (see _recipe): a document
    # number's digits are new in every text, its form is not. The keys are then joined in one call from the
    # tokens' strings (see _TokenForm) and the strings between them (see _PIECES).
    forms: list[tuple[int, ...]] = []
    values: list[str] = [*_PIECES]
    for token in tokens:
        if token.isdigit():
            stripped = token.lstrip("0")
            forms.append((len(token), len(stripped)))
            values += (token, token, stripped, stripped or "0")
        else:
            form = _token_form(token)
            forms.append(form.form)
            values += form.values
    # The separators as written, not yet read as spaces or not: a handful of them, and their tuple is made in C.
    recipe = _recipe(tuple(forms), tuple(pieces[2:-1:2]))
    if recipe is None:
        return ()
    pick, may_repeat = recipe
    # A recipe of one value gives that string, not a tuple: joined, it is still the one key.
    keys = "".join(pick(values)).split(_KEY_END)
    # Two keys of different runs can be the same string ("2026048256" whole and without leading zeros); where the
    # recipe says none can (no two of its keys are of one length), each is already there once.
    return tuple(dict.fromkeys(keys)) if may_repeat else tuple(keys)


_ANY_DIGIT = re.compile(r"[0-9]")
# Between two keys of a recipe: no key holds it (keys are letters, digits and dots).
_KEY_END = "\x00"
# The strings a recipe puts between values, ahead of the tokens' values: the end of a key, the dots of a loose key.
_PIECES = (_KEY_END, ".")


class _TokenForm(NamedTuple):
    """A token with letters as :func:`_recipe` reads it, and the strings its keys are made of."""

    # (length, digits, digits without leading zeros, letters, leads with letters, ends with letters, broken,
    # digit groups, loose digits, a noise word, starts an RF reference, length of the loose form): see _TokenFacts.
    # A token of digits alone has the form (length, digits without leading zeros), the rest following from it.
    form: tuple[int, ...]
    # the token, its digits, its digits without leading zeros, its loose form: the fields 4n to 4n + 3 of a
    # recipe for the token at n
    values: tuple[str, str, str, str]


@lru_cache(maxsize=1 << 16)
def _token_form(token: str) -> _TokenForm:
    facts = _token_facts(token)
    digits = facts.digits
    stripped = digits.lstrip("0")
    form = (
        len(token),
        len(digits),
        len(stripped),
        facts.letters,
        facts.leads_with_letters,
        facts.ends_with_letters,
        facts.broken,
        facts.digit_groups,
        facts.loose_digits,
        token in _NOISE_WORDS,
        token.startswith("RF") and _RF_START.match(token) is not None,
        len(facts.loose),
    )
    return _TokenForm(form, (token, digits, stripped, facts.loose))


# How the keys of texts of one form are made: the strings to join, picked in C from _PIECES and the tokens' values,
# and whether two of the keys may be the same string.
_Recipe = tuple[Callable[[list[str]], Any], bool]


@lru_cache(maxsize=1 << 14)
def _recipe(forms: tuple[tuple[int, ...], ...], separators: tuple[str, ...]) -> _Recipe | None:
    """How to make the keys of a text whose tokens have these forms (see :func:`_token_form`) and are separated by
    these separators, in the order they appear; None when it offers none. The recipe picks, from _PIECES followed
    by the tokens' values (4n: token n, 4n + 1: its digits, 4n + 2: its digits without leading zeros, 4n + 3: its
    loose form), the strings whose join is the keys separated by _KEY_END: picked and joined in C, the cheapest
    way found to make a text's keys once it is known which runs offer them.

    The keys are those :func:`text_keys` describes: a run of tokens offers its letters and digits joined, the
    digits alone without leading zeros and its loose key, under the conditions below. What decides whether a
    run offers a key depends on the tokens' lengths, kinds and digit counts, never on which digits they are:
    texts of one form share one recipe.
    """
    count = len(forms)
    # The facts of each token (see _TokenFacts), digits counted rather than held, and the length of its loose form.
    (
        length,
        digits_in,
        stripped_in,
        has_letters,
        leads,
        ends,
        broken_in,
        groups_in,
        loose_in,
        noise,
        rf,
        loose_size,
    ) = zip(*(form if len(form) > 2 else _digits_form(*form) for form in forms), strict=True)
    # tied[n]: token n and token n + 1 are written as one number ("2026-88231"), no space between them.
    tied = [_no_space(separator) for separator in separators]
    tied.append(False)
    # inside[n]: token n continues a written number that began with something other than noise words.
    inside = [False] * count
    # word[n]: token n is a word standing alone ("Zahlung", "Rechnung"): no part of a number written with
    # spaces, so no run across it is looked up.
    word = [False] * count
    # reach[n]: where the run from token n must stop (a word standing alone, or the end of the text);
    # digit[n], letter[n]: the first token from n on with digits, with letters. A run with no digit before its
    # stop offers nothing, nor does a run inside a written number without letters (see below).
    previous_tied = False
    for n in range(count):
        inside[n] = previous_tied and (inside[n - 1] or not noise[n - 1])
        word[n] = not digits_in[n] and length[n] >= 5 and not tied[n] and not previous_tied
        previous_tied = tied[n]
    reach = [count] * (count + 1)
    digit = [count] * (count + 1)
    letter = [count] * (count + 1)
    for n in range(count - 1, -1, -1):
        reach[n] = n if word[n] else reach[n + 1]
        digit[n] = n if digits_in[n] else digit[n + 1]
        letter[n] = n if has_letters[n] else letter[n + 1]
    # alone[n]: token n's digits may be read by themselves, unless a token with digits is tied to it ("2026" of
    # "2026-88231").
    alone = [not (n + 1 < count and tied[n] and digits_in[n + 1]) for n in range(count)]
    # Where each string to join is: _PIECES first, then the 4 values of each token (see _TokenForm.values).
    key_end, dot, first = range(len(_PIECES) + 1)
    # Each key as the strings it joins, with its length. Assigning a key already seen keeps its first place: the
    # keys stay in the order they appear. A loose key holds dots, no other key does: the two never meet.
    seen: dict[tuple[int, ...], int] = {}
    for start in range(count):
        stop = start + (7 if rf[start] else 4)
        if reach[start] < stop:
            stop = reach[start]
        first_digit = digit[start]
        if first_digit >= stop:
            # A word standing alone, or a run of words up to one: no digits, no number.
            continue
        outside = not inside[start]
        if not outside and letter[start] >= stop:
            # Inside a written number only runs with letters are read ("2026-88231" of "DE01-2026-88231"
            # offers neither digits nor a loose key of its own).
            continue
        joined: tuple[int, ...] = ()
        loose: tuple[int, ...] = ()
        joined_length = loose_length = 0
        # Words before the first digits ("INV" of "INV 2024000123") offer nothing by themselves: they are joined
        # at once, and the run is read from the first token with digits on.
        letters = first_digit > start
        for n in range(start, first_digit):
            joined += (first + 4 * n,)
            joined_length += length[n]
            loose += (dot, first + 4 * n + 3) if loose else (first + 4 * n + 3,)
            loose_length += loose_size[n] + (n > start)
        numbers = groups = loose_digits = 0
        # The run's digits without leading zeros: the first token with a digit other than zero without its
        # leading zeros, every token with digits after it whole.
        digits: tuple[int, ...] = ()
        digits_length = 0
        # Reading the run's letters and digits as one string: a letter after a digit pending, and whether a
        # digit came after such a letter ("DE01CN2026": no number a payer would shorten to its digits).
        seen_digit = letter_pending = broken = False
        for last in range(first_digit, stop):
            at = first + 4 * last
            joined += (at,)
            joined_length += length[last]
            if loose:
                loose += (dot, at + 3)
                loose_length += loose_size[last] + 1
            else:
                loose = (at + 3,)
                loose_length = loose_size[last]
            if digits_in[last]:
                broken = broken or broken_in[last] or (seen_digit and (letter_pending or leads[last]))
                letter_pending = ends[last]
                seen_digit = True
                numbers += 1
                if digits:
                    digits += (at + 1,)
                    digits_length += digits_in[last]
                elif stripped_in[last]:
                    digits = (at + 2,)
                    digits_length = stripped_in[last]
                groups += groups_in[last]
                loose_digits += loose_in[last]
            elif seen_digit:
                letter_pending = True
            if has_letters[last]:
                letters = True
            if last - start >= 4 and joined_length > _RF_MAX:
                break
            if not outside:
                if letters:
                    seen[joined] = joined_length
                continue
            if not broken:
                if digits_length >= (MIN_JOINED_DIGITS if numbers > 1 else MIN_DIGITS) and (
                    last > start or alone[start]
                ):
                    seen[joined] = joined_length
                    seen[digits] = digits_length
                elif letters:
                    seen[joined] = joined_length
            elif letters:
                seen[joined] = joined_length
            # The loose key (see _loose): two digit groups at least, and enough digits to be a document number.
            if numbers > 1 and groups >= 2 and loose_digits >= (MIN_DIGITS if letters else MIN_JOINED_DIGITS):
                seen[loose] = loose_length
    if not seen:
        return None
    picked: list[int] = []
    for key in seen:
        if picked:
            picked.append(key_end)
        picked += key
    lengths = set(seen.values())
    return itemgetter(*picked), len(lengths) < len(seen)


def _digits_form(size: int, significant: int) -> tuple[int | bool, ...]:
    """The whole form (see _TokenForm) of a token of digits alone, from its length and its digits without leading
    zeros."""
    loose = significant or 1
    return (size, size, significant, False, False, False, False, 1, loose, False, False, loose)


@lru_cache(maxsize=1 << 10)
def _no_space(separator: str) -> bool:
    # Separators are few (" ", "-", ". ", "/"): each is looked at once.
    return _SPACE.search(separator) is None


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
    # Most tokens are all digits (the document numbers, new in every text) or all letters: no groups to find.
    if token.isdigit():
        loose = token.lstrip("0") or "0"
        return _TokenFacts(token, False, False, False, False, loose, 1, len(loose))
    if token.isalpha():
        return _TokenFacts("", True, True, False, False, token, 0, 0)
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
