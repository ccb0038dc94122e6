"""Rules of the pure case found wanting in review, each under the rules version that
fixes it and, where the old behaviour is kept for replays, under rules 1 as well.

No server: the case is driven by hand, as `test_case_machine.py` drives it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.actions import ACTION_MODELS
from domain.calendar import add_working_hours, is_working_instant
from domain.calendar_data import china_calendar
from domain.case import LEGACY_RULES, RULES, Complaint, Refused
from domain.intake import ComplaintIntake
from domain.notice_models import NoticeKind
from domain.sla import HandlingPolicy, SlaPolicy
from domain.vocabulary import Grade, Stage
from tests.identities import act as sealed_act

SH = ZoneInfo("Asia/Shanghai")
CAL = china_calendar([2026])
POLICY = HandlingPolicy(calendar=CAL, sla=SlaPolicy())


def intake(received_at: datetime, **overrides: Any) -> ComplaintIntake:
    fields: dict[str, Any] = {
        "complaint_id": "R16",
        "channel": "hotline",
        "received_at": received_at,
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678"},
        "category": "claims settlement",
        "matter": "Claim unpaid.",
        "demands": "Pay it.",
    }
    return ComplaintIntake.model_validate(fields | overrides)


def accept(received_at: datetime, rules: int = RULES, **overrides: Any) -> Complaint:
    return Complaint.accept(
        intake(received_at, **overrides), POLICY, received_at, workflow_id="t", rules=rules
    )


def run_until(case: Complaint, until: datetime) -> None:
    """Wake the case at each alarm up to `until`, as the workflow's timer does."""
    while (wake := case.next_wake()) is not None and wake.at <= until:
        case.fire_due(wake.at)


# ---------------------------------------------------------------------------------------------
# R-SLA-9: the regulatory clock's warning reaches staff inside working hours


@pytest.mark.parametrize("rules", [LEGACY_RULES, RULES], ids=["rules-1", "rules-2"])
@pytest.mark.parametrize(
    ("received", "where"),
    [
        # 80 % of 15 days (to midnight after 2026-03-19): Monday 2026-03-16 21:12, at night.
        (datetime(2026, 3, 4, 10, 0, tzinfo=SH), "a weekday night"),
        # The last day moves past National Day to 10-08; 80 % of it: Monday 2026-10-05 12:43,
        # midday on a statutory holiday.
        (datetime(2026, 9, 21, 10, 0, tzinfo=SH), "a statutory holiday"),
    ],
)
def test_r_sla_9_regulatory_warning_fires_at_a_working_instant(
    received: datetime, where: str, rules: int
) -> None:
    case = accept(received, rules)
    regulatory = case.state.clock("regulatory")
    assert regulatory is not None and regulatory.warn_at is not None
    # The wall-time instant of 80 % (what rules 1 keeps) is not a working one.
    wall = received + (regulatory.due_at - received) * POLICY.sla.warn_fraction
    assert not is_working_instant(CAL, wall), (where, wall)
    case.take_notices()

    run_until(case, regulatory.due_at - timedelta(seconds=1))

    warned = case.state.clock("regulatory")
    assert warned is not None and warned.warned_at is not None
    warning = next(
        e for e in case.state.timeline if e.kind == "warning" and e.detail.startswith("regulatory:")
    )
    notice = next(n for n in case.take_notices() if n.clock == "regulatory")
    assert notice.kind.value == "warning" and notice.recipient == "li.na"
    if rules == LEGACY_RULES:
        # The defect, kept for cases started under rules 1 so that they replay the same.
        assert warned.warned_at == wall and not is_working_instant(CAL, warned.warned_at)
        return
    assert is_working_instant(CAL, warned.warned_at), (where, warned.warned_at.astimezone(SH))
    assert warning.at == warned.warned_at and warned.warned_at > wall
    assert warned.warned_at < warned.due_at


# ---------------------------------------------------------------------------------------------
# R-SLA-7: the further 30 days need the superior office or a head-office senior manager

HANDLER = {"actor": "li.na", "role": "handler"}
SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}
SENIOR = {"actor": "zhou.hq", "role": "senior_manager"}
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def act(case: Complaint, name: str, now: datetime, **fields: Any) -> None:
    sealed_act(case, name, ACTION_MODELS[name].model_validate(fields), now)


