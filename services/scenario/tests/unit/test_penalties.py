"""Late-payment interest and compensation: worked examples checked by hand from each law's method.

Every expected amount below is derived in the comment next to it: principal x rate x days / 365,
rounded half-up to the cent once per slice.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal, localcontext

import pytest
from opendso_money import Money
from opendso_scenario.domain.penalties import (
    LAWS,
    DayCount,
    HalfYear,
    MissingFxRateError,
    Penalty,
    PenaltyError,
    RateTable,
    ReferenceRate,
    UnknownLawError,
    UnknownReferenceRateError,
    compute,
    get_law,
)
from opendso_scenario.domain.penalties.rate_tables import (
    BASISZINSSATZ,
    BNR_REFERENCE,
    BOE_BANK_RATE,
    CNB_REPO,
    ECB_MRO,
    NBP_REFERENCE,
)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def slice_rows(penalty: Penalty) -> list[tuple[date, date, int, str, str, str]]:
    return [
        (s.start, s.end, s.days, str(s.rate), str(s.principal.amount), str(s.interest.amount)) for s in penalty.slices
    ]


class FixedRates:
    """An fx table that records what it was asked, so tests can check the law's rate date."""

    def __init__(self, rates: dict[tuple[str, str], str]) -> None:
        self.rates = {pair: Decimal(rate) for pair, rate in rates.items()}
        self.asked: list[tuple[str, str, date]] = []

    def __call__(self, source: str, target: str, on: date) -> Decimal | None:
        self.asked.append((source, target, on))
        return self.rates.get((source, target))


# --- worked examples -----------------------------------------------------------------------------


def test_france_thirty_days_late_in_one_half_year() -> None:
    # 2025-H1: ECB MRO on 1 Jan 2025 = 3.15 %, + 10 points = 13.15 %.
    # 1 Apr to 30 Apr = 30 days; 1000.00 x 13.15 % x 30 / 365 = 3945 / 365 = 10.8082... -> 10.81.
    penalty = compute(get_law("FR"), eur("1000.00"), date(2025, 3, 31), paid=date(2025, 4, 30))

    assert slice_rows(penalty) == [(date(2025, 4, 1), date(2025, 4, 30), 30, "13.15", "1000.00", "10.81")]
    assert penalty.interest == eur("10.81")
    assert penalty.compensation is not None
    assert penalty.compensation.amount == eur("40.00")
    assert penalty.totals() == (eur("50.81"),)
    assert penalty.days_late == 30


def test_germany_splits_at_the_half_year_and_shows_each_slice() -> None:
    # Basiszinssatz 2.27 % (2025-H1) then 1.27 % (2025-H2), + 9 points.
    # 16-30 Jun: 15 days, 10000 x 11.27 % x 15 / 365 = 16905 / 365 = 46.315... -> 46.32
    # 1-15 Jul:  15 days, 10000 x 10.27 % x 15 / 365 = 15405 / 365 = 42.205... -> 42.21
    penalty = compute(get_law("DE"), eur("10000.00"), date(2025, 6, 15), paid=date(2025, 7, 15))

    assert slice_rows(penalty) == [
        (date(2025, 6, 16), date(2025, 6, 30), 15, "11.27", "10000.00", "46.32"),
        (date(2025, 7, 1), date(2025, 7, 15), 15, "10.27", "10000.00", "42.21"),
    ]
    assert penalty.interest == eur("88.53")
    assert [(r.period, str(r.reference_rate), str(r.rate)) for r in penalty.rates] == [
        ("2025-H1", "2.27", "11.27"),
        ("2025-H2", "1.27", "10.27"),
    ]


def test_a_leap_year_counts_366_days_over_365() -> None:
    # 2024 is a leap year: 1 Jan-30 Jun is 182 days, 1 Jul-31 Dec 184 days, 366 in all.
    # H1: 1000 x 12.62 % x 182 / 365 = 22968.4 / 365 = 62.927... -> 62.93
    # H2: 1000 x 12.37 % x 184 / 365 = 22760.8 / 365 = 62.358... -> 62.36
    penalty = compute(get_law("DE"), eur("1000.00"), date(2023, 12, 31), paid=date(2024, 12, 31))

    assert [s.days for s in penalty.slices] == [182, 184]
    assert penalty.days_late == 366
    assert [s.interest for s in penalty.slices] == [eur("62.93"), eur("62.36")]
    assert penalty.interest == eur("125.29")


