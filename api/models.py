"""What the HTTP API takes and answers: the payloads, the one error model (`Problem`), the one
complaint-id path parameter (`ComplaintId`), and a case as the caller may see it: customer
phone and ID numbers masked (`infra.masking`) for roles that may not see them.

The answers are the API's own view models (`ComplaintView`, `ClockView`, `TimelineEntryView`,
...), mapped field by field from the domain's state by the small functions below: renaming a
field of the domain fails here (mypy, the tests), never changes `/v1` quietly.
tests/unit/test_api_views.py pins their JSON shape against tests/snapshots/api_views.json."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from api.auth import Identity
from domain.crisis import may_see_resolution
from domain.fields import EARLIEST, LATEST, AwareDatetime, Input, Key, Name, SingleLine, Text
from domain.intake import (
    AmountInvolved,
    BankOutlet,
    CrisisFacts,
    Customer,
    SpecialDeadlines,
    recusal,
)
from domain.state import (
    Clock,
    ClockKind,
    ComplaintState,
    CrisisRecord,
    Handoff,
    PolicyClass,
    TimelineEntry,
)
from domain.vocabulary import Channel, Grade, HelpFlag, Role, Stage
from infra.masking import mask_number, mask_recipient, mask_text

SEES_CUSTOMER_NUMBERS = (Role.HANDLER, Role.SUPERVISOR)

# A complaint id in a path: what `api.complaints.complaint_id_for` and the demo make.
ComplaintId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]


class Problem(BaseModel):
    """An error answer: what went wrong, in words."""

    detail: str


def explain(errors: Any) -> str:
    """Pydantic's validation errors as one line naming each bad field, never its value; a
    customer number in a field's name (an unknown key) or a message is masked."""
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(mask_text(f"{where}: {e.get('msg')}"))
    return "; ".join(parts) or "invalid request"


def aware(value: datetime) -> datetime:
    """A datetime from a request, refused (422) without a time zone or outside 2000-2100."""
    if value.tzinfo is None:
        raise HTTPException(422, "datetimes need a time zone, e.g. 2026-11-23T10:00:00+08:00")
    if not EARLIEST <= value < LATEST:
        raise HTTPException(422, "datetimes must lie between 2000 and 2100")
    return value


# ---------------------------------------------------------------------------------------------
# Payloads


class ComplaintIn(Input):  # domain Input: unknown fields and NUL characters refused
    """A complaint as another system files it (R-IN-2): everything a ledger row needs."""

    external_id: Key
    channel: Channel
    # Checked here, not only when the intake is built, so that a 422 names the field.
    received_at: AwareDatetime | None = Field(
        None,
        description="defaults to now; with a time zone, not in the future (5 minutes of clock "
        "skew allowed) nor further back than the intake horizon (a year by default)",
    )
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
    special_deadlines: SpecialDeadlines | None = Field(
        None,
        description="R-GR-1: the stage deadlines its superior set; required with grade special, "
        "and only with it",
    )
    bank_outlet: BankOutlet | None = Field(
        None, description="R-IN-1, R-CR-4: the bank and outlet; required with channel bank_outlet"
    )
    amount_involved: AmountInvolved | None = Field(
        None, description="R-IN-8: the amount involved (decimal, CNY), when money is at issue"
    )
    new_facts: Text | None = Field(
        None,
        description="R-IN-6: what a repeat brings that is new; when it is merged into the open "
        "case, the affected (current stage's) clock restarts",
    )
    help_flags: list[HelpFlag] = Field(
        [], max_length=4, description="R-CR-5: the customer needs help (flag_customer adds more)"
    )
    staff_complained_about: list[Name] = Field(
        [],
        max_length=10,
        description="R-CU-6: the staff members the complaint is about; the case is never "
        "assigned, reassigned or transferred to them (the owner and supervisor may not be one)",
    )
    department_head: Name | None = Field(
        None,
        description="R-ST-8: the head of the department concerned, who takes part in a major "
        "or crisis case's collective decision (required before one is approved; "
        "name_department_head names or changes them later)",
    )

    @field_validator("staff_complained_about")
    @classmethod
    def _recusal(cls, staff: list[str], info: ValidationInfo) -> list[str]:
        for as_what in ("owner", "supervisor"):
            reason = recusal(staff, info.data.get(as_what), as_what)
            if reason is not None:
                raise ValueError(reason)
        return staff

    @model_validator(mode="after")
    def _special_comes_with_its_deadlines(self) -> ComplaintIn:
        if self.grade is Grade.SPECIAL and self.special_deadlines is None:
            raise ValueError(
                "R-GR-1: grade special needs special_deadlines (contact_hours, "
                "investigate_days, approve_days), set by the superior who designates it"
            )
        if self.grade is not Grade.SPECIAL and self.special_deadlines is not None:
            raise ValueError("special_deadlines go with grade special only (R-GR-1)")
        return self

    @model_validator(mode="after")
    def _bank_outlet_comes_with_its_channel(self) -> ComplaintIn:
        if (self.channel is Channel.BANK_OUTLET) != (self.bank_outlet is not None):
            raise ValueError(
                "R-IN-1: channel bank_outlet needs bank_outlet (bank, outlet), and bank_outlet "
                "goes with that channel only"
            )
        return self


