"""Escalation duties of rules 5, on the pure case: R-GR-4 (the regulator or the media coming in
later regrades the case and puts a crisis to the supervisor) and R-ST-9 (the first receiver
is told when a stage of a case they received is overdue). Rules-4 cases keep what they did.
No server.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain import outside_bodies
from domain.actions import ACTION_MODELS
from domain.calendar_data import china_calendar
from domain.case import Complaint, Refused
from domain.intake import ComplaintIntake
from domain.notice_models import NoticeKind
from domain.sla import HandlingPolicy, SlaPolicy
from domain.state import ClockKind
from domain.vocabulary import Grade, Stage
from tests.identities import act as sealed_act

SH = ZoneInfo("Asia/Shanghai")
POLICY = HandlingPolicy(calendar=china_calendar([2026]), sla=SlaPolicy())
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # a Tuesday morning
SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


def accept(rules: int = 5, **overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "complaint_id": "C5",
        "channel": "hotline",
        "received_at": T0,
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678"},
        "category": "claims settlement",
        "matter": "Claim unpaid.",
        "demands": "Pay it.",
    }
    intake = ComplaintIntake.model_validate(fields | overrides)
    return Complaint.accept(intake, POLICY, T0, workflow_id="complaint-C5", rules=rules)


def act(case: Complaint, name: str, now: datetime, **fields: Any) -> bool:
    fields.setdefault("actor", "li.na")
    return sealed_act(case, name, ACTION_MODELS[name].model_validate(fields), now)


def refused(case: Complaint, name: str, now: datetime, **fields: Any) -> str:
    with pytest.raises(Refused) as err:
        act(case, name, now, **fields)
    return err.value.reason


def run_until(case: Complaint, until: datetime) -> None:
    while (wake := case.next_wake()) is not None and wake.at <= until:
        case.fire_due(wake.at)


# ---------------------------------------------------------------------------------------------
# R-GR-4


@pytest.mark.parametrize("channel", ["regulator", "regulator_provincial", "media"])
def test_r_gr_4_a_repeat_from_the_regulator_or_media_makes_the_case_major_at_once(
    channel: str,
) -> None:
    case = accept()
    general_due = case.clocks.stage()
    assert general_due is not None and "(general)" in general_due.label
    case.take_notices()
    now = T0 + timedelta(minutes=30)
    act(case, "record_repeat", now, channel=channel)
    assert case.state.grade is Grade.MAJOR
    # The running stage clock was re-planned for a major complaint (R-SLA-4's regrade path).
    stage = case.clocks.stage()
    assert stage is not None and "(major)" in stage.label
    assert stage.started_at == general_due.started_at
    # A crisis is put to the supervisor: a staff notice and a 1-working-hour clock.
    decision = case.state.clock(outside_bodies.DECISION)
    assert decision is not None and decision.kind is ClockKind.DECISION
    assert decision.due_at == now + timedelta(hours=1)
    told = [n for n in case.take_notices() if n.recipient == "wang.qiang"]
    assert told and told[0].kind is NoticeKind.ESCALATION and "decline_crisis" in told[0].body


def test_r_gr_4_a_transfer_through_the_media_puts_the_crisis_too() -> None:
    case = accept()
    act(case, "transfer", T0, department="Claims", requirements="Answer it.", days=2, via="media")
    assert case.state.grade is Grade.MAJOR
    assert case.state.clock(outside_bodies.DECISION) is not None


def test_r_gr_4_a_customer_flagged_as_sent_by_the_regulator_or_media_is_that_body_coming_in() -> (
    None
):
    """R-CR-5's flag is the regulator or the media coming in: flagged later, the case is
    regraded and a crisis put to the supervisor; flagged again or for other help, nothing."""
    case = accept()
    act(case, "flag_customer", T0, flags=["vulnerable"])
    before = case.state.grade
    act(case, "flag_customer", T0, flags=["sent_by_regulator_or_media"])
    assert (before, case.state.grade) == (Grade.GENERAL, Grade.MAJOR)
    assert case.state.clock(outside_bodies.DECISION) is not None
    old = accept(rules=4)
    act(old, "flag_customer", T0, flags=["sent_by_regulator_or_media"])
    assert old.state.grade is Grade.GENERAL  # rules 4 kept what it did


def test_r_gr_3_a_customer_sent_by_the_regulator_or_media_starts_at_least_major() -> None:
    case = accept(help_flags=["sent_by_regulator_or_media"])
    assert case.state.grade is Grade.MAJOR
    assert "sent by the regulator or the media" in case.state.timeline[0].detail
    assert accept(rules=4, help_flags=["sent_by_regulator_or_media"]).state.grade is Grade.GENERAL


def test_r_gr_4_an_ordinary_repeat_changes_nothing() -> None:
    case = accept()
    act(case, "record_repeat", T0, channel="online")
    assert case.state.grade is Grade.GENERAL
    assert case.state.clock(outside_bodies.DECISION) is None


def test_r_gr_4_declaring_the_crisis_meets_its_decision_clock() -> None:
    case = accept()
    act(case, "record_repeat", T0, channel="media")
    act(case, "escalate_crisis", T0 + timedelta(minutes=20), reasons=["news media involved"])
    assert case.state.crisis and case.state.clock(outside_bodies.DECISION) is None
    met = [c for c in case.state.finished_clocks if c.key == outside_bodies.DECISION]
    assert met and met[0].breached_at is None


def test_r_gr_4_the_supervisor_records_why_not_and_no_one_else_may() -> None:
    case = accept()
    act(case, "record_repeat", T0, channel="regulator_national")
    later = T0 + timedelta(minutes=40)
    reason = refused(case, "decline_crisis", later, reason="asked once")  # the handler
    assert "supervisor" in reason
    act(case, "decline_crisis", later, reason="The regulator only forwarded it.", **SUPERVISOR)
    assert case.state.clock(outside_bodies.DECISION) is None and not case.state.crisis
    entry = case.state.timeline[-1]
    assert entry.action == "decline_crisis" and "only forwarded" in entry.detail
    # Declined once: a second decline has nothing to decide.
    assert "R-GR-4" in refused(case, "decline_crisis", later, reason="again", **SUPERVISOR)


def test_r_gr_4_an_undecided_crisis_breaches_and_reminds() -> None:
    case = accept()
    act(case, "record_repeat", T0, channel="media")
    case.take_notices()
    run_until(case, T0 + timedelta(hours=3))
    assert any(b.clock == outside_bodies.DECISION for b in case.state.breaches)
    reminders = [n for n in case.take_notices() if n.clock == outside_bodies.DECISION]
    assert {n.recipient for n in reminders} >= {"li.na", "wang.qiang"}


def test_r_gr_4_a_crisis_already_declared_is_not_put_again() -> None:
    case = accept()
    act(case, "escalate_crisis", T0, reasons=["customers at the outlet"])
    act(case, "record_repeat", T0 + timedelta(minutes=5), channel="media")
    assert case.state.clock(outside_bodies.DECISION) is None


def test_r_gr_4_rules_4_cases_keep_their_grade_and_refuse_decline_crisis() -> None:
    case = accept(rules=4)
    act(case, "record_repeat", T0, channel="media")
    assert case.state.grade is Grade.GENERAL
    assert case.state.clock(outside_bodies.DECISION) is None
    assert "rules 5" in refused(case, "decline_crisis", T0, reason="r", **SUPERVISOR)


@pytest.mark.parametrize("body", ["regulator", "government", "media"])
def test_r_gr_4_a_recorded_contact_of_an_outside_body_regrades_and_puts_a_crisis(
    body: str,
) -> None:
    """Not only a repeat or a transfer through their channel: a contact recorded on the case."""
    case = accept()
    case.take_notices()
    now = T0 + timedelta(minutes=10)
    act(case, "record_outside_contact", now, body=body, note="Asked about the unpaid claim.")
    assert case.state.grade is Grade.MAJOR
    stage = case.clocks.stage()
    assert stage is not None and "(major)" in stage.label
    decision = case.state.clock(outside_bodies.DECISION)
    assert decision is not None and decision.due_at == now + timedelta(hours=1)
    entries = [e.detail for e in case.state.timeline[-6:]]
    assert any("unpaid claim" in d for d in entries)  # the contact itself, with its note
    assert any(f"the {body} came in (a recorded contact)" in d for d in entries), entries
    notices = case.take_notices()
    [told] = [n for n in notices if n.recipient == "wang.qiang" and n.kind is NoticeKind.ESCALATION]
    # R-CR-11: the media's contact also warns the crisis group (here: the supervisor)
    warned = [n for n in notices if n.kind is NoticeKind.EARLY_WARNING]
    assert len(warned) == (1 if body == "media" else 0), warned
    assert "decline_crisis" in told.body and "name_department_head" in told.body, told.body


def test_r_gr_4_a_recorded_contact_says_who_and_what_and_fits_an_open_case_only() -> None:
    with pytest.raises(ValueError, match="note"):
        ACTION_MODELS["record_outside_contact"].model_validate({"actor": "li.na", "body": "media"})
    case = accept(rules=4)
    assert "rules 5" in refused(case, "record_outside_contact", T0, body="media", note="n")


def test_r_gr_4_a_crisis_already_declared_keeps_its_course_on_a_recorded_contact() -> None:
    case = accept(department_head="sun.hao")
    act(case, "escalate_crisis", T0, reasons=["customers at the outlet"])
    act(case, "record_outside_contact", T0, body="government", note="The district office called.")
    assert case.state.clock(outside_bodies.DECISION) is None and case.state.crisis


# ---------------------------------------------------------------------------------------------
# R-ST-9


def _overdue_contact(rules: int, reassign_to: str | None) -> list[str]:
    case = accept(rules=rules)
    if reassign_to is not None:
        act(case, "reassign", T0, owner=reassign_to)
    case.take_notices()
    clock = case.clocks.stage()
    assert clock is not None and case.state.stage is Stage.CONTACT
    run_until(case, clock.due_at + timedelta(days=2))
    return [
        n.recipient
        for n in case.take_notices()
        if n.clock == clock.key and n.recipient_role == "first_receiver"
    ]


def test_r_st_9_the_first_receiver_hears_of_an_overdue_stage_after_reassignment() -> None:
    assert _overdue_contact(5, "zhao.min") == ["li.na"]  # once, with the first reminder


def test_r_st_9_the_first_receiver_who_still_owns_the_case_is_told_as_owner_only() -> None:
    assert _overdue_contact(5, None) == []


def test_r_st_9_rules_4_did_not_chase_stage_clocks() -> None:
    assert _overdue_contact(4, "zhao.min") == []


# ---------------------------------------------------------------------------------------------
# R-ST-8


def _at_approval(rules: int = 5, **overrides: Any) -> Complaint:
    case = accept(rules=rules, **overrides)
    act(case, "record_contact", T0, method="phone")
    act(case, "submit_investigation", T0, findings="f", proposed_resolution="pay 500 yuan")
    assert case.state.stage is Stage.APPROVE
    return case


def test_r_st_8_the_named_department_head_takes_part_in_a_major_decision() -> None:
    case = _at_approval(grade="major")
    act(case, "name_department_head", T0, head="sun.hao", **SUPERVISOR)
    assert case.state.department_head == "sun.hao"
    reason = refused(
        case,
        "decide_resolution",
        T0,
        approved=True,
        collective=True,
        participants=["wang.qiang", "zhao.min"],
        **SUPERVISOR,
    )
    assert "R-ST-8" in reason and "sun.hao" in reason
    act(
        case,
        "decide_resolution",
        T0,
        approved=True,
        collective=True,
        participants=["wang.qiang", "sun.hao"],
        **SUPERVISOR,
    )
    assert case.state.stage is Stage.CLOSE


def test_r_st_8_a_crisis_case_too_and_a_rejection_needs_no_head() -> None:
    case = _at_approval()
    act(case, "escalate_crisis", T0, reasons=["customers at the outlet"])
    act(case, "name_department_head", T0, head="sun.hao", **SUPERVISOR)
    assert "R-ST-8" in refused(
        case,
        "decide_resolution",
        T0,
        approved=True,
        collective=True,
        participants=["wang.qiang", "zhao.min"],
        **SUPERVISOR,
    )
    act(case, "decide_resolution", T0, approved=False, **SUPERVISOR)
    assert case.state.stage is Stage.INVESTIGATE


def test_r_st_8_only_a_leader_names_the_head_and_rules_4_knows_no_such_action() -> None:
    case = _at_approval(grade="major")
    assert "supervisor" in refused(case, "name_department_head", T0, head="sun.hao")
    old = _at_approval(rules=4, grade="major")
    assert "rules 5" in refused(old, "name_department_head", T0, head="sun.hao", **SUPERVISOR)


MAJOR_APPROVAL: dict[str, Any] = {
    "approved": True,
    "collective": True,
    "participants": ["wang.qiang", "zhao.min"],
    **SUPERVISOR,
}


def test_r_st_8_a_major_case_with_no_department_head_is_not_approved() -> None:
    """Not only once named: a major case's approval waits for its department head."""
    case = _at_approval(grade="major")
    reason = refused(case, "decide_resolution", T0, **MAJOR_APPROVAL)
    assert "R-ST-8" in reason and "names no department head" in reason, reason
    assert "name_department_head" in reason and case.state.stage is Stage.APPROVE


