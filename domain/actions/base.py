"""What an action of the case is: one `ActionDef` holds its payload, the roles that may take
it, the stages it applies in, its gate, its effect on the case and the words the Web UI shows
beside its signal.

The definitions live in the module of what they are about (`domain/actions/contact.py`, ...);
`domain.actions.ACTIONS` collects them, and everything else is derived from it: the payload
models (`ACTION_MODELS`), the workflow's signals, the contract's action list, the docs' table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from domain import versions
from domain.fields import Input, Key, Name, Note
from domain.state import ComplaintState
from domain.versions import Behaviour
from domain.vocabulary import Role, Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class Action(Input):
    """What every action's payload carries besides its own fields: who sends it (rules 2: the
    sealed identity decides), a note, and the request id that makes a repeat a no-op."""

    actor: Name
    role: Role = Role.HANDLER
    note: Note | None = None
    request_id: Key | None = None


P = TypeVar("P", bound=Action)

# The shape of every gate: the reason the case refuses the action now, or None.
Gate = Callable[["Complaint", P, datetime], str | None]
# What the action does to the case (the gate let it through; its timeline entry is written).
Effect = Callable[["Complaint", P, datetime], None]
# Whether a form offers the action on a case in this state, to this actor, under these rules:
# the gate's questions a payload cannot change (the desk asks it; the case's gate decides).
Offer = Callable[[ComplaintState, str | None, int], bool]

OPEN = frozenset({Stage.CONTACT, Stage.INVESTIGATE, Stage.APPROVE, Stage.CLOSE, Stage.CALLBACK})
"""The stages of an open case (R-ST-1): the ones most actions apply in."""


class Who(Enum):
    """Who may take an action (`role_refusal` says it in words)."""

    HANDLING = "handling"  # every role that handles a case
    # Approving a resolution or an extension, grading special and ordering same-day handling
    # are a leader's decisions (R-SLA-5, R-SLA-6, R-GR-1, R-ST-2): a supervisor's, or (rules 2)
    # the superior office's or a head-office senior manager's.
    LEADER = "leader"
    ADMIN = "admin"  # R-SLA-10: the administrator, who takes no part in a case's handling


LEADERS = frozenset({Role.SUPERVISOR, Role.SENIOR_MANAGER})


def leads(role: Role, rules: int) -> bool:
    """Whether `role` may take a supervisor's action in a case under these rules."""
    return (
        role in LEADERS
        if versions.has(rules, Behaviour.SENIOR_MANAGER_ROLE)
        else role is Role.SUPERVISOR
    )


# One question of a gate, asked of an action's definition (`ActionDef.asks`).
Question = Callable[["ActionDef[Any]", "Complaint", Any, datetime], str | None]


def by_role(d: ActionDef[Any], case: Complaint, action: Action, now: datetime) -> str | None:
    """Who acts (`ActionDef.role_refusal`)."""
    return d.role_refusal(action.role, action.actor, rules=case.rules)


def by_rules(d: ActionDef[Any], case: Complaint, action: Action, now: datetime) -> str | None:
    """A case of rules older than the action's refuses it."""
    if case.rules < d.since:
        return f"{d.name} came with rules {d.since}; this case runs under rules {case.rules}"
    return None


def by_stage(d: ActionDef[Any], case: Complaint, action: Action, now: datetime) -> str | None:
    return d.stages_refusal(case.state.stage)


def by_own_rule(d: ActionDef[Any], case: Complaint, action: Action, now: datetime) -> str | None:
    return None if d.check is None else d.check(case, action, now)


# What a gate asks, in order. Most actions: who, the rules version, the stage, its own rule.
STANDARD: tuple[Question, ...] = (by_role, by_rules, by_stage, by_own_rule)
# The bank channel's and the intake rules' actions (rules 3) asked the stage before the rules
# version; kept, so that a refusal reads as it always did.
STAGE_FIRST: tuple[Question, ...] = (by_role, by_stage, by_rules, by_own_rule)
# An action whose own rule asks the rest itself (report_crisis: by rules version).
OWN_GATE: tuple[Question, ...] = (by_role, by_own_rule)


