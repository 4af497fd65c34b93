"""One ``Law`` per jurisdiction: its reference-rate table, points, day count and compensation rule.

Facts and their sources (checked November 2026):

* EU default — Directive 2011/7/EU art. 2(6)-(7): statutory interest is simple interest at the
  reference rate (ECB main refinancing rate for euro States) plus at least 8 points; art. 6: EUR 40
  fixed compensation once interest becomes payable (legislation.gov.uk copy of art. 2). The rate is
  fixed per half-year at the value in force on its first calendar day, as the issue states and as
  the FR, DE, SK and PL transpositions below do; we could not read the article wording itself.
* FR — Code de commerce L441-10: ECB rate of its most recent refinancing operation plus 10 points,
  the rate in force on 1 January for the first half and on 1 July for the second; 40 EUR
  "indemnité forfaitaire pour frais de recouvrement" (L441-10 II; D441-5 inserted by décret
  2012-1115 sets 40 EUR: gestiondepatrimoine.com, agenceobjectifpaiement.com).
* DE — §288(2) BGB: Basiszinssatz + 9 points for claims where no consumer is a party; §247 BGB: the
  Basiszinssatz changes on 1 January and 1 July; §288(5): EUR 40 Pauschale.
* GB — Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002 art. 4: 8% over the
  official dealing rate in force on 30 June (for interest that starts to run 1 Jul-31 Dec) or
  31 December (1 Jan-30 Jun) immediately before the day interest starts to run — so one rate for the
  whole debt, not a new one each half-year. Act s.5A: £40 under £1,000, £70 under £10,000, £100 above.
* CZ — nařízení vlády 351/2013 §2: ČNB repo rate for the first day of the half-year in which the delay
  began + 8 points, unchanged for the whole delay (bekrfacility.cz, karolinakazdova.cz, judrkazda.cz
  summaries); §3: CZK 1,200 minimum costs of claiming each debt between businesses (quoted by
  magazinspotrebitele.cz and epravo.cz).
* SK — nariadenie vlády 21/2013 §1(1) as amended by 303/2014 (slov-lex.sk): ECB base rate valid on the
  first day of the relevant calendar half-year of the delay + 8 points, applied for that half-year;
  §2: EUR 40. (§1(2) lets the creditor instead take the rate of the first day of delay + 9 points
  for the whole delay; not modelled here.)
* PL — ustawa o przeciwdziałaniu nadmiernym opóźnieniom w transakcjach handlowych, art. 4 pkt 3 and
  art. 11b as in force since 1 Jan 2020: NBP reference rate + 10 points (the healthcare-debtor rate of
  + 8 is not modelled), the rate in force on 1 January for the first half and 1 July for the second;
  art. 10: EUR 40 up to PLN 5,000, EUR 70 above that and below PLN 50,000, EUR 100 from PLN 50,000,
  converted to PLN at the NBP average EUR rate of the last business day of the month before the
  month in which the payment became due (pragmago.pl; kancelaria-stangenberg.com; tacholandia.pl).
* RO — OG 13/2011 art. 3(2^1): between professionals, BNR reference rate + 8 points; the reference
  rate is the BNR monetary-policy rate as published by circular (see ``rate_tables.BNR_REFERENCE``
  for why it is not fixed per half-year here); Legea 72/2013: the RON equivalent of EUR 40.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from opendso_scenario.domain.penalties import rate_tables
from opendso_scenario.domain.penalties.rates import RateTable


class RateRule(StrEnum):
    """How the law picks the reference rate for a given day of delay."""

    PER_PERIOD = "per_period"
    """Each day takes the rate of the table row it falls in (a new rate each half-year)."""
    FIXED_AT_DEFAULT = "fixed_at_default"
    """The row of the first day of delay applies to the whole delay (GB, CZ)."""


class DayCount(StrEnum):
    ACT_365 = "ACT/365"
    """Actual days over 365, leap years included: what the laws shipped here use."""
    ACT_ACT = "ACT/ACT"
    """Actual days over the days of the calendar year they fall in (366 in a leap year)."""


class FxDate(StrEnum):
    """Which day's exchange rate a conversion for the compensation uses."""

    FIRST_DAY_OF_DELAY = "first_day_of_delay"
    """The day after the due date, when the right to compensation arises (Directive 2011/7/EU art. 6(1))."""
    END_OF_MONTH_BEFORE_DUE = "end_of_month_before_due"
    """Last day of the month before the due date's month (PL art. 10: NBP rate of its last business day)."""