def test_act_act_divides_leap_year_days_by_366() -> None:
    # Same invoice under an ACT/ACT variant of the law:
    # 126.2 x 182 / 366 = 62.755... -> 62.76; 123.7 x 184 / 366 = 62.188... -> 62.19
    act_act = dataclasses.replace(get_law("DE"), day_count=DayCount.ACT_ACT)

    penalty = compute(act_act, eur("1000.00"), date(2023, 12, 31), paid=date(2024, 12, 31))

    assert [s.year_days for s in penalty.slices] == [366, 366]
    assert penalty.interest == eur("124.95")


def test_act_act_cuts_at_new_year_even_when_the_rate_does_not_change() -> None:
    # Fixed-rate law, so only the year end cuts: 2023 days over 365, 2024 days over 366.
    act_act = dataclasses.replace(get_law("CZ"), day_count=DayCount.ACT_ACT)

    penalty = compute(act_act, Money.of("100000.00", "CZK"), date(2023, 12, 20), paid=date(2024, 1, 10))

    assert [(s.start, s.end, s.year_days) for s in penalty.slices] == [
        (date(2023, 12, 21), date(2023, 12, 31), 365),
        (date(2024, 1, 1), date(2024, 1, 10), 366),
    ]


def test_partial_payment_keeps_interest_already_due() -> None:
    # EU 2025-H1: 3.15 % + 8 = 11.15 %. 2000.00 paid on 10 Feb lowers the principal from 11 Feb.
    # 1-10 Feb:  10 days on 5000: 5000 x 11.15 % x 10 / 365 = 5575 / 365 = 15.273... -> 15.27
    # 11 Feb-2 Mar: 18 + 2 = 20 days on 3000: 3000 x 11.15 % x 20 / 365 = 6690 / 365 = 18.328... -> 18.33
    penalty = compute(
        get_law("EU"),
        eur("5000.00"),
        date(2025, 1, 31),
        paid=date(2025, 3, 2),
        partials=[(date(2025, 2, 10), eur("2000.00"))],
    )

    assert slice_rows(penalty) == [
        (date(2025, 2, 1), date(2025, 2, 10), 10, "11.15", "5000.00", "15.27"),
        (date(2025, 2, 11), date(2025, 3, 2), 20, "11.15", "3000.00", "18.33"),
    ]
    assert penalty.interest == eur("33.60")


def test_partial_payments_in_any_order_before_the_due_date_lower_the_whole_delay() -> None:
    # 400 paid before the due date and 100 on day 5: 20 days, 500 then 400 outstanding.
    # 1-5 Apr on 500: 500 x 13.15 % x 5 / 365 = 328.75 / 365 = 0.900... -> 0.90
    # 6-20 Apr on 400: 400 x 13.15 % x 15 / 365 = 789 / 365 = 2.161... -> 2.16
    penalty = compute(
        get_law("FR"),
        eur("900.00"),
        date(2025, 3, 31),
        paid=date(2025, 4, 20),
        partials=[(date(2025, 4, 5), eur("100.00")), (date(2025, 3, 15), eur("400.00"))],
    )

    assert [(s.days, s.principal, s.interest) for s in penalty.slices] == [
        (5, eur("500.00"), eur("0.90")),
        (15, eur("400.00"), eur("2.16")),
    ]
    assert [day for day, _ in penalty.partials] == [date(2025, 3, 15), date(2025, 4, 5)]


def test_fully_paid_by_partials_stops_interest_but_keeps_compensation() -> None:
    penalty = compute(
        get_law("FR"),
        eur("1000.00"),
        date(2025, 3, 31),
        as_of=date(2025, 6, 30),
        partials=[(date(2025, 4, 10), eur("1000.00"))],
    )

    assert [s.end for s in penalty.slices] == [date(2025, 4, 10)]
    assert penalty.compensation is not None
    assert penalty.compensation.amount == eur("40.00")


