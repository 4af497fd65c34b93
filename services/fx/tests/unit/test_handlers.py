"""The fx service's handlers over an in-memory store: queries answered from the stored history, files and
manual rates stored once, a RatesPublished per changed day, and refusals that name what and where."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from opendso.common.v1.common_pb2 import Date, Money
from opendso.fx.v1 import fx_pb2 as fx
from opendso_bus import InvalidRequest, NotFound
from opendso_contracts.convert import date_from_proto, date_to_proto
from opendso_fx import handlers
from opendso_fx.domain.rates import DayRates

from .fakes import FakeStore

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = dt.datetime(2024, 1, 8, 9, 30, tzinfo=dt.UTC)
DEPS = handlers.Deps(now=lambda: NOW)
FRI = dt.date(2024, 1, 5)
SAT = dt.date(2024, 1, 6)


def events(store: FakeStore) -> list[fx.RatesPublished]:
    return [m for m in store.published if isinstance(m, fx.RatesPublished)]


async def imported(
    store: FakeStore, file: str = "eurofxref-hist-90d.xml", correlation_id: str = ""
) -> fx.RatesImported:
    command = fx.ImportRates(file_name=file, content=(DATA / file).read_bytes(), correlation_id=correlation_id)
    return await handlers.import_rates(command, store.uow(), DEPS)


async def rate(store: FakeStore, source: str, target: str, on: dt.date) -> fx.Rate:
    query = fx.GetRate(from_currency=source, to_currency=target, on=date_to_proto(on))
    return await handlers.get_rate(query, store.uow(), DEPS)


@pytest.fixture
async def store() -> FakeStore:
    filled = FakeStore()
    await imported(filled)
    filled.published.clear()
    return filled


async def test_an_imported_file_is_counted_and_announced_day_by_day() -> None:
    store = FakeStore()
    report = await imported(store, correlation_id="req-1")
    assert (report.count, report.days, report.changed) == (25, 5, 25)
    assert (date_from_proto(report.first_day), date_from_proto(report.last_day)) == (dt.date(2023, 12, 29), FRI)
    announced = events(store)
    assert [(date_from_proto(e.day).isoformat(), e.count, e.source) for e in announced] == [
        ("2023-12-29", 5, "ecb_file"),
        ("2024-01-02", 5, "ecb_file"),
        ("2024-01-03", 5, "ecb_file"),
        ("2024-01-04", 5, "ecb_file"),
        ("2024-01-05", 5, "ecb_file"),
    ]
    assert {e.meta.correlation_id for e in announced} == {"req-1"}
    assert len({e.meta.event_id for e in announced}) == 5


async def test_the_same_file_imported_again_changes_and_announces_nothing(store: FakeStore) -> None:
    report = await imported(store)
    assert (report.count, report.changed) == (25, 0)
    assert store.published == []


async def test_a_file_overlapping_what_is_stored_announces_only_its_new_days(store: FakeStore) -> None:
    report = await imported(store, "eurofxref-daily.xml")
    # The daily file has four currencies the 90-day sample lacks; its other five rates are the same.
    assert (report.count, report.changed) == (9, 4)
    assert [(date_from_proto(e.day), e.count) for e in events(store)] == [(FRI, 4)]


async def test_a_malformed_file_is_refused_with_its_name_and_line() -> None:
    command = fx.ImportRates(file_name="rates.xml", content=b"<Envelope>\n<Cube></Envelope>")
    with pytest.raises(InvalidRequest) as refused:
        await handlers.import_rates(command, FakeStore().uow(), DEPS)
    assert refused.value.detail.startswith("rates.xml: not well-formed XML")
    assert "line 2" in refused.value.detail


async def test_an_empty_upload_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        await handlers.import_rates(fx.ImportRates(file_name="rates.xml"), FakeStore().uow(), DEPS)
    assert refused.value.detail == "rates.xml: the file is empty"


async def test_a_weekend_rate_is_fridays_with_its_publication_day(store: FakeStore) -> None:
    answer = await rate(store, "EUR", "USD", SAT)
    assert (answer.rate, answer.source) == ("1.0921", "ecb_file")
    assert (date_from_proto(answer.on), date_from_proto(answer.published_on)) == (SAT, FRI)


async def test_a_cross_rate_is_answered_as_a_decimal_string(store: FakeStore) -> None:
    answer = await rate(store, "GBP", "CHF", FRI)
    assert answer.rate == "1.08141088965"
    assert (answer.from_currency, answer.to_currency) == ("GBP", "CHF")


async def test_a_rate_beyond_the_look_back_is_not_found_naming_the_pair_and_the_date(store: FakeStore) -> None:
    with pytest.raises(NotFound) as missing:
        await rate(store, "USD", "JPY", dt.date(2024, 1, 16))
    assert missing.value.detail == (
        "no USD->JPY rate on 2024-01-16: no EUR->USD rate published between 2024-01-06 and 2024-01-16"
    )


async def test_a_currency_never_published_is_not_found(store: FakeStore) -> None:
    with pytest.raises(NotFound, match="no EUR->XAU rate published"):
        await rate(store, "EUR", "XAU", FRI)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (fx.GetRate(to_currency="USD", on=Date(year=2024, month=1, day=5)), "from_currency is required"),
        (
            fx.GetRate(from_currency="EUR", to_currency="us dollars", on=Date(year=2024, month=1, day=5)),
            "to_currency 'us dollars' is not a three-letter ISO 4217 code in capitals",
        ),
        (fx.GetRate(from_currency="EUR", to_currency="USD"), "on is required"),
        (
            fx.GetRate(from_currency="EUR", to_currency="USD", on=Date(year=2024, month=2, day=30)),
            "on: 2024-02-30 is not a date",
        ),
    ],
)
async def test_a_bad_rate_question_is_refused_naming_the_field(
    store: FakeStore, query: fx.GetRate, message: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await handlers.get_rate(query, store.uow(), DEPS)
    assert refused.value.detail == message


async def test_a_conversion_answers_the_amount_the_result_and_the_rate_used(store: FakeStore) -> None:
    query = fx.Convert(amount=Money(amount="1000.00", currency="USD"), to_currency="JPY", on=date_to_proto(SAT))
    answer = await handlers.convert(query, store.uow(), DEPS)
    assert (answer.amount.amount, answer.amount.currency) == ("1000.00", "USD")
    assert (answer.converted.amount, answer.converted.currency) == ("144749", "JPY")
    assert (answer.rate.rate, date_from_proto(answer.rate.published_on)) == ("144.748649391", FRI)


async def test_a_conversion_without_a_rate_is_not_found_and_never_at_one(store: FakeStore) -> None:
    query = fx.Convert(amount=Money(amount="10.00", currency="USD"), to_currency="PLN", on=date_to_proto(FRI))
    with pytest.raises(NotFound, match="no USD->PLN rate on 2024-01-05"):
        await handlers.convert(query, store.uow(), DEPS)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Money(amount="1e3", currency="USD"), "amount.amount: '1e3' is not a decimal amount such as 1250.00"),
        (Money(amount="", currency="USD"), "amount.amount: '' is not a decimal amount"),
        (Money(amount="10.00", currency=""), "amount.currency is required"),
    ],
)
async def test_a_bad_amount_is_refused_naming_the_field(store: FakeStore, amount: Money, message: str) -> None:
    query = fx.Convert(amount=amount, to_currency="JPY", on=date_to_proto(FRI))
    with pytest.raises(InvalidRequest) as refused:
        await handlers.convert(query, store.uow(), DEPS)
    assert refused.value.detail.startswith(message)


async def test_a_manual_rate_wins_its_day_and_is_announced_once(store: FakeStore) -> None:
    command = fx.SetManualRate(currency="USD", on=date_to_proto(FRI), rate="1.1000", user="anna", correlation_id="r-9")
    answer = await handlers.set_manual_rate(command, store.uow(), DEPS)
    assert (answer.rate, answer.from_currency, answer.to_currency, answer.source) == ("1.1000", "EUR", "USD", "manual")
    assert (await rate(store, "EUR", "USD", SAT)).rate == "1.1000"
    assert [(e.count, e.source, e.meta.correlation_id) for e in events(store)] == [(1, "manual", "r-9")]
    assert store.repo.rows[("USD", FRI, "manual")][1] == "anna"

    await handlers.set_manual_rate(command, store.uow(), DEPS)
    assert len(events(store)) == 1


async def test_a_manual_rate_for_a_day_with_no_other_rate_fills_it(store: FakeStore) -> None:
    command = fx.SetManualRate(currency="PLN", on=date_to_proto(SAT), rate="4.36", user="anna")
    await handlers.set_manual_rate(command, store.uow(), DEPS)
    answer = await rate(store, "PLN", "EUR", dt.date(2024, 1, 7))
    assert (answer.rate, date_from_proto(answer.published_on), answer.source) == ("0.229357798165", SAT, "manual")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            fx.SetManualRate(currency="USD", on=Date(year=2024, month=1, day=9), rate="1.1", user="a"),
            "on: 2024-01-09 is after today",
        ),
        (fx.SetManualRate(currency="USD", rate="1.1", user="a"), "on: is required"),
        (
            fx.SetManualRate(currency="USD", on=Date(year=2024, month=1, day=5), rate="1,1", user="a"),
            "rate: '1,1' is not",
        ),
        (fx.SetManualRate(currency="USD", on=Date(year=2024, month=1, day=5), rate="1.1"), "user: is required"),
        (
            fx.SetManualRate(currency="EUR", on=Date(year=2024, month=1, day=5), rate="1", user="a"),
            "currency: rates are",
        ),
    ],
)
async def test_a_bad_manual_rate_is_refused_and_nothing_is_stored(
    store: FakeStore, command: fx.SetManualRate, message: str
) -> None:
    stored = dict(store.repo.rows)
    with pytest.raises(InvalidRequest) as refused:
        await handlers.set_manual_rate(command, store.uow(), DEPS)
    assert refused.value.detail.startswith(message)
    assert store.repo.rows == stored
    assert store.published == []


class ListProvider:
    source = "forex_python"

    def __init__(self, days: list[DayRates]) -> None:
        self.days = days
        self.asked: list[tuple[dt.date, dt.date]] = []

    async def fetch(self, first: dt.date, last: dt.date) -> list[DayRates]:
        self.asked.append((first, last))
        return [d for d in self.days if first <= d.day <= last]


async def test_a_scheduled_fetch_asks_only_for_the_days_after_the_last_one_stored() -> None:
    store = FakeStore()
    provider = ListProvider([DayRates(dt.date(2024, 1, 4), {"USD": Decimal("1.0953")})])
    deps = handlers.Deps(now=lambda: NOW, backfill_days=10)
    assert await handlers.fetch_rates(provider, store.new_uow, deps) == {dt.date(2024, 1, 4): 1}
    provider.days.append(DayRates(dt.date(2024, 1, 8), {"USD": Decimal("1.0950")}))
    await handlers.fetch_rates(provider, store.new_uow, deps)
    assert provider.asked == [(dt.date(2023, 12, 29), dt.date(2024, 1, 8)), (dt.date(2024, 1, 5), dt.date(2024, 1, 8))]
    assert [(date_from_proto(e.day), e.source) for e in events(store)] == [
        (dt.date(2024, 1, 4), "forex_python"),
        (dt.date(2024, 1, 8), "forex_python"),
    ]
