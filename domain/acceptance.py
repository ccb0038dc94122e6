"""A new case accepted (R-IN-2..4, R-GR-1..3): graded, its facts from the intake taken, its
clocks started and the customer told the complaint was accepted and by when."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import crisis, grading, intake_rules, notices, sla, versions
from domain.notice_models import CustomerTemplate, NoticeKind
from domain.versions import Behaviour
from domain.vocabulary import Grade, HelpFlag, Stage

if TYPE_CHECKING:
    from domain.case import Complaint


def accept(case: Complaint, now: datetime) -> None:
    intake, policy, s = case.intake, case.policy, case.state
    grade, why = grading.grade_at_intake(intake, policy.sla)
    if versions.has(case.rules, Behaviour.SPECIAL_GRADE_AT_INTAKE):
        grade = _special_at_intake(case, grade, why)
    if (
        versions.has(case.rules, Behaviour.SENT_BY_OUTSIDE_BODY_GRADES)
        and HelpFlag.SENT_BY_REGULATOR_OR_MEDIA in intake.help_flags
        and policy.sla.regulator_media_major
        and grade is Grade.GENERAL
    ):
        why.append("R-GR-3: the customer was sent by the regulator or the media")
        grade = grading.at_least_major(grade)
    s.grade = grade
    s.calendar = policy.calendar.name
    received = min(intake.received_at, now)
    case.timeline.write(
        "intake",
        intake.owner,
        f"registered from {intake.channel.value} at {intake.branch}, owner {intake.owner}, "
        f"graded {grade.value}" + (f" ({'; '.join(why)})" if why else ""),
        now,
        at=received,
    )
    if versions.has(case.rules, Behaviour.BANK_CHANNEL_AND_INTAKE_RULES):
        _intake_facts(case, now)
    days = policy.sla.regulatory_days
    case.clocks.start(sla.regulatory_clock(policy, received, days, rules=case.rules))
    reasons = grading.crisis_reasons(intake.crisis)
    if reasons:
        crisis.declare(case, reasons, intake.owner, now)
    if versions.has(case.rules, Behaviour.CRISIS_IN_FULL) and intake.help_flags:
        s.help_flags = sorted(set(intake.help_flags))  # R-CR-5
    if versions.has(case.rules, Behaviour.DEPARTMENT_HEAD_DECIDES):
        s.department_head = intake.department_head  # R-ST-8
    case.enter(Stage.CONTACT, intake.owner, now, start=received)
    # R-IN-4: the customer is told the complaint was accepted and by when.
    regulatory = s.clock("regulatory")
    assert regulatory is not None
    words = notices.acknowledgement(s.complaint_id, regulatory.due_at, s.owner)
    told = case.outbox.words(
        CustomerTemplate.ACKNOWLEDGEMENT,
        handler=s.owner,
        decision_by=notices.last_day(regulatory.due_at),
    )
    case.outbox.notify(
        NoticeKind.ACKNOWLEDGEMENT,
        "customer",
        intake.customer.phone,
        ["sms"],
        words,
        now,
        clock="regulatory"
        if versions.has(case.rules, Behaviour.ONE_DATE_PER_CUSTOMER_NOTICE)
        else None,
        told=told,
    )


def _special_at_intake(case: Complaint, grade: Grade, why: list[str]) -> Grade:
    """R-GR-1 (rules 2): a special grade comes with the deadlines its superior sets; without
    them the case runs as major until `designate_special` gives them (rules 1 quietly used
    the major table under the special grade)."""
    deadlines = case.intake.special_deadlines
    if grade is not Grade.SPECIAL:
        if deadlines is not None:
            why.append(f"R-GR-1: special_deadlines ignored, the grade is {grade.value}")
        return grade
    if deadlines is None:
        why.append(
            "R-GR-1: the special grade needs the deadlines its superior sets; handled as "
            "major until designate_special gives them"
        )
        return Grade.MAJOR
    case.state.special_deadlines = deadlines
    why.append("R-GR-1: special, with the superior's deadlines given at intake")
    return grade


def _intake_facts(case: Complaint, now: datetime) -> None:
    """Rules 3. R-IN-3: the first receiver is kept; R-IN-1, R-IN-8: the bank outlet and the
    amount involved; R-IN-6: a repeat of a case closed within its review window links to it
    and counts its complaints (R-AN-5: 3 or more times)."""
    i, s = case.intake, case.state
    s.first_receiver = i.owner
    s.bank_outlet = i.bank_outlet
    s.amount_involved = i.amount_involved
    if i.channel in intake_rules.BANK_CHANNELS and i.bank_outlet is None:
        case.timeline.write(
            "intake",
            i.owner,
            "R-IN-1: a bank_outlet complaint names the bank and the outlet; none given",
            now,
        )
    earlier = i.repeat_of
    if earlier is None:
        return
    s.repeat_of = earlier.complaint_id
    s.repeat_count = earlier.times_before
    s.repeat_channels.append(earlier.channel)
    s.multi_channel = earlier.channel is not s.channel
    s.escalated = grading.is_escalation(earlier.channel, s.channel)
    case.timeline.write(
        "intake",
        i.owner,
        f"R-IN-6: repeat of closed case {earlier.complaint_id} (complained "
        f"{earlier.times_before + 1} times in all"
        + (", escalated" if s.escalated else "")
        + (", through several channels" if s.multi_channel else "")
        + ")",
        now,
    )
