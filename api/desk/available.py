"""Which actions the desk offers a person on a case now: THE one place that decides it.

`available_actions(state, roles, actor=...)` keeps what the case's own gate would not refuse for
reasons the form cannot change: the stage (the gate's stages table, `domain.lifecycle.
ALLOWED_STAGES`), the acting role (`domain.lifecycle.role_refusal`, with the role the API acts
in: the key's highest, `api.cases.ACTING_ROLES`) and the state a form cannot change (a decision
needs a pending request, a resume a paused clock, ...). What depends on the payload (a date,
a collective decision's participants) is the case's to refuse when it is sent; the desk shows
that refusal beside the form. When actions become one definition each, this function asks
those definitions instead, and nothing else in the desk changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from api.cases import ACTING_ROLES
from domain import lifecycle
from domain.case import RULES
from domain.intake_rules import BANK_CHANNELS
from domain.models import ACTION_MODELS, ComplaintState, HelpFlag, Role

# Actions that are not a desk form: a repeat is merged by the intake (POST /v1/complaints),
# a closure is announced for a whole branch (POST /v1/branches/{branch}/closures).
NOT_ON_THE_DESK = frozenset({"record_repeat", "announce_closure"})


def acting_role(roles: Iterable[Role]) -> Role | None:
    """The role a person acts in (as `api.cases.act` decides it): the highest acting role they
    hold; None: they hold none (an auditor, the review group)."""
    held = set(roles)
    return next((r for r in ACTING_ROLES if r in held), None)


def role_may(name: str, roles: Iterable[Role], *, rules: int = RULES) -> bool:
    """Whether these roles may take `name` at all, whatever the case (the gate's role part)."""
    role = acting_role(roles)
    if role is None or name not in ACTION_MODELS or name in NOT_ON_THE_DESK:
        return False
    return lifecycle.role_refusal(name, role, "", rules=rules) is None


def available_actions(
    state: ComplaintState, roles: Iterable[Role], *, actor: str | None = None, rules: int = RULES
) -> list[str]:
    """The actions, in the contract's order, that `state` accepts now from a person with
    `roles` (as far as the form's content does not decide it)."""
    roles = frozenset(roles)
    return [
        name
        for name in ACTION_MODELS
        if role_may(name, roles, rules=rules)
        and state.stage in lifecycle.ALLOWED_STAGES[name]
        and _state_allows(state, name, roles, actor, rules)
    ]


def _state_allows(
    s: ComplaintState, name: str, roles: frozenset[Role], actor: str | None, rules: int
) -> bool:
    """The gate's checks that look only at the case (domain/lifecycle.py, domain/crisis.py,
    domain/intake_rules.py), not at the payload."""
    stage_clock = s.clock(f"stage:{s.stage.value}")
    paused = any(c.paused_at is not None for c in s.clocks)
    pending = lifecycle.pending_extension(s, rules)
    match name:
        case "request_extension":
            return pending is None and stage_clock is not None and not paused
        case "decide_extension":
            return pending is not None and pending.stage is s.stage
        case "expedite":
            return stage_clock is not None and not paused
        case "pause_clock":
            return stage_clock is not None and not paused
        case "resume_clock":
            return paused
        case "escalate_crisis":
            return not s.crisis
        case "report_crisis":
            return any(c.key.startswith("crisis:") for c in s.clocks)
        case "request_review":
            return s.decided_at is not None
        case "complete_transfer":
            return any(h.completed_at is None for h in s.handoffs)
        case "transfer":
            return not any(h.kind == "transfer" and h.completed_at is None for h in s.handoffs)
        case "transfer_to_insurer":
            return s.channel in BANK_CHANNELS and not any(h.kind == "outlet" for h in s.handoffs)
        case "classify_policy":
            return s.channel in BANK_CHANNELS
        case "acknowledge_script":
            return actor is None or actor not in s.script_acknowledged_by
        case "flag_customer":
            return not set(HelpFlag) <= set(s.help_flags)
        case "record_early_signs":
            return s.clock("crisis:early_signs") is None
        case "record_police_contact":
            return s.crisis or any(r.kind == "early_signs" for r in s.crisis_records)
        case "record_group_event":
            return not s.group_event
        case "record_conduct":
            return True  # its crisis kinds need a leader: the case refuses them in words
    return True
