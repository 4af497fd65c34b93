"""Counterparty names against customer names and learned aliases, fuzzy.

Bank lines carry the payer's name as its bank wrote it: upper-cased, accents dropped, legal form
abbreviated or missing, sometimes cut at 35 characters. Names are reduced to their distinctive
words (accents, punctuation and legal forms removed) and compared with rapidfuzz. Scoring every
customer for every line would cost too much at 100,000 customers, so candidates are first the
customers sharing a distinctive word with the line (a word carried by too many customers, like
"services", does not select anyone).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz import fuzz

# Legal forms in the countries we serve, as words after normalisation.
_LEGAL_FORMS = frozenset(
    {
        # France, Belgium, Luxembourg
        *("sa", "sas", "sasu", "sarl", "eurl", "sci", "snc", "se", "scs", "cie"),
        # Germany, Austria, Switzerland
        *("ag", "gmbh", "kg", "ohg", "ug", "ev", "mbh", "co", "kgaa"),
        # United Kingdom, Ireland, North America
        *("ltd", "limited", "plc", "llp", "inc", "corp", "llc"),
        # Netherlands, Italy, Spain, Romania
        *("bv", "nv", "vof", "srl", "spa", "pfa", "ii"),
        # Czechia, Slovakia, Poland ("sp z oo" once the dots are gone)
        *("sro", "as", "vos", "ks", "spol", "zoo", "sp", "spzoo", "oo", "sk", "ska", "sc"),
        # Turkey
        *("ltdsti", "sti", "anonim", "sirketi"),
        # joining words
        *("the", "et", "und", "and"),
    }
)
# German banks write an umlaut as the vowel and an "e" ("MUELLER"), anyascii as the bare vowel
# ("Müller" -> "muller"): both sides drop that "e" so that the two spellings meet.
_UMLAUT_E = re.compile(r"(?<=[aou])e")
_WORD = re.compile(r"[a-z0-9]+")
# A word shared by more customers than this says nothing about who paid.
MAX_CUSTOMERS_PER_WORD = 200
# The shortest field banks cut a payer's name to (27 characters in DTAUS, 35 in SWIFT MT, 70 in SEPA):
# a shorter name is the whole name, not the start of a longer one.
MIN_CUT_LENGTH = 27


@lru_cache(maxsize=65536)
def name_words(name: str) -> tuple[str, ...]:
    """The distinctive words of a name: ASCII, lower case, legal forms and one-letter words left out."""
    text = anyascii(name).lower()
    # "s.r.o." and "sp. z o.o." are one legal form each, written with dots.
    text = text.replace("s.r.o.", " ").replace("sp. z o.o.", " ").replace("z o.o.", " ")
    words = _WORD.findall(text)
    folded = (_UMLAUT_E.sub("", w) for w in words if w not in _LEGAL_FORMS)
    return tuple(w for w in folded if len(w) > 1)


def normalise_name(name: str) -> str:
    return " ".join(name_words(name))


@dataclass(frozen=True, slots=True)
class NameMatch:
    customer_id: str
    score: float
    # The name or alias that matched, as we hold it.
    matched: str


class NameIndex:
    """Customer names and learned aliases by their words, for one entity or several."""

    def __init__(self) -> None:
        self._by_word: dict[str, set[str]] = defaultdict(set)
        self._names: dict[str, dict[str, str]] = defaultdict(dict)  # customer -> normalised -> as held

    def add(self, customer_id: str, name: str) -> None:
        normalised = normalise_name(name)
        if not normalised:
            return
        self._names[customer_id][normalised] = name
        for word in normalised.split():
            self._by_word[word].add(customer_id)

    def add_all(self, names: Iterable[tuple[str, str]]) -> None:
        for customer_id, name in names:
            self.add(customer_id, name)

    def candidates(self, name: str) -> set[str]:
        found: set[str] = set()
        for word in name_words(name):
            ids = self._by_word.get(word)
            if ids is not None and len(ids) <= MAX_CUSTOMERS_PER_WORD:
                found |= ids
        return found

    def best(self, name: str, *, cutoff: float = 80.0) -> list[NameMatch]:
        """The customers whose name or alias scores at least ``cutoff`` (0-100), best first."""
        query = normalise_name(name)
        if not query:
            return []
        may_be_cut = len(name.strip()) >= MIN_CUT_LENGTH
        matches: list[NameMatch] = []
        for customer_id in self.candidates(name):
            best: NameMatch | None = None
            for normalised, held in self._names[customer_id].items():
                score = _score(query, normalised, may_be_cut=may_be_cut)
                if score >= cutoff and (best is None or score > best.score):
                    best = NameMatch(customer_id, score, held)
            if best is not None:
                matches.append(best)
        matches.sort(key=lambda m: (-m.score, m.customer_id))
        return matches


def _score(query: str, name: str, *, may_be_cut: bool) -> float:
    # token_sort handles word order ("DUPONT JEAN" / "Jean Dupont"); a bank cuts long names, so a
    # query as long as a cut name that is the start of the name scores as the part it covers (the
    # last character may be what is left of a cut word). A short query that starts a longer name
    # ("SOCIETE GENERALE") is another company.
    whole = fuzz.token_sort_ratio(query, name)
    if may_be_cut and len(query) >= 12 and name.startswith(query[: len(query) - 1]):
        return max(whole, 95.0)
    return float(whole)
