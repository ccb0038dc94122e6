"""Which action fits which stage and which role (R-ST-1..6, R-SLA-5/6/8, R-CR-1, R-IN-7).

`refusal` is the single gate every action passes, whether it came as a signal or an update:
it returns the reason an action is refused, or None when the workflow may apply it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import causes, crisis, intake_rules, sla
from domain.models import (
    Action,
    CloseCase,
    ComplaintState,
    DecideExtension,
    DecideResolution,
    Extension,
    Grade,
    Reassign,
    ReportCrisis,
    RequestExtension,
    Role,
    Stage,
)
from domain.sla import PolicySnapshot

ACTIVE = frozenset({Stage.CONTACT, Stage.INVESTIGATE, Stage.APPROVE, Stage.CLOSE, Stage.CALLBACK})

ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "record_contact": frozenset({Stage.CONTACT}),
    "submit_investigation": frozenset({Stage.INVESTIGATE}),
    "decide_resolution": frozenset({Stage.APPROVE}),
    "close_case": frozenset({Stage.CLOSE}),
    "record_callback": frozenset({Stage.CALLBACK}),
    "request_extension": ACTIVE,
    "decide_extension": ACTIVE,
    "escalate_crisis": ACTIVE,
    "report_crisis": ACTIVE | {Stage.CLOSED},
    "designate_special": ACTIVE,
    "expedite": ACTIVE,
    "pause_clock": ACTIVE,
    "resume_clock": ACTIVE,
    "request_review": frozenset({Stage.CALLBACK, Stage.CLOSED}),
    "reassign": ACTIVE,
    "withdraw": ACTIVE,
    "record_repeat": ACTIVE,
    "announce_closure": ACTIVE,  # R-SLA-10: the running deadlines of an open case
    # Rules 3, issue 14 part A (domain/intake_rules.py)
    "transfer": ACTIVE,
    "complete_transfer": ACTIVE | {Stage.CLOSED},
    "transfer_to_insurer": ACTIVE,
    "classify_policy": ACTIVE,
    "correct_amount": ACTIVE | {Stage.CLOSED},
    **crisis.ALLOWED_STAGES,  # issue 14's actions (their gate: domain.crisis.refusal)
}

# Approving a resolution or an extension, grading special and ordering same-day handling are
# a leader's decisions (R-SLA-5, R-SLA-6, R-GR-1, R-ST-2): a supervisor's, or (rules 2) the
# superior office's or a head-office senior manager's.
SUPERVISOR_ONLY = frozenset(
    {"decide_resolution", "decide_extension", "designate_special", "expedite"}
)
LEADERS = frozenset({Role.SUPERVISOR, Role.SENIOR_MANAGER})


def leads(role: Role, rules: int) -> bool:
    """Whether `role` may take a supervisor's action in a case under these rules."""
    return role in LEADERS if rules >= 2 else role is Role.SUPERVISOR


def pending_extension(state: ComplaintState, rules: int) -> Extension | None:
    """The extension request waiting for a decision (rules 2: one that has not lapsed)."""
    return next(
        (e for e in state.extensions
         if e.approved is None and (rules < 2 or e.lapsed_at is None)),
        None,
    )  # fmt: skip


def role_refusal(name: str, role: Role, actor: str, *, rules: int) -> str | None:
    """The part of the gate that looks only at who acts (and the version that brought an
    administrator's action): the reason `role` may not take `name`, or None. The docs' action
    table asks it too (tools/action_table.py)."""
    if name == "announce_closure":  # R-SLA-10: new in rules 3, the administrator's
        if rules < 3:
            return "announce_closure: this case runs under rules before 3 and keeps its calendar"
        if role not in (Role.ADMIN, Role.SYSTEM):
            return f"announce_closure needs the admin role (actor {actor} has {role.value})"
    elif role is Role.ADMIN:
        return "administrators change policy and announce closures, not a case's handling"
    if role is Role.AUDITOR:
        return "auditors may read a case but not act on it"
    if role is Role.REVIEW_GROUP:
        return "the review group decides the accountability cycle, not a case's handling"
    if role is Role.SENIOR_MANAGER and rules < 2:
        # The role came with rules 2: a rules-1 case refuses it, as it refused the unknown role
        # before, so that its history replays the same.
        return (
            "this case runs under rules 1, which know no senior_manager role: "
            "act with the supervisor role"
        )
    if name in SUPERVISOR_ONLY and not leads(role, rules):
        needed = "supervisor or senior_manager" if rules >= 2 else "supervisor"
        return f"{name} needs the {needed} role (actor {actor} has {role.value})"
    return None


