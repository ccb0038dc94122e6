"""Hand-overs with their own clocks: a transfer (转办, R-IN-5), and any hand-over reported
back (R-IN-5, R-CR-3, R-CR-4)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from domain import intake_rules, notices, outside_bodies, versions
from domain.actions.base import OPEN, STAGE_FIRST, Action, ActionDef
from domain.actions.reassignment import team_of, tell_new_handler
from domain.fields import Name, SingleLine, Text
from domain.intake import recusal
from domain.notice_models import CustomerTemplate, NoticeKind
from domain.state import Clock, ComplaintState, Handoff
from domain.versions import Behaviour
from domain.vocabulary import Channel, Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class TransferCase(Action):
    """R-IN-5: 转办, the case sent to the responsible department or branch with what it must do
    and by when (working time: `days` or `hours`), as its own step with its own clock."""

    department: Name
    branch: Name | None = None
    owner: Name | None = None  # who takes the case there; the first receiver still tracks it
    requirements: Text
    days: Annotated[int, Field(ge=1, le=30)] | None = None
    hours: Annotated[float, Field(gt=0, le=80)] | None = None
    # R-GR-4 (rules 5): the channel the transfer came through, when an outside body sent it.
    via: Channel | None = None

    @model_validator(mode="after")
    def _one_deadline(self) -> TransferCase:
        if (self.days is None) == (self.hours is None):
            raise ValueError("a transfer has one deadline: days or hours (working time)")
        return self


class CompleteTransfer(Action):
    """R-IN-5, R-CR-3, R-CR-4: the department, the insurer or the accommodation reported back."""

    transfer: Annotated[SingleLine, Field(min_length=1, max_length=64)]  # e.g. "transfer-1"
    outcome: Text
    # R-CU-4: the insurer's handling opinion as the customer is told it, when it differs from
    # the outcome reported back (an insurer's hand-over or referral; else `outcome` is told).
    opinion: Text | None = None


def start_handoff(
    case: Complaint,
    kind: str,
    to: str,
    requirements: str | None,
    actor: str,
    now: datetime,
    *,
    days: int | None = None,
    hours: float | None = None,
) -> Clock:
    """A hand-over to `to` with its own clock (`handoff:<key>`), on the timeline."""
    s = case.state
    key = intake_rules.next_key(s, kind)
    clock = intake_rules.handoff_clock(
        case.policy,
        f"handoff:{key}",
        f"{kind} to {to}",
        now,
        days=days,
        hours=hours,
        rules=case.rules,
    )
    case.clocks.start(clock)
    s.handoffs.append(intake_rules.handoff(key, kind, to, requirements, actor, clock))
    case.timeline.write(
        "clock", actor, f"{key} to {to}, due {clock.due_at.isoformat()} ({clock.basis})", now
    )
    return clock


def _open_transfer(s: ComplaintState) -> Handoff | None:
    return next((h for h in s.handoffs if h.kind == "transfer" and h.completed_at is None), None)


def _transfer_refusal(case: Complaint, action: TransferCase, now: datetime) -> str | None:
    open_transfer = _open_transfer(case.state)
    if open_transfer is not None:
        return (
            f"R-IN-5: transfer {open_transfer.key} to {open_transfer.to} is still open; "
            "complete it first"
        )
    if versions.has(case.rules, Behaviour.INSURER_OWNS):
        outlet = intake_rules.owner_refusal(case.state, action.owner)  # R-CR-12
        if outlet is not None:
            return outlet
    if versions.has(case.rules, Behaviour.RECUSAL):
        return recusal(case.intake.staff_complained_about, action.owner, "owner")
    return None


def _transferred(case: Complaint, action: TransferCase, now: datetime) -> None:
    """R-IN-5: 转办 with requirements and a deadline, its own clock; the case and its
    clocks go with it (R-ST-6) and the first receiver still tracks it (R-IN-3)."""
    s = case.state
    to = action.department + (f" ({action.branch})" if action.branch else "")
    clock = start_handoff(
        case,
        "transfer",
        to,
        action.requirements,
        action.actor,
        now,
        days=action.days,
        hours=action.hours,
    )
    s.department = action.department
    s.owner = action.owner or s.owner
    words = intake_rules.transferred(s.complaint_id, to, action.requirements, clock.due_at)
    case.outbox.notify(
        NoticeKind.ESCALATION, "owner", s.owner, ["email"], words, now, clock=clock.key
    )
    if action.owner is not None and versions.has(case.rules, Behaviour.HANDLER_CHANGE_TOLD):
        # R-CU-2: a new owner is a new handler for the customer; the department alone is not
        tell_new_handler(case, team_of(action.department, action.branch or s.branch), now)
    outside_bodies.came_in(case, action.via, "a transfer", action.actor, now)


def _complete_refusal(case: Complaint, action: CompleteTransfer, now: datetime) -> str | None:
    handoffs = case.state.handoffs
    found = next((h for h in handoffs if h.key == action.transfer), None)
    if found is None:
        known = ", ".join(h.key for h in handoffs) or "none"
        return f"no transfer {action.transfer!r} on this case (known: {known})"
    if found.completed_at is not None:
        return f"transfer {action.transfer} was already completed"
    return None


def _completed(case: Complaint, action: CompleteTransfer, now: datetime) -> None:
    s = case.state
    s.handoffs = [
        h.model_copy(
            update={"completed_by": action.actor, "completed_at": now, "outcome": action.outcome}
        )
        if h.key == action.transfer
        else h
        for h in s.handoffs
    ]
    case.clocks.finish(f"handoff:{action.transfer}", now)
    done = next(h for h in s.handoffs if h.key == action.transfer)
    if done.kind in INSURER_KINDS and versions.has(case.rules, Behaviour.INSURER_OPINION_TOLD):
        tell_insurer_opinion(case, done.to, action.opinion or action.outcome, now)


# R-CU-4: the hand-overs to the insurer whose completion the customer hears of: the outlet's
# (R-CR-4) and the referral for accommodation (R-CR-3); a transfer (转办) is internal.
INSURER_KINDS = frozenset({"outlet", "referral"})


def tell_insurer_opinion(case: Complaint, insurer: str, opinion: str, now: datetime) -> None:
    """R-CU-4: the customer is told the insurer's handling opinion."""
    words = notices.insurer_opinion(case.state.complaint_id, insurer, opinion)
    told = case.outbox.words(CustomerTemplate.INSURER_OPINION, insurer=insurer, opinion=opinion)
    case.outbox.tell_customer(words, now, told)


