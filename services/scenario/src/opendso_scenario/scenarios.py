"""Scenarios as credit managers keep them: listed, read, created, edited, duplicated and deleted.

The store is the source of truth; ``deps.scenarios``, which the evaluation reads, is a copy of its
non-deleted scenarios. The instance that saves updates its copy at once, after the commit; every other
instance reloads on ``ScenarioChanged`` (a reload reads the whole table, so receiving it twice changes
nothing), and a periodic reload catches an event missed while disconnected. The shipped scenarios are
seeded at start when their code has no row, so a credit manager's edit or deletion of one is kept.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

from faststream.nats.annotations import NatsMessage
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest, NotFound, QueryError, ServiceRuntime
from opendso_contracts.registry import subject_for

from opendso_scenario.domain.builtin import builtin_scenarios
from opendso_scenario.domain.model import Scenario
from opendso_scenario.domain.scenario_codec import (
    ScenarioDefinition,
    ScenarioDefinitionError,
    scenario_from_dict,
    scenario_from_json,
    scenario_to_json,
)
from opendso_scenario.handlers import Deps
from opendso_scenario.store import DirtyCustomer, StoredScenario, UnitOfWork

log = logging.getLogger(__name__)
# How often every instance reloads the scenarios whatever the events say: the safety net for a
# ScenarioChanged missed while this instance was disconnected from NATS.
RELOAD_INTERVAL_SECONDS = 30.0
_CHANGE_TYPES = {
    "created": col.SCENARIO_CHANGE_TYPE_CREATED,
    "updated": col.SCENARIO_CHANGE_TYPE_UPDATED,
    "deleted": col.SCENARIO_CHANGE_TYPE_DELETED,
}


class Conflict(QueryError):
    """The request does not fit the scenario's current state (stale version, existing code, still in use)."""

    def __init__(self, detail: str) -> None:
        super().__init__("conflict", detail)


# -- queries -------------------------------------------------------------------------------------------------


async def list_scenarios(query: col.ListScenarios, uow: UnitOfWork, deps: Deps) -> col.Scenarios:
    """Every scenario by code; for a language, its own and those for any language."""
    stored = await uow.scenarios.all()
    if query.language:
        stored = [s for s in stored if s.language in ("", query.language)]
    return col.Scenarios(scenarios=[definition_proto(s, deps) for s in stored])


async def get_scenario(query: col.GetScenario, uow: UnitOfWork, deps: Deps) -> col.ScenarioDefinition:
    stored = await uow.scenarios.get(query.code)
    if stored is None or stored.deleted:
        raise NotFound(f"no scenario {query.code!r}")
    return definition_proto(stored, deps)


# -- commands ------------------------------------------------------------------------------------------------


async def save_scenario(command: col.SaveScenario, uow: UnitOfWork, deps: Deps) -> col.ScenarioSaved:
    """Create (``expected_version`` 0) or edit (the version read) a scenario; a stale version is a conflict."""
    _require_user(command.user)
    if command.expected_version < 0:
        raise InvalidRequest(f"expected_version: {command.expected_version} is negative (0 creates a scenario)")
    definition = definition_from_proto(command.scenario)
    code = definition.scenario.code
    current = await uow.scenarios.get(code)
    if current is not None and command.idempotency_key and current.request_key == command.idempotency_key:
        return col.ScenarioSaved(scenario=definition_proto(current, deps), replayed=True)
    uow.caused_by(None, correlation_id=command.correlation_id)
    if command.expected_version == 0:
        if current is not None and not current.deleted:
            raise Conflict(
                f"scenario {code!r} already exists (version {current.version}): "
                "edit it with its version, or choose another code"
            )
        return await _create(definition, current, command.user, command.idempotency_key, uow, deps)
    if current is None or current.deleted:
        raise NotFound(f"no scenario {code!r} to edit (expected_version 0 creates one)")
    if current.version != command.expected_version:
        raise Conflict(_stale(code, current.version, command.expected_version))
    if _same(current, definition):
        # Nothing changed: no new version, no event.
        return col.ScenarioSaved(scenario=definition_proto(current, deps))
    record = _record(
        definition,
        version=current.version + 1,
        builtin=current.builtin,
        by=command.user,
        request_key=command.idempotency_key,
        deps=deps,
    )
    if not await uow.scenarios.update(record, current.version):
        raise Conflict(_stale(code, None, command.expected_version))
    await _changed("updated", record, command.user, uow, deps)
    await uow.commit()
    deps.scenarios[code] = definition.scenario
    return col.ScenarioSaved(scenario=definition_proto(record, deps))


