"""Document-number keys: what an item is found by, and what a remittance text offers."""

from __future__ import annotations

import random
import re

import pytest
from opendso_matching.domain.keys import (
    _NOISE_WORDS,
    _RF_MAX,
    _RF_START,
    MIN_DIGITS,
    MIN_JOINED_DIGITS,
    _digits_form,
    _no_space,
    _recipe,
    _text_keys,
    _token_facts,
    _token_form,
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
    "number",
    [
        "DE01-2026-080447",
        "de01-2026-080447",
        "F2024000123",
        "-",
        "",
        "--A--",
        "A_1",
        "ÄB01-2026-1",
        "ß-1",
        "x y",
        "١٢٣",
    ],
)
def test_compact_of_a_hyphenated_number_is_what_the_general_reading_gives(number: str) -> None:
    assert compact(number) == re.sub(r"[^A-Za-z0-9]+", "", number).upper()


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


def _read_directly(text: str) -> tuple[str, ...]:
    """The keys of a text read token by token, run by run, as text_keys read them before recipes were shared
    between texts of one form: what every recipe must give."""
    pieces = re.split(r"([A-Za-z0-9]+)", text)
    tokens = [t.upper() for t in pieces[1::2]]
    count = len(tokens)
    if count == 0:
        return ()
    facts = [_token_facts(t) for t in tokens]
    tied = [_no_space(separator) for separator in pieces[2:-1:2]]
    tied.append(False)
    inside = [False] * count
    word = [False] * count
    previous_tied = False
    for n in range(count):
        inside[n] = previous_tied and (inside[n - 1] or tokens[n - 1] not in _NOISE_WORDS)
        word[n] = not facts[n].digits and len(tokens[n]) >= 5 and not tied[n] and not previous_tied
        previous_tied = tied[n]
    reach = [count] * (count + 1)
    digit = [count] * (count + 1)
    letter = [count] * (count + 1)
    for n in range(count - 1, -1, -1):
        reach[n] = n if word[n] else reach[n + 1]
        digit[n] = n if facts[n].digits else digit[n + 1]
        letter[n] = n if facts[n].letters else letter[n + 1]
    alone = [not (n + 1 < count and tied[n] and facts[n + 1].digits) for n in range(count)]
    seen: dict[str, None] = {}
    for start in range(count):
        first = tokens[start]
        stop = min(start + (7 if _RF_START.match(first) else 4), reach[start])
        first_digit = digit[start]
        if first_digit >= stop:
            continue
        outside = not inside[start]
        if not outside and letter[start] >= stop:
            continue
        joined = "".join(tokens[start:first_digit])
        loose = ".".join(facts[n].loose for n in range(start, first_digit))
        letters = first_digit > start
        numbers = groups = loose_digits = 0
        digits_of = ""
        seen_digit = letter_pending = broken = False
        for last in range(first_digit, stop):
            fact = facts[last]
            joined += tokens[last]
            loose = f"{loose}.{fact.loose}" if loose else fact.loose
            if fact.digits:
                broken = broken or fact.broken or (seen_digit and (letter_pending or fact.leads_with_letters))
                letter_pending = fact.ends_with_letters
                seen_digit = True
                numbers += 1
                digits_of += fact.digits
                groups += fact.digit_groups
                loose_digits += fact.loose_digits
            elif seen_digit:
                letter_pending = True
            letters = letters or fact.letters
            if len(joined) > _RF_MAX and last - start >= 4:
                break
            if not broken and outside:
                digits = digits_of.lstrip("0")
                if len(digits) >= (MIN_JOINED_DIGITS if numbers > 1 else MIN_DIGITS) and (last > start or alone[start]):
                    seen[joined] = None
                    seen[digits] = None
                elif letters:
                    seen[joined] = None
            elif letters:
                seen[joined] = None
            if (
                numbers > 1
                and outside
                and groups >= 2
                and loose_digits >= (MIN_DIGITS if letters else MIN_JOINED_DIGITS)
            ):
                seen[loose] = None
    return tuple(seen)


def _texts(seed: int, count: int) -> list[str]:
    """Remittance texts of many forms: numbers written whole or in groups, words, noise words, RF references,
    zeros, non-ASCII letters and separators."""
    rng = random.Random(seed)
    words = ["INV", "no", "Rg.-Nr.", "RF18", "DE01", "de01", "2026", "000123", "0000", "0", "00012", "12", "X", "CN"]
    words += ["Zahlung", "Rechnung", "fa", "straße", "ﬁ", "Ödeme", "1234567", "5390", "A12B34", "ab12", "C101090", "et"]
    separators = [" ", "-", "/", ".", ". ", ", ", "_", "  ", " - ", "", "\t", "ß", "é", "#"]
    texts = []
    for _ in range(count):
        text = ""
        for _ in range(rng.randint(0, 12)):
            token = rng.choice(words)
            if rng.random() < 0.3:
                token = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 12)))
            text += token + rng.choice(separators)
        texts.append(text)
    return texts


@pytest.mark.parametrize(
    "text",
    [
        "Fact. FR01-2026-053722, FR01-2026-053723, FR01-2026-056813 et FR01-2026-057538",
        "Rg.-Nr. DE01-2026-088094 Kd-Nr C101396",
        "RF18 5390 0754 7034 0000 0000 1",
        "GB01-2026-066580 518.25 GBP",
        "Zahlung 0000 00000 000001234",
        "Straße F-2024/000123",
        "",
        "Miete November",
    ],
)
def test_a_texts_recipe_gives_the_keys_of_reading_it_directly(text: str) -> None:
    assert _text_keys.__wrapped__(text) == _read_directly(text)


def test_recipes_give_the_keys_of_reading_texts_of_every_form_directly() -> None:
    for text in _texts(seed=11, count=5000):
        assert _text_keys.__wrapped__(text) == _read_directly(text), text


def test_texts_of_one_form_share_a_recipe_and_keep_their_own_digits() -> None:
    first = _text_keys.__wrapped__("Rechnung DE01-2026-080447")
    hits = _recipe.cache_info().hits
    second = _text_keys.__wrapped__("Rechnung DE01-2026-091735")
    assert _recipe.cache_info().hits == hits + 1
    assert "DE012026080447" in first
    assert "DE012026091735" in second
    assert "DE.1.2026.91735" in second
    assert not set(first) & {"DE012026091735", "12026091735", "DE.1.2026.91735"}


@pytest.mark.parametrize("token", ["012345", "2026", "0000", "0", "9", "000000000012345678901234567890"])
def test_a_digits_token_has_the_form_of_any_token_read_in_full(token: str) -> None:
    assert _digits_form(len(token), len(token.lstrip("0"))) == _token_form(token).form
