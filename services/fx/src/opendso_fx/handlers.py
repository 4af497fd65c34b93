"""Bus handlers of the fx service: rates in (fetched on a schedule, imported from an ECB file, entered by
hand), rates and conversions out (request/reply), and ``RatesPublished`` when a day's rates changed.

Every query answers from the stored history, so the service works offline; a rate it does not have is a
``not_found`` naming the pair and the date, never a conversion at 1 or 0.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from opendso.common.v1.common_pb2 import Date
from opendso.fx.v1 import fx_pb2 as fx
from opendso_bus import InvalidRequest, NotFound
from opendso_contracts.convert import date_to_proto, money_to_proto
from opendso_money import Money

from opendso_fx.domain.ecb import EcbFileError, parse_ecb_xml
from opendso_fx.domain.manual import ManualRateError, manual_rate
from opendso_fx.domain.providers import RateProvider
from opendso_fx.domain.rates import (
    DEFAULT_LOOKBACK_DAYS,
    EURO,
    DayRates,
    Quote,
    Rate,
    RateHistory,
    RateMissing,
    currency_problem,
    fetch_window,
)
from opendso_fx.store import UnitOfWork

log = logging.getLogger(__name__)

ECB_FILE = "ecb_file"
# Plain decimals only, as the rest of the API takes amounts: "1e3" or " 12 " are a client's bug, not money.
_AMOUNT = re.compile(r"^-?\d{1,18}(\.\d{1,8})?$")


@dataclass(frozen=True)
class Deps:
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    # How far back the last published rate may be (weekends, holidays, a source down for a few days).
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    # How far back a scheduled fetch reaches when a source has given nothing yet (or not for that long).
    backfill_days: int = 30

    def today(self) -> dt.date:
        return self.now().astimezone(dt.UTC).date()


# --- reading requests -----------------------------------------------------------------------------------


def _currency(code: str, where: str) -> str:
    if (problem := currency_problem(code)) is not None:
        raise InvalidRequest(f"{where} {problem}")
    return code


def _date(value: Date, where: str) -> dt.date:
    if value.year == 0 and value.month == 0 and value.day == 0:
        raise InvalidRequest(f"{where} is required")
    try:
        return dt.date(value.year, value.month, value.day)
    except ValueError:
        raise InvalidRequest(f"{where}: {value.year:04d}-{value.month:02d}-{value.day:02d} is not a date") from None


def rate_to_proto(rate: Rate) -> fx.Rate:
    return fx.Rate(
        rate=str(rate.rate),
        from_currency=rate.from_currency,
        to_currency=rate.to_currency,
        on=date_to_proto(rate.on),
        published_on=date_to_proto(rate.published_on),
        source=rate.source,
    )


async def _history(uow: UnitOfWork, deps: Deps, currencies: set[str], on: dt.date) -> RateHistory:
    """The rates a question about these currencies at ``on`` can need, and nothing older."""
    since = on - dt.timedelta(days=deps.lookback_days)
    quotes = await uow.repo.quotes(currencies - {EURO}, since, on)
    return RateHistory(quotes, lookback_days=deps.lookback_days)


# --- queries --------------------------------------------------------------------------------------------


async def get_rate(query: fx.GetRate, uow: UnitOfWork, deps: Deps) -> fx.Rate:
    source = _currency(query.from_currency, "from_currency")
    target = _currency(query.to_currency, "to_currency")
    on = _date(query.on, "on")
    history = await _history(uow, deps, {source, target}, on)
    try:
        return rate_to_proto(history.rate_on(source, target, on))
    except RateMissing as exc:
        raise NotFound(str(exc)) from None


async def convert(query: fx.Convert, uow: UnitOfWork, deps: Deps) -> fx.Conversion:
    source = _currency(query.amount.currency, "amount.currency")
    if not _AMOUNT.fullmatch(query.amount.amount):
        raise InvalidRequest(f"amount.amount: {query.amount.amount!r} is not a decimal amount such as 1250.00")
    amount = Money(Decimal(query.amount.amount), source)
    target = _currency(query.to_currency, "to_currency")
    on = _date(query.on, "on")
    history = await _history(uow, deps, {source, target}, on)
    try:
        done = history.convert(amount, target, on)
    except RateMissing as exc:
        raise NotFound(str(exc)) from None
    return fx.Conversion(
        amount=money_to_proto(done.amount), converted=money_to_proto(done.converted), rate=rate_to_proto(done.rate)
    )


# --- rates in -------------------------------------------------------------------------------------------


async def store_rates(
    quotes: list[Quote], source: str, uow: UnitOfWork, deps: Deps, entered_by: str = ""
) -> dict[dt.date, int]:
    """Store what is new and announce each day that changed, in the same transaction (the outbox): rates
    given again change nothing and announce nothing. Answers the changed rates per day."""
    changed = await uow.repo.save(quotes, deps.now(), entered_by)
    await uow.publish_many(
        [
            fx.RatesPublished(meta=uow.meta(), day=date_to_proto(day), count=count, source=source)
            for day, count in sorted(changed.items())
        ]
    )
    return changed


async def import_rates(command: fx.ImportRates, uow: UnitOfWork, deps: Deps) -> fx.RatesImported:
    """Store an uploaded ECB reference rates file (its content already fetched from the object store)."""
    name = command.file_name or "upload"
    if not command.content:
        raise InvalidRequest(f"{name}: the file is empty")
    try:
        # Off the event loop: the full history is some 200,000 rates and takes a while to read.
        days = await asyncio.to_thread(parse_ecb_xml, command.content, name)
    except EcbFileError as exc:
        raise InvalidRequest(str(exc)) from None
    quotes = [q for d in days for q in d.quotes(ECB_FILE)]
    uow.caused_by(None, correlation_id=command.correlation_id)
    changed = await store_rates(quotes, ECB_FILE, uow, deps)
    await uow.commit()
    return fx.RatesImported(
        count=len(quotes),
        first_day=date_to_proto(days[0].day),
        last_day=date_to_proto(days[-1].day),
        days=len(days),
        changed=sum(changed.values()),
    )


async def set_manual_rate(command: fx.SetManualRate, uow: UnitOfWork, deps: Deps) -> fx.Rate:
    on = None if command.on.year == command.on.month == command.on.day == 0 else _date(command.on, "on")
    try:
        entered = manual_rate(command.currency, on, command.rate, command.user, deps.today())
    except ManualRateError as exc:
        raise InvalidRequest(str(exc)) from None
    uow.caused_by(None, correlation_id=command.correlation_id)
    await store_rates([entered.quote], entered.quote.source, uow, deps, entered_by=entered.user)
    await uow.commit()
    q = entered.quote
    # A manual rate wins its day, so it is the day's rate as every query now answers it.
    return rate_to_proto(Rate(EURO, q.currency, q.day, q.rate, q.day, q.source))


async def fetch_rates(provider: RateProvider, new_uow: Callable[[], UnitOfWork], deps: Deps) -> dict[dt.date, int]:
    """Ask a source for the days it has not given yet and store them. The network call happens between two
    transactions, never inside one: a slow source must not hold the database (SQLite's one writer)."""
    async with new_uow() as uow:
        latest = await uow.repo.latest_day(provider.source)
    window = fetch_window(latest, deps.today(), deps.backfill_days)
    if window is None:
        return {}
    days: list[DayRates] = await provider.fetch(*window)
    async with new_uow() as uow:
        changed = await store_rates([q for d in days for q in d.quotes(provider.source)], provider.source, uow, deps)
        await uow.commit()
    if changed:
        log.info("%s: %d new rates over %d days", provider.source, sum(changed.values()), len(changed))
    return changed
