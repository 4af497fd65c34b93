"""Late-payment penalties on SQLite and PostgreSQL: settings stored and read back, the customers the pass looks
at, penalty items issued once with their event in the outbox, and a partial payment seen on the ledger."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_money import Money
from opendso_scenario import handlers, penalty_items
from opendso_scenario.app import MIGRATIONS
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.domain.penalties.issuing import PenaltySettings, PenaltyTerms
from opendso_scenario.store import OUTBOX, CustomerRecord, ItemRecord, PenaltySettingsRecord, UnitOfWork
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 1, 2, 9, 0, tzinfo=dt.UTC)
DUE = dt.date(2026, 1, 31)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario_penalties")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


def deps(today: dt.date) -> handlers.Deps:
    return handlers.Deps(
        today=lambda: today,
        now=lambda: AT,
        settle_seconds=1.0,
        scenarios=builtin_scenarios(),
        default_scenario="standard",
    )


def customer(account: str) -> CustomerRecord:
    return CustomerRecord(f"FR01/{account}", "FR01", account, f"Client {account}", "ap@x.example", "fr", "", "standard")


def invoice(account: str, open_amount: str) -> ItemRecord:
    return ItemRecord(
        f"FR01/invoice/{account}-1", f"FR01/{account}", f"{account}-1", "invoice", DUE - dt.timedelta(30), DUE,
        Decimal(open_amount), "EUR",
    )  # fmt: skip


async def test_settings_are_stored_and_read_back_into_the_book(new_uow: Callable[[], UnitOfWork]) -> None:
    async with new_uow() as uow:
        await uow.penalties.save_settings(
            PenaltySettingsRecord(
                "FR01", "", PenaltySettings(issue_items=True, minimum_interest=Money.of("5", "EUR")), "anna", AT
            )
        )
        await uow.penalties.save_settings(
            PenaltySettingsRecord("FR01", "C2", PenaltySettings(exempt_interest=True, law="DE"), "anna", AT)
        )
        await uow.commit()
    async with new_uow() as uow:
        stored = await uow.penalties.settings("FR01", "C2")
        assert stored is not None and stored.settings == PenaltySettings(exempt_interest=True, law="DE")
        assert stored.updated_at == AT and stored.updated_by == "anna"
        book = await uow.penalties.book_for([("FR01", "C2"), ("FR01", "C3")])
        assert book.terms("FR01", "C2", "FR") == PenaltyTerms("DE", True, False, True, Money.of("5.00", "EUR"))
        # A customer without settings of its own takes its entity's.
        assert book.terms("FR01", "C3", "FR") == PenaltyTerms("FR", True, True, True, Money.of("5.00", "EUR"))
        # Only the customers asked for are read.
        assert set((await uow.penalties.book_for([("FR01", "C3")])).rows) == {("FR01", "")}
    async with new_uow() as uow:
        # Replaced whole: a flag left out goes back to the entity's.
        await uow.penalties.save_settings(PenaltySettingsRecord("FR01", "C2", PenaltySettings(), "ben", AT))
        await uow.commit()
    async with new_uow() as uow:
        assert (await uow.penalties.book_for([("FR01", "C2")])).terms("FR01", "C2", "FR").charge_interest


async def test_penalty_items_are_issued_once_and_follow_the_ledger(new_uow: Callable[[], UnitOfWork]) -> None:
    async with new_uow() as uow:
        await uow.repo.upsert_windows({"FR01": "{}"}, AT, {"FR01": "FR"})
        await uow.repo.upsert_customers([customer("C1"), customer("C2")], AT)
        await uow.repo.upsert_items([invoice("C1", "1000.00"), invoice("C2", "500.00")], AT)
        await uow.penalties.save_settings(PenaltySettingsRecord("FR01", "", PenaltySettings(issue_items=True), "a", AT))
        await uow.penalties.save_settings(
            PenaltySettingsRecord("FR01", "C2", PenaltySettings(issue_items=False), "a", AT)
        )
        await uow.commit()

    march = deps(dt.date(2026, 3, 5))
    async with new_uow() as uow:
        assert await uow.penalties.customers_to_check(dt.date(2026, 3, 5), 10) == ["FR01/C1"]
    assert await penalty_items.issue_due(new_uow, march) == 2
    assert await penalty_items.issue_due(new_uow, march) == 0
    async with new_uow() as uow:
        assert await uow.penalties.customers_to_check(dt.date(2026, 3, 5), 10) == []
        issued = await uow.penalties.issued_of("FR01/C1")
        assert [(p.kind, p.amount, p.period_to) for p in issued] == [
            ("compensation", Decimal("40.00"), dt.date(2026, 2, 1)),
            ("interest", Decimal("9.32"), dt.date(2026, 2, 28)),
        ]
        # A second instance computing the same item inserts nothing.
        assert not await uow.penalties.add_issued(dataclasses.replace(issued[1], created_at=AT))
        kinds = [
            col.PenaltyIssued.FromString(row.payload).penalty.kind
            for row in await uow.session.execute(select(OUTBOX).order_by(OUTBOX.c.seq))
        ]
        assert sorted(kinds) == [col.PENALTY_KIND_INTEREST, col.PENALTY_KIND_COMPENSATION]

    # 600 paid on 10 March: seen by the next day's pass and dated by the ledger change.
    async with new_uow() as uow:
        await uow.repo.upsert_items([invoice("C1", "400.00")], dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC))
        await uow.commit()
    assert await penalty_items.issue_due(new_uow, deps(dt.date(2026, 3, 11))) == 0
    async with new_uow() as uow:
        watched = (await uow.penalties.watched_of("FR01/C1"))["FR01/invoice/C1-1"]
        assert watched.payments == ((dt.date(2026, 3, 10), Decimal("600.00")),)
        assert watched.principal == Decimal("1000.00") and not watched.closed
    assert await penalty_items.issue_due(new_uow, deps(dt.date(2026, 4, 2))) == 1
    async with new_uow() as uow:
        last = (await uow.penalties.issued_of("FR01/C1"))[-1]
        # 1,000 from 1 to 10 March, 400 from 11 to 31 March, FR 12.15 %.
        assert (last.amount, last.period_from, last.period_to) == (
            Decimal("6.13"),
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 31),
        )
