"""Payloads of the contract: the intake, the actions, and the state a complaint workflow reports.

Every model forbids unknown fields so that a typo in a hand-typed signal payload is refused with
a clear reason instead of being silently ignored.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import email_validator
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a time zone, e.g. 2026-11-23T10:00:00+08:00")
    if not EARLIEST <= value < LATEST:
        raise ValueError("datetime must lie between 2000 and 2100")
    return value


def no_nul(value: Any) -> Any:
    """Refuse NUL characters anywhere in a payload: PostgreSQL text cannot hold them."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    if isinstance(value, dict):
        for key, item in value.items():
            no_nul(key)
            no_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            no_nul(item)
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]

# ---------------------------------------------------------------------------------------------
# The input rules for text (docs/input.md). They apply to new input only: validated with the
# context `NEW_INPUT` (the API does; a case under the rules that have them would). Without it a
# payload loads as it always did, so a history recorded before the rules (its intake, its
# actions, a snapshot carried over) replays unchanged.

NEW_INPUT: dict[str, Any] = {"new_input": True}
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of our clock a sender's clock may run

# Line and paragraph separators and bidi embeddings/overrides/isolates: invisible, they break
# a line or reorder what a reader sees (`li.na\u202e` ...).
_NOT_IN_A_LINE = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]*[0-9)]$")


