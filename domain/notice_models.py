"""Notices: what the case asks the notifier to send (the outbox's rows), and the facts a
customer's notice is worded from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from domain.fields import Derived
from domain.intake import Language


class NoticeKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"  # R-IN-4
    WARNING = "warning"  # R-SLA-4, before the deadline
    REMINDER = "reminder"  # R-SLA-4, while overdue
    ESCALATION = "escalation"  # R-SLA-4, the owner's supervisor is told
    CUSTOMER_NOTICE = "customer_notice"  # R-SLA-6, R-SLA-7, R-SLA-8
    CRISIS_REPORT = "crisis_report"  # R-CR-1
    DIFFICULTY_REPORT = "difficulty_report"  # R-ST-1: a hard case's difficult points, in writing
    ACCOUNTABILITY = "accountability"  # R-AN-3, R-AC-2: the monthly cycle's proposals and results
    CASE_ORPHANED = "case_orphaned"  # a case open in the ledger whose workflow no longer runs
    ACCOUNTABILITY_RESULTS = "accountability_results"  # R-AC-5: final results to HR and finance
    HOT_SPOT = "hot_spot"  # R-AN-8: an overdue rectification reminds its owner
    EARLY_WARNING = "early_warning"  # R-CR-11: a media report or a peer's crisis, to the group


# Who a notice is for (the relay finds their address by role).
Recipient = Literal[
    "customer",
    "owner",
    "supervisor",
    "superior",
    "headquarters",
    "regulator",
    "first_receiver",
    "hr",
    "finance",  # R-AC-5: the branch's HR and finance departments
    "department",  # R-ST-1: the department concerned that a hard case's report names
]


class CustomerTemplate(StrEnum):
    """R-CU-1: the words of a notice to the customer, kept as templates (notices/templates.py)."""

    ACKNOWLEDGEMENT = "acknowledgement"  # R-IN-4
    HANDLING_EXTENDED = "handling_extended"  # R-SLA-6 (rules 1: with the regulatory date)
    REGULATORY_EXTENDED = "regulatory_extended"  # R-SLA-7
    DECISION_DATE_KNOWN = "decision_date_known"  # R-SLA-11: counted again with a year now known
    PAUSED = "paused"  # R-SLA-8
    RESUMED = "resumed"  # R-SLA-8
    HANDED_TO_INSURER = "handed_to_insurer"  # R-CR-4: the bank outlet's hand-over
    REFERRED_TO_INSURER = "referred_to_insurer"  # R-CR-3: a flawed or problem policy
    DECISION = "decision"  # R-CU-1: the decision, the review and the routes outside
    WITHDRAWAL_CONFIRMED = "withdrawal_confirmed"  # R-CU-1: a withdrawn complaint
    REVIEW_ACCEPTED = "review_accepted"  # R-IN-7: a review asked, and by when
    INSURER_OPINION = "insurer_opinion"  # R-CU-4: the insurer's handling opinion fed back
    HANDLER_CHANGED = "handler_changed"  # R-CU-2: the case passed to another handler
    RESOLUTION_PROPOSED = "resolution_proposed"  # R-CU-3: the customer asked before it is done
    ANSWER_DATE_KNOWN = "answer_date_known"  # R-SLA-11 with R-CU-3: their last day moved


class CustomerWords(Derived):
    """The facts a customer notice is worded from when it is sent, in the customer's language
    (R-CU-1); dates are the last days told (R-IN-4). Which facts a template may use:
    `notices.templates.FACTS`."""

    template: CustomerTemplate
    language: Language = "zh"
    complaint_id: str
    handler: str | None = None
    decision_by: date | None = None  # the regulatory limit's last day
    handling_by: date | None = None  # an extended stage's last day
    contact_by: date | None = None  # the insurer's hand-over deadline's last day
    insurer: str | None = None
    bank: str | None = None
    outlet: str | None = None
    # R-CU-1: the decision told: the outcome, its main reasons, any amount, and the last day
    # a review (核查, R-IN-7) may be asked
    outcome: str | None = None
    reasons: str | None = None
    amount: Decimal | None = None
    review_by: date | None = None
    # R-CU-4: the insurer's handling opinion, as the hand-over's completion reported it
    opinion: str | None = None
    # R-CU-2: the new handler's team (department, branch), told with the handler
    team: str | None = None
    # R-CU-3: the approved resolution put to the customer, and the last day to answer
    resolution: str | None = None
    answer_by: date | None = None


class Notification(Derived):
    key: str  # idempotency key: workflow id + sequence
    complaint_id: str
    kind: NoticeKind
    recipient_role: Recipient
    recipient: str
    channels: list[Literal["sms", "email", "phone", "letter", "im"]]
    subject: str
    body: str
    clock: str | None = None
    # A customer's notice: worded at send time from these facts (`subject` and `body` are the
    # case's record of it); None for staff notices and for notices queued before it.
    words: CustomerWords | None = None
