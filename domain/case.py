"""The complaint as a pure case: its rules, with no Temporal in it.

A `Complaint` owns the intake, the state and the policy snapshot the case runs under. It is
accepted, takes actions (or refuses them with the reason), fires the alarms due at an instant,
says when it next needs waking and whether it is finished, and is snapshotted and rebuilt.
What it produces is collected: timeline entries (in `state.timeline`) and notices to send
(`take_notices`). Every method takes the instant it happens at: the case never reads a clock.

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
- 3: the bank channel and crisis handling in full (issue 14) and policy as data (issue 15).
  Every change of behaviour that rules 2 cases must not see is gated on `rules >= 3`.
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
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from pydantic import Field

from domain import (
    arrangements,
    closures,
    crisis,
    grading,
    intake_rules,
    lifecycle,
    notices,
    sla,
    versions,
)
from domain.calendar import next_working_instant
from domain.crisis import CrisisRules
from domain.identity import UNVERIFIED, VALID_FOR, VerifiedIdentity
from domain.identity import refusal as identity_refusal
from domain.models import (
    Action,
    AmountInvolved,
    AnnounceClosure,
    Breach,
    ClassifyPolicy,
    Clock,
    ClockKind,
    CloseCase,
    ComplaintIntake,
    ComplaintState,
    CompleteTransfer,
    ConductEvent,
    CorrectAmount,
    CustomerTemplate,
    CustomerWords,
    DecideExtension,
    DecideResolution,
    Derived,
    DesignateSpecial,
    EscalateCrisis,
    Expedite,
    Extension,
    Grade,
    NoticeKind,
    Notification,
    PolicyClassification,
    Reassign,
    Recipient,
    RecordCallback,
    RecordRepeat,
    ReportCrisis,
    RequestExtension,
    Stage,
    SubmitInvestigation,
    TimelineEntry,
    TransferCase,
    TransferToInsurer,
    Withdraw,
)
from domain.sla import PolicySnapshot
from domain.versions import Behaviour

LEGACY_RULES = 1
RULES = 5  # what a new case runs under
CALENDAR_CHECK_EVERY = timedelta(days=1)  # R-SLA-11 (rules 5): while a deadline is provisional

EntryKind = Literal[
    "intake", "stage", "action", "refused", "warning", "breach", "reminder", "notice", "clock"
]


class Refused(Exception):
    """An action the case refused; the refusal is already on the timeline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Wake(NamedTuple):
    """When the case next needs waking, and why (the timer's summary in the Web UI)."""

    at: datetime
    why: str


class CaseSnapshot(Derived):
    """Everything a case is, to carry it into a new run (continue-as-new) or a test."""

    rules: int = LEGACY_RULES
    intake: ComplaintIntake
    policy: PolicySnapshot
    state: ComplaintState
    workflow_id: str
    notice_seq: int = 0
    pending_notices: list[Notification] = Field(default_factory=list)
    seen_requests: list[str] = Field(default_factory=list)  # "name:request id", rules 1-4
    # Rules 5: request id -> the request it was taken for (`_request_key`).
    requests: dict[str, str] = Field(default_factory=dict)
    calendar_checked_for: datetime | None = None  # R-SLA-3: the stage clock last re-checked
    calendar_checked_at: datetime | None = None  # R-SLA-11 (rules 5): when it last asked
    generation: int = 0  # how many runs carried the case before this one (continue-as-new)
    used_nonces: dict[str, datetime] = Field(default_factory=dict)  # sealed payloads taken


