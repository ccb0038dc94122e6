"""Working-time calendar: R-SLA-1 (calendar), R-SLA-2 (arithmetic), R-SLA-3 (provisional)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.calendar import (
    WorkCalendar,
    WorkingTime,
    WorkingWindow,
    add_working_days,
    add_working_hours,
    add_working_time,
    day_is_provisional,
    describe,
    is_working_day,
    is_working_instant,
    next_working_instant,
    working_time_between,
)
from domain.calendar_data import china_calendar, fast_calendar, supported_years

SH = ZoneInfo("Asia/Shanghai")
CAL = china_calendar([2025, 2026])
CAL_2027 = china_calendar([2026, 2027])  # the library has no 2027 data


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def days(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


SPRING_FESTIVAL_2026 = days(date(2026, 2, 15), date(2026, 2, 23))
NATIONAL_DAY_2026 = days(date(2026, 10, 1), date(2026, 10, 7))


# ---------------------------------------------------------------------------------------------
# R-SLA-2: arithmetic in a plain week (2026-03-09 Mon .. 2026-03-15 Sun has no holiday)


def test_r_sla_2_two_hours_from_friday_1730_is_next_working_day_1030() -> None:
    wt = add_working_hours(CAL, sh(2026, 3, 13, 17, 30), 2)
    assert wt == WorkingTime(at=sh(2026, 3, 16, 10, 30), provisional=False)


def test_r_sla_2_lunch_break_does_not_count() -> None:
    assert add_working_hours(CAL, sh(2026, 3, 10, 11, 30), 1).at == sh(2026, 3, 10, 13, 30)


def test_r_sla_2_time_used_up_at_close_ends_at_close_not_next_morning() -> None:
    assert add_working_hours(CAL, sh(2026, 3, 10, 17), 1).at == sh(2026, 3, 10, 18)
    # ... and continuing from the close starts at the next opening.
    assert add_working_hours(CAL, sh(2026, 3, 10, 18), 1).at == sh(2026, 3, 11, 10)


def test_r_sla_2_start_outside_working_time_starts_at_next_opening() -> None:
    assert add_working_hours(CAL, sh(2026, 3, 10, 7), 1).at == sh(2026, 3, 10, 10)
    assert add_working_hours(CAL, sh(2026, 3, 10, 12, 15), 0.5).at == sh(2026, 3, 10, 13, 30)
    assert add_working_hours(CAL, sh(2026, 3, 14, 11), 1).at == sh(2026, 3, 16, 10)


def test_r_sla_2_input_in_utc_output_in_calendar_zone() -> None:
    start = datetime(2026, 3, 13, 9, 30, tzinfo=UTC)  # Friday 17:30 in Shanghai
    wt = add_working_hours(CAL, start, 2)
    assert wt.at == sh(2026, 3, 16, 10, 30)
    assert wt.at.tzinfo == SH


def test_r_sla_2_zero_amount_is_start_or_next_opening_and_negative_is_refused() -> None:
    assert add_working_time(CAL, sh(2026, 3, 10, 10), timedelta(0)).at == sh(2026, 3, 10, 10)
    assert add_working_time(CAL, sh(2026, 3, 10, 12), timedelta(0)).at == sh(2026, 3, 10, 13)
    with pytest.raises(ValueError):
        add_working_time(CAL, sh(2026, 3, 10, 10), timedelta(minutes=-1))
    with pytest.raises(ValueError):
        add_working_days(CAL, sh(2026, 3, 10, 10), -1)


def test_r_sla_2_three_working_days_from_monday_end_thursday_close() -> None:
    wt = add_working_days(CAL, sh(2026, 3, 9, 10), 3)
    assert wt == WorkingTime(at=sh(2026, 3, 12, 18), provisional=False)


def test_r_sla_2_day_limit_ignores_the_time_of_day() -> None:
    for hour in (0, 8, 17, 23):
        assert add_working_days(CAL, sh(2026, 3, 9, hour), 3).at == sh(2026, 3, 12, 18)


def test_r_sla_2_day_clock_started_on_saturday_starts_monday() -> None:
    assert add_working_days(CAL, sh(2026, 3, 14, 10), 3).at == sh(2026, 3, 19, 18)
    assert add_working_days(CAL, sh(2026, 3, 15, 22), 3).at == sh(2026, 3, 19, 18)


def test_r_sla_2_one_working_day_from_friday_is_monday_close() -> None:
    assert add_working_days(CAL, sh(2026, 3, 13, 9), 1).at == sh(2026, 3, 16, 18)


# ---------------------------------------------------------------------------------------------
# R-SLA-1: statutory holidays and make-up working days of 2026


def test_r_sla_1_library_data_for_2026() -> None:
    cal = china_calendar([2026])
    assert cal.known_years == (2026,)
    assert set(SPRING_FESTIVAL_2026) <= set(cal.holidays)
    assert set(NATIONAL_DAY_2026) <= set(cal.holidays)
    assert sorted(cal.makeup_workdays) == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert all(d.year == 2026 for d in [*cal.holidays, *cal.makeup_workdays])


def test_r_sla_1_working_days_follow_the_calendar() -> None:
    assert is_working_day(CAL, date(2026, 2, 14))  # Saturday, make-up day
    assert is_working_day(CAL, date(2026, 9, 20))  # Sunday, make-up day
    assert not is_working_day(CAL, date(2026, 2, 16))  # Monday, Spring Festival
    assert not is_working_day(CAL, date(2026, 10, 5))  # Monday, National Day
    assert not is_working_day(CAL, date(2026, 3, 14))  # plain Saturday
    assert is_working_day(CAL, date(2026, 3, 13))  # plain Friday


def test_r_sla_1_hours_from_friday_evening_land_on_makeup_saturday() -> None:
    wt = add_working_hours(CAL, sh(2026, 2, 13, 17), 2)
    assert wt.at == sh(2026, 2, 14, 10)
    assert wt.makeup_workdays == (date(2026, 2, 14),)
    assert wt.skipped_holidays == ()
    assert not wt.provisional


def test_r_sla_1_hours_roll_past_spring_festival() -> None:
    # Sat 14 17:00-18:00 is 1 h, 15..23 are holidays, Tue 24 gives 8 h, Wed 25 the last 1 h.
    wt = add_working_hours(CAL, sh(2026, 2, 14, 17), 10)
    assert wt.at == sh(2026, 2, 25, 10)
    assert wt.skipped_holidays == SPRING_FESTIVAL_2026
    assert wt.makeup_workdays == (date(2026, 2, 14),)


def test_r_sla_1_days_roll_past_spring_festival() -> None:
    wt = add_working_days(CAL, sh(2026, 2, 13, 10), 3)  # Sat 14, Tue 24, Wed 25
    assert wt.at == sh(2026, 2, 25, 18)
    assert wt.skipped_holidays == SPRING_FESTIVAL_2026
    assert wt.makeup_workdays == (date(2026, 2, 14),)


def test_r_sla_1_day_clock_started_during_holiday_starts_after_it() -> None:
    wt = add_working_days(CAL, sh(2026, 2, 17, 15), 1)  # starts Tue 24
    assert wt.at == sh(2026, 2, 25, 18)
    assert wt.skipped_holidays == days(date(2026, 2, 17), date(2026, 2, 23))
    assert wt.makeup_workdays == ()


def test_r_sla_1_second_makeup_saturday_counts() -> None:
    wt = add_working_days(CAL, sh(2026, 2, 26, 10), 2)  # Fri 27, Sat 28
    assert wt.at == sh(2026, 2, 28, 18)
    assert wt.makeup_workdays == (date(2026, 2, 28),)


def test_r_sla_1_makeup_sunday_before_national_day() -> None:
    wt = add_working_days(CAL, sh(2026, 9, 18, 10), 1)
    assert wt.at == sh(2026, 9, 20, 18)
    assert wt.makeup_workdays == (date(2026, 9, 20),)


def test_r_sla_1_days_roll_past_national_day_onto_makeup_saturday() -> None:
    wt = add_working_days(CAL, sh(2026, 9, 30, 10), 3)  # Thu 8, Fri 9, Sat 10 October
    assert wt.at == sh(2026, 10, 10, 18)
    assert wt.skipped_holidays == NATIONAL_DAY_2026
    assert wt.makeup_workdays == (date(2026, 10, 10),)
    assert not wt.provisional


def test_r_sla_1_hours_roll_past_national_day() -> None:
    wt = add_working_hours(CAL, sh(2026, 9, 30, 17), 2)
    assert wt.at == sh(2026, 10, 8, 10)
    assert wt.skipped_holidays == NATIONAL_DAY_2026


def test_r_sla_1_branch_calendar_with_other_windows() -> None:
    branch = china_calendar([2026], windows=(WorkingWindow(start=time(8, 30), end=time(17, 30)),))
    assert add_working_hours(branch, sh(2026, 3, 10, 17), 1).at == sh(2026, 3, 11, 9)
    assert add_working_days(branch, sh(2026, 3, 9, 10), 3).at == sh(2026, 3, 12, 17, 30)
    assert describe(branch).endswith("08:30–17:30, data for 2026")


def test_r_sla_1_calendar_survives_a_json_round_trip() -> None:
    assert WorkCalendar.model_validate_json(CAL.model_dump_json()) == CAL
    assert len(CAL.model_dump_json()) < 4000  # it travels through workflow history


def test_r_sla_1_describe() -> None:
    assert describe(china_calendar([2026])) == (
        "CN statutory calendar, Asia/Shanghai, 09:00–12:00 13:00–18:00, data for 2026"
    )
    assert describe(CAL).endswith("data for 2025–2026")
    assert "always open" in describe(fast_calendar())


def test_r_sla_1_invalid_calendars_are_refused() -> None:
    with pytest.raises(ValidationError):
        WorkingWindow(start=time(12), end=time(9))
    with pytest.raises(ValidationError):
        WorkCalendar(
            windows=(
                WorkingWindow(start=time(9), end=time(13)),
                WorkingWindow(start=time(12), end=time(18)),
            )
        )
    with pytest.raises(ValidationError):
        WorkCalendar(windows=())
    with pytest.raises(ValidationError):
        WorkCalendar(zone="Mars/Olympus_Mons")


def test_r_sla_1_always_open_is_plain_clock_arithmetic() -> None:
    fast = fast_calendar()
    start = sh(2026, 2, 15, 23)  # a Sunday night in a holiday
    assert add_working_time(fast, start, timedelta(minutes=5)) == WorkingTime(
        at=start + timedelta(minutes=5), provisional=False
    )
    assert working_time_between(fast, start, start + timedelta(hours=3)) == timedelta(hours=3)
    assert next_working_instant(fast, start) == start
    assert is_working_instant(fast, start)
    assert not day_is_provisional(fast, date(2030, 1, 1))


# ---------------------------------------------------------------------------------------------
# R-SLA-3: years the library has no data for


def test_r_sla_3_unpublished_year_is_not_known_and_does_not_raise() -> None:
    assert 2027 not in supported_years()
    assert CAL_2027.known_years == (2026,)
    assert day_is_provisional(CAL_2027, date(2027, 1, 4))
    assert not day_is_provisional(CAL_2027, date(2026, 12, 31))


def test_r_sla_3_days_reaching_2027_are_weekdays_only_and_provisional() -> None:
    # Wed 30 Dec starts the clock; Thu 31, Fri 1 Jan (no data: a weekday counts), Mon 4 Jan.
    wt = add_working_days(CAL_2027, sh(2026, 12, 30, 10), 3)
    assert wt.at == sh(2027, 1, 4, 18)
    assert wt.provisional


def test_r_sla_3_hours_reaching_2027_are_provisional() -> None:
    wt = add_working_hours(CAL_2027, sh(2026, 12, 31, 10), 10)  # 7 h on the 31st, 3 h on 1 Jan
    assert wt.at == sh(2027, 1, 1, 12)
    assert wt.provisional


def test_r_sla_3_deadline_within_2026_is_not_provisional() -> None:
    assert not add_working_hours(CAL_2027, sh(2026, 12, 31, 10), 7).provisional
    assert not add_working_days(CAL_2027, sh(2026, 12, 28, 10), 3).provisional


def test_r_sla_3_calendar_without_data_is_always_provisional() -> None:
    wt = add_working_days(WorkCalendar(), sh(2026, 3, 9, 10), 3)
    assert wt.at == sh(2026, 3, 12, 18)
    assert wt.provisional
    assert "no published data" in describe(WorkCalendar())


# ---------------------------------------------------------------------------------------------
# Instants and spans


def test_r_sla_2_working_time_between() -> None:
    assert working_time_between(CAL, sh(2026, 3, 13, 17), sh(2026, 3, 16, 10)) == timedelta(hours=2)
    assert working_time_between(CAL, sh(2026, 3, 10, 11), sh(2026, 3, 10, 14)) == timedelta(hours=2)
    assert working_time_between(CAL, sh(2026, 3, 10, 9), sh(2026, 3, 11, 9)) == timedelta(hours=8)
    assert working_time_between(CAL, sh(2026, 3, 10, 14), sh(2026, 3, 10, 10)) == timedelta(0)
    # Spring Festival: Fri 13 17:00 -> Tue 24 10:00 is 1 + 8 (make-up Saturday) + 1 hours.
    span = working_time_between(CAL, sh(2026, 2, 13, 17), sh(2026, 2, 24, 10))
    assert span == timedelta(hours=10)


def test_r_sla_2_next_working_instant() -> None:
    assert next_working_instant(CAL, sh(2026, 3, 10, 10)) == sh(2026, 3, 10, 10)
    assert next_working_instant(CAL, sh(2026, 3, 10, 9)) == sh(2026, 3, 10, 9)
    assert next_working_instant(CAL, sh(2026, 3, 10, 12)) == sh(2026, 3, 10, 13)
    assert next_working_instant(CAL, sh(2026, 3, 10, 18)) == sh(2026, 3, 11, 9)
    assert next_working_instant(CAL, sh(2026, 3, 13, 19)) == sh(2026, 3, 16, 9)
    assert next_working_instant(CAL, sh(2026, 2, 16, 10)) == sh(2026, 2, 24, 9)
    utc_night = datetime(2026, 3, 10, 20, tzinfo=UTC)  # 04:00 on the 11th in Shanghai
    assert next_working_instant(CAL, utc_night) == sh(2026, 3, 11, 9)
    assert next_working_instant(CAL, utc_night).tzinfo == SH


def test_r_sla_2_is_working_instant() -> None:
    assert is_working_instant(CAL, sh(2026, 3, 10, 9))
    assert is_working_instant(CAL, sh(2026, 3, 10, 11, 59))
    assert not is_working_instant(CAL, sh(2026, 3, 10, 12))
    assert not is_working_instant(CAL, sh(2026, 3, 10, 18))
    assert not is_working_instant(CAL, sh(2026, 3, 14, 10))  # Saturday
    assert is_working_instant(CAL, sh(2026, 2, 14, 10))  # make-up Saturday
    assert not is_working_instant(CAL, sh(2026, 10, 5, 10))  # National Day


def test_r_sla_2_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 10, 10)
    aware = sh(2026, 3, 10, 10)
    calls: list[Callable[[], object]] = [
        lambda: add_working_time(CAL, naive, timedelta(hours=1)),
        lambda: add_working_hours(CAL, naive, 1),
        lambda: add_working_days(CAL, naive, 1),
        lambda: working_time_between(CAL, naive, aware),
        lambda: working_time_between(CAL, aware, naive),
        lambda: next_working_instant(CAL, naive),
        lambda: is_working_instant(CAL, naive),
        lambda: add_working_time(fast_calendar(), naive, timedelta(hours=1)),
    ]
    for call in calls:
        with pytest.raises(ValueError):
            call()


# ---------------------------------------------------------------------------------------------
# Properties (R-SLA-1, R-SLA-2) over 2025-2026, starts in Shanghai and in UTC

zones = st.sampled_from([SH, UTC])
anywhen = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59), timezones=zones
)
# Window edges and whole minutes, where off-by-one mistakes live.
edges = st.builds(
    lambda d, t, z: datetime.combine(d, t, tzinfo=SH).astimezone(z),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
    st.sampled_from([time(0), time(9), time(12), time(13), time(17, 59), time(18), time(23, 59)]),
    zones,
)
starts = st.one_of(anywhen, anywhen.map(lambda t: t.replace(second=0, microsecond=0)), edges)
minutes = st.integers(min_value=1, max_value=80 * 60).map(lambda m: timedelta(minutes=m))
day_counts = st.integers(min_value=1, max_value=20)


def inside_working_time(cal: WorkCalendar, at: datetime) -> bool:
    """window_start < at <= window_end on a working day: where a positive amount may end."""
    local = at.astimezone(ZoneInfo(cal.zone))
    return is_working_day(cal, local.date()) and any(
        w.start < local.time() <= w.end for w in cal.windows
    )


@given(starts, minutes)
def test_r_sla_2_property_result_falls_inside_working_time(start: datetime, x: timedelta) -> None:
    wt = add_working_time(CAL, start, x)
    assert wt.at.tzinfo == SH
    assert wt.at > start
    assert inside_working_time(CAL, wt.at)


@given(starts, day_counts)
def test_r_sla_2_property_day_limit_ends_at_close_of_a_working_day(start: datetime, n: int) -> None:
    wt = add_working_days(CAL, start, n)
    assert wt.at.time() == time(18)
    assert is_working_day(CAL, wt.at.date())
    assert wt.at.date() > start.astimezone(SH).date()
    assert add_working_days(CAL, start, n + 1).at > wt.at


@given(starts, minutes, minutes)
def test_r_sla_2_property_adding_a_then_b_is_adding_a_plus_b(
    start: datetime, a: timedelta, b: timedelta
) -> None:
    step = add_working_time(CAL, add_working_time(CAL, start, a).at, b)
    assert step.at == add_working_time(CAL, start, a + b).at


@given(starts, starts, minutes)
def test_r_sla_2_property_hours_are_monotone(s1: datetime, s2: datetime, x: timedelta) -> None:
    s1, s2 = min(s1, s2), max(s1, s2)
    assert add_working_time(CAL, s1, x).at <= add_working_time(CAL, s2, x).at


@given(starts, starts, day_counts)
def test_r_sla_2_property_days_are_monotone(s1: datetime, s2: datetime, n: int) -> None:
    s1, s2 = min(s1, s2), max(s1, s2)
    assert add_working_days(CAL, s1, n).at <= add_working_days(CAL, s2, n).at


@given(starts, minutes)
def test_r_sla_2_property_working_time_between_inverts_adding(
    start: datetime, x: timedelta
) -> None:
    assert working_time_between(CAL, start, add_working_time(CAL, start, x).at) == x


@given(starts)
def test_r_sla_2_property_next_working_instant_skips_no_working_time(start: datetime) -> None:
    t = next_working_instant(CAL, start)
    assert t >= start
    assert is_working_instant(CAL, t)
    assert working_time_between(CAL, start, t) == timedelta(0)


@given(starts, minutes)
def test_r_sla_1_property_reported_days_match_the_calendar(start: datetime, x: timedelta) -> None:
    wt = add_working_time(CAL, start, x)
    first, last = start.astimezone(SH).date(), wt.at.date()
    assert all(d in CAL.holidays and first <= d < last for d in wt.skipped_holidays)
    assert all(d in CAL.makeup_workdays and first <= d <= last for d in wt.makeup_workdays)
    assert list(wt.skipped_holidays) == sorted(set(wt.skipped_holidays))
    expected = [d for d in days(first, last) if d in CAL.holidays and d not in CAL.makeup_workdays]
    assert list(wt.skipped_holidays) == expected
