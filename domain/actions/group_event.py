"""Group events: early signs, the police, the event and its commander (R-CR-6)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from domain import crisis
from domain.actions.base import OPEN, Action, ActionDef
from domain.fields import Name, Text
from domain.notice_models import NoticeKind
from domain.state import CrisisRecord
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class RecordEarlySigns(Action):
    """R-CR-6: early signs of a group event: the outlet head reports within 1 hour."""

    detail: Text
    people_count: Annotated[int, Field(ge=1, le=100_000)] = 1


class RecordPoliceContact(Action):
    """R-CR-6: contact with the local police."""

    police: Name  # the station or officer
    detail: Text | None = None


class RecordGroupEvent(Action):
    """R-CR-6: a group event happened; the leading-group member commanding on site."""

    commander: Name
    people_count: Annotated[int, Field(ge=1, le=100_000)] = 5
    detail: Text | None = None


def _early_signs_refusal(case: Complaint, action: RecordEarlySigns, now: datetime) -> str | None:
    if case.state.clock("crisis:early_signs") is not None:
        return "R-CR-6: the early signs' report is already due; file it first"
    return None


def _early_signs(case: Complaint, action: RecordEarlySigns, now: datetime) -> None:
    s, policy = case.state, case.policy
    clock = crisis.report_clock(policy, "early_signs", now)
    case.clocks.start(clock)
    s.crisis_records.append(
        CrisisRecord(
            seq=case.timeline.last_seq,
            kind="early_signs",
            at=now,
            actor=action.actor,
            detail=action.detail,
            due_at=clock.due_at,
        )
    )
    words = crisis.early_signs_words(
        s.complaint_id, s.branch, action.detail, policy.sla.crisis_superior_hours
    )
    for person in crisis.who_reports_at_once(case):
        case.outbox.notify(
            NoticeKind.CRISIS_REPORT,
            "superior",
            person,
            ["phone", "sms"],
            words,
            now,
            clock=clock.key,
        )


def _police_refusal(case: Complaint, action: RecordPoliceContact, now: datetime) -> str | None:
    s = case.state
    if not (s.crisis or crisis.recorded(s, "early_signs")):
        return (
            "R-CR-6: a police contact is recorded for a crisis or early signs of a "
            "group event (record_early_signs or escalate_crisis first)"
        )
    return None


def _police(case: Complaint, action: RecordPoliceContact, now: datetime) -> None:
    case.state.crisis_records.append(
        CrisisRecord(
            seq=case.timeline.last_seq,
            kind="police_contact",
            at=now,
            actor=action.actor,
            person=action.police,
            detail=action.detail,
        )
    )


def _group_event_refusal(case: Complaint, action: RecordGroupEvent, now: datetime) -> str | None:
    return "R-CR-6: the group event is already recorded" if case.state.group_event else None


def _group_event(case: Complaint, action: RecordGroupEvent, now: datetime) -> None:
    s = case.state
    s.group_event = True
    s.crisis_records.append(
        CrisisRecord(
            seq=case.timeline.last_seq,
            kind="group_event",
            at=now,
            actor=action.actor,
            person=action.commander,
            detail=action.detail,
        )
    )
    if not s.crisis:  # R-GR-2: a group event is a crisis event
        crisis.declare(case, [f"group event of {action.people_count} people"], action.actor, now)
        case.clocks.replan_stage()


RECORD_EARLY_SIGNS = ActionDef(
    name="record_early_signs",
    payload=RecordEarlySigns,
    description='R-CR-6: early signs of a group event, 1 h to report: {"detail": ".."}.',
    stages=OPEN,
    effect=_early_signs,
    topic="crisis",
    check=_early_signs_refusal,
    since=3,
    offered=lambda s, actor, rules: s.clock("crisis:early_signs") is None,
    example={"detail": "Customers gather at the outlet.", "people_count": 4},
    label=("群体事件苗头", "Record early signs"),
)

RECORD_POLICE_CONTACT = ActionDef(
    name="record_police_contact",
    payload=RecordPoliceContact,
    description='R-CR-6: contact with the local police: {"police": "..."}.',
    stages=OPEN | {Stage.CLOSED, Stage.WITHDRAWN},
    effect=_police,
    topic="crisis",
    check=_police_refusal,
    since=3,
    offered=lambda s, actor, rules: s.crisis or crisis.recorded(s, "early_signs"),
    example={"police": "Pudong police station"},
    label=("记录联系警方", "Record police contact"),
)

RECORD_GROUP_EVENT = ActionDef(
    name="record_group_event",
    payload=RecordGroupEvent,
    description='R-CR-6: a group event; who commands on site: {"commander": "..."}.',
    stages=OPEN,
    effect=_group_event,
    topic="crisis",
    check=_group_event_refusal,
    since=3,
    offered=lambda s, actor, rules: not s.group_event,
    example={"commander": "wang.qiang", "people_count": 6},
    label=("记录群体事件", "Record group event"),
)

DEFINITIONS = (RECORD_EARLY_SIGNS, RECORD_POLICE_CONTACT, RECORD_GROUP_EVENT)
