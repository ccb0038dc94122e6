"""R-GR-4 (rules 5): the regulator or the media coming in on an open case.

S1 counts a complaint the government, a regulator or the news media came into as a crisis
event. When one of them comes in later (a repeat or a transfer through the channel of the
regulator, at any level, or of the media; or a contact of the regulator, a government body or
the media recorded on the case, `record_outside_contact`; or the customer flagged as sent by the
regulator or the media, `flag_customer`, rules 5 `sent_by_outside_body_grades`), the case
becomes at least major at once, its running stage clock re-planned as any grade change
re-plans it (R-SLA-4), and a crisis is put to the supervisor: a staff notice and a clock of
`crisis_decision_hours` working hours (policy, 1 by default) to declare it (`escalate_crisis`)
or record why not (`decline_crisis`). The notice asks for the department head too when none
is named (R-ST-8).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import grading, sla, versions
from domain.notice_models import NoticeKind, Recipient
from domain.sla import StageLimit
from domain.state import Clock, ClockKind
from domain.versions import Behaviour
from domain.vocabulary import Channel, Grade

if TYPE_CHECKING:
    from domain.case import Complaint

DECISION = "decision:crisis"  # the clock of the crisis put to the supervisor


def came_in(case: Complaint, channel: Channel | None, how: str, actor: str, now: datetime) -> None:
    """An outside body came in on the case through `channel` (by `how`: a repeat, a transfer)."""
    if channel in grading.REGULATOR_OR_MEDIA:
        came_in_as(case, channel.value, how, actor, now)


def came_in_as(case: Complaint, body: str, how: str, actor: str, now: datetime) -> None:
    """An outside body (`body`: a regulator's channel, `media`, or `government`) came in on the
    case by `how` (a repeat, a transfer, a recorded contact)."""
    if not versions.has(case.rules, Behaviour.LATER_OUTSIDE_BODY_REGRADES):
        return
    s = case.state
    noted(case, body)
    if s.grade is Grade.GENERAL:
        s.grade = grading.at_least_major(s.grade)
        case.clocks.replan_stage()
        case.timeline.write(
            "clock", actor, f"R-GR-4: the {body} came in ({how}): graded major", now
        )
    if s.crisis or s.clock(DECISION) is not None:
        return  # already a crisis, or one is already put to the supervisor
    clock = decision_clock(case, now)
    case.clocks.start(clock)
    case.timeline.write(
        "clock",
        actor,
        f"R-GR-4: crisis put to the supervisor, due {clock.due_at.isoformat()} ({clock.basis})",
        now,
    )
    role: Recipient = "supervisor" if s.supervisor else "owner"
    case.outbox.notify(
        NoticeKind.ESCALATION,
        role,
        s.supervisor or s.owner,
        ["phone", "sms", "email"],
        (
            "危机事件待认定 / a crisis to declare",
            f"Complaint {s.complaint_id} at {s.branch}: the {body} came in ({how}). "
            "Declare it a crisis event (escalate_crisis) or record why not (decline_crisis) "
            f"by {clock.due_at.isoformat()}." + _name_the_head(case),
        ),
        now,
        clock=clock.key,
    )


def noted(case: Complaint, body: str) -> None:
    """The body is among those that came in on the case (once)."""
    if body not in case.state.outside_bodies:
        case.state.outside_bodies.append(body)


def _name_the_head(case: Complaint) -> str:
    """R-ST-8: a case now major needs its department head for its collective decision."""
    if case.state.department_head is not None or not versions.has(
        case.rules, Behaviour.DEPARTMENT_HEAD_DECIDES
    ):
        return ""
    return (
        " The case is major now: name its department head (name_department_head), who takes "
        "part in its collective decision (R-ST-8)."
    )


def decision_clock(case: Complaint, now: datetime) -> Clock:
    """R-GR-4: working hours to declare the crisis or say why not (a stage clock's alarms)."""
    hours = case.policy.sla.crisis_decision_hours
    clock = sla.deadline_clock(
        case.policy,
        DECISION,
        ClockKind.DECISION,
        "crisis declared or declined (R-GR-4)",
        now,
        StageLimit(hours=hours),
        rules=case.rules,
    )
    return clock


def decided(case: Complaint, now: datetime) -> None:
    """The crisis put to the supervisor was declared or declined: its clock is met."""
    case.clocks.finish(DECISION, now)
