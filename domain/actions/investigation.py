"""The investigation and its findings (R-ST-1), a hard case reported in writing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain import notices, versions
from domain.actions.base import Action, ActionDef
from domain.fields import Text
from domain.notice_models import NoticeKind
from domain.versions import Behaviour
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class SubmitInvestigation(Action):
    findings: Text
    proposed_resolution: Text
    difficulty: Literal["coverage", "loss_assessment"] | None = None


def _submitted(case: Complaint, action: SubmitInvestigation, now: datetime) -> None:
    case.state.proposed_resolution = action.proposed_resolution
    if versions.has(case.rules, Behaviour.DIFFICULTY_REPORTED) and action.difficulty is not None:
        _report_difficulty(case, action, now)
    case.enter(Stage.APPROVE, action.actor, now)


def _report_difficulty(case: Complaint, action: SubmitInvestigation, now: datetime) -> None:
    """R-ST-1 (rules 2): a technically hard case's difficult points (a coverage or a
    loss-assessment question) go in writing to the level above: the case's supervisor."""
    assert action.difficulty is not None
    s = case.state
    if s.supervisor is None:
        case.timeline.write(
            "notice",
            "system",
            f"R-ST-1: the {action.difficulty} difficulty could not be reported in writing: the "
            "case has no supervisor (reassign one)",
            now,
        )
        return
    words = notices.difficulty_report(
        s.complaint_id, action.actor, action.difficulty, action.findings, action.proposed_resolution
    )
    case.outbox.notify(
        NoticeKind.DIFFICULTY_REPORT, "supervisor", s.supervisor, ["email"], words, now
    )


SUBMIT_INVESTIGATION = ActionDef(
    name="submit_investigation",
    payload=SubmitInvestigation,
    description=(
        'Findings and proposed resolution go to approval; {"difficulty": "coverage"} reports it.'
    ),
    stages=frozenset({Stage.INVESTIGATE}),
    effect=_submitted,
    topic="handling",
    hidden=frozenset({"proposed_resolution"}),
    example={
        "findings": "Garage invoice verified against the policy schedule.",
        "proposed_resolution": "Pay 8,200 yuan.",
    },
    label=("提交调查结果", "Submit investigation"),
)

DEFINITIONS = (SUBMIT_INVESTIGATION,)
