"""When automatic actions may go out: a legal entity's open days and time slots, in its own time zone.

A ``SendingWindow`` is a frozen value; the functions below answer "is this instant open?" and "what
is the first open instant from then on?". Everything is computed in UTC and converted to the
window's zone only to read wall-clock times, so results do not depend on the caller's tzinfo.

Daylight-saving changes: a slot is turned into one UTC interval per day by resolving its start and
end wall times. A wall time that does not exist (clocks jump forward over it) resolves to the
instant the clocks jump, so the slot starts or ends there; an ambiguous one (clocks go back over
it) resolves to its first occurrence. A slot therefore never opens twice on the same day: on a
fall-back night, a slot ending at 02:30 is over at the first 02:30, and the repeated hour is closed.

The only state is a cache of public-holiday dates per (calendar, year), which depend on nothing else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opendso_scenario.domain.model import Channel

Slot = tuple[time, time]
"""(start, end) wall-clock times in the window's zone; open from start included to end excluded."""

WEEKDAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Names used in the dict form, indexed by ``date.weekday()``."""

MONDAY_TO_FRIDAY: Final = frozenset(range(5))

MAX_SEARCH_DAYS: Final = 366
"""Days searched after the starting day before giving up: a whole (leap) year of closures means a broken window."""

_CHANNELS: Final = frozenset(channel.value for channel in Channel)
_WINDOW_KEYS: Final = ("time_zone", "weekdays", "slots", "calendar", "closed_dates", "channel_slots")
_TIME_TEXT: Final = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_DATE_TEXT: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


class ScheduleError(ValueError):
    """A sending window that cannot be built or read, or a question asked of it with a wrong argument."""


class NoSendingTimeError(ScheduleError):
    """No open instant within ``MAX_SEARCH_DAYS`` days: the window is closed for good in practice."""


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays of a country (ISO 3166-1 alpha-2), optionally of one of its subdivisions.

    Checked against the ``holidays`` package at construction, so an unknown code fails when the
    window is saved rather than when a reminder is planned.
    """

    country: str
    subdivision: str | None = None

    def __post_init__(self) -> None:
        _check_calendar(self.country, self.subdivision)

    @classmethod
    def parse(cls, code: str) -> HolidayCalendar:
        """``"FR"`` or ``"DE-BY"``: country, then optionally a hyphen and the subdivision."""
        if not isinstance(code, str):
            raise ScheduleError(f"calendar: {code!r} is not a holiday calendar code such as 'FR' or 'DE-BY'")
        country, hyphen, subdivision = code.partition("-")
        return cls(country, subdivision if hyphen else None)

    @property
    def code(self) -> str:
        return self.country if self.subdivision is None else f"{self.country}-{self.subdivision}"


def _check_calendar(country: str, subdivision: str | None) -> None:
    code = country if subdivision is None else f"{country}-{subdivision}"
    # The package also takes alpha-3 aliases; one spelling per country keeps stored windows comparable.
    if not (isinstance(country, str) and len(country) == 2 and country.isascii() and country.isupper()):
        raise ScheduleError(f"calendar: {code!r} is not a holiday calendar code such as 'FR' or 'DE-BY'")
    if subdivision is not None and (not isinstance(subdivision, str) or not subdivision):
        raise ScheduleError(f"calendar: {code!r} has an empty subdivision")
    # Imported on first use: the package takes about 0.4 s to import, and windows without a calendar never need it.
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as exc:
        raise ScheduleError(f"calendar: {code!r} is not a known holiday calendar ({exc})") from exc


@functools.lru_cache(maxsize=512)
def _public_holidays(calendar: HolidayCalendar, year: int) -> frozenset[date]:
    import holidays

    # Observed (substitute) days stay in: they are days off like the holiday itself. The package
    # files them under the year they fall in (1 January 2022 observed on 31 December 2021 is in
    # 2021), which is the year looked up for a day. expand=False keeps other years out.
    found = holidays.country_holidays(
        calendar.country,
        subdiv=calendar.subdivision,
        years=year,
        categories=(holidays.PUBLIC,),
        expand=False,
    )
    return frozenset(found)


