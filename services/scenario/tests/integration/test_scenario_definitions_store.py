"""Stored scenario definitions on SQLite and PostgreSQL: seeding, optimistic concurrency, deletion, and the
service's handlers over the real store."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable

import nats
import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import QueryError, RemoteError
from opendso_bus.client import request
from opendso_bus.outbox import Outbox
from opendso_bus.service import prepare_database
from opendso_db import create_engine, ensure_database, session_factory, upgrade
from opendso_scenario import handlers, scenarios
from opendso_scenario.app import MIGRATIONS, create_app
from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.settings import Settings
from opendso_scenario.store import OUTBOX, CustomerRecord, StoredScenario, UnitOfWork

from conftest import MakeDatabase, eventually

pytestmark = pytest.mark.integration
AT = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def new_uow(make_database: MakeDatabase) -> AsyncIterator[Callable[[], UnitOfWork]]:
    url = await make_database("scenario_defs")
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions, Outbox(OUTBOX), "scenario")
    await engine.dispose()


def deps() -> handlers.Deps:
    return handlers.Deps(
        today=AT.date,
        now=lambda: AT,
        settle_seconds=1.0,
        scenarios=builtin_scenarios(),
        default_scenario="standard",
    )


def polite(version: int = 1, offset: int = 6) -> StoredScenario:
    definition = (
        '{"code": "polite", "language": "fr", "minimum_amount": "0", "name": "Polite", "steps": [{"anchor": '
        f'"due_date", "automatic": true, "channel": "email", "code": "s0", "offset_days": {offset}, '
        '"template": "first_reminder"}]}'
    )
    return StoredScenario("polite", "Polite", "fr", definition, version, False, False, AT, "claire", "k-1")


async def test_definitions_round_trip_and_an_update_applies_only_to_the_version_it_names(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    async with new_uow() as uow:
        assert await uow.scenarios.insert(polite())
        assert not await uow.scenarios.insert(polite())  # the code exists: nothing written, no error
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.scenarios.get("polite") == polite()
        assert await uow.scenarios.update(polite(version=2, offset=9), expected_version=1)
        assert not await uow.scenarios.update(polite(version=2, offset=30), expected_version=1)
        await uow.commit()
    async with new_uow() as uow:
        stored = await uow.scenarios.get("polite")
        assert stored is not None and stored.version == 2 and '"offset_days": 9' in stored.definition
        assert stored.updated_at == AT
        assert await uow.scenarios.get("missing") is None


async def test_seeding_stores_the_shipped_scenarios_once_and_keeps_edits_and_deletions(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    d = deps()
    async with new_uow() as uow:
        assert sorted(await scenarios.seed_builtin(uow, d)) == sorted(builtin_scenarios())
        await uow.commit()
    async with new_uow() as uow:
        gentle = await uow.scenarios.get("gentle")
        assert gentle is not None and gentle.builtin
        await uow.scenarios.update(dataclasses.replace(gentle, version=2, name="Gentle, edited"), expected_version=1)
        firm = await uow.scenarios.get("firm")
        assert firm is not None
        await uow.scenarios.update(dataclasses.replace(firm, version=2, deleted=True), expected_version=1)
        await uow.commit()
    async with new_uow() as uow:
        assert await scenarios.seed_builtin(uow, d) == []
        await uow.commit()
    async with new_uow() as uow:
        assert [s.code for s in await uow.scenarios.all()] == ["gentle", "key_account", "standard"]
        assert len(await uow.scenarios.all(include_deleted=True)) == 4
        edited = await uow.scenarios.get("gentle")
        assert edited is not None and (edited.name, edited.version) == ("Gentle, edited", 2)
    assert await scenarios.reload(new_uow, d)
    assert "firm" not in d.scenarios and d.scenarios["gentle"] == builtin_scenarios()["gentle"]


async def test_two_instances_seeding_at_once_both_succeed(new_uow: Callable[[], UnitOfWork]) -> None:
    async def seed() -> list[str]:
        async with new_uow() as uow:
            seeded = await scenarios.seed_builtin(uow, deps())
            await uow.commit()
            return seeded

    first, second = await asyncio.gather(seed(), seed())
    assert sorted(first + second) == sorted(builtin_scenarios())


async def test_the_handlers_create_edit_conflict_and_delete_over_the_store(new_uow: Callable[[], UnitOfWork]) -> None:
    d = deps()
    await scenarios.seed_and_load(new_uow, d)
    definition = col.ScenarioDefinition(
        code="polite",
        name="Polite",
        language="fr",
        minimum_amount="15.00",
        steps=[col.ScenarioStepDefinition(code="s0", offset_days=4, channel="email", template="t", automatic=True)],
    )
    async with new_uow() as uow:
        created = await scenarios.save_scenario(col.SaveScenario(scenario=definition, user="claire"), uow, d)
    definition.steps[0].offset_days = 8
    async with new_uow() as uow:
        edited = await scenarios.save_scenario(
            col.SaveScenario(scenario=definition, expected_version=1, user="ana"), uow, d
        )
    definition.steps[0].offset_days = 20
    async with new_uow() as uow:
        with pytest.raises(QueryError, match="is at version 2, not 1") as caught:
            await scenarios.save_scenario(col.SaveScenario(scenario=definition, expected_version=1, user="bo"), uow, d)
        assert caught.value.code == "conflict"
    assert (created.scenario.version, edited.scenario.version, edited.scenario.updated_by) == (1, 2, "ana")
    assert d.scenarios["polite"].steps[0].offset_days == 8

    async with new_uow() as uow:
        await uow.repo.upsert_customers([CustomerRecord("FR01/C1", "FR01", "C1", "Dupont", "", "fr", "", "polite")], AT)
        await uow.commit()
    async with new_uow() as uow:
        deleted = await scenarios.delete_scenario(col.DeleteScenario(code="polite", user="claire"), uow, d)
    assert deleted.version == 3 and "polite" not in d.scenarios
    async with new_uow() as uow:
        assert [c.customer_id for c in await uow.repo.settled(AT, 10)] == ["FR01/C1"]
        listed = await scenarios.list_scenarios(col.ListScenarios(language="fr"), uow, d)
        assert "polite" not in [s.code for s in listed.scenarios]
    # A fresh instance starting now loads what the store says.
    fresh = deps()
    await scenarios.seed_and_load(new_uow, fresh)
    assert sorted(fresh.scenarios) == sorted(builtin_scenarios())


async def test_every_instance_holds_a_scenario_another_instance_saved_or_deleted(
    nats_url: str, make_database: MakeDatabase
) -> None:
    settings = Settings(
        nats_url=nats_url,
        database_url=await make_database("scenario_bus"),
        trace_exporter="none",
        outbox_poll_seconds=0.1,
    )
    await prepare_database(settings, MIGRATIONS)
    (one, deps_one), (two, deps_two) = create_app(settings), create_app(settings)
    await one.start()
    await two.start()
    nc = await nats.connect(nats_url)
    try:
        await scenarios.seed_and_load(one.uow, deps_one)
        await scenarios.seed_and_load(two.uow, deps_two)
        definition = col.ScenarioDefinition(
            code="polite",
            name="Polite",
            steps=[col.ScenarioStepDefinition(code="s0", offset_days=4, channel="email", template="t", automatic=True)],
        )
        saved = await request(nc, col.SaveScenario(scenario=definition, user="claire"), col.ScenarioSaved)
        assert saved.created

        async def both_hold_it() -> bool:
            return "polite" in deps_one.scenarios and "polite" in deps_two.scenarios

        # Whichever instance answered, the other learns of it from ScenarioChanged, not from its 30 s reload.
        await eventually(both_hold_it, timeout=10.0)
        refused = request(nc, col.DeleteScenario(code="standard", user="claire"), col.ScenarioDeleted)
        with pytest.raises(RemoteError, match="default scenario"):
            await refused
        await request(nc, col.DeleteScenario(code="polite", user="claire"), col.ScenarioDeleted)

        async def neither_holds_it() -> bool:
            return "polite" not in deps_one.scenarios and "polite" not in deps_two.scenarios

        await eventually(neither_holds_it, timeout=10.0)
        listed = await request(nc, col.ListScenarios(), col.Scenarios)
        assert sorted(s.code for s in listed.scenarios) == sorted(builtin_scenarios())
    finally:
        await nc.close()
        await one.stop()
        await two.stop()
