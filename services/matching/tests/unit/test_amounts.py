"""Tolerances, short payments and the subsets of items a payment adds up to."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from opendso_matching.domain.amounts import (
    MAX_SUBSET_ITEMS,
    SubsetSearch,
    Tolerance,
    _places,
    _subset_sums,
    cancelling_pairs,
    find_subsets,
    short_by,
)
from opendso_matching.domain.model import OpenItem
from opendso_money import Money

D = Decimal
START = date(2024, 1, 31)


def item(n: int, amount: str, currency: str = "EUR") -> OpenItem:
    """Item ``n``, due ``n`` days after START (so the order of ``n`` is the order of age)."""
    return OpenItem(
        item_id=f"i{n}",
        customer_id="c1",
        entity="FR01",
        number=f"F-{n:06d}",
        kind="invoice" if not amount.startswith("-") else "credit_note",
        due_date=START + timedelta(days=n),
        open_amount=Money.of(amount, currency),
    )


def ids(subset: tuple[OpenItem, ...]) -> set[str]:
    return {i.item_id for i in subset}


# --- Tolerance -------------------------------------------------------------------------------------------


def test_absolute_tolerance_is_the_floor() -> None:
    tolerance = Tolerance(absolute=D("2.00"), percent=D("1"))
    assert tolerance.allowed(D("100.00")) == D("2.00")
    assert tolerance.allowed(D("1000.00")) == D("10.00")
    # What a credit balance would allow is measured on its size.
    assert tolerance.allowed(D("-1000.00")) == D("10.00")


def test_fx_percent_is_added_when_converted() -> None:
    tolerance = Tolerance(absolute=D("2.00"), percent=D("0"), fx_percent=D("1.5"))
    assert tolerance.allowed(D("1000.00")) == D("2.00")
    assert tolerance.allowed(D("1000.00"), converted=True) == D("15.00")
    assert Tolerance(percent=D("2")).allowed(D("1000.00"), converted=True) == D("35.00")


# --- short_by --------------------------------------------------------------------------------------------


def test_exact_payment_is_short_by_nothing() -> None:
    assert short_by(D("1190.00"), D("1190"), Tolerance()) == D(0)


def test_short_payment_within_the_tolerance_says_by_how_much() -> None:
    assert short_by(D("1188.50"), D("1190.00"), Tolerance()) == D("1.50")
    assert short_by(D("1188.00"), D("1190.00"), Tolerance()) == D("2.00")


def test_short_payment_beyond_the_tolerance_settles_nothing() -> None:
    assert short_by(D("1187.99"), D("1190.00"), Tolerance()) is None


def test_overpayment_is_not_within_the_tolerance() -> None:
    assert short_by(D("1190.01"), D("1190.00"), Tolerance()) is None
    assert short_by(D("1191.00"), D("1190.00"), Tolerance(absolute=D("5"))) is None


def test_converted_payment_gets_the_fx_tolerance() -> None:
    assert short_by(D("990.00"), D("1000.00"), Tolerance()) is None
    assert short_by(D("990.00"), D("1000.00"), Tolerance(), converted=True) == D("10.00")
    assert short_by(D("984.00"), D("1000.00"), Tolerance(), converted=True) is None


# --- find_subsets ----------------------------------------------------------------------------------------


def test_unique_subset() -> None:
    items = [item(1, "100.00"), item(2, "250.00"), item(3, "400.00"), item(4, "75.50")]
    search = find_subsets(items, D("325.50"))
    assert search.unique is not None
    assert ids(search.unique) == {"i2", "i4"}
    assert not search.exhausted


def test_a_single_item_of_the_amount_is_no_subset() -> None:
    items = [item(1, "100.00"), item(2, "200.00"), item(3, "300.00")]
    search = find_subsets(items, D("300.00"))
    assert [ids(s) for s in search.subsets] == [{"i1", "i2"}]


def test_ambiguous_subsets_have_no_unique_answer() -> None:
    items = [item(1, "100.00"), item(2, "200.00"), item(3, "150.00"), item(4, "150.00")]
    search = find_subsets(items, D("300.00"))
    assert search.unique is None
    assert len(search.subsets) == 2
    assert {frozenset(ids(s)) for s in search.subsets} <= {
        frozenset({"i1", "i2"}),
        frozenset({"i3", "i4"}),
    }


def test_no_subset() -> None:
    items = [item(1, "100.00"), item(2, "200.00")]
    search = find_subsets(items, D("250.00"))
    assert search.subsets == ()
    assert search.unique is None


def test_credit_notes_are_netted() -> None:
    items = [item(1, "500.00"), item(2, "300.00"), item(3, "-120.00"), item(4, "999.00")]
    search = find_subsets(items, D("680.00"))
    assert search.unique is not None
    assert ids(search.unique) == {"i1", "i2", "i3"}


def test_at_most_limit_subsets_are_returned() -> None:
    items = [item(n, "10.00") for n in range(1, 7)]
    assert len(find_subsets(items, D("20.00"), limit=3).subsets) == 3
    assert len(find_subsets(items, D("20.00")).subsets) == 2


def test_items_of_the_amount_itself_do_not_hide_a_real_subset() -> None:
    # Three single items of 100 reach the sum first; the pair 60 + 40 must still be found.
    items = [item(1, "100.00"), item(2, "100.00"), item(3, "100.00"), item(4, "60.00"), item(5, "40.00")]
    search = find_subsets(items, D("100.00"))
    assert search.unique is not None
    assert ids(search.unique) == {"i4", "i5"}


def test_three_decimal_currency_sums_exactly() -> None:
    items = [item(1, "1.005", "KWD"), item(2, "2.005", "KWD"), item(3, "7.250", "KWD")]
    search = find_subsets(items, D("3.010"))
    assert search.unique is not None
    assert ids(search.unique) == {"i1", "i2"}


def test_many_items_exhaust_the_search_so_nothing_is_unique() -> None:
    count = MAX_SUBSET_ITEMS + 6
    items = [item(n, f"{1000 + n}.00") for n in range(1, count + 1)]
    # Two of the oldest items: the pair is found but can prove nothing about the items left out.
    search = find_subsets(items, D("2003.00"))
    assert search.exhausted
    assert search.unique is None
    assert [ids(s) for s in search.subsets] == [{"i1", "i2"}]


def test_only_the_oldest_items_are_searched() -> None:
    count = MAX_SUBSET_ITEMS + 2
    items = [item(n, f"{1000 + n}.00") for n in range(1, count + 1)]
    youngest_two = f"{(1000 + count) + (1000 + count - 1)}.00"
    assert find_subsets(items, D(youngest_two)).subsets == ()


@pytest.mark.parametrize("amount", ["0.01", "10000.00"])
def test_amounts_no_subset_reaches(amount: str) -> None:
    items = [item(1, "100.00"), item(2, "200.00"), item(3, "-50.00")]
    assert find_subsets(items, D(amount)).subsets == ()


# --- invoices cancelled by credit notes, and how much work a search may take ----------------------------


def credited(n: int, amount: str, credits: int) -> OpenItem:
    """Credit note ``n`` of ``amount`` (negative), quoting item ``credits``'s number."""
    return replace(item(n, amount), reference=f"F-{credits:06d}")


