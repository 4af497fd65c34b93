"""The item statuses as the organisation configured them: read, replaced with the version read, and used.

One catalogue for the whole organisation, stored as one versioned row; no row means the shipped
``DEFAULT_CATALOGUE``, at version 0. Every reader (qualification, the scenario exclusions, the next best
action, the last check before a scheduled action goes out) asks ``catalogue_of`` in its own unit of work: one
small read, and every instance sees a change as soon as it is committed, with no cache to keep in step.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest, QueryError

from opendso_scenario.domain.qualification import (
    BUILT_IN_CODES,
    DEFAULT_CATALOGUE,
    StatusCatalogue,
    StatusCatalogueError,
    catalogue_from_dicts,
    catalogue_to_dicts,
    removal_problems,
)
from opendso_scenario.store import StoredStatusCatalogue, UnitOfWork

if TYPE_CHECKING:
    from opendso_scenario.handlers import Deps

SCOPE = ""
"""The organisation's catalogue; the table's key leaves room for an entity's own."""


class Conflict(QueryError):
    """A stale version: someone saved in between. (``scenarios.Conflict``'s code; that module imports the
    handlers, which import this one.)"""

    def __init__(self, detail: str) -> None:
        super().__init__("conflict", detail)


async def catalogue_of(uow: UnitOfWork) -> StatusCatalogue:
    """The statuses in use: the stored catalogue, else the shipped one."""
    stored = await uow.settings.status_catalogue(SCOPE)
    # A stored catalogue was checked when saved: one that no longer reads is a bug to surface, not to hide.
    return DEFAULT_CATALOGUE if stored is None else catalogue_from_dicts(json.loads(stored.statuses))


# -- queries and commands ------------------------------------------------------------------------------------------


async def get_status_catalogue(query: col.GetStatusCatalogue, uow: UnitOfWork) -> col.StatusCatalogue:
    stored = await uow.settings.status_catalogue(SCOPE)
    if stored is None:
        return catalogue_to_proto(DEFAULT_CATALOGUE)
    return catalogue_to_proto(catalogue_from_dicts(json.loads(stored.statuses)), stored)


async def replace_status_catalogue(
    command: col.ReplaceStatusCatalogue, uow: UnitOfWork, deps: Deps
) -> col.StatusCatalogueReplaced:
    """Replace the whole catalogue; ``InvalidRequest`` names every status and field that is wrong, and every
    status it would drop that items hold or the service sets itself; ``Conflict`` on a stale version."""
    user = command.user.strip()
    if not user:
        raise InvalidRequest("user is required: a change of the item statuses records who made it")
    if command.expected_version < 0:
        raise InvalidRequest(f"expected_version: {command.expected_version} is negative (0: the shipped catalogue)")
    try:
        new = catalogue_from_dicts([definition_to_dict(d) for d in command.statuses])
    except StatusCatalogueError as exc:
        raise InvalidRequest(str(exc)) from None
    stored = await uow.settings.status_catalogue(SCOPE)
    current = DEFAULT_CATALOGUE if stored is None else catalogue_from_dicts(json.loads(stored.statuses))
    version = 0 if stored is None else stored.version
    if command.expected_version != version:
        raise Conflict(_stale(version, command.expected_version))
    if catalogue_to_dicts(new) == catalogue_to_dicts(current):
        return col.StatusCatalogueReplaced(catalogue=catalogue_to_proto(current, stored), replayed=True)
    problems = removal_problems(current, new, await uow.settings.statuses_in_use())
    if problems:
        raise InvalidRequest("; ".join(str(p) for p in problems))
    record = StoredStatusCatalogue(
        scope=SCOPE,
        statuses=json.dumps(catalogue_to_dicts(new), ensure_ascii=False),
        version=version + 1,
        updated_by=user,
        updated_at=deps.now(),
    )
    if not await uow.settings.save_status_catalogue(record, version):
        raise Conflict(_stale(None, command.expected_version))
    answer = catalogue_to_proto(new, record)
    old_codes, new_codes = [d.code for d in current], [d.code for d in new]
    uow.caused_by(None, correlation_id=command.correlation_id)
    await uow.publish(
        col.StatusCatalogueChanged(
            meta=uow.meta(),
            catalogue=answer,
            user=user,
            added=[c for c in new_codes if c not in old_codes],
            removed=[c for c in old_codes if c not in new_codes],
        )
    )
    # Whether a status takes items out of their scenario decides what each of their customers is due.
    await uow.repo.review_all()
    await uow.commit()
    return col.StatusCatalogueReplaced(catalogue=answer)


def _stale(stored: int | None, expected: int) -> str:
    now = f"are at version {stored}" if stored is not None else "changed"
    return f"the item statuses {now}, not {expected}: someone saved them meanwhile; read them again and redo the change"


# -- proto <-> catalogue -------------------------------------------------------------------------------------------


def definition_to_dict(message: col.StatusDefinition) -> dict[str, object]:
    """A status as a request carries it, in ``catalogue_from_dicts``'s form (which checks it)."""
    return {
        "code": message.code,
        "labels": dict(message.labels),
        "excludes_from_scenario": message.excludes_from_scenario,
        "follow_up": {"action": message.follow_up.action, "delay_days": message.follow_up.delay_days}
        if message.HasField("follow_up")
        else None,
        "resolution_owner": message.resolution_owner or None,
        "sends_confirmation": message.sends_confirmation or None,
        "is_dispute": message.is_dispute,
        "closes_on_payment": message.closes_on_payment,
        "requires_comment": message.requires_comment,
    }


def catalogue_to_proto(catalogue: StatusCatalogue, stored: StoredStatusCatalogue | None = None) -> col.StatusCatalogue:
    answer = col.StatusCatalogue(version=0 if stored is None else stored.version)
    if stored is not None:
        answer.updated_by = stored.updated_by
        at = stored.updated_at if stored.updated_at.tzinfo else stored.updated_at.replace(tzinfo=dt.UTC)
        answer.updated_at.FromDatetime(at)
    for d in catalogue:
        status = answer.statuses.add(
            code=d.code,
            labels=dict(d.labels),
            excludes_from_scenario=d.excludes_from_scenario,
            resolution_owner=d.resolution_owner or "",
            sends_confirmation=d.sends_confirmation or "",
            is_dispute=d.is_dispute,
            closes_on_payment=d.closes_on_payment,
            requires_comment=d.requires_comment,
            built_in=d.code in BUILT_IN_CODES,
        )
        if d.follow_up is not None:
            status.follow_up.action = d.follow_up.action
            status.follow_up.delay_days = d.follow_up.delay_days
    return answer