class Complaint(CrisisRules):
    """One complaint's rules (see the module docstring). Build with `accept` or `restore`."""

    def __init__(self, snapshot: CaseSnapshot) -> None:
        self.rules = snapshot.rules
        self.intake = snapshot.intake
        self.policy = snapshot.policy
        self.state = snapshot.state
        self.workflow_id = snapshot.workflow_id
        self._notice_seq = snapshot.notice_seq
        self._notices = list(snapshot.pending_notices)
        self._seen = set(snapshot.seen_requests)
        self._requests = dict(snapshot.requests)
        self._calendar_checked_for = snapshot.calendar_checked_for
        self._calendar_checked_at = snapshot.calendar_checked_at
        self.generation = snapshot.generation
        self._nonces = dict(snapshot.used_nonces)

    # -----------------------------------------------------------------------------------------
    # Life

    @classmethod
    def accept(
        cls,
        intake: ComplaintIntake,
        policy: PolicySnapshot,
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
        case = cls(
            CaseSnapshot(
                rules=rules,
                intake=intake,
                policy=policy,
                state=state,
                workflow_id=workflow_id,
            )
        )
        case._accept(now)
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
            notice_seq=self._notice_seq,
            pending_notices=list(self._notices),
            seen_requests=sorted(self._seen),
            requests=dict(self._requests),
            calendar_checked_for=self._calendar_checked_for,
            calendar_checked_at=self._calendar_checked_at,
            generation=self.generation,
            used_nonces=dict(self._nonces),
        )

    def finished(self, now: datetime) -> bool:
        s = self.state
        if s.stage is Stage.WITHDRAWN:
            # R-CR-8 (rules 3): a crisis report is due whether or not the customer withdrew.
            return not (self.rules >= 3 and self._crisis_reports_open())
        return s.stage is Stage.CLOSED and now >= self.review_window_end()

    def review_window_end(self) -> datetime:
        """R-IN-7: a closed case waits out the window in which a review may be asked."""
        assert self.state.decided_at is not None
        sla_ = self.policy.sla
        return self.state.decided_at + timedelta(days=sla_.review_window_days) / sla_.speed

    def take_notices(self) -> list[Notification]:
        """The notices produced since the last call, in order (the caller sends them)."""
        taken, self._notices = self._notices, []
        return taken

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
        binds = versions.has(self.rules, Behaviour.REQUEST_ID_BINDS_BODY)
        if action.request_id is not None and self._is_repeat(name, action, identity, binds):
            if self.rules >= 3 and identity is not None:  # its seal is spent too: no reuse
                self._nonces.setdefault(identity.nonce, identity.issued_at)
            return False
        reason = self._identity_refusal(name, action, now, identity)
        if reason is None and binds:
            reason = self._request_conflict(name, action, identity)
        if reason is None:
            reason = lifecycle.refusal(self.state, name, action, now, self.policy,
                                       rules=self.rules)  # fmt: skip
        if reason is not None:
            raise self.refuse(name, action.actor, reason, now, action.request_id)
        via = identity.via if identity is not None and self.rules >= 2 else None
        hide = crisis.CONFIDENTIAL.get(name, frozenset()) if self.rules >= 3 else frozenset()
        self._log("action", action.actor, _describe(name, action, via, hide), now, action=name,
                  request_id=action.request_id)  # fmt: skip
        getattr(self, f"_on_{name}")(action, now)
        if action.request_id is not None and binds:
            self._requests[action.request_id] = _request_key(name, action, identity)
        elif action.request_id is not None:
            self._seen.add(f"{name}:{action.request_id}")
        return True

    def _is_repeat(
        self, name: str, action: Action, identity: VerifiedIdentity | None, binds: bool
    ) -> bool:
        assert action.request_id is not None
        if binds:
            return self._requests.get(action.request_id) == _request_key(name, action, identity)
        return f"{name}:{action.request_id}" in self._seen

    def _request_conflict(
        self, name: str, action: Action, identity: VerifiedIdentity | None
    ) -> str | None:
        """Rules 5: why a request id already taken by another request refuses this one."""
        if action.request_id is None or action.request_id not in self._requests:
            return None
        was_name, was_sender = _request_parts(self._requests[action.request_id])
        now_name, now_sender = _request_parts(_request_key(name, action, identity))
        differs = [f"for {was_name}, not {now_name}"] if was_name != now_name else []
        differs += [f"by {was_sender}, not {now_sender}"] if was_sender != now_sender else []
        differs = differs or ["with other fields"]
        return (
            f"request_id {action.request_id!r} was already taken {' and '.join(differs)}: a "
            "repeat sends the same action with the same fields from the same sender; a new "
            "request needs a new request_id"
        )

    def unverified(self, name: str, claimed: str, now: datetime) -> Refused:
        """Rules 2: a payload with no sealed identity is refused before it is read (the shell
        calls this); the timeline keeps who it claimed to be from."""
        return self.refuse(name, f"{claimed} (unverified)", UNVERIFIED, now)

    def _identity_refusal(
        self, name: str, action: Action, now: datetime, sealed: VerifiedIdentity | None
    ) -> str | None:
        if self.rules < 2:
            return None  # rules 1 took the payload's word, and its cases replay so
        cutoff = now - VALID_FOR
        self._nonces = {n: at for n, at in self._nonces.items() if at >= cutoff}
        for_action = name if versions.has(self.rules, Behaviour.SEAL_BINDS_ACTION) else None
        reason = identity_refusal(sealed, workflow_id=self.workflow_id, now=now,
                                  used=self._nonces, actor=action.actor,
                                  role=action.role.value, branch=self.state.branch,
                                  action=for_action)  # fmt: skip
        if sealed is not None and sealed.nonce not in self._nonces:
            self._nonces[sealed.nonce] = sealed.issued_at  # used, even if refused: no replay
        return reason

    def refuse(
        self, name: str, actor: str, reason: str, now: datetime, request_id: str | None = None
    ) -> Refused:
        """Record a refusal on the timeline; the caller raises what this returns."""
        # An undecodable action's name and errors may hold a NUL typed in the UI: escaped, so
        # the entry fits in PostgreSQL text (decoded actions refuse NUL themselves).
        name, reason = name.replace("\x00", "\\x00"), reason.replace("\x00", "\\x00")
        self._log("refused", actor, reason, now, action=name, request_id=request_id)
        return Refused(reason)

    def note(self, kind: EntryKind, detail: str, now: datetime) -> None:
        """A timeline entry from outside the rules (e.g. a notice that could not be sent)."""
        self._log(kind, "system", detail, now)

    def cancellation_requested(self, reason: str | None, now: datetime) -> None:
        """Rules 5: a request to cancel the case's workflow (the Web UI's "Request
        Cancellation", `temporal workflow cancel`) is an event, not an ending: a case ends only
        through its own actions (closed, or withdrawn). The request carries no verified
        identity, so it is refused on the timeline as unverified and the supervisor is told."""
        s = self.state
        reason = reason.replace("\x00", "\\x00")[:200] if reason else None
        given = f' (reason given: "{reason}")' if reason else ""
        self._log("refused", "unknown (unverified)",
                  f"a request to cancel the case's workflow{given}: a case ends only when "
                  "closed or withdrawn; the request came with no verified identity", now,
                  action="cancel")  # fmt: skip
        words = notices.cancellation_requested(s.complaint_id, s.stage.value, reason)
        role: Recipient = "supervisor" if s.supervisor else "owner"
        self._notify(NoticeKind.ESCALATION, role, s.supervisor or s.owner, ["email"], words, now)

    def _on_record_contact(self, action: Action, now: datetime) -> None:
        self._enter(Stage.INVESTIGATE, action.actor, now)

    def _on_submit_investigation(self, action: SubmitInvestigation, now: datetime) -> None:
        self.state.proposed_resolution = action.proposed_resolution
        if self.rules >= 2 and action.difficulty is not None:
            self._report_difficulty(action, now)
        self._enter(Stage.APPROVE, action.actor, now)

    def _report_difficulty(self, action: SubmitInvestigation, now: datetime) -> None:
        """R-ST-1 (rules 2): a technically hard case's difficult points (a coverage or a
        loss-assessment question) go in writing to the level above: the case's supervisor."""
        assert action.difficulty is not None
        s = self.state
        if s.supervisor is None:
            self._log("notice", "system",
                      f"R-ST-1: the {action.difficulty} difficulty could not be reported in "
                      "writing: the case has no supervisor (reassign one)", now)  # fmt: skip
            return
        words = notices.difficulty_report(s.complaint_id, action.actor, action.difficulty,
                                          action.findings, action.proposed_resolution)  # fmt: skip
        self._notify(NoticeKind.DIFFICULTY_REPORT, "supervisor", s.supervisor, ["email"], words,
                     now)  # fmt: skip

    def _on_decide_resolution(self, action: DecideResolution, now: datetime) -> None:
        """R-ST-2, R-ST-3: approved goes to closing; rejected goes back to investigation.
        Rules 2: a collective approval names who took part, at least two (the gate), and the
        action's timeline entry names them."""
        self.state.resolution_approved = action.approved
        self._enter(Stage.CLOSE if action.approved else Stage.INVESTIGATE, action.actor, now)

    def _on_close_case(self, action: Action, now: datetime) -> None:
        """The decision reaches the complainant: the regulatory clock is met (R-SLA-7)."""
        if self.rules >= 3 and isinstance(action, CloseCase):
            self.state.result = action.result  # R-CR-2: kept out of the timeline's text
        if isinstance(action, CloseCase) and action.root_cause is not None:
            self.state.root_cause = action.root_cause  # R-AN-8
        self.state.decided_at = now
        self._finish_clock("regulatory", now)
        self._enter(Stage.CALLBACK, action.actor, now)

    def _on_record_callback(self, action: RecordCallback, now: datetime) -> None:
        """R-ST-4: a dissatisfied customer, or a new demand, reopens the case."""
        s = self.state
        if action.satisfied and action.new_demand is None:
            s.satisfied = True
            s.outcome = "resolved"
            s.closed_at = now
            self._enter(Stage.CLOSED, action.actor, now)
            return
        s.satisfied = False
        s.reopen_count += 1
        self._enter(Stage.INVESTIGATE, action.actor, now)

    def _on_request_review(self, action: Action, now: datetime) -> None:
        """R-IN-7: a review is a new handling round of the same case."""
        s = self.state
        s.review_count += 1
        s.outcome = None
        s.closed_at = None
        self._enter(Stage.INVESTIGATE, action.actor, now)

    def _on_withdraw(self, action: Withdraw, now: datetime) -> None:
        """R-ST-5."""
        s = self.state
        if self.rules >= 2:
            self._lapse_pending_extension(now)
        for clock in list(s.clocks):
            if self.rules >= 3 and clock.kind is ClockKind.CRISIS:
                continue  # R-CR-8: the report is still due (it ends filed or breached)
            self._finish_clock(clock.key, now)
        s.stage = Stage.WITHDRAWN
        s.outcome = "withdrawn"
        s.closed_at = now
        detail = "stage withdrawn: the customer withdrew the complaint"
        self._log("stage", action.actor, detail, now)

    def _on_record_repeat(self, action: RecordRepeat, now: datetime) -> None:
        """R-IN-6: one case, one set of clocks; the repeat counted and its channel recorded;
        new facts restart the current stage's clock."""
        s = self.state
        s.repeat_count += 1
        s.repeat_channels.append(action.channel)
        s.multi_channel = s.multi_channel or action.channel is not s.channel
        s.escalated = s.escalated or grading.is_escalation(s.channel, action.channel)
        if action.new_facts:
            clock = self._stage_clock()
            if clock is not None and clock.paused_at is None:
                self._finish_clock(clock.key, now)
                self._enter(s.stage, action.actor, now)

    def _on_reassign(self, action: Reassign, now: datetime) -> None:
        """R-ST-6: a new owner or department keeps the case and its clocks."""
        s = self.state
        s.owner = action.owner or s.owner
        s.department = action.department or s.department
        s.supervisor = action.supervisor or s.supervisor
        if self.rules >= 3 and s.first_receiver is not None:
            self._log("action", action.actor, f"R-IN-3: first receiver {s.first_receiver} stays "
                      "responsible for tracking (首问负责制)", now)  # fmt: skip

    def _on_request_extension(self, action: RequestExtension, now: datetime) -> None:
        """R-SLA-6: the handler asks; a supervisor decides."""
        s = self.state
        s.extensions.append(
            Extension(
                stage=s.stage,
                requested_by=action.actor,
                requested_at=now,
                requested_due_at=action.new_due_at,
                reason=action.reason,
                regulatory_days=action.regulatory_days,
            )
        )
        if s.supervisor:
            words = notices.extension_requested(
                s.complaint_id, action.actor, s.stage.value, action.new_due_at, action.reason
            )
            self._notify(NoticeKind.ESCALATION, "supervisor", s.supervisor, ["email"], words, now)

    def _on_decide_extension(self, action: DecideExtension, now: datetime) -> None:
        """R-SLA-6: approved moves the deadline and the customer is told; denied changes nothing."""
        s = self.state
        pending = lifecycle.pending_extension(s, self.rules)
        assert pending is not None  # the gate refused otherwise
        new_due = action.new_due_at or pending.requested_due_at
        days = action.regulatory_days or pending.regulatory_days
        regulatory = s.clock("regulatory")
        grows_regulatory = regulatory is not None and new_due > regulatory.due_at
        decided = pending.model_copy(
            update={
                "decided_by": action.actor,
                "decided_at": now,
                "approved": action.approved,
                "approved_due_at": new_due if action.approved else None,
                "regulatory_days": days if action.approved and grows_regulatory else None,
            }
        )
        s.extensions = [decided if e is pending else e for e in s.extensions]
        if not action.approved:
            return
        clock = self._stage_clock()
        assert clock is not None
        self._replace_clock(sla.extended(self.policy, clock, now, new_due, rules=self.rules))
        longer: Clock | None = None
        if grows_regulatory and regulatory is not None and days is not None:
            # R-SLA-7: each extension of the outer limit is told to the complainant.
            longer = sla.regulatory_clock(
                self.policy, regulatory.started_at, days, rules=self.rules
            )
            longer = longer.model_copy(
                update={
                    "due_at": longer.due_at + regulatory.paused_for,
                    "paused_for": regulatory.paused_for,
                }
            )
            self._replace_clock(longer)
        handling_by = notices.last_day(new_due)
        if self.rules < 2:
            words = notices.handling_extended_legacy(new_due, longer.due_at if longer else None)
            decision_by = notices.last_day(longer.due_at) if longer else None
            told = self._words(CustomerTemplate.HANDLING_EXTENDED, handling_by=handling_by,
                               decision_by=decision_by)  # fmt: skip
            self._tell_customer(words, now, told, clock=clock.key)
            return
        told = self._words(CustomerTemplate.HANDLING_EXTENDED, handling_by=handling_by)
        self._tell_customer(notices.handling_extended(new_due), now, told, clock=clock.key)
        if longer is not None:
            told = self._words(CustomerTemplate.REGULATORY_EXTENDED,
                               decision_by=notices.last_day(longer.due_at))  # fmt: skip
            self._tell_customer(notices.regulatory_extended(longer.due_at), now, told,
                                clock="regulatory")  # fmt: skip

    def _on_escalate_crisis(self, action: EscalateCrisis, now: datetime) -> None:
        reasons = list(action.reasons)
        if action.people_count >= grading.CRISIS_GROUP_SIZE:
            reasons.append(f"group event of {action.people_count} people")
        self._declare_crisis(reasons, action.actor, now)
        self._replan_stage_clock()

    def _on_report_crisis(self, action: ReportCrisis, now: datetime) -> None:
        if self.rules >= 3:
            self._file_crisis_report(action, now)  # R-CR-1, R-CR-7: the report goes out
            return
        self._finish_clock(f"crisis:{action.level}", now)

    def _on_designate_special(self, action: DesignateSpecial, now: datetime) -> None:
        """R-GR-1: special deadlines are set by the superior who designates it."""
        self.state.grade = Grade.SPECIAL
        self.state.special_deadlines = action.deadlines
        self._replan_stage_clock()

    def _on_expedite(self, action: Expedite, now: datetime) -> None:
        """R-SLA-5: 特事特办, the current stage done within the given minutes."""
        clock = self._stage_clock()
        assert clock is not None
        self._replace_clock(
            sla.expedited(self.policy, clock, now, action.minutes, rules=self.rules)
        )

    def _on_pause_clock(self, action: Action, now: datetime) -> None:
        """R-SLA-8: outside appraisal, testing or loss assessment does not count."""
        for key in (f"stage:{self.state.stage.value}", "regulatory"):
            clock = self.state.clock(key)
            if clock is not None and clock.paused_at is None:
                self._replace_clock(sla.paused(clock, now))
        self._tell_customer(notices.paused(), now, self._words(CustomerTemplate.PAUSED))

    def _on_announce_closure(self, action: AnnounceClosure, now: datetime) -> None:
        """R-SLA-10 (rules 3): the branch closed ad hoc; the running deadlines move
        (domain/closures.py), each move on the timeline with its basis."""
        before = self.policy.calendar
        after = closures.with_closure(before, action.first_day, action.last_day, action.reason)
        self.policy = self.policy.model_copy(update={"calendar": after})
        span = f"{action.first_day.isoformat()}..{action.last_day.isoformat()}"
        why = f"{self.state.branch} closed {span} ({action.reason}; {action.actor}, R-SLA-10)"
        for clock in list(self.state.clocks):
            new = closures.moved(before, after, clock, now, why)
            if new is not None:
                self._replace_clock(new)
                self._log("clock", action.actor, f"{clock.label} moved from "
                          f"{clock.due_at.isoformat()} to {new.due_at.isoformat()}: {why}",
                          now)  # fmt: skip

    def _on_resume_clock(self, action: Action, now: datetime) -> None:
        self._resume_all(now)

    def _resume_all(self, now: datetime) -> None:
        for clock in list(self.state.clocks):
            if clock.paused_at is not None:
                self._replace_clock(sla.resumed(self.policy, clock, now, rules=self.rules))
        if self.rules >= 2:
            regulatory = self.state.clock("regulatory")
            due = regulatory.due_at if regulatory else None
            told = self._words(CustomerTemplate.RESUMED,
                               decision_by=notices.last_day(due) if due else None)  # fmt: skip
            self._tell_customer(notices.resumed(due), now, told,
                                clock="regulatory" if due else None)  # fmt: skip

    # -----------------------------------------------------------------------------------------
    # Rules 3, issue 14 part A: the bank channel and the intake rules (domain/intake_rules.py)

    def _accept_intake_facts(self, now: datetime) -> None:
        """R-IN-3: the first receiver is kept; R-IN-1, R-IN-8: the bank outlet and the amount
        involved; R-IN-6: a repeat of a case closed within its review window links to it and
        counts its complaints (R-AN-5: 3 or more times)."""
        i, s = self.intake, self.state
        s.first_receiver = i.owner
        s.bank_outlet = i.bank_outlet
        s.amount_involved = i.amount_involved
        if i.channel in intake_rules.BANK_CHANNELS and i.bank_outlet is None:
            self._log("intake", i.owner, "R-IN-1: a bank_outlet complaint names the bank and the "
                      "outlet; none given", now)  # fmt: skip
        earlier = i.repeat_of
        if earlier is None:
            return
        s.repeat_of = earlier.complaint_id
        s.repeat_count = earlier.times_before
        s.repeat_channels.append(earlier.channel)
        s.multi_channel = earlier.channel is not s.channel
        s.escalated = grading.is_escalation(earlier.channel, s.channel)
        self._log("intake", i.owner,
                  f"R-IN-6: repeat of closed case {earlier.complaint_id} (complained "
                  f"{earlier.times_before + 1} times in all"
                  + (", escalated" if s.escalated else "")
                  + (", through several channels" if s.multi_channel else "") + ")",
                  now)  # fmt: skip

    def _start_handoff(
        self, kind: str, to: str, requirements: str | None, actor: str, now: datetime,
        *, days: int | None = None, hours: float | None = None,
    ) -> Clock:  # fmt: skip
        s = self.state
        key = intake_rules.next_key(s, kind)
        clock = intake_rules.handoff_clock(self.policy, f"handoff:{key}", f"{kind} to {to}", now,
                                           days=days, hours=hours, rules=self.rules)  # fmt: skip
        s.clocks.append(clock)
        s.handoffs.append(intake_rules.handoff(key, kind, to, requirements, actor, clock))
        self._log("clock", actor, f"{key} to {to}, due {clock.due_at.isoformat()} "
                  f"({clock.basis})", now)  # fmt: skip
        return clock

    def _on_transfer(self, action: TransferCase, now: datetime) -> None:
        """R-IN-5: 转办 with requirements and a deadline, its own clock; the case and its
        clocks go with it (R-ST-6) and the first receiver still tracks it (R-IN-3)."""
        s = self.state
        to = action.department + (f" ({action.branch})" if action.branch else "")
        clock = self._start_handoff("transfer", to, action.requirements, action.actor, now,
                                    days=action.days, hours=action.hours)  # fmt: skip
        s.department = action.department
        s.owner = action.owner or s.owner
        words = intake_rules.transferred(s.complaint_id, to, action.requirements, clock.due_at)
        self._notify(NoticeKind.ESCALATION, "owner", s.owner, ["email"], words, now,
                     clock=clock.key)  # fmt: skip

    def _on_complete_transfer(self, action: CompleteTransfer, now: datetime) -> None:
        s = self.state
        s.handoffs = [
            h.model_copy(update={"completed_by": action.actor, "completed_at": now,
                                 "outcome": action.outcome})
            if h.key == action.transfer else h
            for h in s.handoffs
        ]  # fmt: skip
        self._finish_clock(f"handoff:{action.transfer}", now)

    def _on_transfer_to_insurer(self, action: TransferToInsurer, now: datetime) -> None:
        """R-CR-4: the outlet could not settle it on the spot: the insurer handles it by a
        deadline; the customer is told the time arrangement, never an outcome."""
        outlet = self.state.bank_outlet
        bank, name = (outlet.bank, outlet.outlet) if outlet else ("the bank", "outlet")
        clock = self._start_handoff("outlet", action.insurer, action.requirements, action.actor,
                                    now, days=action.days)  # fmt: skip
        words = intake_rules.outlet_handed_over(bank, name, action.insurer, clock.due_at)
        told = self._words(CustomerTemplate.HANDED_TO_INSURER, insurer=action.insurer,
                           bank=outlet.bank if outlet else None,
                           outlet=outlet.outlet if outlet else None,
                           contact_by=notices.last_day(clock.due_at))  # fmt: skip
        self._tell_customer(words, now, told, clock=clock.key)

    def _on_classify_policy(self, action: ClassifyPolicy, now: datetime) -> None:
        """R-CR-3: the facts, the class and who decided; flawed and problem policies go to the
        insurer for accommodation with a deadline, and the customer hears by when."""
        s = self.state
        kind, basis = intake_rules.classify(
            action.signed_personally, action.callback_compliant, action.mis_selling_proof
        )
        s.policy_classifications.append(
            PolicyClassification(
                signed_personally=action.signed_personally,
                callback_compliant=action.callback_compliant,
                mis_selling_proof=action.mis_selling_proof, policy_class=kind, basis=basis,
                decided_by=action.actor, decided_at=now,
            )
        )  # fmt: skip
        if action.misled_by is not None:  # R-AC-6: the gate let it through for flawed/problem
            s.conduct_events.append(
                ConductEvent(seq=self._entry_seq(), person=action.misled_by, kind="mis_selling",
                             detail=f"{kind.value} policy: {basis}", recorded_by=action.actor,
                             recorded_at=now)
            )  # fmt: skip
        misled = f"; R-AC-6: {action.misled_by} misled the customer" if action.misled_by else ""
        self._log("action", action.actor, f"R-CR-3: policy classed {kind.value} ({basis}), "
                  f"decided by {action.actor}{misled}", now)  # fmt: skip
        open_referral = any(h.kind == "referral" and h.completed_at is None for h in s.handoffs)
        if not intake_rules.referred(kind) or open_referral:
            return
        assert action.insurer is not None and action.days is not None  # the gate refused else
        clock = self._start_handoff("referral", action.insurer, f"accommodation of a "
                                    f"{kind.value} policy: {basis}", action.actor, now,
                                    days=action.days)  # fmt: skip
        told = self._words(CustomerTemplate.REFERRED_TO_INSURER, insurer=action.insurer,
                           contact_by=notices.last_day(clock.due_at))  # fmt: skip
        self._tell_customer(intake_rules.referred_for_accommodation(action.insurer, clock.due_at),
                            now, told, clock=clock.key)  # fmt: skip

    def _on_correct_amount(self, action: CorrectAmount, now: datetime) -> None:
        """R-IN-8: each correction on the timeline, with who made it and why."""
        s = self.state
        before = s.amount_involved
        s.amount_involved = AmountInvolved(amount=action.amount, currency=action.currency)
        was = f"{before.amount} {before.currency}" if before else "not recorded"
        self._log("action", action.actor, f"R-IN-8: amount involved corrected from {was} to "
                  f"{action.amount} {action.currency} by {action.actor}: {action.reason}",
                  now)  # fmt: skip

    # -----------------------------------------------------------------------------------------
    # Stages and clocks

    def _accept(self, now: datetime) -> None:
        intake, policy, s = self.intake, self.policy, self.state
        grade, why = grading.grade_at_intake(intake, policy.sla)
        if self.rules >= 2:
            grade = self._special_at_intake(grade, why)
        s.grade = grade
        s.calendar = policy.calendar.name
        received = min(intake.received_at, now)
        self._log(
            "intake",
            intake.owner,
            f"registered from {intake.channel.value} at {intake.branch}, owner {intake.owner}, "
            f"graded {grade.value}" + (f" ({'; '.join(why)})" if why else ""),
            now,
            at=received,
        )
        if self.rules >= 3:
            self._accept_intake_facts(now)
        days = policy.sla.regulatory_days
        s.clocks.append(sla.regulatory_clock(policy, received, days, rules=self.rules))
        reasons = grading.crisis_reasons(intake.crisis)
        if reasons:
            self._declare_crisis(reasons, intake.owner, now)
        if self.rules >= 3 and intake.help_flags:
            s.help_flags = sorted(set(intake.help_flags))  # R-CR-5
        self._enter(Stage.CONTACT, intake.owner, now, start=received)
        # R-IN-4: the customer is told the complaint was accepted and by when.
        regulatory = s.clock("regulatory")
        assert regulatory is not None
        words = notices.acknowledgement(s.complaint_id, regulatory.due_at, s.owner)
        told = self._words(CustomerTemplate.ACKNOWLEDGEMENT, handler=s.owner,
                           decision_by=notices.last_day(regulatory.due_at))  # fmt: skip
        self._notify(NoticeKind.ACKNOWLEDGEMENT, "customer", self.intake.customer.phone, ["sms"],
                     words, now, clock="regulatory" if self.rules >= 2 else None,
                     told=told)  # fmt: skip

    def _special_at_intake(self, grade: Grade, why: list[str]) -> Grade:
        """R-GR-1 (rules 2): a special grade comes with the deadlines its superior sets; without
        them the case runs as major until `designate_special` gives them (rules 1 quietly used
        the major table under the special grade)."""
        deadlines = self.intake.special_deadlines
        if grade is not Grade.SPECIAL:
            if deadlines is not None:
                why.append(f"R-GR-1: special_deadlines ignored, the grade is {grade.value}")
            return grade
        if deadlines is None:
            why.append(
                "R-GR-1: the special grade needs the deadlines its superior sets; handled as "
                "major until designate_special gives them"
            )
            return Grade.MAJOR
        self.state.special_deadlines = deadlines
        why.append("R-GR-1: special, with the superior's deadlines given at intake")
        return grade

    def _enter(
        self, stage: Stage, actor: str, now: datetime, *, start: datetime | None = None
    ) -> None:
        s = self.state
        self._finish_clock(f"stage:{s.stage.value}", now)
        if self.rules >= 2 and stage is not s.stage:
            self._lapse_pending_extension(now)
            regulatory = s.clock("regulatory")
            if regulatory is not None and regulatory.paused_at is not None:
                # R-SLA-8: the pause belonged to the stage that ended; the 15 days run again.
                self._log("clock", actor, "leaving the paused stage resumes the regulatory clock",
                          now)  # fmt: skip
                self._resume_all(now)
        s.stage = stage
        detail = f"stage {stage.value}"
        if stage in sla.CLOCKED_STAGES:
            key = f"stage:{stage.value}"
            clock = sla.stage_clock(self.policy, stage, s.grade, s.special_deadlines,
                                    start or now, key, rules=self.rules)  # fmt: skip
            s.clocks.append(clock)
            detail += f", due {clock.due_at.isoformat()} ({clock.basis})"
        self._log("stage", actor, detail, now)

    def _lapse_pending_extension(self, now: datetime) -> None:
        """R-SLA-6 (rules 2): a request nobody decided ends with its stage."""
        pending = lifecycle.pending_extension(self.state, self.rules)
        if pending is None:
            return
        lapsed = pending.model_copy(update={"lapsed_at": now})
        self.state.extensions = [lapsed if e is pending else e for e in self.state.extensions]
        self._log("clock", "system",
                  f"extension request of {pending.requested_at.isoformat()} lapsed: stage "
                  f"{pending.stage.value} ended before a decision", now)  # fmt: skip

    def _stage_clock(self) -> Clock | None:
        return self.state.clock(f"stage:{self.state.stage.value}")

    def _finish_clock(self, key: str, now: datetime) -> None:
        clock = self.state.clock(key)
        if clock is None:
            return
        self.state.clocks.remove(clock)
        self.state.finished_clocks.append(clock.model_copy(update={"met_at": now}))

    def _replace_clock(self, clock: Clock) -> None:
        self.state.clocks = [clock if c.key == clock.key else c for c in self.state.clocks]

    def _replan_stage_clock(self) -> None:
        """After a grade change the current stage's deadline follows the new grade."""
        current = self._stage_clock()
        if current is None or current.extended or current.expedited:
            return
        s = self.state
        fresh = sla.stage_clock(self.policy, s.stage, s.grade, s.special_deadlines,
                                current.started_at, current.key, rules=self.rules)  # fmt: skip
        kept: dict[str, Any] = {"paused_at": current.paused_at}
        breached = current.breached_at
        if versions.has(self.rules, Behaviour.REGRADE_KEEPS_BREACH) and (
            breached is None or fresh.due_at <= breached
        ):
            # R-SLA-4: one breach per stage clock: a deadline that moved earlier is still
            # breached, and its reminders carry on from where they were. (One that moved past
            # the breach is a new deadline, and runs as one.)
            kept |= current.model_dump(
                include={"warned_at", "breached_at", "next_reminder_at", "reminders"}
            )
        self._replace_clock(fresh.model_copy(update=kept))

    def _declare_crisis(self, reasons: list[str], actor: str, now: datetime) -> None:
        """R-CR-1, R-GR-2: a crisis is at least major and has its own report deadlines."""
        s = self.state
        s.crisis = True
        s.crisis_reasons = reasons
        s.grade = grading.at_least_major(s.grade)
        for level in ("superior", "headquarters"):
            s.clocks.append(sla.crisis_clock(self.policy, level, now))
        if self.rules >= 3:
            self._crisis_clocks_rules_3(now)
        self._log("clock", actor, f"crisis event: {'; '.join(reasons)}", now)
        words = notices.crisis_declared(
            s.complaint_id, s.branch, reasons, self.policy.sla.crisis_superior_hours
        )
        for person in self._who_reports_at_once():
            self._notify(NoticeKind.CRISIS_REPORT, "superior", person, ["phone", "sms"], words,
                         now)  # fmt: skip

    # -----------------------------------------------------------------------------------------
    # R-SLA-3: a provisional deadline is re-planned once the year's calendar is published

    def calendar_check_due(self, now: datetime) -> bool:
        """Whether the current stage clock is provisional and not yet checked against a fresh
        calendar (once per stage clock). Rules 5 (R-SLA-11): also once a day while a running
        deadline reaches into a year the case's calendar does not know."""
        clock = self._stage_clock()
        new_stage_clock = (
            clock is not None
            and clock.provisional
            and self._calendar_checked_for != clock.started_at
        )
        if not versions.has(self.rules, Behaviour.DAILY_CALENDAR_CHECK):
            return new_stage_clock
        if not arrangements.pending_years(self.policy.calendar, self.state.clocks, now):
            return False
        last = self._calendar_checked_at
        return new_stage_clock or last is None or now >= last + CALENDAR_CHECK_EVERY

    def _calendar_check_wake(self) -> Wake | None:
        """Rules 5: the next daily check, while a deadline is provisional."""
        last = self._calendar_checked_at
        if not versions.has(self.rules, Behaviour.DAILY_CALENDAR_CHECK) or last is None:
            return None
        years = arrangements.pending_years(self.policy.calendar, self.state.clocks, last)
        if not years:
            return None
        named = ", ".join(str(y) for y in sorted(years))
        return Wake(last + CALENDAR_CHECK_EVERY, f"calendar check: is {named} published?")

    def calendar_checked(self, fresh: PolicySnapshot, now: datetime) -> bool:
        """Take a freshly loaded policy; True if it published a year and the clock moved."""
        if versions.has(self.rules, Behaviour.DAILY_CALENDAR_CHECK):
            return self._calendar_checked_daily(fresh, now)
        clock = self._stage_clock()
        assert clock is not None
        self._calendar_checked_for = clock.started_at
        if set(fresh.calendar.known_years) <= set(self.policy.calendar.known_years):
            return False
        self.policy = fresh
        self._replan_stage_clock()
        replanned = self.state.clock(clock.key)
        assert replanned is not None
        self._log("clock", "system",
                  f"calendar updated ({fresh.calendar.name}); "
                  f"{replanned.label} now due {replanned.due_at.isoformat()}", now)  # fmt: skip
        return True

    def _calendar_checked_daily(self, fresh: PolicySnapshot, now: datetime) -> bool:
        """R-SLA-11 (rules 5): the years now known are taken into the case's calendar (the
        rest of its policy stays its own), and every running deadline is re-planned with them,
        each move on the timeline with its basis. A deadline already passed, met, paused or
        given as a date (extended, expedited) does not move."""
        clock = self._stage_clock()
        if clock is not None:
            self._calendar_checked_for = clock.started_at
        self._calendar_checked_at = now
        before = self.policy.calendar
        years = arrangements.pending_years(before, self.state.clocks, now)
        years &= set(fresh.calendar.known_years)
        if not years:
            return False
        after = arrangements.merged(before, fresh.calendar, years)
        old_policy, self.policy = self.policy, self.policy.model_copy(update={"calendar": after})
        named = ", ".join(str(y) for y in sorted(years))
        sources = "; ".join(after.entered[y] for y in sorted(years) if y in after.entered)
        why = f"the calendar of {named} is now known ({sources or fresh.calendar.name}; R-SLA-11)"
        self._log("clock", "system", f"calendar updated: {why}", now)
        for old in list(self.state.clocks):
            new = (
                self._regulatory_replanned(old_policy, old, now, why)
                if old.kind is ClockKind.REGULATORY
                else arrangements.replanned(before, after, old, now, why)
            )
            if new is None:
                continue
            self._replace_clock(new)
            self._log("clock", "system", f"{old.label} moved from {old.due_at.isoformat()} to "
                      f"{new.due_at.isoformat()}: {why}", now)  # fmt: skip
            if new.kind is ClockKind.REGULATORY:
                told = self._words(CustomerTemplate.DECISION_DATE_KNOWN,
                                   decision_by=notices.last_day(new.due_at))  # fmt: skip
                self._tell_customer(notices.calendar_known(named, new.due_at), now, told,
                                    clock="regulatory")  # fmt: skip
        return True

    def _regulatory_replanned(
        self, old_policy: PolicySnapshot, clock: Clock, now: datetime, why: str
    ) -> Clock | None:
        """R-SLA-7 with the year now known: the Civil Code's count again from receipt (a last
        day that is a holiday moves to the next working day; one that became a make-up working
        day no longer moves), paused time added as before. Not moved once due, met or paused."""
        if clock.met_at or clock.breached_at or clock.paused_at or clock.due_at <= now:
            return None
        granted = [e.regulatory_days for e in self.state.extensions
                   if e.approved and e.regulatory_days]  # fmt: skip
        days = max(granted, default=self.policy.sla.regulatory_days)
        fresh = sla.regulatory_clock(self.policy, clock.started_at, days, rules=self.rules)
        due = fresh.due_at + clock.paused_for
        if due == clock.due_at or due <= now:
            return None
        warn = clock.warn_at
        if warn is not None and clock.warned_at is None and warn > now:
            warn = next_working_instant(self.policy.calendar, warn + (due - clock.due_at))
        return clock.model_copy(update={
            "due_at": due, "warn_at": warn, "provisional": fresh.provisional,
            "basis": f"{fresh.basis}; moved from {clock.due_at.isoformat()}: {why}",
        })  # fmt: skip

    # -----------------------------------------------------------------------------------------
    # Alarms: warn, breach, remind (R-SLA-4, R-SLA-9, R-SLA-7, R-CR-1)

    def next_wake(self) -> Wake | None:
        alarms = [
            Wake(a[0], f"{a[1]}: {c.label}") for c in self.state.clocks if (a := sla.next_alarm(c))
        ]
        if self.state.stage is Stage.CLOSED:
            alarms.append(Wake(self.review_window_end(), "review window ends"))
        if (check := self._calendar_check_wake()) is not None:
            alarms.append(check)
        return min(alarms, default=None)

    def fire_due(self, now: datetime) -> None:
        """Every alarm due by `now`, each with the time it was due."""
        for i, clock in enumerate(self.state.clocks):
            while (alarm := sla.next_alarm(clock)) and alarm[0] <= now:
                clock = self._on_alarm(clock, alarm[1], alarm[0], now)
                self.state.clocks[i] = clock

    def _on_alarm(self, clock: Clock, kind: sla.AlarmKind, due: datetime, now: datetime) -> Clock:
        """Follow-up times count from when the alarm was due, not from when the timer ran."""
        s, p = self.state, self.policy
        cid, owner = s.complaint_id, s.owner
        if kind == "warn":
            self._log("warning", "system", f"{clock.label} is due at {clock.due_at.isoformat()}",
                      now)  # fmt: skip
            self._notify(NoticeKind.WARNING, "owner", owner, ["im", "email"],
                         notices.warning(cid, clock), now, clock=clock.key)  # fmt: skip
            return clock.model_copy(update={"warned_at": now})
        if kind == "breach":
            s.breaches.append(
                Breach(clock=clock.key, label=clock.label, due_at=clock.due_at, recorded_at=now)
            )
            detail = f"{clock.label} passed its deadline {clock.due_at.isoformat()}"
            self._log("breach", "system", detail, now)
            return clock.model_copy(
                update={"breached_at": now, "next_reminder_at": sla.first_reminder(p, clock, due)}
            )
        # A reminder: the owner by phone/SMS/email every time, the supervisor on the first.
        first = clock.reminders == 0
        self._log("reminder", "system", f"overdue reminder #{clock.reminders + 1}: {clock.label}",
                  now)  # fmt: skip
        if clock.kind is ClockKind.CRISIS:
            self._notify(NoticeKind.CRISIS_REPORT, "superior", s.supervisor or owner,
                         ["phone", "sms"], notices.crisis_overdue(cid, clock), now,
                         clock=clock.key)  # fmt: skip
        self._notify(NoticeKind.REMINDER, "owner", owner, ["phone", "sms", "email"],
                     notices.reminder(cid, clock), now, clock=clock.key)  # fmt: skip
        if first and s.supervisor:
            self._notify(NoticeKind.ESCALATION, "supervisor", s.supervisor, ["email", "sms"],
                         notices.escalation(cid, owner, clock), now, clock=clock.key)  # fmt: skip
        if first and clock.kind is ClockKind.HANDOFF and s.first_receiver not in (None, owner):
            # R-IN-3 (rules 3 only: hand-overs came with it): the first receiver tracks the case
            # wherever it was handed and hears when a hand-over is overdue.
            assert s.first_receiver is not None
            self._notify(NoticeKind.ESCALATION, "first_receiver", s.first_receiver, ["email"],
                         notices.escalation(cid, owner, clock), now, clock=clock.key)  # fmt: skip
        following = sla.next_reminder(p, clock, due, rules=self.rules)
        if following <= now:  # a clock re-planned into the past: no burst of catch-up reminders
            following = sla.next_reminder(p, clock, now, rules=self.rules)
        return clock.model_copy(
            update={"reminders": clock.reminders + 1, "next_reminder_at": following}
        )

    # -----------------------------------------------------------------------------------------
    # What the case produces

    def _log(
        self,
        kind: EntryKind,
        actor: str,
        detail: str,
        now: datetime,
        *,
        action: str | None = None,
        request_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        timeline = self.state.timeline
        timeline.append(
            TimelineEntry(
                seq=(timeline[-1].seq if timeline else 0) + 1,
                at=at or now,
                kind=kind,
                actor=actor,
                action=action,
                detail=detail,
                request_id=request_id,
            )
        )

    def _tell_customer(
        self, words: notices.Words, now: datetime, told: CustomerWords, *, clock: str | None = None
    ) -> None:
        self._notify(NoticeKind.CUSTOMER_NOTICE, "customer", self.intake.customer.phone, ["sms"],
                     words, now, clock=clock, told=told)  # fmt: skip

    def _words(self, template: CustomerTemplate, **facts: Any) -> CustomerWords:
        """R-CU-1: what the customer is told, as facts the relay words in their language when
        it sends the notice (`words` is the case's own record of it, as before)."""
        return CustomerWords(template=template, language=self.intake.customer.language,
                             complaint_id=self.state.complaint_id, **facts)  # fmt: skip

    def _notify(
        self,
        kind: NoticeKind,
        role: Recipient,
        recipient: str,
        channels: list[Any],
        words: notices.Words,
        now: datetime,
        *,
        clock: str | None = None,
        told: CustomerWords | None = None,
    ) -> None:
        """A notice, announced on the timeline; the caller sends it after recording both."""
        self._notice_seq += 1
        subject, body = words
        self._notices.append(
            Notification(
                key=f"{self.workflow_id}:n{self._notice_seq}",
                complaint_id=self.state.complaint_id,
                kind=kind,
                recipient_role=role,
                recipient=recipient,
                channels=channels,
                subject=subject,
                body=body,
                clock=clock,
                words=told,
            )
        )
        self._log("notice", "system", f"{kind.value} to {role}: {subject}", now)


def _request_key(name: str, action: Action, identity: VerifiedIdentity | None) -> str:
    """Rules 5: what a request id is taken for: `action|sender|digest of its fields` (the
    fields as validated, so a default left out and one typed in are the same request)."""
    sender = identity.actor if identity is not None else action.actor
    fields = action.model_dump(mode="json", exclude={"actor", "role", "request_id"})
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{name}|{sender}|{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def _request_parts(key: str) -> tuple[str, str]:
    """The action and the sender of a `_request_key` (a sender's name may hold a `|`)."""
    name, rest = key.split("|", 1)
    return name, rest.rsplit("|", 1)[0]


def _describe(
    name: str, action: Action, via: str | None = None, hide: frozenset[str] = frozenset()
) -> str:
    fields = action.model_dump(exclude={"actor", "role", "request_id", *hide}, exclude_none=True,
                               mode="json")  # fmt: skip
    # An empty list says nothing (rules-1 entries stay as they were before `participants`).
    fields = {k: v for k, v in fields.items() if v != []}
    how = f"{name} by {action.role.value}" + (f" via {via}" if via else "")
    return how + (f": {fields}" if fields else "")
