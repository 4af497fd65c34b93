"""Each entity's sending days and time slots, over fakes: validated, stored with their version, announced, and used
by the sending window of the automatic actions planned after them."""

from __future__ import annotations

import datetime as dt
from datetime import time

import pytest
from opendso.collection.v1 import collection_pb2 as col
from opendso_bus import InvalidRequest, NotFound
from opendso_scenario import handlers, sending_hours
from opendso_scenario.domain.schedule import ScheduleError, SendingHours, sending_hours_from_dict
from opendso_scenario.status_catalogue import Conflict

from .test_handlers import Harness, customer_event, item_event
from .test_strategy_and_windows import MONDAY_8_PARIS, SATURDAY, entity_event


def hours(*slots: tuple[str, str], weekdays: tuple[str, ...] = ("mon", "tue"), version: int = 0) -> col.SetSendingHours:
    return col.SetSendingHours(
        entity="FR01",
        weekdays=list(weekdays),
        slots=[col.TimeSlot(start=start, end=end) for start, end in slots],
        expected_version=version,
        user="ada",
    )


# -- the domain ----------------------------------------------------------------------------------------------------


def test_hours_read_days_and_slots_in_any_order() -> None:
    read = sending_hours_from_dict(
        {
            "weekdays": ["sat", "mon", "mon"],
            "slots": [{"start": "14:00", "end": "17:30"}, {"start": "09:00", "end": "12:00"}],
        }
    )
    assert read == SendingHours(weekdays=frozenset({0, 5}), slots=((time(9), time(12)), (time(14), time(17, 30))))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weekdays": [], "slots": [{"start": "09:00", "end": "12:00"}]}, "weekdays: choose at least one day"),
        ({"weekdays": ["monday"], "slots": []}, "weekdays[0]: 'monday' is not a weekday"),
        ({"weekdays": ["mon"], "slots": []}, "slots: at least one time slot is needed"),
        ({"weekdays": ["mon"], "slots": [{"start": "9:00", "end": "12:00"}]}, "slots[0].start: '9:00' is not a time"),
        ({"weekdays": ["mon"], "slots": [{"start": "12:00", "end": "09:00"}]}, "slots[0]: start 12:00 is not before"),
        (
            {"weekdays": ["mon"], "slots": [{"start": "11:00", "end": "13:00"}, {"start": "09:00", "end": "12:00"}]},
            "slots[1]: starts at 11:00, before the previous slot ends at 12:00",
        ),
    ],
)
def test_bad_hours_are_refused_naming_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ScheduleError, match=message.replace("[", r"\[").replace("]", r"\]")):
        sending_hours_from_dict(data)


# -- the service ---------------------------------------------------------------------------------------------------


async def test_an_entity_without_hours_of_its_own_reads_the_default() -> None:
    h = Harness()
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    read = await sending_hours.get_sending_hours(col.GetSendingHours(entity="FR01"), h.uow(), h.deps)
    assert (list(read.weekdays), read.version, read.time_zone) == (
        ["mon", "tue", "wed", "thu", "fri"],
        0,
        "Europe/Paris",
    )
    assert [(s.start, s.end) for s in read.slots] == [("08:00", "18:00")]


async def test_hours_are_stored_versioned_announced_and_replayed() -> None:
    h = Harness()
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    uow = h.uow()
    saved = await sending_hours.set_sending_hours(hours(("14:00", "17:00"), ("09:00", "12:00")), uow, h.deps)
    assert not saved.replayed and saved.hours.version == 1 and saved.hours.updated_by == "ada"
    assert [(s.start, s.end) for s in saved.hours.slots] == [("09:00", "12:00"), ("14:00", "17:00")]
    assert uow.committed == 1  # type: ignore[attr-defined]
    (event,) = h.published(col.SendingHoursChanged)
    assert (event.hours.entity, list(event.hours.weekdays), event.meta.entity) == ("FR01", ["mon", "tue"], "FR01")
    read = await sending_hours.get_sending_hours(col.GetSendingHours(entity="FR01"), h.uow(), h.deps)
    assert (read.version, list(read.weekdays)) == (1, ["mon", "tue"])

    again = await sending_hours.set_sending_hours(
        hours(("09:00", "12:00"), ("14:00", "17:00"), version=1), h.uow(), h.deps
    )
    assert again.replayed and again.hours.version == 1
    assert len(h.published(col.SendingHoursChanged)) == 1
    with pytest.raises(Conflict, match="'FR01' are at version 1, not 0"):
        await sending_hours.set_sending_hours(hours(("10:00", "11:00")), h.uow(), h.deps)


