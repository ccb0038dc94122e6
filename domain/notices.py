"""What people are told, in words: the subject and body of every notice a case sends.

Pure text. Who receives a notice, through which channels and when is the case's business
(`domain.case`); this module only words it. Dates told to a customer name the last day of the
limit (R-IN-4): a limit that ends at midnight ends on the day before, never the day after.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.state import Clock

_JUST_BEFORE = timedelta(microseconds=1)


def last_day(due_at: datetime) -> date:
    """The last day of a limit that ends at `due_at`, in the zone `due_at` carries.

    A period that ends at midnight (the regulatory limit, R-SLA-7) ends on the day before that
    midnight; one that ends at 18:00 ends that day.
    """
    return (due_at - _JUST_BEFORE).date()


Words = tuple[str, str]  # (subject, body)


def acknowledgement(complaint_id: str, regulatory_due: datetime, owner: str) -> Words:
    """R-IN-4: accepted, and by when the decision reaches the customer."""
    return (
        "投诉已受理 / complaint accepted",
        f"Your complaint {complaint_id} was accepted; a decision will reach you by "
        f"{last_day(regulatory_due):%Y-%m-%d}. Your handler is {owner}.",
    )


def warning(complaint_id: str, clock: Clock) -> Words:
    return (
        f"Deadline approaching: {clock.label}",
        f"Complaint {complaint_id}: due at {clock.due_at.isoformat()}.",
    )


def crisis_overdue(complaint_id: str, clock: Clock) -> Words:
    return (
        f"Crisis report overdue: {clock.label}",
        f"Complaint {complaint_id}: {clock.label} was due at {clock.due_at.isoformat()}.",
    )


def insurer_not_on_site(complaint_id: str, clock: Clock) -> Words:
    """R-CR-10: the insurer's responsible person called to the outlet has not arrived."""
    return (
        f"保险公司责任人未到现场 / the insurer is not on site: {clock.label}",
        f"Complaint {complaint_id}: the insurer's responsible person was due on site at "
        f"{clock.due_at.isoformat()} and their arrival is not recorded (insurer_on_site).",
    )


def reminder(complaint_id: str, clock: Clock) -> Words:
    return (
        f"Overdue: {clock.label}",
        f"Complaint {complaint_id}: {clock.label} was due at "
        f"{clock.due_at.isoformat()} (催办 #{clock.reminders + 1}).",
    )


def escalation(complaint_id: str, owner: str, clock: Clock) -> Words:
    return (
        f"Overdue in your team: {clock.label}",
        f"Complaint {complaint_id} (owner {owner}) passed {clock.label} "
        f"at {clock.due_at.isoformat()}.",
    )


def extension_requested(
    complaint_id: str, actor: str, stage: str, new_due: datetime, reason: str
) -> Words:
    return (
        "Extension requested",
        f"Complaint {complaint_id}: {actor} asks to extend {stage} to {new_due.isoformat()}: "
        f"{reason}",
    )


def cancellation_requested(complaint_id: str, stage: str, reason: str | None) -> Words:
    """Rules 5: someone asked Temporal to cancel the case's workflow (the Web UI or CLI, which
    say nobody's verified name); the case keeps running and its supervisor should know."""
    given = f' The reason given: "{reason}".' if reason else " No reason was given."
    return (
        f"Cancellation of complaint {complaint_id} requested and refused",
        f"Complaint {complaint_id} (stage {stage}): someone asked Temporal to cancel its "
        f"workflow (the Web UI or the CLI; no verified identity comes with such a request)."
        f"{given} The case keeps running: it ends only when closed or withdrawn. If nobody "
        "meant to end it, find out who has access to the Temporal Web UI and the CLI.",
    )


DIFFICULTIES = {"coverage": "coverage question", "loss_assessment": "loss-assessment question"}


