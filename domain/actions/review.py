"""A review asked within the review window (R-IN-7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain import notices, versions
from domain.actions.base import Action, ActionDef
from domain.fields import Text
from domain.notice_models import CustomerTemplate
from domain.versions import Behaviour
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class RequestReview(Action):
    reason: Text


def _refusal(case: Complaint, action: RequestReview, now: datetime) -> str | None:
    s, policy = case.state, case.policy
    review_window = timedelta(days=policy.sla.review_window_days) / policy.sla.speed
    if s.decided_at is None:
        return "there is no decision to review yet"
    if now > s.decided_at + review_window:
        return (
            f"R-IN-7: a review may be asked within {review_window.days} days of the "
            f"decision of {s.decided_at.date().isoformat()}"
        )
    return None


def _reviewed(case: Complaint, action: RequestReview, now: datetime) -> None:
    """R-IN-7: a review is a new handling round of the same case; the customer is told it
    was accepted and by when the investigation ends."""
    s = case.state
    s.review_count += 1
    s.outcome = None
    s.closed_at = None
    case.enter(Stage.INVESTIGATE, action.actor, now)
    if versions.has(case.rules, Behaviour.REVIEW_TOLD):
        clock = s.clock(f"stage:{Stage.INVESTIGATE.value}")
        due = clock.due_at if clock else None
        told = case.outbox.words(
            CustomerTemplate.REVIEW_ACCEPTED, handling_by=notices.last_day(due) if due else None
        )
        case.outbox.tell_customer(
            notices.review_accepted(due), now, told, clock=clock.key if clock else None
        )


REQUEST_REVIEW = ActionDef(
    name="request_review",
    payload=RequestReview,
    description="The complainant asks for a review (核查).",
    stages=frozenset({Stage.CALLBACK, Stage.CLOSED}),
    effect=_reviewed,
    topic="handling",
    check=_refusal,
    offered=lambda s, actor, rules: s.decided_at is not None,
    example={"reason": "The customer disputes the amount paid."},
    label=("申请复核", "Request review"),
)

DEFINITIONS = (REQUEST_REVIEW,)