async def duplicate_scenario(command: col.DuplicateScenario, uow: UnitOfWork, deps: Deps) -> col.ScenarioSaved:
    """A copy of a scenario under a new code and name (its language unless another is given)."""
    _require_user(command.user)
    source = await uow.scenarios.get(command.code)
    if source is None or source.deleted:
        raise NotFound(f"no scenario {command.code!r} to duplicate")
    data = json.loads(source.definition)
    data.update(
        code=command.new_code,
        name=command.new_name or f"{source.name} (copy)",
        language=command.new_language or source.language,
    )
    definition = _parse(data, "new_code/new_name/new_language")
    current = await uow.scenarios.get(definition.scenario.code)
    if current is not None and not current.deleted:
        raise Conflict(f"scenario {definition.scenario.code!r} already exists: choose another new_code")
    uow.caused_by(None, correlation_id=command.correlation_id)
    return await _create(definition, current, command.user, "", uow, deps)


async def delete_scenario(command: col.DeleteScenario, uow: UnitOfWork, deps: Deps) -> col.ScenarioDeleted:
    """Delete a scenario nobody is sent to by configuration; customers still on it fall back to the default
    scenario at their next evaluation, which is asked for at once."""
    _require_user(command.user)
    code = command.code
    current = await uow.scenarios.get(code)
    if current is None or current.deleted:
        raise NotFound(f"no scenario {code!r}")
    if command.expected_version and current.version != command.expected_version:
        raise Conflict(_stale(code, current.version, command.expected_version))
    reason = _in_use(code, deps)
    if reason:
        raise Conflict(f"scenario {code!r} cannot be deleted: {reason}")
    record = dataclasses.replace(
        current,
        version=current.version + 1,
        deleted=True,
        updated_at=deps.now(),
        updated_by=command.user,
        request_key="",
    )
    if not await uow.scenarios.update(record, current.version):
        raise Conflict(_stale(code, None, current.version))
    uow.caused_by(None, correlation_id=command.correlation_id)
    await _changed("deleted", record, command.user, uow, deps)
    now = deps.now()
    await uow.repo.mark_dirty_many(
        [DirtyCustomer(c, now, "", command.correlation_id, "") for c in await uow.scenarios.customers_on(code)]
    )
    await uow.commit()
    deps.scenarios.pop(code, None)
    return col.ScenarioDeleted(code=code, version=record.version)


async def _create(
    definition: ScenarioDefinition,
    current: StoredScenario | None,
    user: str,
    request_key: str,
    uow: UnitOfWork,
    deps: Deps,
) -> col.ScenarioSaved:
    """Store a new scenario; over a deleted one of the same code its versions carry on, so they only grow."""
    code = definition.scenario.code
    record = _record(
        definition,
        version=1 if current is None else current.version + 1,
        builtin=False,
        by=user,
        request_key=request_key,
        deps=deps,
    )
    written = (
        await uow.scenarios.insert(record) if current is None else await uow.scenarios.update(record, current.version)
    )
    if not written:
        raise Conflict(f"scenario {code!r} was created meanwhile by someone else: read it, then edit it")
    await _changed("created", record, user, uow, deps)
    await uow.commit()
    deps.scenarios[code] = definition.scenario
    return col.ScenarioSaved(scenario=definition_proto(record, deps), created=True)


async def _changed(kind: str, record: StoredScenario, user: str, uow: UnitOfWork, deps: Deps) -> None:
    """The event every instance reloads on, and a review of every customer by the next daily pass: a scenario's
    steps decide what each of its customers is due."""
    event = col.ScenarioChanged(
        meta=uow.meta(), code=record.code, type=_CHANGE_TYPES[kind], version=record.version, user=user
    )
    if not record.deleted:
        event.scenario.CopyFrom(definition_proto(record, deps))
    await uow.publish(event)
    await uow.repo.review_all()


