"""The notification outbox and its relay (notices/relay.py), on a real PostgreSQL.

Notices reach the outbox in the ledger's transaction; the relay delivers each row once,
retries a channel that is down, gives up on a permanent refusal, and several relays (one per
worker) never send the same row twice.
"""

from __future__ import annotations

import asyncio
import collections
from datetime import timedelta

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities
from domain.notice_models import NoticeKind, Notification
from ledger.outbox import WAKE_CHANNEL, enqueue
from notices.channels import DeliveryError, DeliveryStatus, PermanentDeliveryError
from notices.relay import OutboxRelay
from tests.harness import eventually


def notice(i: int, channels: list[str] | None = None) -> Notification:
    return Notification.model_validate(
        {
            "key": f"complaint-T1:n{i}",
            "complaint_id": "T1",
            "kind": NoticeKind.REMINDER,
            "recipient_role": "owner",
            "recipient": "li.na",
            "channels": channels or ["sms", "email"],
            "subject": "Overdue: contact",
            "body": f"reminder {i}",
            "clock": "stage:contact",
        }
    )


class CountingSender:
    def __init__(self, failures: dict[str, Exception] | None = None) -> None:
        self.calls: collections.Counter[tuple[str, str]] = collections.Counter()
        self._failures = dict(failures or {})

    async def deliver(self, n: Notification, channel: str) -> tuple[DeliveryStatus, str]:
        self.calls[(n.key, channel)] += 1
        await asyncio.sleep(0.001)  # a real send yields to the event loop
        if (failure := self._failures.pop(channel, None)) is not None:
            raise failure
        return "delivered", f"id-{n.key}-{channel}"


async def statuses(pool: asyncpg.Pool) -> dict[tuple[str, str], tuple[str, int]]:
    rows = await pool.fetch("SELECT notice_key, channel, status, attempts FROM notifications")
    return {(r["notice_key"], r["channel"]): (r["status"], r["attempts"]) for r in rows}


async def test_relay_delivers_each_row_once_and_retries_a_channel_that_is_down(
    pool: asyncpg.Pool,
) -> None:
    sender = CountingSender({"sms": DeliveryError("gateway 503", channel="sms")})
    relay = OutboxRelay(pool, sender, first_backoff=timedelta(milliseconds=50))
    async with relay.running():
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, [notice(1)])
        await put(pool, [notice(1)])  # a retried ledger write: a no-op

        async def delivered() -> bool:
            return all(s == "delivered" for s, _ in (await statuses(pool)).values())

        await eventually(delivered, what="both channels delivered")
    assert await statuses(pool) == {
        ("complaint-T1:n1", "email"): ("delivered", 1),
        ("complaint-T1:n1", "sms"): ("delivered", 2),  # failed once, then sent after backoff
    }
    assert sender.calls == {("complaint-T1:n1", "email"): 1, ("complaint-T1:n1", "sms"): 2}


async def test_relay_gives_up_on_a_permanent_refusal(pool: asyncpg.Pool) -> None:
    sender = CountingSender({"email": PermanentDeliveryError("no such user", channel="email")})
    async with OutboxRelay(pool, sender).running():
        await put(pool, [notice(1, ["email"])])

        async def settled() -> bool:
            return (await statuses(pool))[("complaint-T1:n1", "email")][0] != "pending"

        await eventually(settled, what="the refusal recorded")
    row = await pool.fetchrow("SELECT status, last_error FROM notifications")
    assert row is not None and dict(row) == {"status": "failed", "last_error": "no such user"}


async def test_a_notice_rolled_back_with_its_ledger_entry_is_never_sent(pool: asyncpg.Pool) -> None:
    """R-IN-2: the customer is told only what the ledger holds."""
    sender = CountingSender()
    async with OutboxRelay(pool, sender).running():
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            await enqueue(conn, [notice(1)])
            await tx.rollback()
        await put(pool, [notice(2, ["email"])])
        await eventually(lambda: _delivered(pool, "complaint-T1:n2"), what="the second notice")
    assert set(sender.calls) == {("complaint-T1:n2", "email")}


async def test_several_relays_never_send_the_same_row_twice(pool: asyncpg.Pool) -> None:
    sender = CountingSender()
    relays = [OutboxRelay(pool, sender, batch=7) for _ in range(3)]
    async with relays[0].running(), relays[1].running(), relays[2].running():
        await put(pool, [notice(i) for i in range(150)])

        async def all_recorded() -> bool:
            found = await statuses(pool)
            return len(found) == 300 and all(s == "delivered" for s, _ in found.values())

        # Once every row is recorded as delivered none is claimable again: the count is final.
        await eventually(all_recorded, what="300 rows delivered and recorded")
    assert len(sender.calls) == 300 and set(sender.calls.values()) == {1}


async def test_notify_activity_of_cases_started_before_the_outbox_only_enqueues(
    pool: asyncpg.Pool,
) -> None:
    await ActivityEnvironment().run(NotificationActivities(pool).notify, notice(1, ["email"]))
    await ActivityEnvironment().run(NotificationActivities(pool).notify, notice(1, ["email"]))
    assert await statuses(pool) == {("complaint-T1:n1", "email"): ("pending", 0)}


async def put(pool: asyncpg.Pool, notices: list[Notification]) -> None:
    async with pool.acquire() as conn:
        await enqueue(conn, notices)


async def _delivered(pool: asyncpg.Pool, key: str) -> bool:
    status = await pool.fetchval("SELECT status FROM notifications WHERE notice_key = $1", key)
    return bool(status == "delivered")


async def test_relays_are_woken_only_when_notices_were_queued(pool: asyncpg.Pool) -> None:
    """Every ledger record runs the outbox insert, mostly of no rows: those wake nobody."""
    woken: list[str] = []

    def wake(_conn: object, _pid: int, channel: str, _payload: object) -> None:
        woken.append(channel)

    async def heard() -> list[str]:
        return woken

    async with pool.acquire() as listener, pool.acquire() as conn:
        await listener.add_listener(WAKE_CHANNEL, wake)
        await enqueue(conn, [])
        await enqueue(conn, [notice(1)])
        await eventually(heard, what="the wake-up")
        await listener.execute("SELECT 1")  # whatever was sent before this has arrived now
        await listener.remove_listener(WAKE_CHANNEL, wake)
    assert woken == [WAKE_CHANNEL]


async def test_a_batch_in_flight_at_shutdown_is_finished_and_recorded(pool: asyncpg.Pool) -> None:
    """A worker stopped mid-send (a deploy) records what it sent, so nothing goes out twice."""
    sending, answered = asyncio.Event(), asyncio.Event()

    class SlowSender(CountingSender):
        async def deliver(self, n: Notification, channel: str) -> tuple[DeliveryStatus, str]:
            sending.set()
            await answered.wait()  # the gateway answers only once the relay is told to stop
            return await super().deliver(n, channel)

    sender = SlowSender()
    async with pool.acquire() as conn:
        await enqueue(conn, [notice(1)])
    async with OutboxRelay(pool, sender).running():
        await sending.wait()
        asyncio.get_running_loop().call_soon(answered.set)  # runs after the stop has begun
    assert await statuses(pool) == {
        ("complaint-T1:n1", "sms"): ("delivered", 1),
        ("complaint-T1:n1", "email"): ("delivered", 1),
    }
    assert set(sender.calls.values()) == {1}