@dataclass(frozen=True, kw_only=True)
class SendingWindow:
    """Days and wall-clock slots in which automatic actions of a legal entity may go out.

    A day is open when its weekday is in ``weekdays`` and it is neither a public holiday of
    ``calendar`` nor one of ``closed_dates``. ``channel_slots`` replaces ``slots`` for the channels
    it names (open days stay the same for every channel). Sequences given as lists are stored as
    tuples and frozensets, so the value cannot change behind the caller's back.
    """

    time_zone: ZoneInfo
    slots: tuple[Slot, ...]
    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    """``date.weekday()`` numbers: 0 is Monday, 6 is Sunday."""
    calendar: HolidayCalendar | None = None
    """None: no public holidays are taken into account."""
    closed_dates: frozenset[date] = frozenset()
    """Company closing days, in the window's zone."""
    channel_slots: Mapping[str, tuple[Slot, ...]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.time_zone, ZoneInfo):
            raise ScheduleError(f"time_zone: expected a ZoneInfo, got {self.time_zone!r}")
        if self.time_zone.key is None:
            raise ScheduleError("time_zone: a zone read from a file has no IANA name to store")

        weekdays = frozenset(self.weekdays)
        for weekday in sorted(weekdays, key=repr):
            if type(weekday) is not int or not 0 <= weekday <= 6:
                raise ScheduleError(f"weekdays: {weekday!r} is not a weekday number (0 = Monday ... 6 = Sunday)")
        if not weekdays:
            raise ScheduleError("weekdays: at least one working weekday is needed")
        object.__setattr__(self, "weekdays", weekdays)

        object.__setattr__(self, "slots", _check_slots("slots", self.slots))

        if self.calendar is not None and not isinstance(self.calendar, HolidayCalendar):
            raise ScheduleError(f"calendar: expected a HolidayCalendar or None, got {self.calendar!r}")

        closed_dates = frozenset(self.closed_dates)
        for day in closed_dates:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ScheduleError(f"closed_dates: {day!r} is not a date")
        object.__setattr__(self, "closed_dates", closed_dates)

        channel_slots: dict[str, tuple[Slot, ...]] = {}
        for channel, slots in self.channel_slots.items():
            if channel not in _CHANNELS:
                raise ScheduleError(f"channel_slots.{channel}: unknown channel (one of {', '.join(sorted(_CHANNELS))})")
            # str() turns a Channel member into its plain value, so lookups and the dict form agree.
            channel_slots[str(channel)] = _check_slots(f"channel_slots.{channel}", slots)
        object.__setattr__(self, "channel_slots", MappingProxyType(dict(sorted(channel_slots.items()))))

    def slots_for(self, channel: str) -> tuple[Slot, ...]:
        """The slots that apply to ``channel``; refuses unknown channels so a typo cannot pick the defaults."""
        if channel not in _CHANNELS:
            raise ScheduleError(f"channel: {channel!r} is unknown (one of {', '.join(sorted(_CHANNELS))})")
        return self.channel_slots.get(channel, self.slots)

    def is_open_day(self, day: date) -> bool:
        """Whether ``day`` (a date in the window's zone) is a working day for sending."""
        if day.weekday() not in self.weekdays or day in self.closed_dates:
            return False
        return self.calendar is None or day not in _public_holidays(self.calendar, day.year)


def _check_slots(path: str, slots: object) -> tuple[Slot, ...]:
    if not isinstance(slots, (tuple, list)):
        raise ScheduleError(f"{path}: expected a sequence of (start, end) pairs, got {slots!r}")
    if not slots:
        raise ScheduleError(f"{path}: at least one time slot is needed")
    checked: list[Slot] = []
    for index, slot in enumerate(slots):
        where = f"{path}[{index}]"
        if not isinstance(slot, (tuple, list)) or len(slot) != 2:
            raise ScheduleError(f"{where}: expected a (start, end) pair, got {slot!r}")
        start, end = slot
        for name, value in (("start", start), ("end", end)):
            if not isinstance(value, time):
                raise ScheduleError(f"{where}.{name}: {value!r} is not a time")
            if value.tzinfo is not None:
                raise ScheduleError(f"{where}.{name}: slot times are wall-clock times of the window's zone")
            # The dict form stores "HH:MM"; anything finer would not survive a round trip.
            if value.second or value.microsecond:
                raise ScheduleError(f"{where}.{name}: {value.isoformat()} is not a whole minute")
        if start >= end:
            raise ScheduleError(f"{where}: start {start:%H:%M} is not before end {end:%H:%M}")
        if checked:
            previous_start, previous_end = checked[-1]
            if start < previous_start:
                raise ScheduleError(f"{where}: slots must be sorted; {start:%H:%M} comes before {previous_start:%H:%M}")
            if start < previous_end:
                raise ScheduleError(
                    f"{where}: starts at {start:%H:%M}, before the previous slot ends at {previous_end:%H:%M}"
                )
        checked.append((start, end))
    return tuple(checked)


def _aware_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ScheduleError(f"{name}: expected a datetime, got {value!r}")
    if value.utcoffset() is None:
        raise ScheduleError(f"{name}: {value.isoformat()} is naive; an aware datetime is needed")
    # Aware datetimes sharing a tzinfo compare by wall clock and ignore fold; UTC ones compare as instants.
    return value.astimezone(UTC)


