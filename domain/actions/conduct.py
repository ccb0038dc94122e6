"""Staff conduct: the handling script acknowledged, conduct recorded against a person (R-CR-2,
R-CR-8, R-AC-6)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain import crisis
from domain.accountability import CRISIS_DECISIONS
from domain.actions.base import OPEN, Action, ActionDef
from domain.fields import Name, Text
from domain.state import ConductEvent
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class AcknowledgeScript(Action):
    """R-CR-2: the handler read and accepts the handling script (no promises, no media)."""

    script: Name = "complaint handling script"


class RecordConduct(Action):
    """R-CR-2, R-CR-8: a complaint about a staff member's conduct, against that person;
    R-AC-6: a wrong crisis decision or a failure to act, recorded by a leader on a crisis."""

    person: Name
    kind: Literal[
        "unauthorised_promise",
        "disclosure",
        "media_interview",
        "pushed_upward",
        "harmful_material",
        "wrong_crisis_decision",
        "failure_to_act",
    ]
    detail: Text | None = None


def _acknowledge_refusal(case: Complaint, action: AcknowledgeScript, now: datetime) -> str | None:
    if action.actor in case.state.script_acknowledged_by:
        return f"R-CR-2: {action.actor} already acknowledged the handling script"
    return None


def _acknowledged(case: Complaint, action: AcknowledgeScript, now: datetime) -> None:
    case.state.script_acknowledged_by.append(action.actor)


def _conduct_refusal(case: Complaint, action: RecordConduct, now: datetime) -> str | None:
    if action.kind not in CRISIS_DECISIONS:
        return None
    if action.role not in crisis.DECIDING_ROLES:
        return (
            f"R-AC-6: {action.kind} is recorded by the crisis leadership (supervisor or "
            f"senior_manager); {action.actor} has {action.role.value}"
        )
    if not case.state.crisis:
        return f"R-AC-6: {action.kind} is recorded on a crisis event"
    return None


def _recorded(case: Complaint, action: RecordConduct, now: datetime) -> None:
    case.state.conduct_events.append(
        ConductEvent(
            seq=case.timeline.last_seq,
            person=action.person,
            kind=action.kind,
            detail=action.detail,
            recorded_by=action.actor,
            recorded_at=now,
        )
    )


ACKNOWLEDGE_SCRIPT = ActionDef(
    name="acknowledge_script",
    payload=AcknowledgeScript,
    description="R-CR-2: the handler acknowledges the handling script.",
    stages=OPEN,
    effect=_acknowledged,
    topic="conduct and care",
    check=_acknowledge_refusal,
    since=3,
    offered=lambda s, actor, rules: actor is None or actor not in s.script_acknowledged_by,
    label=("确认处理话术", "Acknowledge script"),
)

RECORD_CONDUCT = ActionDef(
    name="record_conduct",
    payload=RecordConduct,
    description=(
        'R-CR-2: staff conduct against a person: {"person": "...", "kind": '
        '"unauthorised_promise"|"disclosure"|"media_interview"|...}; R-AC-6, a leader on a '
        'crisis: "wrong_crisis_decision"|"failure_to_act".'
    ),
    stages=OPEN | {Stage.CLOSED, Stage.WITHDRAWN},
    effect=_recorded,
    topic="conduct and care",
    check=_conduct_refusal,
    since=3,
    example={
        "person": "sun.li",
        "kind": "unauthorised_promise",
        "detail": "Promised full payment before the investigation.",
    },
    label=("记录员工行为", "Record conduct"),
)

DEFINITIONS = (ACKNOWLEDGE_SCRIPT, RECORD_CONDUCT)
