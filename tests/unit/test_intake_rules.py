"""The bank channel and the intake rules (R-IN-1, R-IN-3, R-IN-5, R-IN-6,
R-IN-8, R-CR-3, R-CR-4), and tests naming rules that had none (R-GR-2, R-SLA-5, R-SLA-8,
R-ST-5, R-ST-6). The pure case, driven by hand: no server."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain import accountability, intake_rules
from domain.actions import ACTION_MODELS
from domain.actions.bank import ClassifyPolicy
from domain.case import Complaint, Refused
from domain.notice_models import NoticeKind
from domain.sla import SlaPolicy
from domain.state import PolicyClass
from domain.vocabulary import Channel, Grade, Stage
from tests.unit.test_case_rules import HANDLER, MONDAY, SUPERVISOR, accept, run_until
from tests.unit.test_case_rules import act as _act
from tests.unit.test_case_rules import refused as _refused

RULES_2 = 2
OUTLET = {"bank": "工商银行", "outlet": "浦东支行营业部", "responsible_person": "陈经理"}


def bank_case(**overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "channel": "bank_outlet",
        "bank_outlet": OUTLET,
        "policy_number": "P-1",
        "amount_involved": {"amount": "12000.50"},
    }
    return accept(MONDAY, **(fields | overrides))


def act(case: Complaint, name: str, now: datetime, **fields: Any) -> None:
    _act(case, name, now, **(HANDLER | fields))


def refused(case: Complaint, name: str, now: datetime, **fields: Any) -> str:
    return _refused(case, name, now, **(HANDLER | fields))


def entries(case: Complaint, kind: str | None = None) -> list[str]:
    return [e.detail for e in case.state.timeline if kind is None or e.kind == kind]


# ---------------------------------------------------------------------------------------------
# R-IN-1: channels


def test_r_in_1_a_bank_outlet_is_its_own_channel_naming_the_bank_and_the_outlet() -> None:
    case = bank_case()
    s = case.state
    assert s.channel.value == "bank_outlet"
    assert s.bank_outlet is not None
    assert (s.bank_outlet.bank, s.bank_outlet.outlet) == ("工商银行", "浦东支行营业部")
    assert s.grade is Grade.GENERAL  # an outlet is not the regulator


def test_r_in_1_a_bank_outlet_without_its_bank_and_outlet_is_noted_on_the_timeline() -> None:
    case = accept(MONDAY, channel="bank_outlet")
    assert any("names the bank and the outlet" in d for d in entries(case, "intake"))


@pytest.mark.parametrize("channel", ["regulator_provincial", "regulator_national", "regulator"])
def test_r_in_1_r_gr_3_each_level_of_the_regulator_grades_major(channel: str) -> None:
    case = accept(MONDAY, channel=channel)
    assert case.state.grade is Grade.MAJOR
    assert case.state.channel.value == channel  # the level is recorded as it came
    assert any(f"R-GR-3: arrived from the {channel}" in d for d in entries(case, "intake"))


def test_r_in_1_the_levels_are_told_apart() -> None:
    assert intake_rules.channel_level(Channel.REGULATOR_PROVINCIAL) == "provincial"
    assert intake_rules.channel_level(Channel.REGULATOR_NATIONAL) == "national"
    assert intake_rules.channel_level(Channel.REGULATOR) is None  # old payloads name no level


# ---------------------------------------------------------------------------------------------
# R-IN-3: the first receiver


def test_r_in_3_the_first_receiver_is_kept_across_reassignments() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(minutes=10)
    act(case, "reassign", now, owner="zhao.min", department="claims")
    act(case, "reassign", now, owner="sun.li")
    s = case.state
    assert s.owner == "sun.li"
    assert s.first_receiver == "li.na"
    assert sum("first receiver li.na stays responsible" in d for d in entries(case)) == 2


def test_r_in_3_rules_2_cases_reassign_as_before() -> None:
    case = accept(MONDAY, rules=RULES_2)
    before = len(case.state.timeline)
    act(case, "reassign", MONDAY + timedelta(minutes=5), owner="zhao.min")
    assert case.state.first_receiver is None
    assert len(case.state.timeline) == before + 1  # the action's entry only


# ---------------------------------------------------------------------------------------------
# R-IN-5: transfer (转办)


def test_r_in_5_a_transfer_is_its_own_step_with_its_own_clock_warning_and_breach() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(minutes=30)
    act(
        case,
        "transfer",
        now,
        department="理赔部",
        branch="Shanghai Minhang",
        owner="zhao.min",
        requirements="Re-assess the claim and report.",
        days=2,
    )
    s = case.state
    [handoff] = s.handoffs
    assert (handoff.key, handoff.kind, handoff.to) == (
        "transfer-1",
        "transfer",
        "理赔部 (Shanghai Minhang)",
    )
    assert handoff.requirements == "Re-assess the claim and report."
    clock = s.clock("handoff:transfer-1")
    assert clock is not None and clock.due_at == handoff.due_at
    assert clock.due_at.date() == (MONDAY + timedelta(days=2)).date()  # 2 working days: Wed
    assert s.department == "理赔部" and s.owner == "zhao.min"
    assert s.first_receiver == "li.na"  # R-IN-3: still tracks it
    stage_clock = s.clock("stage:contact")
    assert stage_clock is not None  # R-ST-6: the stage clock goes with the case
    told = [n for n in case.take_notices() if n.clock == "handoff:transfer-1"]
    assert told and told[0].recipient == "zhao.min"
    assert "Re-assess the claim" in told[0].body
    # Its own alarms: a warning, then a breach at its deadline.
    act(case, "record_contact", now + timedelta(minutes=5))
    run_until(case, clock.due_at + timedelta(minutes=1))
    assert any("transfer to" in d for d in entries(case, "warning"))
    assert [b.clock for b in case.state.breaches] == ["handoff:transfer-1"]


def test_r_in_3_the_first_receiver_hears_when_a_transfer_is_overdue() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(minutes=30)
    act(case, "transfer", now, department="理赔部", owner="zhao.min", requirements="R.", hours=2)
    clock = case.state.clock("handoff:transfer-1")
    assert clock is not None
    case.take_notices()
    run_until(case, clock.due_at + timedelta(hours=1))
    told = [n for n in case.take_notices() if n.clock == "handoff:transfer-1"]
    tracking = [n for n in told if n.recipient_role == "first_receiver"]
    assert [n.recipient for n in tracking] == ["li.na"]  # once, on the first reminder
    assert any(n.recipient == "zhao.min" and n.kind is NoticeKind.REMINDER for n in told)


def test_r_in_5_completing_the_transfer_meets_its_clock_and_another_may_follow() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(minutes=30)
    act(case, "transfer", now, department="理赔部", requirements="Report.", hours=4)
    assert "still open" in refused(case, "transfer", now, department="x", requirements="y", hours=1)
    act(
        case,
        "complete_transfer",
        now + timedelta(hours=1),
        transfer="transfer-1",
        outcome="Re-assessed.",
    )
    assert case.state.clock("handoff:transfer-1") is None
    assert case.state.handoffs[0].completed_by == "li.na"
    assert case.state.handoffs[0].outcome == "Re-assessed."
    assert "already completed" in refused(
        case, "complete_transfer", now, transfer="transfer-1", outcome="again"
    )
    assert "no transfer" in refused(
        case, "complete_transfer", now, transfer="transfer-9", outcome="x"
    )
    act(case, "transfer", now + timedelta(hours=2), department="核保部", requirements="R.", days=1)
    assert [h.key for h in case.state.handoffs] == ["transfer-1", "transfer-2"]


def test_r_in_5_a_transfer_has_exactly_one_deadline() -> None:
    with pytest.raises(ValidationError, match="one deadline"):
        ACTION_MODELS["transfer"].model_validate(
            HANDLER | {"department": "d", "requirements": "r", "days": 1, "hours": 2}
        )


def test_r_in_5_rules_2_cases_refuse_the_new_actions() -> None:
    case = accept(MONDAY, rules=RULES_2)
    reason = refused(case, "transfer", MONDAY, department="d", requirements="r", days=1)
    assert "came with rules 3" in reason


# ---------------------------------------------------------------------------------------------
# R-IN-6: repeats


def test_r_in_6_a_repeat_of_a_closed_case_links_to_it_and_counts_toward_three_times() -> None:
    repeat_of = {"complaint_id": "C-EARLIER", "channel": "hotline", "times_before": 2}
    case = accept(MONDAY, channel="regulator_provincial", repeat_of=repeat_of)
    s = case.state
    assert s.repeat_of == "C-EARLIER"
    assert s.repeat_count == 2
    assert s.escalated and s.multi_channel  # over the handler's head, through another channel
    assert any("complained 3 times in all" in d for d in entries(case, "intake"))
    facts = accountability.CaseFacts(
        complaint_id=s.complaint_id,
        owner=s.owner,
        grade=s.grade.value,
        channel=s.channel.value,
        repeat_count=s.repeat_count,
        escalated=s.escalated,
        multi_channel=s.multi_channel,
        repeat_channels=[c.value for c in s.repeat_channels],
    )
    [proposal] = accountability.propose(facts)
    assert any("complained 3 times: mishandling" in r for r in proposal.reasons)  # R-AN-5


def test_r_in_6_a_repeat_through_the_same_channel_is_neither_escalated_nor_multi_channel() -> None:
    repeat_of = {"complaint_id": "C-EARLIER", "channel": "hotline"}
    case = accept(MONDAY, channel="hotline", repeat_of=repeat_of)
    assert case.state.repeat_count == 1
    assert not case.state.escalated and not case.state.multi_channel


def test_r_in_6_merged_repeats_set_the_escalated_and_multi_channel_flags() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(minutes=5)
    act(case, "record_repeat", now, channel="hotline")
    assert case.state.repeat_count == 1
    assert not case.state.escalated and not case.state.multi_channel
    act(case, "record_repeat", now, channel="online")
    assert case.state.multi_channel and not case.state.escalated
    act(case, "record_repeat", now, channel="regulator_national")
    assert case.state.escalated and case.state.repeat_count == 3
    assert [c.value for c in case.state.repeat_channels] == [
        "hotline",
        "online",
        "regulator_national",
    ]


def test_r_in_6_new_facts_restart_the_affected_clock() -> None:
    case = accept(MONDAY)
    act(case, "record_contact", MONDAY + timedelta(minutes=30))
    first = case.state.clock("stage:investigate")
    assert first is not None
    later = MONDAY + timedelta(days=1)
    act(case, "record_repeat", later, channel="hotline")  # no new facts: the clock stands
    assert case.state.clock("stage:investigate") == first
    act(case, "record_repeat", later, channel="hotline", new_facts="A second bill arrived.")
    restarted = case.state.clock("stage:investigate")
    assert restarted is not None
    assert restarted.started_at == later and restarted.due_at > first.due_at
    assert any(
        c.key == "stage:investigate" and c.met_at == later for c in case.state.finished_clocks
    )


# ---------------------------------------------------------------------------------------------
# R-IN-8: the amount involved


def test_r_in_8_the_amount_is_recorded_at_intake_and_corrected_with_who_and_why() -> None:
    case = bank_case()
    amount = case.state.amount_involved
    assert amount is not None and amount.amount == Decimal("12000.50") and amount.currency == "CNY"
    now = MONDAY + timedelta(hours=1)
    act(case, "correct_amount", now, amount="11800", reason="the invoice says 11,800")
    _act(case, "correct_amount", now, **SUPERVISOR, amount="11800.00", reason="checked")
    assert case.state.amount_involved is not None
    assert case.state.amount_involved.amount == Decimal("11800")
    corrections = [e for e in case.state.timeline if "R-IN-8" in e.detail]
    assert [(e.actor, e.at) for e in corrections] == [("li.na", now), ("wang.qiang", now)]
    assert "from 12000.50 CNY to 11800 CNY by li.na" in corrections[0].detail


def test_r_in_8_an_accountability_proposal_names_the_amount_involved() -> None:
    facts = accountability.CaseFacts(
        complaint_id="C1",
        owner="li.na",
        grade="general",
        channel="bank_outlet",
        effective=True,
        amount_involved=Decimal("80000.00"),
    )
    [direct, *_] = accountability.propose(facts)
    assert "amount involved 80000.00 CNY" in direct.reasons
    without = accountability.propose(facts.model_copy(update={"amount_involved": None}))
    assert not any("amount" in r for r in without[0].reasons)


def test_r_in_8_amounts_are_decimals_in_yuan_never_negative() -> None:
    with pytest.raises(ValidationError):
        ACTION_MODELS["correct_amount"].model_validate(HANDLER | {"amount": "-1", "reason": "r"})
    with pytest.raises(ValidationError):
        ACTION_MODELS["correct_amount"].model_validate(HANDLER | {"amount": "1.001", "reason": "r"})
    with pytest.raises(ValidationError):
        ACTION_MODELS["correct_amount"].model_validate(
            HANDLER | {"amount": "1", "currency": "USD", "reason": "r"}
        )


# ---------------------------------------------------------------------------------------------
# R-CR-3: policy classes


@pytest.mark.parametrize(
    ("signed", "callback", "proof", "expected"),
    [
        (True, True, None, PolicyClass.NORMAL),
        (False, True, None, PolicyClass.FLAWED),
        (True, False, None, PolicyClass.FLAWED),
        (False, False, None, PolicyClass.PROBLEM),
        (True, True, "recording of the sales talk", PolicyClass.PROBLEM),
        (None, None, "recording of the sales talk", PolicyClass.PROBLEM),
    ],
)
def test_r_cr_3_the_class_follows_the_two_key_facts_or_proof_of_mis_selling(
    signed: bool | None, callback: bool | None, proof: str | None, expected: PolicyClass
) -> None:
    assert intake_rules.classify(signed, callback, proof)[0] is expected


def test_r_cr_3_a_flawed_policy_is_recorded_with_who_decided_and_referred_with_a_deadline() -> None:
    case = bank_case()
    case.take_notices()
    now = MONDAY + timedelta(hours=1)
    act(
        case,
        "classify_policy",
        now,
        signed_personally=False,
        callback_compliant=True,
        insurer="太平洋人寿 上海分公司",
        days=5,
    )
    [decided] = case.state.policy_classifications
    assert decided.policy_class is PolicyClass.FLAWED
    assert (decided.signed_personally, decided.callback_compliant) == (False, True)
    assert decided.decided_by == "li.na" and decided.decided_at == now
    [referral] = case.state.handoffs
    assert referral.kind == "referral" and referral.to == "太平洋人寿 上海分公司"
    clock = case.state.clock("handoff:referral-1")
    assert clock is not None and clock.due_at == referral.due_at
    [told] = [n for n in case.take_notices() if n.recipient_role == "customer"]
    assert told.kind is NoticeKind.CUSTOMER_NOTICE
    assert f"{clock.due_at:%Y-%m-%d}" in told.body
    assert intake_rules.promises_in(told.subject + told.body) == []


def test_r_cr_3_a_normal_policy_is_recorded_and_not_referred() -> None:
    case = bank_case()
    act(case, "classify_policy", MONDAY, signed_personally=True, callback_compliant=True)
    assert case.state.policy_classifications[0].policy_class is PolicyClass.NORMAL
    assert case.state.handoffs == []


def test_r_cr_3_refusals_name_the_reason() -> None:
    case = bank_case()
    assert "give the insurer and the deadline" in refused(
        case, "classify_policy", MONDAY, signed_personally=False, callback_compliant=False
    )
    hotline = accept(MONDAY)
    assert "only a bank-channel policy" in refused(
        hotline, "classify_policy", MONDAY, signed_personally=True, callback_compliant=True
    )
    with pytest.raises(ValidationError, match="R-CR-3"):
        ClassifyPolicy.model_validate(HANDLER | {"signed_personally": True})


# ---------------------------------------------------------------------------------------------
# R-CR-4: the outlet hands over to the insurer


def test_r_cr_4_the_outlet_hands_over_with_a_deadline_and_tells_a_date_never_a_promise() -> None:
    case = bank_case()
    case.take_notices()
    now = MONDAY + timedelta(minutes=20)
    act(case, "transfer_to_insurer", now, insurer="太平洋人寿 上海分公司", days=3, owner="chen.jie")
    [handoff] = case.state.handoffs
    assert (handoff.kind, handoff.to) == ("outlet", "太平洋人寿 上海分公司")
    clock = case.state.clock("handoff:outlet-1")
    assert clock is not None
    [told] = [n for n in case.take_notices() if n.recipient_role == "customer"]
    text = told.subject + " " + told.body
    assert f"{clock.due_at:%Y-%m-%d}" in text  # the time arrangement: a date
    assert "工商银行" in text and "浦东支行营业部" in text
    assert intake_rules.promises_in(text) == []  # never a promise
    assert "already handed" in refused(case, "transfer_to_insurer", now, insurer="x", days=1)


def test_r_cr_4_only_a_bank_outlet_hands_over_to_the_insurer() -> None:
    case = accept(MONDAY, channel="partner")
    assert "R-CR-4" in refused(case, "transfer_to_insurer", MONDAY, insurer="x", days=1)


def test_r_cr_4_the_promise_check_catches_promises() -> None:
    assert intake_rules.promises_in("We guarantee you will be paid 保证赔付") != []


# ---------------------------------------------------------------------------------------------
# Existing rules that had no test naming them


@pytest.mark.parametrize(
    ("facts", "crisis"),
    [
        ({"people_count": 5}, True),
        ({"people_count": 4}, False),
        ({"government": True}, True),
        ({"regulator": True}, True),
        ({"media": True}, True),
        ({"outlet_disrupted": True}, True),
        ({"major_loss_risk": True}, True),
        ({"major_social_impact": True}, True),
        ({}, False),
    ],
)
def test_r_gr_2_a_crisis_by_any_criterion_is_at_least_major_with_its_report_clocks(
    facts: dict[str, Any], crisis: bool
) -> None:
    case = accept(MONDAY, crisis=facts)
    s = case.state
    assert s.crisis is crisis
    assert (s.grade is Grade.MAJOR) is crisis
    assert (s.clock("crisis:superior") is not None) is crisis


def test_r_gr_2_escalated_later_the_case_becomes_major() -> None:
    case = accept(MONDAY)
    graded = case.state.grade
    act(case, "escalate_crisis", MONDAY, reasons=["outlet blocked"], people_count=6)
    assert (graded, case.state.grade) == (Grade.GENERAL, Grade.MAJOR) and case.state.crisis
    assert "group event of 6 people" in case.state.crisis_reasons


def test_r_sla_5_a_leader_orders_the_stage_done_within_the_given_minutes() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(minutes=10)
    assert "supervisor" in refused(case, "expedite", now, minutes=30)
    _act(case, "expedite", now, **SUPERVISOR, minutes=30)
    clock = case.state.clock("stage:contact")
    assert clock is not None and clock.expedited
    assert clock.due_at == now + timedelta(minutes=30)
    run_until(case, now + timedelta(minutes=31))
    assert [b.clock for b in case.state.breaches] == ["stage:contact"]


def test_r_sla_8_paused_time_does_not_count_and_resuming_fires_no_stale_breach() -> None:
    case = accept(MONDAY)
    before = case.state.clock("stage:contact")
    assert before is not None
    paused_at = MONDAY + timedelta(minutes=30)
    act(case, "pause_clock", paused_at, reason="appraisal")
    # Paused far past the deadline: nothing fires.
    resumed_at = MONDAY + timedelta(days=3)
    run_until(case, resumed_at)
    assert case.state.breaches == []
    act(case, "resume_clock", resumed_at)
    after = case.state.clock("stage:contact")
    assert after is not None and after.paused_at is None
    # The 1.5 working hours left at the pause are left after it.
    assert after.due_at == resumed_at + (before.due_at - paused_at)
    run_until(case, resumed_at + timedelta(minutes=1))
    assert case.state.breaches == []


def test_r_st_5_a_withdrawal_ends_the_case_with_that_outcome() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(minutes=10)
    act(case, "withdraw", now, reason="settled with the outlet")
    s = case.state
    assert s.stage is Stage.WITHDRAWN and s.outcome == "withdrawn" and s.closed_at == now
    assert s.clocks == [] and case.finished(now) and case.next_wake() is None
    with pytest.raises(Refused):
        act(case, "record_contact", now)


def test_r_st_6_a_reassignment_keeps_the_case_and_its_clocks() -> None:
    case = accept(MONDAY)
    act(case, "record_contact", MONDAY + timedelta(minutes=30))
    clocks = [c.model_copy() for c in case.state.clocks]
    act(
        case,
        "reassign",
        MONDAY + timedelta(hours=2),
        owner="zhao.min",
        department="理赔部",
        supervisor="qian.feng",
    )
    s = case.state
    assert (s.owner, s.department, s.supervisor) == ("zhao.min", "理赔部", "qian.feng")
    assert s.clocks == clocks and s.stage is Stage.INVESTIGATE


def test_r_in_6_a_closed_case_is_repeated_within_the_review_window_of_the_policy_given() -> None:
    """R-IN-6, R-IN-7: the decision is the domain's, from the policy's review window (and its
    speed, as the case's own window runs), to the minute; outside it, a new case."""
    decided = MONDAY
    closed = intake_rules.ClosedCase(
        complaint_id="C1", channel=Channel.HOTLINE, decided_at=decided, times=2
    )
    thirty = SlaPolicy()
    five = SlaPolicy(review_window_days=5)
    edge = decided + timedelta(days=5)
    linked = intake_rules.repeat_of(edge, closed, five)
    assert linked is not None and (linked.complaint_id, linked.times_before) == ("C1", 2)
    assert linked.channel is Channel.HOTLINE
    assert intake_rules.repeat_of(edge + timedelta(minutes=1), closed, five) is None
    assert intake_rules.repeat_of(edge + timedelta(minutes=1), closed, thirty) is not None
    fast = SlaPolicy(speed=480)  # 30 days / 480: 90 minutes
    assert intake_rules.repeat_of(decided + timedelta(minutes=90), closed, fast) is not None
    assert intake_rules.repeat_of(decided + timedelta(minutes=91), closed, fast) is None
    assert intake_rules.repeat_of(edge, None, thirty) is None
