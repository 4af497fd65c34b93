"""The status catalogue and the sending hours on SQLite and PostgreSQL: stored over the version read only, read back,
their change event in the outbox, and the statuses items hold counted."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus.outbox import Outbox
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_scenario import handlers, sending_hours, status_catalogue
from opendso_scenario.app import MIGRATIONS
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.status_catalogue import Conflict
from opendso_scenario.store import OUTBOX, CustomerRecord, ItemStatusRecord, UnitOfWork
from sqlalchemy import select

from conftest import MakeDatabase

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario_settings")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


def deps() -> handlers.Deps:
    return handlers.Deps(
        today=lambda: AT.date(),
        now=lambda: AT,
        settle_seconds=1.0,
        scenarios=builtin_scenarios(),
        default_scenario="standard",
    )


async def test_the_catalogue_is_replaced_over_its_version_only_and_in_use_statuses_are_counted(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    async with new_uow() as uow:
        await uow.repo.upsert_customer(
            CustomerRecord("FR01/C1", "FR01", "C1", "Client", "ap@x.example", "fr", "", "standard"), AT
        )
        await uow.qualifications.save_statuses(
            [
                ItemStatusRecord(f"FR01/invoice/{n}", "FR01/C1", "do_not_chase", AT.date(), "", "", "anna", f"k{n}")
                for n in (1, 2)
            ]
        )
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.settings.statuses_in_use() == {"do_not_chase": 2}
        current = await status_catalogue.get_status_catalogue(col.GetStatusCatalogue(), uow)
    extra = col.StatusDefinition(code="call_back", labels={"en": "Call back", "fr": "Rappeler"})
    command = col.ReplaceStatusCatalogue(statuses=[*current.statuses, extra], expected_version=0, user="ada")
    async with new_uow() as uow:
        saved = await status_catalogue.replace_status_catalogue(command, uow, deps())
    assert saved.catalogue.version == 1
    async with new_uow() as uow:
        read = await status_catalogue.get_status_catalogue(col.GetStatusCatalogue(), uow)
        assert (read.version, read.updated_by, read.statuses[-1].labels["fr"]) == (1, "ada", "Rappeler")
        assert read.updated_at.ToDatetime(tzinfo=dt.UTC) == AT
        events = (await uow.session.execute(select(OUTBOX.c.subject))).scalars().all()
        assert "opendso.collection.v1.status_catalogue_changed" in events
        # Saved over version 0 again: the row is at 1, nothing is written.
        stored = await uow.settings.status_catalogue("")
        assert stored is not None
        assert not await uow.settings.save_status_catalogue(stored, 0)
        assert not await uow.settings.save_status_catalogue(stored, 7)
    async with new_uow() as uow:
        with pytest.raises(Conflict):
            await status_catalogue.replace_status_catalogue(command, uow, deps())


async def test_an_entitys_hours_are_stored_and_change_its_window(new_uow: Callable[[], UnitOfWork]) -> None:
    window = {"time_zone": "Europe/Paris", "slots": [{"start": "08:00", "end": "18:00"}]}
    async with new_uow() as uow:
        await uow.repo.upsert_windows({"FR01": json.dumps(window)}, AT, {"FR01": "FR"})
        await uow.commit()
    command = col.SetSendingHours(
        entity="FR01",
        weekdays=["sat"],
        slots=[col.TimeSlot(start="10:00", end="12:00")],
        expected_version=0,
        user="ada",
    )
    async with new_uow() as uow:
        saved = await sending_hours.set_sending_hours(command, uow, deps())
    assert (saved.hours.version, saved.hours.time_zone) == (1, "Europe/Paris")
    async with new_uow() as uow:
        found = await sending_hours.window_of("FR01", uow)
        assert found is not None
        assert (found.weekdays, [f"{s:%H:%M}-{e:%H:%M}" for s, e in found.slots]) == (frozenset({5}), ["10:00-12:00"])
        assert await sending_hours.window_of("XX01", uow) is None
        read = await sending_hours.get_sending_hours(col.GetSendingHours(entity="FR01"), uow, deps())
        assert (read.version, list(read.weekdays), read.updated_by) == (1, ["sat"], "ada")
