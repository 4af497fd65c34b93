"""Finding a customer by part of its name or account number, whatever the case and the accents typed."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from opendso.receivables.v1 import receivables_pb2 as rv
from opendso_bus import InvalidRequest
from opendso_importer.customer_search import search_customers
from opendso_importer.domain.customer_search import (
    FOLDS,
    MAX_LIMIT,
    SearchRejected,
    SearchTerms,
    fold,
    page_size,
    search_terms,
)
from opendso_importer.domain.ledger import CustomerState


def test_folding_drops_czech_french_and_german_accents_and_case() -> None:
    assert fold("Dvořák ŠKODA s.r.o.") == "dvorak skoda s.r.o."
    assert fold("Épicerie du Marché, Œuvre") == "epicerie du marche, oeuvre"
    assert fold("Müller Straße GmbH") == "muller strasse gmbh"
    assert fold("ŽLUŤOUČKÝ KŮŇ") == "zlutoucky kun"


def test_every_fold_is_of_a_letter_outside_ascii_to_ascii() -> None:
    # The store applies the same pairs in SQL: an ASCII letter among them would change plain names.
    assert all(not letter.isascii() and base.isascii() for letter, base in FOLDS)


def test_each_word_must_be_in_the_name_or_the_account_number() -> None:
    terms = search_terms("  dupont  C-100 ")
    assert terms.words == ("dupont", "c-100")
    assert terms.matches("Dupont SA", "C-1001")
    assert not terms.matches("Dupont SA", "C-2001")


def test_a_search_of_fewer_than_two_letters_is_refused() -> None:
    with pytest.raises(SearchRejected):
        search_terms(" a ")
    with pytest.raises(SearchRejected):
        search_terms("%")


def test_the_page_size_is_capped_and_defaults_when_unset() -> None:
    assert page_size(0) == 20
    assert page_size(7) == 7
    assert page_size(10_000) == MAX_LIMIT


def _customer(entity: str, account: str, name: str, collector: str = "", sales_rep: str = "") -> CustomerState:
    return CustomerState(
        entity=entity,
        account_number=account,
        name=name,
        email=None,
        language="fr",
        country=None,
        contact_name=None,
        collector=collector or None,
        sales_rep=sales_rep or None,
    )


class FakeFinder:
    """The finder's contract in memory: filter, order by folded name, page."""

    def __init__(self, rows: list[CustomerState]) -> None:
        self.rows = rows
        self.asked: list[tuple[Sequence[str], str, str, int, int]] = []

    async def find(
        self, terms: SearchTerms, entities: Sequence[str], collector: str, sales_rep: str, offset: int, limit: int
    ) -> list[CustomerState]:
        self.asked.append((entities, collector, sales_rep, offset, limit))
        found = [
            c
            for c in self.rows
            if terms.matches(c.name, c.account_number)
            and (not entities or c.entity in entities)
            and (not collector or fold(c.collector or "") == fold(collector))
            and (not sales_rep or fold(c.sales_rep or "") == fold(sales_rep))
        ]
        found.sort(key=lambda c: (fold(c.name), c.account_number))
        return found[offset : offset + limit]


ROWS = [
    _customer("CZ01", "100", "Dvořák s.r.o.", sales_rep="rita"),
    _customer("CZ01", "101", "Dvorak Trading", sales_rep="sam"),
    _customer("FR01", "200", "Épicerie Dvorák", sales_rep="rita"),
    _customer("DE01", "300", "Müller GmbH", sales_rep="rita"),
]


async def test_a_page_says_whether_more_customers_follow() -> None:
    finder = FakeFinder(ROWS)
    first = await search_customers(rv.SearchCustomers(text="DVORAK", limit=2), finder)
    assert [c.customer_id for c in first.customers] == ["CZ01/100", "CZ01/101"]
    assert first.more
    # One more than the page is asked for: that is how "more" is known without counting.
    assert finder.asked[-1][4] == 3
    second = await search_customers(rv.SearchCustomers(text="DVORAK", limit=2, offset=2), finder)
    assert [c.customer_id for c in second.customers] == ["FR01/200"]
    assert not second.more


async def test_the_search_is_cut_to_the_entities_and_the_sales_rep_asked() -> None:
    finder = FakeFinder(ROWS)
    answer = await search_customers(
        rv.SearchCustomers(text="dvorak", entities=["CZ01", "DE01"], sales_rep=" rita "), finder
    )
    assert [c.customer_id for c in answer.customers] == ["CZ01/100"]
    assert finder.asked[-1][:3] == (["CZ01", "DE01"], "", "rita")


async def test_a_too_short_text_or_a_wild_offset_is_an_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        await search_customers(rv.SearchCustomers(text="d"), FakeFinder(ROWS))
    with pytest.raises(InvalidRequest):
        await search_customers(rv.SearchCustomers(text="dvorak", offset=-1), FakeFinder(ROWS))
