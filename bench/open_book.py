"""An insurer's open book: N open complaints, K = 10% of them due at one close of business.

    .venv/bin/python -m bench.open_book --count 10000          # ~15 min on 2 cores
    .venv/bin/python -m bench.open_book                        # N = 100,000: see docs/benchmarks.md

One run, one machine: a Temporal dev server (SQLite file, WAL, as `make run` uses), an
embedded PostgreSQL ledger, and the real worker (`workers.complaints_worker`, payloads
encrypted) in a second process, so its RSS and CPU are its own. Complaints are filed the way
the HTTP API files them (update-with-start of `register`, 50 at a time). The worker's policy
is an always-open calendar whose contact limit is 48 hours and which sends no warnings, so no
alarm but the burst fires during the run.

1. Worker R (the recommended settings) files N - 2K complaints (due in 48 h), then K due at
   T1, an instant just after they are filed: "close of business". Measured: the filing rate,
   R's RSS per open case (every case cached), the dev server's database size per case, and the
   burst at T1 with every case cached.
2. K more are filed due at T2; worker R stops and worker D (the SDK's defaults: cache 1,000)
   starts, so at T2 every woken case is outside the cache and replays first, as on a worker
   with N >> 1,000 open cases. Measured: the burst at T2, D's RSS.

For each burst: lateness from the due instant to (a) the breach row committed in the ledger
(`sla_breaches`, watched every 0.2 s) and (b) `SlaBreached` true in a list query (every
1 s), at p50, p99 and max, and the time until all K are recorded; CPU of the worker and the
dev server per woken case. Throughout, the polling baseline (`ledger/polling.py`) runs every
minute: its lateness depends on where the due instant falls in its minute (0-60 s) plus its
query; the run prints what it measured.

The machine (2 cores) is shared: read ratios, and the same run's baseline, before absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.worker import Worker

from activities.policy import PolicySource
from bench.empty_workflow import AlarmFloorWorkflow, noop
from bench.first_wait import QuietSender, intake
from bench.servers import dev_server, ledger
from domain.calendar_data import fast_calendar
from domain.sla import DEFAULT_LIMITS, HandlingPolicy, SlaPolicy, StageLimit
from domain.vocabulary import Stage
from infra import logs
from infra.codec import KeyRing, data_converter, generate_key_file
from infra.config import Settings
from infra.postgres import create_pool
from infra.temporal import logging_runtime
from ledger import polling
from workers import complaints_worker, tuning
from workflows import contract
from workflows import search_attributes as sa

ROOT = Path(__file__).resolve().parent.parent
TASK_QUEUE = "bench-open-book"
FLOOR_QUEUE = "bench-open-book-floor"  # the floor's workflows, served by the same worker process
CONTACT_HOURS = 48.0  # a burst case is received this long before its due instant
LIST_EVERY = 1.0  # seconds between the measurement's list queries (each costs the server CPU)


class BenchPolicy(PolicySource):
    """Always open; contact within 48 hours; no warnings (so nothing fires before the burst)."""

    def __init__(self) -> None:
        limits = {
            grade: {**stages, Stage.CONTACT: StageLimit(hours=CONTACT_HOURS)}
            for grade, stages in DEFAULT_LIMITS.items()
        }
        sla = SlaPolicy(limits=limits, warn_before_hours=10 * CONTACT_HOURS)
        self._snapshot = HandlingPolicy(calendar=fast_calendar("bench: always open"), sla=sla)

    def load(self, branch: str, year: int) -> HandlingPolicy:
        return self._snapshot


# ---------------------------------------------------------------------------------------------
# The worker process


async def serve_worker(args: argparse.Namespace) -> None:
    logs.configure(level=logging.WARNING)
    client = await Client.connect(
        args.address,
        data_converter=data_converter(KeyRing.from_file(args.keys)),
        runtime=logging_runtime(),  # the core's warnings to stderr (our log), not stdout
    )
    settings = Settings(
        max_cached_workflows=args.cache,
        sticky_timeout_seconds=args.sticky,
        max_concurrent_workflow_tasks=args.slots or None,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with complaints_worker(
        client,
        args.dsn,
        task_queue=TASK_QUEUE,
        sender=QuietSender(),
        policy_source=BenchPolicy(),
        sandbox=not args.unsandboxed,
        graceful_shutdown_timeout=timedelta(seconds=5),
        **tuning(settings),
    ) as worker:
        floor = Worker(
            client,
            task_queue=FLOOR_QUEUE,
            workflows=[AlarmFloorWorkflow],
            activities=[noop],
            workflow_runner=worker.config()["workflow_runner"],
            **tuning(settings),
        )
        running = [asyncio.create_task(w.run()) for w in (worker, floor)]
        print("ready", flush=True)
        await stop.wait()
        await asyncio.gather(worker.shutdown(), floor.shutdown())
        await asyncio.gather(*running)


@dataclass
class WorkerConfig:
    label: str
    cache: int
    sticky: float = 10.0
    slots: int = 0  # 0: the SDK's default
    unsandboxed: bool = False

    def describe(self) -> str:
        slots = f"{self.slots} task slots" if self.slots else "default task slots"
        runner = "unsandboxed" if self.unsandboxed else "sandboxed"
        return f"cache {self.cache:,}, sticky {self.sticky:g} s, {slots}, {runner}"


class WorkerProcess:
    """The worker in a process of its own. Its log (stderr: its warnings and the Temporal
    core's) goes to a file, and its stdout is read to the end: a pipe left full blocks the
    thread that writes to it, which once stalled a whole worker here."""

    def __init__(self, config: WorkerConfig, folder: Path) -> None:
        self.config = config
        self.process: asyncio.subprocess.Process | None = None
        self.log = folder / f"worker-{config.label}.log"
        self._drain: asyncio.Task[None] | None = None
        self._log_file: Any = None

    def _open_log(self) -> Any:
        self._log_file = self.log.open("ab")
        return self._log_file

    def warnings(self) -> dict[str, int]:
        """The core's and the SDK's complaints in the worker's log, by code."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        codes = {"workflow task over 5 s": "TMPRL1104", "deadlock detected": "TMPRL1101"}
        return {what: text.count(code) for what, code in codes.items()}

    async def start(self, address: str, dsn: str, keys: Path) -> None:
        c = self.config
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.open_book",
            "--worker",
            "--address",
            address,
            "--dsn",
            dsn,
            "--keys",
            str(keys),
            "--cache",
            str(c.cache),
            "--sticky",
            str(c.sticky),
            "--slots",
            str(c.slots),
            *(["--unsandboxed"] if c.unsandboxed else []),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._open_log(),
        )
        stdout = self.process.stdout
        assert stdout is not None
        line = await asyncio.wait_for(stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"worker did not start: {line!r}; see {self.log}")

        async def drain() -> None:
            while await stdout.read(65536):
                pass

        self._drain = asyncio.create_task(drain())

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stop(self) -> None:
        """SIGTERM; SIGKILL if it has not drained within a minute (reported, not fatal)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 60)
        except TimeoutError:
            progress(f"worker {self.config.label} did not stop within 60 s: killed")
            self.process.kill()
            await self.process.wait()
        if self._drain is not None:
            await self._drain
        if self._log_file is not None:
            self._log_file.close()


# ---------------------------------------------------------------------------------------------
# Measuring


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_ms(pid: int) -> int:
    rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) * 1000 // os.sysconf("SC_CLK_TCK")


def server_pid() -> int:
    """The dev server: this process's child named `temporal`."""
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if name.endswith("(temporal") and int(rest.split()[1]) == me:
            return int(stat.parent.name)
    raise RuntimeError("no dev server process")


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (float("nan"),) * 3
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered), p99, ordered[-1]


