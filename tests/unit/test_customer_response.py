"""R-CU-3 (rules 5): the customer's say on the approved resolution, on the pure case. The
resolution is put to the customer before it is carried out; closing waits for their answer or
for their working days to lapse; a rejection goes back to investigation with the objections;
responses not awaited are refused; rules 4 closes right after approval as before.

No server: the case is driven by hand, as `test_case_rules.py` drives it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from domain import available
from domain.actions import ACTION_MODELS, customer_response
from domain.calendar import add_working_days
from domain.case import RULES, Complaint
from domain.notice_models import CustomerTemplate, Notification
from domain.notices import last_day
from domain.sla import HandlingPolicy, SlaPolicy
from domain.state import ClockKind
from domain.vocabulary import Stage
from notices.templates import Wording
from tests.unit.test_case_rules import (
    CAL,
    HANDLER,
    MONDAY,
    SUPERVISOR,
    accept,
    act,
    intake,
    refused,
    run_until,
)

PRE = 4  # the rules before the customer's say


def approved(case: Complaint, now: datetime) -> None:
    act(case, "record_contact", now, **HANDLER)
    act(case, "submit_investigation", now, **HANDLER, findings="f", proposed_resolution="赔付500元")
    act(case, "decide_resolution", now, **SUPERVISOR, approved=True)


def asked(rules: int = RULES) -> tuple[Complaint, datetime]:
    case = accept(MONDAY, rules)
    now = MONDAY + timedelta(hours=1)
    approved(case, now)
    return case, now


def customer_notices(case: Complaint) -> list[Notification]:
    """The customer notices asking for their say, taken from the outbox."""
    return [
        n
        for n in case.take_notices()
        if n.words is not None and n.words.template is CustomerTemplate.RESOLUTION_PROPOSED
    ]


def test_r_cu_3_an_approved_resolution_is_put_to_the_customer_before_it_is_carried_out() -> None:
    case, now = asked()
    s = case.state
    assert s.stage is Stage.CLOSE
    # The customer's clock runs: 2 working days (policy), nobody warned; the close stage's own
    # clock waits for the answer.
    clock = s.clock(customer_response.CLOCK)
    assert clock is not None and clock.kind is ClockKind.CUSTOMER and clock.warn_at is None
    assert clock.due_at == add_working_days(CAL, now, 2).at
    assert s.clock("stage:close") is None
    [entered] = [e for e in s.timeline if e.kind == "stage" and "stage close" in e.detail]
    assert "awaiting the customer's response" in entered.detail, entered
    # The customer is told the resolution and the last day to answer, through the outbox.
    [notice] = customer_notices(case)
    words = notice.words
    assert words is not None and words.template is CustomerTemplate.RESOLUTION_PROPOSED
    assert words.resolution == "赔付500元" and words.answer_by == last_day(clock.due_at)
    assert notice.clock == customer_response.CLOCK and notice.channels == ["sms"]
    worded = Wording().word(notice, now)  # Chinese by default
    assert worded.subject == "处理方案征求意见"
    for part in ("R16", "赔付500元", f"{words.answer_by:%Y-%m-%d}", "li.na", "是否接受"):
        assert part in worded.body, (part, worded.body)


def test_r_cu_3_closing_is_refused_while_the_answer_is_awaited() -> None:
    case, now = asked()
    reason = refused(case, "close_case", now, **HANDLER, result="paid")
    assert "R-CU-3" in reason and "record_customer_response" in reason, reason
    last = case.state.timeline[-1]
    assert last.kind == "refused" and last.action == "close_case" and last.detail == reason
    assert case.state.stage is Stage.CLOSE
    # Nor is the handling's time paused while nothing of it runs.
    reason = refused(case, "pause_clock", now, **HANDLER, reason="appraisal")
    assert "R-CU-3" in reason, reason


def test_r_cu_3_an_acceptance_lets_the_resolution_be_carried_out() -> None:
    case, now = asked()
    later = now + timedelta(hours=3)
    act(case, "record_customer_response", later, **HANDLER, response="accepts", method="phone")
    s = case.state
    assert s.clock(customer_response.CLOCK) is None
    close = s.clock("stage:close")
    assert close is not None and close.started_at == later  # its own 2 days from the answer
    [answer] = s.customer_responses
    assert (answer.answer, answer.method, answer.recorded_by) == ("accepts", "phone", "li.na")
    act(case, "close_case", later, **HANDLER, result="paid")
    assert s.stage is Stage.CALLBACK


def test_r_cu_3_a_rejection_returns_the_case_to_investigation_with_the_objections() -> None:
    case, now = asked()
    later = now + timedelta(hours=2)
    act(
        case,
        "record_customer_response",
        later,
        **HANDLER,
        response="rejects",
        objections="五百元不够修车",
        method="in_person",
    )
    s = case.state
    assert s.stage is Stage.INVESTIGATE
    investigate = s.clock("stage:investigate")
    assert investigate is not None and investigate.started_at == later  # R-ST-3: a new clock
    assert s.clock(customer_response.CLOCK) is None
    assert any("五百元不够修车" in e.detail for e in s.timeline if e.kind == "action")
    assert s.customer_responses[-1].objections == "五百元不够修车"
    # Approved again, the customer is asked again.
    case.take_notices()
    act(case, "submit_investigation", later, **HANDLER, findings="f", proposed_resolution="赔付9百")
    act(case, "decide_resolution", later, **SUPERVISOR, approved=True)
    [notice] = customer_notices(case)
    assert notice.words is not None and notice.words.resolution == "赔付9百"
    assert len(s.customer_responses) == 2 and customer_response.awaiting(s) is not None


def test_r_cu_3_a_rejection_records_the_objections() -> None:
    """Rejecting without objections does not decode (the API's 422 names the field)."""
    with pytest.raises(ValidationError) as err:
        ACTION_MODELS["record_customer_response"].model_validate({**HANDLER, "response": "rejects"})
    assert err.value.errors()[0]["loc"] == ("objections",)
    assert "R-CU-3" in str(err.value)


def test_r_cu_3_no_answer_within_the_working_days_lets_the_case_proceed() -> None:
    case, _ = asked()
    clock = case.state.clock(customer_response.CLOCK)
    assert clock is not None
    run_until(case, clock.due_at)
    s = case.state
    assert s.clock(customer_response.CLOCK) is None and not s.breaches
    [lapsed] = [c for c in s.finished_clocks if c.key == customer_response.CLOCK]
    assert lapsed.met_at == clock.due_at and lapsed.breached_at is None
    assert s.customer_responses[-1].answer == "no_answer"
    entry = next(e for e in s.timeline if "no answer within 2 working days" in e.detail)
    assert entry.at == clock.due_at and "R-CU-3" in entry.detail
    close = s.clock("stage:close")
    assert close is not None and close.started_at == clock.due_at
    act(case, "close_case", clock.due_at + timedelta(minutes=5), **HANDLER, result="paid")
    assert s.stage is Stage.CALLBACK


def test_r_cu_3_a_response_not_awaited_is_refused_with_the_reason() -> None:
    case = accept(MONDAY)
    now = MONDAY + timedelta(hours=1)
    reason = refused(case, "record_customer_response", now, **HANDLER, response="accepts")
    assert "does not fit stage contact" in reason, reason
    approved(case, now)
    act(case, "record_customer_response", now, **HANDLER, response="accepts")
    reason = refused(case, "record_customer_response", now, **HANDLER, response="accepts")
    assert "R-CU-3" in reason and "no response" in reason, reason
    assert case.state.timeline[-1].kind == "refused"


def test_r_cu_3_the_working_days_are_policy() -> None:
    policy = HandlingPolicy(calendar=CAL, sla=SlaPolicy(customer_response_days=5))
    case = Complaint.accept(intake(MONDAY), policy, MONDAY, workflow_id="t", rules=RULES)
    now = MONDAY + timedelta(hours=1)
    approved(case, now)
    clock = case.state.clock(customer_response.CLOCK)
    assert clock is not None and clock.due_at == add_working_days(CAL, now, 5).at
    run_until(case, clock.due_at)
    assert any("no answer within 5 working days" in e.detail for e in case.state.timeline)


def test_r_cu_3_rules_4_carries_out_the_resolution_right_after_approval() -> None:
    case, now = asked(PRE)
    s = case.state
    assert s.clock("stage:close") is not None and s.clock(customer_response.CLOCK) is None
    assert not s.customer_responses
    assert not customer_notices(case)
    reason = refused(case, "record_customer_response", now, **HANDLER, response="accepts")
    assert "came with rules 5" in reason, reason
    act(case, "close_case", now, **HANDLER, result="paid")
    assert s.stage is Stage.CALLBACK


@pytest.mark.parametrize("days", [0, -1, 31])
def test_r_cu_3_the_policy_refuses_a_senseless_number_of_days_naming_the_field(days: int) -> None:
    """R-SLA-10: policy is data an administrator changes; bad data is refused, never stored."""
    with pytest.raises(ValidationError) as err:
        SlaPolicy(customer_response_days=days)
    assert err.value.errors()[0]["loc"] == ("customer_response_days",)


def test_r_cu_3_the_desk_and_web_ui_offer_no_closing_or_pause_while_the_answer_is_awaited() -> None:
    """What the desk's forms and the Web UI's details offer (`available.open_now`) follows the
    gate: closing and pausing are not offered while the customer's answer is awaited; their
    answer is. Once they accept, closing is offered again."""
    case, now = asked()
    waiting = available.open_now(case.state, rules=RULES)
    assert "record_customer_response" in waiting
    assert "close_case" not in waiting and "pause_clock" not in waiting, waiting
    act(case, "record_customer_response", now, **HANDLER, response="accepts")
    after = available.open_now(case.state, rules=RULES)
    assert "close_case" in after and "record_customer_response" not in after, after
