"""AccountabilityCycleWorkflow: the monthly accountability cycle (R-AN-3, R-AN-5, R-AC-2).

On the 21st (a Temporal Schedule starts it) the period's cases (21st to 20th) are compiled
with proposed responsibility and penalties; the review group decides each item; a person
held responsible may appeal until the end of the 26th (a late appeal is refused with the
reason); once the appeal window has closed and every item and appeal is decided, the results
are published to the ledger and each person is told. People decide; the system proposes.

Who may send what (R-AC-3): a decision or an appeal's decision counts only from the
review group, an appeal only from the person concerned or a supervisor of their branch on
their behalf, each under an identity the system verified and sealed into the message
(domain/identity.py: the HTTP API, or the codec server for the Web UI and CLI). Cycles started
before this (patch `verified-identity`) take the message's word, as they did.

Sheets first (R-AC-3, patch `penalty-sheets-first`): once the review group has decided every
item, each person's penalty sheet goes to them and to their branch manager (the outbox), and
only then are appeals taken, each with evidence (R-IN-9 attachment ids), until the 26th; a
sheet that goes out after the 26th (a stalled month), or a cycle started outside the monthly
round with `appeal_working_days`, gets a window of working days from the branch's calendar
(R-AC-2). The review group may record the complaint staff's grounds that no fact shows
(R-AN-5) and decide a published reprimand besides money (R-AC-4). A cycle waits for its
decisions without a deadline: a stalled month stays decidable, and the next month's cycle
reports it. Cycles started before this patch run as they did (sheets after the window).

Outcomes and who learns them (R-AC-5, patch `results-to-hr-and-finance`): a decision carries
its outcomes (criticism and education, warning, fine, demotion, dismissal, published
reprimand); without them, the fine (a penalty above 0) and the reprimand it says. Once the
results are published, each branch's HR and finance departments, as the contacts directory
names them (domain/contacts.py: the branch's unit or the nearest above that names one), receive
that branch's results, person by person; a branch with none named is logged and the review
group told. The same results are exported by `GET /v1/accountability/{period}/results`.
Cycles started before the patch tell only the people.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, NoReturn

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from pydantic import Field, model_validator

    # Not `from workflows import ...`: that would load the module afresh for every run.
    import workflows.contract as contract
    from activities.accountability import (
        AccountabilityActivities,
        CompileRequest,
        CycleItem,
        EvidenceCheck,
        PublishRequest,
        ResultsRecipients,
    )
    from activities.notifications import NotificationActivities
    from activities.policy import PolicyActivities, PolicyRequest
    from domain.accountability import (
        APPEAL_WORKING_DAYS,
        OUTCOME_KINDS,
        OutcomeKind,
        StaffGround,
        appeal_until,
        appeal_window_end,
        period_bounds,
        period_of,
        staff_ground_item,
    )
    from domain.fields import Input
    from domain.identity import UNVERIFIED, VALID_FOR, VerifiedIdentity
    from domain.identity import refusal as identity_refusal
    from domain.notice_models import NoticeKind, Notification
    from domain.vocabulary import Role
    from infra.codec import IDENTITY

VERIFIED_IDENTITY = "verified-identity"  # patch: cycles started before it trust the payload
SHEETS_FIRST = "penalty-sheets-first"  # patch: R-AC-3 sheets before the appeal window
RESULTS_TO_HR_AND_FINANCE = "results-to-hr-and-finance"  # patch: R-AC-5
# patch: a seal counts only for the message it names (the codec server's must name one), as a
# case's actions from rules 5; cycles started before it accept a seal for any message.
SEAL_BINDS_MESSAGE = "seal-binds-message"


class CycleInput(Input):
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = None
    review_group: str = "review.group"
    # R-AC-2: a cycle outside the monthly round: its appeals close this many working days of
    # the branch's calendar after the sheets went out, not on the 26th.
    appeal_working_days: Annotated[int, Field(ge=1, le=30)] | None = None
    branch: str | None = None


class ItemRef(Input):
    actor: Annotated[str, Field(min_length=1, max_length=200)]
    complaint_id: str
    person: str
    responsibility: str
    note: str | None = None


class Decide(ItemRef):
    penalty: Annotated[int, Field(ge=0, le=10_000)]
    reprimand: bool = False  # R-AC-4: a published reprimand (通报批评)
    # R-AC-5: the outcomes decided; a fine exactly when the penalty is above 0.
    outcomes: Annotated[list[OutcomeKind], Field(max_length=6)] | None = None

    @model_validator(mode="after")
    def _fine_is_the_penalty(self) -> Decide:
        if self.outcomes is not None and ("fine" in self.outcomes) != (self.penalty > 0):
            raise ValueError("R-AC-5: outcomes carry fine exactly when penalty is above 0")
        return self

    def decided_outcomes(self) -> list[OutcomeKind]:
        """The outcomes decided, in the order of OUTCOME_KINDS."""
        given = set(self.outcomes or [])
        if self.outcomes is None:
            given |= {"fine"} if self.penalty else set()
        if self.reprimand:
            given.add("published_reprimand")
        return [k for k in OUTCOME_KINDS if k in given]


class Appeal(ItemRef):
    reason: Annotated[str, Field(min_length=1, max_length=4000)]
    # R-IN-9: attachment ids (the attachments table checks they exist; see docs/http-api.md)
    evidence: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )


class RecordGround(ItemRef):
    """R-AN-5: a complaint-staff ground no fact shows (poor attitude, exceeding authority),
    recorded by the review group before the sheets go out."""

    responsibility: str = "complaint_staff"
    ground: StaffGround


class DecideAppeal(ItemRef):
    upheld: bool
    penalty: Annotated[int, Field(ge=0, le=10_000)] | None = None


class CycleState(Input):
    period: str
    starts_on: date
    ends_on: date
    appeal_until: datetime
    items: list[CycleItem] = Field(default_factory=list)
    log: list[str] = Field(default_factory=list)
    published: bool = False
    sheets_sent_at: datetime | None = None  # R-AC-3
    open_periods: list[str] = Field(default_factory=list)  # stalled earlier months, reported


MESSAGES: dict[str, type[ItemRef]] = {
    "decide": Decide,
    "appeal": Appeal,
    "decide_appeal": DecideAppeal,
    "record_ground": RecordGround,
}


class Refused(Exception):
    """An action the cycle refused; already written to the cycle's log."""