def test_as_of_ignores_partials_that_had_not_happened_yet() -> None:
    later = [(date(2025, 5, 1), eur("500.00"))]

    penalty = compute(get_law("FR"), eur("1000.00"), date(2025, 3, 31), as_of=date(2025, 4, 30), partials=later)

    assert penalty.partials == ()
    assert penalty.interest == eur("10.81")
    assert penalty.ended_by == "as_of"


def test_interest_runs_to_the_earlier_of_paid_and_as_of() -> None:
    penalty = compute(get_law("FR"), eur("1000.00"), date(2025, 3, 31), paid=date(2025, 6, 1), as_of=date(2025, 4, 30))

    assert (penalty.end, penalty.ended_by, penalty.interest) == (date(2025, 4, 30), "as_of", eur("10.81"))


def test_czech_rate_stays_the_one_of_the_half_year_the_delay_began() -> None:
    # Delay began 21 Jun 2024 (2024-H1): repo on 1 Jan 2024 = 6.75 %, + 8 = 14.75 % for the whole delay,
    # although 2024-H2 would be 12.75 %. 21 Jun-19 Jul = 10 + 19 = 29 days.
    # 100000 x 14.75 % x 29 / 365 = 427750 / 365 = 1171.917... -> 1171.92
    penalty = compute(get_law("CZ"), Money.of("100000.00", "CZK"), date(2024, 6, 20), paid=date(2024, 7, 19))

    assert slice_rows(penalty) == [(date(2024, 6, 21), date(2024, 7, 19), 29, "14.75", "100000.00", "1171.92")]
    assert [r.period for r in penalty.rates] == ["2024-H1"]
    assert penalty.compensation is not None
    assert penalty.compensation.amount == Money.of("1200.00", "CZK")


def test_uk_rate_is_fixed_when_interest_starts_to_run() -> None:
    # Interest starts 21 Dec 2025 (2025-H2): Bank rate on 30 Jun 2025 = 4.25 %, + 8 = 12.25 %,
    # kept in January 2026 although the 31 Dec 2025 rate was 3.75 %. 11 + 19 = 30 days.
    # 2000 x 12.25 % x 30 / 365 = 7350 / 365 = 20.136... -> 20.14
    penalty = compute(get_law("GB"), Money.of("2000.00", "GBP"), date(2025, 12, 20), paid=date(2026, 1, 19))

    assert slice_rows(penalty) == [(date(2025, 12, 21), date(2026, 1, 19), 30, "12.25", "2000.00", "20.14")]
    assert penalty.compensation is not None
    assert penalty.compensation.amount == Money.of("70.00", "GBP")


def test_slovakia_uses_each_half_year_ecb_rate() -> None:
    # 16-31 Dec 2022: 16 days at 0.00 + 8 = 8 %: 1000 x 8 % x 16 / 365 = 1280 / 365 = 3.506... -> 3.51
    # 1-15 Jan 2023: 15 days at 2.50 + 8 = 10.5 %: 1000 x 10.5 % x 15 / 365 = 1575 / 365 = 4.315... -> 4.32
    penalty = compute(get_law("SK"), eur("1000.00"), date(2022, 12, 15), paid=date(2023, 1, 15))

    assert [(s.days, str(s.rate), s.interest) for s in penalty.slices] == [
        (16, "8.00", eur("3.51")),
        (15, "10.50", eur("4.32")),
    ]


def test_poland_interest_uses_the_reference_rate_of_1_july() -> None:
    # 2025-H2: NBP reference on 1 Jul 2025 = 5.25 % (the cut to 5.00 came on 3 Jul), + 10 = 15.25 %.
    # 1-10 Jul: 10000 x 15.25 % x 10 / 365 = 15250 / 365 = 41.780... -> 41.78
    fx = FixedRates({("EUR", "PLN"): "4.2468"})

    penalty = compute(get_law("PL"), Money.of("10000.00", "PLN"), date(2025, 6, 30), paid=date(2025, 7, 10), fx=fx)

    assert penalty.interest == Money.of("41.78", "PLN")
    # 10000 PLN is above 5000: EUR 70 x 4.2468 = 297.276 -> 297.28 PLN, at the rate of 31 May 2025.
    assert penalty.compensation is not None
    assert penalty.compensation.amount == Money.of("297.28", "PLN")
    assert penalty.compensation.stated == eur("70.00")
    assert fx.asked == [("EUR", "PLN", date(2025, 5, 31))]