TRANSFER = ActionDef(
    name="transfer",
    payload=TransferCase,
    description=(
        '转办 (R-IN-5): {"department": "...", "requirements": "...", "days": 2} (or "hours").'
    ),
    stages=OPEN,
    effect=_transferred,
    topic="hand-offs and the bank channel",
    check=_transfer_refusal,
    since=3,
    asks=STAGE_FIRST,
    offered=lambda s, actor, rules: _open_transfer(s) is None,
    example={
        "department": "Claims",
        "requirements": "Check the second invoice and report back.",
        "days": 2,
    },
    label=("转办", "Transfer"),
)

COMPLETE_TRANSFER = ActionDef(
    name="complete_transfer",
    payload=CompleteTransfer,
    description=(
        'A transfer reported back: {"transfer": "transfer-1", "outcome": "..."}; the '
        'insurer\'s (R-CU-4, rules 5): the customer is told its opinion ("opinion", else '
        "the outcome)."
    ),
    stages=OPEN | {Stage.CLOSED},
    effect=_completed,
    topic="hand-offs and the bank channel",
    check=_complete_refusal,
    since=3,
    asks=STAGE_FIRST,
    offered=lambda s, actor, rules: any(h.completed_at is None for h in s.handoffs),
    example={"transfer": "transfer-1", "outcome": "The invoice is genuine."},
    label=("转办反馈", "Complete transfer"),
)

DEFINITIONS = (TRANSFER, COMPLETE_TRANSFER)
