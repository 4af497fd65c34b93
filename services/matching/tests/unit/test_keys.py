"""Document-number keys: what an item is found by, and what a remittance text offers."""

from __future__ import annotations

import random

import pytest
from opendso_matching.domain.keys import (
    MIN_DIGITS,
    _value_keys,
    compact,
    digits_key,
    item_keys,
    loose_key,
    number_keys,
    text_keys,
    text_tokens,
)


def test_compact_keeps_letters_and_digits_upper_cased() -> None:
    assert compact("F-2024/000123") == "F2024000123"
    assert compact("fa.2024 000123") == "FA2024000123"
    assert compact(" -/. ") == ""


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("F-2024/000123", "2024000123"),
        ("2024-000123", "2024000123"),
        ("INV000012345", "12345"),
        ("0000012345", "12345"),
        ("F2024000123X", "2024000123"),
    ],
)
def test_digits_key_is_the_number_without_leading_zeros(number: str, expected: str) -> None:
    assert digits_key(number) == expected


@pytest.mark.parametrize(
    "number", ["F-0042", "000001234", "1234", "A12B34567", "DE01-CN-2026-007377", "2026 CN 007377", "NO DIGITS", ""]
)
def test_digits_key_needs_one_run_of_enough_digits(number: str) -> None:
    assert digits_key(number) is None


def test_a_credit_note_and_the_invoice_of_the_same_sequence_share_no_key() -> None:
    assert not item_keys("DE01-2026-007377") & item_keys("DE01-CN-2026-007377")


def test_item_keys_cover_number_and_reference() -> None:
    # The loose key ("F.2024.123") finds the number written with zeros dropped or added ("F-2024/123").
    assert item_keys("F-2024/000123") == {"F2024000123", "2024000123", "F.2024.123"}
    keys = item_keys("F-2024/000200", "RF18 5390 0754 7034")
    assert {"F2024000200", "2024000200", "RF18539007547034"} <= keys
    # A short number is still the item's compact key (a structured reference may quote it).
    assert item_keys("42") == {"42"}
    assert item_keys("", "") == set()


@pytest.mark.parametrize(
    "text",
    [
        "Rechnung F-2024/000123",
        "INV 2024 000123",
        "fa.2024000123",
        "F2024000123",
        "Facture n° F 2024 000123 du 12/03",
        "payment for invoice 2024000123",
    ],
)
def test_each_way_of_writing_a_number_finds_the_item(text: str) -> None:
    keys = text_keys(text)
    assert "2024000123" in keys
    assert set(keys) & item_keys("F-2024/000123")


def test_number_written_with_its_prefix_gives_the_exact_key() -> None:
    assert "F2024000123" in text_keys("Rechnung F-2024/000123")
    assert "F2024000123" not in text_keys("INV 2024 000123")


def test_leading_zeros_in_the_text_are_dropped_for_the_digits_key() -> None:
    keys = text_keys("Nr 0000123456")
    assert "123456" in keys
    assert set(keys) & item_keys("123456")


def test_several_numbers_on_one_line_in_the_order_written() -> None:
    keys = text_keys("INV 2024000125, 2024000123 und 2024000124")
    positions = [keys.index(k) for k in ("2024000125", "2024000123", "2024000124")]
    assert positions == sorted(positions)
    assert len(keys) == len(set(keys))


def test_short_numbers_offer_no_key() -> None:
    keys = text_keys("Rechnung 42 vom 12.03., 3 Positionen, Kunde 000123")
    for short in ("42", "12", "03", "3", "000123", "123"):
        assert short not in keys
    assert all(not k.isdigit() or len(k.lstrip("0")) >= MIN_DIGITS for k in keys)


def test_noise_words_are_no_keys_by_themselves() -> None:
    keys = text_keys("Invoice payment ref Rechnung Facture Zahlung")
    for word in ("INVOICE", "PAYMENT", "REF", "RECHNUNG", "FACTURE", "ZAHLUNG"):
        assert word not in keys


