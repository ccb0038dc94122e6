"""Deadlines: the SLA policy table and the pure functions that turn it into clocks.

Everything here is deterministic and runs inside the workflow. The policy and its calendar
reach the workflow as a `HandlingPolicy` through history (a local activity result), so a
calendar or policy published later never changes a deadline already computed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from domain import versions
from domain.calendar import (
    WorkCalendar,
    WorkingTime,
    add_working_days,
    add_working_time,
    describe,
    is_working_day,
    next_working_instant,
    working_time_between,
)
from domain.contacts import Unit
from domain.fields import Derived
from domain.intake import SpecialDeadlines
from domain.state import Clock, ClockKind
from domain.versions import Behaviour
from domain.vocabulary import Grade, Stage


class StageLimit(Derived):
    hours: float | None = None
    days: int | None = None

    def describe(self) -> str:
        if self.hours is not None:
            return f"{self.hours:g} working hour{'s' if self.hours != 1 else ''}"
        return f"{self.days} working day{'s' if self.days != 1 else ''}"


def _hours(n: float) -> StageLimit:
    return StageLimit(hours=n)


def _days(n: int) -> StageLimit:
    return StageLimit(days=n)


# The table of section 3 of the rules (S2 arts.14-21).
DEFAULT_LIMITS: dict[Grade, dict[Stage, StageLimit]] = {
    Grade.GENERAL: {
        Stage.CONTACT: _hours(2),
        Stage.INVESTIGATE: _days(3),
        Stage.APPROVE: _days(1),
        Stage.CLOSE: _days(2),
        Stage.CALLBACK: _days(2),
    },
    Grade.MAJOR: {
        Stage.CONTACT: _hours(1),
        Stage.INVESTIGATE: _days(5),
        Stage.APPROVE: _days(2),
        Stage.CLOSE: _days(2),
        Stage.CALLBACK: _days(2),
    },
}

CLOCKED_STAGES = (Stage.CONTACT, Stage.INVESTIGATE, Stage.APPROVE, Stage.CLOSE, Stage.CALLBACK)


class SlaPolicy(Derived):
    version: str = "2026.1"
    limits: dict[Grade, dict[Stage, StageLimit]] = DEFAULT_LIMITS
    warn_fraction: float = 0.8  # R-SLA-9: warning at this share of the stage's working time ...
    warn_before_hours: float | None = None  # ... or this many working hours before the deadline
    reminder_every_hours: float = 4.0  # working hours between reminders while overdue ...
    daily_reminders_after_hours: float | None = 8.0  # ... then one each working day, at opening
    crisis_reminder_every_minutes: int = 60  # crisis reports: at any hour ...
    crisis_daily_reminders_after_hours: float | None = 24.0  # ... then one a day, at opening
    regulator_media_major: bool = True  # R-GR-3
    regulatory_days: int = 15  # R-SLA-7
    review_window_days: int = 30  # R-IN-7
    crisis_superior_hours: float = 1.0  # R-CR-1
    crisis_headquarters_hours: float = 24.0
    crisis_decision_hours: float = 1.0  # R-GR-4: working hours to declare a crisis or say why not
    customer_response_days: int = Field(2, ge=1, le=30)  # R-CU-3: working days to answer
    # R-CR-10: clock hours for the insurer's person to arrive on site
    insurer_on_site_hours: float = Field(1.0, gt=0, le=24)
    # R-CR-11: working days for the review after a crisis ends
    crisis_review_days: int = Field(10, ge=1, le=60)
    working_day_hours: float = 8.0  # a working day's length, for the fast demo clock
    speed: float = 1.0  # demo only: >1 runs working time that many times faster


class HandlingPolicy(Derived):
    """How a case is handled: the calendar, the SLA table and the penalties' basis it runs
    under, as recorded in its history (not an insurance policy: those are `policy_number`,
    `ClassifyPolicy`, `PolicyClass`)."""

    calendar: WorkCalendar
    sla: SlaPolicy = SlaPolicy()
    # How many history events a run of the case may reach before it continues as new (rules 2;
    # Temporal warns at 10,240). A short run is a cheap wake-up for a case that left the
    # worker's cache; a general complaint's whole life is 50-170 events.
    history_budget: int = Field(default=1_000, ge=100)
    # R-AN-8: the root causes a case may close with (empty: domain/causes.DEFAULT_TAXONOMY's).
    causes: tuple[str, ...] = ()
    # R-CR-9: the case's unit and every unit above it to the head office, with their
    # designated contacts (domain/contacts.py); empty: the directory did not have the case's unit.
    report_chain: tuple[Unit, ...] = ()


PolicySnapshot = HandlingPolicy  # the old name, for code on other branches


# ---------------------------------------------------------------------------------------------
# Working-time arithmetic with the demo speed applied in one place


def _add(p: HandlingPolicy, start: datetime, amount: timedelta) -> WorkingTime:
    return add_working_time(p.calendar, start, amount / p.sla.speed)


def _between(p: HandlingPolicy, a: datetime, b: datetime) -> timedelta:
    return working_time_between(p.calendar, a, b) * p.sla.speed


def _add_limit(p: HandlingPolicy, start: datetime, limit: StageLimit) -> WorkingTime:
    if limit.hours is not None:
        return _add(p, start, timedelta(hours=limit.hours))
    assert limit.days is not None
    if p.sla.speed != 1.0 or p.calendar.always_open:
        return _add(p, start, timedelta(hours=limit.days * p.sla.working_day_hours))
    return add_working_days(p.calendar, start, limit.days)


def limit_for(
    p: HandlingPolicy, stage: Stage, grade: Grade, special: SpecialDeadlines | None
) -> StageLimit:
    if grade is Grade.SPECIAL and special is not None:
        if stage is Stage.CONTACT:
            return _hours(special.contact_hours)
        if stage is Stage.INVESTIGATE:
            return _days(special.investigate_days)
        if stage is Stage.APPROVE:
            return _days(special.approve_days)
    table = p.sla.limits.get(grade) or p.sla.limits[Grade.MAJOR]
    return table[stage]


def _in_hours(p: HandlingPolicy, t: datetime, rules: int) -> datetime:
    """R-SLA-9 (rules 2): a warning or reminder to staff lands on a working instant; greedy
    working-time arithmetic alone can end it at 12:00 or 18:00 sharp, when nobody works."""
    if not versions.has(rules, Behaviour.STAFF_ALARMS_ON_WORKING_INSTANTS):
        return t
    return next_working_instant(p.calendar, t)


def _warn_at(p: HandlingPolicy, start: datetime, due: datetime, rules: int) -> datetime | None:
    span = _between(p, start, due)
    if p.sla.warn_before_hours is not None:
        lead = timedelta(hours=p.sla.warn_before_hours)
        return _in_hours(p, _add(p, start, span - lead).at, rules) if span > lead else None
    if span <= timedelta(0):
        return None
    return _in_hours(p, _add(p, start, span * p.sla.warn_fraction).at, rules)


def _basis(p: HandlingPolicy, what: str, wt: WorkingTime) -> str:
    parts = [what, describe(p.calendar)]
    if wt.skipped_holidays:
        days = ", ".join(d.isoformat() for d in wt.skipped_holidays)
        parts.append(f"holidays skipped: {days}")
    if wt.makeup_workdays:
        days = ", ".join(d.isoformat() for d in wt.makeup_workdays)
        parts.append(f"make-up working days counted: {days}")
    if wt.provisional:
        parts.append("PROVISIONAL: the calendar of that year is not published, weekends only")
    if p.sla.speed != 1.0:
        parts.append(f"demo clock x{p.sla.speed:g}")
    return "; ".join(parts)


def stage_clock(
    p: HandlingPolicy,
    stage: Stage,
    grade: Grade,
    special: SpecialDeadlines | None,
    start: datetime,
    key: str,
    *,
    rules: int,
) -> Clock:
    limit = limit_for(p, stage, grade, special)
    return _working_clock(
        p,
        key,
        ClockKind.STAGE,
        start,
        limit,
        label=f"{stage.value}: {limit.describe()} ({grade.value})",
        what=f"{limit.describe()} for a {grade.value} complaint",
        rules=rules,
    )


def _working_clock(
    p: HandlingPolicy,
    key: str,
    kind: ClockKind,
    start: datetime,
    limit: StageLimit,
    *,
    label: str,
    what: str,
    rules: int,
) -> Clock:
    """A clock of working time with its warning and the basis the ledger shows for it."""
    wt = _add_limit(p, start, limit)
    return Clock(
        key=key,
        kind=kind,
        label=label,
        started_at=start,
        due_at=wt.at,
        warn_at=_warn_at(p, start, wt.at, rules),
        basis=_basis(p, what, wt),
        provisional=wt.provisional,
        skipped_holidays=list(wt.skipped_holidays),
        makeup_workdays=list(wt.makeup_workdays),
    )


def regulatory_due(p: HandlingPolicy, received_at: datetime, days: int) -> tuple[datetime, str]:
    """R-SLA-7: calendar days as the Civil Code counts them.

    The day of receipt is not counted; a last day that is not a working day (statutory
    holiday or weekend) moves to the next working day; the period ends at midnight.
    """
    if p.sla.speed != 1.0 or p.calendar.always_open:
        return _local(p, received_at + timedelta(days=days) / p.sla.speed), f"{days} calendar days"
    zone = ZoneInfo(p.calendar.zone)
    last = received_at.astimezone(zone).date() + timedelta(days=days)
    moved = last
    while not is_working_day(p.calendar, moved):
        moved += timedelta(days=1)
    end = datetime.combine(moved + timedelta(days=1), time(0), tzinfo=zone)
    note = f"{days} calendar days, day of receipt not counted"
    if moved != last:
        note += f"; last day {last.isoformat()} is not a working day, moved to {moved.isoformat()}"
    return end, note


def regulatory_clock(p: HandlingPolicy, received_at: datetime, days: int, *, rules: int) -> Clock:
    due, note = regulatory_due(p, received_at, days)
    span = due - received_at
    provisional = (
        any(y not in p.calendar.known_years for y in range(received_at.year, due.year + 1))
        and not p.calendar.always_open
    )
    return Clock(
        key="regulatory",
        kind=ClockKind.REGULATORY,
        label=f"regulatory: decision within {days} days",
        started_at=received_at,
        due_at=due,
        warn_at=_in_hours(p, received_at + span * p.sla.warn_fraction, rules),
        basis=f"{note}; {describe(p.calendar)}"
        + ("; PROVISIONAL: calendar not published" if provisional else ""),
        provisional=provisional,
    )


def _local(p: HandlingPolicy, t: datetime) -> datetime:
    """Every deadline is shown in the calendar's zone, whatever clock computed it."""
    return t.astimezone(ZoneInfo(p.calendar.zone))


