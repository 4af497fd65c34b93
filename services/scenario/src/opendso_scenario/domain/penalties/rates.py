"""Reference-rate tables: which published rate a law uses for which days.

A table is a run of contiguous rows, each a closed date range with the reference rate the law
takes for it. Most laws fix the rate per half-year, so their rows are half-years; a law whose
reference rate follows every change of the central bank has rows between those changes. Dates
outside the rows are not guessed: they raise ``UnknownReferenceRateError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True, order=True)
class HalfYear:
    year: int
    half: int
    """1 for January to June, 2 for July to December."""

    def __post_init__(self) -> None:
        if self.half not in (1, 2):
            raise ValueError(f"a half-year is 1 or 2, got {self.half}")

    @classmethod
    def of(cls, day: date) -> HalfYear:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def parse(cls, label: str) -> HalfYear:
        """``"2025-H1"`` → ``HalfYear(2025, 1)``."""
        year, sep, half = label.partition("-H")
        if not sep or not year.isdigit() or half not in ("1", "2"):
            raise ValueError(f"not a half-year label like 2025-H1: {label!r}")
        return cls(int(year), int(half))

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    def __str__(self) -> str:
        return f"{self.year}-H{self.half}"


@dataclass(frozen=True)
class ReferenceRate:
    """The reference rate a law applies from ``start`` to ``end`` (both included), in percent a year."""

    start: date
    end: date
    rate: Decimal
    fixed_on: str
    """Which day's published rate this is, as the law words it (e.g. "ECB MRO rate in force on 1 Jan 2025")."""
    source: str
    """Where the value was checked."""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"rate period ends ({self.end}) before it starts ({self.start})")
        if not isinstance(self.rate, Decimal):
            raise TypeError("a reference rate must be a Decimal")

    @classmethod
    def half_year(cls, label: str, rate: str, fixed_on: str, source: str) -> ReferenceRate:
        period = HalfYear.parse(label)
        return cls(period.start, period.end, Decimal(rate), fixed_on, source)

    @property
    def period(self) -> str:
        """``2025-H1`` when the row is exactly a half-year, else ``2024-08-08..2026-02-17``."""
        half = HalfYear.of(self.start)
        if half.start == self.start and half.end == self.end:
            return str(half)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class UnknownReferenceRateError(LookupError):
    """No confirmed reference rate for a day the calculation needs."""

    def __init__(self, law: str, day: date, covered: tuple[date, date] | None) -> None:
        span = f"the table covers {covered[0]} to {covered[1]}" if covered else "the table is empty"
        super().__init__(
            f"{law}: no confirmed reference rate for {HalfYear.of(day)} (needed for {day.isoformat()}); {span}"
        )
        self.law = law
        self.day = day
        self.half_year = HalfYear.of(day)


@dataclass(frozen=True)
class RateTable:
    """Contiguous, ordered reference-rate rows of one law."""

    name: str
    """What the rate is, e.g. "ECB main refinancing operations rate"."""
    rows: tuple[ReferenceRate, ...]

    def __post_init__(self) -> None:
        for before, after in zip(self.rows, self.rows[1:], strict=False):
            if after.start != before.end + timedelta(days=1):
                # A gap would make a date silently fall back to a neighbour's rate; an overlap would
                # make the lookup ambiguous. Either is a data-entry mistake in the table.
                raise ValueError(f"{self.name}: rows {before.period} and {after.period} are not contiguous")

    @property
    def covered(self) -> tuple[date, date] | None:
        return (self.rows[0].start, self.rows[-1].end) if self.rows else None

    def row_for(self, day: date, law: str) -> ReferenceRate:
        for row in self.rows:
            if row.covers(day):
                return row
        raise UnknownReferenceRateError(law, day, self.covered)

    def boundaries(self) -> tuple[date, ...]:
        """Every first day at which the applicable row changes, including the day after the last row."""
        if not self.rows:
            return ()
        return (*(row.start for row in self.rows), self.rows[-1].end + timedelta(days=1))
