import pytest
from opendso_importer.domain.statements import (
    classify_reference,
    czech_variable_symbol,
    find_rf_references,
    is_valid_rf,
)

# --- ISO 11649 RF creditor references -----------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    ["RF18539007547034", "RF18 5390 0754 7034", "rf18 5390 0754 7034", "RF462026000123", "RF26INV202600125"],
)
def test_rf_reference_with_correct_check_digits_is_valid(ref: str) -> None:
    assert is_valid_rf(ref)


@pytest.mark.parametrize(
    "ref",
    [
        "RF19539007547034",  # check digits off by one
        "RF18539007547035",  # last digit mistyped
        "RF18",  # no reference at all
        "RF1853900754703412345678901",  # 23 characters after the check digits: too long
        "RF18-5390-0754",  # dashes are not allowed
        "XX18539007547034",
        "",
    ],
)
def test_rf_reference_with_wrong_check_digits_or_shape_is_invalid(ref: str) -> None:
    assert not is_valid_rf(ref)


def test_rf_references_are_found_in_free_text_without_their_spaces() -> None:
    assert find_rf_references("Pagamento fattura RF18 5390 0754 7034 grazie") == ["RF18539007547034"]


def test_a_word_after_an_rf_reference_is_not_taken_into_it() -> None:
    assert find_rf_references("RF18 5390 0754 7034 INV 12") == ["RF18539007547034"]


def test_rf_reference_glued_to_punctuation_is_found() -> None:
    assert find_rf_references("Ref.:RF462026000123, thanks") == ["RF462026000123"]


def test_several_rf_references_are_found_in_order_once_each() -> None:
    text = "RF462026000123 and RF18 5390 0754 7034, again RF462026000123"

    assert find_rf_references(text) == ["RF462026000123", "RF18539007547034"]


def test_rf_lookalikes_with_bad_check_digits_are_not_references() -> None:
    assert find_rf_references("PERF12 ABC, RF19 5390 0754 7034, RF00") == []


def test_rf_inside_a_word_is_not_a_reference() -> None:
    assert find_rf_references("XRF18539007547034") == []


# --- Czech and Slovak variable symbols ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("VS:20260042", "20260042"),
        ("VS 20260042", "20260042"),
        ("VS20260042", "20260042"),
        ("VS.20260042", "20260042"),
        ("/VS/20260042/SS/KS0308", "20260042"),
        ("?20Platba?21VS0020260042?22KS0308", "20260042"),
        ("Úhrada faktury VS: 0000000123, díky", "123"),
        ("Variabilní symbol: 777", "777"),
        ("var. symbol 2026", "2026"),
        ("faktura 2026-0042 V.S. 4455", "4455"),
    ],
)
def test_variable_symbol_is_read_with_leading_zeros_stripped(text: str, symbol: str) -> None:
    assert czech_variable_symbol(text) == symbol


@pytest.mark.parametrize(
    "text",
    [
        "INV-2026-00123",
        "VS:12345678901",  # eleven digits: not a variable symbol
        "VS:0000000000",  # zeros mean no symbol
        "Company A vs 123",  # English "versus"
        "INVS 123",  # inside a word
        "",
    ],
)
def test_text_without_a_variable_symbol_has_none(text: str) -> None:
    assert czech_variable_symbol(text) is None


def test_the_first_variable_symbol_that_is_not_zero_wins() -> None:
    assert czech_variable_symbol("VS:0 VS:20260055 VS:20260056") == "20260055"


# --- which reference a transaction gets ---------------------------------------------------------------


def test_a_structured_rf_reference_is_typed_rf_whatever_the_bank_declared() -> None:
    assert classify_reference("RF18 5390 0754 7034", "SCOR", "") == ("RF18539007547034", "RF")


def test_a_structured_reference_that_is_not_rf_keeps_the_declared_type() -> None:
    assert classify_reference(" 4711-0815 ", "SCOR", "RF18539007547034") == ("4711-0815", "SCOR")


def test_a_structured_reference_with_bad_rf_check_digits_keeps_the_declared_type() -> None:
    assert classify_reference("RF19539007547034", "SCOR", "") == ("RF19539007547034", "SCOR")


def test_without_a_structured_reference_an_rf_in_the_text_beats_a_variable_symbol() -> None:
    assert classify_reference(None, None, "VS:20260042 RF18 5390 0754 7034") == ("RF18539007547034", "RF")


def test_without_any_reference_a_variable_symbol_in_the_text_is_used() -> None:
    assert classify_reference(None, None, "VS:20260042 faktura") == ("20260042", "CZ_VS")


def test_text_without_references_gives_none() -> None:
    assert classify_reference(None, None, "INV-2026-00123 / 00124") == (None, None)
