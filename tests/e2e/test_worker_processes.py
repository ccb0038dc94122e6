"""The production processes for real: `python -m workers` and `python -m api` as subprocesses
against one Temporal server (the time-skipping test server: deadlines are reached by skipping
its time) and one PostgreSQL (infra/README.md: "Shutdown", "Several workers and APIs").

Notices go to a recording SMS/phone gateway run by the test, which behaves like a real one:
it honours `Idempotency-Key` (a repeated key is answered with the first answer and not sent
again) and takes a moment to answer, so that batches are in flight when a signal lands.

- SIGTERM during a burst of acknowledgements: the worker exits 0 after finishing the relay's
  batch in flight; a second worker sends the rest; every notice reached the gateway exactly
  once and every complaint is in the ledger.
- Two workers and two APIs, complaints filed through both, then a burst of deadlines (breach,
  reminder, escalation of every case at one instant): one worker is killed with SIGKILL, the
  other restarted with SIGTERM. Every breach is recorded once, in the ledger and in its
  workflow; every notice is delivered, at least once to the gateway and always under the same
  idempotency key, so the gateway sends each once. A batch cut off by SIGKILL is sent again
  once its lease (2 s here) runs out: exactly-once up to the gateway cannot hold across a
  SIGKILL, and the test counts those repeats.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Request
from temporalio.testing import WorkflowEnvironment

from activities.policy import StatutoryPolicySource
from api.auth import create_key
from domain.calendar import next_working_instant
from domain.intake import ComplaintIntake
from domain.vocabulary import Role
from infra.config import PROJECT_ROOT
from infra.mailsink import MailSink
from tests.harness import eventually
from tests.integration.test_api import complaint
from workers import endpoints
from workflows import contract

GATEWAY_LATENCY = 0.2  # seconds the recording gateway takes to answer: batches stay in flight
LEASE = 2  # seconds before a batch claimed by a killed worker is claimed again
RELAY_BATCH = 50  # OutboxRelay's batch: the most a SIGKILL can leave to be sent again
SECOND = timedelta(seconds=1)


@dataclass
class Gateway:
    """The SMS/phone gateway: `requests` holds every key as it arrived, `sent` each key once."""

    requests: list[str] = field(default_factory=list)
    sent: dict[str, str] = field(default_factory=dict)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_for(self, count: int) -> None:
        """Until `count` requests have arrived (bounded)."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.requests) >= count), timeout=20
            )

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/messages")
        async def send(request: Request) -> dict[str, str]:
            key = request.headers["Idempotency-Key"]
            async with self._arrived:
                self.requests.append(key)
                self._arrived.notify_all()
            await asyncio.sleep(GATEWAY_LATENCY)
            return {"id": self.sent.setdefault(key, f"gw-{len(self.sent) + 1}")}

        return app


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[Gateway, str]]:
    recorder = Gateway()
    async with endpoints.serving(recorder.app(), "127.0.0.1", 0) as port:
        yield recorder, f"http://127.0.0.1:{port}/messages"


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    sink = MailSink(tmp_path / "mail", port=0)
    sink.start()
    yield sink
    sink.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Processes:
    """Starts `python -m workers` and `python -m api` with one environment; each writes its
    output to its own file (shown when the test fails); any left running are killed at the
    end."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.started: list[tuple[str, asyncio.subprocess.Process]] = []

    async def start(self, name: str, *args: str) -> asyncio.subprocess.Process:
        with (self.folder / f"{name}.log").open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *args,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.started.append((name, process))
        return process

    async def worker(self, name: str) -> tuple[asyncio.subprocess.Process, str]:
        """A worker process, once ready (its /readyz answers 200); and its HTTP base URL."""
        process = await self.start(name, "-m", "workers")
        log = self.folder / f"{name}.log"

        async def port() -> int | None:
            assert process.returncode is None, f"{name} exited with {process.returncode}"
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("{") and '"worker started"' in line:
                    return int(json.loads(line)["http_port"])  # COMPLAINTS_WORKER_HTTP_PORT=0
            return None

        url = f"http://127.0.0.1:{await eventually(port, what=f'{name} started')}"
        await ready(f"{url}/readyz", name)
        return process, url

    async def api(self, name: str) -> tuple[asyncio.subprocess.Process, str]:
        port = free_port()
        process = await self.start(name, "-m", "api", "--host", "127.0.0.1", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        await ready(f"{url}/readyz", name)
        return process, url

    def output(self) -> str:
        return "\n".join(
            f"--- {name} (exit {p.returncode}) ---\n"
            + (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]
            for name, p in self.started
        )

    async def close(self) -> None:
        for _, process in self.started:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def ready(url: str, name: str) -> None:
    async def answers() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                return (await http.get(url)).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(answers, what=f"{name} ready")


@pytest.fixture
async def processes(
    tmp_path: Path,
    env: WorkflowEnvironment,
    database: str,
    gateway: tuple[Gateway, str],
    mail_sink: MailSink,
) -> AsyncIterator[Processes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    environment.update(
        TEMPORAL_ADDRESS=env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=env.client.namespace,
        DATABASE_URL=database,
        COMPLAINTS_TASK_QUEUE=f"procs-{uuid.uuid4().hex[:8]}",
        COMPLAINTS_SMS_GATEWAY_URL=gateway[1],
        COMPLAINTS_SMTP_HOST="127.0.0.1",
        COMPLAINTS_SMTP_PORT=str(mail_sink.port),
        COMPLAINTS_LOG_FORMAT="json",
        COMPLAINTS_WORKER_HTTP_HOST="127.0.0.1",
        COMPLAINTS_WORKER_HTTP_PORT="0",
        COMPLAINTS_OUTBOX_LEASE=str(LEASE),
    )
    running = Processes(tmp_path, environment)
    try:
        yield running
    finally:
        await running.close()
        print(running.output())  # pytest shows it when the test fails


async def outbox(pool: asyncpg.Pool, *channels: str) -> dict[str, str]:
    """`notice_key:channel` (the delivery's idempotency key) → status, for these channels."""
    rows = await pool.fetch(
        "SELECT notice_key || ':' || channel AS key, status FROM notifications"
        " WHERE channel = ANY($1::text[])",
        list(channels),
    )
    return {r["key"]: r["status"] for r in rows}


async def test_sigterm_during_a_burst_exits_0_and_every_notice_goes_out_exactly_once(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    processes: Processes,
    gateway: tuple[Gateway, str],
) -> None:
    recorder, _ = gateway
    task_queue = processes.env["COMPLAINTS_TASK_QUEUE"]
    first, _ = await processes.worker("worker-1")
    now = await env.get_current_time()
    intakes = [
        ComplaintIntake.model_validate(
            complaint(complaint_id=f"T{uuid.uuid4().hex[:12]}", received_at=now.isoformat())
        )
        for _ in range(30)
    ]
    starting = asyncio.gather(
        *(contract.start(env.client, i, task_queue=task_queue) for i in intakes)
    )
    await recorder.wait_for(1)  # the burst is going out ...
    first.send_signal(signal.SIGTERM)  # ... with a batch in flight at the gateway
    await starting
    assert await asyncio.wait_for(first.wait(), timeout=20) == 0
    # What the stopped worker sent, it recorded as delivered before it exited: none of it
    # is left for the next worker to send again.
    sent_by_first = set(recorder.requests)
    assert sent_by_first
    statuses = await outbox(pool, "sms")
    assert {statuses[key] for key in sent_by_first} == {"delivered"}

    second, _ = await processes.worker("worker-2")

    async def all_delivered() -> bool:
        # A case's notices enter the outbox in the statement that puts it in the ledger.
        filed = await pool.fetchval("SELECT count(*) FROM complaints")
        pending = await pool.fetchval("SELECT count(*) FROM notifications WHERE status = 'pending'")
        return bool(filed == len(intakes) and pending == 0)

    await eventually(all_delivered, what="every acknowledgement delivered")
    second.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(second.wait(), timeout=20) == 0

    # Nothing resent: one request per notice. Nothing lost: every complaint in the ledger.
    counts = Counter(recorder.requests)
    gateway_rows = await outbox(pool, "sms", "phone")
    assert set(gateway_rows.values()) == {"delivered"} and len(gateway_rows) >= len(intakes)
    assert set(counts) == set(gateway_rows) and set(counts.values()) == {1}
    ids = {r["complaint_id"] for r in await pool.fetch("SELECT complaint_id FROM complaints")}
    assert ids == {i.complaint_id for i in intakes}


async def test_two_workers_two_apis_sigkill_and_sigterm_during_a_deadline_burst(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    processes: Processes,
    gateway: tuple[Gateway, str],
    mail_sink: MailSink,
) -> None:
    recorder, _ = gateway
    n = 12
    worker_1, worker_2, api_1, api_2 = await asyncio.gather(
        processes.worker("worker-1"),
        processes.worker("worker-2"),
        processes.api("api-1"),
        processes.api("api-2"),
    )
    key = await create_key(pool, "callcentre", [Role.SYSTEM])
    auth = {"Authorization": f"Bearer {key}"}

    async def file(i: int) -> str:
        url = (api_1 if i % 2 else api_2)[1]
        async with httpx.AsyncClient(base_url=url, headers=auth, timeout=20) as http:
            answer = await http.post("/v1/complaints", json=complaint())
        assert answer.status_code == 201, answer.text
        cid: str = answer.json()["complaint"]["complaint_id"]
        return cid

    ids = set(await asyncio.gather(*(file(i) for i in range(n))))
    assert len(ids) == n
    due = await pool.fetchval(
        "SELECT max(due_at) FROM sla_clocks WHERE clock_key = 'stage:contact'"
    )
    assert due is not None and await pool.fetchval("SELECT count(*) FROM complaints") == n

    # Every contact deadline passes at one instant: breach, first reminder and escalation of
    # every case in the same moment. The reminder waits for the next opening (R-SLA-9): skip
    # past it too, on the statutory calendar the workers use.
    calendar = StatutoryPolicySource().load("", due.year).calendar
    await recorder.wait_for(n)  # the acknowledgements
    await env.sleep(next_working_instant(calendar, due) - await env.get_current_time() + SECOND)
    await recorder.wait_for(n + 1)  # the burst reaches the gateway ...
    worker_1[0].send_signal(signal.SIGKILL)  # mid-burst: its batch in flight is cut off
    worker_2[0].send_signal(signal.SIGTERM)  # the other is restarted
    assert await asyncio.wait_for(worker_1[0].wait(), timeout=20) == -signal.SIGKILL
    assert await asyncio.wait_for(worker_2[0].wait(), timeout=20) == 0
    worker_2_again = await processes.worker("worker-2-again")
    # Tasks the killed worker held time out on the server's clock: skip past their timeouts.
    await env.sleep(timedelta(seconds=30))

    async def settled() -> bool:
        breached = await pool.fetchval(
            "SELECT count(DISTINCT complaint_id) FROM sla_breaches"
            " WHERE clock_key = 'stage:contact'"
        )
        pending = await pool.fetchval("SELECT count(*) FROM notifications WHERE status = 'pending'")
        return bool(breached == n and pending == 0)

    await eventually(settled, what="every breach recorded and every notice delivered", seconds=30)

    # Every breach recorded once: in the ledger (one row per complaint, clock and due instant)
    # and in its workflow's timeline (the ledger's copy, entry by entry: a breach the workflow
    # recorded twice, replayed after the kill, would be two entries).
    rows = await pool.fetch("SELECT complaint_id, clock_key, due_at FROM sla_breaches")
    assert Counter(r["complaint_id"] for r in rows) == Counter({cid: 1 for cid in ids})
    entries = await pool.fetch(
        "SELECT complaint_id, count(*) AS n FROM complaint_events WHERE kind = 'breach'"
        " GROUP BY complaint_id"
    )
    assert {r["complaint_id"]: r["n"] for r in entries} == {cid: 1 for cid in ids}
    # Every notice delivered, each under one idempotency key, and sent once by the gateway.
    gateway_rows = await outbox(pool, "sms", "phone")
    assert set(gateway_rows.values()) == {"delivered"}
    assert set(recorder.sent) == set(gateway_rows)
    assert len(gateway_rows) > n  # the acknowledgements, and the burst's reminders and escalations
    repeated = {k: c for k, c in Counter(recorder.requests).items() if c > 1}
    assert len(repeated) <= RELAY_BATCH, repeated  # only what the SIGKILL cut off
    emails = await outbox(pool, "email")  # skipped: a customer without an email address
    delivered = {key for key, status in emails.items() if status == "delivered"}
    assert delivered and set(emails.values()) <= {"delivered", "skipped"}
    message_ids = Counter(m["Message-ID"] for m in mail_sink.messages())
    assert len(message_ids) == len(delivered)  # one Message-ID per email, repeats aside
    print(
        f"repeated after SIGKILL: {len(repeated)} gateway requests, "
        f"{sum(c - 1 for c in message_ids.values())} emails"
    )

    for process, _ in (api_1, api_2, worker_2_again):
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
