"""The intake: everything a new complaint arrives with (R-IN-2), as the API or the demo sent it.
The complaint workflow's input."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from domain.fields import AwareDatetime, Email, Input, Key, Name, Phone, SingleLine, Text
from domain.vocabulary import Channel, Grade, HelpFlag

# R-CU-1: the language of the customer's notices (Chinese unless they chose English).
Language = Literal["zh", "en"]


class Customer(Input):
    name: Name
    phone: Phone
    id_number: Annotated[SingleLine, Field(min_length=4, max_length=32)] | None = None
    email: Email | None = None
    language: Language = "zh"  # optional: intakes from before it load as Chinese


class CrisisFacts(Input):
    """R-GR-2: the criteria that make a complaint a crisis event."""

    people_count: Annotated[int, Field(ge=1, le=100_000)] = 1
    government: bool = False
    regulator: bool = False
    media: bool = False
    outlet_disrupted: bool = False
    major_loss_risk: bool = False
    major_social_impact: bool = False


class SpecialDeadlines(Input):
    """R-GR-1: a special complaint's stage deadlines, set by the superior who designates it."""

    contact_hours: Annotated[float, Field(gt=0, le=80)]
    investigate_days: Annotated[int, Field(ge=1, le=60)]
    approve_days: Annotated[int, Field(ge=1, le=30)]


class BankOutlet(Input):
    """R-IN-1, R-CR-4: where a bank-channel complaint came in: the bank, its outlet and the
    outlet's responsible person."""

    bank: Name
    outlet: Name
    responsible_person: Name | None = None


# R-IN-8: money as a decimal (never a float), in yuan to the fen.
Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]


class AmountInvolved(Input):
    """R-IN-8: the amount involved (涉案金额)."""

    amount: Amount
    currency: Literal["CNY"] = "CNY"


class RepeatOf(Input):
    """R-IN-6 (rules 3): the earlier case, closed within its review window, that this one
    repeats; set by the API's intake."""

    complaint_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    channel: Channel
    times_before: Annotated[int, Field(ge=1, le=1000)] = 1  # the earlier case's complaints


class ComplaintIntake(Input):
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
    # Rules 3: the bank and outlet of a bank_outlet complaint (R-IN-1, R-CR-4), the
    # amount involved (R-IN-8), the closed case this one repeats (R-IN-6).
    bank_outlet: BankOutlet | None = None
    amount_involved: AmountInvolved | None = None
    repeat_of: RepeatOf | None = None
    # R-CR-5: the customer needs help; more can be flagged later (`flag_customer`).
    help_flags: Annotated[list[HelpFlag], Field(max_length=4)] = []
    # R-CU-6: the staff members the complaint is about, who may never handle it (rules 5
    # refuses assigning, reassigning or transferring it to them); optional: older intakes load.
    staff_complained_about: Annotated[list[Name], Field(max_length=10)] = []
    # R-ST-8 (rules 5): the head of the department concerned, who takes part in a major or
    # crisis case's collective decision; optional (a general case needs none, and a case
    # regraded later names one with `name_department_head`); older intakes load.
    department_head: Name | None = None


def recusal(staff: list[str], person: str | None, as_what: str) -> str | None:
    """R-CU-6: the reason `person` may not take the case as `as_what`, or None."""
    if person is not None and person in staff:
        return (
            f"R-CU-6: the complaint is about {person}, who may not handle it "
            f"(recusal: {as_what} {person} is named in staff_complained_about)"
        )
    return None