def refused(case: Complaint, name: str, now: datetime, **fields: Any) -> str:
    with pytest.raises(Refused) as refusal:
        act(case, name, now, **fields)
    return refusal.value.reason


def asking_for_60_days(rules: int) -> tuple[Complaint, datetime]:
    """A case in investigation whose handler asks to take the regulatory limit to 60 days."""
    case = accept(MONDAY, rules)
    now = MONDAY + timedelta(hours=1)
    act(case, "record_contact", now, **HANDLER)
    regulatory = case.state.clock("regulatory")
    assert regulatory is not None
    act(
        case,
        "request_extension",
        now,
        **HANDLER,
        reason="especially complex",
        new_due_at=regulatory.due_at + timedelta(days=20),
        regulatory_days=60,
    )
    return case, now


def test_r_sla_7_a_supervisor_cannot_grant_the_further_30_days() -> None:
    case, now = asking_for_60_days(RULES)
    reason = refused(case, "decide_extension", now, **SUPERVISOR, approved=True)
    assert "R-SLA-7" in reason and "senior_manager" in reason, reason
    assert case.state.timeline[-1].kind == "refused"
    regulatory = case.state.clock("regulatory")
    assert regulatory is not None and "15 days" in regulatory.label

    act(case, "decide_extension", now, **SENIOR, approved=True)
    regulatory = case.state.clock("regulatory")
    assert regulatory is not None and "60 days" in regulatory.label
    [extension] = case.state.extensions
    assert extension.decided_by == "zhou.hq" and extension.regulatory_days == 60


def test_r_sla_7_a_supervisor_still_grants_the_first_extension_to_30_days() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(hours=1)
    act(case, "record_contact", now, **HANDLER)
    regulatory = case.state.clock("regulatory")
    assert regulatory is not None
    act(
        case,
        "request_extension",
        now,
        **HANDLER,
        reason="complex",
        new_due_at=regulatory.due_at + timedelta(days=5),
        regulatory_days=30,
    )
    act(case, "decide_extension", now, **SUPERVISOR, approved=True)
    longer = case.state.clock("regulatory")
    assert longer is not None and "30 days" in longer.label


def test_r_sla_7_a_senior_manager_may_take_every_supervisors_action() -> None:
    case = accept(MONDAY, grade="major")
    now = MONDAY + timedelta(hours=1)
    act(case, "expedite", now, **SENIOR, minutes=90)
    act(case, "record_contact", now, **HANDLER)
    act(
        case,
        "designate_special",
        now,
        **SENIOR,
        deadlines={"contact_hours": 2, "investigate_days": 4, "approve_days": 1},
    )
    act(case, "submit_investigation", now, **HANDLER, findings="f", proposed_resolution="r")
    act(case, "decide_resolution", now, **SENIOR, approved=False, reason="more proof")
    assert case.state.stage is Stage.INVESTIGATE
    reason = refused(case, "expedite", now, **HANDLER, minutes=90)
    assert "supervisor or senior_manager" in reason, reason


def test_r_sla_7_rules_1_keeps_the_supervisors_grant_and_knows_no_senior_manager() -> None:
    """A case started before this release: unchanged, so that its history replays."""
    case, now = asking_for_60_days(LEGACY_RULES)
    reason = refused(case, "decide_extension", now, **SENIOR, approved=True)
    assert "rules 1" in reason and "supervisor" in reason, reason
    act(case, "decide_extension", now, **SUPERVISOR, approved=True)
    regulatory = case.state.clock("regulatory")
    assert regulatory is not None and "60 days" in regulatory.label


# ---------------------------------------------------------------------------------------------
# R-GR-1: a special grade comes with the deadlines its superior sets

DEADLINES = {"contact_hours": 3, "investigate_days": 7, "approve_days": 3}


def test_r_gr_1_special_at_intake_takes_its_deadlines_from_the_intake() -> None:
    case = accept(MONDAY, grade="special", special_deadlines=DEADLINES)
    s = case.state
    assert s.grade is Grade.SPECIAL and s.special_deadlines is not None
    assert s.special_deadlines.model_dump() == DEADLINES
    contact = s.clock("stage:contact")
    assert contact is not None and contact.label == "contact: 3 working hours (special)"
    assert contact.due_at == add_working_hours(CAL, MONDAY, 3).at
    act(case, "record_contact", MONDAY + timedelta(hours=1), **HANDLER)
    investigate = case.state.clock("stage:investigate")
    assert investigate is not None and "7 working days" in investigate.label


