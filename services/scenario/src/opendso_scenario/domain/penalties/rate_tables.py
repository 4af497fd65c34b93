"""Historical reference rates the shipped laws use, each row with where it was checked.

Rules for this file: a value goes in only when a published source confirms it (or, for the German
Basiszinssatz, when §247 BGB derives it mechanically from confirmed ECB values, which the row says).
A period we could not confirm is left out, so a calculation that needs it fails loudly instead of
using a guess. Extend a table by appending a row with its source; rows must stay contiguous.
Checked in November 2026.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from opendso_scenario.domain.penalties.rates import HalfYear, RateTable, ReferenceRate


def _on(label: str, rate: str, fixed: str, source: str) -> ReferenceRate:
    return ReferenceRate.half_year(label, rate, fixed, source)


def _first_day(label: str) -> str:
    return HalfYear.parse(label).start.isoformat()


def _eve(label: str) -> str:
    return (HalfYear.parse(label).start - timedelta(days=1)).isoformat()


# --- ECB main refinancing operations (MRO) rate in force on 1 January / 1 July --------------------
# Used by EU (Directive 2011/7/EU), FR (Code de commerce L441-10) and SK (nariadenie vlády 21/2013).
_ECB_ZERO = (
    "MRO 0.00% from 16 Mar 2016 to 26 Jul 2022: fastflip.de 2019 ('seit dem 16. März 2016 unverändert'), "
    "actionforex.com 2020-04-30, ECB decision of 21 Jul 2022 raising it to 0.50% from 27 Jul 2022 "
    "(breakinglatest.news)"
)
_ECB_ROWS = (
    ("2019-H1", "0.00", _ECB_ZERO),
    ("2019-H2", "0.00", _ECB_ZERO),
    ("2020-H1", "0.00", _ECB_ZERO),
    ("2020-H2", "0.00", _ECB_ZERO),
    ("2021-H1", "0.00", _ECB_ZERO),
    ("2021-H2", "0.00", _ECB_ZERO),
    ("2022-H1", "0.00", _ECB_ZERO),
    ("2022-H2", "0.00", _ECB_ZERO),
    ("2023-H1", "2.50", "MRO raised to 2.50% on 15 Dec 2022, in force from 21 Dec 2022 (wiwo.de)"),
    ("2023-H2", "4.00", "MRO raised to 4.00% in June 2023, in force from 21 Jun 2023 (spiegel.de 2023-06)"),
    ("2024-H1", "4.50", "MRO 4.50% since Sep 2023, held through Jan-Apr 2024 (sueddeutsche.de; rtl.be 2024-04-11)"),
    ("2024-H2", "4.25", "MRO cut to 4.25% from 12 Jun 2024 (boursorama.com 2024-06), held 18 Jul 2024 (news.az)"),
    ("2025-H1", "3.15", "MRO cut to 3.15% at the December 2024 meeting (fxstreet.com)"),
    ("2025-H2", "2.15", "MRO cut to 2.15% in June 2025 (krone.at 2026-01-05; Bundesbank notice via state-of.biz)"),
    ("2026-H1", "2.15", "MRO held at 2.15% on 18 Dec 2025 (aa.com.tr) and 5 Feb 2026 (brusselstimes.com)"),
    # 2026-H2 left out: only one source (a forecasting site, thesisinstitute.org) records a 25 bp hike
    # on 11 Jun 2026, which would make the 1 July 2026 MRO 2.40%; we found no second confirmation.
)
ECB_MRO = RateTable(
    "ECB main refinancing operations rate",
    tuple(_on(label, rate, f"ECB MRO rate in force on {_first_day(label)}", src) for label, rate, src in _ECB_ROWS),
)

# --- Deutsche Bundesbank Basiszinssatz (§247 BGB), set on 1 January and 1 July --------------------
_BASIS_NEG = (
    "-0.88% from 1 Jul 2016 to 31 Dec 2022 (reinhard-rechtsanwaelte.de; stb-bruns.com; Bundesbank notices "
    "for 1 Jul 2019, 1 Jul 2020 and 1 Jan 2021 via lifepr.de)"
)
_BASIS_ROWS = (
    ("2019-H1", "-0.88", _BASIS_NEG),
    ("2019-H2", "-0.88", _BASIS_NEG),
    ("2020-H1", "-0.88", _BASIS_NEG),
    ("2020-H2", "-0.88", _BASIS_NEG),
    ("2021-H1", "-0.88", _BASIS_NEG),
    ("2021-H2", "-0.88", _BASIS_NEG),
    ("2022-H1", "-0.88", _BASIS_NEG),
    ("2022-H2", "-0.88", _BASIS_NEG),
    ("2023-H1", "1.62", "1.62% from 1 Jan 2023 (stb-bruns.com; anlegerschutz.blogspot.com table)"),
    ("2023-H2", "3.12", "3.12% from 1 Jul 2023 (finanznachrichten.de 2023-06; hasepost.de)"),
    ("2024-H1", "3.62", "3.62% from 1 Jan 2024 (IHK Kassel news; vdwbayern.de 2024-01-10)"),
    (
        "2024-H2",
        "3.37",
        "derived under §247(1) BGB: the MRO before 1 Jul 2024 (4.25%) was 0.25 below the 4.50% behind the "
        "3.62% of 1 Jan 2024; consistent with 2.27% on 1 Jan 2025 (MRO 3.15%). No page quoting the notice found",
    ),
    ("2025-H1", "2.27", "the 1 Jul 2025 cut was 'um ein Prozent auf 1,27' (malerblog.net), i.e. 2.27% before"),
    ("2025-H2", "1.27", "1.27% from 1 Jul 2025 (malerblog.net)"),
    ("2026-H1", "1.27", "unchanged at 1.27% on 1 Jan 2026 (Bundesbank notice via state-of.biz)"),
    # 2026-H2 left out: it follows the ECB's June 2026 decision, which we could not confirm (see above).
)
BASISZINSSATZ = RateTable(
    "Basiszinssatz (§247 BGB)",
    tuple(_on(label, rate, f"Basiszinssatz in force from {_first_day(label)}", s) for label, rate, s in _BASIS_ROWS),
)

# --- Bank of England official dealing (Bank) rate on 31 December / 30 June ------------------------
# Row = the half-year in which statutory interest starts to run; the value is the rate on the eve.
_PAYONTIME = "reference-rate table of payontime.co.uk (Late Payment Act guidance)"
_BOE_ROWS = (
    ("2019-H1", "0.75", _PAYONTIME),
    ("2019-H2", "0.75", _PAYONTIME),
    ("2020-H1", "0.75", _PAYONTIME),
    ("2020-H2", "0.10", _PAYONTIME),
    ("2021-H1", "0.10", _PAYONTIME),
    ("2021-H2", "0.10", _PAYONTIME),
    ("2022-H1", "0.25", _PAYONTIME),
    ("2022-H2", "1.25", _PAYONTIME),
    ("2023-H1", "3.50", _PAYONTIME),
    ("2023-H2", "5.00", _PAYONTIME),
    ("2024-H1", "5.25", _PAYONTIME),
    ("2024-H2", "5.25", "held at 5.25% in June 2024, first cut 1 Aug 2024 (forextv.com; focus-economics.com)"),
    ("2025-H1", "4.75", "cut to 4.75% in Nov 2024, held 19 Dec 2024 (focus-economics.com)"),
    (
        "2025-H2",
        "4.25",
        "cut to 4.25% on 8 May 2025, held June 2025 (pennmanagement.co.uk; xtb.com); "
        "help-proclaim.theaccessgroup.com late-payment note: 4.25 for 1 Jul-31 Dec 2025",
    ),
    ("2026-H1", "3.75", "cut to 3.75% on 18 Dec 2025 (capitalpost.uk; bpuaccountants.co.uk; theaccessgroup note)"),
    ("2026-H2", "3.75", "held at 3.75% on 18 Jun 2026, next meeting 30 Jul 2026 (livesquawk.com; titanfx.com)"),
)
BOE_BANK_RATE = RateTable(
    "Bank of England official dealing rate",
    tuple(_on(label, rate, f"Bank of England rate on {_eve(label)}", src) for label, rate, src in _BOE_ROWS),
)

# --- ČNB two-week repo rate on the first day of the half-year -------------------------------------
# Row = the half-year in which the delay began (nařízení vlády 351/2013 §2 fixes it for the whole delay).
_CZ_TABLE = "overview of statutory rates by half-year, bekrfacility.cz and behounek.eu (2024-03-20)"
_CNB_ROWS = (
    ("2019-H1", "1.75", _CZ_TABLE),
    ("2019-H2", "2.00", _CZ_TABLE),
    ("2020-H1", "2.00", _CZ_TABLE),
    ("2020-H2", "0.25", _CZ_TABLE),
    ("2021-H1", "0.25", _CZ_TABLE),
    ("2021-H2", "0.50", _CZ_TABLE),
    ("2022-H1", "3.75", _CZ_TABLE),
    ("2022-H2", "7.00", _CZ_TABLE),
    ("2023-H1", "7.00", _CZ_TABLE),
    ("2023-H2", "7.00", _CZ_TABLE),
    ("2024-H1", "6.75", _CZ_TABLE),
    ("2024-H2", "4.75", "repo cut to 4.75% on 27 Jun 2024 (repo history in lidovky.cz 2024-06)"),
    ("2025-H1", "4.00", "repo 4.00% since early Nov 2024, held 19 Dec 2024 (patria.cz 2024-12)"),
    ("2025-H2", "3.50", "repo 3.50% since May 2025, held June 2025 (newstream.cz; byznys.hn.cz 2025-06)"),
    ("2026-H1", "3.50", "repo 3.50% since May 2025, held 5 Feb 2026 (penize.cz; patria.cz 2026-02-05)"),
    # 2026-H2 left out: no ČNB decision after February 2026 could be confirmed.
)
CNB_REPO = RateTable(
    "ČNB two-week repo rate",
    tuple(_on(label, rate, f"ČNB 2T repo rate on {_first_day(label)}", src) for label, rate, src in _CNB_ROWS),
)

# --- NBP reference rate in force on 1 January / 1 July (Poland) -----------------------------------
# Starts in 2020: before that the statutory commercial rate was reference + 8 points, and transactions
# concluded before 1 Jan 2020 keep the old rule, which this law (reference + 10) does not model.
_NBP_ROWS = (
    ("2020-H1", "1.50", "reference rate 1.5% from 5 Mar 2015 to 17 Mar 2020 (kompendiumprawne.pl 2020-08-24)"),
    ("2020-H2", "0.10", "reference rate 0.1% from 29 May 2020 (kompendiumprawne.pl; zus.pl)"),
    ("2021-H1", "0.10", "notice M.P. 2020 poz. 1212: 10.1% for 1 Jan-30 Jun 2021 (e-pik.prawodlapraktykow.pl)"),
    ("2021-H2", "0.10", "10.1% for commercial transactions in H2 2021 (przysowa.pl 2021-11)"),
    ("2022-H1", "1.75", "reference rate 1.75% from 9 Dec 2021 (podatki.biz)"),
    ("2022-H2", "6.00", "raised from 5.25% to 6.00% in June 2022, to 6.50% from 8 Jul 2022 (tvn24.pl; inforlex.pl)"),
    ("2023-H1", "6.75", "reference rate 6.75% from 8 Sep 2022 (bsbrodnica.pl)"),
    ("2023-H2", "6.75", "6.75% unchanged since Sep 2022 at the June 2023 meeting (inwestycje.pl)"),
    ("2024-H1", "5.75", "5.75% from October 2023 until the May 2025 cut (nieruchomosci-online.pl; wprost.pl 2025-06)"),
    ("2024-H2", "5.75", "5.75% from October 2023 until the May 2025 cut (nieruchomosci-online.pl; wprost.pl 2025-06)"),
    ("2025-H1", "5.75", "5.75% from January to April 2025 (bezprawnik.pl table, NBP communiqués)"),
    ("2025-H2", "5.25", "cut to 5.25% in May 2025, to 5.00% only from 3 Jul 2025 (rankia.pl; rp.pl 2025-07)"),
    ("2026-H1", "4.00", "4.00% from 4 Dec 2025 (samorzad.infor.pl), held in Jan and Feb 2026 (dorzeczy.pl 2026-02-04)"),
    # 2026-H2 left out: the rate was cut to 3.75% from 5 Mar 2026 (dorzeczy.pl); the April-June 2026
    # decisions that set the 1 July 2026 rate could not be confirmed.
)
NBP_REFERENCE = RateTable(
    "NBP reference rate",
    tuple(_on(label, rate, f"NBP reference rate on {_first_day(label)}", src) for label, rate, src in _NBP_ROWS),
)

# --- BNR reference rate (Romania), changed by BNR circular -----------------------------------------
# OG 13/2011 art. 3 takes the BNR monetary-policy rate as published by circular; we found no rule fixing
# it per half-year, so rows run between BNR changes. Earlier rates (2019-2022) changed often and we could
# not confirm every effective date, so the table starts at 11 Jan 2023. It ends at the last decision we
# could confirm (17 Feb 2026); later days raise until someone confirms the next decisions.
BNR_REFERENCE = RateTable(
    "BNR reference rate",
    (
        ReferenceRate(
            date(2023, 1, 11),
            date(2024, 7, 7),
            Decimal("7.00"),
            "BNR reference rate from 2023-01-11 (Circulara BNR 1/2023, M.Of. 31/2023)",
            "Circulara 1/2023 (legislatie.just.ro); unchanged until July 2024 (gds.ro 2024-07-05)",
        ),
        ReferenceRate(
            date(2024, 7, 8),
            date(2024, 8, 7),
            Decimal("6.75"),
            "BNR reference rate from 2024-07-08 (Circulara BNR 29/2024, M.Of. 644/2024)",
            "Circulara 29/2024 (legislatie.just.ro)",
        ),
        ReferenceRate(
            date(2024, 8, 8),
            date(2026, 2, 17),
            Decimal("6.50"),
            "BNR reference rate from 2024-08-08",
            "cut to 6.50% from 8 Aug 2024 (mediafax.ro); held at every meeting up to 17 Feb 2026 (capital.ro; "
            "cronicaromana.net 2026-02-17)",
        ),
    ),
)
