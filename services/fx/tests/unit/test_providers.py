"""The real providers (httpx for the ECB, forex-python's own client) against a local server answering with
recorded-format files: which file or day they ask for, what they make of the answer, and how they fail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from opendso.fx.v1 import fx_pb2 as fx
from opendso_contracts.convert import date_from_proto
from opendso_fx import handlers
from opendso_fx.app import providers_from
from opendso_fx.domain.providers import ProviderError
from opendso_fx.providers import EcbProvider, ForexPythonProvider
from opendso_fx.settings import Settings

from .fakes import FakeStore
from .rates_server import DATA, RatesServer, rates_server

FRI = dt.date(2024, 1, 5)


@pytest.fixture
def server() -> Iterator[RatesServer]:
    with rates_server() as running:
        yield running


def ecb(server: RatesServer, today: dt.date = FRI) -> EcbProvider:
    return EcbProvider(server.ecb_url, timeout=5, today=lambda: today)


async def test_the_day_just_published_comes_from_the_daily_file(server: RatesServer) -> None:
    days = await ecb(server).fetch(FRI, FRI)
    assert server.paths() == ["/stats/eurofxref/eurofxref-daily.xml"]
    assert [d.day for d in days] == [FRI]
    assert days[0].rates["HUF"] == Decimal("378.45")


async def test_a_day_not_yet_published_is_absent_after_one_small_request(server: RatesServer) -> None:
    saturday = FRI + dt.timedelta(days=1)
    assert await ecb(server, today=saturday).fetch(saturday, saturday) == []
    assert server.paths() == ["/stats/eurofxref/eurofxref-daily.xml"]


async def test_a_monday_asked_with_the_weekend_before_it_comes_from_the_daily_file_alone(server: RatesServer) -> None:
    monday = dt.date(2024, 1, 8)
    server.overrides["/stats/eurofxref/eurofxref-daily.xml"] = (
        200,
        (DATA / "eurofxref-daily.xml").read_bytes().replace(b"2024-01-05", monday.isoformat().encode()),
    )
    days = await ecb(server, today=monday).fetch(dt.date(2024, 1, 6), monday)
    assert server.paths() == ["/stats/eurofxref/eurofxref-daily.xml"]
    assert [d.day for d in days] == [monday]


async def test_a_window_with_a_business_day_before_the_daily_files_takes_the_90_day_file(server: RatesServer) -> None:
    days = await ecb(server, today=dt.date(2024, 1, 7)).fetch(dt.date(2024, 1, 4), dt.date(2024, 1, 7))
    assert server.paths() == ["/stats/eurofxref/eurofxref-daily.xml", "/stats/eurofxref/eurofxref-hist-90d.xml"]
    assert [d.day.isoformat() for d in days] == ["2024-01-04", "2024-01-05"]


async def test_a_past_day_comes_from_the_90_day_file_without_asking_the_daily_one(server: RatesServer) -> None:
    days = await ecb(server).fetch(dt.date(2024, 1, 3), dt.date(2024, 1, 3))
    assert server.paths() == ["/stats/eurofxref/eurofxref-hist-90d.xml"]
    assert [(d.day, d.rates["USD"]) for d in days] == [(dt.date(2024, 1, 3), Decimal("1.0919"))]


async def test_a_recent_range_comes_from_the_90_day_file_cut_to_the_range(server: RatesServer) -> None:
    days = await ecb(server).fetch(dt.date(2024, 1, 1), dt.date(2024, 1, 4))
    assert server.paths() == ["/stats/eurofxref/eurofxref-hist-90d.xml"]
    assert [d.day.isoformat() for d in days] == ["2024-01-02", "2024-01-03", "2024-01-04"]


async def test_an_old_range_comes_from_the_full_history(server: RatesServer) -> None:
    days = await ecb(server).fetch(dt.date(2023, 6, 1), dt.date(2023, 6, 30))
    assert server.paths() == ["/stats/eurofxref/eurofxref-hist.xml"]
    assert [d.day.isoformat() for d in days] == ["2023-06-29", "2023-06-30"]


async def test_an_ecb_error_status_names_the_url_and_the_status(server: RatesServer) -> None:
    server.overrides["/stats/eurofxref/eurofxref-daily.xml"] = (503, b"maintenance")
    with pytest.raises(
        ProviderError, match=r"ECB http://127\.0\.0\.1:\d+/stats/eurofxref/eurofxref-daily\.xml: HTTP 503"
    ):
        await ecb(server).fetch(FRI, FRI)


async def test_an_ecb_answer_that_is_not_a_rates_file_is_a_provider_error(server: RatesServer) -> None:
    server.overrides["/stats/eurofxref/eurofxref-daily.xml"] = (200, b"<html><body>Cookie consent</body></html>")
    with pytest.raises(ProviderError, match=r"cannot read: .*the root element is <html>"):
        await ecb(server).fetch(FRI, FRI)


async def test_an_unreachable_ecb_is_a_provider_error() -> None:
    with rates_server() as gone:
        url = gone.ecb_url
    with pytest.raises(ProviderError, match="ConnectError"):
        await EcbProvider(url, timeout=2, today=lambda: FRI).fetch(FRI, FRI)


async def test_forex_python_asks_each_business_day_for_euro_rates(server: RatesServer) -> None:
    days = await ForexPythonProvider(server.forex_url, timeout=5).fetch(dt.date(2024, 1, 2), dt.date(2024, 1, 7))
    assert server.paths() == [f"/api/2024-01-0{d}" for d in (2, 3, 4, 5)]
    assert all(parse_qs(urlsplit(r).query)["base"] == ["EUR"] for r in server.requests)
    assert [d.day.isoformat() for d in days] == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    # force_decimal: the JSON number reached us as the Decimal it was written as.
    assert days[-1].rates["GBP"] == Decimal("0.86045")
    assert isinstance(days[-1].rates["USD"], Decimal)


async def test_forex_python_rates_asked_for_a_holiday_are_kept_under_the_day_they_were_published(
    server: RatesServer,
) -> None:
    days = await ForexPythonProvider(server.forex_url, timeout=5).fetch(dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    assert [(d.day, d.rates["USD"]) for d in days] == [(dt.date(2023, 12, 29), Decimal("1.1050"))]


async def test_forex_python_asks_for_a_bounded_number_of_days(server: RatesServer) -> None:
    provider = ForexPythonProvider(server.forex_url, timeout=5, max_days=3)
    await provider.fetch(dt.date(2023, 1, 1), FRI)
    assert server.paths() == ["/api/2024-01-03", "/api/2024-01-04", "/api/2024-01-05"]


async def test_forex_python_without_rates_for_a_day_is_a_provider_error(server: RatesServer) -> None:
    with pytest.raises(ProviderError, match=r"forex-python .*/api/2024-01-09: Currency Rates Source Not Ready"):
        await ForexPythonProvider(server.forex_url, timeout=5).fetch(dt.date(2024, 1, 9), dt.date(2024, 1, 9))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>oops</html>", "is not the JSON rates object expected"),
        (b'{"date": "2024-01-05", "rates": {"USD": "1.0921"}}', "rate of USD is '1.0921', not a number"),
        (b'{"date": "2024-01-05", "rates": {"USD": -1.0921}}', "rate of USD: -1.0921 is not a positive number"),
        (b'{"date": "2024-01-05", "rates": {}}', "no rates in the answer"),
        (b'{"date": "5.1.2024", "rates": {"USD": 1.0921}}', "date '5.1.2024' is not a date"),
        (b'{"date": "2024-01-05", "rates": {"usd": 1.0921}}', "currency 'usd' is not a three-letter ISO 4217 code"),
    ],
)
async def test_a_broken_forex_python_answer_is_a_provider_error(server: RatesServer, body: bytes, problem: str) -> None:
    server.overrides["/api/2024-01-05"] = (200, body)
    with pytest.raises(ProviderError) as error:
        await ForexPythonProvider(server.forex_url, timeout=5).fetch(FRI, FRI)
    assert problem in str(error.value)


async def test_a_scheduled_fetch_stores_the_ecb_rates_once_and_announces_each_new_day(server: RatesServer) -> None:
    store = FakeStore()
    deps = handlers.Deps(now=lambda: dt.datetime(2024, 1, 5, 17, 0, tzinfo=dt.UTC), backfill_days=7)
    provider = ecb(server)

    changed = await handlers.fetch_rates(provider, store.new_uow, deps)
    assert sorted(changed) == [
        dt.date(2023, 12, 29),
        dt.date(2024, 1, 2),
        dt.date(2024, 1, 3),
        dt.date(2024, 1, 4),
        FRI,
    ]
    assert server.paths() == ["/stats/eurofxref/eurofxref-hist-90d.xml"]
    events = [m for m in store.published if isinstance(m, fx.RatesPublished)]
    assert [(date_from_proto(e.day), e.count, e.source) for e in events][-1] == (FRI, 5, "ecb")
    assert len(events) == 5

    # Up to date: the next run asks nothing and announces nothing.
    assert await handlers.fetch_rates(provider, store.new_uow, deps) == {}
    assert len(server.requests) == 1
    assert len(store.published) == 5


def test_offline_settings_build_no_provider_at_all() -> None:
    assert providers_from(Settings(providers="ecb,forex_python")) == []


def test_online_settings_build_the_providers_in_order_at_their_urls() -> None:
    built = providers_from(Settings(offline=False, providers="forex_python,ecb", ecb_base_url="http://127.0.0.1:9/ecb"))
    assert [p.source for p in built] == ["forex_python", "ecb"]
    assert isinstance(built[1], EcbProvider) and built[1].base_url == "http://127.0.0.1:9/ecb/"


def test_settings_refuse_an_unknown_provider_and_a_url_that_is_not_http() -> None:
    with pytest.raises(ValueError, match="unknown rate providers \\['fixer'\\]"):
        Settings(providers="ecb,fixer")
    with pytest.raises(ValueError, match="must be an http:// or https:// URL"):
        Settings(ecb_base_url="ftp://example.org/")
