"""Crisis handling (R-CR-1, R-CR-6..8, R-GR-2): a case declared a crisis event, its report
clocks and the words of its reports; who may read a case's resolution (R-CR-2).

Rules 3 brought crisis handling in full: three report clocks (the superior 1 h, headquarters'
crisis leading group 24 h and, as its own report, the regulator of the same level 24 h), each
report filed going out through the outbox and kept as a `CrisisRecord` saying whether it was
late; early signs of a group event with their 1-hour clock; a withdrawn case waiting for its
open crisis clocks to end met or breached (R-CR-8). The actions are in `domain.actions.crisis`,
`domain.actions.group_event` and `domain.actions.conduct`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from domain import contacts, grading, notices, outside_bodies, sla, versions
from domain.contacts import Unit
from domain.notice_models import NoticeKind, Recipient
from domain.sla import HandlingPolicy, StageLimit
from domain.state import Clock, ClockKind, ComplaintState
from domain.versions import Behaviour
from domain.vocabulary import Role

if TYPE_CHECKING:
    from domain.case import Complaint

NEW_LEVELS = frozenset({"regulator", "early_signs"})  # report_crisis levels of rules 3
# R-CR-2: the roles that decide a case's resolution (besides its own handler and supervisor).
DECIDING_ROLES = frozenset({Role.SUPERVISOR, Role.SENIOR_MANAGER})
# R-CR-1: headquarters' crisis leading group, when the report names no other recipient: cases
# of rules 1-4 only, which keep it. Rules 5 (R-CR-9): the directory's head office contacts.
LEGACY_HQ_CRISIS_GROUP = "hq.crisis-group"

Level = Literal["superior", "headquarters", "regulator", "early_signs"]
RECIPIENT_ROLE: dict[str, Recipient] = {
    "superior": "superior",
    "headquarters": "headquarters",
    "regulator": "regulator",
    "early_signs": "superior",
}


def declare(case: Complaint, reasons: list[str], actor: str, now: datetime) -> None:
    """R-CR-1, R-GR-2: a crisis is at least major and has its own report deadlines."""
    s, policy = case.state, case.policy
    s.crisis = True
    s.crisis_reasons = reasons
    s.grade = grading.at_least_major(s.grade)
    outside_bodies.decided(case, now)  # R-GR-4: a crisis put to the supervisor is declared
    for level in ("superior", "headquarters"):
        case.clocks.start(sla.crisis_clock(policy, level, now))
    if versions.has(case.rules, Behaviour.CRISIS_IN_FULL):
        _report_clocks_rules_3(case, now)
    case.timeline.write("clock", actor, f"crisis event: {'; '.join(reasons)}", now)
    words = notices.crisis_declared(
        s.complaint_id, s.branch, reasons, policy.sla.crisis_superior_hours
    )
    for person in who_reports_at_once(case):
        case.outbox.notify(
            NoticeKind.CRISIS_REPORT, "superior", person, ["phone", "sms"], words, now
        )


def who_reports_at_once(case: Complaint) -> list[str]:
    """Who is told to report within the hour: the case's supervisor (else its owner) and,
    rules 5 (R-CR-9), the designated contacts of the case's own unit."""
    s = case.state
    people = [s.supervisor or s.owner]
    if versions.has(case.rules, versions.Behaviour.REPORTS_CLIMB_THE_CHAIN):
        people += own_unit_contacts(case.policy.report_chain)
    return list(dict.fromkeys(people))


def recipient_refusal(level: str, to: str | None, chain: tuple[Unit, ...]) -> str | None:
    """R-CR-9 (rules 5): a report to the head office goes to the directory's head office
    contacts; with none in the case's report chain, the report names its recipient."""
    if level == "headquarters" and to is None and not contacts.head_office(chain):
        return (
            "R-CR-9: the contacts directory gave this case no head office contact: name the "
            "recipient (to), or an administrator enters the directory (PUT /v1/contacts/{unit})"
        )
    return None