async def file_complaints(
    client: Client, count: int, concurrency: int, received_at: datetime | None, run: str
) -> tuple[float, list[str]]:
    """File `count` complaints; the seconds it took and their complaint ids."""
    gate = asyncio.Semaphore(concurrency)
    ids: list[str] = []
    begun = time.perf_counter()

    async def one(i: int) -> None:
        data = intake(f"{run}{i:06d}")
        if received_at is not None:
            data = data.model_copy(update={"received_at": received_at})
        async with gate:
            # A saturated server times the update out; the API's caller files again with
            # the same id, which finds the case (created False): so does this.
            for attempt in range(5):
                try:
                    registration = await contract.register(client, data, task_queue=TASK_QUEUE)
                    break
                except WorkflowUpdateRPCTimeoutOrCancelledError:
                    if attempt == 4:
                        raise
        if not registration.created and attempt == 0:
            raise RuntimeError(f"{data.complaint_id} was not created")
        ids.append(data.complaint_id)
        if len(ids) % 5000 == 0:
            rate = len(ids) / (time.perf_counter() - begun)
            progress(f"filed {len(ids):,} of {count:,} ({rate:.1f}/s)")

    await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - begun, ids


@dataclass
class Burst:
    label: str
    config: WorkerConfig
    due: datetime
    ids: set[str]
    ledger_seen: dict[str, float] = field(default_factory=dict)  # id -> seconds after due
    listed_seen: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, int] = field(default_factory=dict)
    worker_rss: float = 0.0
    polled: list[float] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)  # the worker's, since it started


