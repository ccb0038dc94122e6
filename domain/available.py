"""Which actions a case accepts now, whoever asks: the one decision the desk's forms and the
Web UI's details panel share, from each action's definition (`domain.actions`).

`open_now(state)` keeps what the case's own gate would not refuse for reasons a payload cannot
change: the stage and the state (`ActionDef.offered_on`: a decision needs a pending request, a
resume a paused clock, ...). `who_may(name)` is the gate's role part (`ActionDef.role_refusal`):
the people's roles that may take the action at all. The desk narrows the list to one person's
role (`api/desk/available.py`); the workflow's details panel lists it with who may take each
(`workflows/visibility.py`). What depends on the payload (a date, a collective decision's
participants) is the case's to refuse when it is sent.

Pure: no I/O, no clock, so a workflow may call it on every change.
"""

from __future__ import annotations

from domain.actions import ACTIONS
from domain.case import RULES
from domain.state import ComplaintState
from domain.vocabulary import Role

# The roles people act on a case in, lowest first (the system's role is the services').
PEOPLE = (Role.HANDLER, Role.SUPERVISOR, Role.SENIOR_MANAGER)


def who_may(name: str, *, rules: int = RULES) -> tuple[Role, ...]:
    """The people's roles that may take `name` on a case under `rules` (the gate's role part)."""
    action = ACTIONS[name]
    return tuple(r for r in PEOPLE if action.role_refusal(r, "", rules=rules) is None)


def open_now(state: ComplaintState, *, actor: str | None = None, rules: int = RULES) -> list[str]:
    """The actions, in the contract's order, that `state` accepts now from someone (as far as
    the payload does not decide it), taken on one case by a person (not the intake's repeat
    nor a whole branch's closure); `actor`: the one person asking (an acknowledgement is theirs
    once), None: anyone."""
    return [
        name
        for name, action in ACTIONS.items()
        if action.form and action.offered_on(state, actor, rules)
    ]
