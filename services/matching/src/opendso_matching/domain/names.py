"""Counterparty names against customer names and learned aliases, fuzzy.

Bank lines carry the payer's name as its bank wrote it: upper-cased, accents dropped, legal form
abbreviated or missing, sometimes cut at 35 characters. Names are reduced to their distinctive
words (accents, punctuation and legal forms removed) and compared with rapidfuzz. Scoring every
customer for every line would cost too much at 100,000 customers, so candidates are the customers
holding the very name (however common its words: "Novák s.r.o." is "novak"), then those sharing its
rarest words, up to a budget; a word carried by too many customers, like "services", selects nobody by
itself. A name is also scored against one given customer (:meth:`NameIndex.score`), which is all a
payment quoting that customer's items needs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz import fuzz, process

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
# The most customers scored for one name beyond those holding it exactly: the rarest words' first.
MAX_CANDIDATES = 50
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


# One name or alias of a customer as scored: (customer id, normalised, as held).
_Owner = tuple[str, str, str]


@dataclass(slots=True)
class _Postings:
    """The names carrying one word (or one whole normalised name), ready to score: each name with its words
    sorted (what token_sort compares), next to whose it is. Flat lists, so that the candidates of a query are
    a few list concatenations and one rapidfuzz call, not a walk over customers."""

    forms: list[str]
    owners: list[_Owner]
    customers: set[str]
    # customer -> where its names are in the lists; made when first asked, forgotten when a name is added
    where: dict[str, list[int]] | None = None

    def positions(self, customer_id: str) -> list[int]:
        if self.where is None:
            self.where = {}
            for n, owner in enumerate(self.owners):
                self.where.setdefault(owner[0], []).append(n)
        return self.where[customer_id]


class NameIndex:
    """Customer names and learned aliases by their words and whole, for one entity or several."""

    def __init__(self) -> None:
        self._by_word: dict[str, _Postings] = {}
        self._by_name: dict[str, _Postings] = {}
        self._held: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)  # customer -> normalised -> form, held

    def add(self, customer_id: str, name: str) -> None:
        words = name_words(name)
        if not words:
            return
        normalised = " ".join(words)
        if normalised in self._held[customer_id]:
            return
        form, owner = " ".join(sorted(words)), (customer_id, normalised, name)
        self._held[customer_id][normalised] = (form, name)
        for postings in (
            *(self._by_word.setdefault(w, _Postings([], [], set())) for w in dict.fromkeys(words)),
            self._by_name.setdefault(normalised, _Postings([], [], set())),
        ):
            postings.forms.append(form)
            postings.owners.append(owner)
            postings.customers.add(customer_id)
            postings.where = None

    def add_all(self, names: Iterable[tuple[str, str]]) -> None:
        for customer_id, name in names:
            self.add(customer_id, name)

    def candidates(self, name: str) -> set[str]:
        """The customers worth scoring against ``name`` (see :meth:`_choices`)."""
        return {owner[0] for owner in self._choices(name_words(name))[1]}

    def _choices(self, words: tuple[str, ...]) -> tuple[list[str], list[_Owner]]:
        """The names to score against a query of these words: those equal to it (however common its words),
        then those sharing its rarest words, up to :data:`MAX_CANDIDATES` customers. A word carried by more
        than :data:`MAX_CUSTOMERS_PER_WORD` customers selects nobody by itself; two such words still select
        the few customers carrying both. A name may come twice (it shares two words): scored twice, kept once.
        """
        forms: list[str] = []
        owners: list[_Owner] = []
        exact = self._by_name.get(" ".join(words))
        taken = 0
        if exact is not None:
            forms += exact.forms
            owners += exact.owners
            taken = len(exact.customers)
        postings = sorted((p for w in dict.fromkeys(words) if (p := self._by_word.get(w)) is not None), key=_size)
        common: list[_Postings] = []
        for found in postings:
            size = len(found.customers)
            if size > MAX_CUSTOMERS_PER_WORD:
                common.append(found)
            elif taken == 0 or taken + size <= MAX_CANDIDATES:
                forms += found.forms
                owners += found.owners
                taken += size
        if len(common) > 1:
            both = set.intersection(*(p.customers for p in common))
            if len(both) <= MAX_CANDIDATES:
                # The few customers' names looked up, not found by walking the thousands of the word's list.
                rarest = common[0]
                for n in sorted(n for customer_id in both for n in rarest.positions(customer_id)):
                    forms.append(rarest.forms[n])
                    owners.append(rarest.owners[n])
        return forms, owners

    def best(self, name: str, *, cutoff: float = 80.0) -> list[NameMatch]:
        """The customers whose name or alias scores at least ``cutoff`` (0-100), best first."""
        words = name_words(name)
        if not words:
            return []
        forms, owners = self._choices(words)
        if not forms:
            return []
        scores = _scores(name, words, forms, lambda: [o[1] for o in owners], cutoff)
        # customer -> (score, position) of its best name, the first of equal scores; a NameMatch is made only for
        # each customer kept, not for each name scored (a common name is held by hundreds).
        best: dict[str, tuple[float, int]] = {}
        for n, score in scores.items():
            customer_id = owners[n][0]
            kept = best.get(customer_id)
            if score >= cutoff and (kept is None or score > kept[0]):
                best[customer_id] = (score, n)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [NameMatch(customer_id, score, owners[n][2]) for customer_id, (score, n) in ranked]

    def score(self, name: str, customer_id: str) -> NameMatch | None:
        """How well ``name`` fits this one customer's name or aliases (0-100), however common its words: what
        a payment naming the customer's items is checked with, without searching every customer."""
        words = name_words(name)
        held = self._held.get(customer_id)
        if not words or not held:
            return None
        scores = _scores(name, words, [form for form, _ in held.values()], lambda: list(held), 0.0)
        if not scores:
            return None
        n, score = max(scores.items(), key=lambda kv: (kv[1], -kv[0]))
        return NameMatch(customer_id, score, list(held.values())[n][1])


def _scores(
    name: str, words: tuple[str, ...], forms: list[str], names: Callable[[], list[str]], cutoff: float
) -> dict[int, float]:
    """The scores of ``name`` (as ``words``) against names given as their sorted ``forms`` and as normalised
    (``names()``, listed only for a name long enough to have been cut), by position, those of ``cutoff`` or more."""
    # token_sort_ratio is the plain ratio of the words sorted: the names were sorted once, when added.
    query = " ".join(sorted(words))
    if len(forms) <= 4:
        # One customer's few names: rapidfuzz's batch call costs more than it saves.
        scores = {
            n: score
            for n, form in enumerate(forms)
            if (score := fuzz.ratio(query, form, score_cutoff=cutoff)) >= cutoff
        }
    else:
        scored = process.extract(query, forms, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        scores = {n: float(score) for _, score, n in scored}
    # A bank cuts long names: a query as long as a cut name that is the start of the name scores as the part
    # it covers (the last character may be what is left of a cut word). A short query that starts a longer
    # name ("SOCIETE GENERALE") is another company.
    written = " ".join(words)
    if len(name.strip()) >= MIN_CUT_LENGTH and len(written) >= 12:
        start = written[: len(written) - 1]
        for n, normalised in enumerate(names()):
            if normalised.startswith(start):
                scores[n] = max(scores.get(n, 0.0), 95.0)
    return scores


def _size(postings: _Postings) -> int:
    return len(postings.customers)