def test_an_invoice_and_the_credit_note_cancelling_it_are_no_second_answer() -> None:
    items = [item(1, "110.00"), item(2, "220.00"), item(3, "333.33"), credited(4, "-333.33", 3), item(5, "50.00")]
    search = find_subsets(items, D("330.00"))
    assert search.unique is not None
    assert ids(search.unique) == {"i1", "i2"}


def test_a_credited_invoice_paid_anyway_is_still_found() -> None:
    items = [item(1, "110.00"), item(2, "220.00"), item(3, "333.33"), credited(4, "-333.33", 3)]
    search = find_subsets(items, D("443.33"))
    assert search.unique is not None
    assert ids(search.unique) == {"i1", "i3"}


def test_cancelling_pairs_are_only_formed_when_unambiguous() -> None:
    # The credit note quotes i1: it cancels i1, not i2 of the same amount.
    quoted = [item(1, "100.00"), item(2, "100.00"), credited(3, "-100.00", 1)]
    assert [(a.item_id, b.item_id) for a, b in cancelling_pairs(quoted)] == [("i1", "i3")]
    # Quoting nothing, it could cancel either: no pair.
    assert cancelling_pairs([item(1, "100.00"), item(2, "100.00"), item(3, "-100.00")]) == []
    # The only invoice of the amount and the only credit note of it: a pair, quoted or not.
    assert [(a.item_id, b.item_id) for a, b in cancelling_pairs([item(1, "100.00"), item(2, "-100.00")])] == [
        ("i1", "i2")
    ]


