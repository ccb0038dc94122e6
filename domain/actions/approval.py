"""The decision on the proposed resolution (R-ST-2, R-ST-3)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from domain import versions
from domain.actions import customer_response
from domain.actions.base import OPEN, Action, ActionDef, Who
from domain.fields import Name, Text
from domain.versions import Behaviour
from domain.vocabulary import Grade, Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class DecideResolution(Action):
    approved: bool
    collective: bool = False
    # R-ST-2 (rules 2): who took part in a collective decision (at least two to approve one).
    participants: Annotated[list[Name], Field(max_length=50)] = []
    reason: Text | None = None


class NameDepartmentHead(Action):
    """R-ST-8 (rules 5): the head of the department concerned, who takes part in the case's
    collective decision (相关部门负责人必须参与, 不得完全授权)."""

    head: Name


def _refusal(case: Complaint, action: DecideResolution, now: datetime) -> str | None:
    """R-ST-2: a major complaint's (or a crisis's) resolution is decided collectively; rules 2:
    by two participants at least, named; rules 5 (R-ST-8): its department head among them."""
    s, rules = case.state, case.rules
    if action.approved and (s.grade is not Grade.GENERAL or s.crisis) and not action.collective:
        if not versions.has(rules, Behaviour.COLLECTIVE_NAMES_PARTICIPANTS):
            return (
                "R-ST-2: a major complaint's resolution is decided collectively; "
                "approve with collective=true once it has been"
            )
        return (
            "R-ST-2: a major complaint's resolution is decided collectively; approve "
            "with collective=true and the participants once it has been"
        )
    if (
        versions.has(rules, Behaviour.COLLECTIVE_NAMES_PARTICIPANTS)
        and action.approved
        and action.collective
    ):
        named = sorted(set(action.participants))
        if len(named) < 2:
            return (
                "R-ST-2: a collective decision names who took part: at least two "
                f"participants (given: {', '.join(named) or 'none'})"
            )
    if (
        versions.has(rules, Behaviour.DEPARTMENT_HEAD_DECIDES)
        and action.approved
        and action.collective
        and (s.grade is not Grade.GENERAL or s.crisis)
    ):
        what = "a crisis" if s.crisis else f"graded {s.grade.value}"
        return _department_head_refusal(s.department_head, action.participants, what)
    return None


def _department_head_refusal(head: str | None, participants: list[str], what: str) -> str | None:
    """R-ST-8 (rules 5): a major or crisis case names its department head (at intake, or
    `name_department_head`: a case regraded later names one then), who is among the
    participants of its collective decision and may not delegate it."""
    if head is None:
        return (
            f"R-ST-8: this case is {what} and names no department head, who takes part in its "
            "collective decision: name them (name_department_head), then approve with them "
            "among the participants"
        )
    if head not in participants:
        return (
            f"R-ST-8: the department head {head} takes part in a major or crisis case's "
            "collective decision and may not delegate it: name them among the participants"
        )
    return None


def _decided(case: Complaint, action: DecideResolution, now: datetime) -> None:
    """R-ST-2, R-ST-3: approved goes to closing; rejected goes back to investigation.
    Rules 2: a collective approval names who took part, at least two (the gate), and the
    action's timeline entry names them. Rules 5 (R-CU-3): an approved resolution is put to the
    customer first (domain/actions/customer_response.py)."""
    case.state.resolution_approved = action.approved
    if action.approved and versions.has(case.rules, Behaviour.CUSTOMER_SAYS):
        customer_response.ask(case, action.actor, now)  # R-CU-3: before it is carried out
        return
    case.enter(Stage.CLOSE if action.approved else Stage.INVESTIGATE, action.actor, now)


DECIDE_RESOLUTION = ActionDef(
    name="decide_resolution",
    payload=DecideResolution,
    description=(
        'Supervisor: {"approved": true|false, "collective": true, "participants": ["...", "..."]}.'
    ),
    stages=frozenset({Stage.APPROVE}),
    effect=_decided,
    topic="handling",
    check=_refusal,
    who=Who.LEADER,
    example={"approved": True},
    label=("审批处理方案", "Decide resolution"),
)


def _head_named(case: Complaint, action: NameDepartmentHead, now: datetime) -> None:
    case.state.department_head = action.head


NAME_DEPARTMENT_HEAD = ActionDef(
    name="name_department_head",
    payload=NameDepartmentHead,
    description='R-ST-8: the department head who takes part in the decision: {"head": "..."}.',
    stages=OPEN,
    effect=_head_named,
    topic="handling",
    who=Who.LEADER,
    since=5,
    example={"head": "sun.hao"},
    label=("指定部门负责人", "Name department head"),
)

DEFINITIONS = (DECIDE_RESOLUTION, NAME_DEPARTMENT_HEAD)
