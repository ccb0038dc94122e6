"""The investigation and its findings (R-ST-1), a hard case reported in writing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from domain import contacts, notices, versions
from domain.actions.base import Action, ActionDef
from domain.fields import Name, Text
from domain.notice_models import NoticeKind, Recipient
from domain.versions import Behaviour
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class SubmitInvestigation(Action):
    findings: Text
    proposed_resolution: Text
    difficulty: Literal["coverage", "loss_assessment"] | None = None
    # R-ST-1 (rules 5): the department concerned that the written report of the difficulty
    # also goes to (a user id or address of that department), besides head office.
    report_to: Name | None = None


def _refusal(case: Complaint, action: SubmitInvestigation, now: datetime) -> str | None:
    """R-ST-1 (rules 5): the written report of a hard case's difficult points goes to head office
    or the department concerned: a case whose contacts directory gives no head office names
    the department (`report_to`). `report_to` goes with a difficulty, and with rules 5 only."""
    if action.report_to is None and action.difficulty is None:
        return None
    if not versions.has(case.rules, Behaviour.DIFFICULTY_REPORTED_UP):
        if action.report_to is not None:
            return f"report_to came with rules 5; this case runs under rules {case.rules}"
        return None
    if action.difficulty is None:
        return "R-ST-1: report_to names where a difficulty is reported: give the difficulty too"
    if action.report_to is None and contacts.head_office(case.policy.report_chain) is None:
        return (
            "R-ST-1: the difficult points are reported in writing to head office or the "
            "department concerned, and the contacts directory gave this case no head office "
            "contact: name the department (report_to), or an administrator enters the "
            "directory (PUT /v1/contacts/{unit})"
        )
    return None


def _submitted(case: Complaint, action: SubmitInvestigation, now: datetime) -> None:
    case.state.proposed_resolution = action.proposed_resolution
    if versions.has(case.rules, Behaviour.DIFFICULTY_REPORTED) and action.difficulty is not None:
        _report_difficulty(case, action, now)
    case.enter(Stage.APPROVE, action.actor, now)


def _report_difficulty(case: Complaint, action: SubmitInvestigation, now: datetime) -> None:
    """R-ST-1 (rules 2): a technically hard case's difficult points (a coverage or a
    loss-assessment question) go in writing to the level above: the case's supervisor.
    Rules 5 (amended, S2 art.5 向总公司或相关部门通报): to head office's designated contacts
    (the case's report chain, R-CR-9) and the department the submission names, as well."""
    assert action.difficulty is not None
    s = case.state
    recipients = _recipients(case, action)
    if not recipients:
        case.timeline.write(
            "notice",
            "system",
            f"R-ST-1: the {action.difficulty} difficulty could not be reported in writing: the "
            "case has no supervisor (reassign one)",
            now,
        )
        return
    words = notices.difficulty_report(
        s.complaint_id, action.actor, action.difficulty, action.findings, action.proposed_resolution
    )
    for role, person in recipients:
        case.outbox.notify(NoticeKind.DIFFICULTY_REPORT, role, person, ["email"], words, now)


def _recipients(case: Complaint, action: SubmitInvestigation) -> list[tuple[Recipient, str]]:
    """Who the written report reaches, each person once: the supervisor; under rules 5 also
    head office's designated contacts and the department concerned (`report_to`)."""
    s = case.state
    found: list[tuple[Recipient, str]] = []
    if s.supervisor is not None:
        found.append(("supervisor", s.supervisor))
    if versions.has(case.rules, Behaviour.DIFFICULTY_REPORTED_UP):
        head_office = contacts.head_office(case.policy.report_chain)
        if head_office is not None:
            found += [("headquarters", c.user) for c in head_office.contacts]
        if action.report_to is not None:
            found.append(("department", action.report_to))
    once: dict[str, Recipient] = {}
    for role, person in found:
        once.setdefault(person, role)
    return [(role, person) for person, role in once.items()]


SUBMIT_INVESTIGATION = ActionDef(
    name="submit_investigation",
    payload=SubmitInvestigation,
    description=(
        'Findings and proposed resolution go to approval; {"difficulty": "coverage"} reports it '
        '(rules 5: to head office, and to {"report_to": "..."}).'
    ),
    stages=frozenset({Stage.INVESTIGATE}),
    effect=_submitted,
    topic="handling",
    check=_refusal,
    hidden=frozenset({"proposed_resolution"}),
    example={
        "findings": "Garage invoice verified against the policy schedule.",
        "proposed_resolution": "Pay 8,200 yuan.",
    },
    label=("提交调查结果", "Submit investigation"),
)

DEFINITIONS = (SUBMIT_INVESTIGATION,)
