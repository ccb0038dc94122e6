"""The complaint as a pure case: its rules, with no Temporal in it.

A `Complaint` owns the intake, the state, its timeline (`domain.timeline`), its clock book
(`domain.clocks`, planning with the handling policy the case runs under) and its outbox
(`domain.outbox`). It is accepted (`domain.acceptance`), takes actions (each defined once in
`domain.actions`: its gate, then its effect) or refuses them with the reason, fires the alarms
due at an instant (`domain.alarms`), says when it next needs waking and whether it is
finished, and is snapshotted and rebuilt. What it produces is collected: timeline entries (in
`state.timeline`) and notices to send (`take_notices`). Every method takes the instant it
happens at: the case never reads a clock.

`workflows/complaint.py` is the Temporal shell around it; `tests/unit/test_case_machine.py`
drives it through random sequences of events and checks the rules' invariants after each.

Rules versions. A case keeps the rules it started under, as it keeps its policy, so a new
release never changes what a running case already did (its history must replay the same):

- 1: before the case redesign (2026-12). Kept only for cases that started under it.
- 2: leaving a stage ends its pause (the regulatory clock runs again, the customer is told) and
  lets a pending extension request lapse; a resume is accepted while any clock is paused; a
  deadline is not moved (expedite, approved extension) while the clock is paused; reminders
  thin out to one a day (policy); customer notices name one date each; warnings and reminders
  to staff, the regulatory clock's warning among them, land on a working instant (R-SLA-9);
  a senior_manager takes every supervisor's action and alone grants the further 30 days of
  the regulatory limit (R-SLA-7); a special grade at intake takes its deadlines from the
  intake, or runs as major until designated (R-GR-1); a submitted difficulty is reported in
  writing to the supervisor (R-ST-1); a collective approval names two participants at least
  (R-ST-2); an action counts only under an identity the system verified and sealed into its
  payload, for this case and within the sender's branches (R-AC-1; domain/identity.py).
- 3: the bank channel and crisis handling in full and policy as data.
  Crisis, conduct and help flags: domain/crisis.py (R-CR-1, R-CR-2, R-CR-5..8).
- 4: a grade change re-plans the running stage clock but keeps what that clock already did
  (R-SLA-4): a stage that already breached, or was already warned, is not breached or warned
  again because its deadline moved (under rules 3 an escalation to crisis after a breach
  recorded the same stage's breach a second time, and the statistics counted both).
- 5: a case whose running deadlines reach into a year its calendar does not know asks for the
  calendar again at least once a day (a timer: rules 4 asked once per stage clock, when it
  started), and when the year is known (published in the library, or its arrangement entered
  by an administrator, R-SLA-11) re-plans every running deadline with it: stage and hand-over
  clocks keep their remaining working time, the regulatory limit is counted again as the
  Civil Code counts it, each move on the timeline with its basis, and the customer is told
  a moved decision date. The rest of its policy stays its own (rules 4 took the whole fresh
  policy and re-planned the stage clock only).
  Also an action's payload is read under the input rules (docs/input.md), as the API reads
  it: a signal from the Web UI or the CLI whose text is blank or holds a control character is
  refused naming the field (`Behaviour.ACTION_INPUT_RULES`).
  Rules 5 also checks what comes through every door (domain/versions.py names each
  behaviour): a request id names one request, so the same id with another action, other
  fields or from another sender is refused (rules 1-4 dropped it silently as a repeat); a
  sealed payload counts only for the action it was sealed for; a request to cancel the
  workflow is an event on the timeline, told to the supervisor, and the case keeps running
  (workflows/complaint.py; docs/ending-a-case.md).
  Crisis reports climb the report chain of the contacts directory (R-CR-9, domain/contacts.py,
  carried in the case's policy): the superior's report and the early signs' go to the
  designated contacts of every level above the case's unit below the head office, the
  headquarters report to the head office's contacts (rules 1-4: a fixed `hq.crisis-group`; with
  no head office in the case's chain the report must name its recipient), and the notice to
  report within the hour also reaches the case's own unit's contacts.
  The customer's side (docs/customer-notices.md): closing sends the customer the decision
  notice and a withdrawal its confirmation (R-CU-1, `Behaviour.DECISION_TOLD`); the case is
  never reassigned or transferred to a staff member the complaint is about (R-CU-6,
  `Behaviour.RECUSAL`); closing with staff conduct on record and no apology of theirs tells the
  supervisor (R-CU-5, `Behaviour.APOLOGY_OWED`; `record_apology` came with rules 5); an
  approved resolution is put to the customer before it is carried out, and closing waits for
  their answer or for their working days to lapse (R-CU-3, `Behaviour.CUSTOMER_SAYS`;
  `record_customer_response` came with rules 5).
  Escalation duties (docs/rules-and-versions.md): the regulator, a government body or the media
  coming in later (a repeat, a transfer `via` their channel, or a contact recorded with
  `record_outside_contact`) makes the case major at once and puts a crisis to the supervisor
  with a working hour to declare it or say why not (`decline_crisis`; R-GR-4,
  domain/outside_bodies.py); the first receiver hears of any overdue stage (R-ST-9); a major or
  crisis case names its department head (the intake's `department_head`, or
  `name_department_head`), who takes part in its collective approval (R-ST-8); a hard case's
  written report also reaches head office and the department named (R-ST-1).
  Crisis duties (docs/crisis-duties.md): when soothing at a bank outlet fails, the call for
  the insurer's responsible person and their arrival are recorded, with a 1-hour clock that
  reminds like a crisis report (R-CR-10, `call_insurer_on_site`, `insurer_on_site`); a crisis
  case that ends (closed or withdrawn) owes a review within 10 working days and does not end
  before it is recorded or reminded; a media report warns the crisis group early (R-CR-11);
  the bank outlet's hand-over names the insurer's person who owns the case from then on, the
  outlet's person staying its first receiver (R-CR-12).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from domain import acceptance, alarms, calendar_check, crisis, notices, versions
from domain.actions import ACTIONS, Action
from domain.actions.extension import pending
from domain.clocks import ClockBook, Wake
from domain.doors import Doors, describe
from domain.fields import Derived
from domain.identity import UNVERIFIED, VerifiedIdentity
from domain.intake import ComplaintIntake
from domain.notice_models import (
    CustomerTemplate,
    NoticeKind,
    Notification,
    Recipient,
)
from domain.outbox import Outbox
from domain.sla import CLOCKED_STAGES, HandlingPolicy
from domain.state import ComplaintState
from domain.timeline import EntryKind, Timeline
from domain.versions import Behaviour
from domain.vocabulary import Stage

LEGACY_RULES = 1
RULES = 5  # what a new case runs under
CALENDAR_CHECK_EVERY = calendar_check.CALENDAR_CHECK_EVERY

__all__ = ["LEGACY_RULES", "RULES", "CaseSnapshot", "Complaint", "EntryKind", "Refused", "Wake"]


class Refused(Exception):
    """An action the case refused; the refusal is already on the timeline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CaseSnapshot(Derived):
    """Everything a case is, to carry it into a new run (continue-as-new) or a test."""

    rules: int = LEGACY_RULES
    intake: ComplaintIntake
    policy: HandlingPolicy  # the handling policy (its name is in recorded histories)
    state: ComplaintState
    workflow_id: str
    notice_seq: int = 0
    pending_notices: list[Notification] = Field(default_factory=list)
    seen_requests: list[str] = Field(default_factory=list)  # "name:request id", rules 1-4
    # Rules 5: request id -> the request it was taken for (`domain.doors.request_key`).
    requests: dict[str, str] = Field(default_factory=dict)
    calendar_checked_for: datetime | None = None  # R-SLA-3: the stage clock last re-checked
    calendar_checked_at: datetime | None = None  # R-SLA-11 (rules 5): when it last asked
    generation: int = 0  # how many runs carried the case before this one (continue-as-new)
    used_nonces: dict[str, datetime] = Field(default_factory=dict)  # sealed payloads taken