@dataclass(frozen=True)
class DebtBand:
    """Compensation of ``amount`` for debts up to ``up_to`` (``None``: no upper bound)."""

    amount: Decimal
    up_to: Decimal | None = None
    inclusive: bool = False
    """Whether a debt of exactly ``up_to`` still falls in this band."""

    def holds(self, debt: Decimal) -> bool:
        if self.up_to is None:
            return True
        return debt <= self.up_to if self.inclusive else debt < self.up_to

    def describe(self, currency: str) -> str:
        if self.up_to is None:
            return "any amount" if self.amount else "none"
        return f"{'up to' if self.inclusive else 'below'} {self.up_to} {currency}"


@dataclass(frozen=True)
class CompensationRule:
    """The fixed sum per late invoice."""

    stated_in: str
    """Currency the law states the sums in (EUR 40, GBP 40, CZK 1,200)."""
    bands: tuple[DebtBand, ...]
    """Ordered; the first band that holds the debt applies. A single open band is a flat sum."""
    owed_in: str
    """Currency the sum is owed in: differs from ``stated_in`` where the law converts (PL, RO)."""
    debt_measured_in: str
    """Currency the debt is measured in to pick the band (GBP under the UK Act, PLN in Poland)."""
    fx_date: FxDate
    basis: str

    def __post_init__(self) -> None:
        if not self.bands or self.bands[-1].up_to is not None:
            raise ValueError("the last compensation band must be open-ended")

    @property
    def banded(self) -> bool:
        return len(self.bands) > 1


@dataclass(frozen=True)
class Law:
    code: str
    name: str
    basis: str
    """Citation of the interest rule."""
    table: RateTable
    points: Decimal
    """Percentage points added to the reference rate."""
    rule: RateRule
    day_count: DayCount
    compensation: CompensationRule

    @property
    def title(self) -> str:
        return f"{self.code} ({self.basis})"


def _flat(amount: str, currency: str, basis: str, owed_in: str | None = None) -> CompensationRule:
    return CompensationRule(
        stated_in=currency,
        bands=(DebtBand(Decimal(amount)),),
        owed_in=owed_in or currency,
        debt_measured_in=currency,
        fx_date=FxDate.FIRST_DAY_OF_DELAY,
        basis=basis,
    )


