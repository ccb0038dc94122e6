"""Ad-hoc closures of a branch (R-SLA-10): a typhoon day announced while a case runs moves the
case's running deadlines, each move with its basis. Pure; the case (domain/case.py) applies it
under rules 3 when `announce_closure` arrives.

A working-time clock keeps the working time it had left: what the closure takes out of the
remaining span is added after it (the closure's days are no longer working days). A
regulatory clock counts calendar days (R-SLA-7): only a last day that falls on the closure
moves, to the next working day. Crisis report clocks run at any hour and never move.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import (
    WorkCalendar,
    add_working_time,
    is_working_day,
    working_time_between,
)
from domain.state import Clock, ClockKind


def closed_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def with_closure(cal: WorkCalendar, first: date, last: date, reason: str) -> WorkCalendar:
    """The calendar with the branch closed from `first` to `last` (whole local days), a
    make-up working day among them closed too."""
    days = closed_days(first, last)
    holidays = dict(cal.holidays) | {d: f"closure: {reason}" for d in days}
    makeup = {d: v for d, v in cal.makeup_workdays.items() if d not in days}
    return cal.model_copy(
        update={"holidays": dict(sorted(holidays.items())), "makeup_workdays": makeup}
    )


def moved(
    before: WorkCalendar, after: WorkCalendar, clock: Clock, now: datetime, why: str
) -> Clock | None:
    """The clock with its deadline moved by the closure, or None if it does not move (met,
    breached, paused, at any hour, or the closure outside its remaining span)."""
    if clock.met_at is not None or clock.breached_at is not None or clock.paused_at is not None:
        return None
    if clock.due_at <= now or not clock.working_hours_only or after.always_open:
        return None
    if clock.kind is ClockKind.REGULATORY:
        zone = ZoneInfo(after.zone)
        last = (clock.due_at.astimezone(zone) - timedelta(microseconds=1)).date()
        day = last
        while not is_working_day(after, day):
            day += timedelta(days=1)
        if day == last:
            return None
        due = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    else:
        left = working_time_between(before, now, clock.due_at)
        due = add_working_time(after, now, left).at
        if due == clock.due_at:
            return None
    shift = due - clock.due_at
    warn = clock.warn_at
    if warn is not None and clock.warned_at is None and warn > now:
        warn = warn + shift
    return clock.model_copy(
        update={
            "due_at": due,
            "warn_at": warn,
            "basis": f"{clock.basis}; moved from {clock.due_at.isoformat()}: {why}",
        }
    )
