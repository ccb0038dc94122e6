"""Extensions of a stage and of the regulatory limit (R-SLA-6, R-SLA-7)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain import notices, sla, versions
from domain.actions.base import OPEN, Action, ActionDef, Who
from domain.actions.pause import deadline_move_refusal
from domain.fields import AwareDatetime, Text
from domain.notice_models import CustomerTemplate, NoticeKind
from domain.sla import HandlingPolicy
from domain.state import Clock, ComplaintState, Extension
from domain.versions import Behaviour
from domain.vocabulary import Role

if TYPE_CHECKING:
    from domain.case import Complaint


class RequestExtension(Action):
    new_due_at: AwareDatetime
    reason: Text
    regulatory_days: Literal[30, 60] | None = None


class DecideExtension(Action):
    approved: bool
    new_due_at: AwareDatetime | None = None
    regulatory_days: Literal[30, 60] | None = None


def pending(state: ComplaintState, rules: int) -> Extension | None:
    """The extension request waiting for a decision (rules 2: one that has not lapsed)."""
    lapses = versions.has(rules, Behaviour.EXTENSION_LAPSES_WITH_STAGE)
    return next(
        (e for e in state.extensions if e.approved is None and (not lapses or e.lapsed_at is None)),
        None,
    )


def regulatory_days(state: ComplaintState) -> int:
    """The outer limit currently granted: 15 days, or 30/60 after approved extensions."""
    granted = [e.regulatory_days for e in state.extensions if e.approved and e.regulatory_days]
    return max(granted, default=15)


def extension_refusal(
    state: ComplaintState,
    policy: HandlingPolicy,
    new_due: datetime,
    days: int | None,
    now: datetime,
) -> str | None:
    """R-SLA-6, R-SLA-7: an approved extension may not silently pass the regulatory limit."""
    if new_due <= now:
        return f"the approved date {new_due.isoformat()} is already past"
    regulatory = state.clock("regulatory")
    if regulatory is None or new_due <= regulatory.due_at:
        return None
    if days is None or days <= regulatory_days(state):
        return (
            f"R-SLA-7: {new_due.isoformat()} is past the regulatory limit "
            f"{regulatory.due_at.isoformat()}; approve with regulatory_days=30 (complex case) "
            "or 60 (with the superior office's approval)"
        )
    limit = sla.regulatory_due(policy, regulatory.started_at, days)[0] + regulatory.paused_for
    if new_due > limit:
        return (
            f"R-SLA-7: {new_due.isoformat()} is past even the {days}-day limit {limit.isoformat()}"
        )
    return None


def _further_30_days_refusal(
    state: ComplaintState, new_due: datetime, days: int | None, action: Action
) -> str | None:
    """R-SLA-7 (rules 2): the further 30 days (60 in all) need the superior office or a
    head-office senior manager; a supervisor may grant the first extension, to 30."""
    regulatory = state.clock("regulatory")
    if days != 60 or regulatory is None or new_due <= regulatory.due_at:
        return None  # the approval does not take the regulatory limit to 60 days
    return (
        "R-SLA-7: extending the regulatory limit by a further 30 days (regulatory_days=60) "
        "needs the approval of the superior office or a head-office senior manager: the "
        f"senior_manager role (actor {action.actor} has {action.role.value})"
    )


def _request_refusal(case: Complaint, action: RequestExtension, now: datetime) -> str | None:
    s = case.state
    stage_clock = case.clocks.stage()
    if pending(s, case.rules) is not None:
        return "an extension request is already waiting for a decision"
    if stage_clock is None:
        return f"stage {s.stage.value} has no clock to extend"
    if action.new_due_at <= max(now, stage_clock.due_at):
        return (
            f"the requested date {action.new_due_at.isoformat()} is not later than "
            f"the current deadline {stage_clock.due_at.isoformat()}"
        )
    return None


def _requested(case: Complaint, action: RequestExtension, now: datetime) -> None:
    """R-SLA-6: the handler asks; a supervisor decides."""
    s = case.state
    s.extensions.append(
        Extension(
            stage=s.stage,
            requested_by=action.actor,
            requested_at=now,
            requested_due_at=action.new_due_at,
            reason=action.reason,
            regulatory_days=action.regulatory_days,
        )
    )
    if s.supervisor:
        words = notices.extension_requested(
            s.complaint_id, action.actor, s.stage.value, action.new_due_at, action.reason
        )
        case.outbox.notify(NoticeKind.ESCALATION, "supervisor", s.supervisor, ["email"], words, now)


def _decide_refusal(case: Complaint, action: DecideExtension, now: datetime) -> str | None:
    if action.approved and (moving := deadline_move_refusal(case, "decide_extension")):
        return moving
    s, rules = case.state, case.rules
    waiting = pending(s, rules)
    if waiting is None:
        return "there is no extension request to decide"
    if waiting.stage is not s.stage or case.clocks.stage() is None:
        return "the pending extension was for another stage"
    if not action.approved:
        return None
    new_due = action.new_due_at or waiting.requested_due_at
    days = action.regulatory_days or waiting.regulatory_days
    refused = extension_refusal(s, case.policy, new_due, days, now)
    if (
        refused is None
        and versions.has(rules, Behaviour.FURTHER_30_DAYS_BY_SENIOR_MANAGER)
        and action.role is not Role.SENIOR_MANAGER
    ):
        refused = _further_30_days_refusal(s, new_due, days, action)
    return refused


def _decided(case: Complaint, action: DecideExtension, now: datetime) -> None:
    """R-SLA-6: approved moves the deadline and the customer is told; denied changes nothing."""
    s, policy, rules = case.state, case.policy, case.rules
    waiting = pending(s, rules)
    assert waiting is not None  # the gate refused otherwise
    new_due = action.new_due_at or waiting.requested_due_at
    days = action.regulatory_days or waiting.regulatory_days
    regulatory = s.clock("regulatory")
    grows_regulatory = regulatory is not None and new_due > regulatory.due_at
    decided = waiting.model_copy(
        update={
            "decided_by": action.actor,
            "decided_at": now,
            "approved": action.approved,
            "approved_due_at": new_due if action.approved else None,
            "regulatory_days": days if action.approved and grows_regulatory else None,
        }
    )
    s.extensions = [decided if e is waiting else e for e in s.extensions]
    if not action.approved:
        return
    clock = case.clocks.stage()
    assert clock is not None
    case.clocks.replace(sla.extended(policy, clock, now, new_due, rules=rules))
    longer: Clock | None = None
    if grows_regulatory and regulatory is not None and days is not None:
        # R-SLA-7: each extension of the outer limit is told to the complainant.
        longer = sla.regulatory_clock(policy, regulatory.started_at, days, rules=rules)
        longer = longer.model_copy(
            update={
                "due_at": longer.due_at + regulatory.paused_for,
                "paused_for": regulatory.paused_for,
            }
        )
        case.clocks.replace(longer)
    handling_by = notices.last_day(new_due)
    if not versions.has(rules, Behaviour.ONE_DATE_PER_CUSTOMER_NOTICE):
        words = notices.handling_extended_legacy(new_due, longer.due_at if longer else None)
        decision_by = notices.last_day(longer.due_at) if longer else None
        told = case.outbox.words(
            CustomerTemplate.HANDLING_EXTENDED, handling_by=handling_by, decision_by=decision_by
        )
        case.outbox.tell_customer(words, now, told, clock=clock.key)
        return
    told = case.outbox.words(CustomerTemplate.HANDLING_EXTENDED, handling_by=handling_by)
    case.outbox.tell_customer(notices.handling_extended(new_due), now, told, clock=clock.key)
    if longer is not None:
        told = case.outbox.words(
            CustomerTemplate.REGULATORY_EXTENDED, decision_by=notices.last_day(longer.due_at)
        )
        case.outbox.tell_customer(
            notices.regulatory_extended(longer.due_at), now, told, clock="regulatory"
        )


def _may_request(s: ComplaintState, actor: str | None, rules: int) -> bool:
    running = s.clock(f"stage:{s.stage.value}")
    paused = any(c.paused_at is not None for c in s.clocks)
    return pending(s, rules) is None and running is not None and not paused


def _may_decide(s: ComplaintState, actor: str | None, rules: int) -> bool:
    waiting = pending(s, rules)
    return waiting is not None and waiting.stage is s.stage


REQUEST_EXTENSION = ActionDef(
    name="request_extension",
    payload=RequestExtension,
    description="Handler asks for a later deadline.",
    stages=OPEN,
    effect=_requested,
    topic="deadlines",
    check=_request_refusal,
    offered=_may_request,
    example={
        "new_due_at": "2026-12-18T17:00:00+08:00",
        "reason": "Waiting for the loss adjuster's report.",
    },
    label=("申请延期", "Request extension"),
)

DECIDE_EXTENSION = ActionDef(
    name="decide_extension",
    payload=DecideExtension,
    description=(
        'Supervisor: {"approved": true, "new_due_at": "..."}; regulatory_days 60: senior_manager.'
    ),
    stages=OPEN,
    effect=_decided,
    topic="deadlines",
    check=_decide_refusal,
    who=Who.LEADER,
    offered=_may_decide,
    example={"approved": True, "new_due_at": "2026-12-18T17:00:00+08:00"},
    label=("审批延期", "Decide extension"),
)

DEFINITIONS = (REQUEST_EXTENSION, DECIDE_EXTENSION)
