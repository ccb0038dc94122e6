"""The outbox relay: delivers the notices the ledger's outbox holds.

A notice is written to the `notifications` outbox in the same transaction as the ledger entry
that records it (`ledger.record`): a complaint is in the ledger before its customer is
told (R-IN-2), and no notice is sent for an entry the ledger does not have, or lost after it
was recorded. `OutboxRelay`, running in every worker process, claims the rows that are due
(`ledger.outbox`: `FOR UPDATE SKIP LOCKED`, so several workers never send the same row),
hands each to a `Sender` (the channel adapters of `notices.channels` in production, a log line
in dev), and retries transient failures with backoff for a day.

Why not one Temporal activity per notice (the first design): each cost about 15 ms of server
and worker CPU and 6 history events, i.e. billed actions, more than all the work a complaint
does to reach its first wait (bench/first_wait.py); the relay costs one small UPDATE.

A customer notice is worded here, just before it is handed over: in the customer's language,
from the template version in force when it was queued (`notices.templates`, R-CU-1).

Deliveries and failed attempts are counted per channel (`infra.metrics`: the worker's
`/metrics`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Protocol

import asyncpg
import structlog

from domain.notice_models import Notification
from infra import metrics
from ledger import outbox
from ledger import templates as saved_templates
from ledger.outbox import WAKE_CHANNEL, Due, Outcome
from notices.channels import DeliveryError, DeliveryStatus, PermanentDeliveryError
from notices.templates import TemplateVersion, Wording

log = structlog.get_logger("notifications")


class Sender(Protocol):
    """Delivers one notice on one channel: ("delivered", provider id) or ("skipped", reason).

    Raises `DeliveryError` to be retried later, `PermanentDeliveryError` to give up.
    """

    async def deliver(self, notice: Notification, channel: str) -> tuple[DeliveryStatus, str]: ...


class OutboxRelay:
    """Delivers what the outbox holds: woken by NOTIFY, and every `idle` for retries.

    After a wake-up it waits `gather` before it claims, so that a burst of commits (one per
    ledger record) is claimed and marked in one round instead of about one round per notice:
    at 80 new complaints a second, 9.8 acknowledgements per claim instead of 1.3, for at most
    `gather` more delay before a notice goes out.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        sender: Sender,
        *,
        batch: int = 50,
        lease: timedelta = timedelta(minutes=5),
        idle: timedelta = timedelta(seconds=2),
        gather: timedelta = timedelta(milliseconds=100),
        give_up_after: timedelta = timedelta(days=1),
        first_backoff: timedelta = timedelta(seconds=2),
        max_backoff: timedelta = timedelta(minutes=5),
        drain: timedelta = timedelta(seconds=10),
    ) -> None:
        self._pool = pool
        self._sender = sender
        self._batch = batch
        self._lease = lease  # a row claimed by a relay that died is retried after this
        self._idle = idle
        self._gather = gather
        self._give_up_after = give_up_after
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._drain = drain
        self._in_flight: asyncio.Task[int] | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._run(), name="outbox-relay")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self._finish_in_flight()

    async def _finish_in_flight(self) -> None:
        """On the way out, a batch already handed to the channels is finished and its outcomes
        recorded (for up to `drain`): cut off, it would be sent again once its lease ran out."""
        if self._in_flight is None or self._in_flight.done():
            return
        try:
            await asyncio.wait_for(self._in_flight, self._drain.total_seconds())
        except Exception as err:  # TimeoutError included: those rows go out again after the lease
            log.warning("outbox relay: batch in flight at shutdown not recorded", error=str(err))

    async def _run(self) -> None:
        while True:  # a relay that stopped silently would leave every notice unsent
            try:
                await self._listen_and_deliver()
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                log.warning("outbox relay: ledger unavailable, retrying", error=str(err))
            except Exception:
                log.exception("outbox relay failed, restarting")
            await asyncio.sleep(self._idle.total_seconds())

    async def _listen_and_deliver(self) -> None:
        wake = asyncio.Event()

        def woken(*_: object) -> None:
            wake.set()

        async with self._pool.acquire() as listener:
            await listener.add_listener(WAKE_CHANNEL, woken)
            try:
                while True:
                    wake.clear()  # before the query: a NOTIFY during it wakes the next wait
                    self._in_flight = asyncio.create_task(self.deliver_due())
                    if await asyncio.shield(self._in_flight) < self._batch:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wake.wait(), self._idle.total_seconds())
                        await asyncio.sleep(self._gather.total_seconds())
            finally:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(WAKE_CHANNEL, woken)

    async def deliver_due(self) -> int:
        """Claim up to a batch of due rows, deliver them side by side, record the outcomes in
        one statement; how many were due."""
        wording = Wording()
        async with self._pool.acquire() as conn:
            due = await outbox.claim(conn, self._batch, self._lease)
            if any(row.notice.words is not None for row in due):
                wording = Wording(map(TemplateVersion.from_row, await saved_templates.saved(conn)))
        if not due:
            return 0
        outcomes = await asyncio.gather(*(self._deliver(row, wording) for row in due))
        async with self._pool.acquire() as conn:
            await outbox.mark(conn, outcomes)
        return len(due)

    async def _deliver(self, row: Due, wording: Wording) -> Outcome:
        notice, channel = wording.word(row.notice, row.queued_at), row.channel
        backoff = min(self._first_backoff * 2 ** min(row.attempts - 1, 20), self._max_backoff)
        key = notice.key
        try:
            status, provider_id = await self._sender.deliver(notice, channel)
        except PermanentDeliveryError as err:
            metrics.DELIVERY_FAILURES.labels(channel=channel, outcome="failed").inc()
            return Outcome(key, channel, "failed", None, str(err), backoff)
        except Exception as err:  # a channel down, or a bug in an adapter: try again later
            if not isinstance(err, DeliveryError):
                log.exception("notice delivery raised", complaint_id=notice.complaint_id)
            gave_up = row.age >= self._give_up_after
            outcome = "failed" if gave_up else "retry"
            metrics.DELIVERY_FAILURES.labels(channel=channel, outcome=outcome).inc()
            return Outcome(
                key, channel, "failed" if gave_up else "pending", None, str(err), backoff
            )
        metrics.DELIVERIES.labels(channel=channel, status=status).inc()
        return Outcome(key, channel, status, provider_id, None, backoff)
