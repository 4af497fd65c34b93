"""Credit managers' scenarios in the scenario service, over fakes: list, read, create, edit, duplicate, delete,
and the copy the evaluation reads kept in step."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest, NotFound, QueryError
from opendso_scenario import scenarios
from opendso_scenario.domain.builtin import STANDARD, builtin_scenarios
from opendso_scenario.domain.strategy import DEFAULT_STRATEGY
from opendso_scenario.store import CustomerRecord

from .test_handlers import Harness


def steps(*days: int) -> list[col.ScenarioStepDefinition]:
    return [
        col.ScenarioStepDefinition(
            code=f"s{n}", offset_days=d, channel="email", template="first_reminder", automatic=True
        )
        for n, d in enumerate(days)
    ]


def polite(code: str = "polite", language: str = "fr", *days: int) -> col.ScenarioDefinition:
    return col.ScenarioDefinition(
        code=code, name="Polite", language=language, minimum_amount="20.00", steps=steps(*(days or (-2, 6)))
    )


def save(definition: col.ScenarioDefinition, version: int = 0, key: str = "") -> col.SaveScenario:
    return col.SaveScenario(
        scenario=definition, expected_version=version, user="claire", correlation_id="req-1", idempotency_key=key
    )


async def seeded(h: Harness) -> Harness:
    await scenarios.seed_builtin(h.uow(), h.deps)
    return h


def conflict(detail: str) -> Any:
    return pytest.raises(QueryError, match=detail)


async def test_the_shipped_scenarios_are_seeded_once_and_an_edit_of_one_is_never_seeded_over() -> None:
    h = await seeded(Harness())
    assert sorted(h.repo.scenarios.rows) == sorted(builtin_scenarios())
    assert all(r.builtin and r.version == 1 for r in h.repo.scenarios.rows.values())

    edited = polite("gentle", "", -1, 9)
    await scenarios.save_scenario(save(edited, version=1), h.uow(), h.deps)
    assert await scenarios.seed_builtin(h.uow(), h.deps) == []
    assert h.repo.scenarios.rows["gentle"].version == 2
    assert h.deps.scenarios["gentle"].steps[1].offset_days == 9


async def test_a_created_scenario_is_stored_published_and_chased_with_at_once() -> None:
    h = await seeded(Harness())
    reply = await scenarios.save_scenario(save(polite()), h.uow(), h.deps)

    assert reply.created and not reply.replayed
    assert (reply.scenario.code, reply.scenario.version, reply.scenario.builtin) == ("polite", 1, False)
    assert (reply.scenario.updated_by, reply.scenario.minimum_amount) == ("claire", "20.00")
    assert [s.offset_days for s in reply.scenario.steps] == [-2, 6]
    assert h.deps.scenarios["polite"].steps[1].template == "first_reminder"
    [event] = h.published(col.ScenarioChanged)
    assert (event.code, event.type, event.version, event.user) == (
        "polite",
        col.SCENARIO_CHANGE_TYPE_CREATED,
        1,
        "claire",
    )
    assert event.meta.correlation_id == "req-1" and event.scenario.name == "Polite"

    got = await scenarios.get_scenario(col.GetScenario(code="polite"), h.uow(), h.deps)
    assert got == reply.scenario


async def test_listing_by_language_gives_that_language_and_any_language() -> None:
    h = await seeded(Harness())
    await scenarios.save_scenario(save(polite("poli", "fr")), h.uow(), h.deps)
    await scenarios.save_scenario(save(polite("hoeflich", "de")), h.uow(), h.deps)

    french = await scenarios.list_scenarios(col.ListScenarios(language="fr"), h.uow(), h.deps)
    assert [s.code for s in french.scenarios] == ["firm", "gentle", "key_account", "poli", "standard"]
    everything = await scenarios.list_scenarios(col.ListScenarios(), h.uow(), h.deps)
    assert len(everything.scenarios) == 6
    assert [s.code for s in everything.scenarios if s.is_default] == ["standard"]


async def test_an_edit_on_a_stale_version_is_a_conflict_and_changes_nothing() -> None:
    h = await seeded(Harness())
    await scenarios.save_scenario(save(polite()), h.uow(), h.deps)
    first = await scenarios.save_scenario(save(polite("polite", "fr", -2, 8), version=1), h.uow(), h.deps)
    assert first.scenario.version == 2 and not first.created

    with conflict("scenario 'polite' is at version 2, not 1"):
        await scenarios.save_scenario(save(polite("polite", "fr", -2, 30), version=1), h.uow(), h.deps)
    assert h.deps.scenarios["polite"].steps[1].offset_days == 8
    assert h.repo.scenarios.rows["polite"].version == 2
    assert len(h.published(col.ScenarioChanged)) == 2


async def test_creating_an_existing_code_is_a_conflict_and_editing_a_missing_one_is_not_found() -> None:
    h = await seeded(Harness())
    with conflict("scenario 'standard' already exists"):
        await scenarios.save_scenario(save(polite("standard")), h.uow(), h.deps)
    with pytest.raises(NotFound, match="no scenario 'nothing' to edit"):
        await scenarios.save_scenario(save(polite("nothing"), version=3), h.uow(), h.deps)
    assert h.deps.scenarios["standard"] == STANDARD


async def test_a_retried_save_with_its_key_answers_what_the_first_wrote() -> None:
    h = await seeded(Harness())
    first = await scenarios.save_scenario(save(polite(), key="k-1"), h.uow(), h.deps)
    again = await scenarios.save_scenario(save(polite(), key="k-1"), h.uow(), h.deps)
    assert again.replayed and again.scenario == first.scenario
    assert len(h.published(col.ScenarioChanged)) == 1


async def test_saving_the_same_definition_again_makes_no_new_version() -> None:
    h = await seeded(Harness())
    await scenarios.save_scenario(save(polite()), h.uow(), h.deps)
    same = await scenarios.save_scenario(save(polite(), version=1), h.uow(), h.deps)
    assert same.scenario.version == 1
    assert len(h.published(col.ScenarioChanged)) == 1


async def test_a_bad_definition_is_refused_naming_the_step_and_field() -> None:
    h = await seeded(Harness())
    bad = polite()
    bad.steps[1].channel = "pigeon"
    bad.steps[0].template = ""
    with pytest.raises(InvalidRequest) as caught:
        await scenarios.save_scenario(save(bad), h.uow(), h.deps)
    assert "steps[0] ('s0'), template: is required" in caught.value.detail
    assert "steps[1] ('s1'), channel: 'pigeon' is not one of" in caught.value.detail
    with pytest.raises(InvalidRequest, match="user is required"):
        await scenarios.save_scenario(_no_user(), h.uow(), h.deps)
    assert "polite" not in h.repo.scenarios.rows


def _no_user() -> col.SaveScenario:
    command = save(polite())
    command.user = ""
    return command


async def test_a_duplicate_copies_the_steps_under_a_new_code_and_name() -> None:
    h = await seeded(Harness())
    reply = await scenarios.duplicate_scenario(
        col.DuplicateScenario(code="firm", new_code="firm_fr", new_language="fr", user="claire"), h.uow(), h.deps
    )
    assert (reply.scenario.code, reply.scenario.name, reply.scenario.language) == ("firm_fr", "Firm (copy)", "fr")
    assert h.deps.scenarios["firm_fr"].steps == builtin_scenarios()["firm"].steps
    with conflict("'firm_fr' already exists"):
        await scenarios.duplicate_scenario(
            col.DuplicateScenario(code="gentle", new_code="firm_fr", user="claire"), h.uow(), h.deps
        )
    with pytest.raises(InvalidRequest, match="code: 'bad code' must be"):
        await scenarios.duplicate_scenario(
            col.DuplicateScenario(code="gentle", new_code="bad code", user="claire"), h.uow(), h.deps
        )
    with pytest.raises(NotFound):
        await scenarios.duplicate_scenario(
            col.DuplicateScenario(code="nothing", new_code="x", user="claire"), h.uow(), h.deps
        )


async def test_the_default_scenario_and_one_the_strategy_picks_cannot_be_deleted() -> None:
    h = await seeded(Harness())
    h.deps = dataclasses.replace(h.deps, strategy=DEFAULT_STRATEGY)
    with conflict("'standard' cannot be deleted: it is the service's default scenario"):
        await scenarios.delete_scenario(col.DeleteScenario(code="standard", user="claire"), h.uow(), h.deps)
    with conflict("'firm' cannot be deleted: the strategy rules 'large balance', 'long overdue' pick it"):
        await scenarios.delete_scenario(col.DeleteScenario(code="firm", user="claire"), h.uow(), h.deps)
    got = await scenarios.get_scenario(col.GetScenario(code="firm"), h.uow(), h.deps)
    assert list(got.used_by_rules) == ["large balance", "long overdue"]
    assert h.published(col.ScenarioChanged) == []


async def test_customers_on_a_deleted_scenario_are_evaluated_again_and_fall_back_to_the_default() -> None:
    h = await seeded(Harness())
    await scenarios.save_scenario(save(polite()), h.uow(), h.deps)
    h.repo.customers["FR01/C9"] = CustomerRecord("FR01/C9", "FR01", "C9", "Martin", "", "fr", "", "polite")

    with conflict("is at version 1, not 4"):
        await scenarios.delete_scenario(
            col.DeleteScenario(code="polite", expected_version=4, user="claire"), h.uow(), h.deps
        )
    reply = await scenarios.delete_scenario(
        col.DeleteScenario(code="polite", expected_version=1, user="claire"), h.uow(), h.deps
    )

    assert reply.version == 2
    assert "polite" not in h.deps.scenarios
    assert "FR01/C9" in h.repo.dirty
    assert h.published(col.ScenarioChanged)[-1].type == col.SCENARIO_CHANGE_TYPE_DELETED
    with pytest.raises(NotFound):
        await scenarios.get_scenario(col.GetScenario(code="polite"), h.uow(), h.deps)
    listed = await scenarios.list_scenarios(col.ListScenarios(), h.uow(), h.deps)
    assert "polite" not in [s.code for s in listed.scenarios]
    # The same code again is a new scenario whose versions carry on.
    again = await scenarios.save_scenario(save(polite()), h.uow(), h.deps)
    assert again.created and again.scenario.version == 3


async def test_a_deleted_shipped_scenario_is_not_seeded_again() -> None:
    h = await seeded(Harness())
    await scenarios.delete_scenario(col.DeleteScenario(code="gentle", user="claire"), h.uow(), h.deps)
    assert await scenarios.seed_builtin(h.uow(), h.deps) == []
    assert await scenarios.reload(h.uow, h.deps) is False
    assert "gentle" not in h.deps.scenarios


async def test_a_reload_installs_the_stored_scenarios_in_place_and_twice_changes_nothing() -> None:
    h = await seeded(Harness())
    held = h.deps.scenarios
    # Another instance saved: the store has it, this instance's copy does not yet.
    other = Harness()
    other.repo = h.repo
    await scenarios.save_scenario(save(polite()), other.uow(), other.deps)
    assert "polite" not in held

    assert await scenarios.reload(h.uow, h.deps) is True
    assert held is h.deps.scenarios and "polite" in held
    assert await scenarios.reload(h.uow, h.deps) is False
