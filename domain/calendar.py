"""Working-time arithmetic over a work calendar (R-SLA-1, R-SLA-2, R-SLA-3).

Pure and deterministic: this module runs inside workflow code, so it never reads the clock or a
file. The calendar itself reaches the workflow as data (see `domain.calendar_data`), recorded in
history, so a calendar published later never changes a deadline already computed.

Working time is the union of the calendar's windows on its working days, each window half-open
[start, end). Arithmetic walks day by day, window by window; it never steps minute by minute.
Durations are measured on the UTC timeline, so a daylight-saving change in a branch's zone
cannot bend them; windows are wall-clock times of the calendar's zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, model_validator

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


class WorkingWindow(BaseModel):
    """A wall-clock span of a working day, half-open: [start, end)."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time

    @model_validator(mode="after")
    def _check(self) -> WorkingWindow:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are wall-clock times of the calendar's zone, naive")
        if not self.start < self.end:
            raise ValueError(f"window must end after it starts: {self.start}–{self.end}")
        return self


DEFAULT_WINDOWS: tuple[WorkingWindow, ...] = (
    WorkingWindow(start=time(9), end=time(12)),
    WorkingWindow(start=time(13), end=time(18)),
)


class WorkCalendar(BaseModel):
    """Which days and hours count. Small on purpose: it travels through workflow history."""

    model_config = ConfigDict(frozen=True)

    name: str = "CN"
    zone: str = "Asia/Shanghai"
    windows: tuple[WorkingWindow, ...] = DEFAULT_WINDOWS
    holidays: dict[date, str] = {}
    makeup_workdays: dict[date, str] = {}
    known_years: tuple[int, ...] = ()
    always_open: bool = False
    # R-SLA-11: years whose data an administrator entered (domain/arrangements.py), with where
    # each came from; the other known years are the calendar library's.
    entered: dict[int, str] = {}

    @model_validator(mode="after")
    def _check(self) -> WorkCalendar:
        try:
            _zone(self.zone)  # refused here rather than in the middle of a workflow
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {self.zone!r}") from e
        if not self.windows and not self.always_open:
            raise ValueError("a calendar needs at least one working window")
        for before, after in zip(self.windows, self.windows[1:], strict=False):
            if after.start < before.end:
                raise ValueError("windows must be sorted and must not overlap")
        return self


class WorkingTime(BaseModel):
    """The result of an arithmetic call, with what it relied on (for the clock's basis)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    provisional: bool
    skipped_holidays: tuple[date, ...] = ()
    makeup_workdays: tuple[date, ...] = ()


# ---------------------------------------------------------------------------------------------
# Days


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_working_day(cal: WorkCalendar, day: date) -> bool:
    if cal.always_open or day in cal.makeup_workdays:
        return True
    if day in cal.holidays:
        return False
    # Beyond the published data this is all that is known (R-SLA-3); provisional is flagged
    # by the callers, from known_years.
    return day.weekday() < 5


def day_is_provisional(cal: WorkCalendar, day: date) -> bool:
    return not cal.always_open and day.year not in cal.known_years


def _any_provisional(cal: WorkCalendar, first: date, last: date) -> bool:
    if cal.always_open:
        return False
    return any(y not in cal.known_years for y in range(first.year, last.year + 1))


# ---------------------------------------------------------------------------------------------
# Instants


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()}: working time needs a time zone")
    return t.astimezone(UTC)


def _local_date(cal: WorkCalendar, t_utc: datetime) -> date:
    return t_utc.astimezone(_zone(cal.zone)).date()


def _out(cal: WorkCalendar, t_utc: datetime) -> datetime:
    return t_utc.astimezone(_zone(cal.zone))


def _spans(cal: WorkCalendar, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The day's windows as UTC instants (the caller checks that the day is a working day)."""
    zone = _zone(cal.zone)
    for w in cal.windows:
        yield (
            datetime.combine(day, w.start, tzinfo=zone).astimezone(UTC),
            datetime.combine(day, w.end, tzinfo=zone).astimezone(UTC),
        )


def is_working_instant(cal: WorkCalendar, t: datetime) -> bool:
    t_utc = _utc(t)
    if cal.always_open:
        return True
    day = _local_date(cal, t_utc)
    return is_working_day(cal, day) and any(ws <= t_utc < we for ws, we in _spans(cal, day))


def next_working_instant(cal: WorkCalendar, t: datetime) -> datetime:
    return add_working_time(cal, t, _ZERO).at


# ---------------------------------------------------------------------------------------------
# Arithmetic