def _resolve(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which clocks in ``zone`` read ``wall`` on ``day`` (see the module docstring)."""
    local = datetime(day.year, day.month, day.day, wall.hour, wall.minute, tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        # fold=0 already picked the first occurrence of an ambiguous time.
        return instant
    # ``wall`` is in a gap. Read with the offset after the jump it lands before the jump, and read
    # with the offset before it (fold=0) it lands after, so the jump lies between the two.
    offset_after = instant.astimezone(zone).utcoffset()
    low = int(local.replace(fold=1).astimezone(UTC).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _open_intervals(window: SendingWindow, day: date, slots: tuple[Slot, ...]) -> list[tuple[datetime, datetime]]:
    if not window.is_open_day(day):
        return []
    intervals = []
    for start, end in slots:
        opens, closes = _resolve(day, start, window.time_zone), _resolve(day, end, window.time_zone)
        # A slot lying wholly in a spring-forward gap has no instant at all that day.
        if opens < closes:
            intervals.append((opens, closes))
    return intervals


def next_send_time(window: SendingWindow, not_before: datetime, channel: str) -> datetime:
    """The first instant at or after ``not_before`` inside an open slot of an open day, in UTC.

    Raises ``NoSendingTimeError`` when the day of ``not_before`` and the ``MAX_SEARCH_DAYS`` days
    after it hold no open instant for ``channel``.
    """
    start = _aware_utc(not_before, "not_before")
    slots = window.slots_for(channel)
    first_day = start.astimezone(window.time_zone).date()
    for offset in range(MAX_SEARCH_DAYS + 1):
        # A slot's interval lies within its own local day, and days and slots come in time order,
        # so the first interval still open after ``start`` holds the answer.
        for opens, closes in _open_intervals(window, first_day + timedelta(days=offset), slots):
            if start < closes:
                return max(opens, start)
    raise NoSendingTimeError(
        f"no open {channel} time within {MAX_SEARCH_DAYS} days after {first_day.isoformat()} in "
        f"{window.time_zone.key}: check the window's weekdays, holidays and closed dates"
    )


def is_open(window: SendingWindow, at: datetime, channel: str) -> bool:
    """Whether ``at`` lies inside an open slot of an open day for ``channel``."""
    instant = _aware_utc(at, "at")
    slots = window.slots_for(channel)
    day = instant.astimezone(window.time_zone).date()
    return any(opens <= instant < closes for opens, closes in _open_intervals(window, day, slots))


def due_instant(window: SendingWindow, due_on: date, channel: str) -> datetime:
    """When a step due on ``due_on`` (a date in the window's zone) may go out.

    That is the first open instant from the start of that day in the window's zone, so a closed
    day moves the step to the next open one.
    """
    if not isinstance(due_on, date) or isinstance(due_on, datetime):
        raise ScheduleError(f"due_on: expected a date, got {due_on!r}")
    return next_send_time(window, _resolve(due_on, time(0, 0), window.time_zone), channel)


def window_to_dict(window: SendingWindow) -> dict[str, object]:
    """The JSON-ready form read back by ``window_from_dict``; every key is always written."""
    return {
        "time_zone": window.time_zone.key,
        "weekdays": [WEEKDAY_NAMES[weekday] for weekday in sorted(window.weekdays)],
        "slots": _slots_to_list(window.slots),
        "calendar": None if window.calendar is None else window.calendar.code,
        "closed_dates": [day.isoformat() for day in sorted(window.closed_dates)],
        "channel_slots": {channel: _slots_to_list(slots) for channel, slots in window.channel_slots.items()},
    }


def _slots_to_list(slots: tuple[Slot, ...]) -> list[dict[str, str]]:
    return [{"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"} for start, end in slots]


def window_from_dict(data: Mapping[str, object]) -> SendingWindow:
    """Reads ``window_to_dict``'s form. ``time_zone`` and ``slots`` are required; the rest default
    as in ``SendingWindow``. Errors name the faulty path, e.g. ``slots[1].end: '25:00' is not a time``.
    """
    if not isinstance(data, Mapping):
        raise ScheduleError(f"expected an object, got {data!r}")
    for key in data:
        if key not in _WINDOW_KEYS:
            raise ScheduleError(f"{key}: unknown key (expected some of {', '.join(_WINDOW_KEYS)})")
    for key in ("time_zone", "slots"):
        if key not in data:
            raise ScheduleError(f"{key}: missing")

    zone_name = data["time_zone"]
    try:
        if not isinstance(zone_name, str):
            raise ValueError(zone_name)
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"time_zone: {zone_name!r} is not a time zone") from exc

    weekdays = MONDAY_TO_FRIDAY
    if "weekdays" in data:
        names = _list("weekdays", data["weekdays"])
        weekdays = frozenset(_weekday(f"weekdays[{index}]", name) for index, name in enumerate(names))

    calendar_code = data.get("calendar")
    calendar = None if calendar_code is None else HolidayCalendar.parse(_text("calendar", calendar_code))

    closed = _list("closed_dates", data.get("closed_dates", []))
    closed_dates = frozenset(_date(f"closed_dates[{index}]", value) for index, value in enumerate(closed))

    channel_slots: dict[str, tuple[Slot, ...]] = {}
    raw_channel_slots = data.get("channel_slots", {})
    if not isinstance(raw_channel_slots, Mapping):
        raise ScheduleError(f"channel_slots: expected an object, got {raw_channel_slots!r}")
    for channel, slots in raw_channel_slots.items():
        channel_slots[channel] = _slots_from_list(f"channel_slots.{channel}", slots)

    return SendingWindow(
        time_zone=zone,
        slots=_slots_from_list("slots", data["slots"]),
        weekdays=weekdays,
        calendar=calendar,
        closed_dates=closed_dates,
        channel_slots=channel_slots,
    )


def _list(path: str, value: object) -> list[object]:
    if not isinstance(value, (list, tuple)):
        raise ScheduleError(f"{path}: expected a list, got {value!r}")
    return list(value)


def _text(path: str, value: object) -> str:
    if not isinstance(value, str):
        raise ScheduleError(f"{path}: expected a string, got {value!r}")
    return value


def _weekday(path: str, value: object) -> int:
    if value not in WEEKDAY_NAMES:
        raise ScheduleError(f"{path}: {value!r} is not a weekday (one of {', '.join(WEEKDAY_NAMES)})")
    return WEEKDAY_NAMES.index(_text(path, value))


def _time(path: str, value: object) -> time:
    match = _TIME_TEXT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ScheduleError(f"{path}: {value!r} is not a time")
    return time(int(match[1]), int(match[2]))


def _date(path: str, value: object) -> date:
    # date.fromisoformat alone would also take "20261224"; one spelling keeps stored data uniform.
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ScheduleError(f"{path}: {value!r} is not a date")


def _slots_from_list(path: str, value: object) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    for index, slot in enumerate(_list(path, value)):
        where = f"{path}[{index}]"
        if not isinstance(slot, Mapping) or set(slot) != {"start", "end"}:
            raise ScheduleError(f'{where}: expected {{"start": "HH:MM", "end": "HH:MM"}}, got {slot!r}')
        slots.append((_time(f"{where}.start", slot["start"]), _time(f"{where}.end", slot["end"])))
    return tuple(slots)


@dataclass(frozen=True)
class SendingHours:
    """The days and slots in which an entity's automatic actions go out; its time zone and public holidays come
    with its record (``SendingWindow`` brings them together)."""

    weekdays: frozenset[int]
    """``date.weekday()`` numbers: 0 is Monday, 6 is Sunday."""
    slots: tuple[Slot, ...]

    def __post_init__(self) -> None:
        # The window's own checks: at least one weekday, slots whole minutes, sorted and not overlapping.
        window = SendingWindow(time_zone=ZoneInfo("UTC"), weekdays=self.weekdays, slots=self.slots)
        object.__setattr__(self, "weekdays", window.weekdays)
        object.__setattr__(self, "slots", window.slots)

    def apply_to(self, window: SendingWindow) -> SendingWindow:
        """``window`` with these days and slots, its zone, holidays and closing days unchanged."""
        return replace(window, weekdays=self.weekdays, slots=self.slots)


def sending_hours_from_dict(data: object) -> SendingHours:
    """Reads ``{"weekdays": ["mon", ...], "slots": [{"start": "08:00", "end": "12:00"}, ...]}``, slots in any order.

    ``ScheduleError`` names the faulty path: ``weekdays: choose at least one day``, ``slots[1].end: '25:00' is not
    a time``, ``slots[1]: starts at 11:00, before the previous slot ends at 12:00`` (indexes once sorted by start).
    """
    if not isinstance(data, Mapping):
        raise ScheduleError(f"expected an object, got {data!r}")
    names = _list("weekdays", data.get("weekdays", []))
    weekdays = frozenset(_weekday(f"weekdays[{index}]", name) for index, name in enumerate(names))
    if not weekdays:
        raise ScheduleError("weekdays: choose at least one day")
    slots = _slots_from_list("slots", data.get("slots", []))
    if not slots:
        raise ScheduleError("slots: at least one time slot is needed")
    return SendingHours(weekdays=weekdays, slots=tuple(sorted(slots)))


def sending_hours_to_dict(hours: SendingHours) -> dict[str, object]:
    return {
        "weekdays": [WEEKDAY_NAMES[weekday] for weekday in sorted(hours.weekdays)],
        "slots": _slots_to_list(hours.slots),
    }