async def test_bad_hours_or_an_unknown_entity_are_refused_and_nothing_is_stored() -> None:
    h = Harness()
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="weekdays: choose at least one day"):
        await sending_hours.set_sending_hours(hours(("09:00", "12:00"), weekdays=()), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match=r"slots\[0\].end: '24:00' is not a time"):
        await sending_hours.set_sending_hours(hours(("09:00", "24:00")), h.uow(), h.deps)
    with pytest.raises(InvalidRequest, match="user is required"):
        await sending_hours.set_sending_hours(
            col.SetSendingHours(entity="FR01", weekdays=["mon"], slots=[col.TimeSlot(start="09:00", end="10:00")]),
            h.uow(),
            h.deps,
        )
    unknown = hours(("09:00", "12:00"))
    unknown.entity = "XX01"
    with pytest.raises(NotFound, match="no entity 'XX01'"):
        await sending_hours.set_sending_hours(unknown, h.uow(), h.deps)
    assert h.repo.settings.hours == {}


async def test_automatic_actions_wait_for_the_entitys_own_days_and_slots() -> None:
    h = Harness()
    h.clock.now = SATURDAY  # 28 November 2026, 11:00 in Paris
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    # Saturdays from 10:00 to 12:00 in Paris: the reminder goes out now rather than on Monday.
    await sending_hours.set_sending_hours(hours(("10:00", "12:00"), weekdays=("sat",)), h.uow(), h.deps)
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    [task] = h.repo.tasks.values()
    assert task.status == "sent"

    # Tuesdays 14:00-16:00 only: planned on Tuesday 1 December, 14:00 in Paris (13:00 UTC).
    other = Harness()
    other.clock.now = SATURDAY
    await handlers.record_entities(entity_event(), other.uow(), other.deps)
    await sending_hours.set_sending_hours(hours(("14:00", "16:00"), weekdays=("tue",)), other.uow(), other.deps)
    await other.handle(customer_event())
    await other.handle(item_event("F-1", days_overdue=4))
    await other.settle()
    [waiting] = other.repo.tasks.values()
    assert (waiting.status, waiting.send_at) == ("scheduled", dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.UTC))


async def test_an_action_already_waiting_follows_hours_changed_meanwhile() -> None:
    h = Harness()
    h.clock.now = SATURDAY
    await handlers.record_entities(entity_event(), h.uow(), h.deps)
    await h.handle(customer_event())
    await h.handle(item_event("F-1", days_overdue=4))
    await h.settle()
    [task] = h.repo.tasks.values()
    assert task.send_at == MONDAY_8_PARIS
    # Then the entity stops sending before 10:00.
    await sending_hours.set_sending_hours(
        hours(("10:00", "12:00"), weekdays=("mon", "tue", "wed", "thu", "fri")), h.uow(), h.deps
    )
    h.clock.now = MONDAY_8_PARIS
    assert await handlers.send_scheduled(h.uow, h.deps) == 0
    waiting = h.repo.tasks[task.task_id]
    assert (waiting.status, waiting.send_at) == ("scheduled", MONDAY_8_PARIS + dt.timedelta(hours=2))
    h.clock.now = MONDAY_8_PARIS + dt.timedelta(hours=2)
    assert await handlers.send_scheduled(h.uow, h.deps) == 1
    assert h.repo.tasks[task.task_id].status == "sent"
