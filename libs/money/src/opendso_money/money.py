from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SEEN_CURRENCIES: set[str] = set()
# Minor units that differ from the usual two decimals (ISO 4217 exponent).
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "HUF": 2, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}
# The smallest unit of each number of minor units, made once: every amount shown is rounded to one.
_QUANTA = {places: Decimal(1).scaleb(-places) for places in {2, *_MINOR_UNITS.values()}}


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Arithmetic refuses to mix currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amount must be Decimal, got {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise ValueError(f"Money amount must be finite, got {self.amount}")
        if self.currency not in _SEEN_CURRENCIES:
            if not _CURRENCY.match(self.currency):
                raise ValueError(f"currency must be a three-letter ISO 4217 code, got {self.currency!r}")
            # A ledger has a handful of currencies and makes millions of amounts: a set lookup, not a regex.
            if len(_SEEN_CURRENCIES) < 1024:
                _SEEN_CURRENCIES.add(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal("0"), currency)

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(amount if isinstance(amount, Decimal) else Decimal(str(amount)), currency)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    @property
    def minor_units(self) -> int:
        return _MINOR_UNITS.get(self.currency, 2)

    def rounded(self) -> Money:
        """The amount rounded half-up to the currency's minor unit."""
        return Money(self._rounded_amount(), self.currency)

    def _rounded_amount(self) -> Decimal:
        return self.amount.quantize(_QUANTA[self.minor_units], rounding="ROUND_HALF_UP")

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        # The rounded amount alone: a rounded Money would be made, checked and dropped for every amount written.
        return f"{self._rounded_amount()} {self.currency}"


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """Sum amounts that must all be in ``currency``; an empty sum is zero."""
    total = Money.zero(currency)
    for m in amounts:
        total = total + m
    return total


_SPACES = re.compile(r"[\s\u00a0\u202f']")
_PLAIN = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?\Z")


def parse_amount(text: str) -> Decimal:
    """Parse an amount as ERPs write it: ``1234.50``, ``1 234,50``, ``1.234,50``, ``-12,5``.

    The last of ``.``/``,`` is the decimal separator when both appear; a lone
    comma is decimal; a lone dot is decimal. Raises ``ValueError`` with the text.
    """
    if _PLAIN.match(text):
        # Most amounts of a large file: digits and at most one decimal point or comma, nothing to clean.
        return Decimal(text.replace(",", "."))
    raw = _SPACES.sub("", text.strip())
    if not raw:
        raise ValueError("empty amount")
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    if raw.endswith("-"):
        negative, raw = True, raw[:-1]
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif "," in raw:
        if raw.count(",") > 1:
            raw = raw.replace(",", "")
        else:
            raw = raw.replace(",", ".")
    elif raw.count(".") > 1:
        raw = raw.replace(".", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return -value if negative else value