def _in_use(code: str, deps: Deps) -> str:
    """Why the configuration still sends customers to the scenario; "" when it does not."""
    if code == deps.default_scenario:
        return "it is the service's default scenario (OPENDSO_SCENARIO_DEFAULT_SCENARIO)"
    if deps.strategy is not None:
        rules = [r.name for r in deps.strategy.rules if r.scenario_code == code]
        if rules:
            return f"the strategy rules {', '.join(repr(r) for r in rules)} pick it; change them first"
        if deps.strategy.default_scenario == code:
            return "it is the strategy's default scenario"
    return ""


def _stale(code: str, stored: int | None, expected: int) -> str:
    now = f"is at version {stored}" if stored is not None else "changed"
    return f"scenario {code!r} {now}, not {expected}: someone saved it meanwhile; read it again and redo the change"


def _require_user(user: str) -> None:
    if not user.strip():
        raise InvalidRequest("user is required: a change to a scenario records who made it")


def _same(stored: StoredScenario, definition: ScenarioDefinition) -> bool:
    return stored.definition == scenario_to_json(definition.scenario, definition.language)


def _record(
    definition: ScenarioDefinition, *, version: int, builtin: bool, by: str, request_key: str, deps: Deps
) -> StoredScenario:
    scenario = definition.scenario
    return StoredScenario(
        code=scenario.code,
        name=scenario.name,
        language=definition.language,
        definition=scenario_to_json(scenario, definition.language),
        version=version,
        builtin=builtin,
        deleted=False,
        updated_at=deps.now(),
        updated_by=by,
        request_key=request_key,
    )


# -- proto <-> definition ------------------------------------------------------------------------------------


def definition_from_proto(message: col.ScenarioDefinition) -> ScenarioDefinition:
    """The definition a request carries; ``InvalidRequest`` names every step and field that is wrong."""
    data: dict[str, Any] = {
        "code": message.code,
        "name": message.name,
        "language": message.language,
        "minimum_amount": message.minimum_amount or "0",
        "steps": [
            {
                "code": s.code,
                "offset_days": s.offset_days,
                "anchor": s.anchor,
                "channel": s.channel,
                "template": s.template,
                "automatic": s.automatic,
                "also": [{"channel": a.channel, "template": a.template} for a in s.also],
                "product_group": s.product_group or None,
                "minimum_amount": s.minimum_amount or None,
            }
            for s in message.steps
        ],
    }
    return _parse(data, "scenario")


def _parse(data: dict[str, Any], where: str) -> ScenarioDefinition:
    try:
        return scenario_from_dict(data)
    except ScenarioDefinitionError as exc:
        raise InvalidRequest(f"{where}: {exc}") from None


def definition_proto(stored: StoredScenario, deps: Deps) -> col.ScenarioDefinition:
    data = json.loads(stored.definition)
    answer = col.ScenarioDefinition(
        code=stored.code,
        name=stored.name,
        language=stored.language,
        steps=[
            col.ScenarioStepDefinition(
                code=s["code"],
                offset_days=s["offset_days"],
                anchor=s["anchor"],
                channel=s["channel"],
                template=s["template"],
                automatic=s["automatic"],
                also=[col.StepChannel(channel=a["channel"], template=a["template"]) for a in s.get("also", [])],
                product_group=s.get("product_group") or "",
                minimum_amount=s.get("minimum_amount") or "",
            )
            for s in data["steps"]
        ],
        minimum_amount=data.get("minimum_amount", "0"),
        version=stored.version,
        builtin=stored.builtin,
        updated_by=stored.updated_by,
        is_default=stored.code == deps.default_scenario,
        used_by_rules=[r.name for r in deps.strategy.rules if r.scenario_code == stored.code] if deps.strategy else [],
    )
    answer.updated_at.FromDatetime(stored.updated_at)
    return answer


# -- loading, seeding, reloading -----------------------------------------------------------------------------


def builtin_records(deps: Deps) -> list[StoredScenario]:
    """The shipped scenarios as rows at version 1."""
    return [
        _record(ScenarioDefinition(s), version=1, builtin=True, by="opendso", request_key="", deps=deps)
        for s in builtin_scenarios().values()
    ]


async def seed_builtin(uow: UnitOfWork, deps: Deps) -> list[str]:
    """Store the shipped scenarios that have no row (never one edited or deleted); answers those stored."""
    return await uow.scenarios.seed(builtin_records(deps))


