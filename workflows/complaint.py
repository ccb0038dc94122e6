"""ComplaintWorkflow: one customer complaint, from intake to the end of its review window.

The story: the complaint is accepted and graded, the customer is told, and the case moves
through contact → investigate → approve → close → callback, each stage with its own
working-time clock; a rejected resolution goes back to investigation, a dissatisfied callback
reopens the case, and a closed case waits out the window in which the customer may ask for a
review. Around that, clocks warn, breach and remind (R-SLA-4), and people's decisions arrive
as actions (signals, or updates from the HTTP API) that all pass one gate.

Deterministic: the calendar and SLA policy arrive as a `PolicySnapshot` from a local activity
(recorded in history); every deadline is computed from it with the pure rules in `domain`.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn, TypeVar

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    # Not `from workflows import ...`: that loads a submodule of the sandboxed `workflows`
    # package around the sandbox's import hook, so afresh for every case, not passed through.
    import workflows.search_attributes as sa
    from activities.ledger import LedgerActivities
    from activities.notifications import NotificationActivities
    from activities.policy import PolicyActivities, PolicyRequest
    from domain import grading, lifecycle, sla
    from domain.models import (
        ACTION_MODELS,
        Action,
        ActionRefused,
        Breach,
        Clock,
        ClockKind,
        ComplaintIntake,
        ComplaintState,
        DecideExtension,
        DecideResolution,
        DesignateSpecial,
        EscalateCrisis,
        Expedite,
        Extension,
        Grade,
        LedgerRecord,
        Model,
        NoticeKind,
        Notification,
        Reassign,
        RecordCallback,
        RecordRepeat,
        Registration,
        ReportCrisis,
        RequestExtension,
        Stage,
        SubmitInvestigation,
        TimelineEntry,
        Withdraw,
    )
    from domain.sla import PolicySnapshot

REFUSED = "ActionRefused"

# Patches (workflow.patched): cases started before a change replay the old way.
NOTICES_IN_LEDGER_OUTBOX = "notices-in-ledger-outbox"

RowT = TypeVar("RowT", bound=Model)

Recipient = Literal["customer", "owner", "supervisor", "superior", "headquarters"]


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, intake: ComplaintIntake) -> None:
        self._intake = intake
        self._state = ComplaintState(
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
        self._policy: PolicySnapshot | None = None
        self._ready = False
        self._changed = False
        self._seen_requests: set[tuple[str, str]] = set()
        self._notice_seq = 0
        self._deliveries: list[asyncio.Task[None]] = []
        self._search_attributes: dict[str, Any] = {}
        self._refreshed_for: datetime | None = None
        self._registered = False
        self._recorded = 0  # timeline entries already in the ledger
        self._recorded_rows: dict[str, Model] = {}  # clocks, breaches, extensions as recorded
        self._recording: asyncio.Task[None] | None = None
        self._outbox = True  # notices go to the ledger's outbox (else: one activity each)
        self._unrecorded_notices: list[Notification] = []

    # -----------------------------------------------------------------------------------------
    # The story

    @workflow.run
    async def run(self, intake: ComplaintIntake) -> ComplaintState:
        await self._accept(intake)
        while not self._finished():
            await self._refresh_provisional_calendar()
            await self._watch_clocks()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._deliveries)
        await self._record()
        return self._state

    async def _accept(self, intake: ComplaintIntake) -> None:
        """R-IN-2..4, R-GR-1..3: grade the complaint, start its clocks, tell the customer."""
        self._outbox = workflow.patched(NOTICES_IN_LEDGER_OUTBOX)
        self._policy = await workflow.execute_local_activity_method(
            PolicyActivities.load_policy,
            PolicyRequest(branch=intake.branch, year=workflow.now().year),
            start_to_close_timeout=timedelta(seconds=10),
        )
        policy = self._policy
        grade, why = grading.grade_at_intake(intake, policy.sla)
        self._state.grade = grade
        self._state.calendar = policy.calendar.name
        received = min(intake.received_at, workflow.now())
        self._log(
            "intake",
            intake.owner,
            f"registered from {intake.channel.value} at {intake.branch}, owner {intake.owner}, "
            f"graded {grade.value}" + (f" ({'; '.join(why)})" if why else ""),
            at=received,
        )
        self._state.clocks.append(
            sla.regulatory_clock(policy, received, policy.sla.regulatory_days)
        )
        reasons = grading.crisis_reasons(intake.crisis)
        if reasons:
            self._declare_crisis(reasons, intake.owner)
        self._enter(Stage.CONTACT, intake.owner, start=received)
        self._publish()
        if self._outbox:
            self._acknowledge(intake)
            await self._record()  # R-IN-2: one transaction puts the case and the notice in
        else:
            await self._record()  # R-IN-2: in the ledger before the customer is told
            self._acknowledge(intake)
        self._ready = True

    def _acknowledge(self, intake: ComplaintIntake) -> None:
        regulatory = self._state.clock("regulatory")
        assert regulatory is not None
        self._notify(
            NoticeKind.ACKNOWLEDGEMENT,
            "customer",
            intake.customer.phone,
            ["sms"],
            "投诉已受理 / complaint accepted",
            f"Your complaint {intake.complaint_id} was accepted; a decision will reach you by "
            f"{regulatory.due_at:%Y-%m-%d}. Your handler is {intake.owner}.",
        )

    async def _refresh_provisional_calendar(self) -> None:
        """R-SLA-3: a deadline in a year with no published calendar is provisional; once per
        stage clock, ask for the calendar again and re-plan if that year is now published."""
        assert self._policy is not None
        clock = self._state.clock(f"stage:{self._state.stage.value}")
        if clock is None or not clock.provisional or self._refreshed_for == clock.started_at:
            return
        self._refreshed_for = clock.started_at
        fresh = await workflow.execute_local_activity_method(
            PolicyActivities.load_policy,
            PolicyRequest(branch=self._state.branch, year=workflow.now().year),
            start_to_close_timeout=timedelta(seconds=10),
        )
        if set(fresh.calendar.known_years) <= set(self._policy.calendar.known_years):
            return
        self._policy = fresh
        self._replan_stage_clock()
        replanned = self._state.clock(clock.key)
        assert replanned is not None
        self._log(
            "clock",
            "system",
            f"calendar updated ({fresh.calendar.name}); "
            f"{replanned.label} now due {replanned.due_at.isoformat()}",
        )
        self._publish()

    def _finished(self) -> bool:
        if self._state.stage is Stage.WITHDRAWN:
            return True
        return self._state.stage is Stage.CLOSED and workflow.now() >= self._review_window_end()

    def _review_window_end(self) -> datetime:
        assert self._policy is not None and self._state.decided_at is not None
        window = timedelta(days=self._policy.sla.review_window_days) / self._policy.sla.speed
        return self._state.decided_at + window

    # -----------------------------------------------------------------------------------------
    # Clocks: warn, breach, remind (R-SLA-4, R-SLA-9, R-SLA-7, R-CR-1)

    async def _watch_clocks(self) -> None:
        self._fire_due_alarms()
        if self._finished():
            return
        wake = self._next_wake()
        self._changed = False
        with contextlib.suppress(TimeoutError):  # an alarm is due: the loop fires it
            await workflow.wait_condition(
                lambda: self._changed,
                timeout=None if wake is None else max(wake[0] - workflow.now(), timedelta(0)),
                timeout_summary=None if wake is None else wake[1],
            )

    def _next_wake(self) -> tuple[datetime, str] | None:
        alarms = [
            (a[0], f"{a[1]}: {c.label}") for c in self._state.clocks if (a := sla.next_alarm(c))
        ]
        if self._state.stage is Stage.CLOSED:
            alarms.append((self._review_window_end(), "review window ends"))
        return min(alarms, default=None)

    def _fire_due_alarms(self) -> None:
        assert self._policy is not None
        now = workflow.now()
        for i, clock in enumerate(self._state.clocks):
            while (alarm := sla.next_alarm(clock)) and alarm[0] <= now:
                clock = self._on_alarm(clock, alarm[1], alarm[0])
                self._state.clocks[i] = clock
        self._publish()

    def _on_alarm(self, clock: Clock, kind: sla.AlarmKind, due: datetime) -> Clock:
        """Follow-up times count from when the alarm was due, not from when the timer ran."""
        assert self._policy is not None
        now = workflow.now()
        owner = self._state.owner
        if kind == "warn":
            self._log("warning", "system", f"{clock.label} is due at {clock.due_at.isoformat()}")
            self._notify(
                NoticeKind.WARNING,
                "owner",
                owner,
                ["im", "email"],
                f"Deadline approaching: {clock.label}",
                f"Complaint {self._state.complaint_id}: due at {clock.due_at.isoformat()}.",
                clock=clock.key,
            )
            return clock.model_copy(update={"warned_at": now})
        if kind == "breach":
            self._state.breaches.append(
                Breach(clock=clock.key, label=clock.label, due_at=clock.due_at, recorded_at=now)
            )
            self._log(
                "breach", "system", f"{clock.label} passed its deadline {clock.due_at.isoformat()}"
            )
            return clock.model_copy(
                update={
                    "breached_at": now,
                    "next_reminder_at": sla.first_reminder(self._policy, clock, due),
                }
            )
        # A reminder: the owner by phone/SMS/email every time, the supervisor on the first.
        first = clock.reminders == 0
        self._log("reminder", "system", f"overdue reminder #{clock.reminders + 1}: {clock.label}")
        if clock.kind is ClockKind.CRISIS:
            self._notify(
                NoticeKind.CRISIS_REPORT,
                "superior",
                self._state.supervisor or owner,
                ["phone", "sms"],
                f"Crisis report overdue: {clock.label}",
                f"Complaint {self._state.complaint_id}: {clock.label} was due at "
                f"{clock.due_at.isoformat()}.",
                clock=clock.key,
            )
        self._notify(
            NoticeKind.REMINDER,
            "owner",
            owner,
            ["phone", "sms", "email"],
            f"Overdue: {clock.label}",
            f"Complaint {self._state.complaint_id}: {clock.label} was due at "
            f"{clock.due_at.isoformat()} (催办 #{clock.reminders + 1}).",
            clock=clock.key,
        )
        if first and self._state.supervisor:
            self._notify(
                NoticeKind.ESCALATION,
                "supervisor",
                self._state.supervisor,
                ["email", "sms"],
                f"Overdue in your team: {clock.label}",
                f"Complaint {self._state.complaint_id} (owner {owner}) passed {clock.label} "
                f"at {clock.due_at.isoformat()}.",
                clock=clock.key,
            )
        following = sla.next_reminder(self._policy, clock, due)
        if following <= now:  # a clock re-planned into the past: no burst of catch-up reminders
            following = sla.next_reminder(self._policy, clock, now)
        return clock.model_copy(
            update={"reminders": clock.reminders + 1, "next_reminder_at": following}
        )

    # -----------------------------------------------------------------------------------------
    # Stages

    def _enter(self, stage: Stage, actor: str, *, start: datetime | None = None) -> None:
        assert self._policy is not None
        now = workflow.now()
        self._finish_clock(f"stage:{self._state.stage.value}")
        self._state.stage = stage
        detail = f"stage {stage.value}"
        if stage in sla.CLOCKED_STAGES:
            clock = sla.stage_clock(
                self._policy,
                stage,
                self._state.grade,
                self._state.special_deadlines,
                start or now,
                f"stage:{stage.value}",
            )
            self._state.clocks.append(clock)
            detail += f", due {clock.due_at.isoformat()} ({clock.basis})"
        self._log("stage", actor, detail)

    def _finish_clock(self, key: str) -> None:
        clock = self._state.clock(key)
        if clock is None:
            return
        self._state.clocks.remove(clock)
        self._state.finished_clocks.append(clock.model_copy(update={"met_at": workflow.now()}))

    def _replace_clock(self, clock: Clock) -> None:
        self._state.clocks = [clock if c.key == clock.key else c for c in self._state.clocks]

    def _replan_stage_clock(self) -> None:
        """After a grade change the current stage's deadline follows the new grade."""
        assert self._policy is not None
        current = self._state.clock(f"stage:{self._state.stage.value}")
        if current is None or current.extended or current.expedited:
            return
        fresh = sla.stage_clock(
            self._policy,
            self._state.stage,
            self._state.grade,
            self._state.special_deadlines,
            current.started_at,
            current.key,
        )
        self._replace_clock(fresh.model_copy(update={"paused_at": current.paused_at}))

    def _declare_crisis(self, reasons: list[str], actor: str) -> None:
        """R-CR-1, R-GR-2: a crisis is at least major and has its own report deadlines."""
        assert self._policy is not None
        now = workflow.now()
        self._state.crisis = True
        self._state.crisis_reasons = reasons
        self._state.grade = grading.at_least_major(self._state.grade)
        for level in ("superior", "headquarters"):
            self._state.clocks.append(sla.crisis_clock(self._policy, level, now))
        self._log("clock", actor, f"crisis event: {'; '.join(reasons)}")
        self._notify(
            NoticeKind.CRISIS_REPORT,
            "superior",
            self._state.supervisor or self._state.owner,
            ["phone", "sms"],
            "危机事件 / crisis event",
            f"Complaint {self._state.complaint_id} at {self._state.branch} is a crisis event: "
            f"{'; '.join(reasons)}. Report to the superior within "
            f"{self._policy.sla.crisis_superior_hours:g} h.",
        )

    # -----------------------------------------------------------------------------------------
    # Actions: every signal and update passes `_act`

    @workflow.query(name="state")
    def state(self) -> ComplaintState:
        return self._state

    @workflow.update(name="register")
    async def register(self) -> Registration:
        """The intake's update-with-start: the first caller learns it created the case."""
        await workflow.wait_condition(lambda: self._ready)
        created, self._registered = not self._registered, True
        return Registration(
            created=created,
            state=self._state.model_copy(update={"timeline": [], "finished_clocks": []}),
        )

    @workflow.update(dynamic=True)
    async def act(self, name: str, args: Sequence[RawValue]) -> ComplaintState:
        """Each action as an update (the HTTP API's way): the new state, or ActionRefused.

        The result is stored in history, so it carries only the timeline entries this action
        wrote (the full timeline is one `state` query away) and history stays linear in size.
        """
        try:
            written = len(self._state.timeline)
            state = await self._act(name, args[0] if args else None)
            return state.model_copy(
                update={"timeline": state.timeline[written:], "finished_clocks": []}
            )
        except Refused as refused:
            raise ApplicationError(
                refused.reason,
                ActionRefused(action=name, reason=refused.reason),
                type=REFUSED,
                non_retryable=True,
            ) from None

    @workflow.signal(dynamic=True)
    async def other_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """A misspelt action typed in the UI is refused on the timeline, not silently buffered."""
        await self._signal(name, args[0] if args else None)

    async def _signal(self, name: str, payload: RawValue | None) -> None:
        with contextlib.suppress(Refused):  # already in the timeline; a signal has nobody to answer
            await self._act(name, payload)

    async def _act(self, name: str, payload: RawValue | None) -> ComplaintState:
        await workflow.wait_condition(lambda: self._ready)
        assert self._policy is not None
        action = self._decode(name, payload)
        if action.request_id is not None and (name, action.request_id) in self._seen_requests:
            return self._state  # a repeated delivery of an accepted action is a no-op
        reason = lifecycle.refusal(self._state, name, action, workflow.now(), self._policy)
        if reason is not None:
            self._refuse(name, action.actor, reason, action.request_id)
        self._log(
            "action",
            action.actor,
            self._describe(name, action),
            action=name,
            request_id=action.request_id,
        )
        getattr(self, f"_on_{name}")(action)
        if action.request_id is not None:
            self._seen_requests.add((name, action.request_id))
        self._changed = True
        self._publish()
        return self._state

    def _decode(self, name: str, payload: RawValue | None) -> Action:
        model = ACTION_MODELS.get(name)
        if model is None:
            self._refuse(
                name, "unknown", f"unknown action {name!r}; known: {', '.join(ACTION_MODELS)}"
            )
        if payload is None:
            self._refuse(
                name, "unknown", "the action needs a JSON object payload with at least 'actor'"
            )
        try:
            return workflow.payload_converter().from_payload(payload.payload, model)
        except Exception as err:  # a person typed it in the UI: say what is wrong, keep the case
            self._refuse(name, "unknown", f"invalid payload: {_explain(err)}")

    def _refuse(
        self, name: str, actor: str, reason: str, request_id: str | None = None
    ) -> NoReturn:
        # An undecodable action's name and errors may hold a NUL typed in the UI: escaped, so
        # the timeline entry fits in PostgreSQL text (decoded actions refuse NUL themselves).
        name, reason = name.replace("\x00", "\\x00"), reason.replace("\x00", "\\x00")
        self._log("refused", actor, reason, action=name, request_id=request_id)
        self._changed = True
        raise Refused(reason)

    @staticmethod
    def _describe(name: str, action: Action) -> str:
        fields = action.model_dump(
            exclude={"actor", "role", "request_id"}, exclude_none=True, mode="json"
        )
        return f"{name} by {action.role.value}" + (f": {fields}" if fields else "")

    # The actions of the contract, one signal each (the Web UI lists them with these texts).

    @workflow.signal(name="record_contact", description="The complainant was contacted.")
    async def record_contact(self, payload: RawValue) -> None:
        await self._signal("record_contact", payload)

    @workflow.signal(
        name="submit_investigation", description="Findings and proposed resolution go to approval."
    )
    async def submit_investigation(self, payload: RawValue) -> None:
        await self._signal("submit_investigation", payload)

    @workflow.signal(
        name="decide_resolution",
        description='Supervisor: {"approved": true|false, "collective": true}.',
    )
    async def decide_resolution(self, payload: RawValue) -> None:
        await self._signal("decide_resolution", payload)

    @workflow.signal(name="close_case", description="Resolution carried out, result fed back.")
    async def close_case(self, payload: RawValue) -> None:
        await self._signal("close_case", payload)

    @workflow.signal(
        name="record_callback", description='Callback done: {"satisfied": true|false}.'
    )
    async def record_callback(self, payload: RawValue) -> None:
        await self._signal("record_callback", payload)

    @workflow.signal(name="request_extension", description="Handler asks for a later deadline.")
    async def request_extension(self, payload: RawValue) -> None:
        await self._signal("request_extension", payload)

    @workflow.signal(
        name="decide_extension", description='Supervisor: {"approved": true, "new_due_at": "..."}.'
    )
    async def decide_extension(self, payload: RawValue) -> None:
        await self._signal("decide_extension", payload)

    @workflow.signal(
        name="escalate_crisis", description='The case becomes a crisis: {"reasons": [...]}.'
    )
    async def escalate_crisis(self, payload: RawValue) -> None:
        await self._signal("escalate_crisis", payload)

    @workflow.signal(
        name="report_crisis",
        description='Crisis report filed: {"level": "superior"|"headquarters"}.',
    )
    async def report_crisis(self, payload: RawValue) -> None:
        await self._signal("report_crisis", payload)

    @workflow.signal(
        name="designate_special",
        description="Supervisor grades the case special with its deadlines.",
    )
    async def designate_special(self, payload: RawValue) -> None:
        await self._signal("designate_special", payload)

    @workflow.signal(
        name="expedite", description='Supervisor: same-day handling, {"minutes": 120}.'
    )
    async def expedite(self, payload: RawValue) -> None:
        await self._signal("expedite", payload)

    @workflow.signal(
        name="pause_clock",
        description='Pause for {"reason": "appraisal"|"testing"|"loss_assessment"}.',
    )
    async def pause_clock(self, payload: RawValue) -> None:
        await self._signal("pause_clock", payload)

    @workflow.signal(name="resume_clock", description="Restart the paused stage clock.")
    async def resume_clock(self, payload: RawValue) -> None:
        await self._signal("resume_clock", payload)

    @workflow.signal(name="request_review", description="The complainant asks for a review (核查).")
    async def request_review(self, payload: RawValue) -> None:
        await self._signal("request_review", payload)

    @workflow.signal(
        name="reassign", description="New owner, department or supervisor; clocks kept."
    )
    async def reassign(self, payload: RawValue) -> None:
        await self._signal("reassign", payload)

    @workflow.signal(name="withdraw", description="The customer withdrew the complaint.")
    async def withdraw(self, payload: RawValue) -> None:
        await self._signal("withdraw", payload)

    # What each accepted action does. Each may still refuse before it changes anything.

    def _on_record_contact(self, action: Action) -> None:
        self._enter(Stage.INVESTIGATE, action.actor)

    def _on_submit_investigation(self, action: SubmitInvestigation) -> None:
        self._state.proposed_resolution = action.proposed_resolution
        self._enter(Stage.APPROVE, action.actor)

    def _on_decide_resolution(self, action: DecideResolution) -> None:
        """R-ST-2, R-ST-3: approved goes to closing; rejected goes back to investigation."""
        self._state.resolution_approved = action.approved
        self._enter(Stage.CLOSE if action.approved else Stage.INVESTIGATE, action.actor)

    def _on_close_case(self, action: Action) -> None:
        """The decision reaches the complainant: the regulatory clock is met (R-SLA-7)."""
        self._state.decided_at = workflow.now()
        self._finish_clock("regulatory")
        self._enter(Stage.CALLBACK, action.actor)

    def _on_record_callback(self, action: RecordCallback) -> None:
        """R-ST-4: a dissatisfied customer, or a new demand, reopens the case."""
        if action.satisfied and action.new_demand is None:
            self._state.satisfied = True
            self._state.outcome = "resolved"
            self._state.closed_at = workflow.now()
            self._enter(Stage.CLOSED, action.actor)
            return
        self._state.satisfied = False
        self._state.reopen_count += 1
        self._enter(Stage.INVESTIGATE, action.actor)

    def _on_request_review(self, action: Action) -> None:
        """R-IN-7: a review is a new handling round of the same case."""
        self._state.review_count += 1
        self._state.outcome = None
        self._state.closed_at = None
        self._enter(Stage.INVESTIGATE, action.actor)

    def _on_withdraw(self, action: Withdraw) -> None:
        """R-ST-5."""
        for clock in list(self._state.clocks):
            self._finish_clock(clock.key)
        self._state.stage = Stage.WITHDRAWN
        self._state.outcome = "withdrawn"
        self._state.closed_at = workflow.now()
        self._log("stage", action.actor, "stage withdrawn: the customer withdrew the complaint")

    def _on_record_repeat(self, action: RecordRepeat) -> None:
        """R-IN-6: one case, one set of clocks; the repeat counted and its channel recorded;
        new facts restart the current stage's clock."""
        s = self._state
        s.repeat_count += 1
        s.repeat_channels.append(action.channel)
        s.multi_channel = s.multi_channel or action.channel is not s.channel
        s.escalated = s.escalated or grading.is_escalation(s.channel, action.channel)
        if action.new_facts:
            clock = s.clock(f"stage:{s.stage.value}")
            if clock is not None and clock.paused_at is None:
                self._finish_clock(clock.key)
                self._enter(s.stage, action.actor)

    def _on_reassign(self, action: Reassign) -> None:
        """R-ST-6: a new owner or department keeps the case and its clocks."""
        self._state.owner = action.owner or self._state.owner
        self._state.department = action.department or self._state.department
        self._state.supervisor = action.supervisor or self._state.supervisor

    def _on_request_extension(self, action: RequestExtension) -> None:
        """R-SLA-6: the handler asks; a supervisor decides."""
        self._state.extensions.append(
            Extension(
                stage=self._state.stage,
                requested_by=action.actor,
                requested_at=workflow.now(),
                requested_due_at=action.new_due_at,
                reason=action.reason,
                regulatory_days=action.regulatory_days,
            )
        )
        if self._state.supervisor:
            self._notify(
                NoticeKind.ESCALATION,
                "supervisor",
                self._state.supervisor,
                ["email"],
                "Extension requested",
                f"Complaint {self._state.complaint_id}: {action.actor} asks to extend "
                f"{self._state.stage.value} to {action.new_due_at.isoformat()}: {action.reason}",
            )

    def _on_decide_extension(self, action: DecideExtension) -> None:
        """R-SLA-6: approved moves the deadline and the customer is told; denied changes nothing."""
        assert self._policy is not None
        now = workflow.now()
        pending = next(e for e in self._state.extensions if e.approved is None)
        new_due = action.new_due_at or pending.requested_due_at
        days = action.regulatory_days or pending.regulatory_days
        regulatory = self._state.clock("regulatory")
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
        self._state.extensions = [decided if e is pending else e for e in self._state.extensions]
        if not action.approved:
            return
        clock = self._state.clock(f"stage:{self._state.stage.value}")
        assert clock is not None
        self._replace_clock(sla.extended(self._policy, clock, now, new_due))
        text = f"The expected handling date of your complaint is now {new_due:%Y-%m-%d %H:%M}."
        if grows_regulatory and regulatory is not None and days is not None:
            # R-SLA-7: each extension of the outer limit is told to the complainant.
            longer = sla.regulatory_clock(self._policy, regulatory.started_at, days)
            longer = longer.model_copy(
                update={
                    "due_at": longer.due_at + regulatory.paused_for,
                    "paused_for": regulatory.paused_for,
                }
            )
            self._replace_clock(longer)
            text += (
                f" Under the regulation, the decision will reach you by {longer.due_at:%Y-%m-%d}."
            )
        self._tell_customer("Handling time extended / 处理期限延长", text)

    def _on_escalate_crisis(self, action: EscalateCrisis) -> None:
        reasons = list(action.reasons)
        if action.people_count >= grading.CRISIS_GROUP_SIZE:
            reasons.append(f"group event of {action.people_count} people")
        self._declare_crisis(reasons, action.actor)
        self._replan_stage_clock()

    def _on_report_crisis(self, action: ReportCrisis) -> None:
        self._finish_clock(f"crisis:{action.level}")

    def _on_designate_special(self, action: DesignateSpecial) -> None:
        """R-GR-1: special deadlines are set by the superior who designates it."""
        self._state.grade = Grade.SPECIAL
        self._state.special_deadlines = action.deadlines
        self._replan_stage_clock()

    def _on_expedite(self, action: Expedite) -> None:
        """R-SLA-5: 特事特办, the current stage done within the given minutes."""
        assert self._policy is not None
        clock = self._state.clock(f"stage:{self._state.stage.value}")
        assert clock is not None
        self._replace_clock(sla.expedited(self._policy, clock, workflow.now(), action.minutes))

    def _on_pause_clock(self, action: Action) -> None:
        """R-SLA-8: outside appraisal, testing or loss assessment does not count."""
        now = workflow.now()
        for key in (f"stage:{self._state.stage.value}", "regulatory"):
            clock = self._state.clock(key)
            if clock is not None and clock.paused_at is None:
                self._replace_clock(sla.paused(clock, now))
        self._tell_customer(
            "Handling paused / 处理暂停",
            "Time for outside appraisal, testing or loss assessment does not count toward "
            "the handling deadline; we will tell you when handling resumes.",
        )

    def _on_resume_clock(self, action: Action) -> None:
        assert self._policy is not None
        now = workflow.now()
        for clock in list(self._state.clocks):
            if clock.paused_at is not None:
                self._replace_clock(sla.resumed(self._policy, clock, now))

    # -----------------------------------------------------------------------------------------
    # Timeline, notifications, what the Web UI shows

    def _log(
        self,
        kind: Literal[
            "intake",
            "stage",
            "action",
            "refused",
            "warning",
            "breach",
            "reminder",
            "notice",
            "clock",
        ],
        actor: str,
        detail: str,
        *,
        action: str | None = None,
        request_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        self._state.timeline.append(
            TimelineEntry(
                seq=len(self._state.timeline) + 1,
                at=at or workflow.now(),
                kind=kind,
                actor=actor,
                action=action,
                detail=detail,
                request_id=request_id,
            )
        )

    def _record_soon(self) -> None:
        if self._recording is None or self._recording.done():
            self._recording = asyncio.create_task(self._record())

    async def _record(self) -> None:
        """Project the case into the ledger: the entries written since the last record.

        A local activity: a short idempotent write, retried with backoff while PostgreSQL is
        away; one runs at a time, and it loops until the ledger has caught up. Retries that
        wait longer than a second go through a workflow timer, so an outage never holds the
        workflow task (and with it the answers to updates and queries).
        """
        if self._recording is not None and not self._recording.done():
            if asyncio.current_task() is not self._recording:
                await self._recording
        while self._recorded < len(self._state.timeline):
            upto = len(self._state.timeline)
            notices = list(self._unrecorded_notices)
            s = self._state
            snapshot = s.model_copy(
                update={"timeline": s.timeline[self._recorded : upto], "finished_clocks": []}
            )
            sent: dict[str, Model] = {}
            current = [*s.finished_clocks, *s.clocks]
            record = LedgerRecord(
                workflow_id=workflow.info().workflow_id,
                intake=self._intake,
                state=snapshot,
                clocks=self._unrecorded(
                    {f"clock {c.key} {c.started_at}": c for c in current}, sent
                ),
                breaches=self._unrecorded(
                    {f"breach {b.clock} {b.due_at}": b for b in s.breaches}, sent
                ),
                extensions=self._unrecorded(
                    {f"extension {e.requested_at}": e for e in s.extensions}, sent
                ),
                notices=notices,
            )
            await workflow.execute_local_activity_method(
                LedgerActivities.record,
                record,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
                local_retry_threshold=timedelta(seconds=1),
            )
            self._recorded = upto
            self._recorded_rows.update(sent)
            del self._unrecorded_notices[: len(notices)]

    def _unrecorded(self, rows: dict[str, RowT], sent: dict[str, Model]) -> list[RowT]:
        """The rows that changed since the ledger last saw them (noted in `sent`)."""
        changed = {k: v for k, v in rows.items() if self._recorded_rows.get(k) != v}
        sent.update(changed)
        return list(changed.values())

    def _tell_customer(self, subject: str, body: str) -> None:
        self._notify(
            NoticeKind.CUSTOMER_NOTICE,
            "customer",
            self._intake.customer.phone,
            ["sms"],
            subject,
            body,
        )

    def _notify(
        self,
        kind: NoticeKind,
        role: Recipient,
        recipient: str,
        channels: list[Any],
        subject: str,
        body: str,
        *,
        clock: str | None = None,
    ) -> None:
        """Through the ledger's outbox, written with the timeline entry that announces the
        notice (the relay delivers it); a slow channel never holds up the case."""
        self._notice_seq += 1
        notice = Notification(
            key=f"{workflow.info().workflow_id}:n{self._notice_seq}",
            complaint_id=self._state.complaint_id,
            kind=kind,
            recipient_role=role,
            recipient=recipient,
            channels=channels,
            subject=subject,
            body=body,
            clock=clock,
        )
        self._log("notice", "system", f"{kind.value} to {role}: {subject}")
        if self._outbox:
            self._unrecorded_notices.append(notice)
        else:
            self._deliveries.append(asyncio.create_task(self._deliver(notice)))

    async def _deliver(self, notice: Notification) -> None:
        """Cases started before NOTICES_IN_LEDGER_OUTBOX: an activity per notice."""
        try:
            await workflow.execute_activity_method(
                NotificationActivities.notify,
                notice,
                start_to_close_timeout=timedelta(seconds=60),
                heartbeat_timeout=timedelta(seconds=5),
                schedule_to_close_timeout=timedelta(days=1),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
            )
        except ActivityError as err:
            self._log(
                "notice",
                "system",
                f"{notice.kind.value} to {notice.recipient_role} failed: {err.cause}",
            )

    def _publish(self) -> None:
        """Keep the search attributes and the Web UI's details current (diffs only)."""
        s = self._state
        stage_clock = s.clock(f"stage:{s.stage.value}")
        values: dict[str, Any] = {
            sa.STAGE.name: s.stage.value,
            sa.GRADE.name: s.grade.value,
            sa.CHANNEL.name: s.channel.value,
            sa.BRANCH.name: s.branch,
            sa.OWNER.name: s.owner,
            sa.CATEGORY.name: s.category,
            sa.SLA_BREACHED.name: s.sla_breached,
            sa.STAGE_DUE_AT.name: stage_clock.due_at if stage_clock else None,
            sa.CRISIS.name: s.crisis,
            sa.REOPEN_COUNT.name: s.reopen_count,
        }
        changed = {k: v for k, v in values.items() if self._search_attributes.get(k, ...) != v}
        if changed:
            updates: list[SearchAttributeUpdate[Any]] = []
            for key in sa.ALL:
                if key.name in changed:
                    value = changed[key.name]
                    updates.append(key.value_unset() if value is None else key.value_set(value))
            workflow.upsert_search_attributes(updates)
            self._search_attributes.update(changed)
        workflow.set_current_details(self._details())
        if self._ready:
            self._record_soon()

    def _details(self) -> str:
        s = self._state
        lines = [
            f"**{s.complaint_id}** · {s.grade.value}{' · CRISIS' if s.crisis else ''} · "
            f"stage **{s.stage.value}** · owner {s.owner} · {s.branch}"
        ]
        for c in s.clocks:
            status = "BREACHED" if c.breached_at else "paused" if c.paused_at else "due"
            lines.append(f"- {c.label}: {status} {c.due_at:%Y-%m-%d %H:%M %Z}")
        if s.reopen_count:
            lines.append(f"- reopened {s.reopen_count}×")
        return "\n".join(lines)


def _explain(err: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in err.errors()
        )
    return str(err)
