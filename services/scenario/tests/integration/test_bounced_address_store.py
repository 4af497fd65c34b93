"""Bounced addresses over the real store (SQLite, and PostgreSQL when reachable): flagged once whatever their
case, found among many."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_scenario.app import MIGRATIONS
from opendso_scenario.store import OUTBOX, BouncedAddress, UnitOfWork

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario_bounces")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


def bounced(address: str, reason: str) -> BouncedAddress:
    return BouncedAddress(
        address=address, channel="email", customer_id="FR01/C1", reason=reason, message_key="k1", bounced_at=NOW
    )


async def test_an_address_is_flagged_once_and_found_whatever_its_case(new_uow: Callable[[], UnitOfWork]) -> None:
    async with new_uow() as uow:
        first = await uow.bounces.flag(bounced("AP@Dupont.example", "Permanent/General"))
        again = await uow.bounces.flag(bounced("ap@dupont.example", "Permanent/NoEmail"))
        await uow.commit()

    async with new_uow() as uow:
        many = [f"someone{i}@example.com" for i in range(1200)]
        found = await uow.bounces.bounced_among(["ap@DUPONT.example", "other@dupont.example", "", *many])

    assert (first, again) == (True, False)
    assert found == {"ap@DUPONT.example"}
