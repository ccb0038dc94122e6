"""ComplaintWorkflow: the Temporal story of one complaint, from intake to the end of its review
window. The rules are the pure case's (`domain.case.Complaint`); this class is its shell.

The story: the policy the case runs under is loaded (a local activity, so it is recorded in
history and a later calendar never changes a running case); the case is accepted and recorded
in the ledger, which queues the customer's acknowledgement in the same transaction; then the
case waits for its next alarm or for a person's decision. Decisions arrive as actions, signals
from the Web UI or updates from the HTTP API, and all take one path into the case. Each change
is recorded in the ledger and shown in the Web UI (search attributes, details). A case that
lives long continues as new, carrying its snapshot, before its history grows large.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    # Not `from workflows import ...`: that loads a submodule of the sandboxed `workflows`
    # package around the sandbox's import hook, so afresh for every case, not passed through.
    import workflows.contract as contract
    import workflows.visibility as visibility
    from activities.ledger import LedgerActivities
    from activities.policy import PolicyActivities, PolicyRequest
    from domain import versions
    from domain.actions import ACTION_MODELS, Action
    from domain.case import LEGACY_RULES, RULES, CaseSnapshot, Complaint, Refused
    from domain.fields import NEW_INPUT
    from domain.identity import VerifiedIdentity
    from domain.intake import ComplaintIntake
    from domain.notice_models import Notification
    from domain.projection import LedgerProjection
    from domain.replies import ActionRefused, Registration
    from domain.sla import HandlingPolicy
    from domain.state import ComplaintState
    from domain.versions import Behaviour
    from infra.codec import IDENTITY
    from infra.masking import mask_text

REFUSED = "ActionRefused"

# Patches: a case keeps the way it started, so its history replays (docs/architecture.md:
# Versions). notices-in-ledger-outbox is deprecated (the SDK patching sample's stage 3):
# the one-activity-per-notice branch is gone; the call goes once no case started before this
# release can run (tests/integration/test_replay.py proves that removal replays).
NOTICES_IN_LEDGER_OUTBOX = "notices-in-ledger-outbox"
CASE_RULES_2 = "case-rules-2"  # domain.case rules 2, continue-as-new
CASE_RULES_3 = "case-rules-3"  # domain.case rules 3: bank channel, crisis in full, policy as data
CASE_RULES_4 = "case-rules-4"  # domain.case rules 4: a re-planned stage clock keeps its breach
CASE_RULES_5 = "case-rules-5"  # domain.case rules 5: daily calendar check, input rules

CARRIED_TIMELINE = 50  # entries a continued run keeps for the `state` query (the ledger: all)


def _signal_of(name: str) -> Callable[..., Awaitable[None]]:
    """The signal of one action: it takes the same path as the action's update."""

    # `self` unannotated: the SDK reads the handler's parameter types from its hints.
    async def handler(self, payload: RawValue) -> None:  # type: ignore[no-untyped-def]
        await self._signal(name, payload)

    handler.__name__ = handler.__qualname__ = name
    return workflow.signal(name=name, description=contract.ACTION_SIGNALS[name])(handler)


W = TypeVar("W")


def _with_action_signals(cls: type[W]) -> type[W]:
    """One signal per action the Web UI lists (`contract.ACTION_SIGNALS`, from the actions'
    definitions), for the Web UI and fire-and-forget callers: set on the class before
    `workflow.defn` reads it."""
    for name in contract.ACTION_SIGNALS:
        setattr(cls, name, _signal_of(name))
    return cls


