"""Euro reference rates by day, and the rate between any two currencies at a date.

Every stored rate is a euro rate as the ECB publishes it: units of a currency one euro buys. The rate from X
to Y is EUR->Y / EUR->X, each leg being the last rate published on or before the date, no further back than
the look-back. Beyond it the rate is missing and says so: nothing here ever falls back to 1 or 0.

Precision: a euro rate is used exactly as published (at most ``RATE_PLACES`` decimals). An inverse or a
cross rate is computed with ``_WORK_DIGITS`` significant digits, then rounded half-even to
``CROSS_DIGITS`` significant digits, far beyond what the published rates (five or six significant digits)
can vouch for, so the rounding never shows in a converted amount. A converted amount is the amount times
that reported rate, rounded half-up to the target currency's minor unit, so anyone can redo the sum.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from opendso_money import Money

EURO = "EUR"
DEFAULT_LOOKBACK_DAYS = 10
RATE_PLACES = 10
RATE_INTEGER_DIGITS = 14
CROSS_DIGITS = 12
_WORK_DIGITS = 40
_CROSS = Context(prec=CROSS_DIGITS, rounding=ROUND_HALF_EVEN)
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# Which rate of a day counts when several sources published one: a person's word first, then the ECB fetched
# live, then an ECB file someone uploaded, then the forex-python feed. Only the same day: a manual rate does
# not hide a rate published on a later day.
SOURCES = ("manual", "ecb", "ecb_file", "forex_python")
MANUAL = "manual"
IDENTITY = "identity"


def _rank(source: str) -> int:
    return SOURCES.index(source) if source in SOURCES else len(SOURCES)


def currency_problem(code: str) -> str | None:
    """Why ``code`` is not a currency code this service takes, or None."""
    if not code:
        return "is required"
    if not _CURRENCY.fullmatch(code):
        return f"{code!r} is not a three-letter ISO 4217 code in capitals"
    return None


def rate_problem(value: Decimal) -> str | None:
    """Why ``value`` cannot be a euro rate, or None."""
    if not value.is_finite() or value <= 0:
        return f"{value} is not a positive number"
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > RATE_PLACES:
        return f"{value} has more than {RATE_PLACES} decimals"
    if value.adjusted() >= RATE_INTEGER_DIGITS:
        return f"{value} has more than {RATE_INTEGER_DIGITS} digits before the decimal point"
    return None


def plain(value: Decimal) -> Decimal:
    """The value without trailing zeros, and never in exponent notation (20, not 2E+1)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)
    return normal if exponent < 0 else normal.quantize(Decimal(1))


@dataclass(frozen=True, slots=True)
class Quote:
    """A euro rate: ``rate`` units of ``currency`` per euro, published for ``day`` by ``source``."""

    currency: str
    day: dt.date
    rate: Decimal
    source: str

    def __post_init__(self) -> None:
        if (problem := currency_problem(self.currency)) is not None:
            raise ValueError(f"currency {problem}")
        if self.currency == EURO:
            raise ValueError("a euro rate of EUR is 1 by definition and is never stored")
        if not isinstance(self.rate, Decimal):
            raise TypeError(f"rate must be Decimal, got {type(self.rate).__name__}")
        if (problem := rate_problem(self.rate)) is not None:
            raise ValueError(f"rate of {self.currency} on {self.day}: {problem}")


@dataclass(frozen=True, slots=True)
class DayRates:
    """The euro rates published for one day by one source: currency -> units per euro."""

    day: dt.date
    rates: dict[str, Decimal]

    def quotes(self, source: str) -> list[Quote]:
        return [Quote(currency, self.day, rate, source) for currency, rate in sorted(self.rates.items())]


@dataclass(frozen=True, slots=True)
class Rate:
    """Units of ``to_currency`` one unit of ``from_currency`` buys, as it stood on ``on``."""

    from_currency: str
    to_currency: str
    on: dt.date
    rate: Decimal
    published_on: dt.date
    source: str


