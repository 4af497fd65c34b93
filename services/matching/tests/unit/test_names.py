"""Counterparty names against customer names and aliases."""

from __future__ import annotations

import pytest
from opendso_matching.domain.names import MAX_CANDIDATES, MAX_CUSTOMERS_PER_WORD, NameIndex, name_words, normalise_name


@pytest.mark.parametrize(
    ("held", "as_the_bank_writes_it", "words"),
    [
        ("Müller Maschinenbau GmbH", "MUELLER MASCHINENBAU GMBH", ("muller", "maschinenbau")),
        (
            "Société Générale de Peinture SARL",
            "SOCIETE GENERALE DE PEINTURE",
            ("societe", "generale", "de", "peinture"),
        ),
        ("Stavby Novák s.r.o.", "STAVBY NOVAK SRO", ("stavby", "novak")),
        ("Stavby Novák spol. s r.o.", "STAVBY NOVAK S.R.O", ("stavby", "novak")),
        ("Kowalski Sp. z o.o.", "KOWALSKI SP Z OO", ("kowalski",)),
        ("Kowalski Sp. z o.o.", "KOWALSKI SP.Z O.O.", ("kowalski",)),
        ("Acme Widgets Ltd.", "ACME WIDGETS LIMITED", ("acme", "widgets")),
        ("S.A.R.L. Dupont & Fils", "DUPONT ET FILS", ("dupont", "fils")),
    ],
)
def test_accents_punctuation_and_legal_forms_are_dropped(
    held: str, as_the_bank_writes_it: str, words: tuple[str, ...]
) -> None:
    assert name_words(held) == words
    assert name_words(as_the_bank_writes_it) == words


def test_a_name_made_only_of_legal_forms_is_not_indexed() -> None:
    assert normalise_name("GmbH & Co. KG") == ""
    index = NameIndex()
    index.add("c1", "GmbH & Co. KG")
    assert index.best("GMBH CO KG", cutoff=0) == []


def test_umlaut_written_as_vowel_and_e_meets_the_accented_name() -> None:
    index = NameIndex()
    index.add("c1", "Müller Maschinenbau GmbH")
    index.add("c2", "Maschinenbau Schulz GmbH")
    found = index.best("MUELLER MASCHINENBAU GMBH")
    assert found[0].customer_id == "c1"
    assert found[0].score == 100
    assert found[0].matched == "Müller Maschinenbau GmbH"


def test_word_order_does_not_matter() -> None:
    index = NameIndex()
    index.add("c1", "Jean Dupont")
    index.add("c2", "Dupont Frères SA")
    found = index.best("DUPONT JEAN", cutoff=0)
    assert [m.customer_id for m in found] == ["c1", "c2"]
    assert found[0].score == 100
    assert found[1].score < 80


def test_a_name_cut_by_the_bank_scores_as_the_part_it_covers() -> None:
    index = NameIndex()
    index.add("c1", "Société Générale de Construction Métallique SARL")
    cut = "SOCIETE GENERALE DE CONSTRUCTION ME"
    assert len(cut) == 35
    found = index.best(cut, cutoff=92)
    assert [m.customer_id for m in found] == ["c1"]
    assert found[0].score >= 95


def test_a_short_name_starting_a_longer_one_is_another_company() -> None:
    index = NameIndex()
    index.add("c1", "Société Générale de Construction Métallique SARL")
    assert index.best("SOCIETE GENERALE", cutoff=80) == []


def test_common_words_select_no_one() -> None:
    index = NameIndex()
    count = MAX_CUSTOMERS_PER_WORD + 50
    for n in range(count):
        index.add(f"c{n}", f"Client{n:03d} Services SAS")
    assert index.candidates("GLOBAL SERVICES") == set()
    assert index.best("GLOBAL SERVICES", cutoff=0) == []
    # The distinctive word still finds its customer, and only it.
    assert index.candidates("CLIENT007 SERVICES") == {"c7"}
    assert [m.customer_id for m in index.best("CLIENT007 SERVICES")] == ["c7"]


