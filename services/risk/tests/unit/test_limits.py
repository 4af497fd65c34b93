"""Credit limits' use, with balances in other currencies converted at the FX service's rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from opendso_money import Money
from opendso_risk.domain.limits import (
    CoverError,
    CoverKind,
    CreditLimit,
    HolderKind,
    InsuranceCover,
    RateQuote,
    check_cover,
    convert,
    limit_use,
    pairs_needed,
)

ON = dt.date(2026, 6, 30)
LIMIT = CreditLimit("customer:FR01/C1", HolderKind.CUSTOMER, "FR01/C1", "FR01", Money(Decimal(10000), "EUR"))
USD_EUR = RateQuote("USD", "EUR", Decimal("0.9"), dt.date(2026, 6, 29))


def test_the_use_adds_foreign_balances_at_the_days_rate() -> None:
    use = limit_use(LIMIT, {"EUR": Decimal(4000), "USD": Decimal(2000)}, 1, {("USD", "EUR"): USD_EUR}, ON)
    # 4000 + 2000 x 0.9 = 5800 of 10000
    assert use.balance == Money(Decimal("5800.00"), "EUR")
    assert use.use == Decimal("0.58")
    assert use.headroom == Money(Decimal("4200.00"), "EUR")
    assert not use.exceeded
    (conversion,) = use.conversions
    assert (conversion.amount, conversion.converted) == (Money(Decimal(2000), "USD"), Money(Decimal("1800.00"), "EUR"))


def test_a_missing_rate_leaves_the_use_unknown_and_says_which() -> None:
    rates = {("USD", "EUR"): USD_EUR, ("GBP", "EUR"): "no EUR->GBP rate on 2026-06-30"}
    use = limit_use(LIMIT, {"EUR": Decimal(4000), "USD": Decimal(10), "GBP": Decimal(5)}, 1, rates, ON)
    assert (use.known, use.balance, use.use, use.headroom) == (False, None, None, None)
    assert use.problem == "no EUR->GBP rate on 2026-06-30"
    assert not use.exceeded


def test_an_exceeded_limit_has_a_negative_headroom() -> None:
    use = limit_use(LIMIT, {"EUR": Decimal("10500.50")}, 1, {}, ON)
    assert use.exceeded and use.use == Decimal("1.05005")
    assert use.headroom == Money(Decimal("-500.50"), "EUR")


def test_conversion_rounds_half_up_to_the_target_minor_unit() -> None:
    assert convert(Money(Decimal("333.33"), "USD"), RateQuote("USD", "EUR", Decimal("0.915"), ON)) == Money(
        Decimal("305.00"), "EUR"
    )
    assert convert(Money(Decimal(100), "EUR"), RateQuote("EUR", "JPY", Decimal("163.455"), ON)) == Money(
        Decimal(16346), "JPY"
    )


def test_only_foreign_non_zero_balances_need_a_rate() -> None:
    needed = pairs_needed({"EUR": Decimal(5), "USD": Decimal(7), "GBP": Decimal(0)}, "EUR")
    assert needed == {("USD", "EUR"): Money(Decimal(7), "USD")}


def test_a_cover_needs_an_insurer_an_amount_and_a_temporary_one_an_expiry() -> None:
    cover = InsuranceCover(
        "c1", HolderKind.CUSTOMER, "FR01/C1", "FR01", " ", Money(Decimal(0), "EUR"), CoverKind.TEMPORARY
    )
    with pytest.raises(CoverError) as caught:
        check_cover(cover)
    assert str(caught.value) == (
        "cover.insurer: is required; cover.amount: must be above 0, got 0; "
        "cover.expires_on: a temporary cover needs an expiry"
    )
    check_cover(
        InsuranceCover(
            "c2", HolderKind.ENTITY, "FR01", "FR01", "Atradius", Money(Decimal(1), "EUR"), CoverKind.PERMANENT
        )
    )
