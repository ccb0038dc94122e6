"""The accountability proposals, pure: R-AN-5 in full, R-AC-4, R-AC-2, R-CR-8."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.accountability import (
    ZONE,
    CaseFacts,
    ConductFact,
    PenaltyPolicy,
    appeal_window_end,
    propose,
)
from tests.harness import test_calendar


def facts(**kw: Any) -> CaseFacts:
    base: dict[str, Any] = {
        "complaint_id": "C1",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "grade": "general",
        "channel": "hotline",
        "outcome": "resolved",
        "reopen_count": 1,
        "branch": "Shanghai Pudong",
    }
    return CaseFacts.model_validate(base | kw)


def test_r_an_5_penalties_by_channel_add_up_across_repeat_escalated_and_multi_channel() -> None:
    policy = PenaltyPolicy(by_channel={"regulator": 200, "media": 150})
    [direct, *_] = propose(
        facts(
            effective=True,
            repeat_count=2,
            escalated=True,
            multi_channel=True,
            repeat_channels=["regulator", "media"],
        ),
        policy,
    )
    # effective 100-150 + mishandled (3 times) 50-200 + repeats 200+150 + escalated 100
    # + further channels 200+150
    extra = 200 + 150 + 100 + 200 + 150
    assert (direct.minimum, direct.maximum) == (100 + 50 + extra, 150 + 200 + extra)
    cheaper = propose(facts(effective=True, repeat_count=1, repeat_channels=["online"]), policy)
    assert cheaper[0].minimum == 100 + 50  # a channel not listed: the default amount


def test_r_ac_4_every_managerial_level_and_the_department_head_for_escalated_or_media() -> None:
    props = propose(
        facts(
            effective=True,
            escalated=True,
            managerial_levels=["zhou.jie", "qian.li"],
            department_head="head.sun",
        )
    )
    held = {(p.person, p.responsibility) for p in props}
    assert {
        ("wang.qiang", "managerial"),
        ("zhou.jie", "managerial"),
        ("qian.li", "managerial"),
        ("head.sun", "department_head"),
    } <= held
    media = propose(facts(effective=True, channel="media", department_head="head.sun"))
    assert ("head.sun", "department_head") in {(p.person, p.responsibility) for p in media}
    plain = propose(facts(effective=True, department_head="head.sun"))
    assert "department_head" not in {p.responsibility for p in plain}


def test_r_an_5_complaint_staff_grounds_from_facts_late_progress_and_incomplete_ledger() -> None:
    [staff] = propose(facts(stage_breaches=2, missing_fields=["product", "policy_number"]))
    assert staff.responsibility == "complaint_staff" and staff.person == "li.na"
    assert any("late progress" in r for r in staff.reasons)
    assert any("incomplete ledger entry: product, policy_number" in r for r in staff.reasons)
    assert (staff.minimum, staff.maximum) == (20, 2 * 20 + 20)
    [only] = propose(facts(missing_fields=["department"]))
    assert (only.minimum, only.maximum) == (20, 20)
    assert propose(facts()) == []  # complete, on time: nothing


def test_r_cr_8_crisis_report_late_and_conduct_events_become_proposals() -> None:
    promise = ConductFact(person="zhao.min", kind="unauthorised_promise")
    props = propose(facts(crisis_late=["crisis:superior"], conduct=[promise]))
    got = {(p.person, p.responsibility, p.minimum, p.maximum) for p in props}
    assert got == {("li.na", "crisis_conduct", 100, 200), ("zhao.min", "crisis_conduct", 100, 200)}


def test_r_ac_2_five_working_days_from_the_branch_calendar() -> None:
    cal = test_calendar({date(2026, 10, 5): "National Day"})
    sent = datetime(2026, 10, 2, 10, 0, tzinfo=ZONE)  # a Friday
    # Mon 5th is a holiday: 6, 7, 8, 9, 12 -> the window ends with the 12th's working day
    assert appeal_window_end(cal, sent) == datetime(2026, 10, 12, 18, 0, tzinfo=ZONE)
    closed = test_calendar({date(2026, 10, 5): "National Day", date(2026, 10, 7): "typhoon"})
    assert appeal_window_end(closed, sent) == datetime(2026, 10, 13, 18, 0, tzinfo=ZONE)
