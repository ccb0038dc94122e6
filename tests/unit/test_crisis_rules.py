"""Crisis in full, staff conduct, confidentiality and customers who need help (rules 3;
domain/crisis.py), on the pure case: R-CR-1, R-CR-2, R-CR-5, R-CR-6, R-CR-7, R-CR-8. Rules-2
cases keep what they did (the new actions and report levels are refused, the timeline text is
unchanged). No server.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.actions import ACTION_MODELS
from domain.calendar_data import china_calendar
from domain.case import Complaint, Refused
from domain.crisis import may_see_resolution
from domain.intake import ComplaintIntake
from domain.notice_models import NoticeKind
from domain.sla import HandlingPolicy, SlaPolicy
from domain.state import ClockKind
from domain.vocabulary import Role, Stage
from tests.identities import act as sealed_act
from workflows import visibility

SH = ZoneInfo("Asia/Shanghai")
POLICY = HandlingPolicy(calendar=china_calendar([2026]), sla=SlaPolicy())
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # a Tuesday morning
CROWD = {"people_count": 8, "media": True}


def accept(rules: int = 3, now: datetime = T0, **overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "complaint_id": "C14",
        "channel": "hotline",
        "received_at": now,
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678"},
        "category": "claims settlement",
        "matter": "Claim unpaid.",
        "demands": "Pay it.",
    }
    intake = ComplaintIntake.model_validate(fields | overrides)
    return Complaint.accept(intake, POLICY, now, workflow_id="complaint-C14", rules=rules)


def act(case: Complaint, name: str, now: datetime = T0, **fields: Any) -> bool:
    fields.setdefault("actor", "li.na")
    return sealed_act(case, name, ACTION_MODELS[name].model_validate(fields), now)


def refused(case: Complaint, name: str, now: datetime = T0, **fields: Any) -> str:
    with pytest.raises(Refused) as err:
        act(case, name, now, **fields)
    return err.value.reason


def run_until(case: Complaint, until: datetime) -> None:
    while (wake := case.next_wake()) is not None and wake.at <= until:
        case.fire_due(wake.at)


# ---------------------------------------------------------------------------------------------
# R-CR-1, R-CR-7: three report clocks; each report filed goes out and is recorded


def test_r_cr_7_a_crisis_has_the_regulators_own_24_hour_clock() -> None:
    case = accept(crisis=CROWD)
    clocks = {c.key: c for c in case.state.clocks if c.kind is ClockKind.CRISIS}
    assert set(clocks) == {"crisis:superior", "crisis:headquarters", "crisis:regulator"}
    assert clocks["crisis:superior"].due_at - T0 == timedelta(hours=1)
    assert clocks["crisis:headquarters"].due_at - T0 == timedelta(hours=24)
    assert clocks["crisis:regulator"].due_at - T0 == timedelta(hours=24)
    assert "regulator" not in clocks["crisis:headquarters"].label  # not folded into it
    assert "R-CR-7" in clocks["crisis:regulator"].basis


def test_r_cr_7_rules_2_keeps_two_clocks_and_refuses_the_regulator_level() -> None:
    case = accept(rules=2, crisis=CROWD)
    keys = {c.key for c in case.state.clocks if c.kind is ClockKind.CRISIS}
    assert keys == {"crisis:superior", "crisis:headquarters"}
    reason = refused(case, "report_crisis", level="regulator", summary="s", to="csrc")
    assert "rules 3" in reason


def test_r_cr_1_report_crisis_sends_its_text_and_evidence_to_the_recipient() -> None:
    case = accept(crisis=CROWD)
    case.take_notices()
    at = T0 + timedelta(minutes=40)
    act(
        case,
        "report_crisis",
        at,
        level="superior",
        summary="8 customers at the outlet",
        attachments=["e-1", "e-2"],
    )
    [notice] = case.take_notices()
    assert notice.kind is NoticeKind.CRISIS_REPORT and notice.recipient_role == "superior"
    assert notice.recipient == "wang.qiang"  # the case's supervisor by default
    assert "8 customers at the outlet" in notice.body and "e-1, e-2" in notice.body
    [record] = case.state.crisis_records
    assert (record.kind, record.level, record.late, record.attachments) == (
        "report",
        "superior",
        False,
        ["e-1", "e-2"],
    )
    assert case.state.clock("crisis:superior") is None
    met = next(c for c in case.state.finished_clocks if c.key == "crisis:superior")
    assert met.met_at == at


def test_r_cr_7_the_regulators_report_goes_to_its_contact_and_is_its_own_record() -> None:
    case = accept(crisis=CROWD)
    case.take_notices()
    assert "contact" in refused(case, "report_crisis", level="regulator", summary="s")
    act(case, "report_crisis", level="headquarters", summary="opinion for the leading group")
    act(case, "report_crisis", level="regulator", summary="opinion", to="pudong.cbirc@example.cn")
    hq, regulator = case.take_notices()
    assert (hq.recipient_role, hq.recipient) == ("headquarters", "hq.crisis-group")
    assert (regulator.recipient_role, regulator.recipient) == (
        "regulator",
        "pudong.cbirc@example.cn",
    )
    assert [r.level for r in case.state.crisis_records] == ["headquarters", "regulator"]
    assert "already filed" in refused(case, "report_crisis", level="regulator", summary="s", to="x")


def test_r_cr_8_a_late_report_is_recorded_as_late_after_its_breach() -> None:
    case = accept(crisis=CROWD)
    run_until(case, T0 + timedelta(hours=2))
    assert "crisis:superior" in [b.clock for b in case.state.breaches]
    act(case, "report_crisis", T0 + timedelta(hours=2), level="superior", summary="late")
    [record] = case.state.crisis_records
    assert record.late and record.due_at == T0 + timedelta(hours=1)
    assert "(filed late)" in case.take_notices()[-1].body


def test_r_cr_8_a_withdrawn_crisis_still_waits_for_its_reports() -> None:
    """The customer's withdrawal does not end the duty to report: the case finishes once each
    report clock is met or breached, so the ledger says which were never filed."""
    case = accept(crisis=CROWD)
    act(case, "report_crisis", level="superior", summary="told")
    act(case, "withdraw", T0 + timedelta(hours=1))
    assert case.state.stage is Stage.WITHDRAWN
    assert not case.finished(T0 + timedelta(hours=1))
    assert {c.key for c in case.state.clocks} == {"crisis:headquarters", "crisis:regulator"}
    act(case, "report_crisis", T0 + timedelta(hours=3), level="headquarters", summary="done")
    run_until(case, T0 + timedelta(hours=25))
    assert case.finished(T0 + timedelta(hours=25))
    [never] = case.state.clocks
    assert never.key == "crisis:regulator" and never.breached_at is not None


def test_r_cr_8_rules_2_withdrawal_still_ends_every_clock() -> None:
    case = accept(rules=2, crisis=CROWD)
    act(case, "withdraw")
    assert case.finished(T0) and not case.state.clocks


# ---------------------------------------------------------------------------------------------
# R-CR-6: early signs of a group event, the police, the commander


def test_r_cr_6_early_signs_start_a_1_hour_report_clock() -> None:
    case = accept()
    case.take_notices()
    assert "early signs" in refused(case, "report_crisis", level="early_signs", summary="s")
    act(case, "record_early_signs", detail="20 policyholders plan to gather", people_count=20)
    clock = case.state.clock("crisis:early_signs")
    assert clock is not None and clock.due_at - T0 == timedelta(hours=1)
    [told] = case.take_notices()
    assert told.kind is NoticeKind.CRISIS_REPORT and told.recipient == "wang.qiang"
    assert not case.state.crisis  # signs, not yet an event
    run_until(case, T0 + timedelta(hours=1, minutes=1))
    assert "crisis:early_signs" in [b.clock for b in case.state.breaches]
    act(case, "report_crisis", T0 + timedelta(hours=2), level="early_signs", summary="reported")
    assert case.state.crisis_records[-1].late


def test_r_cr_6_police_contact_and_the_commander_on_site_are_recorded() -> None:
    case = accept()
    assert "R-CR-6" in refused(case, "record_police_contact", police="Pudong station")
    act(case, "record_early_signs", detail="crowd forming")
    act(case, "record_police_contact", police="Pudong station", detail="officer Wang on call")
    act(
        case, "record_group_event", T0 + timedelta(minutes=30), commander="zhou.hq", people_count=30
    )
    kinds = [(r.kind, r.person) for r in case.state.crisis_records]
    assert kinds == [
        ("early_signs", None),
        ("police_contact", "Pudong station"),
        ("group_event", "zhou.hq"),
    ]
    # R-GR-2: a group event is a crisis event, with its report clocks.
    assert case.state.crisis and case.state.group_event
    assert case.state.clock("crisis:regulator") is not None
    assert "already recorded" in refused(case, "record_group_event", commander="x")


# ---------------------------------------------------------------------------------------------
# R-CR-2: the script, conduct, and the resolution kept from the timeline's readers


def _to_close(case: Complaint) -> None:
    act(case, "record_contact")
    act(case, "submit_investigation", findings="checked", proposed_resolution="pay 8,200 yuan")
    act(case, "decide_resolution", actor="wang.qiang", role="supervisor", approved=True)
    act(case, "close_case", result="paid 8,200 yuan on 2026-03-10")


def test_r_cr_2_the_resolution_and_result_stay_out_of_the_timeline_under_rules_3() -> None:
    case = accept()
    _to_close(case)
    text = " ".join(e.detail for e in case.state.timeline)
    assert "8,200" not in text
    assert case.state.proposed_resolution == "pay 8,200 yuan"
    assert case.state.result == "paid 8,200 yuan on 2026-03-10"


def test_r_cr_2_rules_2_timeline_text_unchanged() -> None:
    case = accept(rules=2)
    _to_close(case)
    text = " ".join(e.detail for e in case.state.timeline)
    assert "pay 8,200 yuan" in text and case.state.result is None


@pytest.mark.parametrize(
    ("actor", "roles", "sees"),
    [
        ("li.na", {Role.HANDLER}, True),  # the case's handler
        ("wang.qiang", {Role.SUPERVISOR}, True),  # its supervisor
        ("zhou.hq", {Role.SENIOR_MANAGER}, True),  # a deciding role
        ("zhao.min", {Role.HANDLER}, False),  # another handler
        ("audit", {Role.AUDITOR}, False),
        ("callcentre", {Role.SYSTEM}, False),
    ],
)
def test_r_cr_2_who_may_see_the_resolution(actor: str, roles: set[Role], sees: bool) -> None:
    case = accept()
    assert may_see_resolution(case.state, actor, frozenset(roles)) is sees


def test_r_cr_2_the_handling_script_acknowledgement_is_recorded_once() -> None:
    case = accept()
    act(case, "acknowledge_script")
    assert case.state.script_acknowledged_by == ["li.na"]
    assert "already acknowledged" in refused(case, "acknowledge_script")
    entry = case.state.timeline[-2]
    assert entry.action == "acknowledge_script" and entry.actor == "li.na"


def test_r_cr_2_conduct_is_recorded_against_the_person() -> None:
    case = accept()
    act(
        case,
        "record_conduct",
        actor="wang.qiang",
        role="supervisor",
        person="zhao.min",
        kind="unauthorised_promise",
        detail="promised full payment by phone",
    )
    [event] = case.state.conduct_events
    assert (event.person, event.kind, event.recorded_by) == (
        "zhao.min",
        "unauthorised_promise",
        "wang.qiang",
    )
    assert case.state.timeline[event.seq - case.state.timeline[0].seq].action == "record_conduct"
    assert "auditors" in refused(
        case, "record_conduct", actor="audit", role="auditor", person="x", kind="disclosure"
    )


# ---------------------------------------------------------------------------------------------
# R-CR-5: customers who need help


def test_r_cr_5_flags_at_intake_and_by_action() -> None:
    case = accept(help_flags=["vulnerable"])
    assert case.state.help_flags == ["vulnerable"]
    act(case, "flag_customer", flags=["group_risk", "vulnerable"])
    assert case.state.help_flags == ["group_risk", "vulnerable"]
    assert "already" in refused(case, "flag_customer", flags=["vulnerable"])


def test_r_cr_5_and_6_rules_2_refuses_the_new_actions() -> None:
    case = accept(rules=2)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("flag_customer", {"flags": ["violent"]}),
        ("record_early_signs", {"detail": "crowd"}),
        ("acknowledge_script", {}),
    ]
    for name, fields in cases:
        assert "rules 3" in refused(case, name, **fields)


def test_r_cr_5_and_6_the_web_uis_details_show_flags_police_and_commander() -> None:
    case = accept(help_flags=["violent"])
    act(case, "record_early_signs", detail="crowd forming")
    act(case, "record_police_contact", police="Pudong station")
    act(case, "record_group_event", commander="zhou.hq")
    details = visibility.details(case.state)
    assert "customer needs help: violent" in details
    assert "police contacted: Pudong station" in details
    assert "commanded on site by zhou.hq" in details
    assert visibility.values(case.state)["CustomerHelpFlags"] == ["violent"]
    assert "CustomerHelpFlags" not in visibility.values(accept().state)  # as rules 2 upserts
