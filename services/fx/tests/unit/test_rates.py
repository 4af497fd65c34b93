"""The rate at a date: the last published on or before it, within the look-back; cross rates through the
euro; exact decimals; and a clear refusal when a rate is missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from opendso_fx.domain.rates import (
    CROSS_DIGITS,
    DayRates,
    Quote,
    RateHistory,
    RateMissing,
    fetch_window,
    plain,
)
from opendso_money import Money

FRI = dt.date(2024, 1, 5)
THU = dt.date(2024, 1, 4)
SAT = dt.date(2024, 1, 6)
SUN = dt.date(2024, 1, 7)
MON = dt.date(2024, 1, 8)


def q(currency: str, day: dt.date, rate: str, source: str = "ecb") -> Quote:
    return Quote(currency, day, Decimal(rate), source)


def history(*quotes: Quote, lookback_days: int = 10) -> RateHistory:
    return RateHistory(quotes, lookback_days=lookback_days)


WEEK = history(
    q("USD", THU, "1.0953"),
    q("JPY", THU, "157.22"),
    q("USD", FRI, "1.0921"),
    q("JPY", FRI, "158.08"),
    q("GBP", FRI, "0.86045"),
)


def significant(value: Fraction, digits: int) -> Decimal:
    """An independent half-even rounding to significant digits, through exact fractions."""
    exponent = 0
    while value >= 10**digits:
        value /= 10
        exponent += 1
    while value < 10 ** (digits - 1):
        value *= 10
        exponent -= 1
    whole, rest = divmod(value, 1)
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    return plain(Decimal(int(whole)).scaleb(exponent))


def test_a_euro_rate_on_its_day_is_the_rate_as_published() -> None:
    rate = WEEK.rate_on("EUR", "GBP", FRI)
    assert (rate.rate, rate.published_on, rate.source) == (Decimal("0.86045"), FRI, "ecb")
    assert str(rate.rate) == "0.86045"


def test_a_weekend_takes_fridays_rate_and_says_when_it_was_published() -> None:
    for day in (SAT, SUN):
        rate = WEEK.rate_on("EUR", "USD", day)
        assert (rate.rate, rate.on, rate.published_on) == (Decimal("1.0921"), day, FRI)


def test_the_day_before_takes_that_days_rate_not_a_later_one() -> None:
    assert WEEK.rate_on("EUR", "USD", THU).rate == Decimal("1.0953")


def test_the_look_back_includes_its_last_day_and_nothing_older() -> None:
    rates = history(q("USD", FRI, "1.0921"), lookback_days=3)
    assert rates.rate_on("EUR", "USD", MON).published_on == FRI
    with pytest.raises(RateMissing) as missing:
        rates.rate_on("EUR", "USD", MON + dt.timedelta(days=1))
    assert missing.value.since == SAT


def test_a_missing_rate_names_the_pair_the_date_and_the_currency_lacking() -> None:
    with pytest.raises(RateMissing) as missing:
        WEEK.rate_on("USD", "CZK", FRI)
    assert str(missing.value) == (
        "no USD->CZK rate on 2024-01-05: no EUR->CZK rate published between 2023-12-26 and 2024-01-05"
    )
    assert (missing.value.from_currency, missing.value.to_currency, missing.value.missing) == ("USD", "CZK", "CZK")


def test_a_date_before_any_rate_is_missing_not_converted_at_one() -> None:
    with pytest.raises(RateMissing):
        WEEK.rate_on("USD", "EUR", dt.date(2023, 12, 1))
    with pytest.raises(RateMissing):
        WEEK.convert(Money.of("100.00", "USD"), "JPY", dt.date(2023, 12, 1))


def test_a_currency_to_itself_is_one_even_without_any_rate() -> None:
    rate = history().rate_on("CZK", "CZK", FRI)
    assert (rate.rate, rate.published_on, rate.source) == (Decimal(1), FRI, "identity")
    assert history().rate_on("EUR", "EUR", FRI).rate == 1


def test_to_the_euro_is_the_inverse_rounded_to_twelve_significant_digits() -> None:
    rate = WEEK.rate_on("USD", "EUR", FRI)
    assert rate.rate == significant(Fraction(10000, 10921), CROSS_DIGITS)
    assert str(rate.rate) == "0.915667063456"


def test_a_cross_rate_goes_through_the_euro() -> None:
    rate = WEEK.rate_on("USD", "JPY", FRI)
    assert rate.rate == significant(Fraction("158.08") / Fraction("1.0921"), CROSS_DIGITS)
    assert str(rate.rate) == "144.748649391"
    assert (rate.published_on, rate.source) == (FRI, "ecb")


def test_an_exact_cross_rate_is_written_plainly() -> None:
    rates = history(q("AAA", FRI, "2"), q("BBB", FRI, "40"))
    assert str(rates.rate_on("AAA", "BBB", FRI).rate) == "20"
    assert str(rates.rate_on("BBB", "AAA", FRI).rate) == "0.05"


def test_a_cross_rate_whose_legs_were_published_on_different_days_dates_from_the_older() -> None:
    rates = history(q("USD", FRI, "1.0921"), q("CZK", THU, "24.659"))
    rate = rates.rate_on("USD", "CZK", SAT)
    assert rate.published_on == THU
    assert rate.rate == significant(Fraction("24.659") / Fraction("1.0921"), CROSS_DIGITS)


def test_a_manual_rate_wins_its_day_over_the_published_one() -> None:
    rates = history(q("USD", FRI, "1.0921"), q("USD", FRI, "1.1000", "manual"), q("USD", FRI, "1.0900", "ecb_file"))
    rate = rates.rate_on("EUR", "USD", FRI)
    assert (rate.rate, rate.source) == (Decimal("1.1000"), "manual")


def test_a_manual_rate_does_not_hide_a_rate_published_on_a_later_day() -> None:
    rates = history(q("USD", THU, "1.2000", "manual"), q("USD", FRI, "1.0921"))
    assert rates.rate_on("EUR", "USD", FRI).rate == Decimal("1.0921")
    assert rates.rate_on("EUR", "USD", THU).rate == Decimal("1.2000")


def test_the_order_quotes_arrive_in_does_not_change_the_winner() -> None:
    manual, ecb = q("USD", FRI, "1.1", "manual"), q("USD", FRI, "1.0921")
    assert history(manual, ecb).rate_on("EUR", "USD", FRI).rate == history(ecb, manual).rate_on("EUR", "USD", FRI).rate


def test_a_cross_rate_from_two_sources_names_both() -> None:
    rates = history(q("USD", FRI, "1.0921"), q("CZK", FRI, "25", "manual"))
    assert rates.rate_on("USD", "CZK", FRI).source == "manual+ecb"


def test_a_conversion_is_the_amount_times_the_rate_rounded_to_the_targets_minor_unit() -> None:
    done = WEEK.convert(Money.of("1000.00", "USD"), "JPY", FRI)
    assert done.rate.rate == Decimal("144.748649391")
    # 1000 x 144.748649391 = 144748.649391: yen have no minor unit.
    assert done.converted == Money(Decimal("144749"), "JPY")
    assert done.amount == Money.of("1000.00", "USD")


def test_a_conversion_to_the_euro_rounds_half_up_to_cents() -> None:
    rates = history(q("CZK", FRI, "25"))
    assert rates.convert(Money.of("0.125", "CZK"), "EUR", FRI).converted.amount == Decimal("0.01")
    assert rates.convert(Money.of("-250.00", "CZK"), "EUR", FRI).converted.amount == Decimal("-10.00")


def test_a_large_amount_at_a_large_rate_converts_exactly() -> None:
    rates = history(q("IDR", FRI, "17012.53"))
    done = rates.convert(Money.of("999999999999999999.99", "EUR"), "IDR", FRI)
    assert done.converted.amount == Decimal("17012529999999999999829.87")


def test_a_quote_refuses_what_cannot_be_a_euro_rate() -> None:
    with pytest.raises(ValueError, match="EUR is 1 by definition"):
        q("EUR", FRI, "1")
    with pytest.raises(ValueError, match="not a positive number"):
        q("USD", FRI, "0")
    with pytest.raises(ValueError, match="more than 10 decimals"):
        q("USD", FRI, "1.00000000001")
    with pytest.raises(ValueError, match="ISO 4217"):
        q("usd", FRI, "1.1")
    with pytest.raises(TypeError, match="Decimal"):
        Quote("USD", FRI, 1.0921, "ecb")  # type: ignore[arg-type]


def test_day_rates_become_quotes_of_their_source() -> None:
    day = DayRates(FRI, {"USD": Decimal("1.0921"), "GBP": Decimal("0.86045")})
    assert day.quotes("ecb_file") == [q("GBP", FRI, "0.86045", "ecb_file"), q("USD", FRI, "1.0921", "ecb_file")]


def test_a_source_never_fetched_is_asked_for_its_backfill() -> None:
    assert fetch_window(None, FRI, 30) == (FRI - dt.timedelta(days=30), FRI)


def test_a_source_fetched_yesterday_is_asked_for_today_only() -> None:
    assert fetch_window(THU, FRI, 30) == (FRI, FRI)


def test_a_source_that_gave_today_is_not_asked_again() -> None:
    assert fetch_window(FRI, FRI, 30) is None


def test_a_source_silent_for_long_is_asked_no_further_back_than_the_backfill() -> None:
    assert fetch_window(dt.date(2023, 1, 1), FRI, 10) == (FRI - dt.timedelta(days=10), FRI)