def test_r_gr_1_special_without_deadlines_runs_as_major_until_designated() -> None:
    case = accept(MONDAY, grade="special")
    s = case.state
    assert s.grade is Grade.MAJOR and s.special_deadlines is None
    [intake_entry] = [e for e in s.timeline if e.kind == "intake"]
    assert "graded major" in intake_entry.detail
    assert "R-GR-1" in intake_entry.detail and "designate_special" in intake_entry.detail
    contact = s.clock("stage:contact")
    assert contact is not None and contact.label == "contact: 1 working hour (major)"

    now = MONDAY + timedelta(minutes=20)
    act(case, "designate_special", now, **SUPERVISOR, deadlines=DEADLINES)
    assert case.state.grade is Grade.SPECIAL
    contact = case.state.clock("stage:contact")
    assert contact is not None and contact.label == "contact: 3 working hours (special)"


def test_r_gr_1_rules_1_keeps_a_special_grade_without_deadlines_on_the_major_table() -> None:
    """A case started before this release: unchanged, so that its history replays."""
    case = accept(MONDAY, LEGACY_RULES, grade="special")
    assert case.state.grade is Grade.SPECIAL and case.state.special_deadlines is None
    contact = case.state.clock("stage:contact")
    assert contact is not None and contact.label == "contact: 1 working hour (special)"


# ---------------------------------------------------------------------------------------------
# R-ST-1: a technically hard case's difficult points go in writing to the level above


def investigated(rules: int, **submitted: Any) -> Complaint:
    case = accept(MONDAY, rules)
    now = MONDAY + timedelta(hours=1)
    act(case, "record_contact", now, **HANDLER)
    case.take_notices()
    act(
        case,
        "submit_investigation",
        now + timedelta(hours=2),
        **HANDLER,
        findings="The garage's quote includes parts the accident did not damage.",
        proposed_resolution="Re-inspect and pay the agreed amount.",
        **submitted,
    )
    return case


# Rules 2-4: to the supervisor alone (rules 5, to head office and the department concerned as
# well: tests/unit/test_causes_and_contacts.py).
SUPERVISOR_ONLY = 4


def test_r_st_1_a_difficulty_is_reported_in_writing_to_the_supervisor() -> None:
    case = investigated(SUPERVISOR_ONLY, difficulty="loss_assessment")
    [report] = case.take_notices()
    assert report.kind is NoticeKind.DIFFICULTY_REPORT
    assert (report.recipient_role, report.recipient, report.channels) == (
        "supervisor",
        "wang.qiang",
        ["email"],
    )
    assert "loss-assessment question" in report.subject
    assert "parts the accident did not damage" in report.body and "li.na" in report.body
    assert "Re-inspect" in report.body
    entries = [e for e in case.state.timeline if e.kind == "notice"]
    assert entries[-1].detail == f"difficulty_report to supervisor: {report.subject}"
    assert case.state.stage is Stage.APPROVE


def test_r_st_1_no_difficulty_no_report_and_rules_1_unchanged() -> None:
    assert not investigated(RULES).take_notices()
    assert not investigated(LEGACY_RULES, difficulty="coverage").take_notices()


def test_r_st_1_without_a_supervisor_the_timeline_says_the_report_has_nobody_to_go_to() -> None:
    case = accept(MONDAY, SUPERVISOR_ONLY, supervisor=None)
    now = MONDAY + timedelta(hours=1)
    act(case, "record_contact", now, **HANDLER)
    case.take_notices()
    act(
        case,
        "submit_investigation",
        now,
        **HANDLER,
        findings="f",
        proposed_resolution="r",
        difficulty="coverage",
    )
    assert not case.take_notices()
    assert any("R-ST-1" in e.detail and "no supervisor" in e.detail for e in case.state.timeline)


# ---------------------------------------------------------------------------------------------
# R-ST-2: a collective decision names who took part


