"""Document-number keys: what an item is found by, and what a remittance text offers."""

from __future__ import annotations

import pytest
from opendso_matching.domain.keys import MIN_DIGITS, compact, digits_key, item_keys, text_keys, text_tokens


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
    assert item_keys("F-2024/000123") == {"F2024000123", "2024000123"}
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
