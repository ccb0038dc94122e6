"""Crash safety: a worker killed with SIGKILL mid-lifecycle, and PostgreSQL stopped during
one. The case finishes; the ledger has every event exactly once; nothing is sent twice
through the outbox."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from temporalio.client import WorkflowHandle

from domain.state import ComplaintState
from infra.config import PROJECT_ROOT
from infra.mailsink import MailSink
from infra.postgres import create_pool, embedded_server
from ledger.migrate import migrate
from tests.harness import Harness, RecordingNotifier, eventually
from tests.integration.test_ledger import ledger_timeline, workflow_timeline
from workers import build_worker

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}
STEP_TIMEOUT = 60  # seconds: each step that waits on the worker process
T = TypeVar("T")


@pytest.fixture
async def mail_sink(tmp_path: Path) -> AsyncIterator[MailSink]:
    sink = MailSink(tmp_path / "mail", port=0)
    sink.start()
    yield sink
    sink.stop()


async def start_worker_process(
    h: Harness, database: str, sink: MailSink
) -> asyncio.subprocess.Process:
    """The production worker (`python -m workers`) in its own process."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": h.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": h.client.namespace,
        "DATABASE_URL": database,
        "COMPLAINTS_TASK_QUEUE": h.task_queue,
        "COMPLAINTS_SMTP_HOST": "127.0.0.1",
        "COMPLAINTS_SMTP_PORT": str(sink.port),
        "COMPLAINTS_LOG_FORMAT": "json",
        # Any free port: never the 9400 of a developer's `make run` (the worker exits if taken).
        "COMPLAINTS_WORKER_HTTP_PORT": "0",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def while_running(process: asyncio.subprocess.Process, step: Awaitable[T]) -> T:
    """`step`, which needs the worker `process`: failed at once if the worker exits first, and
    bounded in any case (an update waits for a worker for ever)."""
    done, _ = await asyncio.wait(
        [waiting := asyncio.ensure_future(step), exited := asyncio.ensure_future(process.wait())],
        timeout=STEP_TIMEOUT,
        return_when=asyncio.FIRST_COMPLETED,
    )
    if waiting in done:
        exited.cancel()
        return waiting.result()
    waiting.cancel()
    if exited in done:
        raise AssertionError(f"the worker process exited ({process.returncode}) mid-step")
    exited.cancel()
    raise AssertionError(f"no answer within {STEP_TIMEOUT} s")


async def test_worker_killed_mid_lifecycle_case_finishes_ledger_exactly_once(
    bare_harness: Harness, database: str, mail_sink: MailSink
) -> None:
    h = bare_harness
    h.task_queue = f"crash-{uuid.uuid4().hex[:6]}"  # served only by the worker processes
    first = await start_worker_process(h, database, mail_sink)
    try:
        # A dead worker's workflow task is retried after the task timeout (10 s by default).
        handle = await h.start(task_timeout=timedelta(seconds=2))
        await while_running(first, h.act(handle, "record_contact"))
        await h.signal(handle, "submit_investigation", findings="f", proposed_resolution="r")
        first.send_signal(signal.SIGKILL)  # in the middle of handling that signal
        await asyncio.wait_for(first.wait(), STEP_TIMEOUT)
    finally:
        if first.returncode is None:
            first.kill()
    second = await start_worker_process(h, database, mail_sink)
    try:
        await while_running(second, h.act(handle, "decide_resolution", **SUPERVISOR, approved=True))
        accepts = h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
        await while_running(second, accepts)
        await while_running(second, h.act(handle, "close_case", result="paid"))
        await while_running(second, h.act(handle, "record_callback", satisfied=True))
        final: ComplaintState = await while_running(second, handle.result())
    finally:
        if second.returncode is None:
            second.terminate()
        try:
            await asyncio.wait_for(second.wait(), STEP_TIMEOUT)
        except TimeoutError:
            second.kill()
            await second.wait()
    assert final.outcome == "resolved"
    assert [e.action for e in final.timeline if e.kind == "action"] == [
        "record_contact",
        "submit_investigation",
        "decide_resolution",
        "record_customer_response",
        "close_case",
        "record_callback",
    ]
    assert await ledger_timeline(h.pool, final.complaint_id) == workflow_timeline(final)
    undelivered = await h.pool.fetch(
        "SELECT notice_key, channel, status FROM notifications"
        " WHERE channel = 'email' AND status <> 'delivered'"
    )
    assert not undelivered


async def test_postgres_outage_during_lifecycle_activities_retry_nothing_lost_or_doubled(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    server = await asyncio.to_thread(embedded_server, tmp_path)
    await migrate(server.dsn)
    pool = await create_pool(server.dsn, min_size=1, max_size=3)
    h.task_queue = f"outage-{uuid.uuid4().hex[:6]}"
    notifier = RecordingNotifier()
    worker = build_worker(
        h.client, pool=pool, task_queue=h.task_queue, sender=notifier, policy_source=h.policy
    )
    try:
        async with worker:
            handle: WorkflowHandle[Any, Any] = await h.start()
            await h.act(handle, "record_contact")
            await asyncio.to_thread(server.stop)  # PostgreSQL goes away ...
            investigate = (await h.state(handle)).clock("stage:investigate")
            assert investigate is not None
            later = (investigate.due_at + timedelta(days=1)).isoformat()
            await h.act(handle, "request_extension", new_due_at=later, reason="appraisal")
            await h.act(handle, "decide_extension", **SUPERVISOR, approved=True)  # customer told
            await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
            await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
            await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
            await h.act(handle, "close_case", result="paid")
            down = await ledger_count_or_none(server.dsn)
            assert down is None, "the ledger should be unreachable now"
            server = await asyncio.to_thread(embedded_server, tmp_path)  # ... and comes back
            state = await h.state(handle)

            async def caught_up() -> bool:
                return await ledger_timeline(pool, state.complaint_id) == workflow_timeline(state)

            await eventually(caught_up, what="the ledger catching up after the outage")
            await h.act(handle, "record_callback", satisfied=True)
            final: ComplaintState = await handle.result()

            async def all_sent() -> bool:
                pending = "SELECT count(*) FROM notifications WHERE status = 'pending'"
                return bool(await pool.fetchval(pending) == 0)

            # The relay lost its connection too; the notices of the outage go out once it is back
            # (its reconnect waits out an idle period; 60 s bounds it on a loaded 2-core CI run).
            await eventually(all_sent, what="every notice delivered after the outage", seconds=60)
        notices = [e for e in final.timeline if e.kind == "notice"]
        assert len(notifier.sent) == len(notices) and len(notices) >= 2
        assert await ledger_timeline(pool, final.complaint_id) == workflow_timeline(final)
        row = await pool.fetchrow("SELECT stage, outcome FROM complaints")
        assert row is not None and (row["stage"], row["outcome"]) == ("closed", "resolved")
    finally:
        await pool.close()
        server.stop()


async def ledger_count_or_none(dsn: str) -> int | None:
    try:
        conn = await asyncpg.connect(dsn, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        return int(await conn.fetchval("SELECT count(*) FROM complaint_events"))
    finally:
        await conn.close()
