"""R-SLA-3, R-SLA-11: a provisional deadline (one in a year whose calendar was not published)
is re-planned once the year's calendar is known. The workflow asks for the calendar again when
`due` says so and hands the fresh policy to `checked`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain import arrangements, notices, sla, versions
from domain.calendar import next_working_instant
from domain.clocks import Wake
from domain.notice_models import CustomerTemplate
from domain.sla import HandlingPolicy
from domain.state import Clock, ClockKind
from domain.versions import Behaviour

if TYPE_CHECKING:
    from domain.case import Complaint

CALENDAR_CHECK_EVERY = timedelta(days=1)  # R-SLA-11 (rules 5): while a deadline is provisional


def due(case: Complaint, now: datetime) -> bool:
    """Whether the current stage clock is provisional and not yet checked against a fresh
    calendar (once per stage clock). Rules 5 (R-SLA-11): also once a day while a running
    deadline reaches into a year the case's calendar does not know."""
    book = case.clocks
    clock = book.stage()
    new_stage_clock = (
        clock is not None and clock.provisional and book.calendar_checked_for != clock.started_at
    )
    if not versions.has(case.rules, Behaviour.DAILY_CALENDAR_CHECK):
        return new_stage_clock
    if not arrangements.pending_years(case.policy.calendar, case.state.clocks, now):
        return False
    last = book.calendar_checked_at
    return new_stage_clock or last is None or now >= last + CALENDAR_CHECK_EVERY


def wake(case: Complaint) -> Wake | None:
    """Rules 5: the next daily check, while a deadline is provisional."""
    last = case.clocks.calendar_checked_at
    if not versions.has(case.rules, Behaviour.DAILY_CALENDAR_CHECK) or last is None:
        return None
    years = arrangements.pending_years(case.policy.calendar, case.state.clocks, last)
    if not years:
        return None
    named = ", ".join(str(y) for y in sorted(years))
    return Wake(last + CALENDAR_CHECK_EVERY, f"calendar check: is {named} published?")


def checked(case: Complaint, fresh: HandlingPolicy, now: datetime) -> bool:
    """Take a freshly loaded policy; True if it published a year and the clock moved."""
    if versions.has(case.rules, Behaviour.DAILY_CALENDAR_CHECK):
        return _checked_daily(case, fresh, now)
    book = case.clocks
    clock = book.stage()
    assert clock is not None
    book.calendar_checked_for = clock.started_at
    if set(fresh.calendar.known_years) <= set(case.policy.calendar.known_years):
        return False
    case.policy = fresh
    book.replan_stage()
    replanned = case.state.clock(clock.key)
    assert replanned is not None
    case.timeline.write(
        "clock",
        "system",
        f"calendar updated ({fresh.calendar.name}); "
        f"{replanned.label} now due {replanned.due_at.isoformat()}",
        now,
    )
    return True


def _checked_daily(case: Complaint, fresh: HandlingPolicy, now: datetime) -> bool:
    """R-SLA-11 (rules 5): the years now known are taken into the case's calendar (the
    rest of its policy stays its own), and every running deadline is re-planned with them,
    each move on the timeline with its basis. A deadline already passed, met, paused or
    given as a date (extended, expedited) does not move."""
    book = case.clocks
    clock = book.stage()
    if clock is not None:
        book.calendar_checked_for = clock.started_at
    book.calendar_checked_at = now
    before = case.policy.calendar
    years = arrangements.pending_years(before, case.state.clocks, now)
    years &= set(fresh.calendar.known_years)
    if not years:
        return False
    after = arrangements.merged(before, fresh.calendar, years)
    old_policy, case.policy = case.policy, case.policy.model_copy(update={"calendar": after})
    named = ", ".join(str(y) for y in sorted(years))
    sources = "; ".join(after.entered[y] for y in sorted(years) if y in after.entered)
    why = f"the calendar of {named} is now known ({sources or fresh.calendar.name}; R-SLA-11)"
    case.timeline.write("clock", "system", f"calendar updated: {why}", now)
    for old in list(case.state.clocks):
        new = (
            _regulatory_replanned(case, old_policy, old, now, why)
            if old.kind is ClockKind.REGULATORY
            else arrangements.replanned(before, after, old, now, why)
        )
        if new is None:
            continue
        book.replace(new)
        case.timeline.write(
            "clock",
            "system",
            f"{old.label} moved from {old.due_at.isoformat()} to {new.due_at.isoformat()}: {why}",
            now,
        )
        if new.kind is ClockKind.REGULATORY:
            told = case.outbox.words(
                CustomerTemplate.DECISION_DATE_KNOWN, decision_by=notices.last_day(new.due_at)
            )
            case.outbox.tell_customer(
                notices.calendar_known(named, new.due_at), now, told, clock="regulatory"
            )
        moved_day = notices.last_day(new.due_at) != notices.last_day(old.due_at)
        if new.kind is ClockKind.CUSTOMER and moved_day:  # R-CU-3: the day they were told
            told = case.outbox.words(
                CustomerTemplate.ANSWER_DATE_KNOWN, answer_by=notices.last_day(new.due_at)
            )
            case.outbox.tell_customer(
                notices.answer_date_known(named, new.due_at), now, told, clock=new.key
            )
    return True


def _regulatory_replanned(
    case: Complaint, old_policy: HandlingPolicy, clock: Clock, now: datetime, why: str
) -> Clock | None:
    """R-SLA-7 with the year now known: the Civil Code's count again from receipt (a last
    day that is a holiday moves to the next working day; one that became a make-up working
    day no longer moves), paused time added as before. Not moved once due, met or paused."""
    if clock.met_at or clock.breached_at or clock.paused_at or clock.due_at <= now:
        return None
    policy = case.policy
    granted = [e.regulatory_days for e in case.state.extensions if e.approved and e.regulatory_days]
    days = max(granted, default=policy.sla.regulatory_days)
    fresh = sla.regulatory_clock(policy, clock.started_at, days, rules=case.rules)
    due_at = fresh.due_at + clock.paused_for
    if due_at == clock.due_at or due_at <= now:
        return None
    warn = clock.warn_at
    if warn is not None and clock.warned_at is None and warn > now:
        warn = next_working_instant(policy.calendar, warn + (due_at - clock.due_at))
    return clock.model_copy(
        update={
            "due_at": due_at,
            "warn_at": warn,
            "provisional": fresh.provisional,
            "basis": f"{fresh.basis}; moved from {clock.due_at.isoformat()}: {why}",
        }
    )