def test_romania_follows_each_bnr_change_and_converts_eur_40() -> None:
    # 1-7 Aug 2024: 6.75 + 8 = 14.75 %: 10000 x 14.75 % x 7 / 365 = 10325 / 365 = 28.287... -> 28.29
    # 8-20 Aug 2024: 6.50 + 8 = 14.50 %: 10000 x 14.5 % x 13 / 365 = 18850 / 365 = 51.643... -> 51.64
    # Compensation: EUR 40 x 4.9764 = 199.056 -> 199.06 RON, rate of the first day of delay.
    fx = FixedRates({("EUR", "RON"): "4.9764"})

    penalty = compute(get_law("RO"), Money.of("10000.00", "RON"), date(2024, 7, 31), paid=date(2024, 8, 20), fx=fx)

    assert [(s.days, str(s.rate), s.interest.amount) for s in penalty.slices] == [
        (7, "14.75", Decimal("28.29")),
        (13, "14.50", Decimal("51.64")),
    ]
    assert penalty.interest == Money.of("79.93", "RON")
    assert penalty.compensation is not None
    assert penalty.compensation.amount == Money.of("199.06", "RON")
    assert fx.asked == [("EUR", "RON", date(2024, 8, 1))]
    # 79.93 + 199.06 = 278.99
    assert penalty.totals() == (Money.of("278.99", "RON"),)


def test_totals_keep_currencies_apart() -> None:
    penalty = compute(get_law("EU"), Money.of("1000.00", "USD"), date(2025, 3, 31), paid=date(2025, 4, 30))

    assert [t.currency for t in penalty.totals()] == ["USD", "EUR"]
    assert penalty.totals()[1] == eur("40.00")


# --- compensation bands --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debt", "fixed_sum"),
    [("999.99", "40.00"), ("1000.00", "70.00"), ("9999.99", "70.00"), ("10000.00", "100.00")],
)
def test_uk_compensation_band_edges(debt: str, fixed_sum: str) -> None:
    penalty = compute(get_law("GB"), Money.of(debt, "GBP"), date(2025, 3, 31), paid=date(2025, 4, 1))

    assert penalty.compensation is not None
    assert penalty.compensation.amount == Money.of(fixed_sum, "GBP")


@pytest.mark.parametrize(
    ("debt", "fixed_sum"),
    [("5000.00", "40.00"), ("5000.01", "70.00"), ("49999.99", "70.00"), ("50000.00", "100.00")],
)
def test_poland_compensation_band_edges(debt: str, fixed_sum: str) -> None:
    # Art. 10: 40 EUR "nie przekracza 5000 zł" (5000 included), 70 EUR below 50 000, 100 EUR from 50 000.
    fx = FixedRates({("EUR", "PLN"): "4.0000"})

    penalty = compute(get_law("PL"), Money.of(debt, "PLN"), date(2025, 3, 31), paid=date(2025, 4, 1), fx=fx)

    assert penalty.compensation is not None
    assert penalty.compensation.stated == eur(fixed_sum)
    assert penalty.compensation.amount == Money.of(str(Decimal(fixed_sum) * 4), "PLN").rounded()


def test_poland_measures_a_eur_invoice_in_pln_to_pick_the_band() -> None:
    # EUR 1200 x 4.30 = 5160 PLN, above 5000: EUR 70, converted at the same rate = 301.00 PLN.
    fx = FixedRates({("EUR", "PLN"): "4.30"})

    penalty = compute(get_law("PL"), eur("1200.00"), date(2025, 3, 15), paid=date(2025, 4, 1), fx=fx)

    assert penalty.compensation is not None
    assert penalty.compensation.debt == Money.of("5160.00", "PLN")
    assert penalty.compensation.amount == Money.of("301.00", "PLN")
    assert {on for _, _, on in fx.asked} == {date(2025, 2, 28)}


