"""The ids a file listed so far: each found with its first row, none found that was not added, as it grows."""

from __future__ import annotations

import pytest
from opendso_importer.domain.seen_items import SeenItems


def test_every_id_added_is_found_with_its_first_row_and_no_other_id_is_found_across_growth() -> None:
    seen = SeenItems()
    ids = [f"FR01/invoice/INV-{n:07d}" for n in range(100_000)]  # grows the table several times
    for row, item_id in enumerate(ids, start=2):
        assert seen.first_row(item_id) is None
        assert seen.add(item_id, row) is None
    assert seen.add(ids[5], 999_999) == 7  # listed again: answers and keeps its first row

    assert len(seen) == len(ids)
    assert all(seen.first_row(item_id) == row for row, item_id in enumerate(ids, start=2))
    assert seen.first_row("FR01/invoice/INV-0100000") is None
    assert seen.first_row("FR01/credit_note/INV-0000001") is None
    assert seen.first_row("") is None


def test_ids_that_differ_by_the_hash_suffix_alone_stay_apart() -> None:
    seen = SeenItems()
    seen.add("A", 2)
    assert seen.first_row("A\x1f") is None
    seen.add("A\x1f", 3)
    assert (seen.first_row("A"), seen.first_row("A\x1f")) == (2, 3)


def test_a_table_made_for_the_expected_ids_finds_them_as_one_grown_to_them() -> None:
    made, grown = SeenItems(expected=20_000), SeenItems()
    for row in range(2, 30_002):
        assert made.add(f"C{row}", row) is None and grown.add(f"C{row}", row) is None
    assert all(made.first_row(f"C{row}") == grown.first_row(f"C{row}") == row for row in range(2, 30_002))
    assert made.first_row("C1") is None and len(made) == len(grown) == 30_000


def test_a_row_number_must_be_positive() -> None:
    with pytest.raises(ValueError, match="row numbers start at 1, got 0"):
        SeenItems().add("FR01/invoice/F-1", 0)
