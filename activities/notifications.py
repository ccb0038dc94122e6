"""Notifications: one interface, sinks behind it. The default sink writes structured log events.

The workflow decides who is told what and when; an activity here only hands the notice to
the sink. Each notice carries an idempotency key, so a retried activity can be recognised.
"""

from __future__ import annotations

from typing import Protocol

import structlog
from temporalio import activity

from domain.models import Notification


class Notifier(Protocol):
    async def send(self, notice: Notification) -> None: ...


class LogNotifier:
    """Writes each notice as a structured event (customer numbers are masked by the logger)."""

    def __init__(self) -> None:
        self._log = structlog.get_logger("notifications")

    async def send(self, notice: Notification) -> None:
        self._log.info(
            "notification",
            complaint_id=notice.complaint_id,
            key=notice.key,
            kind=notice.kind.value,
            to=notice.recipient_role,
            recipient=notice.recipient,
            channels=notice.channels,
            subject=notice.subject,
            body=notice.body,
        )


class NotificationActivities:
    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    @activity.defn(name="notify")
    async def notify(self, notice: Notification) -> None:
        await self._notifier.send(notice)
