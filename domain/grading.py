"""Grading at intake (R-GR-1..3) and the crisis criteria (R-GR-2)."""

from __future__ import annotations

from domain.intake import ComplaintIntake, CrisisFacts
from domain.sla import SlaPolicy
from domain.vocabulary import Channel, Grade

CRISIS_GROUP_SIZE = 5
# R-GR-3, R-IN-1: every level of the regulator, and the old value that named no level.
REGULATOR_OR_MEDIA = frozenset(
    {Channel.REGULATOR, Channel.REGULATOR_PROVINCIAL, Channel.REGULATOR_NATIONAL, Channel.MEDIA}
)


def crisis_reasons(facts: CrisisFacts | None) -> list[str]:
    """R-GR-2: which crisis criteria the facts meet (empty: not a crisis)."""
    if facts is None:
        return []
    reasons = []
    if facts.people_count >= CRISIS_GROUP_SIZE:
        reasons.append(f"group event of {facts.people_count} people")
    for flag, text in (
        (facts.government, "government involved"),
        (facts.regulator, "regulator involved"),
        (facts.media, "news media involved"),
        (facts.outlet_disrupted, "outlet's normal operation disrupted"),
        (facts.major_loss_risk, "possible major property or reputation loss"),
        (facts.major_social_impact, "possible major social impact"),
    ):
        if flag:
            reasons.append(text)
    return reasons


def at_least_major(grade: Grade) -> Grade:
    """A crisis is handled at least as major; special keeps its superior-set deadlines."""
    return Grade.MAJOR if grade is Grade.GENERAL else grade


def grade_at_intake(intake: ComplaintIntake, policy: SlaPolicy) -> tuple[Grade, list[str]]:
    """The grade a complaint starts with and why it was raised, if it was."""
    grade = intake.grade
    why: list[str] = []
    if policy.regulator_media_major and intake.channel in REGULATOR_OR_MEDIA:
        if grade is Grade.GENERAL:
            why.append(f"R-GR-3: arrived from the {intake.channel.value}")
        grade = at_least_major(grade)
    reasons = crisis_reasons(intake.crisis)
    if reasons:
        if grade is Grade.GENERAL:
            why.append("R-GR-2: crisis event")
        grade = at_least_major(grade)
    return grade, why


HIGHER_CHANNELS = frozenset(
    {Channel.HEADQUARTERS, Channel.ASSOCIATION, Channel.REGULATOR, Channel.MEDIA}
    | {Channel.REGULATOR_PROVINCIAL, Channel.REGULATOR_NATIONAL}  # R-IN-1: the levels (rules 3)
)


def is_escalation(first: Channel, repeat: Channel) -> bool:
    """R-IN-6: a repeat to a higher level or an outside body goes over the handler's head."""
    return repeat in HIGHER_CHANNELS and repeat is not first
