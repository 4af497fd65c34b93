"""A rate entered by hand is taken only when every field is sound, and a refusal names the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from opendso_fx.domain.manual import ManualRateError, manual_rate
from opendso_fx.domain.rates import Quote

TODAY = dt.date(2024, 1, 8)


def refusal(currency: str = "USD", on: dt.date | None = TODAY, rate: str = "1.0921", user: str = "anna") -> str:
    with pytest.raises(ManualRateError) as error:
        manual_rate(currency, on, rate, user, TODAY)
    return str(error.value)


def test_a_sound_entry_is_a_manual_quote_kept_with_who_entered_it() -> None:
    entered = manual_rate("USD", dt.date(2024, 1, 5), "1.0921", "  anna  ", TODAY)
    assert entered.quote == Quote("USD", dt.date(2024, 1, 5), Decimal("1.0921"), "manual")
    assert entered.user == "anna"


def test_today_is_allowed_and_the_rate_keeps_its_decimals() -> None:
    assert str(manual_rate("CZK", TODAY, "24.7000", "anna", TODAY).quote.rate) == "24.7000"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"currency": ""}, "currency: is required"),
        ({"currency": "usd"}, "currency: 'usd' is not a three-letter ISO 4217 code in capitals"),
        ({"currency": "EUR"}, "currency: rates are units of a currency per euro; EUR to EUR is 1 by definition"),
        ({"on": None}, "on: is required"),
        ({"on": dt.date(2024, 1, 9)}, "on: 2024-01-09 is after today (2024-01-08)"),
        ({"rate": "1,0921"}, "rate: '1,0921' is not a decimal such as 1.0921"),
        ({"rate": "-1.2"}, "rate: '-1.2' is not a decimal such as 1.0921"),
        ({"rate": "1e2"}, "rate: '1e2' is not a decimal such as 1.0921"),
        ({"rate": "1.12345678901"}, "rate: '1.12345678901' is not a decimal such as 1.0921"),
        ({"rate": "0.000"}, "rate: must be above zero"),
        ({"user": "  "}, "user: is required"),
        ({"user": "x" * 201}, "user: is longer than 200 characters"),
    ],
)
def test_an_unsound_field_is_refused_by_name(fields: dict[str, object], message: str) -> None:
    assert refusal(**fields).startswith(message)  # type: ignore[arg-type]


def test_the_refusal_carries_the_field_for_the_caller() -> None:
    with pytest.raises(ManualRateError) as error:
        manual_rate("USD", TODAY, "abc", "anna", TODAY)
    assert error.value.field == "rate"
