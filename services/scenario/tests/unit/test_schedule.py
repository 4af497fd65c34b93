"""Sending windows: open slots, open days and the first open instant, across weekends, holidays and DST.

Weekdays of the dates used are noted next to them; DST in Europe/Paris in 2026 begins on Sunday
29 March (02:00 CET -> 03:00 CEST, at 01:00 UTC) and ends on Sunday 25 October (03:00 CEST ->
02:00 CET, at 01:00 UTC).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from opendso_scenario.domain import schedule
from opendso_scenario.domain.model import Channel
from opendso_scenario.domain.schedule import (
    MAX_SEARCH_DAYS,
    HolidayCalendar,
    NoSendingTimeError,
    ScheduleError,
    SendingWindow,
    due_instant,
    is_open,
    next_send_time,
    window_from_dict,
    window_to_dict,
)

PARIS = ZoneInfo("Europe/Paris")
BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = frozenset(range(7))
OFFICE_SLOTS = ((time(9), time(12)), (time(14), time(17, 30)))
OFFICE = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def closed_from(first: date, days: int) -> frozenset[date]:
    return frozenset(first + timedelta(days=offset) for offset in range(days))


# Slot edges ---------------------------------------------------------------------------------------


def test_an_instant_exactly_at_a_slot_start_is_returned_as_is() -> None:
    # Monday 15 June 2026, CEST (UTC+2).
    assert next_send_time(OFFICE, paris(2026, 6, 15, 9), "email") == utc(2026, 6, 15, 7)
    assert is_open(OFFICE, paris(2026, 6, 15, 9), "email")


def test_just_before_a_slot_waits_for_its_start() -> None:
    assert next_send_time(OFFICE, paris(2026, 6, 15, 8, 59, 59), "email") == utc(2026, 6, 15, 7)
    assert not is_open(OFFICE, paris(2026, 6, 15, 8, 59, 59), "email")


def test_a_slot_end_is_excluded() -> None:
    assert is_open(OFFICE, paris(2026, 6, 15, 11, 59, 59), "email")
    assert not is_open(OFFICE, paris(2026, 6, 15, 12), "email")
    assert next_send_time(OFFICE, paris(2026, 6, 15, 12), "email") == utc(2026, 6, 15, 12)  # 14:00 CEST


def test_an_instant_inside_a_slot_is_returned_unchanged_in_utc() -> None:
    result = next_send_time(OFFICE, paris(2026, 6, 15, 15, 7, 30), "email")
    assert result == datetime(2026, 6, 15, 13, 7, 30, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_after_the_last_slot_moves_to_the_next_day() -> None:
    assert next_send_time(OFFICE, paris(2026, 6, 15, 17, 30), "email") == utc(2026, 6, 16, 7)


def test_the_caller_time_zone_does_not_matter() -> None:
    # 07:00 in New York is 13:00 in Paris, between the two slots.
    new_york = datetime(2026, 6, 15, 7, tzinfo=ZoneInfo("America/New_York"))
    assert next_send_time(OFFICE, new_york, "email") == utc(2026, 6, 15, 12)
    assert next_send_time(OFFICE, new_york.astimezone(timezone(timedelta(hours=5))), "email") == utc(2026, 6, 15, 12)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ScheduleError, match="naive"):
        next_send_time(OFFICE, datetime(2026, 6, 15, 9), "email")
    with pytest.raises(ScheduleError, match="naive"):
        is_open(OFFICE, datetime(2026, 6, 15, 9), "email")


# Days ---------------------------------------------------------------------------------------------


def test_the_weekend_is_skipped() -> None:
    # Friday 19 June 2026 after hours, then Saturday morning: both go to Monday 22 June 09:00.
    assert next_send_time(OFFICE, paris(2026, 6, 19, 17, 30), "email") == utc(2026, 6, 22, 7)
    assert next_send_time(OFFICE, paris(2026, 6, 20, 10), "email") == utc(2026, 6, 22, 7)
    assert not is_open(OFFICE, paris(2026, 6, 20, 10), "email")


def test_custom_weekdays() -> None:
    saturdays_too = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, weekdays=frozenset(range(6)))
    assert next_send_time(saturdays_too, paris(2026, 6, 19, 17, 30), "email") == utc(2026, 6, 20, 7)
    # Sunday stays closed.
    assert next_send_time(saturdays_too, paris(2026, 6, 20, 17, 30), "email") == utc(2026, 6, 22, 7)


def test_company_closing_days_across_the_year_end() -> None:
    # Closed Thursday 24 December 2026 to Friday 1 January 2027; 2-3 January is a weekend.
    window = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, closed_dates=closed_from(date(2026, 12, 24), 9))
    assert next_send_time(window, paris(2026, 12, 23, 18), "email") == utc(2027, 1, 4, 8)  # CET, UTC+1
    assert not window.is_open_day(date(2026, 12, 31))
    assert window.is_open_day(date(2026, 12, 23))


def test_a_long_closure_within_the_search_bound_is_crossed() -> None:
    window = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, closed_dates=closed_from(date(2026, 1, 1), 300))
    # 300 days from 1 January 2026 end on 27 October; Wednesday 28 October is open.
    assert next_send_time(window, paris(2026, 1, 1), "email") == utc(2026, 10, 28, 8)


def test_a_window_with_no_open_day_raises_a_clear_error() -> None:
    # Every day from Thursday 1 January 2026 to Saturday 2 January 2027 is closed: the starting day
    # and the MAX_SEARCH_DAYS (366) after it.
    window = SendingWindow(
        time_zone=PARIS,
        slots=OFFICE_SLOTS,
        weekdays=EVERY_DAY,
        closed_dates=closed_from(date(2026, 1, 1), MAX_SEARCH_DAYS + 1),
    )
    with pytest.raises(NoSendingTimeError, match=rf"no open email time within {MAX_SEARCH_DAYS} days after 2026-01-01"):
        next_send_time(window, paris(2026, 1, 1), "email")
    # Starting one day later brings Sunday 3 January 2027 within reach.
    assert next_send_time(window, paris(2026, 1, 2), "email") == utc(2027, 1, 3, 8)


# Holidays -----------------------------------------------------------------------------------------


def test_french_national_day() -> None:
    window = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, calendar=HolidayCalendar("FR"))
    # Tuesday 14 July 2026.
    assert not window.is_open_day(date(2026, 7, 14))
    assert not is_open(window, paris(2026, 7, 14, 10), "email")
    assert next_send_time(window, paris(2026, 7, 13, 17, 45), "email") == utc(2026, 7, 15, 7)
    # Not a holiday without a calendar.
    assert next_send_time(OFFICE, paris(2026, 7, 13, 17, 45), "email") == utc(2026, 7, 14, 7)


def test_french_new_year_across_the_year_end() -> None:
    window = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, calendar=HolidayCalendar("FR"))
    # Thursday 31 December 2026 after hours; Friday 1 January 2027 is a holiday, then a weekend.
    assert next_send_time(window, paris(2026, 12, 31, 18), "email") == utc(2027, 1, 4, 8)


def test_german_unity_day_only_in_germany() -> None:
    germany = SendingWindow(time_zone=BERLIN, slots=OFFICE_SLOTS, calendar=HolidayCalendar("DE"))
    france = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, calendar=HolidayCalendar("FR"))
    # Friday 3 October 2025: Germany goes to Monday 6 October, France is open.
    assert next_send_time(germany, datetime(2025, 10, 2, 18, tzinfo=BERLIN), "email") == utc(2025, 10, 6, 7)
    assert next_send_time(france, paris(2025, 10, 2, 18), "email") == utc(2025, 10, 3, 7)
    # And 14 July is a working day in Germany.
    assert germany.is_open_day(date(2026, 7, 14))


def test_a_subdivision_adds_its_own_holidays() -> None:
    # Epiphany, Tuesday 6 January 2026, is a holiday in Bavaria but not nationwide.
    bavaria = SendingWindow(time_zone=BERLIN, slots=OFFICE_SLOTS, calendar=HolidayCalendar("DE", "BY"))
    germany = SendingWindow(time_zone=BERLIN, slots=OFFICE_SLOTS, calendar=HolidayCalendar("DE"))
    assert not bavaria.is_open_day(date(2026, 1, 6))
    assert germany.is_open_day(date(2026, 1, 6))
    assert next_send_time(bavaria, datetime(2026, 1, 5, 18, tzinfo=BERLIN), "email") == utc(2026, 1, 7, 8)


def test_holidays_are_read_once_per_calendar_and_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str | None]] = []
    real = holidays.country_holidays

    def counting(country: str, subdiv: str | None = None, **options: Any) -> holidays.HolidayBase:
        calls.append((country, subdiv))
        return real(country, subdiv=subdiv, **options)

    schedule._public_holidays.cache_clear()
    window = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, calendar=HolidayCalendar("FR"))
    monkeypatch.setattr(holidays, "country_holidays", counting)
    for day in range(1, 29):
        window.is_open_day(date(2026, 2, day))
    assert calls == [("FR", None)]
    window.is_open_day(date(2027, 2, 1))
    assert calls == [("FR", None), ("FR", None)]


def test_observed_substitute_days_are_closed_across_a_year_end() -> None:
    # Boxing Day 2026 is a Saturday; England observes it on Monday 28 December.
    england = SendingWindow(time_zone=ZoneInfo("Europe/London"), slots=OFFICE_SLOTS, calendar=HolidayCalendar("GB"))
    assert not england.is_open_day(date(2026, 12, 28))
    # New Year's Day 2022 was a Saturday; the United States observed it on Friday 31 December 2021,
    # so the day must be found when looking up 2021.
    usa = SendingWindow(time_zone=ZoneInfo("America/New_York"), slots=OFFICE_SLOTS, calendar=HolidayCalendar("US"))
    assert not usa.is_open_day(date(2021, 12, 31))
    assert usa.is_open_day(date(2021, 12, 30))


def test_unknown_calendars_are_refused_at_construction() -> None:
    with pytest.raises(ScheduleError, match=r"calendar: 'XX' is not a known holiday calendar"):
        HolidayCalendar("XX")
    with pytest.raises(ScheduleError, match=r"calendar: 'DE-XX' is not a known holiday calendar"):
        HolidayCalendar.parse("DE-XX")
    assert HolidayCalendar.parse("DE-BY") == HolidayCalendar("DE", "BY")
    for code in ("FR", "DE", "GB", "CZ", "SK", "PL", "RO"):
        assert HolidayCalendar.parse(code).code == code


def test_malformed_calendar_codes_are_refused() -> None:
    for code in ("de", "DEU", "", "DE-"):
        with pytest.raises(ScheduleError, match=re.escape(f"calendar: {code!r}")):
            HolidayCalendar.parse(code)


# Channels -----------------------------------------------------------------------------------------


SMS_LATER = SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, channel_slots={Channel.SMS: ((time(10), time(18)),)})


def test_a_channel_override_replaces_the_slots_for_that_channel_only() -> None:
    monday_0930 = paris(2026, 6, 15, 9, 30)
    assert next_send_time(SMS_LATER, monday_0930, "email") == monday_0930.astimezone(UTC)
    assert next_send_time(SMS_LATER, monday_0930, "sms") == utc(2026, 6, 15, 8)
    assert next_send_time(SMS_LATER, monday_0930, Channel.SMS) == utc(2026, 6, 15, 8)
    # Over lunch and after 17:30, SMS is open and e-mail is not.
    assert is_open(SMS_LATER, paris(2026, 6, 15, 12, 30), "sms")
    assert not is_open(SMS_LATER, paris(2026, 6, 15, 12, 30), "email")
    assert next_send_time(SMS_LATER, paris(2026, 6, 15, 17, 45), "sms") == utc(2026, 6, 15, 15, 45)
    assert next_send_time(SMS_LATER, paris(2026, 6, 15, 17, 45), "letter") == utc(2026, 6, 16, 7)


def test_a_channel_override_keeps_the_closed_days() -> None:
    # Saturday 20 June 2026.
    assert next_send_time(SMS_LATER, paris(2026, 6, 20, 11), "sms") == utc(2026, 6, 22, 8)


def test_unknown_channels_are_refused() -> None:
    with pytest.raises(ScheduleError, match="'fax' is unknown"):
        next_send_time(OFFICE, paris(2026, 6, 15, 9), "fax")
    with pytest.raises(ScheduleError, match=r"channel_slots\.fax: unknown channel"):
        SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, channel_slots={"fax": ((time(9), time(10)),)})


# Daylight-saving days in Europe/Paris -------------------------------------------------------------


NIGHTS = SendingWindow(time_zone=PARIS, slots=((time(1), time(2, 30)), (time(2, 45), time(4))), weekdays=EVERY_DAY)


def test_spring_forward_skips_the_missing_wall_times() -> None:
    # 02:45 does not exist on 29 March 2026: the second slot opens when clocks jump to 03:00 CEST.
    assert next_send_time(NIGHTS, utc(2026, 3, 29, 0, 50), "email") == utc(2026, 3, 29, 0, 50)  # 01:50 CET
    assert next_send_time(NIGHTS, utc(2026, 3, 29, 1), "email") == utc(2026, 3, 29, 1)  # 03:00 CEST
    assert is_open(NIGHTS, utc(2026, 3, 29, 1), "email")
    # The first slot ends with the jump as well: 01:59:59 CET is its last second.
    assert is_open(NIGHTS, datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), "email")


def test_spring_forward_skips_a_slot_wholly_in_the_gap() -> None:
    window = SendingWindow(time_zone=PARIS, slots=((time(2), time(2, 45)), (time(5), time(6))), weekdays=EVERY_DAY)
    assert next_send_time(window, paris(2026, 3, 29, 0, 30), "email") == utc(2026, 3, 29, 3)  # 05:00 CEST
    # The next day has its 02:00 again.
    assert next_send_time(window, paris(2026, 3, 29, 6), "email") == utc(2026, 3, 30, 0)


def test_fall_back_takes_the_first_occurrence_of_an_ambiguous_time() -> None:
    # 02:45 happens twice on 25 October 2026; the slot opens at the first one, 02:45 CEST.
    assert next_send_time(NIGHTS, utc(2026, 10, 25, 0, 31), "email") == utc(2026, 10, 25, 0, 45)
    # It then stays open through the repeated hour until 04:00 CET.
    assert is_open(NIGHTS, utc(2026, 10, 25, 1, 15), "email")  # 02:15 CET
    assert next_send_time(NIGHTS, utc(2026, 10, 25, 2, 59), "email") == utc(2026, 10, 25, 2, 59)
    assert not is_open(NIGHTS, utc(2026, 10, 25, 3), "email")  # 04:00 CET


def test_fall_back_closes_a_slot_at_the_first_occurrence_of_its_end() -> None:
    # The first slot, 01:00-02:30, ends at 02:30 CEST; the repeated 02:00-02:30 CET is not reopened.
    assert is_open(NIGHTS, utc(2026, 10, 25, 0, 15), "email")  # 02:15 CEST
    assert not is_open(NIGHTS, utc(2026, 10, 25, 0, 30), "email")  # 02:30 CEST
    one_slot = SendingWindow(time_zone=PARIS, slots=((time(1), time(2, 30)),), weekdays=EVERY_DAY)
    assert not is_open(one_slot, utc(2026, 10, 25, 1, 15), "email")
    assert next_send_time(one_slot, utc(2026, 10, 25, 1, 15), "email") == utc(2026, 10, 26, 0)  # 01:00 CET


def test_office_hours_across_the_dst_weekends() -> None:
    # Friday evening before each change to Monday 09:00 with the new offset.
    assert next_send_time(OFFICE, paris(2026, 3, 27, 18), "email") == utc(2026, 3, 30, 7)  # CEST
    assert next_send_time(OFFICE, paris(2026, 10, 23, 18), "email") == utc(2026, 10, 26, 8)  # CET


# due_instant --------------------------------------------------------------------------------------


def test_due_instant_is_the_first_open_instant_of_the_day() -> None:
    assert due_instant(OFFICE, date(2026, 6, 15), "email") == utc(2026, 6, 15, 7)
    assert due_instant(SMS_LATER, date(2026, 6, 15), "sms") == utc(2026, 6, 15, 8)


def test_due_instant_on_a_closed_day_moves_to_the_next_open_one() -> None:
    assert due_instant(OFFICE, date(2026, 6, 20), "email") == utc(2026, 6, 22, 7)  # Saturday


def test_due_instant_counts_the_day_in_the_window_zone() -> None:
    # Monday 00:00 in Tokyo is still Sunday in UTC, a closed day if the date were read in UTC.
    tokyo = SendingWindow(time_zone=ZoneInfo("Asia/Tokyo"), slots=((time(0), time(1)),))
    assert due_instant(tokyo, date(2026, 6, 15), "email") == utc(2026, 6, 14, 15)


def test_due_instant_refuses_a_datetime() -> None:
    with pytest.raises(ScheduleError, match="due_on: expected a date"):
        due_instant(OFFICE, paris(2026, 6, 15), "email")


# Validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "message"),
    [
        ((), "slots: at least one time slot is needed"),
        (((time(12), time(9)),), "slots[0]: start 12:00 is not before end 09:00"),
        (((time(9), time(9)),), "slots[0]: start 09:00 is not before end 09:00"),
        (((time(9), time(12)), (time(11), time(13))), "slots[1]: starts at 11:00, before the previous slot ends"),
        (((time(14), time(17)), (time(9), time(12))), "slots[1]: slots must be sorted"),
        (((time(9, 0, 30), time(12)),), "slots[0].start: 09:00:30 is not a whole minute"),
        (((time(9, tzinfo=UTC), time(12)),), "slots[0].start: slot times are wall-clock times"),
        (((time(9),),), "slots[0]: expected a (start, end) pair"),
    ],
)
def test_bad_slots_are_refused(slots: tuple[tuple[time, ...], ...], message: str) -> None:
    with pytest.raises(ScheduleError, match=re.escape(message)):
        SendingWindow(time_zone=PARIS, slots=slots)  # type: ignore[arg-type]


def test_adjacent_slots_are_allowed_and_lists_are_frozen() -> None:
    window = SendingWindow(
        time_zone=PARIS,
        slots=[(time(9), time(12)), (time(12), time(13))],  # type: ignore[arg-type]
        closed_dates={date(2026, 6, 16)},  # type: ignore[arg-type]
    )
    assert window.slots == ((time(9), time(12)), (time(12), time(13)))
    assert window.closed_dates == frozenset({date(2026, 6, 16)})
    assert is_open(window, paris(2026, 6, 15, 12), "email")
    assert hash(window) == hash(window)


def test_other_bad_windows_are_refused() -> None:
    with pytest.raises(ScheduleError, match="weekdays: at least one working weekday"):
        SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, weekdays=frozenset())
    with pytest.raises(ScheduleError, match="weekdays: 7 is not a weekday number"):
        SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, weekdays=frozenset({0, 7}))
    with pytest.raises(ScheduleError, match=r"closed_dates: .* is not a date"):
        SendingWindow(time_zone=PARIS, slots=OFFICE_SLOTS, closed_dates=frozenset({paris(2026, 6, 16)}))
    with pytest.raises(ScheduleError, match="time_zone: expected a ZoneInfo"):
        SendingWindow(time_zone="Europe/Paris", slots=OFFICE_SLOTS)  # type: ignore[arg-type]


# Dict form ----------------------------------------------------------------------------------------


def test_dict_form_of_a_window() -> None:
    window = SendingWindow(
        time_zone=PARIS,
        slots=OFFICE_SLOTS,
        weekdays=frozenset({5, 0, 2}),
        closed_dates=frozenset({date(2026, 12, 31), date(2026, 12, 24)}),
        channel_slots={Channel.SMS: ((time(10), time(18)),)},
    )
    assert window_to_dict(window) == {
        "time_zone": "Europe/Paris",
        "weekdays": ["mon", "wed", "sat"],
        "slots": [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "17:30"}],
        "calendar": None,
        "closed_dates": ["2026-12-24", "2026-12-31"],
        "channel_slots": {"sms": [{"start": "10:00", "end": "18:00"}]},
    }
    assert window_from_dict(json.loads(json.dumps(window_to_dict(window)))) == window


def test_round_trip_with_a_calendar() -> None:
    window = SendingWindow(time_zone=BERLIN, slots=OFFICE_SLOTS, calendar=HolidayCalendar("DE", "BY"))
    data = json.loads(json.dumps(window_to_dict(window)))
    assert data["calendar"] == "DE-BY"
    assert window_from_dict(data) == window


def test_dict_form_defaults() -> None:
    window = window_from_dict({"time_zone": "Europe/Paris", "slots": [{"start": "09:00", "end": "12:00"}]})
    assert window == SendingWindow(time_zone=PARIS, slots=((time(9), time(12)),))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"slots": [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "25:00"}]},
            "slots[1].end: '25:00' is not a time",
        ),
        ({"slots": [{"start": "9:00", "end": "12:00"}]}, "slots[0].start: '9:00' is not a time"),
        ({"slots": [{"start": "09:00"}]}, "slots[0]: expected"),
        (
            {"slots": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
            "slots[1]: starts at 11:00, before the previous slot ends at 12:00",
        ),
        (
            {"channel_slots": {"sms": [{"start": "10:00", "end": "18h"}]}},
            "channel_slots.sms[0].end: '18h' is not a time",
        ),
        ({"channel_slots": {"fax": [{"start": "10:00", "end": "18:00"}]}}, "channel_slots.fax: unknown channel"),
        ({"weekdays": ["mon", "monday"]}, "weekdays[1]: 'monday' is not a weekday"),
        ({"closed_dates": ["2026-02-30"]}, "closed_dates[0]: '2026-02-30' is not a date"),
        ({"closed_dates": ["20261224"]}, "closed_dates[0]: '20261224' is not a date"),
        ({"time_zone": "Europe/Pariss"}, "time_zone: 'Europe/Pariss' is not a time zone"),
        ({"time_zone": 1}, "time_zone: 1 is not a time zone"),
        ({"calendar": "de"}, "calendar: 'de' is not a holiday calendar code"),
        ({"holidays": "FR"}, "holidays: unknown key"),
    ],
)
def test_dict_errors_name_the_path(change: dict[str, object], message: str) -> None:
    data: dict[str, object] = {"time_zone": "Europe/Paris", "slots": [{"start": "09:00", "end": "12:00"}]}
    data.update(change)
    with pytest.raises(ScheduleError, match=re.escape(message)):
        window_from_dict(data)


def test_dict_form_requires_zone_and_slots() -> None:
    with pytest.raises(ScheduleError, match="time_zone: missing"):
        window_from_dict({"slots": [{"start": "09:00", "end": "12:00"}]})
    with pytest.raises(ScheduleError, match="slots: missing"):
        window_from_dict({"time_zone": "Europe/Paris"})
