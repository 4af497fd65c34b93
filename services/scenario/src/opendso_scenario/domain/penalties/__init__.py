"""Late-payment interest and fixed recovery compensation per jurisdiction (pure domain, no I/O).

``compute(get_law("FR"), Money.of("1000.00", "EUR"), due, paid=...)`` gives the slices, total
interest, compensation and the rates used. Used by the collection engine and the #LatePenalty and
#RecoveryCost template fields.
"""

from opendso_scenario.domain.penalties.calculation import (
    Compensation,
    FxRate,
    MissingFxRateError,
    Penalty,
    PenaltyError,
    RateUsed,
    Slice,
    compute,
)
from opendso_scenario.domain.penalties.laws import (
    LAWS,
    CompensationRule,
    DayCount,
    DebtBand,
    FxDate,
    Law,
    RateRule,
    UnknownLawError,
    get_law,
)
from opendso_scenario.domain.penalties.rates import HalfYear, RateTable, ReferenceRate, UnknownReferenceRateError

__all__ = [
    "LAWS",
    "Compensation",
    "CompensationRule",
    "DayCount",
    "DebtBand",
    "FxDate",
    "FxRate",
    "HalfYear",
    "Law",
    "MissingFxRateError",
    "Penalty",
    "PenaltyError",
    "RateRule",
    "RateTable",
    "RateUsed",
    "ReferenceRate",
    "Slice",
    "UnknownLawError",
    "UnknownReferenceRateError",
    "compute",
    "get_law",
]
