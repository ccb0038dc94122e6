"""R-AC-1 under rules 3: a repeated delivery's sealed identity is spent (found by the state
machine of tests/unit/test_case_machine.py while adding announce_closure)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.actions import ACTION_MODELS
from domain.case import Complaint, Refused
from tests.identities import verified
from tests.unit.test_case_rules import accept
from tests.unit.test_closures import TUESDAY


def test_r_ac_1_a_repeated_deliverys_seal_is_spent_too_under_rules_3() -> None:
    """Found by the state machine: a repeated delivery (same request id) is a no-op, and under
    rules 3 its sealed identity is used up as well, so a copy of it counts for nothing."""
    case = accept(TUESDAY)
    first = ACTION_MODELS["record_contact"].model_validate(
        {"actor": "li.na", "role": "handler", "request_id": "r1"}
    )
    assert case.act(
        "record_contact", first, TUESDAY, verified(case, "record_contact", first, TUESDAY)
    )
    seal = verified(case, "record_contact", first, TUESDAY)
    assert not case.act("record_contact", first, TUESDAY, seal)  # the repeat: a no-op
    copy = ACTION_MODELS["pause_clock"].model_validate(
        {"actor": "li.na", "role": "handler", "reason": "appraisal"}
    )
    assert "used" in refused_with(case, "pause_clock", copy, seal)


def refused_with(case: Complaint, name: str, action: Any, seal: Any) -> str:
    with pytest.raises(Refused) as refusal:
        case.act(name, action, TUESDAY, seal)
    return refusal.value.reason