def test_text_tokens_leave_noise_words_out() -> None:
    assert text_tokens("Rechnung Nr. F-2024/000123 und 124") == ["F", "2024", "000123", "124"]
    assert text_tokens("") == []


def test_a_number_in_four_parts_is_read_whole() -> None:
    keys = text_keys("Rg. DE01-2026-080447 abzgl. Gutschrift DE01-CN-2026-007351")
    assert "DE01CN2026007351" in keys
    assert "DE012026080447" in keys


def test_rf_reference_printed_in_groups_of_four_is_read_whole() -> None:
    assert "RF18539007547034" in text_keys("Ref: RF18 5390 0754 7034 merci")
    # 25 characters in seven groups: the longest an RF reference is.
    assert "RF48ABCDEFGHIJKLMNOPQRSTU" in text_keys("RF48 ABCD EFGH IJKL MNOP QRST U")
    assert "RF48ABCDEFGHIJKLMNOPQRSTUV" not in text_keys("RF48 ABCD EFGH IJKL MNOP QRST UV")


@pytest.mark.parametrize("text", ["PL01-2026-088793", "Faktura PL01 2026 088793", "DE01-2026-2324602 12.03.2026"])
def test_a_code_and_a_year_are_not_read_as_one_number(text: str) -> None:
    # "PL01" + "2026" has the digits 012026: as a number, 12026 is the buyer reference ZAM/1/2026 of anyone.
    assert "12026" not in text_keys(text)
    assert not set(text_keys(text)) & item_keys("PL01-2026-092951", "ZAM/1/2026")


def test_a_group_of_digits_tied_to_others_is_no_number_of_its_own() -> None:
    keys = text_keys("Invoice 2026-88231")
    assert "88231" not in keys
    assert "202688231" in keys
    # Standing alone, the same digits are a number.
    assert "88231" in text_keys("Invoice 88231")


def test_the_sequence_of_a_number_is_not_an_order_number() -> None:
    # 088793 without its zeros is the order number PO88793's digits.
    assert not set(text_keys("PL01-2026-088793")) & item_keys("PL01-2026-092951", "PO88793")


@pytest.mark.parametrize(
    "text",
    [
        "PL01-2026-63821",
        "Faktura PL01-2026-00063821",
        "pl01 2026 0063821",
        "2026-063821",
        "Faktura 2026063821",
        "Rg.2026-63821",
    ],
)
def test_a_number_with_zeros_dropped_or_added_or_without_its_code_finds_the_item(text: str) -> None:
    assert set(text_keys(text)) & item_keys("PL01-2026-063821")


def test_the_end_of_a_credit_note_number_is_not_the_invoice_of_that_sequence() -> None:
    invoice = item_keys("DE01-2026-007351")
    assert not set(text_keys("Rg. DE01-2026-080447 abzgl. Gutschrift DE01-CN-2026-007351")) & invoice
    assert not set(text_keys("Gutschrift CN-2026-7351")) & invoice
    assert set(text_keys("Gutschrift CN-2026-7351")) & item_keys("DE01-CN-2026-007351")


def test_loose_and_tail_keys_of_an_item() -> None:
    keys = item_keys("DE01-2026-080447")
    assert {"DE.1.2026.80447", "2026080447", "2026.80447"} <= keys
    # A code of letters only ("F") is part of the number as payers see it: no key without it.
    assert item_keys("F-2024/000123") == {"F2024000123", "2024000123", "F.2024.123"}
    assert loose_key("DE01-2026-080447") == "DE.1.2026.80447"
    # A date, a year or a number of one group is no loose number.
    assert loose_key("12.03.24") is None
    assert loose_key("2024000123") is None