async def watch(
    burst: Burst,
    pool: Any,
    client: Client,
    worker: WorkerProcess,
    limit: float,
    list_every: float,
) -> None:
    """Until every case of the burst is breached in the ledger and in a list query (one
    every `list_every` seconds)."""
    server = server_pid()
    await asyncio.sleep(max(0.0, (burst.due - datetime.now(UTC)).total_seconds()))
    cpu_before = {"worker": cpu_ms(worker.pid), "server": cpu_ms(server)}
    # The burst's cases by their contact deadline (a range: the store keeps nanoseconds).
    since, until = (burst.due + timedelta(seconds=s) for s in (-1, 1))
    query = (
        f"{sa.SLA_BREACHED.name} = true AND {sa.STAGE_DUE_AT.name} > '{since:%Y-%m-%dT%H:%M:%SZ}'"
        f" AND {sa.STAGE_DUE_AT.name} < '{until:%Y-%m-%dT%H:%M:%SZ}'"
    )

    def late() -> float:
        return (datetime.now(UTC) - burst.due).total_seconds()

    async def ledger_side() -> None:
        while len(burst.ledger_seen) < len(burst.ids):
            for cid in await polling.breached_due_at(pool, burst.due):
                burst.ledger_seen.setdefault(cid, late())
            await asyncio.sleep(0.2)

    async def list_side() -> None:
        while len(burst.listed_seen) < len(burst.ids):
            async for wf in client.list_workflows(query, page_size=1000):
                cid = contract.complaint_id_of(wf.id)
                if cid is not None:
                    burst.listed_seen.setdefault(cid, late())
            await asyncio.sleep(list_every)

    async def both() -> None:
        await asyncio.gather(ledger_side(), list_side())

    try:
        await asyncio.wait_for(both(), limit)
    except TimeoutError:  # reported as missing
        seen = f"{len(burst.ledger_seen)} in the ledger, {len(burst.listed_seen)} listed"
        progress(f"burst {burst.label}: {seen} of {len(burst.ids)} after {limit:g} s")
    burst.cpu = {
        "worker": cpu_ms(worker.pid) - cpu_before["worker"],
        "server": cpu_ms(server) - cpu_before["server"],
    }
    burst.worker_rss = rss_mb(worker.pid)
    k = len(burst.ids)
    burst.warnings = worker.warnings()
    ledger_p, listed_p = (
        percentiles(list(d.values())) for d in (burst.ledger_seen, burst.listed_seen)
    )
    progress(
        f"burst {burst.label}: ledger p50/p99/max {'/'.join(f'{v:.1f}' for v in ledger_p)} s "
        f"({len(burst.ledger_seen)}), listed {'/'.join(f'{v:.1f}' for v in listed_p)} s "
        f"({len(burst.listed_seen)}); CPU ms per case: worker {burst.cpu['worker'] / k:.1f}"
        f" + server {burst.cpu['server'] / k:.1f}; {burst.warnings}"
    )


@dataclass
class Floor:
    """K bare alarms at one instant on the same worker and server (`AlarmFloorWorkflow`)."""

    due: datetime
    lateness: list[float] = field(default_factory=list)  # due instant -> workflow closed
    cpu: dict[str, int] = field(default_factory=dict)