def _new(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and info.context.get("new_input") is True


def _control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def _not_blank(value: str, info: ValidationInfo) -> str:
    if _new(info) and not value.strip():
        raise ValueError("must hold more than white space")
    return value


def _one_line(value: str, info: ValidationInfo) -> str:
    """No control character (CR and LF included) and no invisible line or direction mark."""
    if _new(info) and any(_control(ch) or ch in _NOT_IN_A_LINE for ch in value):
        raise ValueError("must be one line without control characters")
    return value


def _free_text(value: str, info: ValidationInfo) -> str:
    """Lines of text: CR LF and CR become LF; tab and LF are the only controls kept."""
    if not _new(info):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if any(_control(ch) and ch not in "\n\t" for ch in value):
        raise ValueError("may hold no control characters but line breaks and tabs")
    return value


def _phone(value: str, info: ValidationInfo) -> str:
    if _new(info):
        digits = sum(ch.isdigit() for ch in value)
        if not _PHONE.match(value) or not 5 <= digits <= 20:
            raise ValueError(
                "must be a phone number: 5 to 20 digits, optionally a leading +, "
                "spaces, dashes and parentheses"
            )
    return value


def _email(value: str, info: ValidationInfo) -> str:
    if _new(info):
        try:
            email_validator.validate_email(value, check_deliverability=False)
        except email_validator.EmailNotValidError as err:
            raise ValueError(f"must be an e-mail address ({err})") from None
    return value


SingleLine = Annotated[str, AfterValidator(_one_line), AfterValidator(_not_blank)]
Name = Annotated[SingleLine, Field(min_length=1, max_length=200)]
Text = Annotated[
    str,
    Field(min_length=1, max_length=4000),
    AfterValidator(_free_text),
    AfterValidator(_not_blank),
]
Note = Annotated[str, Field(max_length=4000), AfterValidator(_free_text)]  # may be left empty
Key = Annotated[SingleLine, Field(min_length=1, max_length=128)]  # an id the caller chose
Phone = Annotated[str, Field(min_length=5, max_length=32), AfterValidator(_phone)]
Email = Annotated[str, Field(max_length=200), AfterValidator(_email)]


class EvidenceOfTheCase:
    """Marks a field holding evidence ids of the case itself (R-IN-9). The workflow cannot
    read the ledger, so the door that takes the action (`api.cases.act`) checks them there,
    for every action with such a field (`evidence_fields`)."""


EvidenceIds = Annotated[
    list[Name],
    Field(max_length=20, description="evidence ids of this complaint (R-IN-9)"),
    EvidenceOfTheCase(),
]


def evidence_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` that hold evidence ids of the case (`EvidenceIds`)."""
    return tuple(
        name
        for name, field in model.model_fields.items()
        if any(isinstance(m, EvidenceOfTheCase) for m in field.metadata)
    )


def received_in_window(received_at: datetime, now: datetime, horizon: timedelta) -> None:
    """An intake's `received_at` at the API: not ahead of `now` by more than the clock skew,
    not further back than `horizon`. A check of the door, never of a case (the workflow
    reads no clock); ValueError naming the field."""
    if received_at > now + CLOCK_SKEW:
        raise ValueError("received_at: is in the future")
    if received_at < now - horizon:
        raise ValueError(f"received_at: is more than {horizon.days} days ago")


class Derived(BaseModel):
    """What our own code builds from checked input (state, timeline, clocks, the ledger record,
    the policy): unknown fields refused; its text is not walked for NUL characters again, a
    walk that cost a tenth of a worker's CPU per complaint (bench/first_wait.py)."""

    model_config = ConfigDict(extra="forbid", frozen=False)


class Model(Derived):
    """What can arrive from outside (an intake, an action typed in the Web UI): unknown fields
    and NUL characters refused."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # Only this model's own text: a nested model (a dict here; no Model has a dict of
        # strings) checks its own, so a deep payload is walked once, not once per level.
        if isinstance(data, dict):
            for key, item in data.items():
                no_nul(key)
                if isinstance(item, list | tuple):
                    for element in item:
                        if not isinstance(element, dict):
                            no_nul(element)
                elif not isinstance(item, dict):
                    no_nul(item)
        return data


class Channel(StrEnum):
    """R-IN-1: where the complaint came in. Drives grading and accountability."""

    HOTLINE = "hotline"
    ONLINE = "online"
    LETTER = "letter"
    VISIT = "visit"
    PARTNER = "partner"
    HEADQUARTERS = "headquarters"
    ASSOCIATION = "association"
    REGULATOR = "regulator"
    MEDIA = "media"
    OTHER = "other"
    # Rules 3 (issue 14): a bank outlet is its own channel (R-CR-4), naming the bank and the
    # outlet (`ComplaintIntake.bank_outlet`); the regulator's levels told apart. `regulator`
    # stays for old payloads and cases (it grades as both levels do, R-GR-3).
    BANK_OUTLET = "bank_outlet"
    REGULATOR_PROVINCIAL = "regulator_provincial"
    REGULATOR_NATIONAL = "regulator_national"


class Grade(StrEnum):
    """R-GR-1."""

    GENERAL = "general"
    MAJOR = "major"
    SPECIAL = "special"


class Stage(StrEnum):
    """R-ST-1: the handling stages; `closed` waits out the review window, `withdrawn` is final."""

    CONTACT = "contact"
    INVESTIGATE = "investigate"
    APPROVE = "approve"
    CLOSE = "close"
    CALLBACK = "callback"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    SYSTEM = "system"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    # R-SLA-7: the superior office or a head-office senior manager, who alone may grant the
    # further 30 days of the regulatory limit (60 in all); may take every supervisor's action
    # too. Rules 2: a case started under rules 1 refuses the role (it did not exist then).
    SENIOR_MANAGER = "senior_manager"
    AUDITOR = "auditor"
    # R-AN-3, R-AC-3: decides the monthly accountability cycle and its appeals.
    REVIEW_GROUP = "review_group"
    # R-SLA-10: changes the policy data (SLA table, penalty amounts, working hours) and
    # announces a branch's ad-hoc closures; takes no part in a case's handling.
    ADMIN = "admin"


class HelpFlag(StrEnum):
    """R-CR-5: a customer who needs help communicating with the insurer."""

    VULNERABLE = "vulnerable"
    VIOLENT = "violent"  # acted violently
    GROUP_RISK = "group_risk"  # likely to start a group complaint
    SENT_BY_REGULATOR_OR_MEDIA = "sent_by_regulator_or_media"


# ---------------------------------------------------------------------------------------------
# Intake


# R-CU-1: the language of the customer's notices (Chinese unless they chose English).
Language = Literal["zh", "en"]


class Customer(Model):
    name: Name
    phone: Phone
    id_number: Annotated[SingleLine, Field(min_length=4, max_length=32)] | None = None
    email: Email | None = None
    language: Language = "zh"  # optional: intakes from before it load as Chinese


class CrisisFacts(Model):
    """R-GR-2: the criteria that make a complaint a crisis event."""

    people_count: Annotated[int, Field(ge=1, le=100_000)] = 1
    government: bool = False
    regulator: bool = False
    media: bool = False
    outlet_disrupted: bool = False
    major_loss_risk: bool = False
    major_social_impact: bool = False


class SpecialDeadlines(Model):
    """R-GR-1: a special complaint's stage deadlines, set by the superior who designates it."""

    contact_hours: Annotated[float, Field(gt=0, le=80)]
    investigate_days: Annotated[int, Field(ge=1, le=60)]
    approve_days: Annotated[int, Field(ge=1, le=30)]


class BankOutlet(Model):
    """R-IN-1, R-CR-4: where a bank-channel complaint came in: the bank, its outlet and the
    outlet's responsible person."""

    bank: Name
    outlet: Name
    responsible_person: Name | None = None


# R-IN-8: money as a decimal (never a float), in yuan to the fen.
Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]


class AmountInvolved(Model):
    """R-IN-8: the amount involved (涉案金额)."""

    amount: Amount
    currency: Literal["CNY"] = "CNY"


class RepeatOf(Model):
    """R-IN-6 (rules 3): the earlier case, closed within its review window, that this one
    repeats; set by the API's intake."""

    complaint_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    channel: Channel
    times_before: Annotated[int, Field(ge=1, le=1000)] = 1  # the earlier case's complaints


class ComplaintIntake(Model):
    """R-IN-2: everything a ledger row needs. The workflow input."""

    complaint_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    external_id: Key | None = None
    channel: Channel
    received_at: AwareDatetime
    branch: Name
    department: Name | None = None
    owner: Name
    supervisor: Name | None = None
    customer: Customer
    policy_number: Annotated[SingleLine, Field(max_length=64)] | None = None
    product: Name | None = None
    category: Name
    matter: Text
    demands: Text
    grade: Grade = Grade.GENERAL
    crisis: CrisisFacts | None = None
    # R-GR-1 (rules 2): the deadlines of a complaint graded special at intake. Not required
    # here (a workflow input that stops validating would break replays): the HTTP API refuses
    # `special` without them, and a case started without them runs as major until
    # `designate_special` gives them.
    special_deadlines: SpecialDeadlines | None = None
    # Rules 3 (issue 14): the bank and outlet of a bank_outlet complaint (R-IN-1, R-CR-4), the
    # amount involved (R-IN-8), the closed case this one repeats (R-IN-6).
    bank_outlet: BankOutlet | None = None
    amount_involved: AmountInvolved | None = None
    repeat_of: RepeatOf | None = None
    # R-CR-5: the customer needs help (issue 14); more can be flagged later (`flag_customer`).
    help_flags: Annotated[list[HelpFlag], Field(max_length=4)] = []


# ---------------------------------------------------------------------------------------------
# Actions: one payload model per action of the contract


class Action(Model):
    actor: Name
    role: Role = Role.HANDLER
    note: Note | None = None
    request_id: Key | None = None


class RecordContact(Action):
    method: Literal["phone", "visit", "letter", "online"] = "phone"


class SubmitInvestigation(Action):
    findings: Text
    proposed_resolution: Text
    difficulty: Literal["coverage", "loss_assessment"] | None = None


class DecideResolution(Action):
    approved: bool
    collective: bool = False
    # R-ST-2 (rules 2): who took part in a collective decision (at least two to approve one).
    participants: Annotated[list[Name], Field(max_length=50)] = []
    reason: Text | None = None


class CloseCase(Action):
    result: Text
    root_cause: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")] | None = None  # R-AN-8


class RecordCallback(Action):
    satisfied: bool
    method: Literal["phone", "questionnaire"] = "phone"
    comments: Text | None = None
    new_demand: Text | None = None


class RequestExtension(Action):
    new_due_at: AwareDatetime
    reason: Text
    regulatory_days: Literal[30, 60] | None = None


class DecideExtension(Action):
    approved: bool
    new_due_at: AwareDatetime | None = None
    regulatory_days: Literal[30, 60] | None = None


class EscalateCrisis(Action):
    reasons: Annotated[list[Name], Field(min_length=1, max_length=10)]
    people_count: Annotated[int, Field(ge=1, le=100_000)] = 1


class ReportCrisis(Action):
    # Rules 3: "regulator" (R-CR-7, its own report) and "early_signs" (R-CR-6) as well.
    level: Literal["superior", "headquarters", "regulator", "early_signs"]
    summary: Text
    # Rules 3 (issue 14): the report goes out to `to` (a user id or address; the level's
    # default recipient if left out, the regulator's contact required) with these evidence ids.
    to: Name | None = None
    attachments: EvidenceIds = []


class DesignateSpecial(Action):
    deadlines: SpecialDeadlines


class Expedite(Action):
    minutes: Annotated[int, Field(ge=1, le=24 * 60)]


class PauseClock(Action):
    reason: Literal["appraisal", "testing", "loss_assessment"]


class ResumeClock(Action):
    """R-SLA-8: the paused clock runs again, its deadline moved by the time it stood still."""


class RequestReview(Action):
    reason: Text


class Reassign(Action):
    owner: Name | None = None
    department: Name | None = None
    supervisor: Name | None = None


class Withdraw(Action):
    reason: Text | None = None


class RecordRepeat(Action):
    """R-IN-6: the same case complained again (maybe through another channel) is merged."""

    channel: Channel
    external_id: Key | None = None
    new_facts: Text | None = None


class TransferCase(Action):
    """R-IN-5: 转办, the case sent to the responsible department or branch with what it must do
    and by when (working time: `days` or `hours`), as its own step with its own clock."""

    department: Name
    branch: Name | None = None
    owner: Name | None = None  # who takes the case there; the first receiver still tracks it
    requirements: Text
    days: Annotated[int, Field(ge=1, le=30)] | None = None
    hours: Annotated[float, Field(gt=0, le=80)] | None = None

    @model_validator(mode="after")
    def _one_deadline(self) -> TransferCase:
        if (self.days is None) == (self.hours is None):
            raise ValueError("a transfer has one deadline: days or hours (working time)")
        return self


class CompleteTransfer(Action):
    """R-IN-5, R-CR-3, R-CR-4: the department, the insurer or the accommodation reported back."""

    transfer: Annotated[SingleLine, Field(min_length=1, max_length=64)]  # e.g. "transfer-1"
    outcome: Text


class TransferToInsurer(Action):
    """R-CR-4: a bank outlet that cannot settle on the spot hands the case to the insurer,
    which handles it within a deadline (working days)."""

    insurer: Name
    days: Annotated[int, Field(ge=1, le=30)]
    requirements: Text | None = None


class ClassifyPolicy(Action):
    """R-CR-3: a bank-channel policy classed from the two key facts, or from proof of
    mis-selling; flawed and problem policies go to the insurer for accommodation within
    `days` working days."""

    signed_personally: bool | None = None
    callback_compliant: bool | None = None  # the insurer's callback succeeded and was compliant
    mis_selling_proof: Text | None = None
    insurer: Name | None = None
    days: Annotated[int, Field(ge=1, le=30)] | None = None
    # R-AC-6: the outlet's person who misled the customer (flawed or problem policies only)
    misled_by: Name | None = None

    @model_validator(mode="after")
    def _facts_or_proof(self) -> ClassifyPolicy:
        if self.mis_selling_proof is None and (
            self.signed_personally is None or self.callback_compliant is None
        ):
            raise ValueError(
                "R-CR-3: classify from both key facts (signed_personally, callback_compliant) "
                "or from mis_selling_proof"
            )
        return self


class CorrectAmount(Action):
    """R-IN-8: the amount involved, corrected (each correction on the timeline, with who)."""

    amount: Amount
    currency: Literal["CNY"] = "CNY"
    reason: Text


class AcknowledgeScript(Action):
    """R-CR-2: the handler read and accepts the handling script (no promises, no media)."""

    script: Name = "complaint handling script"


class RecordConduct(Action):
    """R-CR-2, R-CR-8: a complaint about a staff member's conduct, against that person;
    R-AC-6: a wrong crisis decision or a failure to act, recorded by a leader on a crisis."""

    person: Name
    kind: Literal[
        "unauthorised_promise", "disclosure", "media_interview", "pushed_upward",
        "harmful_material", "wrong_crisis_decision", "failure_to_act",
    ]  # fmt: skip
    detail: Text | None = None


class FlagCustomer(Action):
    """R-CR-5: the customer needs help (flags are added, never silently dropped)."""

    flags: Annotated[list[HelpFlag], Field(min_length=1, max_length=4)]


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


ACTION_MODELS: dict[str, type[Action]] = {
    "record_contact": RecordContact,
    "submit_investigation": SubmitInvestigation,
    "decide_resolution": DecideResolution,
    "close_case": CloseCase,
    "record_callback": RecordCallback,
    "request_extension": RequestExtension,
    "decide_extension": DecideExtension,
    "escalate_crisis": EscalateCrisis,
    "report_crisis": ReportCrisis,
    "designate_special": DesignateSpecial,
    "expedite": Expedite,
    "pause_clock": PauseClock,
    "resume_clock": ResumeClock,
    "request_review": RequestReview,
    "reassign": Reassign,
    "withdraw": Withdraw,
    "record_repeat": RecordRepeat,
    "transfer": TransferCase,
    "complete_transfer": CompleteTransfer,
    "transfer_to_insurer": TransferToInsurer,
    "classify_policy": ClassifyPolicy,
    "correct_amount": CorrectAmount,
    "acknowledge_script": AcknowledgeScript,
    "record_conduct": RecordConduct,
    "flag_customer": FlagCustomer,
    "record_early_signs": RecordEarlySigns,
    "record_police_contact": RecordPoliceContact,
    "record_group_event": RecordGroupEvent,
}


# ---------------------------------------------------------------------------------------------
# State


class ClockKind(StrEnum):
    STAGE = "stage"
    REGULATORY = "regulatory"
    CRISIS = "crisis"
    HANDOFF = "handoff"  # rules 3: a transfer, the outlet's hand-over, a referral (issue 14)


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


class CrisisRecord(Derived):
    """R-CR-6, R-CR-7, R-CR-1 (rules 3): a crisis report filed, early signs, a police
    contact, a group event and its commander, each at the timeline entry that recorded it."""

    seq: int
    kind: Literal["report", "early_signs", "police_contact", "group_event"]
    at: datetime
    actor: str
    level: str | None = None  # a report's level
    person: str | None = None  # the report's recipient, the police, the commander
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
    # Rules 3 (issue 14, domain/intake_rules.py)
    first_receiver: str | None = None  # R-IN-3: 首问负责制, kept across reassignments
    bank_outlet: BankOutlet | None = None  # R-IN-1, R-CR-4
    amount_involved: AmountInvolved | None = None  # R-IN-8
    repeat_of: str | None = None  # R-IN-6: the closed case this one repeats
    handoffs: list[Handoff] = []  # R-IN-5, R-CR-3, R-CR-4
    policy_classifications: list[PolicyClassification] = []  # R-CR-3, the last one current
    # Issue 14 (rules 3 and its new actions): domain/crisis.py.
    help_flags: list[HelpFlag] = []  # R-CR-5
    result: str | None = None  # R-CR-2: close_case's result, out of the timeline's text
    root_cause: str | None = None  # R-AN-8: close_case's cause (domain/causes.py)
    script_acknowledged_by: list[str] = []  # R-CR-2
    crisis_records: list[CrisisRecord] = []  # R-CR-1, R-CR-6, R-CR-7
    conduct_events: list[ConductEvent] = []  # R-CR-2, R-CR-8
    group_event: bool = False  # R-CR-6

    @property
    def sla_breached(self) -> bool:
        return any(c.breached_at is not None for c in self.clocks)

    def clock(self, key: str) -> Clock | None:
        return next((c for c in self.clocks if c.key == key), None)


class Registration(Derived):
    """The answer to the intake's update-with-start: whether this request created the case."""

    created: bool
    state: ComplaintState


class ActionRefused(Derived):
    """The reason an action was refused, as the update caller and the timeline see it."""

    action: str
    reason: str


# ---------------------------------------------------------------------------------------------
# Notifications: what the workflow asks the notifier to send


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


# Who a notice is for (the relay finds their address by role).
Recipient = Literal[
    "customer", "owner", "supervisor", "superior", "headquarters", "regulator", "first_receiver",
    "hr", "finance",  # R-AC-5: the branch's HR and finance departments
]  # fmt: skip


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


class BankFacts(Derived):
    """R-IN-1, R-IN-3, R-IN-6, R-IN-8, R-CR-3: the case's facts kept on its ledger row."""

    first_receiver: str | None = None
    bank_outlet: BankOutlet | None = None
    amount_involved: AmountInvolved | None = None
    repeat_of: str | None = None
    policy_class: PolicyClass | None = None


class BankRecord(Derived):
    """What the ledger has not seen of the bank channel and intake rules (issue 14)."""

    facts: BankFacts | None = None
    handoffs: list[Handoff] = []
    classifications: list[PolicyClassification] = []


class LedgerRecord(Derived):
    """What the workflow hands the ledger: the case as it stands, and what changed since the
    last record: timeline entries (in `state.timeline`), clocks, breaches, extensions, and
    the notices those entries announce.
    The ledger is the workflow's faithful projection."""

    workflow_id: str
    # Where in the case's history this record was made (run, then history length): a retried
    # workflow task's record replaces what a failed attempt wrote (ledger/record.py).
    version: int = 0
    intake: ComplaintIntake
    state: ComplaintState
    clocks: list[Clock] = []
    breaches: list[Breach] = []
    extensions: list[Extension] = []
    notices: list[Notification] = []  # into the outbox, in the same transaction
    bank: BankRecord | None = None  # rules 3: what changed of the bank channel (ledger/bank.py)
    # Issue 14: rows of ledger/crisis.py, written in the same transaction when there are any.
    crisis_records: list[CrisisRecord] = []
    conduct_events: list[ConductEvent] = []


class AnnounceClosure(Action):
    """R-SLA-10 (rules 3): the case's branch is closed for these whole local days (a typhoon
    day); the case's running deadlines move. Sent by the administrator's announcement to every
    running case of the branch (api/policy.py)."""

    closure_key: Key
    first_day: date
    last_day: date
    reason: Text

    @model_validator(mode="after")
    def _order(self) -> AnnounceClosure:
        if self.last_day < self.first_day:
            raise ValueError("last_day is before first_day")
        if (self.last_day - self.first_day).days > 30:
            raise ValueError("a closure of more than 31 days is not an ad-hoc closure")
        return self


ACTION_MODELS["announce_closure"] = AnnounceClosure  # appended: the contract's order holds
