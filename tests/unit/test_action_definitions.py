"""Each action of the case is defined once (domain/actions/): the registry keeps the contract's
published order, every table of actions is derived from it, and every gate asks its questions
in the order the case always asked them, so that a refusal reads as it always did."""

from __future__ import annotations

from typing import Any

from temporalio.workflow import _Definition

import workflows.contract as contract
from domain.actions import ACTION_MODELS, ACTIONS, Action
from domain.actions.base import ActionDef
from domain.case import Complaint
from tests.unit.test_case_doors import action, refusal, send
from tests.unit.test_case_rules import accept
from tests.unit.test_closures import TUESDAY
from workflows.complaint import ComplaintWorkflow

# The order the contract published the actions in (the docs' table, the list an unknown
# action's refusal names); a new action takes its place among them in its module.
PUBLISHED = (
    "record_contact",
    "submit_investigation",
    "decide_resolution",
    "close_case",
    "record_callback",
    "request_extension",
    "decide_extension",
    "escalate_crisis",
    "report_crisis",
    "designate_special",
    "expedite",
    "pause_clock",
    "resume_clock",
    "request_review",
    "reassign",
    "withdraw",
    "record_repeat",
    "transfer",
    "complete_transfer",
    "transfer_to_insurer",
    "classify_policy",
    "correct_amount",
    "acknowledge_script",
    "record_conduct",
    "flag_customer",
    "record_early_signs",
    "record_police_contact",
    "record_group_event",
    "announce_closure",
)  # fmt: skip  (the names read better as a block than one a line)


def test_the_registry_keeps_the_contracts_published_order() -> None:
    assert tuple(name for name in ACTIONS if name in PUBLISHED) == PUBLISHED
    assert set(PUBLISHED) <= set(ACTIONS), "a published action is never dropped"


def test_every_list_of_actions_is_derived_from_the_definitions() -> None:
    """The payload models, the contract's actions and signal descriptions and the workflow's
    signals: one definition each, nothing listed twice."""
    assert all(name == d.name and isinstance(d, ActionDef) for name, d in ACTIONS.items())
    assert ACTION_MODELS == {name: d.payload for name, d in ACTIONS.items()}
    assert len(set(ACTION_MODELS.values())) == len(ACTIONS), "one payload model per action"
    assert all(issubclass(model, Action) for model in ACTION_MODELS.values())
    assert contract.ACTIONS == tuple(ACTIONS)
    described = {name: d.description for name, d in ACTIONS.items() if d.description}
    assert contract.ACTION_SIGNALS == described
    signals = _Definition.must_from_class(ComplaintWorkflow).signals
    assert {name for name in signals if name} == set(described)
    assert "record_repeat" not in signals  # the API's, an update only


def _withdrawn(rules: int) -> Complaint:
    case = accept(TUESDAY, rules=rules)
    assert send(case, "withdraw", action("withdraw"))
    return case


def test_a_crisis_action_asks_the_rules_version_before_the_stage() -> None:
    """As domain/crisis.py's gate did: a rules-2 case refuses it for its rules in any stage."""
    reason = refusal(_withdrawn(2), "acknowledge_script", action("acknowledge_script"))
    assert reason == "acknowledge_script came with rules 3; this case runs under rules 2"


def test_a_bank_channel_action_asks_the_stage_before_the_rules_version() -> None:
    """As the lifecycle gate and then domain/intake_rules.py's did."""
    fields: dict[str, Any] = {"department": "claims", "requirements": "call back", "days": 2}
    reason = refusal(_withdrawn(2), "transfer", action("transfer", **fields))
    assert reason == (
        "transfer does not fit stage withdrawn (allowed in: approve, callback, close, contact, "
        "investigate)"
    )
    case = accept(TUESDAY, rules=2)
    reason = refusal(case, "transfer", action("transfer", **fields))
    assert reason == "transfer came with rules 3; this case runs under rules 2"


def test_the_administrators_action_asks_the_rules_version_before_who_sends_it() -> None:
    fields = {
        "closure_key": "typhoon",
        "first_day": "2026-03-10",
        "last_day": "2026-03-10",
        "reason": "typhoon",
    }
    closure = action("announce_closure", **fields)
    reason = refusal(accept(TUESDAY, rules=2), "announce_closure", closure)
    assert reason == "announce_closure: this case runs under rules before 3 and keeps its calendar"
