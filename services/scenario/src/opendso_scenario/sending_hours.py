"""The days and time slots in which each entity's automatic actions go out: read, replaced with the version read,
and used by the sending window.

An entity without hours of its own gets the service's default (``send_slots``, Monday to Friday). Its time zone
and public holidays still come with its record (``handlers.record_entities``); ``window_of`` puts them together
whenever an action is planned or about to go out, so a change applies on every instance at once, to actions already
waiting for their window too.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest, NotFound

from opendso_scenario.domain.schedule import (
    MONDAY_TO_FRIDAY,
    WEEKDAY_NAMES,
    ScheduleError,
    SendingHours,
    SendingWindow,
    sending_hours_from_dict,
    sending_hours_to_dict,
    window_from_dict,
)
from opendso_scenario.status_catalogue import Conflict
from opendso_scenario.store import StoredSendingHours, UnitOfWork

if TYPE_CHECKING:
    from opendso_scenario.handlers import Deps


def default_hours(deps: Deps) -> SendingHours:
    return SendingHours(weekdays=MONDAY_TO_FRIDAY, slots=deps.slots)


async def window_of(entity: str, uow: UnitOfWork) -> SendingWindow | None:
    """The entity's sending window with its own days and slots if it has some; None (send at once) for an entity
    without a record."""
    stored = await uow.repo.window_of(entity)
    if stored is None:
        return None
    window = window_from_dict(json.loads(stored))
    own = await uow.settings.sending_hours(entity)
    return window if own is None else _hours(own).apply_to(window)


def _hours(record: StoredSendingHours) -> SendingHours:
    return sending_hours_from_dict({"weekdays": json.loads(record.weekdays), "slots": json.loads(record.slots)})


async def get_sending_hours(query: col.GetSendingHours, uow: UnitOfWork, deps: Deps) -> col.SendingHours:
    entity = query.entity.strip()
    if not entity:
        raise InvalidRequest("entity is required")
    stored = await uow.settings.sending_hours(entity)
    hours = default_hours(deps) if stored is None else _hours(stored)
    return await _proto(entity, hours, stored, uow)


async def set_sending_hours(command: col.SetSendingHours, uow: UnitOfWork, deps: Deps) -> col.SendingHoursSet:
    """Replace an entity's days and slots; ``InvalidRequest`` names the field that is wrong, ``Conflict`` answers a
    stale version, ``NotFound`` an entity the ledger never sent."""
    entity, user = command.entity.strip(), command.user.strip()
    if not entity:
        raise InvalidRequest("entity is required")
    if not user:
        raise InvalidRequest("user is required: a change of sending hours records who made it")
    try:
        hours = sending_hours_from_dict(
            {
                "weekdays": list(command.weekdays),
                "slots": [{"start": s.start, "end": s.end} for s in command.slots],
            }
        )
    except ScheduleError as exc:
        raise InvalidRequest(str(exc)) from None
    if await uow.repo.window_of(entity) is None:
        raise NotFound(f"no entity {entity!r}")
    stored = await uow.settings.sending_hours(entity)
    version = 0 if stored is None else stored.version
    if command.expected_version != version:
        raise Conflict(_stale(entity, version, command.expected_version))
    if stored is not None and _hours(stored) == hours:
        return col.SendingHoursSet(hours=await _proto(entity, hours, stored, uow), replayed=True)
    data = sending_hours_to_dict(hours)
    record = StoredSendingHours(
        entity=entity,
        weekdays=json.dumps(data["weekdays"]),
        slots=json.dumps(data["slots"]),
        version=version + 1,
        updated_by=user,
        updated_at=deps.now(),
    )
    if not await uow.settings.save_sending_hours(record, version):
        raise Conflict(_stale(entity, None, command.expected_version))
    answer = await _proto(entity, hours, record, uow)
    uow.caused_by(None, correlation_id=command.correlation_id)
    await uow.publish(col.SendingHoursChanged(meta=uow.meta(entity=entity), hours=answer, user=user))
    await uow.commit()
    return col.SendingHoursSet(hours=answer)


def _stale(entity: str, stored: int | None, expected: int) -> str:
    now = f"are at version {stored}" if stored is not None else "changed"
    return (
        f"the sending hours of {entity!r} {now}, not {expected}: someone saved them meanwhile; "
        "read them again and redo the change"
    )


async def _proto(
    entity: str, hours: SendingHours, stored: StoredSendingHours | None, uow: UnitOfWork
) -> col.SendingHours:
    window = await uow.repo.window_of(entity)
    answer = col.SendingHours(
        entity=entity,
        weekdays=[WEEKDAY_NAMES[day] for day in sorted(hours.weekdays)],
        slots=[col.TimeSlot(start=f"{start:%H:%M}", end=f"{end:%H:%M}") for start, end in hours.slots],
        version=0 if stored is None else stored.version,
        time_zone="" if window is None else str(json.loads(window).get("time_zone", "")),
    )
    if stored is not None:
        answer.updated_by = stored.updated_by
        at = stored.updated_at if stored.updated_at.tzinfo else stored.updated_at.replace(tzinfo=dt.UTC)
        answer.updated_at.FromDatetime(at)
    return answer
