"""Which actions a case accepts now, whoever asks: the one decision the desk's forms and the
Web UI's details panel share.

`open_now(state)` keeps what the case's own gate would not refuse for reasons a payload cannot
change: the stage (the gate's stages table, `domain.lifecycle.ALLOWED_STAGES`) and the state
(a decision needs a pending request, a resume a paused clock, ...). `who_may(name)` is the
gate's role part: the people's roles that may take the action at all. The desk narrows the list
to one person's role (`api/desk/available.py`); the workflow's details panel lists it with who
may take each (`workflows/visibility.py`). What depends on the payload (a date, a collective
decision's participants) is the case's to refuse when it is sent.

Pure: no I/O, no clock, so a workflow may call it on every change.
"""

from __future__ import annotations

from domain import lifecycle
from domain.case import RULES
from domain.intake_rules import BANK_CHANNELS
from domain.models import ACTION_MODELS, ComplaintState, HelpFlag, Role

# Actions that are not taken on one case by a person: a repeat is merged by the intake
# (POST /v1/complaints), a closure is announced for a whole branch
# (POST /v1/branches/{branch}/closures).
NOT_PER_CASE = frozenset({"record_repeat", "announce_closure"})
# The roles people act on a case in, lowest first (the system's role is the services').
PEOPLE = (Role.HANDLER, Role.SUPERVISOR, Role.SENIOR_MANAGER)


def who_may(name: str, *, rules: int = RULES) -> tuple[Role, ...]:
    """The people's roles that may take `name` on a case under `rules` (the gate's role part)."""
    return tuple(r for r in PEOPLE if lifecycle.role_refusal(name, r, "", rules=rules) is None)


def open_now(state: ComplaintState, *, actor: str | None = None, rules: int = RULES) -> list[str]:
    """The actions, in the contract's order, that `state` accepts now from someone (as far as
    the payload does not decide it); `actor`: the one person asking (an acknowledgement is
    theirs once), None: anyone."""
    return [
        name
        for name in ACTION_MODELS
        if name not in NOT_PER_CASE
        and state.stage in lifecycle.ALLOWED_STAGES[name]
        and state_allows(state, name, actor=actor, rules=rules)
    ]


def state_allows(
    s: ComplaintState, name: str, *, actor: str | None = None, rules: int = RULES
) -> bool:
    """The gate's checks that look only at the case (domain/lifecycle.py, domain/crisis.py,
    domain/intake_rules.py), not at the payload nor at who sends it."""
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
