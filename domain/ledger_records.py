"""What the workflow hands the ledger: the case as it stands and what changed since."""

from __future__ import annotations

from domain.fields import Derived
from domain.intake import AmountInvolved, BankOutlet, ComplaintIntake
from domain.notice_models import Notification
from domain.state import (
    Breach,
    Clock,
    ComplaintState,
    ConductEvent,
    CrisisRecord,
    Extension,
    Handoff,
    PolicyClass,
    PolicyClassification,
)


class BankFacts(Derived):
    """R-IN-1, R-IN-3, R-IN-6, R-IN-8, R-CR-3: the case's facts kept on its ledger row."""

    first_receiver: str | None = None
    bank_outlet: BankOutlet | None = None
    amount_involved: AmountInvolved | None = None
    repeat_of: str | None = None
    policy_class: PolicyClass | None = None


class BankRecord(Derived):
    """What the ledger has not seen of the bank channel and intake rules."""

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
    # Rules 3: rows of ledger/crisis.py, written in the same transaction when there are any.
    crisis_records: list[CrisisRecord] = []
    conduct_events: list[ConductEvent] = []
