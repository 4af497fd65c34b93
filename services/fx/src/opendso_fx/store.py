"""The fx service's tables: every euro rate it was ever given, by currency, day and source, next to the
bus's outbox and inbox.

Rates of every source are kept side by side, never overwritten by another source: which one counts for a
day is decided when reading (``domain.rates.SOURCES``: a manual rate wins its day). A source that gives a
different rate for a day it gave before (a correction) replaces its own row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from opendso_bus import SqlUnitOfWork, inbox_table, outbox_table
from opendso_db.bulk import insert_rows
from sqlalchemy import Column, Date, DateTime, Index, MetaData, Numeric, String, Table, bindparam, func, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from opendso_fx.domain.rates import RATE_INTEGER_DIGITS, RATE_PLACES, Quote, plain

metadata = MetaData()
OUTBOX = outbox_table(metadata)
INBOX = inbox_table(metadata)


class RateValue(TypeDecorator[Decimal]):
    """A rate stored exactly: NUMERIC on PostgreSQL, decimal text on SQLite (whose NUMERIC is a float)."""

    impl = Numeric(RATE_INTEGER_DIGITS + RATE_PLACES, RATE_PLACES)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(RATE_INTEGER_DIGITS + RATE_PLACES, RATE_PLACES, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"rate columns take Decimal, got {type(value).__name__}")
        return str(plain(value)) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        # PostgreSQL pads to the column's scale (1.0921000000): the same rate reads the same on both backends.
        return None if value is None else plain(Decimal(str(value)))


rates = Table(
    "fx_rates",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("day", Date, primary_key=True),
    # "ecb", "ecb_file", "forex_python" or "manual".
    Column("source", String(20), primary_key=True),
    # Units of the currency per euro.
    Column("rate", RateValue, nullable=False),
    # When this value was fetched, imported or entered.
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    # Who entered a manual rate; "" for the others.
    Column("entered_by", String(200), nullable=False),
    Index("ix_fx_rates_source_day", "source", "day"),
)


class RatesRepository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.session = uow.session

    async def latest_day(self, source: str) -> dt.date | None:
        """The last day ``source`` gave rates for."""
        value = await self.session.scalar(select(func.max(rates.c.day)).where(rates.c.source == source))
        return value if isinstance(value, dt.date) else None

    async def latest_days(self) -> dict[str, dt.date]:
        rows = await self.session.execute(
            select(rates.c.source, func.max(rates.c.day).label("latest")).group_by(rates.c.source)
        )
        return {row.source: row.latest for row in rows}

    async def quotes(self, currencies: Iterable[str], since: dt.date, until: dt.date) -> list[Quote]:
        """Every source's rates of these currencies from ``since`` to ``until``."""
        wanted = sorted(set(currencies))
        if not wanted:
            return []
        rows = await self.session.execute(
            select(rates.c.currency, rates.c.day, rates.c.rate, rates.c.source).where(
                rates.c.currency.in_(wanted), rates.c.day >= since, rates.c.day <= until
            )
        )
        return [Quote(r.currency, r.day, r.rate, r.source) for r in rows]

    async def save(self, quotes: list[Quote], at: dt.datetime, entered_by: str = "") -> dict[dt.date, int]:
        """Store the quotes that are new or differ from what their source gave before; answer how many
        per day (days where nothing changed are absent). The same rate entered again by someone else
        changes nothing: it stays with who entered it first."""
        if not quotes:
            return {}
        by_source: dict[str, dict[tuple[str, dt.date], Quote]] = {}
        for q in quotes:
            by_source.setdefault(q.source, {})[(q.currency, q.day)] = q
        changed: dict[dt.date, int] = {}
        for source, wanted in by_source.items():
            days = [day for _, day in wanted]
            rows = await self.session.execute(
                select(rates.c.currency, rates.c.day, rates.c.rate).where(
                    rates.c.source == source,
                    rates.c.day >= min(days),
                    rates.c.day <= max(days),
                    rates.c.currency.in_(sorted({c for c, _ in wanted})),
                )
            )
            stored = {(r.currency, r.day): r.rate for r in rows}
            new: list[dict[str, Any]] = []
            different: list[dict[str, Any]] = []
            for key, q in wanted.items():
                row = {"rate": q.rate, "fetched_at": at, "entered_by": entered_by}
                held = stored.get(key)
                if held is None:
                    new.append({"currency": q.currency, "day": q.day, "source": source, **row})
                elif held != q.rate:
                    different.append({"b_currency": q.currency, "b_day": q.day, "b_source": source, **row})
                else:
                    continue
                changed[q.day] = changed.get(q.day, 0) + 1
            await insert_rows(self.session, rates, new)
            if different:
                await self.session.execute(
                    update(rates).where(
                        rates.c.currency == bindparam("b_currency"),
                        rates.c.day == bindparam("b_day"),
                        rates.c.source == bindparam("b_source"),
                    ),
                    different,
                )
        return changed


class UnitOfWork(SqlUnitOfWork):
    repo: RatesRepository

    def _open(self) -> None:
        self.repo = RatesRepository(self)
