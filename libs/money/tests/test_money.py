from decimal import Decimal

import pytest
from opendso_money import CurrencyMismatchError, Money, parse_amount, sum_money


def test_adding_two_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        Money.of("1", "EUR") + Money.of("1", "USD")


def test_float_amount_is_refused() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]


def test_sum_of_nothing_is_zero_in_the_currency() -> None:
    assert sum_money([], "CZK") == Money.zero("CZK")


def test_rounding_follows_the_currency_minor_unit() -> None:
    assert Money.of("100.5", "JPY").rounded().amount == Decimal("101")
    assert Money.of("1.005", "EUR").rounded().amount == Decimal("1.01")


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1.005", "EUR", "1.01 EUR"),
        ("-1.005", "EUR", "-1.01 EUR"),
        ("12", "EUR", "12.00 EUR"),
        ("100.5", "JPY", "101 JPY"),
        ("1.0005", "KWD", "1.001 KWD"),
        ("7.1", "USD", "7.10 USD"),
    ],
)
def test_an_amount_is_written_rounded_to_its_currency_minor_unit(amount: str, currency: str, shown: str) -> None:
    money = Money.of(amount, currency)
    assert str(money) == shown
    assert str(money.rounded()) == shown
    assert money.rounded() == Money(Decimal(shown.split()[0]), currency)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("-12,5", "-12.5"),
        ("12.00-", "-12.00"),
        ("(7.10)", "-7.10"),
        ("1.234.567", "1234567"),
    ],
)
def test_amounts_parse_as_erps_write_them(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3.4.5x", "NaN"])
def test_garbage_amount_is_an_error_naming_the_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


def test_a_currency_is_checked_every_time_not_only_the_first() -> None:
    Money(Decimal("1"), "EUR")
    Money(Decimal("2"), "EUR")
    for bad in ("eur", "EURO", "E1R", ""):
        with pytest.raises(ValueError, match="three-letter"):
            Money(Decimal("1"), bad)