class CustomerView(BaseModel):
    name: str
    phone: str
    id_number: str | None = None
    email: str | None = None


class ResolutionView(BaseModel):
    """R-CR-2: a case's resolution, shown only to its handler, its supervisor and the roles
    that decide (never to auditors)."""

    proposed_resolution: str | None = None
    approved: bool | None = None
    result: str | None = None


class View(BaseModel):
    """A part of a case as `/v1` shows it: exactly these fields (`additionalProperties: false`
    in /openapi.json, as when the domain's own models were shown)."""

    model_config = ConfigDict(extra="forbid")


class ClockView(View):
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


class HandoffView(View):
    """R-IN-5, R-CR-3, R-CR-4: the case handed to someone to act by a deadline."""

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


class CrisisRecordView(View):
    """R-CR-1, R-CR-6, R-CR-7: a crisis report, early signs, a police contact, a group event;
    rules 5: the insurer called on site and their arrival (R-CR-10), a media report and the
    review after the crisis (R-CR-11)."""

    seq: int
    kind: Literal[
        "report",
        "early_signs",
        "police_contact",
        "group_event",
        "insurer_called",
        "insurer_on_site",
        "media_report",
        "review",
    ]
    at: datetime
    actor: str
    level: str | None = None
    person: str | None = None
    detail: str | None = None
    attachments: list[str] = []
    due_at: datetime | None = None
    late: bool = False


class TimelineEntryView(View):
    """R-ST-7: one step of a case with its time and actor."""

    seq: int
    at: datetime
    kind: Literal[
        "intake", "stage", "action", "refused", "warning", "breach", "reminder", "notice", "clock"
    ]
    actor: str
    action: str | None = None
    detail: str
    request_id: str | None = None


class BankOutletView(View):
    """R-IN-1, R-CR-4: the bank and outlet a complaint came in at."""

    bank: str
    outlet: str
    responsible_person: str | None = None


class AmountInvolvedView(View):
    """R-IN-8: the amount involved (decimal, CNY)."""

    amount: Decimal
    currency: Literal["CNY"] = "CNY"


class ComplaintView(BaseModel):
    complaint_id: str
    external_id: str | None = None
    stage: Stage
    grade: Grade
    crisis: bool
    channel: Channel
    branch: str
    department: str | None
    owner: str
    supervisor: str | None
    category: str
    received_at: datetime
    stage_due_at: datetime | None = None
    # R-SLA-3: the stage's deadline reaches into a year whose calendar is not published or
    # entered (weekdays only; it may move, R-SLA-11). Each clock carries its own `provisional`.
    stage_due_provisional: bool | None = None
    sla_breached: bool
    reopen_count: int
    repeat_count: int = 0
    outcome: str | None = None
    customer: CustomerView | None = None
    clocks: list[ClockView] = []
    source: Literal["workflow", "ledger"]
    # Rules 3
    first_receiver: str | None = None  # R-IN-3
    bank_outlet: BankOutletView | None = None  # R-IN-1, R-CR-4
    amount_involved: AmountInvolvedView | None = None  # R-IN-8
    repeat_of: str | None = None  # R-IN-6
    policy_class: PolicyClass | None = None  # R-CR-3
    handoffs: list[
        HandoffView
    ] = []  # R-IN-5, R-CR-3, R-CR-4 (workflow only; the ledger: transfers)
    help_flags: list[HelpFlag] = []  # R-CR-5
    resolution: ResolutionView | None = None  # R-CR-2: for those who may see it
    crisis_records: list[CrisisRecordView] = []  # R-CR-1, R-CR-6, R-CR-7 (while the case runs)
    department_head: str | None = None  # R-ST-8 (rules 5; while the case runs)