def crisis_clock(
    p: HandlingPolicy, level: Literal["superior", "headquarters"], start: datetime
) -> Clock:
    hours = p.sla.crisis_superior_hours if level == "superior" else p.sla.crisis_headquarters_hours
    due = _local(p, start + timedelta(hours=hours) / p.sla.speed)
    whom = "the superior" if level == "superior" else "headquarters crisis group and regulator"
    return Clock(
        key=f"crisis:{level}",
        kind=ClockKind.CRISIS,
        label=f"crisis report to {whom} within {hours:g} h",
        started_at=start,
        due_at=due,
        warn_at=start + (due - start) * p.sla.warn_fraction,
        basis=f"R-CR-1: {hours:g} clock hours, reported at once at any hour",
        working_hours_only=False,
    )


def expedited(p: HandlingPolicy, clock: Clock, now: datetime, minutes: int, *, rules: int) -> Clock:
    """R-SLA-5: the stage is to be done the same day, within the given minutes."""
    due = _local(p, now + timedelta(minutes=minutes) / p.sla.speed)
    return clock.model_copy(
        update={
            "due_at": due,
            "warn_at": _in_hours(p, now + (due - now) * p.sla.warn_fraction, rules),
            "basis": f"expedited (特事特办): {minutes} minutes from {now.isoformat()}",
            "expedited": True,
            "warned_at": None,
            "breached_at": None,
            "next_reminder_at": None,
            "provisional": False,
        }
    )