def difficulty_report(
    complaint_id: str, actor: str, difficulty: str, findings: str, proposed_resolution: str
) -> Words:
    """R-ST-1 (S2 art.5): the difficult points of a technically hard case, reported in writing
    to the level above."""
    what = DIFFICULTIES.get(difficulty, difficulty)
    return (
        f"Difficult points reported: {what} (complaint {complaint_id})",
        f"Complaint {complaint_id}: {actor} reports a {what} in writing (R-ST-1, S2 art.5).\n"
        f"Findings: {findings}\n"
        f"Proposed resolution: {proposed_resolution}",
    )


def handling_extended(new_due: datetime) -> Words:
    """R-SLA-6: the complainant is told the new expected date."""
    return (
        "Handling time extended / 处理期限延长",
        f"The expected handling date of your complaint is now {last_day(new_due):%Y-%m-%d}.",
    )


def regulatory_extended(regulatory_due: datetime) -> Words:
    """R-SLA-7: each extension of the outer limit is told to the complainant."""
    return (
        "Decision date extended / 处理时限延长",
        f"Under the regulation, the decision will reach you by "
        f"{last_day(regulatory_due):%Y-%m-%d}.",
    )


def handling_extended_legacy(new_due: datetime, regulatory_due: datetime | None) -> Words:
    """Rules 1 (cases started before the case redesign): one notice for both dates."""
    text = f"The expected handling date of your complaint is now {new_due:%Y-%m-%d %H:%M}."
    if regulatory_due is not None:
        text += " " + regulatory_extended(regulatory_due)[1]
    return "Handling time extended / 处理期限延长", text


def calendar_known(years: str, regulatory_due: datetime) -> Words:
    """R-SLA-11: the official holidays of a year the first date was counted without."""
    return (
        "Decision date / 处理时限",
        f"The official holiday arrangement for {years} is now known: the decision will reach "
        f"you by {last_day(regulatory_due):%Y-%m-%d}.",
    )


def answer_date_known(years: str, answer_due: datetime) -> Words:
    """R-SLA-11 with R-CU-3: the customer's last day to answer, counted again."""
    return (
        "Your answer's last day / 答复期限调整",
        f"The official holiday arrangement for {years} is now known: you may answer until "
        f"{last_day(answer_due):%Y-%m-%d}.",
    )


def paused() -> Words:
    return (
        "Handling paused / 处理暂停",
        "Time for outside appraisal, testing or loss assessment does not count toward "
        "the handling deadline; we will tell you when handling resumes.",
    )


def review_accepted(investigation_due: datetime | None) -> Words:
    """R-IN-7: the case's own record of the review's confirmation (the customer's words are
    the template's)."""
    text = "Your request for a review has been accepted; we will look into it again."
    if investigation_due is not None:
        text += f" The result will reach you by {last_day(investigation_due):%Y-%m-%d}."
    return "Review accepted / 核查申请已受理", text


def resumed(regulatory_due: datetime | None) -> Words:
    """R-SLA-8: the pause notice promised this one."""
    text = "Handling of your complaint has resumed."
    if regulatory_due is not None:
        text += f" The decision will reach you by {last_day(regulatory_due):%Y-%m-%d}."
    return "Handling resumed / 恢复处理", text


def crisis_declared(
    complaint_id: str, branch: str, reasons: list[str], superior_hours: float
) -> Words:
    return (
        "危机事件 / crisis event",
        f"Complaint {complaint_id} at {branch} is a crisis event: {'; '.join(reasons)}. "
        f"Report to the superior within {superior_hours:g} h.",
    )


ORPHAN_REASONS = {
    "terminated": "its workflow was terminated from outside the case",
    "reset": "its workflow was reset to an earlier point from outside the case",
    "timed_out": "its workflow timed out",
    "failed": "its workflow failed",
    "canceled": "its workflow was cancelled",
    "completed": "its workflow completed while the ledger still shows it open",
    "not_found": "Temporal has no workflow for it",
}