def report_recipients(
    level: str, to: str | None, chain: tuple[Unit, ...], fallback: str
) -> list[tuple[Recipient, str]]:
    """R-CR-1, R-CR-9 (rules 5): who a crisis report reaches, as (role, recipient): the one it
    names (`to`), else the designated contacts of the levels it goes to in the case's report
    chain: the levels above the case's unit below the head office for the superior and the
    early signs (`contacts.above`), the head office for headquarters. With no chain, the
    superior's report goes to `fallback` (the case's supervisor, else its owner)."""
    role = RECIPIENT_ROLE[level]
    if to is not None:
        return [(role, to)]
    if level == "headquarters":
        units = [u for u in [contacts.head_office(chain)] if u is not None]
    else:
        units = contacts.above(chain)
    people = list(dict.fromkeys(c.user for u in units for c in u.contacts))  # once each
    return [(role, p) for p in people] or [(role, fallback)]


def own_unit_contacts(chain: tuple[Unit, ...]) -> list[str]:
    """R-CR-9: the designated contacts of the case's own unit (who must report within 1 h)."""
    return [c.user for c in chain[0].contacts] if chain else []


def _report_clocks_rules_3(case: Complaint, now: datetime) -> None:
    """R-CR-1, R-CR-7: headquarters' clock is the leading group's alone; the regulator's
    report has its own clock."""
    s = case.state
    hq = s.clock("crisis:headquarters")
    if hq is not None:
        hours = case.policy.sla.crisis_headquarters_hours
        label = f"crisis report to the headquarters crisis leading group within {hours:g} h"
        s.clocks = [c.model_copy(update={"label": label}) if c is hq else c for c in s.clocks]
    case.clocks.start(report_clock(case.policy, "regulator", now))


def reports_open(state: ComplaintState) -> bool:
    """R-CR-8: a crisis clock neither met nor breached yet."""
    return any(c.kind is ClockKind.CRISIS and c.breached_at is None for c in state.clocks)


def recorded(state: ComplaintState, kind: str) -> bool:
    """Whether the case recorded a crisis record of this kind (early signs, ...)."""
    return any(r.kind == kind for r in state.crisis_records)


def may_see_resolution(state: ComplaintState, actor: str, roles: frozenset[Role]) -> bool:
    """R-CR-2: the case's handler and supervisor, and the roles that decide; never auditors."""
    return actor in (state.owner, state.supervisor) or bool(roles & DECIDING_ROLES)


def report_words(
    complaint_id: str, branch: str, level: str, summary: str, attachments: list[str], late: bool
) -> notices.Words:
    whom = {
        "superior": "上级 / the superior",
        "headquarters": "总公司危机领导小组 / headquarters crisis leading group",
        "regulator": "同级监管部门 / the regulator of the same level",
        "early_signs": "上级 / the superior (群体性事件苗头 / early signs of a group event)",
    }[level]
    files = f"\nAttachments (evidence ids): {', '.join(attachments)}" if attachments else ""
    return (
        f"危机事件报告 / crisis report: complaint {complaint_id} to {whom}",
        f"Complaint {complaint_id} at {branch}.{' (filed late)' if late else ''}\n{summary}{files}",
    )


def early_signs_words(complaint_id: str, branch: str, detail: str, hours: float) -> notices.Words:
    return (
        "群体性事件苗头 / early signs of a group event",
        f"Complaint {complaint_id} at {branch}: {detail}. Report to the superior within "
        f"{hours:g} h; contact the local police as needed.",
    )


def report_clock(
    p: HandlingPolicy, level: Literal["regulator", "early_signs"], start: datetime
) -> Clock:
    """R-CR-7: the regulator's own 24-hour clock; R-CR-6: the early signs' 1-hour clock (each
    like R-CR-1's, at any hour)."""
    base = sla.crisis_clock(p, "headquarters" if level == "regulator" else "superior", start)
    hours = p.sla.crisis_headquarters_hours if level == "regulator" else p.sla.crisis_superior_hours
    label, rule = {
        "regulator": (
            f"crisis report to the regulator of the same level within {hours:g} h",
            "R-CR-7",
        ),
        "early_signs": (f"report of early signs of a group event within {hours:g} h", "R-CR-6"),
    }[level]
    return base.model_copy(
        update={
            "key": f"crisis:{level}",
            "label": label,
            "basis": f"{rule}: {hours:g} clock hours, reported at once at any hour",
        }
    )


# ---------------------------------------------------------------------------------------------
# Rules 5: the insurer on site (R-CR-10) and after the crisis (R-CR-11)