class NoticeView(BaseModel):
    """One notice on one channel, as the outbox holds it (notices/relay.py delivers it)."""

    key: str
    kind: str
    channel: str
    recipient_role: str
    recipient: str
    subject: str
    status: Literal["pending", "delivered", "skipped", "failed"]
    attempts: int
    created_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None
    provider_id: str | None = None


class IntakeResult(BaseModel):
    created: bool
    merged_into: str | None = Field(None, description="R-IN-6: the open case this repeat joined")
    complaint: ComplaintView


class Page(BaseModel):
    items: list[ComplaintView]
    next_cursor: str | None


# ---------------------------------------------------------------------------------------------
# A case as the caller may see it


def from_state(
    s: ComplaintState, identity: Identity, *, row: Any = None, external_id: str | None = None
) -> ComplaintView:
    """The running case, from its workflow's state (`row`: its customer from the ledger)."""
    clock = s.clock(f"stage:{s.stage.value}")
    return ComplaintView(
        complaint_id=s.complaint_id,
        external_id=external_id or (row["external_id"] if row is not None else None),
        stage=s.stage,
        grade=s.grade,
        crisis=s.crisis,
        channel=s.channel,
        branch=s.branch,
        department=s.department,
        owner=s.owner,
        supervisor=s.supervisor,
        category=s.category,
        received_at=s.received_at,
        stage_due_at=clock.due_at if clock else None,
        stage_due_provisional=clock.provisional if clock else None,
        sla_breached=s.sla_breached,
        reopen_count=s.reopen_count,
        repeat_count=s.repeat_count,
        outcome=s.outcome,
        customer=_customer(row, identity),
        clocks=[clock_view(c) for c in s.clocks],
        source="workflow",
        first_receiver=s.first_receiver,
        bank_outlet=_outlet(s.bank_outlet),
        amount_involved=_amount(s.amount_involved),
        repeat_of=s.repeat_of,
        policy_class=s.policy_classifications[-1].policy_class
        if s.policy_classifications
        else None,
        handoffs=[handoff_view(h) for h in s.handoffs],
        help_flags=s.help_flags,
        resolution=_resolution(s, identity),
        crisis_records=[crisis_record_view(r) for r in s.crisis_records],
        department_head=s.department_head,
    )


def from_row(r: Any, identity: Identity) -> ComplaintView:
    """A case from its ledger row (a finished one, or a search hit)."""
    return ComplaintView(
        complaint_id=r["complaint_id"],
        external_id=r["external_id"],
        stage=r["stage"],
        grade=r["grade"],
        crisis=r["crisis"],
        channel=r["channel"],
        branch=r["branch"],
        department=r["department"],
        owner=r["owner"],
        supervisor=r["supervisor"],
        category=r["category"],
        received_at=r["received_at"],
        stage_due_at=r["stage_due_at"],
        sla_breached=r["sla_breached"],
        reopen_count=r["reopen_count"],
        repeat_count=r["repeat_count"],
        outcome=r["outcome"],
        customer=_customer(r, identity),
        source="ledger",
        help_flags=r["help_flags"],
        **_bank_columns(r),
    )


def _bank_columns(r: Any) -> dict[str, Any]:
    """Rules 3: the bank channel's columns of a ledger row."""
    outlet = r["bank"] and BankOutletView(
        bank=r["bank"], outlet=r["outlet"], responsible_person=r["outlet_person"]
    )
    amount = r["amount_involved"]
    return {
        "first_receiver": r["first_receiver"],
        "bank_outlet": outlet or None,
        "amount_involved": None
        if amount is None
        else AmountInvolvedView(amount=amount, currency=r["amount_currency"]),
        "repeat_of": r["repeat_of"],
        "policy_class": r["policy_class"],
    }


