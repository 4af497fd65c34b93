"""A euro rate entered by hand: checked field by field before it can win a day over the published rates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from opendso_fx.domain.rates import EURO, MANUAL, RATE_INTEGER_DIGITS, RATE_PLACES, Quote, currency_problem

_RATE = re.compile(rf"^\d{{1,{RATE_INTEGER_DIGITS}}}(\.\d{{1,{RATE_PLACES}}})?$")
MAX_USER = 200


class ManualRateError(ValueError):
    """A manual rate refused; ``field`` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True, slots=True)
class ManualRate:
    quote: Quote
    user: str


def manual_rate(currency: str, on: dt.date | None, rate: str, user: str, today: dt.date) -> ManualRate:
    """The rate as entered, once every field is sound; ``ManualRateError`` naming the first field that is not."""
    if (problem := currency_problem(currency)) is not None:
        raise ManualRateError("currency", problem)
    if currency == EURO:
        raise ManualRateError("currency", "rates are units of a currency per euro; EUR to EUR is 1 by definition")
    if on is None:
        raise ManualRateError("on", "is required")
    if on > today:
        # A rate typed in ahead of time would silently win that day over the rate the ECB then publishes.
        raise ManualRateError("on", f"{on.isoformat()} is after today ({today.isoformat()})")
    if not _RATE.fullmatch(rate):
        raise ManualRateError(
            "rate",
            f"{rate!r} is not a decimal such as 1.0921 (digits, an optional point, at most {RATE_PLACES} decimals)",
        )
    value = Decimal(rate)
    if value == 0:
        raise ManualRateError("rate", "must be above zero: a currency a euro buys none of has no rate")
    who = user.strip()
    if not who:
        raise ManualRateError("user", "is required: a manual rate is kept with who entered it")
    if len(who) > MAX_USER:
        raise ManualRateError("user", f"is longer than {MAX_USER} characters")
    return ManualRate(Quote(currency, on, value, MANUAL), who)
