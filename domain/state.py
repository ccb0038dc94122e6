"""The case's state as the workflow holds and reports it: its clocks, breaches, extensions,
timeline, hand-overs and records (all `Derived`: the case made them)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from domain.fields import Derived
from domain.intake import AmountInvolved, BankOutlet, SpecialDeadlines
from domain.vocabulary import Channel, Grade, HelpFlag, Stage


class ClockKind(StrEnum):
    STAGE = "stage"
    REGULATORY = "regulatory"
    CRISIS = "crisis"
    HANDOFF = "handoff"  # rules 3: a transfer, the outlet's hand-over, a referral
    DECISION = "decision"  # rules 5: a leader's decision owed (R-GR-4: declare a crisis or not)
    CUSTOMER = "customer"  # rules 5: the customer's answer awaited (R-CU-3); it lapses, no breach
    ON_SITE = "on_site"  # rules 5 (R-CR-10): the insurer's person called to the outlet, 1 h
    REVIEW = "review"  # rules 5 (R-CR-11): the review after a crisis, in working days


class Clock(Derived):
    """One deadline with the reason for it, and where it stands (R-SLA-4)."""

    key: str
    kind: ClockKind
    label: str
    started_at: datetime
    due_at: datetime
    warn_at: datetime | None = None
    basis: str
    provisional: bool = False
    skipped_holidays: list[date] = []
    makeup_workdays: list[date] = []
    # Reminders of working-time clocks wait for the next opening (R-SLA-9); crisis reports don't.
    working_hours_only: bool = True
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    next_reminder_at: datetime | None = None
    reminders: int = 0
    paused_at: datetime | None = None
    paused_for: timedelta = timedelta(0)
    extended: bool = False
    expedited: bool = False
    met_at: datetime | None = None


class Breach(Derived):
    clock: str
    label: str
    due_at: datetime
    recorded_at: datetime


class Extension(Derived):
    stage: Stage
    requested_by: str
    requested_at: datetime
    requested_due_at: datetime
    reason: str
    regulatory_days: int | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    approved: bool | None = None
    approved_due_at: datetime | None = None
    lapsed_at: datetime | None = None  # rules 2: undecided when its stage ended


class TimelineEntry(Derived):
    """R-ST-7: every step with its time and actor."""

    seq: int
    at: datetime
    kind: Literal[
        "intake", "stage", "action", "refused", "warning", "breach", "reminder", "notice", "clock"
    ]
    actor: str
    action: str | None = None
    detail: str
    request_id: str | None = None


class PolicyClass(StrEnum):
    """R-CR-3: a bank-channel policy's class."""

    NORMAL = "normal"
    FLAWED = "flawed"  # 瑕疵件
    PROBLEM = "problem"  # 问题件


class PolicyClassification(Derived):
    """R-CR-3: the facts, the class and who decided."""

    signed_personally: bool | None
    callback_compliant: bool | None
    mis_selling_proof: str | None
    policy_class: PolicyClass
    basis: str
    decided_by: str
    decided_at: datetime


class Handoff(Derived):
    """R-IN-5, R-CR-3, R-CR-4: the case handed to someone to act by a deadline (its clock
    is `handoff:<key>`)."""

    key: str
    kind: Literal["transfer", "outlet", "referral"]
    to: str
    requirements: str | None = None
    started_by: str
    started_at: datetime
    due_at: datetime
    completed_by: str | None = None
    completed_at: datetime | None = None
    outcome: str | None = None


CrisisRecordKind = Literal[
    "report",
    "early_signs",
    "police_contact",
    "group_event",
    # Rules 5: R-CR-10, the insurer's person called to the outlet and their arrival;
    # R-CR-11, a media report and the review after the crisis.
    "insurer_called",
    "insurer_on_site",
    "media_report",
    "review",
]


class CrisisRecord(Derived):
    """R-CR-6, R-CR-7, R-CR-1 (rules 3): a crisis report filed, early signs, a police
    contact, a group event and its commander; rules 5: the insurer called on site and their
    arrival (R-CR-10), a media report and the review after the crisis (R-CR-11); each at the
    timeline entry that recorded it."""

    seq: int
    kind: CrisisRecordKind
    at: datetime
    actor: str
    level: str | None = None  # a report's level
    # the report's recipient, the police, the commander, the insurer's person, the media
    person: str | None = None
    detail: str | None = None
    attachments: list[str] = []
    due_at: datetime | None = None  # a report's deadline
    late: bool = False