def case_orphaned(complaint_id: str, stage: str, status: str, workflow_id: str) -> Words:
    """To the branch supervisor: a case open in the ledger that its workflow no longer runs;
    its clocks, reminders and notices have stopped (docs/operations.md: Reconciliation)."""
    reason = ORPHAN_REASONS.get(status, status)
    return (
        f"Case no longer running: {complaint_id}",
        f"Complaint {complaint_id} is open in the ledger (stage {stage}), but {reason} "
        f"({workflow_id}). Its deadlines, reminders and notices have stopped: take it over by "
        "hand and ask operations to restore it.",
    )


def hot_spot_overdue(
    hot_spot_id: int,
    period: str,
    branch: str,
    dimension: str,
    key: str,
    count: int,
    due_on: date,
    reminders: int,
) -> Words:
    """R-AN-8: to a hot spot's rectification owner, each day it is overdue."""
    what = f"the cause {key}" if dimension == "cause" else f"the product {key}"
    return (
        f"热点投诉整改逾期 / hot spot rectification overdue: #{hot_spot_id} {branch}",
        f"Hot spot #{hot_spot_id}: {what} at {branch} rose to {count} complaints in {period}. "
        f"Its rectification (溯源整改) was due on {due_on.isoformat()} and is not recorded yet "
        f"(reminder {reminders}). Record it: POST /v1/hot-spots/{hot_spot_id}/rectification.",
    )


def last_whole_day(end: datetime, zone: str) -> date:
    """The last whole local day before a window that ends at `end` (R-IN-7's review window
    ends at the decision's time of day): the customer is told a day they can use in full."""
    return end.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)


ROUTES_OUTSIDE = (
    "mediation, arbitration under the contract, the courts, or the insurance regulator "
    "(consumer hotline 12378)"
)


def decision(
    complaint_id: str, outcome: str, reasons: str | None, amount: Decimal | None, review_by: date
) -> Words:
    """R-CU-1: the decision told, with the review and the routes outside the company (the
    case's own record; the customer's words are the template's)."""
    text = f"Your complaint {complaint_id} has been decided. Outcome: {outcome}"
    if reasons:
        text += f" Main reasons: {reasons}"
    if amount is not None:
        text += f" Amount: {amount} yuan."
    text += (
        f" A review may be asked up to and including {review_by:%Y-%m-%d}; beyond the company: "
        f"{ROUTES_OUTSIDE}."
    )
    return "投诉处理结果 / decision on your complaint", text


def withdrawal_confirmed(complaint_id: str) -> Words:
    """R-CU-1: a withdrawn complaint is confirmed to the customer."""
    return (
        "投诉撤回确认 / complaint withdrawn",
        f"You withdrew your complaint {complaint_id}; handling has stopped.",
    )


def insurer_opinion(complaint_id: str, insurer: str, opinion: str) -> Words:
    """R-CU-4: the insurer's handling opinion fed back to the customer once the hand-over or
    the referral to it completed."""
    return (
        "保险公司处理意见 / the insurer's opinion",
        f"On your complaint {complaint_id}, {insurer} gives this handling opinion: {opinion}",
    )


def handler_changed(complaint_id: str, handler: str, team: str) -> Words:
    """R-CU-2: the case passed to another handler: who, their team and how to reach them;
    never why (the reason is internal)."""
    return (
        "处理人员变更 / your complaint has a new handler",
        f"Your complaint {complaint_id} is now handled by {handler} of {team}. To reach them, "
        "reply to this message or call the customer service hotline with the complaint number.",
    )


def resolution_proposed(complaint_id: str, resolution: str | None, answer_by: date) -> Words:
    """R-CU-3: the approved resolution put to the customer, with the last day to answer (the
    case's own record; the customer's words are the template's)."""
    text = f"The resolution proposed for your complaint {complaint_id} was approved"
    text += f": {resolution}." if resolution else "."
    text += (
        f" Tell us by {answer_by:%Y-%m-%d} whether you accept it, or your objections; "
        "without an answer by then it is carried out."
    )
    return "处理方案征求意见 / your view on the proposed resolution", text
