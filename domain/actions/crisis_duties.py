"""Crisis duties of rules 5: the insurer called on site (R-CR-10), a media report and the
review after the crisis (R-CR-11). The clocks and the words: `domain.crisis`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import crisis, intake_rules, outside_bodies
from domain.actions.base import OPEN, Action, ActionDef, Who
from domain.fields import Name, Text
from domain.state import CrisisRecord
from domain.vocabulary import Channel, Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class CallInsurerOnSite(Action):
    """R-CR-10: soothing at the bank outlet failed; the insurer's responsible person is called
    to come on site (who called, when: the sender and the instant it is recorded)."""

    person: Name  # the insurer's responsible person called
    insurer: Name | None = None
    soothing: Text  # what soothing was tried at the outlet, and why it failed


class InsurerOnSite(Action):
    """R-CR-10: the insurer's responsible person arrived at the outlet."""

    person: Name | None = None  # who arrived (left out: the person called)
    detail: Text | None = None


class RecordMediaReport(Action):
    """R-CR-11: a media report on the case (舆情监控): it warns the crisis group early."""

    media: Name  # the newspaper, station, website or account
    detail: Text  # what was reported, where and when


class RecordCrisisReview(Action):
    """R-CR-11: the review after the crisis (S1 事后控制 1)."""

    causes: Text  # why the complaint or the crisis event arose
    what_was_done: Text  # how it was handled, and the lessons drawn
    screening_changes: Text  # the changes to the risk screening standard (风险排查标准)


def _call_refusal(case: Complaint, action: CallInsurerOnSite, now: datetime) -> str | None:
    s = case.state
    if s.channel not in intake_rules.BANK_CHANNELS:
        return (
            "R-CR-10: the insurer is called on site when soothing at a bank outlet fails; this "
            f"complaint came through {s.channel.value}"
        )
    open_call = s.clock(crisis.ON_SITE)
    if open_call is not None:
        return (
            f"R-CR-10: the call of {open_call.started_at.isoformat()} is open: record the "
            "arrival first (insurer_on_site)"
        )
    return None


def _called(case: Complaint, action: CallInsurerOnSite, now: datetime) -> None:
    s = case.state
    clock = crisis.on_site_clock(case.policy, now)
    case.clocks.start(clock)
    called = action.person + (f" ({action.insurer})" if action.insurer else "")
    s.crisis_records.append(
        CrisisRecord(
            seq=case.timeline.last_seq,
            kind="insurer_called",
            at=now,
            actor=action.actor,
            person=called,
            detail=action.soothing,
            due_at=clock.due_at,
        )
    )
    case.timeline.write(
        "clock",
        action.actor,
        f"R-CR-10: {called} called on site by {action.actor}, due {clock.due_at.isoformat()} "
        f"({clock.basis})",
        now,
    )


def _arrival_refusal(case: Complaint, action: InsurerOnSite, now: datetime) -> str | None:
    if case.state.clock(crisis.ON_SITE) is None:
        return "R-CR-10: no call for the insurer on site is open (call_insurer_on_site)"
    return None


def _arrived(case: Complaint, action: InsurerOnSite, now: datetime) -> None:
    s = case.state
    clock = s.clock(crisis.ON_SITE)
    assert clock is not None  # the gate refused otherwise
    call = next(r for r in reversed(s.crisis_records) if r.kind == "insurer_called")
    case.clocks.finish(crisis.ON_SITE, now)
    s.crisis_records.append(
        CrisisRecord(
            seq=case.timeline.last_seq,
            kind="insurer_on_site",
            at=now,
            actor=action.actor,
            person=action.person or call.person,
            detail=action.detail,
            due_at=clock.due_at,
            late=now > clock.due_at,
        )
    )


def _media_reported(case: Complaint, action: RecordMediaReport, now: datetime) -> None:
    """The report on record, the crisis group warned; on an open case the media came in
    (R-GR-4: at least major, a crisis put to the supervisor)."""
    s = case.state
    s.crisis_records.append(
        CrisisRecord(
            seq=case.timeline.last_seq,
            kind="media_report",
            at=now,
            actor=action.actor,
            person=action.media,
            detail=action.detail,
        )
    )
    words = crisis.media_warning_words(s.complaint_id, s.branch, action.media, action.detail)
    crisis.warn_crisis_group(case, words, now)
    outside_bodies.noted(case, Channel.MEDIA.value)  # R-AC-4: a media complaint, open or not
    if s.stage in OPEN:
        outside_bodies.came_in(case, Channel.MEDIA, "a media report", action.actor, now)


