"""A year's arrangement of holidays and make-up working days (放假调休) entered as data (R-SLA-11).

The State Council publishes next year's arrangement late in the year; an administrator enters
it (the API's `/v1/calendar/{year}`, or `python -m api.calendar`) without waiting for the
calendar library to ship it. Pure: the arrangement is validated here, laid over a calendar
(`with_arrangement`), compared with the library's data for the same year (`differences`), and
a running case's provisional deadlines are re-planned with it (`replanned`).

An arrangement is written as the notice is: festival by festival, the days off and the
make-up working days (调休上班) that pay for them. What makes it valid:

- every date is in the arrangement's year; no day is listed twice, nor both off and a
  make-up working day; a make-up working day is a Saturday or a Sunday (a weekday works
  anyway);
- each festival's days off are one block: from its first day off to its last, every day is
  off: listed (under this festival or another: 2025's Mid-Autumn Festival, 6 October, sits
  inside National Day's 1-8 October) or an ordinary weekend day (a Saturday or Sunday that
  is not a make-up working day). So 2026's New Year (Thu 1 - Sat 3 January, Sunday 4 a
  make-up day) and a block that lists only its weekdays (Fri, then Mon, with the weekend
  between) are blocks; a block with a working Wednesday in its middle, or broken by one of
  the year's make-up days, is not. A block that starts in the year before (2018's New Year
  began on 30 December 2017) is entered in the year of each of its days: the last days of
  December as their own festival of that year. Every year the library ships (2004-2026)
  passes (tests/unit/test_arrangements.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.calendar import WorkCalendar, add_working_time, next_working_instant
from domain.calendar import working_time_between as between
from domain.state import Clock, ClockKind

_WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Name = Annotated[str, Field(min_length=1, max_length=100)]


class Festival(BaseModel):
    """One festival of the notice: its days off and the make-up working days for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    holidays: Annotated[list[date], Field(max_length=31)]
    # A make-up day may pay for days off of the next year (30 December 2006 for New Year 2007).
    makeup_workdays: Annotated[list[date], Field(max_length=10)] = []


class YearArrangement(BaseModel):
    """A year's arrangement as the notice gives it (validated: see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: Annotated[int, Field(ge=2000, le=2100)]
    notice: Annotated[str, Field(min_length=1, max_length=300)]  # the notice's reference
    festivals: Annotated[list[Festival], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _check(self) -> YearArrangement:
        wrong = problems(self)
        if wrong:
            raise ValueError("; ".join(wrong))
        return self

    def holidays(self) -> dict[date, str]:
        return dict(sorted((d, f.name) for f in self.festivals for d in f.holidays))

    def makeup_workdays(self) -> dict[date, str]:
        return dict(sorted((d, f.name) for f in self.festivals for d in f.makeup_workdays))


def _day(d: date) -> str:
    return f"{d.isoformat()} ({_WEEKDAY[d.weekday()]})"


def problems(a: YearArrangement) -> list[str]:
    """Every reason the arrangement is refused, each naming the festival and the day."""
    wrong: list[str] = []
    off: dict[date, str] = {}
    work: dict[date, str] = {}
    names: set[str] = set()
    for i, f in enumerate(a.festivals):
        where = f"festivals[{i}] ({f.name})"
        if f.name in names:
            wrong.append(f"{where}: the festival is listed twice")
        names.add(f.name)
        if not f.holidays and not f.makeup_workdays:
            wrong.append(f"{where}: neither a day off nor a make-up working day")
        for field, days, kind in (
            ("holidays", f.holidays, off),
            ("makeup_workdays", f.makeup_workdays, work),
        ):
            for d in days:
                if d.year != a.year:
                    wrong.append(f"{where}.{field}: {_day(d)} is not in {a.year}")
                if d in kind:
                    wrong.append(f"{where}.{field}: {_day(d)} is already listed under {kind[d]}")
                kind.setdefault(d, f.name)
        for d in f.makeup_workdays:
            if d.weekday() < 5:
                wrong.append(
                    f"{where}.makeup_workdays: {_day(d)} is a weekday; a make-up "
                    "working day is a Saturday or a Sunday"
                )
    for d in sorted(set(off) & set(work)):
        wrong.append(
            f"{_day(d)} is both a day off ({off[d]}) and a make-up working day ({work[d]})"
        )
    for i, f in enumerate(a.festivals):
        if not f.holidays:
            continue
        first, last = min(f.holidays), max(f.holidays)
        day = first
        while day <= last:
            ordinary_weekend = day.weekday() >= 5 and day not in work
            if day not in off and not ordinary_weekend:
                wrong.append(
                    f"festivals[{i}] ({f.name}).holidays: {_day(day)} between "
                    f"{first.isoformat()} and {last.isoformat()} is a working day, so the days "
                    "off are not one block with the weekend they join"
                )
                break
            day += timedelta(days=1)
    return wrong


def with_arrangement(cal: WorkCalendar, a: YearArrangement, source: str) -> WorkCalendar:
    """The calendar with the year's days as the arrangement gives them (the library's data of
    that year, if any, replaced), the year known, and where its data came from."""
    holidays = {d: v for d, v in cal.holidays.items() if d.year != a.year} | a.holidays()
    makeup = {d: v for d, v in cal.makeup_workdays.items() if d.year != a.year}
    makeup |= a.makeup_workdays()
    return cal.model_copy(
        update={
            "holidays": dict(sorted(holidays.items())),
            "makeup_workdays": dict(sorted(makeup.items())),
            "known_years": tuple(sorted({*cal.known_years, a.year})),
            "entered": dict(sorted((cal.entered | {a.year: source}).items())),
        }
    )


def merged(case: WorkCalendar, fresh: WorkCalendar, years: Iterable[int]) -> WorkCalendar:
    """A running case's calendar with `years` taken from a freshly loaded one. Everything else
    stays the case's own (its hours, the closures announced to it: a closed day stays closed)."""
    new = set(years)
    holidays = dict(case.holidays) | {
        d: v for d, v in fresh.holidays.items() if d.year in new and d not in case.holidays
    }
    makeup = {
        d: v for d, v in fresh.makeup_workdays.items() if d.year in new and d not in case.holidays
    } | dict(case.makeup_workdays)
    return case.model_copy(
        update={
            "holidays": dict(sorted(holidays.items())),
            "makeup_workdays": dict(sorted(makeup.items())),
            "known_years": tuple(sorted({*case.known_years, *new})),
            "entered": dict(
                sorted(
                    (case.entered | {y: s for y, s in fresh.entered.items() if y in new}).items()
                )
            ),
        }
    )