def test_poland_rate_date_is_the_end_of_the_month_before_the_due_month() -> None:
    fx = FixedRates({("EUR", "PLN"): "4.30"})

    compute(get_law("PL"), Money.of("100.00", "PLN"), date(2024, 1, 1), paid=date(2024, 1, 5), fx=fx)
    compute(get_law("PL"), Money.of("100.00", "PLN"), date(2024, 3, 31), paid=date(2024, 4, 5), fx=fx)

    assert [on for _, _, on in fx.asked] == [date(2023, 12, 31), date(2024, 2, 29)]


def test_uk_needs_a_gbp_rate_for_a_foreign_currency_debt() -> None:
    with pytest.raises(MissingFxRateError, match=r"EUR->GBP exchange rate of 2025-04-01") as raised:
        compute(get_law("GB"), eur("1200.00"), date(2025, 3, 31), paid=date(2025, 4, 30))
    assert raised.value.on == date(2025, 4, 1)

    # EUR 1200 x 0.83 = 996.00 GBP: below 1000, so GBP 40.
    fx = FixedRates({("EUR", "GBP"): "0.83"})
    penalty = compute(get_law("GB"), eur("1200.00"), date(2025, 3, 31), paid=date(2025, 4, 30), fx=fx)
    assert penalty.compensation is not None
    assert penalty.compensation.amount == Money.of("40.00", "GBP")


def test_poland_without_the_eur_rate_says_which_rate_is_needed() -> None:
    with pytest.raises(MissingFxRateError, match=r"EUR->PLN exchange rate of 2025-02-28 \(NBP average rate"):
        compute(get_law("PL"), Money.of("100.00", "PLN"), date(2025, 3, 15), paid=date(2025, 4, 1))


def test_a_rate_that_is_not_a_positive_decimal_is_refused() -> None:
    with pytest.raises(PenaltyError, match="positive Decimal"):
        compute(
            get_law("RO"),
            Money.of("100.00", "RON"),
            date(2024, 7, 31),
            paid=date(2024, 8, 2),
            fx=lambda source, target, on: Decimal("0"),
        )


# --- not late, unknown periods, refused input ----------------------------------------------------


def test_paid_on_the_due_date_owes_nothing() -> None:
    penalty = compute(get_law("FR"), eur("1000.00"), date(2025, 3, 31), paid=date(2025, 3, 31))

    assert (penalty.slices, penalty.interest, penalty.compensation, penalty.late) == ((), eur("0"), None, False)


def test_a_date_after_the_table_names_the_law_and_the_half_year() -> None:
    with pytest.raises(UnknownReferenceRateError, match=r"EU \(Directive 2011/7/EU.*\): no confirmed .* 2026-H2") as e:
        compute(get_law("EU"), eur("1000.00"), date(2026, 6, 15), as_of=date(2026, 8, 1))
    assert e.value.half_year == HalfYear(2026, 2)


def test_a_date_before_the_table_names_the_half_year() -> None:
    with pytest.raises(UnknownReferenceRateError, match=r"FR .*2018-H2 \(needed for 2018-12-01\)"):
        compute(get_law("FR"), eur("1000.00"), date(2018, 11, 30), paid=date(2019, 1, 31))


def test_romania_before_the_confirmed_table_raises() -> None:
    with pytest.raises(UnknownReferenceRateError, match=r"RO .*2022-H2.*covers 2023-01-11 to 2026-02-17"):
        compute(get_law("RO"), Money.of("100.00", "RON"), date(2022, 12, 30), paid=date(2023, 1, 20))


def test_a_fixed_rate_law_only_needs_the_first_day_of_delay_in_its_table() -> None:
    # CZ's table stops at 2026-H1, but a delay that began then keeps that rate into 2026-H2.
    penalty = compute(get_law("CZ"), Money.of("1000.00", "CZK"), date(2026, 6, 29), paid=date(2026, 8, 1))

    assert [s.period for s in penalty.slices] == ["2026-H1"]


@pytest.mark.parametrize("amount", ["0.00", "-10.00"])
def test_zero_or_negative_amounts_are_refused(amount: str) -> None:
    with pytest.raises(PenaltyError, match=f"must be positive, got {amount} EUR"):
        compute(get_law("FR"), eur(amount), date(2025, 3, 31), paid=date(2025, 4, 30))


