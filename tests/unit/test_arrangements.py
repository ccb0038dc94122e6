"""R-SLA-11: a year's arrangement entered as data, validated, laid over the calendar, and the
re-plan of a running case's provisional deadlines (R-SLA-3) under rules 5. No server."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.actions import ACTION_MODELS
from domain.arrangements import YearArrangement, differences, with_arrangement
from domain.calendar import (
    add_working_days,
    add_working_hours,
    is_working_day,
    working_time_between,
)
from domain.calendar_data import china_calendar, supported_years
from domain.case import CALENDAR_CHECK_EVERY, RULES, Complaint
from domain.intake import ComplaintIntake
from domain.notice_models import CustomerTemplate
from domain.notices import last_day
from domain.sla import HandlingPolicy, SlaPolicy, regulatory_due
from domain.vocabulary import Grade
from notices.templates import Wording
from tests.identities import act as sealed_act

SH = ZoneInfo("Asia/Shanghai")
CAL_2026 = china_calendar([2026, 2027])  # the library has no 2027: provisional
assert CAL_2026.known_years == (2026,)
POLICY = HandlingPolicy(calendar=CAL_2026, sla=SlaPolicy())

# A made-up 2027 (not the real notice): New Year off Fri 1 - Wed 6 January with the weekend,
# paid back on Saturday 9 January; a memorial day off Thu 14 - Sun 17 January.
MADE_UP_2027: dict[str, Any] = {
    "year": 2027,
    "notice": "test notice 2027-1",
    "festivals": [
        {
            "name": "New Year's Day",
            "holidays": [f"2027-01-0{d}" for d in range(1, 7)],
            "makeup_workdays": ["2027-01-09"],
        },
        {
            "name": "Memorial Day",
            "holidays": ["2027-01-14", "2027-01-15", "2027-01-16", "2027-01-17"],
        },
    ],
}
SOURCE = "2027 arrangement entered by admin.chen on 2026-12-10 (test notice 2027-1; version 1)"


def arrangement(**change: Any) -> YearArrangement:
    return YearArrangement.model_validate(MADE_UP_2027 | change)


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as err:
        YearArrangement.model_validate(data)
    return str(err.value)


# ---------------------------------------------------------------------------------------------
# Validation


def library_arrangement(year: int) -> dict[str, Any]:
    """A year of the library as an administrator would enter it from the notice: festival by
    festival (the last days of December that begin next year's New Year as their own)."""
    festivals: dict[str, dict[str, list[date]]] = defaultdict(
        lambda: {"holidays": [], "makeup_workdays": []}
    )
    for field, source in (
        ("holidays", chinese_calendar.holidays),
        ("makeup_workdays", chinese_calendar.workdays),
    ):
        for d, name in sorted(source.items()):
            if d.year == year:
                late = d.month == 12 and "New Year" in str(name)
                festivals[f"{name}{' (next year)' if late else ''}"][field].append(d)
    return {
        "year": year,
        "notice": f"library {year}",
        "festivals": [{"name": n, **f} for n, f in festivals.items()],
    }


@pytest.mark.parametrize("year", list(supported_years()))
def test_r_sla_11_every_real_arrangement_the_library_ships_is_accepted(year: int) -> None:
    """The rules of a valid arrangement hold for every real one (2004-2026): festivals inside
    festivals (2025's Mid-Autumn in National Day), blocks that end on a Saturday whose Sunday
    is a make-up day (2026's New Year), make-up days paying for next year's days off."""
    a = YearArrangement.model_validate(library_arrangement(year))
    lib = chinese_calendar.holidays, chinese_calendar.workdays
    assert (
        differences(
            a, {d: str(v) for d, v in lib[0].items()}, {d: str(v) for d, v in lib[1].items()}
        )
        == []
    )


def test_r_sla_11_bad_arrangements_are_refused_with_the_reason() -> None:
    new_year = MADE_UP_2027["festivals"][0]
    memorial = MADE_UP_2027["festivals"][1]
    cases = {
        "2026-12-31 (Thu) is not in 2027": [new_year | {"holidays": ["2026-12-31"]}],
        "2027-01-09 (Sat) is both a day off (Memorial Day) and a make-up working day": [
            new_year,
            memorial | {"holidays": ["2027-01-09"]},
        ],
        "2027-01-12 (Tue) is a weekday; a make-up working day is a Saturday or a Sunday": [
            new_year | {"makeup_workdays": ["2027-01-12"]}
        ],
        "2027-01-05 (Tue) between 2027-01-01 and 2027-01-08 is a working day, so the days off "
        "are not one block": [new_year | {"holidays": ["2027-01-01", "2027-01-04", "2027-01-08"]}],
        "2027-01-02 (Sat) between 2027-01-01 and 2027-01-04 is a working day": [
            new_year | {"holidays": ["2027-01-01", "2027-01-04"], "makeup_workdays": ["2027-01-02"]}
        ],
        "the festival is listed twice": [
            new_year,
            new_year | {"holidays": ["2027-02-01"], "makeup_workdays": []},
        ],
        "2027-01-03 (Sun) is already listed under New Year's Day": [
            new_year,
            memorial | {"holidays": ["2027-01-03"]},
        ],
    }
    for reason, festivals in cases.items():
        assert reason in refusal(MADE_UP_2027 | {"festivals": festivals}), reason
    assert "year" in refusal(MADE_UP_2027 | {"year": 1999})
    assert "notice" in refusal({k: v for k, v in MADE_UP_2027.items() if k != "notice"})


def test_r_sla_11_the_entered_year_is_known_and_wins_over_the_librarys() -> None:
    cal = with_arrangement(CAL_2026, arrangement(), SOURCE)
    assert cal.known_years == (2026, 2027) and cal.entered == {2027: SOURCE}
    assert not is_working_day(cal, date(2027, 1, 1)) and is_working_day(cal, date(2027, 1, 9))
    assert SOURCE in cal.model_copy().model_dump()["entered"][2027]
    # Entered over a year the library has: that year's library days are replaced.
    moved = YearArrangement.model_validate(
        {
            "year": 2026,
            "notice": "correction",
            "festivals": [{"name": "New Year's Day", "holidays": ["2026-01-01"]}],
        }
    )
    over = with_arrangement(CAL_2026, moved, "2026 entered")
    assert is_working_day(over, date(2026, 1, 2)) and not is_working_day(over, date(2026, 1, 1))
    assert not is_working_day(over, date(2026, 1, 3))  # an ordinary Saturday
    assert not is_working_day(over, date(2026, 1, 4))  # no longer a make-up Sunday


# ---------------------------------------------------------------------------------------------
# The property: a deadline never lands on an entered holiday nor skips a make-up day


@st.composite
def arrangements(draw: st.DrawFn) -> YearArrangement:
    """Valid arrangements of 2027: blocks of days off, each from a weekday run joined to its
    weekend, and make-up Saturdays or Sundays outside every block."""
    year_start = date(2027, 1, 1)
    starts = sorted(draw(st.sets(st.integers(0, 330), min_size=1, max_size=6)))
    festivals: list[dict[str, Any]] = []
    taken: set[date] = set()
    for i, s in enumerate(starts):
        first = year_start + timedelta(days=s)
        length = draw(st.integers(1, 8))
        days = [first + timedelta(days=n) for n in range(length)]
        if (
            any(
                d in taken or d + timedelta(days=1) in taken or d - timedelta(days=1) in taken
                for d in days
            )
            or days[-1].year != 2027
        ):
            continue
        taken |= set(days)
        festivals.append({"name": f"festival {i}", "holidays": days, "makeup_workdays": []})
    weekends = [year_start + timedelta(days=n) for n in range(365)]
    weekends = [d for d in weekends if d.weekday() >= 5 and d not in taken]
    makeup = draw(st.lists(st.sampled_from(weekends), max_size=6, unique=True))
    festivals[0]["makeup_workdays"] = makeup
    return YearArrangement.model_validate(
        {"year": 2027, "notice": "generated", "festivals": festivals}
    )


@settings(max_examples=150, deadline=None)
@given(
    a=arrangements(),
    start=st.datetimes(datetime(2026, 12, 1), datetime(2027, 11, 30)).map(
        lambda t: t.replace(tzinfo=SH)
    ),
    days=st.integers(0, 20),
    hours=st.floats(0.5, 60),
)
def test_r_sla_11_r_sla_3_deadlines_never_land_on_an_entered_holiday_nor_skip_a_make_up_day(
    a: YearArrangement, start: datetime, days: int, hours: float
) -> None:
    cal = with_arrangement(CAL_2026, a, "generated")
    holidays, makeup = a.holidays(), a.makeup_workdays()
    for wt in (add_working_days(cal, start, days), add_working_hours(cal, start, hours)):
        due_day = wt.at.astimezone(SH).date()
        assert due_day not in holidays, (due_day, wt)
        assert not wt.provisional  # 2026 and 2027 are both known now
        # Every make-up day strictly between the start's day and the due day was counted...
        first = start.astimezone(SH).date()
        inside = [d for d in makeup if first < d < due_day]
        assert set(inside) <= set(wt.makeup_workdays), (inside, wt)
        # ... and every entered holiday there skipped.
        assert {d for d in holidays if first < d < due_day} <= set(wt.skipped_holidays)
    # Working time counts a make-up day's hours: the span measured back equals what was added.
    wt = add_working_hours(cal, start, hours)
    assert abs(working_time_between(cal, start, wt.at) - timedelta(hours=hours)) < timedelta(
        seconds=1
    )
    # R-SLA-7 (the Civil Code): the last day of the period is never an entered holiday.
    due, _ = regulatory_due(HandlingPolicy(calendar=cal), start, 15)
    last = (due - timedelta(microseconds=1)).astimezone(SH).date()
    assert last not in holidays and is_working_day(cal, last)


# ---------------------------------------------------------------------------------------------
# The running case (rules 5)


def accept(received: datetime, **overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "complaint_id": "C2027",
        "channel": "hotline",
        "received_at": received,
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678"},
        "category": "claims settlement",
        "matter": "Claim unpaid.",
        "demands": "Pay it.",
        "grade": Grade.MAJOR,
    }
    intake = ComplaintIntake.model_validate(fields | overrides)
    return Complaint.accept(intake, POLICY, received, workflow_id="t", rules=RULES)


def contact(case: Complaint, now: datetime) -> None:
    action = ACTION_MODELS["record_contact"].model_validate(
        {"actor": "li.na", "role": "handler", "method": "phone"}
    )
    assert sealed_act(case, "record_contact", action, now)


ENTERED = HandlingPolicy(calendar=with_arrangement(CAL_2026, arrangement(), SOURCE))


def test_r_sla_11_r_sla_3_a_case_filed_on_2026_12_30_re_plans_at_its_daily_check() -> None:
    received = datetime(2026, 12, 30, 9, 30, tzinfo=SH)
    case = accept(received)
    assert case.calendar_check_due(received)  # its regulatory limit reaches into 2027
    assert not case.calendar_checked(POLICY, received)  # not published yet
    contact(case, received + timedelta(minutes=20))
    investigate = case.state.clock("stage:investigate")
    regulatory = case.state.clock("regulatory")
    assert investigate is not None and investigate.provisional and regulatory is not None
    # Weekdays only: Dec 31, Jan 1, 4, 5, 6 (R-SLA-3).
    assert investigate.due_at == datetime(2027, 1, 6, 18, tzinfo=SH)
    assert regulatory.due_at == datetime(2027, 1, 15, tzinfo=SH)  # last day Thu Jan 14
    now = received + timedelta(minutes=20)
    assert not case.calendar_checked(POLICY, now)
    # The next check is at most a day later: the case is woken for it.
    wake = case.next_wake()
    assert wake is not None and wake.at == now + CALENDAR_CHECK_EVERY and "2027" in wake.why
    later = now + CALENDAR_CHECK_EVERY
    assert case.calendar_check_due(later)
    case.take_notices()
    assert case.calendar_checked(ENTERED, later)
    moved = case.state.clock("stage:investigate")
    assert moved is not None and not moved.provisional
    # Dec 31, then Jan 7, 8, Saturday 9 (the entered make-up day), Monday 11.
    assert moved.due_at == datetime(2027, 1, 11, 18, tzinfo=SH)
    assert date(2027, 1, 9) in moved.makeup_workdays
    assert {date(2027, 1, d) for d in range(1, 7)} <= set(moved.skipped_holidays)
    assert moved.warn_at is not None and moved.warn_at < moved.due_at
    # The regulatory limit (Civil Code): the last day Jan 14 is an entered holiday, so the
    # period ends on the next working day, Monday Jan 18.
    reg = case.state.clock("regulatory")
    assert reg is not None and reg.due_at == datetime(2027, 1, 19, tzinfo=SH)
    assert not reg.provisional and SOURCE in reg.basis
    entries = [e.detail for e in case.state.timeline if e.kind == "clock"]
    assert any(
        e.startswith(
            f"{investigate.label} moved from 2027-01-06T18:00:00+08:00 to 2027-01-11T18:00:00+08:00"
        )
        and SOURCE in e
        and "R-SLA-11" in e
        for e in entries
    ), entries
    assert any(e.startswith(f"{regulatory.label} moved from") for e in entries)
    told = [n for n in case.take_notices() if n.recipient_role == "customer"]
    assert [n.clock for n in told] == ["regulatory"] and "2027-01-18" in told[0].body
    # Known now: no more checks, no more wakes for them.
    assert not case.calendar_check_due(later + CALENDAR_CHECK_EVERY)
    assert all("calendar check" not in w.why for w in [case.next_wake()] if w)
    # The rest of the case's policy stayed its own.
    assert case.policy.sla == POLICY.sla and case.policy.calendar.windows == CAL_2026.windows


def test_r_sla_11_a_deadline_already_passed_is_not_changed() -> None:
    """A case past the affected dates: its breached stage clock keeps its deadline."""
    received = datetime(2026, 12, 30, 9, 30, tzinfo=SH)
    case = accept(received)
    case.calendar_checked(POLICY, received)
    contact(case, received + timedelta(minutes=20))
    was = case.state.clock("stage:investigate")
    assert was is not None
    late = datetime(2027, 1, 7, 10, tzinfo=SH)  # the provisional Jan 6 deadline has passed
    case.fire_due(late)
    breached = case.state.clock("stage:investigate")
    assert breached is not None and breached.breached_at is not None
    assert case.calendar_checked(ENTERED, late)
    after = case.state.clock("stage:investigate")
    assert after is not None and after.due_at == was.due_at and after.breached_at is not None
    # The regulatory limit still runs: it moves.
    reg = case.state.clock("regulatory")
    assert reg is not None and reg.due_at == datetime(2027, 1, 19, tzinfo=SH)


def test_r_sla_3_a_rules_4_case_still_checks_once_per_stage_clock() -> None:
    """Running cases of rules 4 keep their timers: no daily check, no wake for one."""
    received = datetime(2026, 12, 30, 9, 30, tzinfo=SH)
    intake = accept(received).intake
    case = Complaint.accept(intake, POLICY, received, workflow_id="t", rules=4)
    contact(case, received + timedelta(minutes=20))
    now = received + timedelta(minutes=20)
    assert case.calendar_check_due(now)
    assert not case.calendar_checked(POLICY, now)
    assert not case.calendar_check_due(now + timedelta(days=3))
    wake = case.next_wake()
    assert wake is None or "calendar" not in wake.why


def test_r_sla_11_r_cu_3_the_customers_last_day_to_answer_moves_and_they_are_told() -> None:
    """An approved resolution put to the customer on 2026-12-31 has its 2 working days counted
    provisionally (Mon-Fri in 2027); once 2027's arrangement is entered (Jan 1-6 off), the day
    moves and the customer is told the new one, in their language."""
    received = datetime(2026, 12, 30, 9, 30, tzinfo=SH)
    case = accept(received, department_head="sun.hao")
    case.calendar_checked(POLICY, received)
    now = datetime(2026, 12, 31, 10, tzinfo=SH)
    contact(case, now)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("submit_investigation", {"findings": "f", "proposed_resolution": "赔付500元"}),
        (
            "decide_resolution",
            {
                "actor": "wang.qiang",
                "role": "supervisor",
                "approved": True,
                "collective": True,
                "participants": ["wang.qiang", "sun.hao"],
            },
        ),
    ]
    for name, fields in steps:
        action = ACTION_MODELS[name].model_validate({"actor": "li.na", "role": "handler"} | fields)
        assert sealed_act(case, name, action, now)
    asked = case.state.clock("customer:response")
    assert asked is not None
    case.take_notices()
    later = now + timedelta(hours=2)
    assert case.calendar_checked(ENTERED, later)
    moved = case.state.clock("customer:response")
    assert moved is not None
    assert moved.due_at > asked.due_at, (asked.due_at, moved.due_at)
    told = [
        n
        for n in case.take_notices()
        if n.words is not None and n.words.template is CustomerTemplate.ANSWER_DATE_KNOWN
    ]
    assert [n.clock for n in told] == ["customer:response"], told
    words = told[0].words
    assert words is not None and words.answer_by == last_day(moved.due_at)
    worded = Wording().word(told[0], later)
    assert worded.subject == "答复期限调整" and last_day(moved.due_at).isoformat() in worded.body