def extended(
    p: HandlingPolicy, clock: Clock, now: datetime, new_due: datetime, *, rules: int
) -> Clock:
    """R-SLA-6: an approved extension moves the deadline; the warning follows it."""
    warn = _warn_at(p, clock.started_at, new_due, rules)
    return clock.model_copy(
        update={
            "due_at": new_due,
            "warn_at": warn if warn is not None and warn > now else None,
            "basis": f"extended to {new_due.isoformat()} (was {clock.due_at.isoformat()})",
            "extended": True,
            "warned_at": None,
            "breached_at": None,
            "next_reminder_at": None,
        }
    )


def paused(clock: Clock, now: datetime) -> Clock:
    return clock.model_copy(update={"paused_at": now})


def resumed(p: HandlingPolicy, clock: Clock, now: datetime, *, rules: int) -> Clock:
    """R-SLA-8: paused time does not count, and a resumed clock never fires a stale alarm."""
    assert clock.paused_at is not None
    pause = clock.paused_at
    update: dict[str, object] = {"paused_at": None, "paused_for": clock.paused_for + (now - pause)}
    working = clock.kind is ClockKind.STAGE and clock.working_hours_only

    def shift(t: datetime) -> datetime:
        # Working-time clocks keep their remaining working time; the others, wall time.
        return _add(p, now, _between(p, pause, t)).at if working else t + (now - pause)

    if clock.breached_at is None:
        update["due_at"] = shift(clock.due_at)
        if clock.warn_at is not None and clock.warned_at is None:
            update["warn_at"] = _in_hours(p, shift(clock.warn_at), rules)
    elif clock.next_reminder_at is not None and clock.next_reminder_at <= now:
        update["next_reminder_at"] = next_reminder(p, clock, now, rules=rules)
    return clock.model_copy(update=update)