def test_words_are_no_keys() -> None:
    keys = text_keys("Miete November Zahlung 2024000123")
    assert keys == ["2024000123"]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (
            "DE01-2026-080447",
            {"DE012026080447", "12026080447", "DE.1.2026.80447", "2026080447", "2026.80447"},
        ),
        # Letters between the digits: no digits key; the tail keeps its letters.
        ("DE01-CN-2026-007351", {"DE01CN2026007351", "DE.1.CN.2026.7351", "CN2026007351", "CN.2026.7351"}),
        # Spaces separate parts as well as hyphens do.
        (
            "FR01 2026 283393",
            {"FR012026283393", "12026283393", "FR.1.2026.283393", "2026283393", "2026.283393"},
        ),
        ("ZAM/1/2026", {"ZAM12026", "12026", "ZAM.1.2026"}),
        ("A12B34", {"A12B34"}),
        ("INV000012345", {"INV000012345", "12345"}),
        ("2024-000123", {"2024000123", "2024.123"}),
        (" -/. ", set()),
    ],
)
def test_item_keys_of_numbers_of_every_shape(number: str, expected: set[str]) -> None:
    assert item_keys(number) == expected


def test_a_reference_offers_no_tail_keys() -> None:
    # Only a document number is quoted without its series code; a payment reference is quoted whole.
    assert item_keys("", "DE01-2026-080447") == {"DE012026080447", "12026080447", "DE.1.2026.80447"}
    assert item_keys("F-1", "DE01-2026-080447") == {"F1"} | item_keys("", "DE01-2026-080447")


@pytest.mark.parametrize(
    "number",
    ["DE01-2026-080447", "F-2024/000123", "PL01-2026-092951", "2024-000123", "INV000012345", "fa.2024 000123"],
)
def test_item_keys_hold_the_compact_digits_and_loose_keys(number: str) -> None:
    keys = item_keys(number)
    assert compact(number) in keys
    for key in (digits_key(number), loose_key(number)):
        assert key is None or key in keys


@pytest.mark.parametrize("space", [" ", "\u00a0", "\t", " / "])
def test_any_white_space_ends_a_written_number(space: str) -> None:
    # "2026-88231" is one number; "2026 88231" may be two, so the second is offered alone as well.
    assert text_keys(f"Invoice 2026{space}88231") == ["202688231", "2026.88231", "88231"]
    assert text_keys(f"Invoice{space}2026-88231") == ["202688231", "2026.88231"]


def _numbers(seed: int, count: int) -> list[str]:
    """Numbers of the usual shape and of shapes near it (letters, zeros, separators, case), at random."""
    rng = random.Random(seed)
    found: list[str] = []
    for _ in range(count):
        code = rng.choice(["DE", "F", "ab", "X", "", "CZ", "RF"])
        parts = [
            code + str(rng.randint(0, 99)).zfill(rng.randint(1, 3)),
            str(rng.randint(0, 3000)).zfill(rng.randint(1, 4)),
            str(rng.randint(0, 99999)).zfill(rng.randint(1, 7)),
        ]
        separators = [rng.choice(["-", "/", " ", "--", ".-", ""]) for _ in range(2)]
        found.append(parts[0] + separators[0] + parts[1] + separators[1] + parts[2])
        found.append("".join(rng.choice("Aa0123456789-/ .Zč") for _ in range(rng.randint(1, 14))))
    return found


@pytest.mark.parametrize(
    "number",
    [
        "DE01-2026-080447",
        "de01/2026/000000",
        "CZ01-2026-624190",
        "F0-0-1",
        "DE01-CN-2026-007377",
        "2026615415",
        "0000012345",
        "00",
        "X1-2-3",
        "ÄB01-2026-1",
        "DE01 2026 080447",
    ],
)
def test_the_shortcut_reads_a_number_as_the_general_reading_does(number: str) -> None:
    for with_tail in (True, False):
        assert number_keys(number, with_tail) == _value_keys(number, with_tail)


def test_the_shortcut_reads_numbers_of_every_shape_as_the_general_reading_does() -> None:
    for number in _numbers(seed=5, count=3000):
        for with_tail in (True, False):
            assert number_keys(number, with_tail) == _value_keys(number, with_tail), number
