"""The rate sources behind the ``RateProvider`` port: the ECB's reference rates files over HTTP, and the
forex-python package's feed. Both take their base URL, so tests point them at a local server."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import requests
from forex_python.converter import CurrencyRates, RatesNotAvailableError

from opendso_fx.domain.ecb import EcbFileError, parse_ecb_xml
from opendso_fx.domain.providers import ProviderError
from opendso_fx.domain.rates import EURO, DayRates, currency_problem, rate_problem

log = logging.getLogger(__name__)

ECB_BASE_URL = "https://www.ecb.europa.eu/stats/eurofxref/"
ECB_DAILY = "eurofxref-daily.xml"
ECB_90_DAYS = "eurofxref-hist-90d.xml"
ECB_HISTORY = "eurofxref-hist.xml"
# The 90-day file starts about 90 calendar days back; asking it for less keeps a margin for its publication lag.
_NINETY_DAYS_SAFE = dt.timedelta(days=85)
# A window up to today this short may be covered by the daily file alone (today, or a weekend and the Monday).
_DAILY_SPAN_DAYS = 7
FOREX_PYTHON_URL = "https://theratesapi.com/api/"


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _business_days(first: dt.date, before: dt.date) -> bool:
    """Whether a Monday to Friday lies from ``first`` up to, not including, ``before``."""
    return any((first + dt.timedelta(days=n)).weekday() < 5 for n in range((before - first).days))


def _within(days: list[DayRates], first: dt.date, last: dt.date) -> list[DayRates]:
    return [d for d in days if first <= d.day <= last]


class EcbProvider:
    """The ECB's euro reference rates: the daily file (a few kB) when the day it holds is all a window up to
    today can contain, the 90-day file for any other recent window, the full history for anything older."""

    source = "ecb"

    def __init__(
        self,
        base_url: str = ECB_BASE_URL,
        *,
        timeout: float = 30.0,
        today: Callable[[], dt.date] = _utc_today,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self._today = today

    async def fetch(self, first: dt.date, last: dt.date) -> list[DayRates]:
        if first > last:
            raise ValueError(f"first day {first} is after last day {last}")
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=True) as client:
            today = self._today()
            recent = first >= today - _NINETY_DAYS_SAFE
            if last >= today and (last - first).days < _DAILY_SPAN_DAYS:
                daily = await self._file(client, ECB_DAILY)
                published = daily[-1].day
                if published < first:
                    return []  # nothing published since: not yet today, or a weekend or holiday
                if published <= last and not _business_days(first, published):
                    # The daily file holds every day of the range there can be (after a weekend, Monday).
                    return daily
            return _within(await self._file(client, ECB_90_DAYS if recent else ECB_HISTORY), first, last)

    async def _file(self, client: httpx.AsyncClient, name: str) -> list[DayRates]:
        url = self.base_url + name
        try:
            response = await client.get(url)
        except httpx.HTTPError as exc:
            raise ProviderError(f"ECB {url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise ProviderError(f"ECB {url}: HTTP {response.status_code}")
        try:
            return parse_ecb_xml(response.content, url)
        except EcbFileError as exc:
            raise ProviderError(f"ECB answered a file this service cannot read: {exc}") from exc


class _CurrencyRatesAt(CurrencyRates):  # type: ignore[misc]  # forex-python ships no type hints
    """forex-python's client, asked at ``source_url`` instead of its built-in address, and remembering the
    date the answer was published for (its ``get_rates`` drops it, yet a request for a Saturday or a
    holiday answers the previous business day's rates)."""

    def __init__(self, source_url: str) -> None:
        super().__init__(force_decimal=True)
        self._url = source_url
        self.published: object = None

    def _source_url(self) -> str:
        return self._url

    def _decode_rates(self, response: Any, use_decimal: bool = False, date_str: str | None = None) -> Any:
        rates = super()._decode_rates(response, use_decimal=use_decimal, date_str=date_str)
        self.published = json.loads(response.text).get("date")
        return rates


class ForexPythonProvider:
    """Rates through the forex-python package (``CurrencyRates(force_decimal=True)``), one request per
    business day asked; its feed mirrors the ECB's reference rates, which are never published on weekends."""

    source = "forex_python"

    def __init__(self, source_url: str = FOREX_PYTHON_URL, *, timeout: float = 30.0, max_days: int = 31) -> None:
        self.source_url = source_url if source_url.endswith("/") else source_url + "/"
        self.timeout = timeout
        # One request a day: a long range would hammer a free service; the ECB files are the way to backfill.
        self.max_days = max_days

    async def fetch(self, first: dt.date, last: dt.date) -> list[DayRates]:
        if first > last:
            raise ValueError(f"first day {first} is after last day {last}")
        if (last - first).days >= self.max_days:
            log.info("forex-python: asking for the last %d days only, not from %s", self.max_days, first)
            first = last - dt.timedelta(days=self.max_days - 1)
        found: dict[dt.date, DayRates] = {}
        day = first
        while day <= last:
            if day.weekday() < 5:
                # requests (under forex-python) has no timeout of its own; the thread is abandoned past ours.
                try:
                    answer = await asyncio.wait_for(asyncio.to_thread(self._one_day, day), self.timeout)
                except TimeoutError:
                    raise ProviderError(
                        f"forex-python {self.source_url}: no answer for {day} in {self.timeout}s"
                    ) from None
                found.setdefault(answer.day, answer)
            day += dt.timedelta(days=1)
        return [found[d] for d in sorted(found)]

    def _one_day(self, day: dt.date) -> DayRates:
        where = f"forex-python {self.source_url}{day.isoformat()}"
        client = _CurrencyRatesAt(self.source_url)
        try:
            raw = client.get_rates(EURO, day)
        except RatesNotAvailableError as exc:
            raise ProviderError(f"{where}: {exc}") from exc
        except requests.RequestException as exc:
            raise ProviderError(f"{where}: {type(exc).__name__}: {exc}") from exc
        except (ValueError, AttributeError) as exc:  # not JSON, or JSON without the object forex-python expects
            raise ProviderError(f"{where}: the answer is not the JSON rates object expected: {exc}") from exc
        return DayRates(_published(client.published, day, where), _rates(raw, where))


def _published(value: object, asked: dt.date, where: str) -> dt.date:
    if value is None:
        return asked
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ProviderError(f"{where}: date {value!r} is not a date") from None


def _rates(raw: object, where: str) -> dict[str, Decimal]:
    if not isinstance(raw, dict) or not raw:
        raise ProviderError(f"{where}: no rates in the answer")
    rates: dict[str, Decimal] = {}
    for currency, value in raw.items():
        if not isinstance(currency, str) or (problem := currency_problem(currency)) is not None:
            raise ProviderError(f"{where}: currency {currency!r} is not a three-letter ISO 4217 code")
        if currency == EURO:
            continue
        # force_decimal makes every JSON number a Decimal; anything else (a string, null) is a broken answer.
        if not isinstance(value, Decimal):
            raise ProviderError(f"{where}: rate of {currency} is {value!r}, not a number")
        if (problem := rate_problem(value)) is not None:
            raise ProviderError(f"{where}: rate of {currency}: {problem}")
        rates[currency] = value
    return rates