async def floor_burst(
    client: Client, worker: WorkerProcess, k: int, limit: float, list_every: float
) -> Floor:
    """Start K floor workflows due at one instant; wait until all have closed (a count every
    `list_every` seconds, as the complaints' burst lists); lateness from their close times."""
    run = uuid.uuid4().hex[:6]
    gate = asyncio.Semaphore(100)

    async def one(i: int, due: datetime) -> None:
        async with gate:
            await client.start_workflow(
                AlarmFloorWorkflow.run, due, id=f"floor-{run}-{i}", task_queue=FLOOR_QUEUE
            )

    due = (datetime.now(UTC) + timedelta(seconds=10 + k / 20)).replace(microsecond=0)
    await asyncio.gather(*(one(i, due) for i in range(k)))
    floor = Floor(due)
    server = server_pid()
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
    before = {"worker": cpu_ms(worker.pid), "server": cpu_ms(server)}
    query = f"WorkflowId STARTS_WITH 'floor-{run}-'"
    done = f"{query} AND ExecutionStatus = 'Completed'"
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if (await client.count_workflows(done)).count >= k:
            break
        await asyncio.sleep(list_every)
    floor.cpu = {
        "worker": cpu_ms(worker.pid) - before["worker"],
        "server": cpu_ms(server) - before["server"],
    }
    async for wf in client.list_workflows(done, page_size=1000):
        if wf.close_time is not None:
            floor.lateness.append((wf.close_time - due).total_seconds())
    p50, p99, top = percentiles(floor.lateness)
    worker_ms, server_ms = (floor.cpu[p] / k for p in ("worker", "server"))
    progress(
        f"floor: {len(floor.lateness)} of {k} closed, p50/p99/max {p50:.1f}/{p99:.1f}/{top:.1f} s;"
        f" CPU ms per case: worker {worker_ms:.1f} + server {server_ms:.1f}"
    )
    return floor


async def poller(pool: Any, every: float) -> None:
    """The Zammad-style baseline: every `every` seconds, record what is overdue."""
    await polling.create_polled_breaches(pool)
    while True:
        await polling.poll_overdue(pool)
        await asyncio.sleep(every)


# ---------------------------------------------------------------------------------------------
# The run


