"""The port every rate source plugs into: the ECB's files, the forex-python feed, or a fake in a test."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from opendso_fx.domain.rates import DayRates


class ProviderError(Exception):
    """A source could not give its rates (unreachable, refused, or answered something unreadable)."""


class RateProvider(Protocol):
    @property
    def source(self) -> str:
        """The name the rates are stored under (see ``rates.SOURCES``)."""
        ...

    async def fetch(self, first: dt.date, last: dt.date) -> list[DayRates]:
        """The euro rates published from ``first`` to ``last`` (both included), oldest first; days the source
        publishes nothing for (weekends, holidays, not yet) are simply absent. ``ProviderError`` on failure."""
        ...