class Complaint:
    """One complaint's rules (see the module docstring). Build with `accept` or `restore`."""

    def __init__(self, snapshot: CaseSnapshot) -> None:
        self.rules = snapshot.rules
        self.intake = snapshot.intake
        self.state = snapshot.state
        self.workflow_id = snapshot.workflow_id
        self.generation = snapshot.generation
        self.timeline = Timeline(self.state)
        self.clocks = ClockBook(
            self.state,
            snapshot.policy,
            self.rules,
            checked_for=snapshot.calendar_checked_for,
            checked_at=snapshot.calendar_checked_at,
        )
        self.doors = Doors(
            self.rules,
            seen=snapshot.seen_requests,
            requests=snapshot.requests,
            nonces=snapshot.used_nonces,
        )
        self.outbox = Outbox(
            self.workflow_id,
            self.intake,
            self.state,
            self.timeline,
            seq=snapshot.notice_seq,
            pending=snapshot.pending_notices,
        )

    @property
    def policy(self) -> HandlingPolicy:
        """The handling policy the case runs under (its clock book plans with it)."""
        return self.clocks.policy

    @policy.setter
    def policy(self, policy: HandlingPolicy) -> None:
        self.clocks.policy = policy

    # -----------------------------------------------------------------------------------------
    # Life

    @classmethod
    def accept(
        cls,
        intake: ComplaintIntake,
        policy: HandlingPolicy,
        now: datetime,
        *,
        workflow_id: str,
        rules: int = RULES,
    ) -> Complaint:
        """R-IN-2..4, R-GR-1..3: grade the complaint, start its clocks, tell the customer."""
        state = ComplaintState(
            complaint_id=intake.complaint_id,
            stage=Stage.CONTACT,
            grade=intake.grade,
            channel=intake.channel,
            branch=intake.branch,
            department=intake.department,
            owner=intake.owner,
            supervisor=intake.supervisor,
            category=intake.category,
            received_at=intake.received_at,
        )
        snapshot = CaseSnapshot(
            rules=rules, intake=intake, policy=policy, state=state, workflow_id=workflow_id
        )
        case = cls(snapshot)
        acceptance.accept(case, now)
        return case

    @classmethod
    def restore(cls, snapshot: CaseSnapshot) -> Complaint:
        return cls(snapshot.model_copy(deep=True))

    def snapshot(self, *, keep_timeline: int | None = None) -> CaseSnapshot:
        """The case as data. `keep_timeline`: only the last entries (the ledger has them all)."""
        state = self.state.model_copy(deep=True)
        if keep_timeline is not None:
            state.timeline = state.timeline[len(state.timeline) - keep_timeline :]
        return CaseSnapshot(
            rules=self.rules,
            intake=self.intake,
            policy=self.policy,
            state=state,
            workflow_id=self.workflow_id,
            notice_seq=self.outbox.seq,
            pending_notices=list(self.outbox.pending),
            seen_requests=sorted(self.doors.seen),
            requests=dict(self.doors.requests),
            calendar_checked_for=self.clocks.calendar_checked_for,
            calendar_checked_at=self.clocks.calendar_checked_at,
            generation=self.generation,
            used_nonces=dict(self.doors.nonces),
        )

    def finished(self, now: datetime) -> bool:
        s = self.state
        if crisis.review_owed(self):
            return False  # R-CR-11 (rules 5): the review is recorded, or its reminder went out
        if s.stage is Stage.WITHDRAWN:
            # R-CR-8 (rules 3): a crisis report is due whether or not the customer withdrew.
            return not (
                versions.has(self.rules, Behaviour.CRISIS_IN_FULL) and crisis.reports_open(s)
            )
        return s.stage is Stage.CLOSED and now >= self.review_window_end()

    def review_window_end(self) -> datetime:
        """R-IN-7: a closed case waits out the window in which a review may be asked."""
        assert self.state.decided_at is not None
        sla_ = self.policy.sla
        return self.state.decided_at + timedelta(days=sla_.review_window_days) / sla_.speed

    def take_notices(self) -> list[Notification]:
        """The notices produced since the last call, in order (the caller sends them)."""
        return self.outbox.take()

    # -----------------------------------------------------------------------------------------
    # Actions

    def act(
        self, name: str, action: Action, now: datetime, identity: VerifiedIdentity | None = None
    ) -> bool:
        """Apply an action, or raise `Refused` (the refusal on the timeline, nothing else
        changed but, for a sealed payload, its nonce used). False: a repeated delivery of an
        accepted action (same request id), a no-op.

        Rules 2: the action counts only under `identity`, the sender as the system verified
        and sealed it (domain.identity): for this case, recent, used once, naming the sealed
        person in one of their roles, within their branches.

        Rules 5: a request id names one request: the same action with the same fields from the
        same sender is a repeat (a no-op); anything else under a request id already taken is
        refused. And a sealed payload counts only for the action it was sealed for."""
        doors, definition = self.doors, ACTIONS[name]
        if doors.is_repeat(name, action, identity):
            if versions.has(self.rules, Behaviour.SEALS_SPENT) and identity is not None:
                doors.spend(identity)
            return False
        reason = doors.identity_refusal(
            name, action, now, identity, workflow_id=self.workflow_id, branch=self.state.branch
        )
        if reason is None:
            reason = doors.request_conflict(name, action, identity)
        if reason is None:
            reason = definition.refuse(self, action, now)
        if reason is not None:
            raise self.refuse(name, action.actor, reason, now, action.request_id)
        verified = versions.has(self.rules, Behaviour.VERIFIED_IDENTITY)
        via = identity.via if identity is not None and verified else None
        hidden = versions.has(self.rules, Behaviour.RESULT_KEPT_OFF_TIMELINE)
        hide = definition.hidden if hidden else frozenset()
        self.timeline.write(
            "action",
            action.actor,
            describe(name, action, via, hide),
            now,
            action=name,
            request_id=action.request_id,
        )
        definition.effect(self, action, now)
        doors.taken(name, action, identity)
        return True

    def unverified(self, name: str, claimed: str, now: datetime) -> Refused:
        """Rules 2: a payload with no sealed identity is refused before it is read (the shell
        calls this); the timeline keeps who it claimed to be from."""
        return self.refuse(name, f"{claimed} (unverified)", UNVERIFIED, now)

    def refuse(
        self, name: str, actor: str, reason: str, now: datetime, request_id: str | None = None
    ) -> Refused:
        """Record a refusal on the timeline; the caller raises what this returns."""
        # An undecodable action's name and errors may hold a NUL typed in the UI: escaped, so
        # the entry fits in PostgreSQL text (decoded actions refuse NUL themselves).
        name, reason = name.replace("\x00", "\\x00"), reason.replace("\x00", "\\x00")
        self.timeline.write("refused", actor, reason, now, action=name, request_id=request_id)
        return Refused(reason)

    def note(self, kind: EntryKind, detail: str, now: datetime) -> None:
        """A timeline entry from outside the rules (e.g. a notice that could not be sent)."""
        self.timeline.write(kind, "system", detail, now)

    def cancellation_requested(self, reason: str | None, now: datetime) -> None:
        """Rules 5: a request to cancel the case's workflow (the Web UI's "Request
        Cancellation", `temporal workflow cancel`) is an event, not an ending: a case ends only
        through its own actions (closed, or withdrawn). The request carries no verified
        identity, so it is refused on the timeline as unverified and the supervisor is told."""
        s = self.state
        reason = reason.replace("\x00", "\\x00")[:200] if reason else None
        given = f' (reason given: "{reason}")' if reason else ""
        self.timeline.write(
            "refused",
            "unknown (unverified)",
            f"a request to cancel the case's workflow{given}: a case ends only "
            "when closed or withdrawn; the request came with no verified "
            "identity",
            now,
            action="cancel",
        )
        words = notices.cancellation_requested(s.complaint_id, s.stage.value, reason)
        role: Recipient = "supervisor" if s.supervisor else "owner"
        self.outbox.notify(
            NoticeKind.ESCALATION, role, s.supervisor or s.owner, ["email"], words, now
        )

    # -----------------------------------------------------------------------------------------
    # Stages

    def enter(
        self,
        stage: Stage,
        actor: str,
        now: datetime,
        *,
        start: datetime | None = None,
        waiting: str | None = None,
    ) -> None:
        """The case moves to `stage` (or starts it again): the stage's clock ends and the new
        stage's starts (R-ST-1, R-SLA-1). `waiting`: the stage waits for someone outside the
        staff first (R-CU-3: the customer's answer), so its clock starts only when entered
        again; what it waits for is said on the timeline."""
        s = self.state
        self.clocks.finish(f"stage:{s.stage.value}", now)
        if stage is not s.stage and versions.has(self.rules, Behaviour.EXTENSION_LAPSES_WITH_STAGE):
            self.lapse_pending_extension(now)
        if stage is not s.stage and versions.has(self.rules, Behaviour.PAUSE_ENDS_WITH_STAGE):
            regulatory = s.clock("regulatory")
            if regulatory is not None and regulatory.paused_at is not None:
                # R-SLA-8: the pause belonged to the stage that ended; the 15 days run again.
                self.timeline.write(
                    "clock", actor, "leaving the paused stage resumes the regulatory clock", now
                )
                self.resume_clocks(now)
        s.stage = stage
        detail = f"stage {stage.value}"
        if waiting is not None:
            detail += f", {waiting}"
        elif stage in CLOCKED_STAGES:
            clock = self.clocks.start_stage(stage, start or now)
            detail += f", due {clock.due_at.isoformat()} ({clock.basis})"
        self.timeline.write("stage", actor, detail, now)

    def lapse_pending_extension(self, now: datetime) -> None:
        """R-SLA-6 (rules 2): a request nobody decided ends with its stage."""
        waiting = pending(self.state, self.rules)
        if waiting is None:
            return
        lapsed = waiting.model_copy(update={"lapsed_at": now})
        self.state.extensions = [lapsed if e is waiting else e for e in self.state.extensions]
        self.timeline.write(
            "clock",
            "system",
            f"extension request of {waiting.requested_at.isoformat()} lapsed: "
            f"stage {waiting.stage.value} ended before a decision",
            now,
        )

    def resume_clocks(self, now: datetime) -> None:
        """R-SLA-8: the paused clocks run again; rules 2: the customer is told the date."""
        self.clocks.resume(now)
        if versions.has(self.rules, Behaviour.RESUME_TELLS_THE_DATE):
            regulatory = self.state.clock("regulatory")
            due = regulatory.due_at if regulatory else None
            told = self.outbox.words(
                CustomerTemplate.RESUMED, decision_by=notices.last_day(due) if due else None
            )
            self.outbox.tell_customer(
                notices.resumed(due), now, told, clock="regulatory" if due else None
            )

    # -----------------------------------------------------------------------------------------
    # Clocks: alarms and the calendar (R-SLA-3, R-SLA-4, R-SLA-9, R-SLA-11)

    def next_wake(self) -> Wake | None:
        wakes = self.clocks.alarms()
        if self.state.stage is Stage.CLOSED and not crisis.review_owed(self):
            # R-CR-11: while the review after a crisis is owed, its own clock wakes the case
            # (the window's end alone does not end it).
            wakes.append(Wake(self.review_window_end(), "review window ends"))
        if (check := calendar_check.wake(self)) is not None:
            wakes.append(check)
        return min(wakes, default=None)

    def fire_due(self, now: datetime) -> None:
        """Every alarm due by `now`, each with the time it was due."""
        self.clocks.fire_due(
            now, lambda clock, kind, due, at: alarms.ring(self, clock, kind, due, at)
        )

    def calendar_check_due(self, now: datetime) -> bool:
        return calendar_check.due(self, now)

    def calendar_checked(self, fresh: HandlingPolicy, now: datetime) -> bool:
        """Take a freshly loaded policy; True if it published a year and the clock moved."""
        return calendar_check.checked(self, fresh, now)