def test_an_end_date_is_required() -> None:
    with pytest.raises(PenaltyError, match="give the payment date, or an as-of date"):
        compute(get_law("FR"), eur("1.00"), date(2025, 3, 31))


@pytest.mark.parametrize(
    ("partial", "message"),
    [
        ((date(2025, 4, 10), Money.of("10.00", "USD")), "the invoice is in EUR"),
        ((date(2025, 4, 10), eur("0.00")), "must be positive"),
        ((date(2025, 5, 10), eur("10.00")), "after the payment date 2025-04-30"),
        ((date(2025, 4, 10), eur("1000.01")), "exceed the invoice amount"),
    ],
)
def test_inconsistent_partial_payments_are_refused(partial: tuple[date, Money], message: str) -> None:
    with pytest.raises(PenaltyError, match=message):
        compute(get_law("FR"), eur("1000.00"), date(2025, 3, 31), paid=date(2025, 4, 30), partials=[partial])


def test_datetimes_are_refused_for_dates() -> None:
    with pytest.raises(PenaltyError, match="due must be a date"):
        compute(get_law("FR"), eur("1.00"), datetime(2025, 3, 31, 12, 0), paid=date(2025, 4, 30))


def test_unknown_law_lists_the_known_codes() -> None:
    with pytest.raises(UnknownLawError, match="known: EU, FR, DE, GB, CZ, SK, PL, RO"):
        get_law("XX")
    assert get_law(" fr ").code == "FR"


# --- determinism and tables ----------------------------------------------------------------------


def test_same_inputs_give_the_same_result_whatever_the_decimal_context() -> None:
    args = (get_law("DE"), eur("12345.67"), date(2023, 5, 17))
    first = compute(*args, paid=date(2024, 9, 3), partials=[(date(2023, 11, 2), eur("345.67"))])

    with localcontext() as ctx:
        ctx.prec = 6
        again = compute(*args, paid=date(2024, 9, 3), partials=[(date(2023, 11, 2), eur("345.67"))])

    assert again == first
    assert first.interest == Money(sum((s.interest.amount for s in first.slices), Decimal(0)), "EUR")


def test_the_table_rates_match_the_law_texts_for_known_half_years() -> None:
    def rate(table: RateTable, label: str) -> str:
        return str(table.row_for(HalfYear.parse(label).start, "test").rate)

    assert [rate(ECB_MRO, p) for p in ("2022-H2", "2023-H1", "2024-H2", "2025-H2", "2026-H1")] == [
        "0.00",
        "2.50",
        "4.25",
        "2.15",
        "2.15",
    ]
    assert [rate(BASISZINSSATZ, p) for p in ("2022-H2", "2023-H2", "2025-H1", "2026-H1")] == [
        "-0.88",
        "3.12",
        "2.27",
        "1.27",
    ]
    assert [rate(BOE_BANK_RATE, p) for p in ("2022-H2", "2025-H2", "2026-H2")] == ["1.25", "4.25", "3.75"]
    assert [rate(CNB_REPO, p) for p in ("2022-H2", "2024-H2", "2026-H1")] == ["7.00", "4.75", "3.50"]
    assert [rate(NBP_REFERENCE, p) for p in ("2020-H1", "2022-H2", "2026-H1")] == ["1.50", "6.00", "4.00"]
    assert str(BNR_REFERENCE.row_for(date(2024, 8, 8), "test").rate) == "6.50"


def test_every_shipped_law_has_a_sourced_contiguous_table() -> None:
    for law in LAWS.values():
        assert law.table.rows, law.code
        assert all(row.source and row.fixed_on for row in law.table.rows), law.code
    assert ECB_MRO.covered == (date(2019, 1, 1), date(2026, 6, 30))
    assert BOE_BANK_RATE.covered == (date(2019, 1, 1), date(2026, 12, 31))


def test_a_table_with_a_gap_is_refused() -> None:
    row = ReferenceRate.half_year("2025-H1", "1.00", "x", "y")
    later = ReferenceRate.half_year("2026-H1", "1.00", "x", "y")

    with pytest.raises(ValueError, match="not contiguous"):
        RateTable("gappy", (row, later))
