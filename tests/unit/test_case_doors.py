"""Rules 5: every door of the pure case checks what comes through it (domain/case.py).

A request id names one request; a sealed payload counts for the action it was sealed for; a
cancellation request is recorded and told, never an ending. Rules 4 cases keep what they did
(their histories replay), which the last tests pin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.actions import ACTION_MODELS, Action
from domain.case import Complaint, Refused
from domain.notice_models import NoticeKind
from domain.vocabulary import Stage
from tests.identities import verified
from tests.unit.test_case_rules import accept
from tests.unit.test_closures import TUESDAY

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


def action(name: str, **fields: Any) -> Action:
    fields.setdefault("actor", "li.na")
    fields.setdefault("role", "handler")
    return ACTION_MODELS[name].model_validate(fields)


def send(case: Complaint, name: str, payload: Action, **seal: Any) -> bool:
    return case.act(name, payload, TUESDAY, verified(case, name, payload, TUESDAY, **seal))


def refusal(case: Complaint, name: str, payload: Action, **seal: Any) -> str:
    before = case.snapshot()
    with pytest.raises(Refused) as refused:
        send(case, name, payload, **seal)
    after = case.snapshot()
    assert after.state.timeline[-1].kind == "refused"
    after.state.timeline = before.state.timeline
    assert after.model_dump(exclude={"used_nonces"}) == before.model_dump(
        exclude={"used_nonces"}
    ), "a refusal changes nothing but the timeline (and spends its seal)"
    return refused.value.reason


def test_a_request_id_reused_by_another_sender_for_another_owner_is_refused_not_dropped() -> None:
    """The silent drop this replaces: a supervisor's reassign to someone else under a request
    id the handler already used answered as if done, and did nothing."""
    case = accept(TUESDAY)
    assert send(case, "reassign", action("reassign", owner="zhao.min", request_id="r1"))
    supervisor = action("reassign", **SUPERVISOR, owner="chen.jie", request_id="r1")
    reason = refusal(case, "reassign", supervisor)
    assert "request_id 'r1' was already taken by li.na, not wang.qiang" in reason
    assert case.state.owner == "zhao.min"


def test_a_request_id_reused_with_other_fields_or_for_another_action_is_refused() -> None:
    case = accept(TUESDAY)
    assert send(case, "reassign", action("reassign", owner="zhao.min", request_id="r1"))
    other_owner = refusal(case, "reassign", action("reassign", owner="chen.jie", request_id="r1"))
    assert "with other fields" in other_owner
    other_action = refusal(case, "record_contact", action("record_contact", request_id="r1"))
    assert "for reassign, not record_contact" in other_action
    assert case.state.stage is Stage.CONTACT and case.state.owner == "zhao.min"


def test_the_same_request_again_is_a_no_op_even_with_its_defaults_typed_out() -> None:
    case = accept(TUESDAY)
    assert send(case, "record_contact", action("record_contact", request_id="r1"))
    entries = len(case.state.timeline)
    repeat = action("record_contact", method="phone", request_id="r1")  # the default, typed
    assert not send(case, "record_contact", repeat)
    assert len(case.state.timeline) == entries
    assert case.snapshot().requests["r1"].startswith("record_contact|li.na|")


def test_a_seal_for_decide_resolution_sent_as_decide_extension_is_refused() -> None:
    """An unused sealed `{"approved": true}` of a supervisor counts for the decision it was
    sealed for, not for another action whose fields it happens to satisfy."""
    case = awaiting_extension_decision()
    approved = action("decide_extension", **SUPERVISOR, approved=True)
    reason = refusal(case, "decide_extension", approved, action="decide_resolution")
    assert "given for decide_resolution, not decide_extension" in reason
    assert case.state.extensions[-1].decided_at is None


def test_a_codec_seal_for_no_action_is_refused_and_says_what_to_add() -> None:
    """The codec server cannot know the signal's name: the person types "action" into the
    payload as they type "workflow_id"; without it the seal could be sent as any action."""
    case = accept(TUESDAY)
    reason = refusal(case, "record_contact", action("record_contact"), action=None, via="codec")
    assert "given for no action" in reason and '"action": "record_contact"' in reason


def test_a_cancellation_request_is_refused_on_the_timeline_and_told_to_the_supervisor() -> None:
    case = accept(TUESDAY)
    case.take_notices()
    case.cancellation_requested("tidying up", TUESDAY)
    entry = case.state.timeline[-2]
    assert (entry.kind, entry.actor, entry.action) == ("refused", "unknown (unverified)", "cancel")
    assert "tidying up" in entry.detail and "closed or withdrawn" in entry.detail
    [notice] = case.take_notices()
    assert notice.kind is NoticeKind.ESCALATION and notice.recipient == "wang.qiang"
    assert not case.finished(TUESDAY) and case.state.stage is Stage.CONTACT


def test_a_seal_of_the_api_or_system_naming_no_action_is_of_an_earlier_release_and_counts() -> None:
    """A worker of this release meets seals the API or the system made before it (recorded in
    a history, or in flight while the API is rolled out): they name no action and count."""
    case = accept(TUESDAY)
    assert send(case, "record_contact", action("record_contact"), action=None, via="api")
    assert send(case, "pause_clock", action("pause_clock", reason="appraisal"), action=None)


def test_rules_4_cases_keep_dropping_a_reused_request_id_and_any_seal_for_the_case() -> None:
    """What rules 4 did stays as it was, so its cases' histories replay."""
    case = accept(TUESDAY, rules=4)
    assert send(case, "reassign", action("reassign", owner="zhao.min", request_id="r1"))
    supervisor = action("reassign", **SUPERVISOR, owner="chen.jie", request_id="r1")
    assert not send(case, "reassign", supervisor)
    assert case.state.owner == "zhao.min"
    assert send(case, "record_contact", action("record_contact"), action="decide_resolution")


def awaiting_extension_decision() -> Complaint:
    case = accept(TUESDAY)
    contact = case.state.clock("stage:contact")
    assert contact is not None
    later = (contact.due_at + timedelta(days=1)).isoformat()
    assert send(
        case, "request_extension", action("request_extension", new_due_at=later, reason="appraisal")
    )
    return case
