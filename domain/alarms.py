"""What a clock's alarm does (R-SLA-4, R-SLA-9, R-SLA-7, R-CR-1): warn the owner before the
deadline, record the breach, remind the owner while overdue and tell the supervisor on the
first reminder. The clock book fires them (`domain.clocks.ClockBook.fire_due`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import notices, sla, versions
from domain.actions import customer_response
from domain.notice_models import NoticeKind
from domain.state import Breach, Clock, ClockKind
from domain.versions import Behaviour

if TYPE_CHECKING:
    from domain.case import Complaint


def ring(case: Complaint, clock: Clock, kind: sla.AlarmKind, due: datetime, now: datetime) -> Clock:
    """The clock after its alarm. Follow-up times count from when the alarm was due, not from
    when the timer ran."""
    s, p, rules = case.state, case.policy, case.rules
    cid, owner = s.complaint_id, s.owner
    if clock.kind is ClockKind.CUSTOMER:
        # R-CU-3: the customer's time to answer lapses; nobody breached anything.
        return customer_response.lapsed(case, clock, now)
    if kind == "warn":
        case.timeline.write(
            "warning", "system", f"{clock.label} is due at {clock.due_at.isoformat()}", now
        )
        case.outbox.notify(
            NoticeKind.WARNING,
            "owner",
            owner,
            ["im", "email"],
            notices.warning(cid, clock),
            now,
            clock=clock.key,
        )
        return clock.model_copy(update={"warned_at": now})
    if kind == "breach":
        s.breaches.append(
            Breach(clock=clock.key, label=clock.label, due_at=clock.due_at, recorded_at=now)
        )
        detail = f"{clock.label} passed its deadline {clock.due_at.isoformat()}"
        case.timeline.write("breach", "system", detail, now)
        return clock.model_copy(
            update={"breached_at": now, "next_reminder_at": sla.first_reminder(p, clock, due)}
        )
    # A reminder: the owner by phone/SMS/email every time, the supervisor on the first.
    first = clock.reminders == 0
    case.timeline.write(
        "reminder", "system", f"overdue reminder #{clock.reminders + 1}: {clock.label}", now
    )
    if clock.kind is ClockKind.CRISIS:
        case.outbox.notify(
            NoticeKind.CRISIS_REPORT,
            "superior",
            s.supervisor or owner,
            ["phone", "sms"],
            notices.crisis_overdue(cid, clock),
            now,
            clock=clock.key,
        )
    if clock.kind is ClockKind.ON_SITE:
        # R-CR-10 (rules 5): the insurer's person is not on site yet: chased like a crisis
        # report, at once and at any hour, by phone and SMS.
        case.outbox.notify(
            NoticeKind.CRISIS_REPORT,
            "superior",
            s.supervisor or owner,
            ["phone", "sms"],
            notices.insurer_not_on_site(cid, clock),
            now,
            clock=clock.key,
        )
    case.outbox.notify(
        NoticeKind.REMINDER,
        "owner",
        owner,
        ["phone", "sms", "email"],
        notices.reminder(cid, clock),
        now,
        clock=clock.key,
    )
    if first and s.supervisor:
        case.outbox.notify(
            NoticeKind.ESCALATION,
            "supervisor",
            s.supervisor,
            ["email", "sms"],
            notices.escalation(cid, owner, clock),
            now,
            clock=clock.key,
        )
    chased = clock.kind is ClockKind.HANDOFF or (
        clock.kind is ClockKind.STAGE and versions.has(rules, Behaviour.FIRST_RECEIVER_CHASES)
    )
    if first and chased and s.first_receiver not in (None, owner):
        # R-IN-3 (rules 3 only: hand-overs came with it): the first receiver tracks the case
        # wherever it was handed and hears when a hand-over is overdue; R-ST-9 (rules 5): and
        # when any of its stages is, also after the case was reassigned (催办).
        assert s.first_receiver is not None
        case.outbox.notify(
            NoticeKind.ESCALATION,
            "first_receiver",
            s.first_receiver,
            ["email"],
            notices.escalation(cid, owner, clock),
            now,
            clock=clock.key,
        )
    following = sla.next_reminder(p, clock, due, rules=rules)
    if following <= now:  # a clock re-planned into the past: no burst of catch-up reminders
        following = sla.next_reminder(p, clock, now, rules=rules)
    return clock.model_copy(
        update={"reminders": clock.reminders + 1, "next_reminder_at": following}
    )