@workflow.defn(name=contract.CYCLE_WORKFLOW_TYPE)
class AccountabilityCycleWorkflow:
    def __init__(self) -> None:
        self._state: CycleState | None = None
        self._changed = False
        self._notices = 0
        self._verified = False
        self._nonces: dict[str, datetime] = {}
        self._seal_binds = False

    @workflow.run
    async def run(self, cycle: CycleInput) -> CycleState:
        self._verified = workflow.patched(VERIFIED_IDENTITY)
        self._sheets_first = workflow.patched(SHEETS_FIRST)
        self._seal_binds = workflow.patched(SEAL_BINDS_MESSAGE)
        period = cycle.period or period_of(workflow.now())
        starts, ends = period_bounds(period)
        until = appeal_until(period)
        proposals = await workflow.execute_activity_method(
            AccountabilityActivities.compile,
            CompileRequest(period=period, starts_on=starts, ends_on=ends, appeal_until=until),
            start_to_close_timeout=timedelta(minutes=5),
        )
        open_periods: list[str] = []
        if self._sheets_first:  # stalled earlier months, reported (each stays decidable)
            open_periods = await workflow.execute_activity_method(
                AccountabilityActivities.open_cycles,
                period,
                start_to_close_timeout=timedelta(minutes=1),
            )
        self._state = state = CycleState(
            period=period,
            starts_on=starts,
            ends_on=ends,
            appeal_until=until,
            items=[CycleItem.model_validate(p.model_dump()) for p in proposals],
            open_periods=open_periods,
        )
        opened = f" Still open: {', '.join(open_periods)}." if open_periods else ""
        await self._notify(
            cycle.review_group,
            "supervisor",
            f"Accountability {period}: {len(proposals)} proposals",
            f"Cases of {starts} to {ends} are compiled; appeals close at {until.isoformat()}."
            + opened,
        )
        if self._sheets_first:
            await self._sheets(cycle)
            until = state.appeal_until
        while not (workflow.now() >= until and self._settled()):
            self._changed = False
            wait = until - workflow.now() if workflow.now() < until else None
            with contextlib.suppress(TimeoutError):  # the window closed
                await workflow.wait_condition(
                    lambda: self._changed, timeout=wait, timeout_summary="appeal window closes"
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        await workflow.execute_activity_method(
            AccountabilityActivities.publish,
            PublishRequest(period=period, items=state.items),
            start_to_close_timeout=timedelta(minutes=5),
        )
        state.published = True
        if workflow.patched(RESULTS_TO_HR_AND_FINANCE):
            await self._results_to_hr_and_finance(cycle)
        for person in sorted({i.person for i in state.items}):
            mine = [i for i in state.items if i.person == person]
            total = sum(i.decided_penalty or 0 for i in mine)
            reprimand = " and a published reprimand" if any(i.reprimand for i in mine) else ""
            await self._notify(
                person,
                "owner",
                f"Accountability {period}: final result",
                f"{len(mine)} item(s), penalties {total} yuan in all{reprimand}. "
                "Details in the ledger.",
            )
        return state

    async def _sheets(self, cycle: CycleInput) -> None:
        """R-AC-3: wait (without a deadline) for the review group's initial decision on every
        item, then send each person's sheet to them and their branch manager; then the
        appeal window opens (R-AC-2 for a late sheet or an off-cycle round)."""
        state = self._state
        assert state is not None
        await workflow.wait_condition(
            lambda: all(i.decided_penalty is not None for i in state.items),
            timeout_summary="the review group's initial decisions",
        )
        now = workflow.now()
        if cycle.appeal_working_days is not None or now >= state.appeal_until:
            policy = await workflow.execute_local_activity_method(
                PolicyActivities.load_policy,
                PolicyRequest(branch=cycle.branch or "*", year=now.year),
                start_to_close_timeout=timedelta(seconds=10),
            )
            days = cycle.appeal_working_days or APPEAL_WORKING_DAYS
            state.appeal_until = appeal_window_end(policy.calendar, now, days)
            state.log.append(
                f"{now.isoformat()} appeals close {state.appeal_until.isoformat()}:"
                f" {days} working days of {policy.calendar.name} (R-AC-2)"
            )
        state.sheets_sent_at = now
        for person in sorted({i.person for i in state.items}):
            mine = [i for i in state.items if i.person == person]
            lines = "; ".join(
                f"{i.complaint_id} {i.responsibility}: {i.decided_penalty} yuan" + _besides_money(i)
                for i in mine
            )
            body = f"{lines}. Appeal with evidence until {state.appeal_until.isoformat()} (R-AC-3)."
            for i in mine:
                i.sheet_sent_at = now
            await self._notify(
                person, "owner", f"Accountability {state.period}: penalty sheet", body
            )
            for manager in sorted({i.manager for i in mine if i.manager and i.manager != person}):
                await self._notify(
                    manager,
                    "supervisor",
                    f"Accountability {state.period}: penalty sheet of {person}",
                    body,
                )
        state.log.append(f"{now.isoformat()} penalty sheets sent (R-AC-3)")

    async def _results_to_hr_and_finance(self, cycle: CycleInput) -> None:
        """R-AC-5 (S3 (四)): the final results go to the branch's HR and finance departments:
        each branch's results to the people the contacts directory names for them (no one is
        named in code). A branch whose chain names neither is logged, and the review group told;
        the export (`GET /v1/accountability/{period}/results`) has them all the same."""
        state = self._state
        assert state is not None
        branches = {i.branch for i in state.items if i.branch} | (
            {cycle.branch} if cycle.branch else set()
        )
        found: list[ResultsRecipients] = await workflow.execute_activity_method(
            AccountabilityActivities.results_recipients,
            sorted(branches),
            start_to_close_timeout=timedelta(minutes=1),
        )
        missing: list[str] = []
        for branch in found:
            mine = [i for i in state.items if i.branch == branch.branch]
            body = _results(mine)
            for role, people in (("hr", branch.hr), ("finance", branch.finance)):
                if not people:
                    missing.append(f"{role} of {branch.branch}")
                for person in people:
                    await self._notify(
                        person,
                        role,
                        f"Accountability {state.period}: final results of {branch.branch}",
                        body,
                        kind=NoticeKind.ACCOUNTABILITY_RESULTS,
                    )
        unplaced = sorted({i.complaint_id for i in state.items if not i.branch})
        if unplaced:
            missing.append(f"the branch of {', '.join(unplaced)}")
        if missing:
            now = workflow.now().isoformat()
            what = "; ".join(missing)
            state.log.append(f"{now} R-AC-5: the contacts directory names no recipient for {what}")
            await self._notify(
                cycle.review_group,
                "supervisor",
                f"Accountability {state.period}: results not sent to HR or finance",
                f"The contacts directory names no recipient for {what} (R-AC-5): enter them "
                "(PUT /v1/contacts/{unit}, hr and finance) and send the export "
                f"GET /v1/accountability/{state.period}/results.",
            )

    def _settled(self) -> bool:
        assert self._state is not None
        return all(
            i.decided_penalty is not None and (i.appeal is None or i.appeal_decision is not None)
            for i in self._state.items
        )

    @workflow.query(name=contract.CYCLE_STATE_QUERY)
    def state(self) -> CycleState | None:
        return self._state

    # Decisions and appeals: signals (Web UI, CLI) and updates (callers that want an answer),
    # through one gate. A refused message is logged on the cycle with its reason.

    @workflow.signal(dynamic=True)
    async def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        with contextlib.suppress(Refused):  # already logged; a signal has nobody to answer
            await self._receive(name, args[0] if args else None)

    @workflow.update(dynamic=True)
    async def on_update(self, name: str, args: Sequence[RawValue]) -> CycleState:
        try:
            return await self._receive(name, args[0] if args else None)
        except Refused as refused:
            raise ApplicationError(str(refused), type="ActionRefused", non_retryable=True) from None

    async def _receive(self, name: str, raw: RawValue | None) -> CycleState:
        await workflow.wait_condition(lambda: self._state is not None)
        state = self._state
        assert state is not None
        model = MESSAGES.get(name)
        sender: VerifiedIdentity | None = None
        try:
            if model is None or raw is None:
                raise ValueError(f"unknown message {name!r}; known: {', '.join(MESSAGES)}")
            if not self._verified:
                message = workflow.payload_converter().from_payload(raw.payload, model)
            else:
                sealed = raw.payload.metadata.get(IDENTITY)
                sender = VerifiedIdentity.from_json(sealed) if sealed else None
                data = workflow.payload_converter().from_payload(raw.payload, dict[str, Any])
                if sender is not None:
                    data.setdefault("actor", sender.actor)
                message = model.model_validate(data)
        except Exception as err:
            self._refuse(f"{name}: invalid: {err}")
        if self._verified:
            self._check_sender(name, message, sender)
        if isinstance(message, RecordGround):
            return self._record_ground(message, sender)
        item = next(
            (
                i
                for i in state.items
                if (i.complaint_id, i.person, i.responsibility)
                == (message.complaint_id, message.person, message.responsibility)
            ),
            None,
        )
        if item is None:
            self._refuse(f"{name} by {message.actor}: no such item")
        if state.published:
            self._refuse(f"{name} by {message.actor}: results are published")
        if self._verified and sender is not None:
            self._check_authority(name, message, item, sender)
        now = workflow.now()
        if isinstance(message, Decide):
            item.decided_penalty, item.decided_by = message.penalty, message.actor
            if self._sheets_first:
                item.decided_outcomes = message.decided_outcomes()
                item.reprimand = "published_reprimand" in item.decided_outcomes
        elif isinstance(message, Appeal):
            if self._sheets_first and state.sheets_sent_at is None:
                self._refuse(
                    f"appeal by {message.actor} on {item.complaint_id}: the penalty "
                    "sheet has not gone out yet (R-AC-3)"
                )
            if self._sheets_first and not message.evidence:
                self._refuse(
                    f"appeal by {message.actor} on {item.complaint_id}: an appeal carries "
                    "evidence, one attachment id at least (R-AC-3, R-IN-9)"
                )
            if now >= state.appeal_until:
                self._refuse(
                    f"appeal by {message.actor} on {item.complaint_id}: appeals closed at "
                    f"{state.appeal_until.isoformat()} (R-AN-3)"
                )
            if item.appeal is not None:
                self._refuse(f"appeal by {message.actor}: already appealed")
            if self._sheets_first:
                await self._check_evidence(message, item.complaint_id)
                if item.appeal is not None:  # another was taken while the ledger answered
                    self._refuse(f"appeal by {message.actor}: already appealed")
            item.appeal = message.reason
            if self._sheets_first:
                item.appeal_by, item.appeal_evidence = message.actor, list(message.evidence)
        elif isinstance(message, DecideAppeal):
            if item.appeal is None or item.appeal_decision is not None:
                self._refuse(f"decide_appeal by {message.actor}: no open appeal")
            item.appeal_decision = "upheld" if message.upheld else "rejected"
            if message.upheld and message.penalty is not None:
                item.decided_penalty, item.decided_by = message.penalty, message.actor
                fine: list[OutcomeKind] = ["fine"] if message.penalty else []
                item.decided_outcomes = fine + [k for k in item.decided_outcomes if k != "fine"]
        state.log.append(f"{now.isoformat()} {name} by {message.actor} on {item.complaint_id}")
        self._changed = True
        return state

    async def _check_evidence(self, appeal: Appeal, complaint_id: str) -> None:
        """R-IN-9: every attachment id is evidence uploaded for this cycle's appeal on the
        complaint (the ledger knows; the workflow asks it through a local activity)."""
        cycle_id = workflow.info().workflow_id
        missing = await workflow.execute_local_activity_method(
            AccountabilityActivities.missing_evidence,
            EvidenceCheck(cycle_id=cycle_id, complaint_id=complaint_id, evidence=appeal.evidence),
            start_to_close_timeout=timedelta(seconds=10),
        )
        if missing:
            self._refuse(
                f"appeal by {appeal.actor} on {complaint_id}: not evidence of an appeal in "
                f"{cycle_id} on this complaint: {', '.join(missing)} (R-IN-9)"
            )

    def _record_ground(self, message: RecordGround, sender: VerifiedIdentity | None) -> CycleState:
        """R-AN-5: the review group records a ground no fact shows; a complaint-staff item is
        added (or the case's one gains the reason) before the sheets go out."""
        state = self._state
        assert state is not None
        who = f"record_ground by {message.actor}"
        if not self._sheets_first:
            self._refuse(f"{who}: not in a cycle started before sheets-first")
        if sender is None or not sender.holds(Role.REVIEW_GROUP):
            self._refuse(f"{who}: R-AC-3: only the review group decides")
        if state.sheets_sent_at is not None or state.published:
            self._refuse(f"{who}: the penalty sheets have gone out")
        case = next((i for i in state.items if i.complaint_id == message.complaint_id), None)
        if case is None:
            self._refuse(f"{who}: {message.complaint_id} is not in this period")
        reason = f"{message.ground.replace('_', ' ')} (recorded by {message.actor})"
        low, high = staff_ground_item(message.ground)
        key = (message.complaint_id, message.person, "complaint_staff")
        item = next(
            (i for i in state.items if (i.complaint_id, i.person, i.responsibility) == key), None
        )
        if item is None:
            state.items.append(
                CycleItem(
                    complaint_id=message.complaint_id,
                    branch=case.branch,
                    manager=case.manager,
                    person=message.person,
                    responsibility="complaint_staff",
                    reasons=[reason],
                    minimum=low,
                    maximum=high,
                )
            )
        elif reason not in item.reasons:
            item.reasons.append(reason)
            item.maximum = high
        state.log.append(
            f"{workflow.now().isoformat()} record_ground by {message.actor} on "
            f"{message.complaint_id}: {message.ground}"
        )
        self._changed = True
        return state

    def _check_sender(self, name: str, message: ItemRef, sender: VerifiedIdentity | None) -> None:
        """The message counts only under a verified identity, for this cycle, used once."""
        now = workflow.now()
        self._nonces = {n: at for n, at in self._nonces.items() if at >= now - VALID_FOR}
        if sender is None:
            self._refuse(f"{name} by {message.actor}: {UNVERIFIED}")
        reason = identity_refusal(
            sender,
            workflow_id=workflow.info().workflow_id,
            now=now,
            used=self._nonces,
            actor=message.actor,
            action=name if self._seal_binds else None,
        )
        self._nonces.setdefault(sender.nonce, sender.issued_at)
        if reason is not None:
            self._refuse(f"{name} by {message.actor}: {reason}")

    def _check_authority(
        self, name: str, message: ItemRef, item: CycleItem, sender: VerifiedIdentity
    ) -> None:
        """R-AN-3, R-AC-3: the review group decides; the person concerned appeals, or a
        supervisor of their branch on their behalf."""
        if isinstance(message, Decide | DecideAppeal) and not sender.holds(Role.REVIEW_GROUP):
            self._refuse(f"{name} by {sender.actor}: R-AC-3: only the review group decides")
        if isinstance(message, Appeal) and sender.actor != item.person:
            leader = sender.holds(Role.SUPERVISOR, Role.SENIOR_MANAGER)
            if not (leader and item.branch is not None and sender.covers(item.branch)):
                self._refuse(
                    f"appeal by {sender.actor} on {item.complaint_id}: R-AC-3: an appeal comes "
                    f"from {item.person}, or from a supervisor of their branch on their behalf"
                )

    def _refuse(self, reason: str) -> NoReturn:
        assert self._state is not None
        self._state.log.append(f"{workflow.now().isoformat()} REFUSED {reason}")
        self._changed = True
        raise Refused(reason)

    async def _notify(
        self,
        recipient: str,
        role: Any,
        subject: str,
        body: str,
        kind: NoticeKind = NoticeKind.ACCOUNTABILITY,
    ) -> None:
        assert self._state is not None or subject
        self._notices += 1
        period = self._state.period if self._state else "cycle"
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(
                key=f"{workflow.info().workflow_id}:n{self._notices}",
                complaint_id=f"accountability-{period}",
                kind=kind,  # not an SLA escalation (R-SLA-4)
                recipient_role=role,
                recipient=recipient,
                channels=["email"],
                subject=subject,
                body=body,
            ),
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=5),
        )