# ---------------------------------------------------------------------------------------------
# Alarms: what a clock wants to happen next (R-SLA-4, R-SLA-9)

AlarmKind = Literal["warn", "breach", "remind"]


def next_alarm(clock: Clock) -> tuple[datetime, AlarmKind] | None:
    if clock.met_at is not None or clock.paused_at is not None:
        return None
    if clock.breached_at is None:
        if clock.warn_at is not None and clock.warned_at is None and clock.warn_at < clock.due_at:
            return clock.warn_at, "warn"
        return clock.due_at, "breach"
    if clock.next_reminder_at is not None:
        return clock.next_reminder_at, "remind"
    return None


def first_reminder(p: HandlingPolicy, clock: Clock, breached_at: datetime) -> datetime:
    """The breach is recorded at once; the reminder waits for the next opening (R-SLA-9)."""
    if not clock.working_hours_only:
        return breached_at
    return next_working_instant(p.calendar, breached_at)


def next_reminder(p: HandlingPolicy, clock: Clock, after: datetime, *, rules: int) -> datetime:
    """The reminder after one due at `after`. Rules 2: a clock overdue for longer than the
    policy's first stretch is reminded once a day, at the opening: every working day, or every
    day for crisis reports (a case left alone must not remind every hour for ever); and a
    reminder to staff lands on a working instant (R-SLA-9)."""
    thin = versions.has(rules, Behaviour.REMINDERS_THIN_OUT)
    overdue_since = clock.due_at
    if not clock.working_hours_only:
        daily = p.sla.crisis_daily_reminders_after_hours
        first_stretch = None if daily is None else timedelta(hours=daily) / p.sla.speed
        if thin and first_stretch is not None and after - overdue_since >= first_stretch:
            return _next_day_opening(p, after, working_days_only=False)
        return after + timedelta(minutes=p.sla.crisis_reminder_every_minutes) / p.sla.speed
    daily = p.sla.daily_reminders_after_hours
    if thin and daily is not None and _between(p, overdue_since, after) >= timedelta(hours=daily):
        return _next_day_opening(p, after, working_days_only=True)
    return _in_hours(p, _add(p, after, timedelta(hours=p.sla.reminder_every_hours)).at, rules)


def _next_day_opening(p: HandlingPolicy, after: datetime, *, working_days_only: bool) -> datetime:
    """The first opening on a day after `after`'s (always open: a day later)."""
    if p.calendar.always_open:
        return _local(p, after + timedelta(days=1) / p.sla.speed)
    zone = ZoneInfo(p.calendar.zone)
    tomorrow = after.astimezone(zone).date() + timedelta(days=1)
    opening = datetime.combine(tomorrow, p.calendar.windows[0].start, tzinfo=zone)
    return next_working_instant(p.calendar, opening) if working_days_only else opening


def deadline_clock(
    p: HandlingPolicy,
    key: str,
    kind: ClockKind,
    label: str,
    start: datetime,
    limit: StageLimit,
    *,
    rules: int,
) -> Clock:
    """A clock of working time that is no stage's (rules 3: a hand-over's, R-IN-5), with its
    warning and basis computed as a stage clock's are."""
    return _working_clock(
        p,
        key,
        kind,
        start,
        limit,
        label=f"{label}: {limit.describe()}",
        what=f"{limit.describe()} for {label}",
        rules=rules,
    )
