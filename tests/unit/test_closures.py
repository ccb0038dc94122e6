"""R-SLA-10: an ad-hoc closure of a branch announced while a case runs moves its running
deadlines (rules 3), each move on the timeline with its basis; cases under rules 2 keep their
calendar; only an administrator announces one. Pure case, no server."""

from __future__ import annotations

from datetime import date, datetime

from domain.case import Complaint
from tests.unit.test_case_rules import SH, accept, act, refused

ADMIN = {"actor": "admin.chen", "role": "admin"}
TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=SH)


def closure(**kw: object) -> dict[str, object]:
    return {**ADMIN, "closure_key": "typhoon-1", "reason": "typhoon", **kw}


def investigating(rules: int = 3) -> Complaint:
    case = accept(TUESDAY, rules)
    act(case, "record_contact", TUESDAY, actor="li.na", role="handler")
    return case


def test_r_sla_10_closure_moves_the_running_stage_deadline_with_its_basis() -> None:
    case = investigating()
    before = case.state.clock("stage:investigate")
    assert before is not None
    act(
        case,
        "announce_closure",
        TUESDAY,
        **closure(first_day=date(2026, 3, 4), last_day=date(2026, 3, 5)),
    )
    after = case.state.clock("stage:investigate")
    assert after is not None
    # Two working days closed inside the span: the deadline moves two working days on.
    assert after.due_at.date() > before.due_at.date()
    assert (after.due_at.astimezone(SH).date() - before.due_at.astimezone(SH).date()).days >= 2
    assert "typhoon" in after.basis and "R-SLA-10" in after.basis
    moves = [e for e in case.state.timeline if e.kind == "clock" and "moved from" in e.detail]
    assert moves and "Shanghai Pudong closed 2026-03-04..2026-03-05" in moves[0].detail
    assert date(2026, 3, 4) in case.policy.calendar.holidays  # later clocks skip it too


def test_r_sla_10_closure_outside_the_remaining_span_moves_nothing() -> None:
    case = investigating()
    before = case.state.clock("stage:investigate")
    act(
        case,
        "announce_closure",
        TUESDAY,
        **closure(first_day=date(2026, 6, 1), last_day=date(2026, 6, 1)),
    )
    assert case.state.clock("stage:investigate") == before


def test_r_sla_10_only_the_admin_announces_and_rules_2_cases_keep_their_calendar() -> None:
    case = investigating()
    reason = refused(
        case,
        "announce_closure",
        TUESDAY,
        **closure(
            actor="wang.qiang",
            role="supervisor",
            first_day=date(2026, 3, 4),
            last_day=date(2026, 3, 4),
        ),
    )
    assert "admin role" in reason
    assert "not a case's handling" in refused(case, "withdraw", TUESDAY, **ADMIN)
    old = investigating(rules=2)
    due = old.state.clock("stage:investigate")
    one_day = closure(first_day=date(2026, 3, 4), last_day=date(2026, 3, 4))
    reason = refused(old, "announce_closure", TUESDAY, **one_day)
    assert "rules before 3" in reason and old.state.clock("stage:investigate") == due