def refusal(
    state: ComplaintState,
    name: str,
    action: Action,
    now: datetime,
    policy: PolicySnapshot,
    *,
    rules: int,
) -> str | None:
    refused = role_refusal(name, action.role, action.actor, rules=rules)
    if refused is not None:
        return refused
    handled, reason = crisis.refusal(state, name, action, rules=rules,
                                     chain=policy.report_chain)  # fmt: skip
    if handled:
        return reason
    allowed = ALLOWED_STAGES[name]
    if state.stage not in allowed:
        stages = ", ".join(sorted(s.value for s in allowed))
        return f"{name} does not fit stage {state.stage.value} (allowed in: {stages})"
    stage_clock = state.clock(f"stage:{state.stage.value}")
    pending = pending_extension(state, rules)
    paused = any(c.paused_at is not None for c in state.clocks)
    if rules >= 2 and paused and _moves_a_deadline(name, action):
        return (
            f"R-SLA-8: the clock is paused; resume it before {name} sets a new deadline "
            "(the paused time would move it)"
        )
    match name:
        case "decide_resolution":
            assert isinstance(action, DecideResolution)
            if (
                action.approved
                and (state.grade is not Grade.GENERAL or state.crisis)
                and not action.collective
            ):
                if rules < 2:
                    return (
                        "R-ST-2: a major complaint's resolution is decided collectively; "
                        "approve with collective=true once it has been"
                    )
                return (
                    "R-ST-2: a major complaint's resolution is decided collectively; approve "
                    "with collective=true and the participants once it has been"
                )
            if rules >= 2 and action.approved and action.collective:
                named = sorted(set(action.participants))
                if len(named) < 2:
                    return (
                        "R-ST-2: a collective decision names who took part: at least two "
                        f"participants (given: {', '.join(named) or 'none'})"
                    )
        case "request_extension":
            assert isinstance(action, RequestExtension)
            if pending is not None:
                return "an extension request is already waiting for a decision"
            if stage_clock is None:
                return f"stage {state.stage.value} has no clock to extend"
            if action.new_due_at <= max(now, stage_clock.due_at):
                return (
                    f"the requested date {action.new_due_at.isoformat()} is not later than "
                    f"the current deadline {stage_clock.due_at.isoformat()}"
                )
        case "decide_extension":
            assert isinstance(action, DecideExtension)
            if pending is None:
                return "there is no extension request to decide"
            if pending.stage is not state.stage or stage_clock is None:
                return "the pending extension was for another stage"
            if action.approved:
                new_due = action.new_due_at or pending.requested_due_at
                days = action.regulatory_days or pending.regulatory_days
                refused = extension_refusal(state, policy, new_due, days, now)
                if refused is None and rules >= 2 and action.role is not Role.SENIOR_MANAGER:
                    refused = _further_30_days_refusal(state, new_due, days, action)
                return refused
        case "close_case":
            if isinstance(action, CloseCase) and action.root_cause is not None:
                # R-AN-8: a cause of the case's own taxonomy (its policy snapshot)
                return causes.refusal(action.root_cause, policy.causes)
        case "expedite":
            if stage_clock is None:
                return "this stage has no clock to expedite"
        case "reassign":
            assert isinstance(action, Reassign)
            if action.owner is None and action.department is None and action.supervisor is None:
                return "reassign needs a new owner, department or supervisor"
        case "escalate_crisis":
            if state.crisis:
                return "the case is already a crisis event"
        case "report_crisis":
            assert isinstance(action, ReportCrisis)
            if not state.crisis:
                return "the case is not a crisis event"
            if state.clock(f"crisis:{action.level}") is None:
                return f"the crisis report to {action.level} was already filed"
        case "pause_clock":
            if stage_clock is None or stage_clock.paused_at is not None:
                return "the stage clock is already paused"
            if rules >= 2 and paused:
                return "the regulatory clock is already paused"
        case "resume_clock":
            if rules >= 2:
                if not paused:
                    return "no clock is paused"
            elif stage_clock is None or stage_clock.paused_at is None:
                return "the stage clock is not paused"
        case "request_review":
            review_window = timedelta(days=policy.sla.review_window_days) / policy.sla.speed
            if state.decided_at is None:
                return "there is no decision to review yet"
            if now > state.decided_at + review_window:
                return (
                    f"R-IN-7: a review may be asked within {review_window.days} days of the "
                    f"decision of {state.decided_at.date().isoformat()}"
                )
    if name in intake_rules.ACTIONS:
        return intake_rules.refusal(state, name, action, now, rules)
    return None


def _moves_a_deadline(name: str, action: Action) -> bool:
    if name == "expedite":
        return True
    return name == "decide_extension" and isinstance(action, DecideExtension) and action.approved


def regulatory_days(state: ComplaintState) -> int:
    """The outer limit currently granted: 15 days, or 30/60 after approved extensions."""
    granted = [e.regulatory_days for e in state.extensions if e.approved and e.regulatory_days]
    return max(granted, default=15)


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


def extension_refusal(
    state: ComplaintState,
    policy: PolicySnapshot,
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