def add_working_time(cal: WorkCalendar, start: datetime, amount: timedelta) -> WorkingTime:
    """The instant at which `amount` of working time has elapsed since `start` (R-SLA-2).

    Time is consumed greedily, so a positive amount may end exactly at a window's end (1 working
    hour from 17:00 is 18:00 the same day). Continuing from a window's end consumes nothing
    until the next opening, which keeps `add(add(s, a), b) == add(s, a + b)` for positive a, b.
    A zero amount gives `start` if it is working time, else the next opening.
    """
    if amount < _ZERO:
        raise ValueError(f"negative working time: {amount}")
    s = _utc(start)
    if cal.always_open:
        return WorkingTime(at=_out(cal, s + amount), provisional=False)

    first = day = _local_date(cal, s)
    remaining = amount
    holidays: list[date] = []
    makeups: list[date] = []
    while True:
        if is_working_day(cal, day):
            counted = False
            for ws, we in _spans(cal, day):
                if we <= s:
                    continue
                begin = max(ws, s)
                available = we - begin
                if remaining <= available:
                    at = begin + remaining
                    if (counted or remaining > _ZERO) and day in cal.makeup_workdays:
                        makeups.append(day)
                    return WorkingTime(
                        at=_out(cal, at),
                        provisional=_any_provisional(cal, first, day),
                        skipped_holidays=tuple(holidays),
                        makeup_workdays=tuple(makeups),
                    )
                remaining -= available
                counted = True
            if counted and day in cal.makeup_workdays:
                makeups.append(day)
        elif day in cal.holidays:
            holidays.append(day)
        day += _ONE_DAY


def add_working_hours(cal: WorkCalendar, start: datetime, hours: float) -> WorkingTime:
    return add_working_time(cal, start, timedelta(hours=hours))


def add_working_days(cal: WorkCalendar, start: datetime, days: int) -> WorkingTime:
    """Close of business of the Nth working day after the day the clock starts (R-SLA-2).

    The clock starts on the start's local date, or on the next working day if that date is not
    one; the time of day does not matter. `days == 0` gives the close of the start day itself.
    """
    if days < 0:
        raise ValueError(f"negative number of working days: {days}")
    s = _utc(start)
    if cal.always_open:
        return WorkingTime(at=_out(cal, s + days * _ONE_DAY), provisional=False)

    first = day = _local_date(cal, s)
    holidays: list[date] = []
    makeups: list[date] = []
    while not is_working_day(cal, day):
        if day in cal.holidays:
            holidays.append(day)
        day += _ONE_DAY
    left = days
    while True:
        if is_working_day(cal, day):
            if day in cal.makeup_workdays:
                makeups.append(day)
            if left == 0:
                break
            left -= 1
        elif day in cal.holidays:
            holidays.append(day)
        day += _ONE_DAY
    close = datetime.combine(day, cal.windows[-1].end, tzinfo=_zone(cal.zone))
    return WorkingTime(
        at=_out(cal, close.astimezone(UTC)),
        provisional=_any_provisional(cal, first, day),
        skipped_holidays=tuple(holidays),
        makeup_workdays=tuple(makeups),
    )


def working_time_between(cal: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time in [a, b); zero if b <= a."""
    a_utc, b_utc = _utc(a), _utc(b)
    if b_utc <= a_utc:
        return _ZERO
    if cal.always_open:
        return b_utc - a_utc
    total = _ZERO
    day, last = _local_date(cal, a_utc), _local_date(cal, b_utc)
    while day <= last:
        if is_working_day(cal, day):
            for ws, we in _spans(cal, day):
                lo, hi = max(ws, a_utc), min(we, b_utc)
                if lo < hi:
                    total += hi - lo
        day += _ONE_DAY
    return total


# ---------------------------------------------------------------------------------------------
# For humans


def _years(years: tuple[int, ...]) -> str:
    """2024, 2025, 2026, 2028 -> "2024–2026, 2028"."""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def describe(cal: WorkCalendar) -> str:
    if cal.always_open:
        return f"{cal.name}, {cal.zone}, always open"
    hours = " ".join(f"{w.start:%H:%M}–{w.end:%H:%M}" for w in cal.windows)
    data = (
        f"data for {_years(cal.known_years)}"
        if cal.known_years
        else "no published data, Mon–Fri only"
    )
    entered = "".join(f"; {source}" for _, source in sorted(cal.entered.items()))
    return f"{cal.name}, {cal.zone}, {hours}, {data}{entered}"