ON_SITE = "onsite:insurer"  # R-CR-10: the insurer's person called to the outlet
REVIEW = "review:crisis"  # R-CR-11: the review after the crisis


def on_site_clock(p: HandlingPolicy, start: datetime) -> Clock:
    """R-CR-10: `insurer_on_site_hours` clock hours (1 by default), at any hour: the customer
    is at the outlet now (S1: 第一时间联系保险公司责任人到达现场), and bank outlets open on days the
    insurer's office does not, so working time would let the clock stand while they wait."""
    hours = p.sla.insurer_on_site_hours
    due = (start + timedelta(hours=hours) / p.sla.speed).astimezone(ZoneInfo(p.calendar.zone))
    return Clock(
        key=ON_SITE,
        kind=ClockKind.ON_SITE,
        label=f"the insurer's responsible person on site within {hours:g} h",
        started_at=start,
        due_at=due,
        warn_at=start + (due - start) * p.sla.warn_fraction,
        basis=f"R-CR-10: {hours:g} clock hours from the call, reminded at once at any hour",
        working_hours_only=False,
    )


def review_clock(case: Complaint, start: datetime) -> Clock:
    """R-CR-11: `crisis_review_days` working days (10 by default) from the crisis' end."""
    return sla.deadline_clock(
        case.policy,
        REVIEW,
        ClockKind.REVIEW,
        "review after the crisis (R-CR-11)",
        start,
        StageLimit(days=case.policy.sla.crisis_review_days),
        rules=case.rules,
    )


def ended(case: Complaint, actor: str, now: datetime) -> None:
    """R-CR-11 (rules 5): a crisis case closed or withdrawn owes its review: a clock of working
    days, and the supervisor (else the owner) told by when. Once per case: a case reopened
    and closed again keeps the clock it has, or the review it recorded."""
    s = case.state
    if not (s.crisis and versions.has(case.rules, Behaviour.CRISIS_REVIEWED)):
        return
    if s.clock(REVIEW) is not None or recorded(s, "review"):
        return
    clock = review_clock(case, now)
    case.clocks.start(clock)
    case.timeline.write(
        "clock",
        actor,
        f"R-CR-11: the crisis ended; its review is due {clock.due_at.isoformat()} ({clock.basis})",
        now,
    )
    role: Recipient = "supervisor" if s.supervisor else "owner"
    case.outbox.notify(
        NoticeKind.ESCALATION,
        role,
        s.supervisor or s.owner,
        ["email"],
        (
            "危机事件事后总结 / review after the crisis",
            f"Complaint {s.complaint_id} at {s.branch}: the crisis ended. Record its review "
            "(causes, what was done, changes to the risk screening standard; "
            f"record_crisis_review) by {clock.due_at.isoformat()}.",
        ),
        now,
        clock=clock.key,
    )


def review_owed(case: Complaint) -> bool:
    """R-CR-11: the review after the crisis is neither recorded nor reminded yet: the case does
    not end before one or the other (its reminder is what tells the supervisor)."""
    clock = case.state.clock(REVIEW)
    return clock is not None and clock.reminders == 0


def crisis_group(case: Complaint) -> list[tuple[Recipient, str]]:
    """R-CR-11, R-CR-9: the crisis group an early warning goes to: the head office's designated
    contacts in the case's report chain; with none there, the case's supervisor (else owner),
    who passes it on."""
    s = case.state
    chain = case.policy.report_chain
    return report_recipients("headquarters", None, chain, s.supervisor or s.owner)


def media_warning_words(complaint_id: str, branch: str, media: str, detail: str) -> notices.Words:
    return (
        "舆情预警 / early warning: a media report",
        f"Complaint {complaint_id} at {branch}: {media} reported on it.\n{detail}",
    )


def media_contact_words(complaint_id: str, branch: str, note: str) -> notices.Words:
    return (
        "舆情预警 / early warning: the media in contact",
        f"Complaint {complaint_id} at {branch}: the media contacted us about it.\n{note}",
    )


def warn_crisis_group(case: Complaint, words: notices.Words, now: datetime) -> None:
    """R-CR-11: an early warning to the crisis group (media monitoring, 舆情监控)."""
    for role, person in crisis_group(case):
        case.outbox.notify(NoticeKind.EARLY_WARNING, role, person, ["email", "sms"], words, now)
