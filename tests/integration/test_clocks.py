"""Deadlines on the time-skipping server: warnings, breaches, reminders, extensions, pauses
(R-SLA-1..9, R-CR-1). Every expected instant is computed with the same pure calendar rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.calendar import (
    add_working_days,
    add_working_hours,
    add_working_time,
    is_working_instant,
    next_working_instant,
    working_time_between,
)
from domain.sla import HandlingPolicy, SlaPolicy
from domain.vocabulary import Stage
from tests.harness import Harness, eventually, test_calendar
from workflows import search_attributes as sa


async def test_r_sla_4_breach_recorded_owner_reminded_supervisor_told_reminders_repeat(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start()
    state = await h.state(handle)
    cal = h.policy.snapshot.calendar
    clock = state.clock("stage:contact")
    assert clock is not None and clock.warn_at is not None
    # Warning at 80% of the stage's working time.
    assert clock.warn_at == add_working_time(cal, clock.started_at, timedelta(minutes=96)).at

    first = next_working_instant(cal, clock.due_at)
    second = add_working_hours(cal, first, 4).at
    third = add_working_hours(cal, second, 4).at
    await h.sleep_until(third)
    state = await h.state(handle)

    assert [b.clock for b in state.breaches] == ["stage:contact"]
    assert _near(state.breaches[0].recorded_at, clock.due_at)
    contact = state.clock("stage:contact")
    assert contact is not None and contact.reminders == 3
    assert len(await h.notifier.wait_for("warning")) == 1
    reminders = await h.notifier.wait_for("reminder", 3)
    assert len(reminders) == 3 and {n.recipient for n in reminders} == {"li.na"}
    escalations = await h.notifier.wait_for("escalation")
    assert len(escalations) == 1 and escalations[0].recipient == "wang.qiang"
    # R-SLA-9: reminders go out inside working hours only.
    reminder_times = [e.at for e in state.timeline if e.kind == "reminder"]
    assert all(map(_near, reminder_times, [first, second, third])) and len(reminder_times) == 3
    assert all(is_working_instant(cal, t) for t in [first, second, third])
    # Ops staff can filter on it.
    attrs = (await handle.describe()).typed_search_attributes
    assert attrs.get(sa.SLA_BREACHED) is True
    assert attrs.get(sa.STAGE) == "contact"

    # Acting late is still accepted; the breach stays on record, the next clock starts clean.
    state = await h.act(handle, "record_contact")
    assert state.stage is Stage.INVESTIGATE and len(state.breaches) == 1
    assert (await handle.describe()).typed_search_attributes.get(sa.SLA_BREACHED) is False


async def test_r_sla_9_breach_at_night_recorded_at_once_reminder_at_next_opening(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start(grade="major")
    await h.act(handle, "record_contact")
    # A same-day order of 30 minutes issued in the evening breaches outside working hours.
    now = await h.now()
    cal = h.policy.snapshot.calendar
    evening = _next_evening(now)
    await h.sleep_until(evening)
    state = await h.act(handle, "expedite", actor="wang.qiang", role="supervisor", minutes=30)
    clock = state.clock("stage:investigate")
    assert clock is not None and clock.expedited
    await h.sleep(timedelta(hours=1))
    state = await h.state(handle)
    assert state.breaches and _near(state.breaches[-1].recorded_at, clock.due_at)
    assert not h.notifier.of("reminder")  # nobody is phoned at night
    opening = next_working_instant(cal, clock.due_at)
    await h.sleep_until(opening)
    state = await h.state(handle)
    times = [e.at for e in state.timeline if e.kind == "reminder"]
    assert len(times) == 1 and _near(times[0], opening)


async def test_r_sla_5_expedite_gives_the_stage_a_deadline_in_minutes(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    refused = await h.refusal(handle, "expedite", minutes=60)  # a handler is not a leader
    assert "supervisor" in refused
    now = await h.now()
    state = await h.act(handle, "expedite", actor="wang.qiang", role="supervisor", minutes=60)
    clock = state.clock("stage:investigate")
    assert clock is not None and clock.expedited
    assert timedelta(minutes=59) <= clock.due_at - now <= timedelta(minutes=61)
    assert "expedited" in clock.basis


async def test_r_sla_6_extension_approved_moves_deadline_and_tells_customer(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start()
    state = await h.act(handle, "record_contact")
    clock = state.clock("stage:investigate")
    assert clock is not None
    wanted = clock.due_at + timedelta(days=2)
    await h.act(
        handle,
        "request_extension",
        new_due_at=wanted.isoformat(),
        reason="waiting for the garage's invoice",
    )
    assert "supervisor" in await h.refusal(handle, "decide_extension", approved=True)
    state = await h.act(
        handle, "decide_extension", actor="wang.qiang", role="supervisor", approved=True
    )
    clock = state.clock("stage:investigate")
    assert clock is not None and clock.extended and clock.due_at == wanted
    assert state.extensions[0].approved is True and state.extensions[0].decided_by == "wang.qiang"
    notices = await h.notifier.wait_for("customer_notice")
    assert len(notices) == 1 and wanted.strftime("%Y-%m-%d") in notices[0].body
    # Nothing fires at the old deadline.
    await h.sleep_until(clock.due_at - timedelta(days=2))
    assert not (await h.state(handle)).breaches


async def test_r_sla_6_extension_denied_keeps_the_old_deadline(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    state = await h.act(handle, "record_contact")
    clock = state.clock("stage:investigate")
    assert clock is not None
    await h.act(
        handle,
        "request_extension",
        new_due_at=(clock.due_at + timedelta(days=1)).isoformat(),
        reason="busy",
    )
    state = await h.act(
        handle, "decide_extension", actor="wang.qiang", role="supervisor", approved=False
    )
    after = state.clock("stage:investigate")
    assert after is not None and after.due_at == clock.due_at and not after.extended
    assert state.extensions[0].approved is False
    assert not h.notifier.of("customer_notice")
    await h.sleep_until(clock.due_at)
    assert [b.clock for b in (await h.state(handle)).breaches] == ["stage:investigate"]


async def test_r_sla_7_regulatory_limit_warns_breaches_and_bounds_extensions(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start()
    state = await h.state(handle)
    regulatory = state.clock("regulatory")
    assert regulatory is not None
    received = state.received_at.astimezone(regulatory.due_at.tzinfo)
    # 15 days, day of receipt not counted, ending at midnight (moved past non-working days).
    last_day = (regulatory.due_at - timedelta(seconds=1)).date()
    assert last_day >= received.date() + timedelta(days=15)
    assert "day of receipt not counted" in regulatory.basis

    state = await h.act(handle, "record_contact")
    too_late = regulatory.due_at + timedelta(days=3)
    await h.act(handle, "request_extension", new_due_at=too_late.isoformat(), reason="complex")
    refused = await h.refusal(
        handle, "decide_extension", actor="wang.qiang", role="supervisor", approved=True
    )
    assert "R-SLA-7" in refused and "regulatory_days=30" in refused
    state = await h.act(
        handle,
        "decide_extension",
        actor="wang.qiang",
        role="supervisor",
        approved=True,
        regulatory_days=30,
    )
    longer = state.clock("regulatory")
    assert longer is not None and longer.due_at > too_late
    assert "30 calendar days" in longer.basis
    # Two notices, one date each: the stage's new date and the regulatory limit's last day.
    told = await h.notifier.wait_for("customer_notice", 2)
    assert any("Under the regulation" in n.body and n.clock == "regulatory" for n in told), told

    await h.sleep_until(longer.due_at)
    state = await h.state(handle)
    assert "regulatory" in [b.clock for b in state.breaches]

    async def regulatory_warned() -> bool:  # other clocks warn too, maybe first
        return any("regulatory" in (n.clock or "") for n in h.notifier.of("warning"))

    await eventually(regulatory_warned, what="the regulatory limit's warning")


async def test_r_sla_8_pause_over_a_holiday_does_not_count_and_never_fires_stale(
    harness: Harness,
) -> None:
    h = harness
    now = await h.now()
    # A three-day holiday starting two days from now.
    start = (now + timedelta(days=2)).date()
    holidays = {start + timedelta(days=i): "Test Festival" for i in range(3)}
    h.policy.snapshot = HandlingPolicy(calendar=test_calendar(holidays), sla=SlaPolicy())
    cal = h.policy.snapshot.calendar
    handle = await h.start()
    state = await h.act(handle, "record_contact")
    clock = state.clock("stage:investigate")
    assert clock is not None
    state = await h.act(handle, "pause_clock", reason="appraisal")
    paused = state.clock("stage:investigate")
    assert paused is not None and paused.paused_at is not None
    remaining = working_time_between(cal, paused.paused_at, clock.due_at)
    assert "pause" in (await h.notifier.wait_for("customer_notice"))[0].subject.lower()

    await h.sleep_until(clock.due_at + timedelta(days=3))  # well past the old deadline
    state = await h.state(handle)
    assert not state.breaches
    state = await h.act(handle, "resume_clock")
    resumed = state.clock("stage:investigate")
    assert resumed is not None and resumed.paused_at is None
    resumed_at = state.timeline[-1].at
    assert resumed.due_at == add_working_time(cal, resumed_at, remaining).at
    await h.sleep(timedelta(minutes=1))
    assert not (await h.state(handle)).breaches  # no stale breach on resume


async def test_r_sla_1_deadlines_roll_past_holidays_and_say_so(harness: Harness) -> None:
    h = harness
    now = await h.now()
    tomorrow = (now + timedelta(days=1)).date()
    holidays = {tomorrow + timedelta(days=i): "Test Festival" for i in range(7)}
    h.policy.snapshot = HandlingPolicy(calendar=test_calendar(holidays), sla=SlaPolicy())
    handle = await h.start()
    state = await h.act(handle, "record_contact")
    clock = state.clock("stage:investigate")
    assert clock is not None
    expected = add_working_days(h.policy.snapshot.calendar, clock.started_at, 3)
    assert clock.due_at == expected.at and clock.due_at.date() > max(holidays)
    assert "holidays skipped" in clock.basis and "test calendar" in clock.basis
    assert clock.skipped_holidays == list(expected.skipped_holidays)


async def test_r_sla_3_deadline_in_an_unpublished_year_is_provisional(harness: Harness) -> None:
    h = harness
    now = await h.now()
    known = tuple(y for y in range(2000, 2041) if y != now.year)  # this year's calendar missing
    h.policy.snapshot = HandlingPolicy(calendar=test_calendar(known_years=known), sla=SlaPolicy())
    handle = await h.start()
    state = await h.state(handle)
    clock = state.clock("stage:contact")
    assert clock is not None and clock.provisional and "PROVISIONAL" in clock.basis


async def test_r_cr_1_crisis_reports_due_in_1_and_24_hours_reminded_at_once(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start()
    now = await h.now()
    state = await h.act(
        handle, "escalate_crisis", reasons=["customers gathered at the outlet"], people_count=6
    )
    assert state.crisis and state.grade.value == "major"
    superior = state.clock("crisis:superior")
    hq = state.clock("crisis:headquarters")
    assert superior is not None and hq is not None
    assert superior.due_at - now <= timedelta(hours=1, seconds=5)
    assert hq.due_at - superior.due_at == timedelta(hours=23)
    assert len(await h.notifier.wait_for("crisis_report")) == 1  # the superior is told at once
    # The contact clock follows the new grade (1 working hour for major).
    contact = state.clock("stage:contact")
    assert contact is not None and "major" in contact.label

    await h.act(handle, "report_crisis", level="superior", summary="Reported to the branch head")
    await h.sleep_until(hq.due_at)
    state = await h.state(handle)
    assert "crisis:headquarters" in [b.clock for b in state.breaches]
    assert "crisis:superior" not in [b.clock for b in state.breaches]
    # Crisis reminders don't wait for working hours: the first goes out at the breach.
    first = next(e for e in state.timeline if e.kind == "reminder" and "crisis" in e.detail)
    assert _near(first.at, hq.due_at)
    attrs = (await handle.describe()).typed_search_attributes
    assert attrs.get(sa.CRISIS) is True and attrs.get(sa.GRADE) == "major"


def _next_evening(now: datetime) -> datetime:
    """21:00 Shanghai time on the next weekday evening after `now`."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    day = local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 21, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _near(a: datetime, b: datetime) -> bool:
    """Timers fire a few milliseconds after their instant."""
    return abs(a - b) < timedelta(seconds=1)


_ = date
