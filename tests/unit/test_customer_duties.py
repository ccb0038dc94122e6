"""The customer's side of the case, rules 5 (R-CU-1, R-CU-5, R-CU-6), on the pure case: the
decision told at closing, a withdrawal confirmed, the apology of a person at fault, and the
staff complained about kept off the case. Each under rules 4 as well, where the old behaviour
is kept for replays.

No server: the case is driven by hand, as `test_case_rules.py` drives it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.case import RULES, Complaint
from domain.notice_models import CustomerTemplate, Notification
from domain.notices import last_day, last_whole_day
from notices.templates import Wording
from tests.unit.test_case_rules import HANDLER, MONDAY, SUPERVISOR, accept, act, refused

PRE = 4  # the rules before the customer duties


def to_close(rules: int = RULES, **overrides: Any) -> tuple[Complaint, datetime]:
    case = accept(MONDAY, rules, **overrides)
    now = MONDAY + timedelta(hours=1)
    act(case, "record_contact", now, **HANDLER)
    act(case, "submit_investigation", now, **HANDLER, findings="f", proposed_resolution="pay")
    act(case, "decide_resolution", now, **SUPERVISOR, approved=True)
    if case.state.customer_responses:  # R-CU-3 (rules 5): the customer accepts it first
        act(case, "record_customer_response", now, **HANDLER, response="accepts")
    case.take_notices()
    return case, now


def customer_notices(case: Complaint) -> list[Notification]:
    return [n for n in case.take_notices() if n.recipient_role == "customer"]


def test_r_cu_1_closing_tells_the_customer_the_decision_and_the_review() -> None:
    case, now = to_close()
    act(
        case,
        "close_case",
        now,
        **HANDLER,
        result="Paid 8,200 yuan.",
        reasons="The invoice is genuine.",
        amount="8200.00",
    )
    [notice] = customer_notices(case)
    words = notice.words
    assert words is not None and words.template is CustomerTemplate.DECISION
    # R-IN-7: the window ends 30 days after the decision, at its time of day; the customer is
    # told the last whole day before it (Tuesday 2026-04-01 11:00 -> 2026-03-31).
    assert case.review_window_end().date() == date(2026, 4, 1)
    assert words.review_by == date(2026, 3, 31)
    assert words.review_by == last_whole_day(case.review_window_end(), "Asia/Shanghai")
    assert (words.outcome, words.reasons, words.amount) == (
        "Paid 8,200 yuan.",
        "The invoice is genuine.",
        Decimal("8200.00"),
    )
    assert notice.recipient == "13812345678" and notice.channels == ["sms"]
    # Worded at send time in the customer's language (Chinese by default): every part there.
    worded = Wording().word(notice, now)
    assert worded.subject == "投诉处理结果"
    for part in (
        "Paid 8,200 yuan.",
        "The invoice is genuine.",
        "8200.00元",
        "2026-03-31",
        "申请核查",
        "调解",
        "仲裁",
        "人民法院",
        "12378",
    ):
        assert part in worded.body, (part, worded.body)
    # R-CR-2: the result and its reasons stay out of the timeline every role reads.
    assert not any("invoice is genuine" in e.detail for e in case.state.timeline)


def test_r_cu_1_the_english_decision_names_the_routes_outside() -> None:
    case, now = to_close(customer={"name": "Zhang Wei", "phone": "13812345678", "language": "en"})
    act(case, "close_case", now, **HANDLER, result="Not covered.")
    [notice] = customer_notices(case)
    body = Wording().word(notice, now).body
    for part in ("Not covered.", "2026-03-31", "mediation", "arbitration", "courts", "12378"):
        assert part in body, (part, body)
    assert "Amount" not in body and "Main reasons" not in body  # none given: none told


def test_r_cu_1_a_withdrawal_is_confirmed_to_the_customer() -> None:
    case = accept(MONDAY)
    case.take_notices()
    act(case, "withdraw", MONDAY + timedelta(hours=2), **HANDLER, reason="settled")
    [notice] = customer_notices(case)
    assert notice.words is not None
    assert notice.words.template is CustomerTemplate.WITHDRAWAL_CONFIRMED
    assert Wording().word(notice, MONDAY).subject == "投诉撤回确认"


def test_r_cu_1_rules_4_cases_close_and_withdraw_as_before() -> None:
    case, now = to_close(PRE)
    act(case, "close_case", now, **HANDLER, result="paid")
    assert customer_notices(case) == []
    case = accept(MONDAY, PRE)
    case.take_notices()
    act(case, "withdraw", MONDAY, **HANDLER)
    assert customer_notices(case) == []


def test_r_cu_1_a_review_asked_is_confirmed_with_the_day_the_result_is_due() -> None:
    """R-IN-7 with R-CU-1: the customer who asks for a review hears it was accepted and by
    which day the new round's result reaches them."""
    case, now = to_close()
    act(case, "close_case", now, **HANDLER, result="Not covered.")
    case.take_notices()
    act(case, "request_review", now + timedelta(days=2), **HANDLER, reason="disputes it")
    [notice] = customer_notices(case)
    words = notice.words
    assert words is not None and words.template is CustomerTemplate.REVIEW_ACCEPTED
    investigate = case.state.clock("stage:investigate")
    assert investigate is not None and words.handling_by is not None
    # R-IN-4: a working-day stage ends at 18:00 of its last day (Monday 2026-03-09).
    assert words.handling_by == last_day(investigate.due_at) == date(2026, 3, 9)
    worded = Wording().word(notice, now)
    assert worded.subject == "核查申请已受理"
    assert words.handling_by.isoformat() in worded.body and case.state.complaint_id in worded.body