async def run(args: argparse.Namespace) -> None:
    logs.configure(level=logging.WARNING)
    n, k = args.count, args.burst or max(1, args.count // 10)
    background = n - 2 * k
    recommended = WorkerConfig(
        "recommended",
        cache=args.cache or int(n * 1.1) + 100,
        sticky=args.sticky,
        slots=args.slots,
        unsandboxed=args.unsandboxed,
    )
    # The same settings but the SDK's default cache: the cache is what this burst measures.
    default = WorkerConfig(
        "default",
        cache=args.default_cache,
        sticky=args.sticky,
        slots=args.slots,
        unsandboxed=args.unsandboxed,
    )
    extra: list[str] = ["--log-level", "error"]
    for value in args.server_config:
        extra += ["--dynamic-config-value", value]
    out: dict[str, Any] = {"n": n, "k": k}
    begun_run = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
        folder = Path(tmp)
        keys = folder / "codec-keys.json"
        converter = data_converter(generate_key_file(keys))
        async with (
            dev_server(folder, converter, extra_args=extra) as env,
            ledger(folder) as dsn,
            create_pool(dsn, min_size=2, max_size=4) as pool,
        ):
            address = env.client.service_client.config.target_host
            polling_task = asyncio.create_task(poller(pool, args.poll_every))
            worker = WorkerProcess(recommended, folder)
            await worker.start(address, dsn, keys)
            rss_empty = rss_mb(worker.pid)
            warm = min(20, max(5, n // 20))  # imports, first sandboxes
            await file_complaints(env.client, warm, 10, None, "warm")
            rss_start = rss_mb(worker.pid)
            run_tag = uuid.uuid4().hex[:4]
            seconds, _ = await file_complaints(
                env.client, background, args.concurrency, None, f"{run_tag}b"
            )
            rate = background / seconds if background else 0.0
            progress(f"filed {background:,} in {seconds:.0f} s ({rate:.1f}/s)")

            async def burst_of(label: str, config: WorkerConfig, lead: float) -> Burst:
                eta = k / max(rate, 5.0) * 1.5 + lead
                due = (datetime.now(UTC) + timedelta(seconds=eta)).replace(microsecond=0)
                spent, ids = await file_complaints(
                    env.client,
                    k,
                    args.concurrency,
                    due - timedelta(hours=CONTACT_HOURS),
                    f"{run_tag}{label[0]}",
                )
                if datetime.now(UTC) >= due:
                    raise RuntimeError(f"filing the burst took {spent:.0f} s: past its due time")
                return Burst(label, config, due, set(ids))

            filed_seconds = seconds
            a = await burst_of("recommended", recommended, args.lead)
            rss_cached = rss_mb(worker.pid)
            db = database_size(folder)
            open_cases = background + k
            progress(f"burst of {k:,} due at {a.due:%H:%M:%S} with worker R")
            await watch(a, pool, env.client, worker, args.timeout, args.list_every)

            floor = await floor_burst(env.client, worker, k, args.timeout, args.list_every)

            # Worker D files the second burst, then as many more cases as its cache holds, so
            # the burst's cases have left its cache (least recently used first) when they wake.
            # No hand-over between workers at the due instant: cases cached by a stopped
            # worker wait for its sticky timeout first (docs/benchmarks.md).
            await worker.stop()
            worker = WorkerProcess(default, folder)
            await worker.start(address, dsn, keys)
            rss_default_start = rss_mb(worker.pid)
            filler = default.cache
            b = await burst_of("default", default, args.lead + filler / max(rate, 5.0) * 1.5)
            await file_complaints(env.client, filler, args.concurrency, None, f"{run_tag}f")
            open_cases_d = background + 2 * k + filler
            progress(f"burst of {k:,} due at {b.due:%H:%M:%S} with worker D")
            await watch(b, pool, env.client, worker, args.timeout, args.list_every)
            since_due = (datetime.now(UTC) - b.due).total_seconds()
            await asyncio.sleep(max(0.0, args.poll_every + 2 - since_due))  # the poller's turn
            for burst in (a, b):
                burst.polled = await polling.polled_lateness(pool, burst.due)
            polling_task.cancel()
            await asyncio.gather(polling_task, return_exceptions=True)
            await worker.stop()
            # The report before the servers stop: a slow shutdown never loses it.
            total = time.perf_counter() - begun_run
            print(
                f"open book: N = {n:,} open complaints, K = {k:,} due at one instant per burst "
                f"(run took {total / 60:.1f} min)"
            )
            print(f"  worker R (recommended): {recommended.describe()}")
            print(f"  worker D (default):     {default.describe()}")
            print(
                f"  filing rate: {rate:.1f}/s ({background:,} in {filed_seconds:.0f} s, "
                f"{args.concurrency} at a time, update-with-start of register)"
            )
            cached = min(open_cases, recommended.cache)
            per_cached = (rss_cached - rss_start) / cached * 1024
            print(
                f"  worker R RSS: {rss_empty:.0f} MB started, {rss_cached:.0f} MB with "
                f"{cached:,} of {open_cases:,} open cases cached: {per_cached:.0f} KB per "
                "cached case"
            )
            per_evicted = (b.worker_rss - rss_default_start) / open_cases_d * 1024
            print(
                f"  worker D RSS: {rss_default_start:.0f} MB started, {b.worker_rss:.0f} MB "
                f"after its burst ({default.cache:,} cached): {per_evicted:.1f} KB per open "
                f"case of {open_cases_d:,}"
            )
            per_case = db / open_cases / 1024
            print(f"  dev server database: {db / 2**20:.0f} MB, {per_case:.1f} KB per case")
            print()
            print(
                "| burst (K at one instant) | recorded in | p50 s | p99 s | max s | all K after s "
                "| missing | CPU ms per woken case (worker + server) |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for burst in (a, b):
                cpu = f"{burst.cpu['worker'] / k:.1f} + {burst.cpu['server'] / k:.1f}"
                rows: Iterable[tuple[str, list[float], str]] = (
                    ("workflows: ledger row", list(burst.ledger_seen.values()), cpu),
                    ("workflows: SlaBreached listed", list(burst.listed_seen.values()), ""),
                    (f"polling every {args.poll_every:g} s: ledger row", burst.polled, ""),
                )
                for what, lateness, note in rows:
                    p50, p99, top = percentiles(lateness)
                    missing = k - len(lateness)
                    whole = top if not missing else float("nan")
                    row = f"{p50:.1f} | {p99:.1f} | {top:.1f} | {whole:.1f} | {missing}"
                    print(f"| {burst.label}: {burst.config.describe()} | {what} | {row} | {note} |")
            p50, p99, top = percentiles(floor.lateness)
            missing = k - len(floor.lateness)
            cpu = f"{floor.cpu['worker'] / k:.1f} + {floor.cpu['server'] / k:.1f}"
            print(
                f"| floor: {recommended.describe()}, a bare alarm (timer, one no-op local "
                f"activity, done) | workflow closed | {p50:.1f} | {p99:.1f} | {top:.1f} | "
                f"{top if not missing else float('nan'):.1f} | {missing} | {cpu} |"
            )
            for burst in (a, b):
                said = ", ".join(f"{n:,} {what}" for what, n in burst.warnings.items())
                print(f"  worker {burst.config.label}'s log: {said}")
            out |= {
                "rate": rate,
                "kb_per_cached_case": per_cached,
                "kb_per_open_case_default": per_evicted,
                "db_kb_per_case": db / open_cases / 1024,
                "bursts": {
                    burst.label: {
                        "ledger": percentiles(list(burst.ledger_seen.values())),
                        "listed": percentiles(list(burst.listed_seen.values())),
                        "polled": percentiles(burst.polled),
                        "missing": k - len(burst.ledger_seen),
                        "cpu_ms_per_case": {p: ms / k for p, ms in burst.cpu.items()},
                        "warnings": burst.warnings,
                    }
                    for burst in (a, b)
                },
                "floor": {
                    "closed": percentiles(floor.lateness),
                    "missing": k - len(floor.lateness),
                    "cpu_ms_per_case": {p: ms / k for p, ms in floor.cpu.items()},
                },
            }
            if args.json:
                write_json(args.json, out)

            pool.terminate()  # nothing is in flight any more


def database_size(folder: Path) -> int:
    """The dev server's SQLite file with its write-ahead log."""
    return sum(f.stat().st_size for f in folder.glob("bench.db*"))


def write_json(path: str, figures: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(figures, indent=1))


def progress(line: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {line}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="N: open complaints")
    parser.add_argument(
        "--burst", type=int, default=0, help="K: cases due at one instant per burst (0: N / 10)"
    )
    parser.add_argument("--concurrency", type=int, default=50, help="filings in flight")
    parser.add_argument(
        "--cache", type=int, default=0, help="worker R's max_cached_workflows (0: 1.1 N + 100)"
    )
    parser.add_argument(
        "--sticky",
        type=float,
        default=60.0,
        help="worker R's sticky schedule-to-start timeout, seconds",
    )
    parser.add_argument(
        "--slots",
        type=int,
        default=16,
        help="worker R's workflow-task slots and threads (0: SDK's)",
    )
    parser.add_argument("--unsandboxed", action="store_true", help="worker R without sandbox")
    parser.add_argument(
        "--server-config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a dev server dynamic config value, e.g. history.timerProcessorMaxTimeShift=100ms",
    )
    parser.add_argument(
        "--default-cache",
        type=int,
        default=1000,
        help="worker D's cache (the SDK's; less for a smoke run)",
    )
    parser.add_argument("--poll-every", type=float, default=60.0, help="the baseline's period")
    parser.add_argument(
        "--lead", type=float, default=15.0, help="seconds between a burst filed and its due instant"
    )
    parser.add_argument(
        "--list-every",
        type=float,
        default=LIST_EVERY,
        help="seconds between the measurement's list queries",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="per burst, seconds")
    parser.add_argument("--scratch", default=None, help="folder for the servers' files")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    # The worker process (started by the run itself).
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--keys", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(serve_worker(args) if args.worker else run(args))


if __name__ == "__main__":
    main()