async def load(uow: UnitOfWork) -> dict[str, Scenario]:
    """The stored, non-deleted scenarios by code. A row that no longer reads (edited by hand in the database)
    is logged and left out rather than stopping every other scenario."""
    loaded: dict[str, Scenario] = {}
    for stored in await uow.scenarios.all():
        try:
            loaded[stored.code] = scenario_from_json(stored.definition).scenario
        except ScenarioDefinitionError as exc:
            log.error("stored scenario %r (version %d) is unreadable, left out: %s", stored.code, stored.version, exc)
    return loaded


def install(deps: Deps, loaded: dict[str, Scenario]) -> bool:
    """Make ``deps.scenarios`` the loaded ones, in place (the evaluation holds that dict); True if it changed.

    The default scenario is kept if the store lacks it: evaluation falls back on it and must always find it.
    """
    if deps.default_scenario not in loaded and deps.default_scenario in deps.scenarios:
        log.error("the default scenario %r is not in the store; keeping the one in memory", deps.default_scenario)
        loaded = {**loaded, deps.default_scenario: deps.scenarios[deps.default_scenario]}
    if loaded == deps.scenarios:
        return False
    # No await between clear and update: no other coroutine can see the dict half filled.
    deps.scenarios.clear()
    deps.scenarios.update(loaded)
    return True


async def reload(uow_factory: Callable[[], UnitOfWork], deps: Deps) -> bool:
    """Read the store's scenarios into ``deps.scenarios``; True if anything changed."""
    async with uow_factory() as uow:
        loaded = await load(uow)
    return install(deps, loaded)


async def seed_and_load(uow_factory: Callable[[], UnitOfWork], deps: Deps, retry_seconds: float = 2.0) -> None:
    """At start: seed the shipped scenarios, then load the store's. Retried until the database answers, since
    evaluating before would use the shipped scenarios instead of the credit managers' edits."""
    while True:
        try:
            async with uow_factory() as uow:
                seeded = await seed_builtin(uow, deps)
                await uow.commit()
            if seeded:
                log.info("seeded the shipped scenarios %s", ", ".join(seeded))
            await reload(uow_factory, deps)
            return
        except Exception:
            log.exception("seeding or loading the scenarios failed; retrying in %.0fs", retry_seconds)
            await asyncio.sleep(retry_seconds)


async def reload_pass(
    uow_factory: Callable[[], UnitOfWork], deps: Deps, interval: float = RELOAD_INTERVAL_SECONDS
) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            if await reload(uow_factory, deps):
                log.info("scenarios reloaded: %s", ", ".join(sorted(deps.scenarios)))
        except Exception:
            log.exception("reloading the scenarios failed; next try in %.0fs", interval)


def subscribe(runtime: ServiceRuntime[UnitOfWork], deps: Deps) -> None:
    """Answer the scenario queries and reload on every ScenarioChanged.

    The reload listens on a plain (core NATS) subscription without a queue group: a durable consumer is
    shared by a service's instances, so only one of them would see each event, while every instance holds
    its own copy. The event itself stays durable in the stream for the timeline and other consumers.
    """

    async def on_changed(msg: NatsMessage) -> None:
        if await reload(runtime.uow, deps):
            log.info("scenarios reloaded after a change: %s", ", ".join(sorted(deps.scenarios)))

    on_changed.__name__ = "scenario_reload_on_scenario_changed"
    runtime.broker.subscriber(subject_for(col.ScenarioChanged))(on_changed)

    async def listing(query: col.ListScenarios) -> col.Scenarios:
        async with runtime.uow() as uow:
            return await list_scenarios(query, uow, deps)

    async def one(query: col.GetScenario) -> col.ScenarioDefinition:
        async with runtime.uow() as uow:
            return await get_scenario(query, uow, deps)

    async def save(command: col.SaveScenario) -> col.ScenarioSaved:
        async with runtime.uow() as uow:
            return await save_scenario(command, uow, deps)

    async def duplicate(command: col.DuplicateScenario) -> col.ScenarioSaved:
        async with runtime.uow() as uow:
            return await duplicate_scenario(command, uow, deps)

    async def delete(command: col.DeleteScenario) -> col.ScenarioDeleted:
        async with runtime.uow() as uow:
            return await delete_scenario(command, uow, deps)

    runtime.on_query(col.ListScenarios, listing)
    runtime.on_query(col.GetScenario, one)
    runtime.on_query(col.SaveScenario, save)
    runtime.on_query(col.DuplicateScenario, duplicate)
    runtime.on_query(col.DeleteScenario, delete)
