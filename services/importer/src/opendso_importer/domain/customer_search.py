"""Finding a customer by what a user types: part of the name or of the account number, in any case, with or
without the accents of Latin letters ("dvorak" finds "Dvořák s.r.o.", "muller" finds "Müller GmbH", "EPICERIE"
finds "Épicerie du Marché").

Pure: the folding rule is data (``FOLDS``) so the store can apply the very same rule in SQL, on SQLite (whose
``lower()`` knows only ASCII) and on PostgreSQL alike.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Latin letters with diacritics of the languages customers are named in (Czech, Slovak, Polish, Hungarian,
# French, German, Spanish, Portuguese, Italian, Nordic, Romanian, Croatian, Turkish), lower case; their upper
# case forms are added below.
_ACCENTED = "áàâäãåāăąçćčďđéèêëěēėęğíìîïīįıľĺłñńňóòôöõőøōřŕšśşșťţțúùûüůűūųýÿžźż"
# Letters that do not decompose to an ASCII letter plus marks, or stand for two letters.
_SPECIAL = {"đ": "d", "\u0131": "i", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe"}


def _base(letter: str) -> str:
    if letter in _SPECIAL:
        return _SPECIAL[letter]
    decomposed = unicodedata.normalize("NFKD", letter)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _folds() -> tuple[tuple[str, str], ...]:
    pairs: dict[str, str] = {}
    for letter in _ACCENTED + "".join(_SPECIAL):
        base = _base(letter)
        pairs[letter] = base
        upper = letter.upper()
        if len(upper) == 1 and upper != letter and not upper.isascii():
            pairs[upper] = base
    return tuple(sorted(pairs.items()))


# (letter, what it folds to), every entry a letter outside ASCII; applied before lower-casing.
FOLDS: tuple[tuple[str, str], ...] = _folds()
_TABLE = {ord(letter): base for letter, base in FOLDS}

MIN_TERM_CHARACTERS = 2
MAX_TERMS = 5
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class SearchRejected(ValueError):
    """The text cannot be searched for: too short or empty."""


def fold(text: str) -> str:
    """``text`` without the diacritics of ``FOLDS``, in lower case: the form names are compared in."""
    return text.translate(_TABLE).lower()


@dataclass(frozen=True)
class SearchTerms:
    """The words to find, folded; a customer matches when each is in its name or its account number."""

    words: tuple[str, ...]

    def matches(self, name: str, account_number: str) -> bool:
        folded_name, folded_account = fold(name), fold(account_number)
        return all(w in folded_name or w in folded_account for w in self.words)


def search_terms(text: str) -> SearchTerms:
    """The words of ``text`` (split on spaces, at most ``MAX_TERMS``, duplicates once); ``SearchRejected`` when
    they hold fewer than ``MIN_TERM_CHARACTERS`` letters or digits in all."""
    words = tuple(dict.fromkeys(w for w in fold(text).split() if w))[:MAX_TERMS]
    if sum(c.isalnum() for w in words for c in w) < MIN_TERM_CHARACTERS:
        raise SearchRejected(f"type at least {MIN_TERM_CHARACTERS} letters or digits to search")
    return SearchTerms(words)


def page_size(limit: int) -> int:
    """The number of customers a page holds: ``limit`` kept between 1 and ``MAX_LIMIT``, 0 the default."""
    if limit <= 0:
        return DEFAULT_LIMIT
    return min(limit, MAX_LIMIT)