@dataclass(frozen=True)
class ActionDef(Generic[P]):
    """One action of the case, whole."""

    name: str
    payload: type[P]
    # What the Web UI's "Send a Signal" lists beside it; None: no signal, an update only.
    description: str | None
    stages: frozenset[Stage]
    effect: Effect[P]  # what it does to the case once the gate let it through
    # What it is about, as the API groups the actions (its tag in /openapi.json and /docs).
    topic: Literal[
        "handling", "deadlines", "crisis", "hand-offs and the bank channel", "conduct and care"
    ]
    check: Gate[P] | None = None  # its own rule, asked after who, which rules and where
    who: Who = Who.HANDLING
    since: int = 1  # the rules version that brought it: a case of older rules refuses it
    asks: tuple[Question, ...] = STANDARD
    # R-CR-2 (rules 3): payload fields kept out of the timeline's text, which every role reads.
    hidden: frozenset[str] = frozenset()
    offered: Offer | None = None  # None: whenever who and the stage allow it
    form: bool = True  # a person's form at the desk (not the intake's or a whole branch's)
    # A body as a caller sends it (no actor, no role): the API's example in /openapi.json and
    # /docs (tests/unit/test_action_routes.py checks it is valid for the payload).
    example: Mapping[str, Any] = field(default_factory=dict)
    label: tuple[str, str] | None = None  # the desk's name for it: Chinese, English

    def offered_on(self, state: ComplaintState, actor: str | None, rules: int) -> bool:
        """Whether the case's stage and state let a form offer it (not who asks: `role_refusal`)."""
        return state.stage in self.stages and (
            self.offered is None or self.offered(state, actor, rules)
        )

    def refuse(self, case: Complaint, action: P, now: datetime) -> str | None:
        """The gate: the reason the case refuses the action now, or None to take it."""
        for question in self.asks:
            reason = question(self, case, action, now)
            if reason is not None:
                return reason
        return None

    def stages_refusal(self, stage: Stage) -> str | None:
        if stage in self.stages:
            return None
        allowed = ", ".join(sorted(s.value for s in self.stages))
        return f"{self.name} does not fit stage {stage.value} (allowed in: {allowed})"

    def role_refusal(self, role: Role, actor: str, *, rules: int) -> str | None:
        """The part of the gate that looks only at who acts (and, for the administrator's
        action, the version that brought it): the reason `role` may not take it, or None. The
        docs' table asks it too (tools/action_table.py)."""
        name = self.name
        if self.who is Who.ADMIN:
            if rules < self.since:
                return (
                    f"{name}: this case runs under rules before {self.since} and keeps its calendar"
                )
            if role not in (Role.ADMIN, Role.SYSTEM):
                return f"{name} needs the admin role (actor {actor} has {role.value})"
        elif role is Role.ADMIN:
            return "administrators change policy and announce closures, not a case's handling"
        if role is Role.AUDITOR:
            return "auditors may read a case but not act on it"
        if role is Role.REVIEW_GROUP:
            return "the review group decides the accountability cycle, not a case's handling"
        if role is Role.SENIOR_MANAGER and not versions.has(rules, Behaviour.SENIOR_MANAGER_ROLE):
            # The role came with rules 2: a rules-1 case refuses it, as it refused the unknown
            # role before, so that its history replays the same.
            return (
                "this case runs under rules 1, which know no senior_manager role: "
                "act with the supervisor role"
            )
        if self.who is Who.LEADER and not leads(role, rules):
            senior = versions.has(rules, Behaviour.SENIOR_MANAGER_ROLE)
            needed = "supervisor or senior_manager" if senior else "supervisor"
            return f"{name} needs the {needed} role (actor {actor} has {role.value})"
        return None


AnyActionDef = ActionDef[Any]