def test_r_st_8_the_intake_names_the_department_head() -> None:
    case = _at_approval(grade="major", department_head="zhao.min")
    assert case.state.department_head == "zhao.min"
    act(case, "decide_resolution", T0, **MAJOR_APPROVAL)
    assert case.state.stage is Stage.CLOSE


def test_r_st_8_a_case_regraded_major_later_is_told_to_name_one() -> None:
    """R-GR-4 with R-ST-8: a general case the media came into is major at once; its
    approval asks for the department head the general case never needed."""
    case = _at_approval()
    act(case, "record_repeat", T0, channel="media")
    assert case.state.grade is Grade.MAJOR
    reason = refused(case, "decide_resolution", T0, **MAJOR_APPROVAL)
    assert "graded major and names no department head" in reason, reason
    act(case, "name_department_head", T0, head="zhao.min", **SUPERVISOR)
    act(case, "decide_resolution", T0, **MAJOR_APPROVAL)
    assert case.state.stage is Stage.CLOSE


def test_r_st_8_rules_4_approves_a_major_case_without_a_department_head() -> None:
    case = _at_approval(rules=4, grade="major", department_head="sun.hao")
    assert case.state.department_head is None  # the intake's field is rules 5's
    act(case, "decide_resolution", T0, **MAJOR_APPROVAL)
    assert case.state.stage is Stage.CLOSE
