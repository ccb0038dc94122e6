"""AccountabilityCycleWorkflow: the monthly accountability cycle (R-AN-3, R-AN-5, R-AC-2).

On the 21st (a Temporal Schedule starts it) the period's cases (21st to 20th) are compiled
with proposed responsibility and penalties; the review group decides each item; a person
held responsible may appeal until the end of the 26th (a late appeal is refused with the
reason); once the appeal window has closed and every item and appeal is decided, the results
are published to the ledger and each person is told. People decide; the system proposes.

Who may send what (R-AC-3; issue 12): a decision or an appeal's decision counts only from the
review group, an appeal only from the person concerned or a supervisor of their branch on
their behalf, each under an identity the system verified and sealed into the message
(domain/identity.py: the HTTP API, or the codec server for the Web UI and CLI). Cycles started
before this (patch `verified-identity`) take the message's word, as they did.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, NoReturn

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import Field

    # Not `from workflows import ...`: that would load the module afresh for every run.
    import workflows.contract as contract
    from activities.accountability import (
        AccountabilityActivities,
        CompileRequest,
        CycleItem,
        PublishRequest,
    )
    from activities.notifications import NotificationActivities
    from domain.accountability import appeal_until, period_bounds, period_of
    from domain.identity import UNVERIFIED, VALID_FOR, VerifiedIdentity
    from domain.identity import refusal as identity_refusal
    from domain.models import Model, NoticeKind, Notification, Role
    from infra.codec import IDENTITY

VERIFIED_IDENTITY = "verified-identity"  # patch: cycles started before it trust the payload


class CycleInput(Model):
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = None
    review_group: str = "review.group"


class ItemRef(Model):
    actor: Annotated[str, Field(min_length=1, max_length=200)]
    complaint_id: str
    person: str
    responsibility: str
    note: str | None = None


class Decide(ItemRef):
    penalty: Annotated[int, Field(ge=0, le=10_000)]


class Appeal(ItemRef):
    reason: Annotated[str, Field(min_length=1, max_length=4000)]


class DecideAppeal(ItemRef):
    upheld: bool
    penalty: Annotated[int, Field(ge=0, le=10_000)] | None = None


class CycleState(Model):
    period: str
    starts_on: date
    ends_on: date
    appeal_until: datetime
    items: list[CycleItem] = Field(default_factory=list)
    log: list[str] = Field(default_factory=list)
    published: bool = False


MESSAGES: dict[str, type[ItemRef]] = {
    "decide": Decide,
    "appeal": Appeal,
    "decide_appeal": DecideAppeal,
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

    @workflow.run
    async def run(self, cycle: CycleInput) -> CycleState:
        self._verified = workflow.patched(VERIFIED_IDENTITY)
        period = cycle.period or period_of(workflow.now())
        starts, ends = period_bounds(period)
        until = appeal_until(period)
        proposals = await workflow.execute_activity_method(
            AccountabilityActivities.compile,
            CompileRequest(period=period, starts_on=starts, ends_on=ends, appeal_until=until),
            start_to_close_timeout=timedelta(minutes=5),
        )
        self._state = state = CycleState(
            period=period, starts_on=starts, ends_on=ends, appeal_until=until,
            items=[CycleItem.model_validate(p.model_dump()) for p in proposals],
        )  # fmt: skip
        await self._notify(
            cycle.review_group,
            "supervisor",
            f"Accountability {period}: {len(proposals)} proposals",
            f"Cases of {starts} to {ends} are compiled; appeals close at {until.isoformat()}.",
        )
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
        for person in sorted({i.person for i in state.items}):
            mine = [i for i in state.items if i.person == person]
            total = sum(i.decided_penalty or 0 for i in mine)
            await self._notify(
                person, "owner", f"Accountability {period}: final result",
                f"{len(mine)} item(s), penalties {total} yuan in all. Details in the ledger.",
            )  # fmt: skip
        return state

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
        item = next(
            (i for i in state.items if (i.complaint_id, i.person, i.responsibility)
             == (message.complaint_id, message.person, message.responsibility)),
            None,
        )  # fmt: skip
        if item is None:
            self._refuse(f"{name} by {message.actor}: no such item")
        if state.published:
            self._refuse(f"{name} by {message.actor}: results are published")
        if self._verified and sender is not None:
            self._check_authority(name, message, item, sender)
        now = workflow.now()
        if isinstance(message, Decide):
            item.decided_penalty, item.decided_by = message.penalty, message.actor
        elif isinstance(message, Appeal):
            if now >= state.appeal_until:
                self._refuse(
                    f"appeal by {message.actor} on {item.complaint_id}: appeals closed at "
                    f"{state.appeal_until.isoformat()} (R-AN-3)"
                )
            if item.appeal is not None:
                self._refuse(f"appeal by {message.actor}: already appealed")
            item.appeal = message.reason
        elif isinstance(message, DecideAppeal):
            if item.appeal is None or item.appeal_decision is not None:
                self._refuse(f"decide_appeal by {message.actor}: no open appeal")
            item.appeal_decision = "upheld" if message.upheld else "rejected"
            if message.upheld and message.penalty is not None:
                item.decided_penalty, item.decided_by = message.penalty, message.actor
        state.log.append(f"{now.isoformat()} {name} by {message.actor} on {item.complaint_id}")
        self._changed = True
        return state

    def _check_sender(self, name: str, message: ItemRef, sender: VerifiedIdentity | None) -> None:
        """The message counts only under a verified identity, for this cycle, used once."""
        now = workflow.now()
        self._nonces = {n: at for n, at in self._nonces.items() if at >= now - VALID_FOR}
        if sender is None:
            self._refuse(f"{name} by {message.actor}: {UNVERIFIED}")
        reason = identity_refusal(sender, workflow_id=workflow.info().workflow_id, now=now,
                                  used=self._nonces, actor=message.actor)  # fmt: skip
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

    async def _notify(self, recipient: str, role: Any, subject: str, body: str) -> None:
        assert self._state is not None or subject
        self._notices += 1
        period = self._state.period if self._state else "cycle"
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(
                key=f"{workflow.info().workflow_id}:n{self._notices}",
                complaint_id=f"accountability-{period}",
                kind=NoticeKind.ACCOUNTABILITY,  # not an SLA escalation (R-SLA-4)
                recipient_role=role,
                recipient=recipient,
                channels=["email"],
                subject=subject,
                body=body,
            ),
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=5),
        )
