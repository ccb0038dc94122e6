"""What the case asks the notifier to send: each notice numbered for the case (its idempotency
key), announced on the timeline, and collected until the workflow records it in the ledger's
outbox (R-IN-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import notices
from domain.intake import ComplaintIntake
from domain.notice_models import (
    CustomerTemplate,
    CustomerWords,
    NoticeKind,
    Notification,
    Recipient,
)
from domain.state import ComplaintState
from domain.timeline import Timeline


class Outbox:
    """The notices one case produced and has not handed over yet."""

    def __init__(
        self,
        workflow_id: str,
        intake: ComplaintIntake,
        state: ComplaintState,
        timeline: Timeline,
        *,
        seq: int,
        pending: list[Notification],
    ) -> None:
        self._workflow_id = workflow_id
        self._intake = intake
        self._state = state
        self._timeline = timeline
        self.seq = seq  # notices numbered so far
        self.pending = list(pending)

    def take(self) -> list[Notification]:
        """The notices produced since the last call, in order (the caller sends them)."""
        taken, self.pending = self.pending, []
        return taken

    def notify(
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
        self.seq += 1
        subject, body = words
        self.pending.append(
            Notification(
                key=f"{self._workflow_id}:n{self.seq}",
                complaint_id=self._state.complaint_id,
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
        self._timeline.write("notice", "system", f"{kind.value} to {role}: {subject}", now)

    def tell_customer(
        self, words: notices.Words, now: datetime, told: CustomerWords, *, clock: str | None = None
    ) -> None:
        self.notify(
            NoticeKind.CUSTOMER_NOTICE,
            "customer",
            self._intake.customer.phone,
            ["sms"],
            words,
            now,
            clock=clock,
            told=told,
        )

    def words(self, template: CustomerTemplate, **facts: Any) -> CustomerWords:
        """R-CU-1: what the customer is told, as facts the relay words in their language when
        it sends the notice (`words` is the case's own record of it, as before)."""
        return CustomerWords(
            template=template,
            language=self._intake.customer.language,
            complaint_id=self._state.complaint_id,
            **facts,
        )