def awaiting_approval(rules: int = RULES, **overrides: Any) -> tuple[Complaint, datetime]:
    case = accept(MONDAY, rules, **overrides)
    now = MONDAY + timedelta(hours=1)
    act(case, "record_contact", now, **HANDLER)
    act(case, "submit_investigation", now, **HANDLER, findings="f", proposed_resolution="r")
    return case, now


@pytest.mark.parametrize("participants", [[], ["wang.qiang"], ["wang.qiang", "wang.qiang"]])
def test_r_st_2_a_collective_approval_needs_two_participants(participants: list[str]) -> None:
    case, now = awaiting_approval(grade="major")
    reason = refused(
        case,
        "decide_resolution",
        now,
        **SUPERVISOR,
        approved=True,
        collective=True,
        participants=participants,
    )
    assert "R-ST-2" in reason and "two" in reason and "participants" in reason, reason
    assert case.state.stage is Stage.APPROVE


def test_r_st_2_the_timeline_names_who_took_part() -> None:
    case, now = awaiting_approval(grade="major", department_head="sun.hao")
    reason = refused(case, "decide_resolution", now, **SUPERVISOR, approved=True)
    assert "collective=true and the participants" in reason, reason
    act(
        case,
        "decide_resolution",
        now,
        **SUPERVISOR,
        approved=True,
        collective=True,
        participants=["wang.qiang", "zhao.min", "sun.hao"],
    )
    assert case.state.stage is Stage.CLOSE
    entry = next(e for e in reversed(case.state.timeline) if e.kind == "action")
    assert entry.action == "decide_resolution" and entry.actor == "wang.qiang"
    for name in ("wang.qiang", "zhao.min", "sun.hao"):
        assert name in entry.detail, entry.detail


def test_r_st_2_a_general_case_approved_alone_needs_no_participants() -> None:
    case, now = awaiting_approval()
    act(case, "decide_resolution", now, **SUPERVISOR, approved=True)
    assert case.state.stage is Stage.CLOSE
    entry = next(e for e in reversed(case.state.timeline) if e.kind == "action")
    assert entry.detail == (
        "decide_resolution by supervisor via system: {'approved': True, 'collective': False}"
    )


def test_r_st_2_rules_1_keeps_the_self_declared_collective_decision() -> None:
    """A case started before this release: unchanged, so that its history replays."""
    case, now = awaiting_approval(LEGACY_RULES, grade="major")
    act(case, "decide_resolution", now, **SUPERVISOR, approved=True, collective=True)
    assert case.state.stage is Stage.CLOSE


# ---------------------------------------------------------------------------------------------
# R-SLA-4: a stage breaches once, whatever happens to its deadline afterwards


@pytest.mark.parametrize("rules", [3, RULES], ids=["rules-3", f"rules-{RULES}"])
def test_r_sla_4_escalation_after_a_breach_does_not_breach_the_stage_again(rules: int) -> None:
    """A general complaint's contact (2 working hours) passes its deadline; a crisis is then
    declared, so the case is major and its contact deadline is 1 working hour: already past.
    The stage was breached once and its reminders carry on; rules 3 recorded a second breach
    of the same stage (kept for the cases started under it, so they replay the same)."""
    case = accept(MONDAY, rules)
    run_until(case, MONDAY + timedelta(hours=3))
    assert [b.clock for b in case.state.breaches] == ["stage:contact"]
    reminded = case.state.clock("stage:contact")
    assert reminded is not None and reminded.breached_at is not None

    now = MONDAY + timedelta(hours=3, minutes=30)
    act(case, "escalate_crisis", now, **SUPERVISOR, reasons=["media"], people_count=1)
    contact = case.state.clock("stage:contact")
    assert contact is not None and "(major)" in contact.label  # the deadline follows the grade
    assert contact.due_at == MONDAY + timedelta(hours=1)
    run_until(case, now + timedelta(hours=1))
    breaches = [b for b in case.state.breaches if b.clock == "stage:contact"]
    if rules == 3:
        assert len(breaches) == 2  # the defect, kept for rules-3 cases
        return
    assert len(breaches) == 1
    contact = case.state.clock("stage:contact")
    assert contact is not None
    assert contact.breached_at == reminded.breached_at
    assert contact.reminders >= reminded.reminders
    contact_breaches = [
        e for e in case.state.timeline if e.kind == "breach" and e.detail.startswith("contact")
    ]
    assert len(contact_breaches) == 1