def _results(items: list[CycleItem]) -> str:
    """R-AC-5: the final results, person by person, as HR and finance read them."""
    lines = [
        f"{i.person}: {i.complaint_id} {i.responsibility}, "
        + ", ".join(k.replace("_", " ") for k in i.decided_outcomes or _money(i))
        + (f" ({i.decided_penalty} yuan)" if i.decided_penalty else "")
        for i in sorted(items, key=lambda i: (i.person, i.complaint_id))
    ]
    return "\n".join(lines) or "No one is held responsible this period."


def _money(item: CycleItem) -> list[OutcomeKind]:
    """An item decided before outcomes were: its fine and reprimand."""
    fine: list[OutcomeKind] = ["fine"] if item.decided_penalty else []
    return fine + (["published_reprimand"] if item.reprimand else [])


def _besides_money(item: CycleItem) -> str:
    """R-AC-4, R-AC-5: the outcomes decided besides the fine, as the sheet words them."""
    others = [k for k in item.decided_outcomes or _money(item) if k != "fine"]
    if others == ["published_reprimand"]:
        return " and a published reprimand"  # as sheets said before outcomes were listed
    return "".join(f" and {k.replace('_', ' ')}" for k in others)


@workflow.defn(name=contract.CYCLE_STARTER_WORKFLOW_TYPE)
class AccountabilityMonthStarter:
    """What the schedule starts on the 21st: the month's cycle under its predictable id
    `accountability-<period>` (the docs' commands find it), left running on its own
    (ABANDON). A cycle of that month already started (by hand) is left as it is. Each month
    is its own run: a stalled month never blocks the next (the schedule allows overlaps)."""

    @workflow.run
    async def run(self, cycle: CycleInput) -> str:
        period = cycle.period or period_of(workflow.now())
        cycle_id = contract.cycle_workflow_id(period)
        try:
            await workflow.start_child_workflow(
                contract.CYCLE_WORKFLOW_TYPE,
                cycle.model_copy(update={"period": period}),
                id=cycle_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("cycle already started", extra={"cycle": cycle_id})
        return cycle_id
