"""What the Web UI shows of a case, pure (workflows/visibility.py, domain/available.py): the
details panel's words, deadlines in the branch's zone, the last refusal masked, the actions the
case accepts now with who may take them and a payload to paste; the branch code only from
rules 5; the desk offers a person a subset of what the case accepts from anyone."""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from api.desk.available import available_actions
from domain import available
from domain.vocabulary import Role
from tests.unit.test_crisis_rules import T0, accept, act, refused
from workflows import visibility
from workflows.search_attributes import BRANCH_CODE


def payloads(details: str) -> dict[str, dict[str, Any]]:
    """Each offered action's payload, by action."""
    found = re.findall(r"`(\w+)` · [^\n]*\n```json\n(.+?)\n```", details, re.S)
    return {name: json.loads(text) for name, text in found}


def test_the_branch_code_has_no_space_and_keeps_letters_of_any_script() -> None:
    assert visibility.branch_code("Shanghai Pudong") == "shanghai-pudong"
    assert visibility.branch_code("  Beijing -- Haidian ") == "beijing-haidian"
    assert visibility.branch_code("上海 浦东") == "上海-浦东"


def test_the_branch_code_is_a_rules_5_search_attribute() -> None:
    case = accept(rules=5)
    assert visibility.values(case.state, rules=5)[BRANCH_CODE.name] == "shanghai-pudong"
    assert BRANCH_CODE.name not in visibility.values(case.state, rules=4)


def test_the_details_offer_what_the_stage_accepts_with_who_and_a_payload() -> None:
    case = accept(rules=5)
    act(case, "record_contact")
    act(case, "submit_investigation", findings="f", proposed_resolution="r")
    details = visibility.details(case.state, rules=5, workflow_id="complaint-C14")
    offered = payloads(details)
    assert list(offered) == available.open_now(case.state, rules=5)
    assert "record_contact" not in offered  # another stage's
    assert "`decide_resolution` · supervisor, senior_manager" in details
    decision = {"workflow_id": "complaint-C14", "action": "decide_resolution", "approved": None}
    assert offered["decide_resolution"] == decision
    assert "resume_clock" not in offered  # nothing is paused
    for name, payload in offered.items():
        assert payload["workflow_id"] == "complaint-C14" and payload["action"] == name
        assert not {"actor", "role", "request_id"} & payload.keys()  # the codec seals who


def test_deadlines_are_in_the_branch_zone_to_the_minute() -> None:
    case = accept(rules=5)
    contact = case.state.clock("stage:contact")
    assert contact is not None
    for zone in ("Asia/Shanghai", "Europe/London"):
        details = visibility.details(case.state, zone=zone)
        assert f"**期限 Deadlines** ({zone})" in details
        assert f"due {contact.due_at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}\n" in details


def test_the_last_refusal_is_in_words_and_masked() -> None:
    case = accept(rules=5)
    assert "Last refusal" not in visibility.details(case.state)
    reason = refused(case, "decide_resolution", T0, approved=True)  # a handler, the wrong stage
    details = visibility.details(case.state)
    assert "Last refusal" in details and "decide_resolution from li.na" in details
    assert " ".join(reason.split()) in details
    refused(case, "expedite", T0, minutes=60, actor="13812345678")  # a handler: needs a leader
    assert "13812345678" not in visibility.details(case.state)


def test_the_desk_offers_a_person_a_subset_of_what_the_case_accepts() -> None:
    case = accept(rules=5)
    anyone = available.open_now(case.state)
    for roles in ([Role.HANDLER], [Role.SUPERVISOR], [Role.SENIOR_MANAGER]):
        offered = available_actions(case.state, roles, actor="li.na")
        assert set(offered) <= set(anyone)
        assert all(roles[0] in available.who_may(name) for name in offered)
    assert "expedite" in anyone and "expedite" not in available_actions(case.state, [Role.HANDLER])
