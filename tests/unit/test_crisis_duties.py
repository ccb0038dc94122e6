"""Crisis duties of rules 5 on the pure case (domain/crisis.py, domain/actions/crisis_duties.py,
domain/actions/bank.py): the insurer on site (R-CR-10), the review after a crisis and the
early warning of a media report (R-CR-11), the insurer as the final owner (R-CR-12). Cases of
rules 4 keep what they did. No server; the clocks really firing: tests/integration/
test_crisis_duties.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain import crisis, outside_bodies, versions
from domain.actions import ACTION_MODELS, customer_response
from domain.calendar_data import china_calendar
from domain.case import Complaint, Refused
from domain.contacts import Contact, Unit
from domain.intake import ComplaintIntake
from domain.notice_models import NoticeKind
from domain.sla import HandlingPolicy, SlaPolicy
from domain.state import ClockKind
from domain.versions import Behaviour
from domain.vocabulary import Grade, Role, Stage
from tests.identities import act as sealed_act

SH = ZoneInfo("Asia/Shanghai")
POLICY = HandlingPolicy(calendar=china_calendar([2026]), sla=SlaPolicy())
T0 = datetime(2026, 3, 6, 17, 30, tzinfo=SH)  # a Friday, half an hour before closing
OUTLET = {"bank": "工商银行", "outlet": "浦东支行", "responsible_person": "zhou.outlet"}
CROWD = {"people_count": 8, "media": True}
HANDLER: dict[str, Any] = {"actor": "li.na", "role": "handler"}
SUPERVISOR: dict[str, Any] = {"actor": "wang.qiang", "role": "supervisor"}
CHAIN = (
    Unit(
        unit="Shanghai Pudong",
        level="county",
        name="浦东支公司",
        parent="Head Office",
        contacts=[Contact(name="何静", user="he.jing")],
    ),
    Unit(
        unit="Head Office",
        level="head_office",
        name="总公司",
        contacts=[
            Contact(name="危机小组", user="crisis.desk"),
            Contact(name="王总", user="wang.hq"),
        ],
    ),
)


def accept(rules: int = 5, policy: HandlingPolicy = POLICY, **overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "complaint_id": "CD1",
        "channel": "bank_outlet",
        "bank_outlet": OUTLET,
        "received_at": T0,
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678"},
        "category": "surrender value",
        "matter": "The surrender value is far below what I was told.",
        "demands": "Refund the premiums.",
    }
    intake = ComplaintIntake.model_validate(fields | overrides)
    return Complaint.accept(intake, policy, T0, workflow_id="complaint-CD1", rules=rules)


def act(case: Complaint, name: str, now: datetime = T0, **fields: Any) -> bool:
    fields = HANDLER | fields
    return sealed_act(case, name, ACTION_MODELS[name].model_validate(fields), now)


def refused(case: Complaint, name: str, now: datetime = T0, **fields: Any) -> str:
    with pytest.raises(Refused) as err:
        act(case, name, now, **fields)
    return err.value.reason


def close(case: Complaint, now: datetime) -> None:
    """Contact to closed along the usual path, at `now`."""
    act(case, "record_contact", now, method="phone")
    act(case, "submit_investigation", now, findings="f", proposed_resolution="r")
    major = case.state.crisis or case.state.grade != "general"
    heads = versions.has(case.rules, Behaviour.DEPARTMENT_HEAD_DECIDES)
    if major and heads and case.state.department_head is None:
        act(case, "name_department_head", now, **SUPERVISOR, head="zhao.min")  # R-ST-8
    participants = ["wang.qiang", "zhao.min"]
    decision = {"approved": True, "collective": True, "participants": participants}
    act(case, "decide_resolution", now, **SUPERVISOR, **decision)
    if customer_response.awaiting(case.state) is not None:  # R-CU-3: the customer accepts
        act(case, "record_customer_response", now, response="accepts")
    act(case, "close_case", now, result="done")
    act(case, "record_callback", now, satisfied=True)


def run_until(case: Complaint, until: datetime) -> None:
    """What the workflow does: fire each alarm when due, until `until` or the case ends."""
    while (wake := case.next_wake()) is not None and wake.at <= until:
        case.fire_due(wake.at)
        if case.finished(wake.at):
            return


# ---------------------------------------------------------------------------------------------
# R-CR-10: the insurer on site


def test_r_cr_10_the_call_is_recorded_and_runs_one_clock_hour_at_any_hour() -> None:
    """Called at 17:30 on a Friday: due at 18:30 the same evening (not Monday morning)."""
    case = accept()
    act(case, "call_insurer_on_site", person="chen.jie", soothing="script read twice")
    clock = case.state.clock(crisis.ON_SITE)
    assert clock is not None and clock.kind is ClockKind.ON_SITE
    assert clock.due_at == T0 + timedelta(hours=1) and not clock.working_hours_only
    [call] = case.state.crisis_records
    assert (call.kind, call.person, call.actor, call.at) == (
        "insurer_called",
        "chen.jie",
        "li.na",
        T0,
    )
    assert call.detail == "script read twice" and call.due_at == clock.due_at


def test_r_cr_10_the_hour_is_policy() -> None:
    policy = POLICY.model_copy(update={"sla": SlaPolicy(insurer_on_site_hours=0.5)})
    case = accept(policy=policy)
    act(case, "call_insurer_on_site", person="chen.jie", soothing="s")
    clock = case.state.clock(crisis.ON_SITE)
    assert clock is not None and clock.due_at == T0 + timedelta(minutes=30)


def test_r_cr_10_the_arrival_stops_the_clock_and_says_whether_it_was_late() -> None:
    case = accept()
    act(case, "call_insurer_on_site", person="chen.jie", insurer="太平洋人寿", soothing="s")
    act(case, "insurer_on_site", T0 + timedelta(minutes=40))
    assert case.state.clock(crisis.ON_SITE) is None
    arrival = case.state.crisis_records[-1]
    assert (arrival.kind, arrival.person, arrival.late) == (
        "insurer_on_site",
        "chen.jie (太平洋人寿)",
        False,
    )
    act(case, "call_insurer_on_site", T0 + timedelta(hours=2), person="chen.jie", soothing="s")
    act(case, "insurer_on_site", T0 + timedelta(hours=3, minutes=5), person="sun.hao")
    late = case.state.crisis_records[-1]
    assert (late.person, late.late) == ("sun.hao", True)


def test_r_cr_10_overdue_it_reminds_the_supervisor_at_once_like_a_crisis_report() -> None:
    case = accept()
    act(case, "call_insurer_on_site", person="chen.jie", soothing="s")
    case.take_notices()
    run_until(case, T0 + timedelta(hours=3, minutes=1))  # 18:30, 19:30, 20:30: after hours
    clock = case.state.clock(crisis.ON_SITE)
    assert clock is not None and clock.breached_at == T0 + timedelta(hours=1)
    assert clock.reminders == 3
    told = case.take_notices()
    chased = [n for n in told if n.kind is NoticeKind.CRISIS_REPORT]
    assert [n.recipient for n in chased] == ["wang.qiang"] * 3
    assert all("insurer" in n.subject and n.channels == ["phone", "sms"] for n in chased)
    assert [n.recipient for n in told if n.kind is NoticeKind.ESCALATION] == ["wang.qiang"]


def test_r_cr_10_only_at_a_bank_outlet_and_one_call_at_a_time() -> None:
    hotline = accept(channel="hotline", bank_outlet=None)
    assert "bank outlet" in refused(hotline, "call_insurer_on_site", person="c", soothing="s")
    case = accept()
    assert "no call" in refused(case, "insurer_on_site")
    act(case, "call_insurer_on_site", person="chen.jie", soothing="s")
    assert "open" in refused(case, "call_insurer_on_site", person="chen.jie", soothing="s")


def test_r_cr_10_rules_4_refuses_the_call() -> None:
    case = accept(rules=4)
    assert "rules 5" in refused(case, "call_insurer_on_site", person="c", soothing="s")


# ---------------------------------------------------------------------------------------------
# R-CR-11: after the crisis


def test_r_cr_11_a_closed_crisis_owes_its_review_within_10_working_days() -> None:
    case = accept(crisis=CROWD)
    closed_at = datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # a Tuesday
    case.take_notices()
    close(case, closed_at)
    assert case.state.stage is Stage.CLOSED
    clock = case.state.clock(crisis.REVIEW)
    assert clock is not None and clock.kind is ClockKind.REVIEW and clock.working_hours_only
    assert clock.due_at == datetime(2026, 3, 24, 18, 0, tzinfo=SH)  # COB of the 10th working day
    told = [n for n in case.take_notices() if n.clock == crisis.REVIEW]
    assert [(n.recipient, n.kind) for n in told] == [("wang.qiang", NoticeKind.ESCALATION)]


def test_r_cr_11_a_withdrawn_crisis_owes_its_review_too_and_waits_for_it() -> None:
    case = accept(crisis=CROWD)
    for level in ("superior", "headquarters"):
        act(case, "report_crisis", level=level, summary="s", to="hq.desk")
    act(case, "report_crisis", level="regulator", summary="s", to="csrc")
    act(case, "withdraw", T0 + timedelta(hours=2))
    assert case.state.clock(crisis.REVIEW) is not None
    assert not case.finished(T0 + timedelta(days=40))  # no reminder has gone out yet
    act(
        case,
        "record_crisis_review",
        T0 + timedelta(days=3),
        **SUPERVISOR,
        causes="c",
        what_was_done="w",
        screening_changes="monthly screening",
    )
    assert case.finished(T0 + timedelta(days=3))
    review = case.state.crisis_records[-1]
    assert review.kind == "review" and not review.late
    assert review.detail is not None and "risk screening standard: monthly screening" in (
        review.detail
    )


def test_r_cr_11_an_overdue_review_reminds_the_supervisor_then_the_case_may_end() -> None:
    policy = POLICY.model_copy(update={"sla": SlaPolicy(review_window_days=3)})
    case = accept(crisis=CROWD, policy=policy)
    closed_at = datetime(2026, 3, 10, 10, 0, tzinfo=SH)
    close(case, closed_at)
    window = case.review_window_end()
    run_until(case, window)
    assert not case.finished(window)  # the review window is over, the review still owed
    case.take_notices()
    run_until(case, datetime(2026, 3, 25, 9, 30, tzinfo=SH))
    clock = case.state.clock(crisis.REVIEW)
    assert clock is not None and clock.breached_at == datetime(2026, 3, 24, 18, 0, tzinfo=SH)
    assert clock.reminders == 1  # at 09:00 the next working day (R-SLA-9)
    escalated = [n.recipient for n in case.take_notices() if n.kind is NoticeKind.ESCALATION]
    assert escalated == ["wang.qiang"]
    assert case.finished(datetime(2026, 3, 25, 9, 30, tzinfo=SH))


def test_r_cr_11_the_review_needs_its_three_texts_a_leader_and_an_ended_crisis() -> None:
    texts: dict[str, Any] = {"causes": "c", "what_was_done": "w", "screening_changes": "s"}
    case = accept(crisis=CROWD)
    assert "ends" in refused(case, "record_crisis_review", **SUPERVISOR, **texts)
    close(case, T0 + timedelta(days=1))
    assert "supervisor" in refused(case, "record_crisis_review", **texts)  # a handler
    for missing in texts:
        with pytest.raises(ValueError, match=missing):
            ACTION_MODELS["record_crisis_review"].model_validate(
                SUPERVISOR | {k: v for k, v in texts.items() if k != missing}
            )
    act(case, "record_crisis_review", T0 + timedelta(days=2), **SUPERVISOR, **texts)
    assert "already" in refused(case, "record_crisis_review", **SUPERVISOR, **texts)


def test_r_cr_11_a_case_that_was_no_crisis_owes_no_review() -> None:
    case = accept()
    close(case, T0 + timedelta(days=1))
    assert case.state.clock(crisis.REVIEW) is None
    assert case.finished(case.review_window_end())


def test_r_cr_11_rules_4_closes_a_crisis_as_before() -> None:
    case = accept(rules=4, crisis=CROWD)
    close(case, T0 + timedelta(days=1))
    assert case.state.clock(crisis.REVIEW) is None


def test_r_cr_11_a_media_report_warns_the_head_office_crisis_group() -> None:
    """The crisis group is the head office's contacts of the case's report chain (R-CR-9);
    on an open general case the media came in (R-GR-4): major, a crisis to decide."""
    case = accept(policy=POLICY.model_copy(update={"report_chain": CHAIN}))
    case.take_notices()
    act(case, "record_media_report", media="新民晚报", detail="A letter on page 7.")
    [record] = case.state.crisis_records
    assert (record.kind, record.person, record.detail) == (
        "media_report",
        "新民晚报",
        "A letter on page 7.",
    )
    warned = [n for n in case.take_notices() if n.kind is NoticeKind.EARLY_WARNING]
    assert [(n.recipient_role, n.recipient) for n in warned] == [
        ("headquarters", "crisis.desk"),
        ("headquarters", "wang.hq"),
    ]
    assert "新民晚报" in warned[0].body
    assert case.state.grade is Grade.MAJOR
    assert case.state.clock(outside_bodies.DECISION) is not None


def test_r_cr_11_with_no_head_office_in_the_chain_the_warning_reaches_the_supervisor() -> None:
    case = accept()
    case.take_notices()
    act(case, "record_media_report", media="m", detail="d")
    warned = [n.recipient for n in case.take_notices() if n.kind is NoticeKind.EARLY_WARNING]
    assert warned == ["wang.qiang"]


def test_r_cr_11_a_journalists_enquiry_warns_the_crisis_group_a_government_call_does_not() -> None:
    """Media monitoring (舆情监控): the media's contact recorded on a case (R-GR-4's
    `record_outside_contact`) is an early warning too, not only a published report."""
    case = accept()
    case.take_notices()
    act(case, "record_outside_contact", body="government", note="The letters office called.")
    assert [n for n in case.take_notices() if n.kind is NoticeKind.EARLY_WARNING] == []
    act(case, "record_outside_contact", body="media", note="A reporter of 新民晚报 asked.")
    warned = [n for n in case.take_notices() if n.kind is NoticeKind.EARLY_WARNING]
    assert [n.recipient for n in warned] == ["wang.qiang"] and "新民晚报" in warned[0].body


# ---------------------------------------------------------------------------------------------
# R-CR-12: the insurer stays the final owner


def test_r_cr_12_the_hand_over_makes_the_insurers_person_owner_and_keeps_the_first_receiver() -> (
    None
):
    case = accept()
    act(case, "transfer_to_insurer", insurer="太平洋人寿", days=3, owner="chen.jie")
    s = case.state
    assert (s.owner, s.first_receiver) == ("chen.jie", "li.na")
    assert any("R-CR-12" in e.detail and "first receiver" in e.detail for e in s.timeline)


def test_r_cr_12_the_hand_over_names_an_owner_who_is_not_the_outlets() -> None:
    case = accept(staff_complained_about=["sun.li"])
    assert "owner" in refused(case, "transfer_to_insurer", insurer="i", days=3)
    for outlet_person in ("li.na", "zhou.outlet"):
        reason = refused(case, "transfer_to_insurer", insurer="i", days=3, owner=outlet_person)
        assert "R-CR-12" in reason, reason
    assert "R-CU-6" in refused(case, "transfer_to_insurer", insurer="i", days=3, owner="sun.li")


def test_r_cr_12_after_the_hand_over_the_outlets_person_never_owns_the_case_again() -> None:
    case = accept()
    act(case, "transfer_to_insurer", insurer="太平洋人寿", days=3, owner="chen.jie")
    assert "R-CR-12" in refused(case, "reassign", owner="li.na", role=Role.SUPERVISOR)
    reason = refused(
        case, "transfer", department="Claims", requirements="Check it.", days=2, owner="li.na"
    )
    assert "R-CR-12" in reason, reason
    act(case, "reassign", owner="sun.hao")  # another of the insurer's people
    assert case.state.owner == "sun.hao" and case.state.first_receiver == "li.na"


def test_r_cr_12_rules_4_hands_over_as_before() -> None:
    case = accept(rules=4)
    act(case, "transfer_to_insurer", insurer="太平洋人寿", days=3)
    assert case.state.owner == "li.na"