def _review_refusal(case: Complaint, action: RecordCrisisReview, now: datetime) -> str | None:
    s = case.state
    if s.clock(crisis.REVIEW) is not None:
        return None
    if crisis.recorded(s, "review"):
        return "R-CR-11: the review after this crisis is already recorded"
    return "R-CR-11: a review is recorded after a crisis ends (the crisis case closed or withdrawn)"


def _reviewed(case: Complaint, action: RecordCrisisReview, now: datetime) -> None:
    s = case.state
    clock = s.clock(crisis.REVIEW)
    assert clock is not None  # the gate refused otherwise
    case.clocks.finish(crisis.REVIEW, now)
    s.crisis_records.append(
        CrisisRecord(
            seq=case.timeline.last_seq,
            kind="review",
            at=now,
            actor=action.actor,
            detail=(
                f"causes: {action.causes}\nwhat was done: {action.what_was_done}\n"
                f"risk screening standard: {action.screening_changes}"
            ),
            due_at=clock.due_at,
            late=now > clock.due_at,
        )
    )


CALL_INSURER_ON_SITE = ActionDef(
    name="call_insurer_on_site",
    payload=CallInsurerOnSite,
    description=(
        "R-CR-10: soothing at the bank outlet failed; the insurer's responsible person is "
        'called on site, 1 h: {"person": "...", "soothing": "..."}.'
    ),
    stages=OPEN,
    effect=_called,
    topic="crisis",
    check=_call_refusal,
    since=5,
    offered=lambda s, actor, rules: (
        s.channel in intake_rules.BANK_CHANNELS and s.clock(crisis.ON_SITE) is None
    ),
    example={
        "person": "chen.jie",
        "insurer": "Pacific Life Shanghai",
        "soothing": "Explained the surrender value twice with the standard script; the "
        "customer refuses to leave the counter.",
    },
    label=("通知保险公司到场", "Call insurer on site"),
)

INSURER_ON_SITE = ActionDef(
    name="insurer_on_site",
    payload=InsurerOnSite,
    description="R-CR-10: the insurer's responsible person arrived on site.",
    stages=OPEN | {Stage.CLOSED},
    effect=_arrived,
    topic="crisis",
    check=_arrival_refusal,
    since=5,
    offered=lambda s, actor, rules: s.clock(crisis.ON_SITE) is not None,
    example={"detail": "Took the customer to the meeting room."},
    label=("保险公司到场", "Insurer on site"),
)

RECORD_MEDIA_REPORT = ActionDef(
    name="record_media_report",
    payload=RecordMediaReport,
    description=(
        'R-CR-11: a media report on the case warns the crisis group: {"media": "...", '
        '"detail": "..."}.'
    ),
    stages=OPEN | {Stage.CLOSED, Stage.WITHDRAWN},
    effect=_media_reported,
    topic="crisis",
    since=5,
    example={
        "media": "Xinmin Evening News",
        "detail": "A reader's letter about the unpaid claim, page 7, 2026-12-07.",
    },
    label=("记录媒体报道", "Record media report"),
)

RECORD_CRISIS_REVIEW = ActionDef(
    name="record_crisis_review",
    payload=RecordCrisisReview,
    description=(
        'R-CR-11: the review after the crisis: {"causes": "...", "what_was_done": "...", '
        '"screening_changes": "..."}.'
    ),
    stages=OPEN | {Stage.CLOSED, Stage.WITHDRAWN},
    effect=_reviewed,
    topic="crisis",
    check=_review_refusal,
    who=Who.LEADER,
    since=5,
    offered=lambda s, actor, rules: s.clock(crisis.REVIEW) is not None,
    example={
        "causes": "Surrender values were explained at the sale from an old leaflet.",
        "what_was_done": "The insurer came on site in 40 minutes; the policies were reviewed.",
        "screening_changes": "Outlets selling this product are screened monthly.",
    },
    label=("危机事件事后总结", "Record crisis review"),
)

DEFINITIONS = (CALL_INSURER_ON_SITE, INSURER_ON_SITE, RECORD_MEDIA_REPORT, RECORD_CRISIS_REVIEW)