def clock_view(c: Clock) -> ClockView:
    return ClockView(
        key=c.key,
        kind=c.kind,
        label=c.label,
        started_at=c.started_at,
        due_at=c.due_at,
        warn_at=c.warn_at,
        basis=c.basis,
        provisional=c.provisional,
        skipped_holidays=c.skipped_holidays,
        makeup_workdays=c.makeup_workdays,
        working_hours_only=c.working_hours_only,
        warned_at=c.warned_at,
        breached_at=c.breached_at,
        next_reminder_at=c.next_reminder_at,
        reminders=c.reminders,
        paused_at=c.paused_at,
        paused_for=c.paused_for,
        extended=c.extended,
        expedited=c.expedited,
        met_at=c.met_at,
    )


def handoff_view(h: Handoff) -> HandoffView:
    return HandoffView(
        key=h.key,
        kind=h.kind,
        to=h.to,
        requirements=h.requirements,
        started_by=h.started_by,
        started_at=h.started_at,
        due_at=h.due_at,
        completed_by=h.completed_by,
        completed_at=h.completed_at,
        outcome=h.outcome,
    )


def crisis_record_view(r: CrisisRecord) -> CrisisRecordView:
    return CrisisRecordView(
        seq=r.seq,
        kind=r.kind,
        at=r.at,
        actor=r.actor,
        level=r.level,
        person=r.person,
        detail=r.detail,
        attachments=r.attachments,
        due_at=r.due_at,
        late=r.late,
    )


def timeline_entry_view(e: TimelineEntry) -> TimelineEntryView:
    return TimelineEntryView(
        seq=e.seq,
        at=e.at,
        kind=e.kind,
        actor=e.actor,
        action=e.action,
        detail=e.detail,
        request_id=e.request_id,
    )


def _outlet(o: BankOutlet | None) -> BankOutletView | None:
    if o is None:
        return None
    return BankOutletView(bank=o.bank, outlet=o.outlet, responsible_person=o.responsible_person)


def _amount(a: AmountInvolved | None) -> AmountInvolvedView | None:
    return None if a is None else AmountInvolvedView(amount=a.amount, currency=a.currency)


def _resolution(s: ComplaintState, identity: Identity) -> ResolutionView | None:
    if s.proposed_resolution is None and s.result is None:
        return None
    if not may_see_resolution(s, identity.name, identity.roles):
        return None
    return ResolutionView(
        proposed_resolution=s.proposed_resolution, approved=s.resolution_approved, result=s.result
    )


def notice_for(notice: NoticeView, identity: Identity) -> NoticeView:
    """A notice with a customer's number or address masked for a role that may not see it
    (in its recipient, and in its subject as in any free text)."""
    if identity.has(*SEES_CUSTOMER_NUMBERS):
        return notice
    masked = {"subject": mask_text(notice.subject)}
    if notice.recipient_role == "customer":
        masked["recipient"] = mask_recipient(notice.recipient)
    return notice.model_copy(update=masked)


def entry_for(entry: TimelineEntry, identity: Identity) -> TimelineEntryView:
    """A timeline entry with the customer numbers in its text (what a handler typed into
    findings, a callback's comments) masked for a role that may not see them."""
    view = timeline_entry_view(entry)
    if identity.has(*SEES_CUSTOMER_NUMBERS):
        return view
    return view.model_copy(update={"detail": mask_text(view.detail)})


def shows_numbers(text: str) -> bool:
    """Whether `text` holds something the one masking rule hides."""
    return mask_text(text) != text


def _customer(row: Any, identity: Identity) -> CustomerView | None:
    if row is None:
        return None
    view = CustomerView(
        name=row["customer_name"],
        phone=row["customer_phone"],
        id_number=row["customer_id_number"],
        email=row["customer_email"],
    )
    if identity.has(*SEES_CUSTOMER_NUMBERS):
        return view
    return view.model_copy(
        update={
            "phone": mask_number(view.phone),
            "id_number": view.id_number and mask_number(view.id_number),
        }
    )