def test_a_word_below_the_limit_still_selects() -> None:
    index = NameIndex()
    for n in range(3):
        index.add(f"c{n}", f"Transports {['Alpha', 'Beta', 'Gamma'][n]}")
    assert index.candidates("TRANSPORTS DELTA") == {"c0", "c1", "c2"}


def test_an_alias_finds_its_customer() -> None:
    index = NameIndex()
    index.add("c1", "Dupont Frères SA")
    index.add("c1", "DF Logistique Lyon")
    index.add("c2", "Logistique Martin")
    found = index.best("DF LOGISTIQUE LYON")
    assert found[0].customer_id == "c1"
    assert found[0].matched == "DF Logistique Lyon"
    assert found[0].score == 100
    # The customer's own name is still found too.
    assert index.best("DUPONT FRERES")[0].customer_id == "c1"


def test_best_respects_the_cutoff_and_sorts_best_first() -> None:
    index = NameIndex()
    index.add("c1", "Martin Durand")
    index.add("c2", "Bernard Martin SAS")
    index.add("c3", "Martin Durand et Fils")
    found = index.best("MARTIN DURAND", cutoff=0)
    scores = [m.score for m in found]
    assert scores == sorted(scores, reverse=True)
    assert found[0].customer_id == "c1"
    assert all(m.score >= 90 for m in index.best("MARTIN DURAND", cutoff=90))
    assert "c2" not in {m.customer_id for m in index.best("MARTIN DURAND", cutoff=90)}


def crowded(index: NameIndex, word: str) -> None:
    """More customers carrying ``word`` than a word may select."""
    for n in range(MAX_CUSTOMERS_PER_WORD + 1):
        index.add(f"{word}{n}", f"{word} {chr(65 + n % 26)}{n} s.r.o.")


def test_an_exact_name_of_common_words_is_still_found() -> None:
    index = NameIndex()
    crowded(index, "Novák")
    index.add("x", "Novák s.r.o.")
    found = index.best("NOVAK S.R.O.")
    assert [m.customer_id for m in found] == ["x"]
    assert found[0].score == 100
    assert found[0].matched == "Novák s.r.o."


def test_two_common_words_still_select_the_customers_carrying_both() -> None:
    index = NameIndex()
    crowded(index, "Novák")
    crowded(index, "Stavby")
    index.add("x", "Stavby Novák Brno s.r.o.")
    assert index.candidates("STAVBY NOVAK BRNOO") == {"x"}
    assert [m.customer_id for m in index.best("STAVBY NOVAK BRNOO", cutoff=85)] == ["x"]


def test_the_rarest_words_select_first() -> None:
    index = NameIndex()
    for n in range(MAX_CANDIDATES + 10):
        index.add(f"t{n}", f"Transports Client{n}")
    index.add("x", "Transports Zyxel")
    # "transports" is carried by more customers than are scored; "zyxel" by one: that one is scored.
    assert "x" in index.candidates("TRANSPORTS ZYXEL")
    assert index.best("TRANSPORTS ZYXEL")[0].customer_id == "x"


def test_one_customers_score_however_common_its_words() -> None:
    index = NameIndex()
    crowded(index, "Novák")
    index.add("x", "Novák s.r.o.")
    index.add("x", "Jan Novák")
    fits = index.score("NOVAK JAN", "x")
    assert fits is not None
    assert fits.score == 100
    assert fits.matched == "Jan Novák"
    assert index.score("NOVAK JAN", "unknown") is None
    cut = index.score("SOCIETE GENERALE DE CONSTRUCTION ME", "c1")
    assert cut is None
    index.add("c1", "Société Générale de Construction Métallique SARL")
    fits = index.score("SOCIETE GENERALE DE CONSTRUCTION ME", "c1")
    assert fits is not None
    assert fits.score >= 95