class ConductEvent(Derived):
    """R-CR-2, R-CR-8: staff conduct recorded against a person (ledger: conduct_events)."""

    seq: int
    person: str
    kind: str
    detail: str | None = None
    recorded_by: str
    recorded_at: datetime


class Apology(Derived):
    """R-CU-5: a staff member's apology to the customer: who, when and how."""

    seq: int
    person: str
    method: str
    apologised_at: datetime
    detail: str | None = None
    recorded_by: str
    recorded_at: datetime


class CustomerResponse(Derived):
    """R-CU-3: an approved resolution put to the customer, and their answer: accepts, rejects
    (with their objections), or none by `due_at` (`no_answer`, recorded when the clock lapsed)."""

    asked_at: datetime
    due_at: datetime
    answer: Literal["accepts", "rejects", "no_answer"] | None = None  # None: still awaited
    objections: str | None = None
    method: str | None = None  # how it was received: phone, email, in person...
    recorded_by: str | None = None
    answered_at: datetime | None = None


class ComplaintState(Derived):
    complaint_id: str
    stage: Stage
    grade: Grade
    crisis: bool = False
    crisis_reasons: list[str] = []
    channel: Channel
    branch: str
    department: str | None
    owner: str
    supervisor: str | None
    category: str
    received_at: datetime
    special_deadlines: SpecialDeadlines | None = None
    clocks: list[Clock] = []
    finished_clocks: list[Clock] = []
    breaches: list[Breach] = []
    extensions: list[Extension] = []
    reopen_count: int = 0
    review_count: int = 0
    repeat_count: int = 0
    repeat_channels: list[Channel] = []
    escalated: bool = False  # R-IN-6: taken over the first handler's head
    multi_channel: bool = False  # R-IN-6: the same case through several channels
    proposed_resolution: str | None = None
    resolution_approved: bool | None = None
    decided_at: datetime | None = None
    closed_at: datetime | None = None
    satisfied: bool | None = None
    outcome: Literal["resolved", "withdrawn"] | None = None
    calendar: str = ""
    timeline: list[TimelineEntry] = []
    # Rules 3 (domain/intake_rules.py)
    first_receiver: str | None = None  # R-IN-3: 首问负责制, kept across reassignments
    bank_outlet: BankOutlet | None = None  # R-IN-1, R-CR-4
    amount_involved: AmountInvolved | None = None  # R-IN-8
    repeat_of: str | None = None  # R-IN-6: the closed case this one repeats
    handoffs: list[Handoff] = []  # R-IN-5, R-CR-3, R-CR-4
    policy_classifications: list[PolicyClassification] = []  # R-CR-3, the last one current
    # Rules 3's crisis actions: domain/crisis.py.
    help_flags: list[HelpFlag] = []  # R-CR-5
    result: str | None = None  # R-CR-2: close_case's result, out of the timeline's text
    root_cause: str | None = None  # R-AN-8: close_case's cause (domain/causes.py)
    script_acknowledged_by: list[str] = []  # R-CR-2
    crisis_records: list[CrisisRecord] = []  # R-CR-1, R-CR-6, R-CR-7
    conduct_events: list[ConductEvent] = []  # R-CR-2, R-CR-8
    group_event: bool = False  # R-CR-6
    department_head: str | None = None  # R-ST-8 (rules 5): takes part in the collective decision
    # R-GR-4 (rules 5): the outside bodies that came in on the case (a regulator's channel,
    # `government`, `media`), each once, as the accountability facts read them (R-AC-4)
    outside_bodies: list[str] = []
    apologies: list[Apology] = []  # R-CU-5 (rules 5)
    # R-CU-2 (rules 5): the handler the customer dealt with (who contacted them, then each new
    # handler they were told of); None until someone contacted them.
    customer_handler: str | None = None
    customer_responses: list[CustomerResponse] = []  # R-CU-3 (rules 5): one per approval

    @property
    def sla_breached(self) -> bool:
        return any(c.breached_at is not None for c in self.clocks)

    def clock(self, key: str) -> Clock | None:
        return next((c for c in self.clocks if c.key == key), None)
