"""The fx service over its real store and migrations on SQLite and PostgreSQL, and its queries over a real
NATS server: rates stored exactly, read back at a date, announced once through the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import nats
import pytest
from opendso.common.v1.common_pb2 import Money
from opendso.fx.v1 import fx_pb2 as fx
from opendso_bus import NotFound, RemoteError
from opendso_bus.client import request
from opendso_bus.outbox import Outbox
from opendso_bus.service import prepare_database
from opendso_contracts.convert import date_from_proto, date_to_proto
from opendso_contracts.registry import subject_for
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_fx import handlers
from opendso_fx.app import MIGRATIONS, create_app
from opendso_fx.domain.rates import DayRates
from opendso_fx.settings import Settings
from opendso_fx.store import OUTBOX, UnitOfWork, rates
from sqlalchemy import func, select

from conftest import MakeDatabase, eventually

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data"
NOW = dt.datetime(2024, 1, 8, 9, 30, tzinfo=dt.UTC)
DEPS = handlers.Deps(now=lambda: NOW)
FRI = dt.date(2024, 1, 5)
SAT = dt.date(2024, 1, 6)
RATES_PUBLISHED = subject_for(fx.RatesPublished)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("fx")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "fx")
    await engine.dispose()


async def import_file(new_uow: Callable[[], UnitOfWork], name: str, content: bytes | None = None) -> fx.RatesImported:
    command = fx.ImportRates(file_name=name, content=content if content is not None else (DATA / name).read_bytes())
    async with new_uow() as uow:
        return await handlers.import_rates(command, uow, DEPS)


async def get_rate(new_uow: Callable[[], UnitOfWork], source: str, target: str, on: dt.date) -> fx.Rate:
    async with new_uow() as uow:
        query = fx.GetRate(from_currency=source, to_currency=target, on=date_to_proto(on))
        return await handlers.get_rate(query, uow, DEPS)


async def announced(new_uow: Callable[[], UnitOfWork]) -> int:
    async with new_uow() as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.subject == RATES_PUBLISHED)
        )
    return int(count or 0)


async def test_rates_are_stored_exactly_and_read_back_at_a_date(new_uow: Callable[[], UnitOfWork]) -> None:
    report = await import_file(new_uow, "eurofxref-hist-90d.xml")
    assert (report.count, report.changed, report.days) == (25, 25, 5)
    await import_file(new_uow, "eurofxref-daily.xml")

    async with new_uow() as uow:
        stored = {
            (r.currency, r.day): r.rate
            for r in await uow.session.execute(select(rates.c.currency, rates.c.day, rates.c.rate))
        }
    # Exact on both backends: no float, and no padding to the PostgreSQL column's scale.
    assert str(stored[("GBP", FRI)]) == "0.86045"
    assert str(stored[("PLN", FRI)]) == "4.358"
    assert stored[("HUF", FRI)] == Decimal("378.45")

    answer = await get_rate(new_uow, "USD", "JPY", SAT)
    assert (answer.rate, date_from_proto(answer.published_on), answer.source) == ("144.748649391", FRI, "ecb_file")


async def test_importing_a_file_again_announces_nothing_new(new_uow: Callable[[], UnitOfWork]) -> None:
    await import_file(new_uow, "eurofxref-hist-90d.xml")
    assert await announced(new_uow) == 5
    report = await import_file(new_uow, "eurofxref-hist-90d.xml")
    assert report.changed == 0
    assert await announced(new_uow) == 5


async def test_a_manual_rate_wins_its_day_only_and_keeps_who_entered_it(new_uow: Callable[[], UnitOfWork]) -> None:
    await import_file(new_uow, "eurofxref-hist-90d.xml")
    command = fx.SetManualRate(currency="USD", on=date_to_proto(dt.date(2024, 1, 4)), rate="1.2", user="anna")
    async with new_uow() as uow:
        await handlers.set_manual_rate(command, uow, DEPS)
    assert (await get_rate(new_uow, "EUR", "USD", dt.date(2024, 1, 4))).rate == "1.2"
    assert (await get_rate(new_uow, "EUR", "USD", FRI)).rate == "1.0921"
    async with new_uow() as uow:
        who = await uow.session.scalar(select(rates.c.entered_by).where(rates.c.source == "manual"))
    assert who == "anna"
    assert await announced(new_uow) == 6


async def test_a_missing_rate_is_not_found_on_a_real_store(new_uow: Callable[[], UnitOfWork]) -> None:
    await import_file(new_uow, "eurofxref-hist.xml")
    with pytest.raises(NotFound, match="no EUR->USD rate published between 2023-07-05 and 2023-07-15"):
        await get_rate(new_uow, "USD", "GBP", dt.date(2023, 7, 15))


async def test_a_long_history_is_stored_in_one_import_and_corrected_by_a_later_file(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    # Two years of 20 currencies: enough rows for PostgreSQL's COPY path.
    currencies = [f"X{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(20)]
    start = dt.date(2020, 1, 1)
    days = [start + dt.timedelta(days=n) for n in range(730) if (start + dt.timedelta(days=n)).weekday() < 5]
    cubes = "".join(
        f'<Cube time="{d.isoformat()}">'
        + "".join(
            f'<Cube currency="{c}" rate="{i + 1}.{d.toordinal() % 10000:04d}"/>' for i, c in enumerate(currencies)
        )
        + "</Cube>"
        for d in reversed(days)
    )
    envelope = (
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>{}</Cube></gesmes:Envelope>'
    )
    report = await import_file(new_uow, "long.xml", envelope.format(cubes).encode())
    assert (report.count, report.changed) == (len(days) * 20, len(days) * 20)
    last = days[-1]
    answer = await get_rate(new_uow, "EUR", "XAC", last)
    assert answer.rate == f"3.{last.toordinal() % 10000:04d}".rstrip("0")

    corrected = envelope.format(f'<Cube time="{last.isoformat()}"><Cube currency="XAC" rate="3.5"/></Cube>')
    report = await import_file(new_uow, "correction.xml", corrected.encode())
    assert report.changed == 1
    assert (await get_rate(new_uow, "EUR", "XAC", last)).rate == "3.5"


class OneDayProvider:
    source = "ecb"

    async def fetch(self, first: dt.date, last: dt.date) -> list[DayRates]:
        return [DayRates(FRI, {"USD": Decimal("1.0921"), "CZK": Decimal("24.703")})]


async def test_a_fetched_day_and_a_file_of_the_same_day_live_side_by_side(new_uow: Callable[[], UnitOfWork]) -> None:
    await handlers.fetch_rates(OneDayProvider(), new_uow, DEPS)
    await import_file(new_uow, "eurofxref-daily.xml")
    async with new_uow() as uow:
        assert await uow.repo.latest_days() == {"ecb": FRI, "ecb_file": FRI}
    # The live ECB rate outranks an uploaded copy of the same day.
    assert (await get_rate(new_uow, "EUR", "CZK", FRI)).source == "ecb"
    assert (await get_rate(new_uow, "EUR", "GBP", FRI)).source == "ecb_file"
    assert await handlers.fetch_rates(OneDayProvider(), new_uow, DEPS) == {}


async def test_the_service_answers_over_the_bus_and_publishes_new_days(
    nats_url: str, make_database: MakeDatabase
) -> None:
    settings = Settings(
        nats_url=nats_url, database_url=await make_database("fx_bus"), trace_exporter="none", outbox_poll_seconds=0.1
    )
    await prepare_database(settings, MIGRATIONS)
    runtime, _ = create_app(settings)
    await runtime.start()
    nc = await nats.connect(nats_url)
    try:
        correlation = f"fx-{uuid.uuid4().hex}"
        content = (DATA / "eurofxref-hist-90d.xml").read_bytes()
        command = fx.ImportRates(file_name="eurofxref-hist-90d.xml", content=content, correlation_id=correlation)
        report = await request(nc, command, fx.RatesImported, timeout=10)
        assert report.days == 5

        on = date_to_proto(SAT)
        rate = await request(nc, fx.GetRate(from_currency="EUR", to_currency="USD", on=on), fx.Rate)
        assert (rate.rate, date_from_proto(rate.published_on)) == ("1.0921", FRI)
        amount = Money(amount="100.00", currency="EUR")
        done = await request(nc, fx.Convert(amount=amount, to_currency="USD", on=on), fx.Conversion)
        assert (done.converted.amount, done.converted.currency) == ("109.21", "USD")

        with pytest.raises(RemoteError) as missing:
            await request(nc, fx.GetRate(from_currency="EUR", to_currency="PLN", on=on), fx.Rate)
        assert (missing.value.code, missing.value.detail) == (
            "not_found",
            "no EUR->PLN rate on 2024-01-06: no EUR->PLN rate published between 2023-12-27 and 2024-01-06",
        )
        with pytest.raises(RemoteError) as invalid:
            await request(nc, fx.SetManualRate(currency="USD", on=on, rate="1.1"), fx.Rate)
        assert (invalid.value.code, invalid.value.detail) == (
            "invalid",
            "user: is required: a manual rate is kept with who entered it",
        )

        seen: list[fx.RatesPublished] = []
        js = nc.jetstream()
        subscription = await js.subscribe(RATES_PUBLISHED, ordered_consumer=True)

        async def all_days_announced() -> bool:
            try:
                while True:
                    message = await subscription.next_msg(timeout=0.05)
                    event = fx.RatesPublished.FromString(message.data)
                    if event.meta.correlation_id == correlation:
                        seen.append(event)
            except nats.errors.TimeoutError:
                pass
            return len(seen) >= 5

        await eventually(all_days_announced)
        assert sorted(date_from_proto(e.day).isoformat() for e in seen)[-1] == "2024-01-05"
        assert {e.meta.source for e in seen} == {"fx"}
    finally:
        await nc.close()
        await runtime.stop()
        await runtime.sessions.kw["bind"].dispose()
