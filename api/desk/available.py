"""Which actions the desk offers a person on a case now: THE one place that decides it.

`available_actions(state, roles, actor=...)` keeps what the case's own gate would not refuse for
reasons the form cannot change, as each action's definition says it (`domain.actions`): the
acting role (`ActionDef.role_refusal`, with the role the API acts in: the key's highest,
`api.cases.ACTING_ROLES`), the stage and the state a form cannot change (`domain.available.
open_now`, shared with the Web UI's details panel: a decision needs a pending request, a resume
a paused clock, ...). What depends on the payload
(a date, a collective decision's participants) is the case's to refuse when it is sent; the
desk shows that refusal beside the form.
"""

from __future__ import annotations

from collections.abc import Iterable

from api.cases import ACTING_ROLES
from domain import available
from domain.actions import ACTIONS
from domain.case import RULES
from domain.state import ComplaintState
from domain.vocabulary import Role


def acting_role(roles: Iterable[Role]) -> Role | None:
    """The role a person acts in (as `api.cases.act` decides it): the highest acting role they
    hold; None: they hold none (an auditor, the review group)."""
    held = set(roles)
    return next((r for r in ACTING_ROLES if r in held), None)


def role_may(name: str, roles: Iterable[Role], *, rules: int = RULES) -> bool:
    """Whether these roles may take `name` at all, whatever the case (the gate's role part)."""
    role = acting_role(roles)
    action = ACTIONS.get(name)
    if role is None or action is None or not action.form:
        return False
    return action.role_refusal(role, "", rules=rules) is None


def available_actions(
    state: ComplaintState, roles: Iterable[Role], *, actor: str | None = None, rules: int = RULES
) -> list[str]:
    """The actions, in the contract's order, that `state` accepts now from a person with
    `roles` (as far as the form's content does not decide it)."""
    roles = frozenset(roles)
    return [
        name
        for name in available.open_now(state, actor=actor, rules=rules)
        if role_may(name, roles, rules=rules)
    ]
