"""The clock paused for outside appraisal, and resumed (R-SLA-8)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain import notices, versions
from domain.actions import customer_response
from domain.actions.base import OPEN, Action, ActionDef
from domain.notice_models import CustomerTemplate
from domain.state import ComplaintState
from domain.versions import Behaviour

if TYPE_CHECKING:
    from domain.case import Complaint


class PauseClock(Action):
    reason: Literal["appraisal", "testing", "loss_assessment"]


class ResumeClock(Action):
    """R-SLA-8: the paused clock runs again, its deadline moved by the time it stood still."""


def deadline_move_refusal(case: Complaint, name: str) -> str | None:
    """Rules 2: no deadline is set while a clock is paused (the paused time would move it)."""
    if (
        versions.has(case.rules, Behaviour.NO_DEADLINE_MOVED_WHILE_PAUSED)
        and case.clocks.any_paused()
    ):
        return (
            f"R-SLA-8: the clock is paused; resume it before {name} sets a new deadline "
            "(the paused time would move it)"
        )
    return None


def _pause_refusal(case: Complaint, action: PauseClock, now: datetime) -> str | None:
    stage_clock = case.clocks.stage()
    if stage_clock is None and customer_response.awaiting(case.state) is not None:
        return (
            "R-CU-3: the case waits for the customer's response; the close stage's clock has "
            "not started"
        )
    if stage_clock is None or stage_clock.paused_at is not None:
        return "the stage clock is already paused"
    if versions.has(case.rules, Behaviour.ANY_PAUSED_CLOCK_COUNTS) and case.clocks.any_paused():
        return "the regulatory clock is already paused"
    return None


def _paused(case: Complaint, action: PauseClock, now: datetime) -> None:
    """R-SLA-8: outside appraisal, testing or loss assessment does not count."""
    case.clocks.pause(now)
    case.outbox.tell_customer(notices.paused(), now, case.outbox.words(CustomerTemplate.PAUSED))


def _resume_refusal(case: Complaint, action: ResumeClock, now: datetime) -> str | None:
    if versions.has(case.rules, Behaviour.ANY_PAUSED_CLOCK_COUNTS):
        return None if case.clocks.any_paused() else "no clock is paused"
    stage_clock = case.clocks.stage()
    if stage_clock is None or stage_clock.paused_at is None:
        return "the stage clock is not paused"
    return None


def _resumed(case: Complaint, action: ResumeClock, now: datetime) -> None:
    case.resume_clocks(now)


def running_unpaused(s: ComplaintState) -> bool:
    """The stage has a clock and no clock is paused."""
    stage_clock = s.clock(f"stage:{s.stage.value}")
    return stage_clock is not None and not any(c.paused_at is not None for c in s.clocks)


def _may_resume(s: ComplaintState, actor: str | None, rules: int) -> bool:
    return any(c.paused_at is not None for c in s.clocks)


PAUSE_CLOCK = ActionDef(
    name="pause_clock",
    payload=PauseClock,
    description='Pause for {"reason": "appraisal"|"testing"|"loss_assessment"}.',
    stages=OPEN,
    effect=_paused,
    topic="deadlines",
    check=_pause_refusal,
    offered=lambda s, actor, rules: (
        running_unpaused(s) and customer_response.awaiting(s) is None  # R-CU-3
    ),
    example={"reason": "appraisal"},
    label=("暂停计时", "Pause clock"),
)

RESUME_CLOCK = ActionDef(
    name="resume_clock",
    payload=ResumeClock,
    description="Restart the paused clocks.",
    stages=OPEN,
    effect=_resumed,
    topic="deadlines",
    check=_resume_refusal,
    offered=_may_resume,
    example={"note": "The appraisal came back."},
    label=("恢复计时", "Resume clock"),
)

DEFINITIONS = (PAUSE_CLOCK, RESUME_CLOCK)