EU = Law(
    code="EU",
    name="EU default (Directive 2011/7/EU)",
    basis="Directive 2011/7/EU art. 2(6)-(7): ECB MRO rate + 8 points, fixed per half-year",
    table=rate_tables.ECB_MRO,
    points=Decimal("8"),
    rule=RateRule.PER_PERIOD,
    day_count=DayCount.ACT_365,
    compensation=_flat("40", "EUR", "Directive 2011/7/EU art. 6(1): EUR 40"),
)
FR = Law(
    code="FR",
    name="France, commercial transactions",
    basis="Code de commerce L441-10: ECB refinancing rate of 1 Jan / 1 Jul + 10 points",
    table=rate_tables.ECB_MRO,
    points=Decimal("10"),
    rule=RateRule.PER_PERIOD,
    day_count=DayCount.ACT_365,
    compensation=_flat("40", "EUR", "Code de commerce L441-10 II and D441-5: EUR 40"),
)
DE = Law(
    code="DE",
    name="Germany, claims without a consumer",
    basis="§288(2) BGB: Basiszinssatz (§247 BGB) + 9 points",
    table=rate_tables.BASISZINSSATZ,
    points=Decimal("9"),
    rule=RateRule.PER_PERIOD,
    day_count=DayCount.ACT_365,
    compensation=_flat("40", "EUR", "§288(5) BGB: EUR 40 Pauschale"),
)
GB = Law(
    code="GB",
    name="United Kingdom (England, Wales, Northern Ireland)",
    basis=(
        "Late Payment of Commercial Debts (Interest) Act 1998 and (Rate of Interest) (No. 3) Order 2002: "
        "Bank of England rate on 31 Dec / 30 Jun before interest starts + 8 points, for the whole debt"
    ),
    table=rate_tables.BOE_BANK_RATE,
    points=Decimal("8"),
    rule=RateRule.FIXED_AT_DEFAULT,
    day_count=DayCount.ACT_365,
    compensation=CompensationRule(
        stated_in="GBP",
        bands=(
            DebtBand(Decimal("40"), Decimal("1000")),
            DebtBand(Decimal("70"), Decimal("10000")),
            DebtBand(Decimal("100")),
        ),
        owed_in="GBP",
        debt_measured_in="GBP",
        fx_date=FxDate.FIRST_DAY_OF_DELAY,
        basis="Late Payment of Commercial Debts (Interest) Act 1998 s.5A",
    ),
)
CZ = Law(
    code="CZ",
    name="Czech Republic",
    basis="nařízení vlády 351/2013 Sb. §2: ČNB repo rate on the first day of the half-year the delay began + 8 points",
    table=rate_tables.CNB_REPO,
    points=Decimal("8"),
    rule=RateRule.FIXED_AT_DEFAULT,
    day_count=DayCount.ACT_365,
    compensation=_flat("1200", "CZK", "nařízení vlády 351/2013 Sb. §3: CZK 1,200"),
)
SK = Law(
    code="SK",
    name="Slovakia, commercial obligations",
    basis=(
        "nariadenie vlády 21/2013 Z. z. §1(1) as amended by 303/2014: "
        "ECB rate on the first day of the half-year + 8 points"
    ),
    table=rate_tables.ECB_MRO,
    points=Decimal("8"),
    rule=RateRule.PER_PERIOD,
    day_count=DayCount.ACT_365,
    compensation=_flat("40", "EUR", "nariadenie vlády 21/2013 Z. z. §2: EUR 40"),
)
PL = Law(
    code="PL",
    name="Poland, commercial transactions (debtor not a public healthcare entity)",
    basis="ustawa o przeciwdziałaniu nadmiernym opóźnieniom w transakcjach handlowych art. 4 pkt 3, art. 11b: "
    "NBP reference rate of 1 Jan / 1 Jul + 10 points",
    table=rate_tables.NBP_REFERENCE,
    points=Decimal("10"),
    rule=RateRule.PER_PERIOD,
    day_count=DayCount.ACT_365,
    compensation=CompensationRule(
        stated_in="EUR",
        bands=(
            DebtBand(Decimal("40"), Decimal("5000"), inclusive=True),
            DebtBand(Decimal("70"), Decimal("50000")),
            DebtBand(Decimal("100")),
        ),
        owed_in="PLN",
        debt_measured_in="PLN",
        fx_date=FxDate.END_OF_MONTH_BEFORE_DUE,
        basis="ustawa o przeciwdziałaniu nadmiernym opóźnieniom art. 10 ust. 1",
    ),
)
RO = Law(
    code="RO",
    name="Romania, between professionals",
    basis="OG 13/2011 art. 3(2^1): BNR reference rate + 8 points",
    table=rate_tables.BNR_REFERENCE,
    points=Decimal("8"),
    rule=RateRule.PER_PERIOD,
    day_count=DayCount.ACT_365,
    # The text we could check says "the RON equivalent of EUR 40" without naming the day; we take the
    # first day of delay, when the right arises (Directive 2011/7/EU art. 6(1)).
    compensation=_flat("40", "EUR", "Legea 72/2013: RON equivalent of EUR 40", owed_in="RON"),
)

LAWS: Mapping[str, Law] = {law.code: law for law in (EU, FR, DE, GB, CZ, SK, PL, RO)}


class UnknownLawError(LookupError):
    pass


def get_law(code: str) -> Law:
    """The law for ``code`` (case-insensitive); raises ``UnknownLawError`` naming the known codes."""
    try:
        return LAWS[code.strip().upper()]
    except KeyError:
        raise UnknownLawError(f"no late-payment law {code!r}; known: {', '.join(LAWS)}") from None
