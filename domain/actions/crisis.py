"""A crisis event and its reports (R-CR-1, R-CR-7, R-GR-2)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from domain import crisis, grading, outside_bodies, versions
from domain.actions.base import OPEN, OWN_GATE, Action, ActionDef, Who
from domain.fields import EvidenceIds, Name, Text
from domain.notice_models import NoticeKind
from domain.state import CrisisRecord
from domain.versions import Behaviour
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class EscalateCrisis(Action):
    reasons: Annotated[list[Name], Field(min_length=1, max_length=10)]
    people_count: Annotated[int, Field(ge=1, le=100_000)] = 1


class ReportCrisis(Action):
    # Rules 3: "regulator" (R-CR-7, its own report) and "early_signs" (R-CR-6) as well.
    level: Literal["superior", "headquarters", "regulator", "early_signs"]
    summary: Text
    # Rules 3: the report goes out to `to` (a user id or address; the level's
    # default recipient if left out, the regulator's contact required) with these evidence ids.
    to: Name | None = None
    attachments: EvidenceIds = []


class DeclineCrisis(Action):
    """R-GR-4 (rules 5): the supervisor records why the crisis put to them is not one."""

    reason: Text


def _decline_refusal(case: Complaint, action: DeclineCrisis, now: datetime) -> str | None:
    if case.state.clock(outside_bodies.DECISION) is None:
        return "R-GR-4: no crisis was put to the supervisor on this case"
    return None


def _declined(case: Complaint, action: DeclineCrisis, now: datetime) -> None:
    """R-GR-4: the reason is on the timeline (the action's entry); the decision clock is met."""
    outside_bodies.decided(case, now)


def _escalate_refusal(case: Complaint, action: EscalateCrisis, now: datetime) -> str | None:
    return "the case is already a crisis event" if case.state.crisis else None


def _escalated(case: Complaint, action: EscalateCrisis, now: datetime) -> None:
    reasons = list(action.reasons)
    if action.people_count >= grading.CRISIS_GROUP_SIZE:
        reasons.append(f"group event of {action.people_count} people")
    crisis.declare(case, reasons, action.actor, now)
    case.clocks.replan_stage()


# Rules 1-2: a report fitted the open stages and the review window; rules 3 files one of a
# withdrawn case too (R-CR-8: it is due whether or not the customer withdrew).
_STAGES_BEFORE_RULES_3 = OPEN | {Stage.CLOSED}


def _report_refusal(case: Complaint, action: ReportCrisis, now: datetime) -> str | None:
    s, rules = case.state, case.rules
    if not versions.has(rules, Behaviour.CRISIS_IN_FULL):
        if action.level in crisis.NEW_LEVELS:
            return f"the {action.level} report came with rules 3; this case runs rules {rules}"
        if s.stage not in _STAGES_BEFORE_RULES_3:
            stages = ", ".join(sorted(st.value for st in _STAGES_BEFORE_RULES_3))
            return f"report_crisis does not fit stage {s.stage.value} (allowed in: {stages})"
        if not s.crisis:
            return "the case is not a crisis event"
        if s.clock(f"crisis:{action.level}") is None:
            return f"the crisis report to {action.level} was already filed"
        return None
    if s.stage not in REPORT_CRISIS.stages:
        return f"report_crisis does not fit stage {s.stage.value}"
    if action.level != "early_signs" and not s.crisis:
        return "the case is not a crisis event"
    if s.clock(f"crisis:{action.level}") is None:
        if action.level == "early_signs" and not crisis.recorded(s, "early_signs"):
            return "R-CR-6: no early signs of a group event were recorded (record_early_signs)"
        return f"the crisis report to {action.level} was already filed"
    if action.level == "regulator" and action.to is None:
        return "R-CR-7: the report to the regulator names the regulator's contact (to)"
    if versions.has(rules, Behaviour.REPORTS_CLIMB_THE_CHAIN):
        return crisis.recipient_refusal(action.level, action.to, case.policy.report_chain)
    return None


def _reported(case: Complaint, action: ReportCrisis, now: datetime) -> None:
    if not versions.has(case.rules, Behaviour.CRISIS_IN_FULL):
        case.clocks.finish(f"crisis:{action.level}", now)
        return
    # Rules 3: the report goes out (outbox) with its text and evidence, and is recorded.
    s = case.state
    key = f"crisis:{action.level}"
    clock = s.clock(key)
    assert clock is not None  # the gate refused otherwise
    late = now > clock.due_at
    seq = case.timeline.last_seq
    case.clocks.finish(key, now)
    if versions.has(case.rules, Behaviour.REPORTS_CLIMB_THE_CHAIN):
        recipients = crisis.report_recipients(
            action.level, action.to, case.policy.report_chain, s.supervisor or s.owner
        )
    else:
        to = action.to or (
            crisis.LEGACY_HQ_CRISIS_GROUP
            if action.level == "headquarters"
            else s.supervisor or s.owner
        )
        recipients = [(crisis.RECIPIENT_ROLE[action.level], to)]
    s.crisis_records.append(
        CrisisRecord(
            seq=seq,
            kind="report",
            at=now,
            actor=action.actor,
            level=action.level,
            person=", ".join(p for _, p in recipients),
            detail=action.summary,
            attachments=list(action.attachments),
            due_at=clock.due_at,
            late=late,
        )
    )
    words = crisis.report_words(
        s.complaint_id, s.branch, action.level, action.summary, list(action.attachments), late
    )
    for role, person in recipients:
        case.outbox.notify(NoticeKind.CRISIS_REPORT, role, person, ["email"], words, now, clock=key)


ESCALATE_CRISIS = ActionDef(
    name="escalate_crisis",
    payload=EscalateCrisis,
    description='The case becomes a crisis: {"reasons": [...]}.',
    stages=OPEN,
    effect=_escalated,
    topic="crisis",
    check=_escalate_refusal,
    offered=lambda s, actor, rules: not s.crisis,
    example={"reasons": ["media"], "people_count": 1},
    label=("升级为危机事件", "Escalate to crisis"),
)

REPORT_CRISIS = ActionDef(
    name="report_crisis",
    payload=ReportCrisis,
    description=(
        'Crisis report filed and sent: {"level": "superior"|"headquarters"|"regulator"|'
        '"early_signs", "summary": "...", "to": "...", "attachments": [evidence ids]}.'
    ),
    stages=OPEN | {Stage.CLOSED, Stage.WITHDRAWN},
    effect=_reported,
    topic="crisis",
    check=_report_refusal,
    asks=OWN_GATE,  # its own rule asks the stage, by rules version
    offered=lambda s, actor, rules: any(c.key.startswith("crisis:") for c in s.clocks),
    example={
        "level": "superior",
        "summary": "A local newspaper asked about the unpaid claim.",
    },
    label=("危机事件报告", "Report crisis"),
)

DECLINE_CRISIS = ActionDef(
    name="decline_crisis",
    payload=DeclineCrisis,
    description=(
        'R-GR-4: the crisis put to the supervisor is not one, and why: {"reason": "..."}.'
    ),
    stages=OPEN | {Stage.CLOSED},
    effect=_declined,
    topic="crisis",
    check=_decline_refusal,
    who=Who.LEADER,
    since=5,
    offered=lambda s, actor, rules: s.clock(outside_bodies.DECISION) is not None,
    example={"reason": "The journalist asked once; no report was published."},
    label=("不认定危机事件", "Decline crisis"),
)

DEFINITIONS = (ESCALATE_CRISIS, REPORT_CRISIS, DECLINE_CRISIS)