def invoices_and_credit_notes() -> list[OpenItem]:
    """22 invoices and 2 credit notes of unrelated amounts: millions of partial sums."""
    rng = random.Random(1)
    items = [item(n, f"{rng.randint(10000, 9999999) / 100:.2f}") for n in range(1, 23)]
    return items + [item(n, f"-{rng.randint(10000, 999999) / 100:.2f}") for n in (23, 24)]


def test_a_search_with_credit_notes_among_many_items_still_looks_at_every_set() -> None:
    items = invoices_and_credit_notes()
    assert find_subsets(items, D("1.00")) == SubsetSearch((), False)
    pair = D(str(items[3].open_amount.amount + items[17].open_amount.amount))
    search = find_subsets(items, pair)
    assert search.unique is not None
    assert ids(search.unique) == {"i4", "i18"}


def test_the_chance_of_a_coincidence_grows_with_the_items() -> None:
    few = [item(1, "1203.17"), item(2, "877.45"), item(3, "2950.10")]
    search = find_subsets(few, D("2080.62"))
    assert search.unique is not None
    assert search.chance < 0.001
    amounts = [
        "2219.79",
        "2405.00",
        "412.25",
        "1557.46",
        "2880.55",
        "2747.66",
        "2323.02",
        "1790.23",
        "2698.74",
        "2077.20",
        "1345.26",
        "2846.01",
        "930.19",
        "1677.64",
        "932.67",
        "697.18",
        "1513.37",
        "2992.16",
        "970.50",
        "1826.06",
    ]
    many = [item(n, amount) for n, amount in enumerate(amounts, start=1)]
    # One set of six adds up to the round 7700.00: unique, and what some set of twenty would do by chance.
    search = find_subsets(many, D("7700.00"))
    assert search.unique is not None
    assert len(search.unique) == 6
    assert search.chance > 0.05


def test_an_amount_beyond_all_the_items_is_no_set_even_when_some_are_left_out() -> None:
    items = [item(n, f"{1000 + n}.00") for n in range(1, MAX_SUBSET_ITEMS + 7)]
    total = sum(i.open_amount.amount for i in items)
    assert find_subsets(items, total + 1) == SubsetSearch((), False)
    # Within reach of the items left out, the search proves nothing.
    assert find_subsets(items, total - 1).exhausted


@pytest.mark.parametrize(
    ("amounts", "places"),
    [
        (["12.50", "3"], 2),
        (["1.2300"], 2),
        (["1.234"], 3),
        (["1.23400", "5.10"], 3),
        (["1E+2", "0"], 2),
        (["0.000001"], 6),
        (["-7.125", "10.00"], 3),
    ],
)
def test_places_count_the_decimals_that_make_every_amount_whole(amounts: list[str], places: int) -> None:
    assert _places([D(a) for a in amounts]) == places


def test_subset_sums_start_from_the_amount_given() -> None:
    # Bit n of the index says whether value n is taken.
    assert _subset_sums([1, 20, 300]) == [0, 1, 20, 21, 300, 301, 320, 321]
    assert _subset_sums([-1, -20], 100) == [100, 99, 80, 79]