def differences(
    a: YearArrangement, library_holidays: dict[date, str], library_workdays: dict[date, str]
) -> list[str]:
    """How the library's data for the arrangement's year differs from it, day by day (the
    festivals' names are not compared: the library writes them in English)."""

    def of_year(days: dict[date, str]) -> set[date]:
        return {d for d in days if d.year == a.year}

    entered_off, entered_work = set(a.holidays()), set(a.makeup_workdays())
    lib_off, lib_work = of_year(library_holidays), of_year(library_workdays)
    out = [f"{_day(d)}: a day off as entered, not in the library" for d in entered_off - lib_off]
    out += [f"{_day(d)}: a day off in the library, not as entered" for d in lib_off - entered_off]
    out += [
        f"{_day(d)}: a make-up working day as entered, not in the library"
        for d in entered_work - lib_work
    ]
    out += [
        f"{_day(d)}: a make-up working day in the library, not as entered"
        for d in lib_work - entered_work
    ]
    return sorted(out)


def pending_years(cal: WorkCalendar, clocks: Iterable[Clock], now: datetime) -> set[int]:
    """The years not in the calendar that a running provisional clock reaches into."""
    years: set[int] = set()
    for c in clocks:
        if c.provisional and c.met_at is None and c.breached_at is None and c.due_at > now:
            years |= {
                y for y in range(c.started_at.year, c.due_at.year + 1) if y not in cal.known_years
            }
    return years


def replanned(
    before: WorkCalendar, after: WorkCalendar, clock: Clock, now: datetime, why: str
) -> Clock | None:
    """A working-time clock re-planned on a calendar that now knows its year (R-SLA-11): it
    keeps the working time it had left from `now`, counted on the new calendar, so an entered
    holiday pushes it on and an entered make-up working day pulls it in. None when it does not
    move: met, breached, paused, expedited or extended (a date given to someone), at any hour,
    already due, or due at the same instant. The regulatory clock is the case's (it counts
    calendar days: domain/sla.regulatory_due)."""
    if clock.kind is ClockKind.REGULATORY or not clock.working_hours_only or after.always_open:
        return None
    if clock.met_at or clock.breached_at or clock.paused_at or clock.expedited or clock.extended:
        return None
    if clock.due_at <= now:
        return None
    result = add_working_time(after, now, between(before, now, clock.due_at))
    if result.at == clock.due_at:
        return None
    warn = clock.warn_at
    if warn is not None and clock.warned_at is None and now < warn < clock.due_at:
        left = between(before, now, warn)
        warn = next_working_instant(after, add_working_time(after, now, left).at)
    today = now.date()
    return clock.model_copy(
        update={
            "due_at": result.at,
            "warn_at": warn,
            "provisional": result.provisional,
            "skipped_holidays": [d for d in clock.skipped_holidays if d < today]
            + list(result.skipped_holidays),
            "makeup_workdays": [d for d in clock.makeup_workdays if d < today]
            + list(result.makeup_workdays),
            "basis": f"{clock.basis}; moved from {clock.due_at.isoformat()}: {why}",
        }
    )