@workflow.defn(name=contract.WORKFLOW_TYPE)
@_with_action_signals
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, start: ComplaintIntake | CaseSnapshot) -> None:
        # A new case starts from its intake (the contract's input); a continued run, from the
        # snapshot its predecessor carried over.
        carried = start if isinstance(start, CaseSnapshot) else None
        self._intake = start.intake if isinstance(start, CaseSnapshot) else start
        self._case = Complaint.restore(carried) if carried else None
        self._ready = carried is not None  # actions wait until the case is accepted
        self._registered = carried is not None
        self._changed = False
        self._unsent: list[Notification] = []
        self._recording: asyncio.Task[None] | None = None
        self._alarm: asyncio.Task[None] | None = None  # rules 3: the timer of the next alarm
        self._alarm_at: datetime | None = None
        self._rules: int | None = carried.rules if carried else None  # known before the case
        self._cancels_unnoted = 0  # rules 5: cancellation requests not on the timeline yet
        last_seq = carried.state.timeline[-1].seq if carried and carried.state.timeline else 0
        self._ledger = LedgerProjection(recorded_seq=last_seq)
        self._search_attributes = visibility.current(workflow.info().typed_search_attributes)

    @property
    def case(self) -> Complaint:
        assert self._case is not None, "the case is accepted before anything reads it"
        return self._case

    # -----------------------------------------------------------------------------------------
    # The story

    @workflow.run
    async def run(self, start: ComplaintIntake | CaseSnapshot) -> ComplaintState:
        """The story; rules 5: a cancellation request interrupts it (the SDK cancels this task
        wherever it awaits) and it goes on from where it was, the request on the timeline."""
        while True:
            try:
                return await self._story()
            except (Exception, asyncio.CancelledError) as err:  # never an eviction's exit
                if not self._cancel_is_an_event(err):
                    raise
                self._cancels_unnoted += 1
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    task.uncancel()  # handled: later waits are not cancelled again

    def _cancel_is_an_event(self, err: BaseException) -> bool:
        """Rules 5: the case ends only through its own actions (docs/ending-a-case.md). Only
        a cancellation the server requested is taken so; an eviction's is not one."""
        return (
            is_cancelled_exception(err)
            and self._rules is not None
            and versions.has(self._rules, Behaviour.CANCEL_IS_AN_EVENT)
            and workflow.cancellation_reason() is not None
        )

    async def _story(self) -> ComplaintState:
        """Accepted and recorded, then the clocks watched until the case is finished; safe to
        enter again after an interruption (every step starts from what is already done)."""
        if self._case is None:
            await self._accept(self._intake)
        if not self._ready:
            await self._record()  # R-IN-2: one transaction puts the case and the notice in
            self._ready = True
        self._note_cancellations()
        while not self.case.finished(workflow.now()):
            if self._history_is_long():
                await self._continue_as_new()
            await self._refresh_provisional_calendar()
            await self._watch_clocks()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._record()
        return self.case.state

    async def _accept(self, intake: ComplaintIntake) -> None:
        """Grade the complaint, start its clocks and tell the customer (R-IN-2..4)."""
        rules = self._rules = _rules_of_this_release()
        outlet = intake.bank_outlet.outlet if intake.bank_outlet else None  # R-CR-9
        policy = await self._load_policy(intake.branch, outlet)
        workflow_id = workflow.info().workflow_id
        self._case = Complaint.accept(
            intake, policy, workflow.now(), workflow_id=workflow_id, rules=rules
        )
        self._publish()
        self._collect()

    def _note_cancellations(self) -> None:
        """Rules 5: each cancellation request on the timeline, the supervisor told; recorded in
        the ledger like any change (an interrupted ledger write is done again: `_publish`)."""
        if not self._cancels_unnoted:
            return
        for _ in range(self._cancels_unnoted):
            self.case.cancellation_requested(workflow.cancellation_reason(), workflow.now())
        self._cancels_unnoted = 0
        self._collect()
        self._changed = True
        self._publish()

    async def _load_policy(self, branch: str, outlet: str | None = None) -> HandlingPolicy:
        return await workflow.execute_local_activity_method(
            PolicyActivities.load_policy,
            PolicyRequest(branch=branch, year=workflow.now().year, outlet=outlet),
            start_to_close_timeout=timedelta(seconds=10),
        )

    async def _refresh_provisional_calendar(self) -> None:
        """R-SLA-3: once per provisional stage clock, ask whether its year is now published;
        rules 5 (R-SLA-11): also once a day while a running deadline is provisional."""
        if not self.case.calendar_check_due(workflow.now()):
            return
        fresh = await self._load_policy(self.case.state.branch)
        if self.case.calendar_checked(fresh, workflow.now()):
            self._publish()

    async def _watch_clocks(self) -> None:
        """Fire what is due, then wait for the next alarm or a change (the updatable timer)."""
        now = workflow.now()
        self.case.fire_due(now)
        self._collect()
        self._publish()
        if self.case.finished(now):
            return
        wake = self.case.next_wake()
        self._changed = False
        if versions.has(self.case.rules, Behaviour.ONE_TIMER_PER_ALARM):
            await self._wait_for_alarm(None if wake is None else wake.at, wake and wake.why, now)
            return
        with contextlib.suppress(TimeoutError):  # an alarm is due: the loop fires it
            await workflow.wait_condition(
                lambda: self._changed,
                timeout=None if wake is None else max(wake.at - now, timedelta(0)),
                timeout_summary=None if wake is None else wake.why,
            )

    async def _wait_for_alarm(self, at: datetime | None, why: str | None, now: datetime) -> None:
        """Rules 3: one timer per alarm instant. An action that leaves the next alarm where it
        was (a reassignment, a request awaiting its decision, a close) keeps the running timer
        instead of cancelling it and starting an equal one: a timer started is a billed action
        on Temporal Cloud (bench/actions.py)."""
        if self._alarm is not None and (self._alarm.done() or self._alarm_at != at):
            self._alarm.cancel()
            self._alarm = None
        if self._alarm is None and at is not None:
            self._alarm = asyncio.create_task(
                workflow.sleep(max(at - now, timedelta(0)), summary=why)
            )
            self._alarm_at = at
        alarm = self._alarm
        await workflow.wait_condition(lambda: self._changed or (alarm is not None and alarm.done()))

    # -----------------------------------------------------------------------------------------
    # Bounded history: continue as new, carrying the case

    def _history_is_long(self) -> bool:
        if not versions.has(self.case.rules, Behaviour.CONTINUE_AS_NEW):
            return False  # cases started before continue-as-new replay without it
        # Continue before the policy's budget, leaving room for what ends a run (handlers
        # finishing, the last ledger record, the continue-as-new itself).
        budget = self.case.policy.history_budget
        info = workflow.info()
        return info.is_continue_as_new_suggested() or (
            info.get_current_history_length() >= budget - max(budget // 10, 50)
        )

    async def _continue_as_new(self) -> None:
        """Handlers finished and the ledger caught up, then on in a new run: no action lost
        (a signal that arrives meanwhile fails the switch and is handled first), no entry
        recorded twice (the new run records after the last entry recorded here)."""
        while not (workflow.all_handlers_finished() and not self._ledger.behind(self.case.state)):
            await workflow.wait_condition(workflow.all_handlers_finished)
            await self._record()
        snapshot = self.case.snapshot(keep_timeline=CARRIED_TIMELINE)
        snapshot.generation += 1
        workflow.continue_as_new(snapshot)

    # -----------------------------------------------------------------------------------------
    # Actions: every signal and update takes one path into the case

    @workflow.query(name=contract.STATE_QUERY)
    def state(self) -> ComplaintState:
        return self.case.state

    @workflow.update(name=contract.REGISTER_UPDATE)
    async def register(self) -> Registration:
        """The intake's update-with-start: the first caller learns it created the case."""
        await workflow.wait_condition(lambda: self._ready)
        created, self._registered = not self._registered, True
        state = self.case.state.model_copy(update={"timeline": [], "finished_clocks": []})
        return Registration(created=created, state=state)

    @workflow.update(dynamic=True)
    async def act(self, name: str, args: Sequence[RawValue]) -> ComplaintState:
        """Each action as an update (the HTTP API's way): the new state, or ActionRefused.

        The result is stored in history, so it carries only the timeline entries this action
        wrote (the full timeline is one `state` query away) and history stays linear in size.
        """
        try:
            await workflow.wait_condition(lambda: self._ready)
            last = self.case.state.timeline[-1].seq
            state = self._act(name, args[0] if args else None)
            written = [e for e in state.timeline if e.seq > last]
            return state.model_copy(update={"timeline": written, "finished_clocks": []})
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
        await workflow.wait_condition(lambda: self._ready)
        with contextlib.suppress(Refused):  # already in the timeline; a signal has nobody to answer
            self._act(name, payload)

    def _act(self, name: str, payload: RawValue | None) -> ComplaintState:
        try:
            action, sender = self._decode(name, payload)
            if not self.case.act(name, action, workflow.now(), sender):
                return self.case.state  # a repeated delivery of an accepted action: a no-op
        except Refused:
            self._changed = True
            raise
        self._collect()
        self._changed = True
        self._publish()
        return self.case.state

    def _decode(
        self, name: str, payload: RawValue | None
    ) -> tuple[Action, VerifiedIdentity | None]:
        """The action and who sent it: the identity sealed in the payload by the API or the
        codec server (infra/codec.py strips one from any payload that was not encrypted);
        rules 2 refuses a payload without one before reading it, and takes the actor and role
        from it when the payload leaves them out."""
        model = ACTION_MODELS.get(name)
        sender: VerifiedIdentity | None = None
        if model is None:
            reason = f"unknown action {mask_text(repr(name))}; known: {', '.join(ACTION_MODELS)}"
        elif payload is None:
            reason = "the action needs a JSON object payload"
        else:
            converter = workflow.payload_converter()
            raw = payload.payload.metadata.get(IDENTITY)
            sender = VerifiedIdentity.from_json(raw) if raw else None
            try:
                if not versions.has(self.case.rules, Behaviour.VERIFIED_IDENTITY):
                    # as rules 1 always read it
                    return converter.from_payload(payload.payload, model), None
                data = converter.from_payload(payload.payload, dict[str, Any])
                if sender is None:
                    raise self.case.unverified(
                        name, str(data.get("actor", "unknown")), workflow.now()
                    )
                data.setdefault("actor", sender.actor)
                data.setdefault("role", sender.primary_role().value)
                strict = versions.has(self.case.rules, Behaviour.ACTION_INPUT_RULES)
                return model.model_validate(data, context=NEW_INPUT if strict else None), sender
            except Refused:
                raise
            except Exception as err:  # a person typed it in the UI: say what is wrong
                reason = f"invalid payload: {_explain(err)}"
        who = "unknown"
        if sender is not None and versions.has(self.case.rules, Behaviour.REFUSAL_NAMES_SENDER):
            # a name PostgreSQL text cannot hold (NUL) stays "unknown"; the ledger keeps up
            who = sender.actor if sender.actor.isprintable() else who
        raise self.case.refuse(name, who, reason, workflow.now())

    # -----------------------------------------------------------------------------------------
    # Recording, notices and what the Web UI shows

    def _collect(self) -> None:
        """The case's new notices go into the next ledger record: its outbox (R-IN-2)."""
        self._unsent += self.case.take_notices()

    def _publish(self) -> None:
        """Keep the search attributes and the Web UI's details current (diffs only)."""
        state, rules = self.case.state, self.case.rules
        values = visibility.values(state, rules=rules)
        changed = {k: v for k, v in values.items() if self._search_attributes.get(k, ...) != v}
        if changed:
            workflow.upsert_search_attributes(visibility.updates(changed))
            self._search_attributes.update(changed)
        # Not a command: the text may change from release to release and still replay.
        zone, wid = self.case.policy.calendar.zone, workflow.info().workflow_id
        workflow.set_current_details(
            visibility.details(state, zone=zone, rules=rules, workflow_id=wid)
        )
        if self._ready and (self._recording is None or self._recording.done()):
            self._recording = asyncio.create_task(self._record())

    async def _record(self) -> None:
        """Project the case into the ledger: what changed since the last record.

        A local activity: a short idempotent write, retried with backoff while PostgreSQL is
        away; one runs at a time, and it loops until the ledger has caught up. Retries that
        wait longer than a second go through a workflow timer, so an outage never holds the
        workflow task (and with it the answers to updates and queries).
        """
        if self._recording is not None and not self._recording.done():
            if asyncio.current_task() is not self._recording:
                await self._recording
        while self._ledger.behind(self.case.state):
            notices = list(self._unsent)
            info = workflow.info()
            # Later in the case's history, a later version: a retried task's record wins.
            version = self.case.generation * 1_000_000 + info.get_current_history_length()
            record = self._ledger.next_record(
                info.workflow_id, version, self._intake, self.case.state, notices
            )
            await workflow.execute_local_activity_method(
                LedgerActivities.record,
                record,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
                local_retry_threshold=timedelta(seconds=1),
            )
            self._ledger.recorded(record)
            del self._unsent[: len(notices)]


def _explain(err: Exception) -> str:
    """What is wrong with a payload, naming the field and never its value; a customer number
    in a field's name (an unknown key) or a message is masked (the timeline keeps this)."""
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        return "; ".join(
            mask_text(f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}")
            for e in err.errors()
        )
    return mask_text(str(err))


def _rules_of_this_release() -> int:
    """The newest rules this history allows: a case started by an older release keeps its own.

    The newest patch is asked first, so a new case records one marker only.
    """
    if workflow.patched(CASE_RULES_5):
        return RULES
    if workflow.patched(CASE_RULES_4):
        return 4
    if workflow.patched(CASE_RULES_3):
        # A case of rules 3 or later records no marker for the outbox patch's deprecation:
        # only cases started before it carry that patch, and every marker costs a
        # search-attribute upsert (TemporalChangeVersion), a billed action (bench/actions.py).
        return 3
    workflow.deprecate_patch(NOTICES_IN_LEDGER_OUTBOX)  # where older releases asked it: first
    return 2 if workflow.patched(CASE_RULES_2) else LEGACY_RULES
