"""Closing: the decision reaches the complainant (R-ST-1, R-SLA-7)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from domain import causes, notices, versions
from domain.actions import apology, customer_response
from domain.actions.base import Action, ActionDef
from domain.fields import Text
from domain.intake import Amount
from domain.notice_models import CustomerTemplate
from domain.versions import Behaviour
from domain.vocabulary import Stage

if TYPE_CHECKING:
    from domain.case import Complaint


class CloseCase(Action):
    result: Text
    root_cause: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")] | None = None  # R-AN-8
    # R-CU-1: what the customer's decision notice says besides the result
    reasons: Text | None = None  # the decision's main reasons
    amount: Amount | None = None  # any amount paid or offered, in yuan


def _refusal(case: Complaint, action: CloseCase, now: datetime) -> str | None:
    if versions.has(case.rules, Behaviour.CUSTOMER_SAYS):
        waiting = customer_response.close_refusal(case)  # R-CU-3: the customer's say first
        if waiting is not None:
            return waiting
    if action.root_cause is not None:
        # R-AN-8: a cause of the case's own taxonomy (its policy snapshot)
        return causes.refusal(action.root_cause, case.policy.causes)
    return None


def _closed(case: Complaint, action: CloseCase, now: datetime) -> None:
    """The decision reaches the complainant: the regulatory clock is met (R-SLA-7)."""
    if versions.has(case.rules, Behaviour.RESULT_KEPT_OFF_TIMELINE):
        case.state.result = action.result  # R-CR-2: kept out of the timeline's text
    if action.root_cause is not None:
        case.state.root_cause = action.root_cause  # R-AN-8
    case.state.decided_at = now
    case.clocks.finish("regulatory", now)
    case.enter(Stage.CALLBACK, action.actor, now)
    if versions.has(case.rules, Behaviour.DECISION_TOLD):
        tell_decision(case, action)
    if versions.has(case.rules, Behaviour.APOLOGY_OWED):
        apology.flag_if_owed(case, action.actor, now)  # R-CU-5


def tell_decision(case: Complaint, action: CloseCase) -> None:
    """R-CU-1: the customer is told the decision: the outcome, its main reasons, any amount,
    until when a review may be asked (R-IN-7's window, its last whole day) and the routes
    outside the company. It goes through the outbox like every customer notice."""
    s = case.state
    assert s.decided_at is not None
    review_by = notices.last_whole_day(case.review_window_end(), case.policy.calendar.zone)
    words = notices.decision(
        s.complaint_id, action.result, action.reasons, action.amount, review_by
    )
    told = case.outbox.words(
        CustomerTemplate.DECISION,
        handler=s.owner,
        outcome=action.result,
        reasons=action.reasons,
        amount=action.amount,
        review_by=review_by,
    )
    case.outbox.tell_customer(words, s.decided_at, told)


CLOSE_CASE = ActionDef(
    name="close_case",
    payload=CloseCase,
    description=(
        "Resolution carried out, result fed back; rules 5 (R-CU-1): the customer is sent the "
        'decision notice: {"result", "reasons", "amount"}.'
    ),
    stages=frozenset({Stage.CLOSE}),
    effect=_closed,
    topic="handling",
    check=_refusal,
    hidden=frozenset({"result", "reasons", "amount"}),
    example={
        "result": "Paid 8,200 yuan.",
        "reasons": "The second invoice is genuine and the loss is covered by the policy.",
        "amount": "8200.00",
    },
    label=("办结", "Close case"),
    # R-CU-3: not while the customer's answer to the resolution is awaited
    offered=lambda s, actor, rules: customer_response.awaiting(s) is None,
)

DEFINITIONS = (CLOSE_CASE,)