@dataclass(frozen=True, slots=True)
class Conversion:
    amount: Money
    converted: Money
    rate: Rate


class RateMissing(LookupError):
    """No rate for a pair at a date: the euro rate of ``missing`` was not published within the look-back."""

    def __init__(self, from_currency: str, to_currency: str, on: dt.date, missing: str, since: dt.date) -> None:
        self.from_currency = from_currency
        self.to_currency = to_currency
        self.on = on
        self.missing = missing
        self.since = since
        super().__init__(
            f"no {from_currency}->{to_currency} rate on {on.isoformat()}: no EUR->{missing} rate published "
            f"between {since.isoformat()} and {on.isoformat()}"
        )


class RateHistory:
    """Euro rates by currency and day, keeping for each day the rate of the source that wins it."""

    def __init__(self, quotes: Iterable[Quote] = (), *, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> None:
        if lookback_days < 0:
            raise ValueError(f"lookback_days must not be negative, got {lookback_days}")
        self.lookback = dt.timedelta(days=lookback_days)
        self._days: dict[str, dict[dt.date, Quote]] = {}
        for quote in quotes:
            self.add(quote)

    def add(self, quote: Quote) -> None:
        days = self._days.setdefault(quote.currency, {})
        held = days.get(quote.day)
        if held is None or _rank(quote.source) < _rank(held.source):
            days[quote.day] = quote

    def euro_rate(self, currency: str, on: dt.date) -> Quote | None:
        """The last euro rate of ``currency`` published on or before ``on``, within the look-back."""
        days = self._days.get(currency, {})
        day = on
        while day >= on - self.lookback:
            if (quote := days.get(day)) is not None:
                return quote
            day -= dt.timedelta(days=1)
        return None

    def rate_on(self, from_currency: str, to_currency: str, on: dt.date) -> Rate:
        """The rate from one currency to another at ``on``; ``RateMissing`` when a leg is not known."""
        for code in (from_currency, to_currency):
            if (problem := currency_problem(code)) is not None:
                raise ValueError(f"currency {problem}")
        if from_currency == to_currency:
            return Rate(from_currency, to_currency, on, Decimal(1), on, IDENTITY)
        legs: list[Quote] = []
        for code in (from_currency, to_currency):
            if code == EURO:
                continue
            quote = self.euro_rate(code, on)
            if quote is None:
                raise RateMissing(from_currency, to_currency, on, code, on - self.lookback)
            legs.append(quote)
        from_rate = Decimal(1) if from_currency == EURO else legs[0].rate
        to_rate = Decimal(1) if to_currency == EURO else legs[-1].rate
        if from_currency == EURO:
            value = to_rate
        else:
            with localcontext() as ctx:
                ctx.prec = _WORK_DIGITS
                exact = to_rate / from_rate
            value = plain(_CROSS.plus(exact))
        sources = sorted({q.source for q in legs}, key=_rank)
        return Rate(from_currency, to_currency, on, value, min(q.day for q in legs), "+".join(sources))

    def convert(self, amount: Money, to_currency: str, on: dt.date) -> Conversion:
        rate = self.rate_on(amount.currency, to_currency, on)
        with localcontext() as ctx:
            ctx.prec = _WORK_DIGITS
            # Rounded inside the wide context: a large amount times a large rate has more digits than the
            # default 28 and would fail to quantize there.
            converted = Money(amount.amount * rate.rate, to_currency).rounded()
        return Conversion(amount, converted, rate)


def fetch_window(latest: dt.date | None, today: dt.date, backfill_days: int) -> tuple[dt.date, dt.date] | None:
    """The days a scheduled fetch asks a source for: those after the last day it already gave, at most
    ``backfill_days`` back; None when it is up to date."""
    first = today - dt.timedelta(days=backfill_days)
    if latest is not None:
        first = max(first, latest + dt.timedelta(days=1))
    return None if first > today else (first, today)
