"""Late-payment penalties checked against what official or public-sector sources publish.

Each test reproduces inputs a published source states and asserts the result it states, with the
source's address and the sentence quoted. Where a source gives a rate for a half-year rather than
a worked amount, the test checks the rate ``compute`` applies for that half-year (and, where the
source gives one, the amount its method yields). No source below was found with a fully worked
invoice example (amount, dates and interest) for the shipped laws; see the notes at the end for
what was looked for and not found.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from opendso_money import Money
from opendso_scenario.domain.penalties import FxRate, compute, get_law


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def no_fx(source: str, target: str, on: date) -> Decimal | None:
    return None


def fixed_fx(rate: str) -> FxRate:
    def fx(source: str, target: str, on: date) -> Decimal | None:
        return Decimal(rate)

    return fx


# --- GB: Scottish Government guide to the Late Payment Act ---------------------------------------
# https://www.mygov.scot/late-commercial-payments/claim-debt-recovery-costs-on-late-payments/
# ("Late commercial payments: charging interest and debt recovery", mygov.scot, updated 13 March 2017):
#   "Up to £999.99 debt - £40 charge"
#   "£1,000 to £9,999.99 debt - £70 charge"
#   "£10,000 or more debt - £100 charge"
#   "These amounts are set by late payment legislation."


@pytest.mark.parametrize(
    ("debt", "charge"),
    [
        ("999.99", "40.00"),  # "Up to £999.99 debt - £40 charge"
        ("1000.00", "70.00"),  # "£1,000 to £9,999.99 debt - £70 charge"
        ("9999.99", "70.00"),
        ("10000.00", "100.00"),  # "£10,000 or more debt - £100 charge"
    ],
)
def test_gb_fixed_sum_matches_the_mygov_scot_table(debt: str, charge: str) -> None:
    penalty = compute(get_law("GB"), Money.of(debt, "GBP"), date(2025, 3, 31), paid=date(2025, 4, 1), fx=no_fx)

    assert penalty.compensation is not None
    assert penalty.compensation.amount == Money.of(charge, "GBP")


# --- EU default (Directive 2011/7/EU): Irish Department of Enterprise, Trade and Employment -------
# Ireland transposes the Directive with the minimum margin of 8 points over the ECB MRO rate, which
# is the shipped "EU" law.
#
# https://gov.ie/ga/seirbhis/ea821-rights-and-obligations-arising-under-contract-law-including-late-payment-interests
#   "With effect from 1 January 2022, the late payment interest rate is 8.00% per annum (that is based
#    on the ECB rate as at 1 January 2022 of 0.00% plus the margin of 8%). This rate equates to a daily
#    rate of 0.022%."
#   "To calculate the interest due on a late payment, the amount of the debt should be multiplied by
#    the number of days for which the payment is late, multiplied by daily late payment interest rate
#    in operation on the date the payment became overdue."
#
# The same page also says "Only one ECB rate will apply to a late payment - that is the ECB rate in
# force on the payment date", which does not agree with its own method sentence above nor with the
# per-half-year rule the shipped EU law applies; the examples below stay within one half-year, where
# every reading gives the same rate.


def test_eu_rate_for_2022_h1_is_the_8_00_percent_gov_ie_publishes() -> None:
    penalty = compute(get_law("EU"), eur("1000.00"), date(2022, 1, 31), paid=date(2022, 2, 1))

    assert [(r.period, str(r.reference_rate), str(r.rate)) for r in penalty.rates] == [("2022-H1", "0.00", "8.00")]
    # gov.ie's method with its rounded daily rate: 1000 x 1 day x 0.022 % = 0.22.
    # Ours without rounding the rate: 1000 x 8 % / 365 = 0.2191... -> 0.22. The same to the cent here;
    # gov.ie rounds the daily rate (8 / 365 = 0.02192 %) to 0.022 %, so over many days or large amounts
    # its method gives slightly more than the exact daily rate does.
    assert penalty.interest == eur("0.22")
    assert penalty.compensation is not None
    assert penalty.compensation.amount == eur("40.00")


# https://enterprise.gov.ie/en/faqs/what-is-the-late-payment-interest-rate-1.html
#   "With effect from 1 July 2024, the late payment interest rate is 12.25% per annum (that is based on
#    the ECB rate as at 1 July 2024 of 4.25% plus the margin of 8%)"
#   "The ECB rates in force on 1 January and 1 July apply for the following six months in each year."


def test_eu_rate_for_2024_h2_is_the_12_25_percent_enterprise_gov_ie_publishes() -> None:
    penalty = compute(get_law("EU"), eur("1000.00"), date(2024, 7, 31), paid=date(2024, 12, 31))

    assert [(r.period, str(r.reference_rate), str(r.rate)) for r in penalty.rates] == [("2024-H2", "4.25", "12.25")]
    assert [str(s.rate) for s in penalty.slices] == ["12.25"]


# --- DE: Deutsche Bundesbank's published Basiszinssatz ----------------------------------------------
# Bundesbank press release, as carried on its lifepr.de press account:
# https://lifepr.de/inaktiv/deutsche-bundesbank/bekanntgabe-des-basiszinssatzes-zum-1-januar-2021-basiszinssatz-bleibt-unveraendert-bei-0-88/boxid/829433
#   "Bekanntgabe des Basiszinssatzes zum 1. Januar 2021: Basiszinssatz bleibt unverändert bei -0,88 %"
# §288(2) BGB adds 9 points for claims without a consumer: -0.88 + 9 = 8.12 %.


def test_de_rate_for_2021_h1_uses_the_bundesbank_basiszinssatz_of_minus_0_88() -> None:
    penalty = compute(get_law("DE"), eur("1000.00"), date(2021, 1, 31), paid=date(2021, 3, 2))

    assert [(r.period, str(r.reference_rate), str(r.rate)) for r in penalty.rates] == [("2021-H1", "-0.88", "8.12")]
    assert penalty.compensation is not None
    assert penalty.compensation.amount == eur("40.00")


# --- FR: Bpifrance Création (French public investment bank's guide for business creators) --------
# https://bpifrance-creation.fr/boiteaoutils/taux-penalites-retard
#   "Par défaut, le Code de commerce impose que le taux applicable est égal au taux de refinancement
#    semestriel de la BCE (Banque centrale européenne) majoré de 10 points.
#    Depuis le mois de juin 2024, ce taux est évalué à 4,25 soit au total 14,25 % (4,25 + 10)."
#   "Calcul des pénalités de retard : Intérêt de retard = montant impayé X taux d'intérêt X nombre de
#    jours de retard / 365."
#   "... une indemnité forfaitaire dont le montant est de 40 €."
# A public body's guide rather than the legislator's own text; it gives no worked amount.


def test_fr_rate_for_2024_h2_is_the_14_25_percent_bpifrance_publishes() -> None:
    penalty = compute(get_law("FR"), eur("1000.00"), date(2024, 7, 31), paid=date(2024, 8, 30))

    assert [(r.period, str(r.reference_rate), str(r.rate)) for r in penalty.rates] == [("2024-H2", "4.25", "14.25")]
    # Bpifrance's formula, montant x taux x jours / 365: 1000 x 14.25 % x 30 / 365 = 11.712... -> 11.71.
    assert (penalty.days_late, penalty.interest) == (30, eur("11.71"))
    assert penalty.compensation is not None
    assert penalty.compensation.amount == eur("40.00")


# --- SK: the regulation's own text on slov-lex.sk (official legislation portal) --------------------
# https://www.slov-lex.sk/pravne-predpisy/SK/ZZ/2013/21/ (version in force from 1 Jan 2015)
#   §1(1) "Sadzba úrokov z omeškania sa rovná základnej úrokovej sadzbe Európskej centrálnej banky
#          platnej k prvému dňu príslušného kalendárneho polroka omeškania zvýšenej o osem percentuálnych
#          bodov; takto určená sadzba úrokov z omeškania sa použije počas celého tohto kalendárneho
#          polroka omeškania."
#   §2    "Výška paušálnej náhrady nákladov spojených s uplatnením pohľadávky ... je 40 eur jednorazovo
#          bez ohľadu na dĺžku omeškania."
# The statute states the rule, not a worked amount: these tests check that a delay over three
# half-years takes each half-year's ECB rate + 8 and that the EUR 40 is owed once, whatever the length.


def test_sk_each_half_year_of_delay_takes_its_own_ecb_rate_plus_8_and_eur_40_once() -> None:
    penalty = compute(get_law("SK"), eur("1000.00"), date(2022, 12, 15), paid=date(2023, 7, 15))

    assert [(s.period, str(s.reference_rate), str(s.rate)) for s in penalty.slices] == [
        ("2022-H2", "0.00", "8.00"),
        ("2023-H1", "2.50", "10.50"),
        ("2023-H2", "4.00", "12.00"),
    ]
    assert penalty.compensation is not None
    assert penalty.compensation.amount == eur("40.00")  # "40 eur jednorazovo bez ohľadu na dĺžku omeškania"


# --- PL: the minister's notice of the statutory commercial rate (Monitor Polski) -------------------
# Obwieszczenie Ministra Rozwoju, Pracy i Technologii z 28 grudnia 2020 r. (M.P. 2020 poz. 1212),
# as reported at https://e-pik.prawodlapraktykow.pl/nowosci-prawne/2021/01/odsetki-ustawowe-opoznienie-transakcjach-handlowych
#   "wysokość odsetek ustawowych za opóźnienie w transakcjach handlowych, od 1 stycznia 2021 r. do
#    30 czerwca 2021 r., wynosi: ... 10,1% w stosunku rocznym — w przypadku transakcji handlowych,
#    w których dłużnikiem nie jest podmiot publiczny będący podmiotem leczniczym."
# The shipped PL law is that non-healthcare-debtor rate (NBP reference 0.10 + 10 points).


def test_pl_rate_for_2021_h1_is_the_10_1_percent_of_the_ministers_notice() -> None:
    penalty = compute(
        get_law("PL"), Money.of("1000.00", "PLN"), date(2021, 1, 31), paid=date(2021, 3, 2), fx=fixed_fx("4.5")
    )

    assert [(r.period, str(r.reference_rate), str(r.rate)) for r in penalty.rates] == [("2021-H1", "0.10", "10.10")]


# --- Not turned into tests ----------------------------------------------------------------------
# * GOV.UK "Late commercial payments: charging interest and debt recovery": the page is indexed but
#   its worked interest example (yearly interest, daily interest, days late) could not be read in the
#   sources available; the fixed sums are covered above from the mygov.scot copy of the same guide.
# * Irish DETE FAQ example "1000 x 25 x (12% / 365) = ... 8.22": found only on a third-party copy,
#   not on a gov.ie page, so not used.
# * CZ (nařízení vlády 351/2013 Sb.), RO (OG 13/2011, Legea 72/2013) and an official EU (Commission)
#   example or calculator: no official worked example or published rate statement was found.
# * PL notices for 2017 (9.5 %, M.P. 2017 poz. 686; M.P. 2018 poz. 139) predate the shipped table
#   (from 2020-H1) and the + 10 points rule, so they are outside what the shipped law models.