def test_r_cu_1_a_rules_4_review_tells_the_customer_nothing() -> None:
    case, now = to_close(PRE)
    act(case, "close_case", now, **HANDLER, result="Not covered.")
    case.take_notices()
    act(case, "request_review", now + timedelta(days=2), **HANDLER, reason="disputes it")
    assert customer_notices(case) == []


# ---------------------------------------------------------------------------------------------
# R-CU-6: recusal


def test_r_cu_6_reassigning_to_the_staff_complained_about_is_refused() -> None:
    case = accept(MONDAY, staff_complained_about=["sun.li"])
    reason = refused(case, "reassign", MONDAY, **HANDLER, owner="sun.li")
    assert "R-CU-6" in reason and "sun.li" in reason, reason
    reason = refused(case, "reassign", MONDAY, **HANDLER, supervisor="sun.li")
    assert "R-CU-6" in reason, reason
    assert case.state.owner == "li.na" and case.state.supervisor == "wang.qiang"
    act(case, "reassign", MONDAY, **HANDLER, owner="zhao.min")  # anyone else: taken
    assert case.state.owner == "zhao.min"


def test_r_cu_6_transferring_to_the_staff_complained_about_is_refused() -> None:
    case = accept(MONDAY, staff_complained_about=["sun.li"])
    reason = refused(
        case,
        "transfer",
        MONDAY,
        **HANDLER,
        department="Claims",
        owner="sun.li",
        requirements="re-assess",
        days=2,
    )
    assert "R-CU-6" in reason and "sun.li" in reason, reason
    assert case.state.handoffs == []


def test_r_cu_6_rules_4_keeps_reassigning_as_before() -> None:
    case = accept(MONDAY, PRE, staff_complained_about=["sun.li"])
    act(case, "reassign", MONDAY, **HANDLER, owner="sun.li")
    assert case.state.owner == "sun.li"


# ---------------------------------------------------------------------------------------------
# R-CU-5: apology


def test_r_cu_5_closing_with_fault_and_no_apology_tells_the_supervisor() -> None:
    case, now = to_close()
    act(case, "record_conduct", now, **SUPERVISOR, person="sun.li", kind="unauthorised_promise")
    act(case, "close_case", now, **HANDLER, result="paid")
    flagged = [n for n in case.take_notices() if n.recipient_role == "supervisor"]
    assert len(flagged) == 1 and flagged[0].recipient == "wang.qiang", flagged
    assert "sun.li" in flagged[0].body and "R-CU-5" in flagged[0].body
    assert any("R-CU-5" in e.detail for e in case.state.timeline)


def test_r_cu_5_an_apology_on_record_is_kept_and_nobody_is_flagged() -> None:
    case, now = to_close()
    act(case, "record_conduct", now, **SUPERVISOR, person="sun.li", kind="unauthorised_promise")
    act(
        case,
        "record_apology",
        now,
        **HANDLER,
        person="sun.li",
        method="phone",
        apologised_at=(now - timedelta(minutes=5)).isoformat(),
    )
    [apology] = case.state.apologies
    assert (apology.person, apology.method, apology.recorded_by) == ("sun.li", "phone", "li.na")
    assert apology.apologised_at == now - timedelta(minutes=5)
    act(case, "close_case", now, **HANDLER, result="paid")
    assert [n for n in case.take_notices() if n.recipient_role == "supervisor"] == []


def test_r_cu_5_an_apology_in_the_future_is_refused_and_rules_4_knows_no_apology() -> None:
    case, now = to_close()
    reason = refused(
        case,
        "record_apology",
        now,
        **HANDLER,
        person="sun.li",
        method="letter",
        apologised_at=(now + timedelta(days=1)).isoformat(),
    )
    assert "future" in reason
    old, now = to_close(PRE)
    assert "rules 5" in refused(
        old, "record_apology", now, **HANDLER, person="sun.li", method="letter"
    )
    act(old, "record_conduct", now, **SUPERVISOR, person="sun.li", kind="disclosure")
    act(old, "close_case", now, **HANDLER, result="paid")
    assert [n for n in old.take_notices() if n.recipient_role == "supervisor"] == []
