"""Complaints started per second up to their first wait, against two no-op local activities.

    make bench                      # or: .venv/bin/python -m bench.first_wait --count 300

Three kinds, started the same way (update-with-start of `register`, as the HTTP API files a
complaint; it returns once the workflow waits), in alternating rounds in one run on one dev
server (SQLite file, WAL, as `make run` uses), payloads encrypted as in production:

- `empty`: waits for its first action, nothing else;
- `two-LAs`: runs two no-op local activities, then waits: the shape of a complaint's intake
  with no work in it, i.e. what the SDK costs for that shape on this machine;
- `complaint`: loads its policy (local activity), grades, plans its clocks, writes the case,
  its timeline and the customer's acknowledgement to the ledger in one PostgreSQL statement
  (local activity), upserts its search attributes, then waits.

Each kind runs on a sandboxed and on an unsandboxed worker (their own task queues), all in
alternating rounds in one run. It prints each kind's rate, latency and CPU per workflow (this
process, the dev server and PostgreSQL, from /proc), and the ratios. Absolute rates on a
2-core machine are noisy; read the ratios. Target (re-based): complaint/two-LAs
>= 0.85, sandboxed and unsandboxed. The billed actions of a whole lifecycle are
`python -m bench.actions`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import logging
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from bench.empty_workflow import EmptyWorkflow, TwoLocalActivitiesWorkflow, noop
from bench.servers import dev_server, ledger
from domain.identity import VerifiedIdentity
from domain.intake import ComplaintIntake
from domain.notice_models import Notification
from infra.codec import data_converter, generate_key_file
from infra.logs import configure
from infra.postgres import create_pool
from notices.channels import DeliveryStatus
from workers import build_worker
from workflows import contract


class QuietSender:
    """Delivers nothing: the benchmark measures the workflow, not an SMS gateway."""

    async def deliver(self, notice: Notification, channel: str) -> tuple[DeliveryStatus, str]:
        return "skipped", "benchmark"


def intake(tag: str) -> ComplaintIntake:
    return ComplaintIntake.model_validate(
        {
            "complaint_id": f"B{tag}",
            "channel": "hotline",
            "received_at": datetime.now(UTC).isoformat(),
            "branch": "Shanghai Pudong",
            "owner": "li.na",
            "supervisor": "wang.qiang",
            "customer": {"name": "张伟", "phone": "13812345678"},
            "category": "claims settlement",
            "matter": "Claim unpaid for 40 days.",
            "demands": "Pay the claim.",
        }
    )


async def start_to_first_wait(
    client: Client, workflow_type: str, queue: str, count: int, concurrency: int, how: str
) -> tuple[float, list[float]]:
    """Rate (per second) and latencies of `count` starts, each until its first wait."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    run = uuid.uuid4().hex[:6]

    async def one(i: int) -> None:
        async with gate:
            begun = time.perf_counter()
            data = intake(f"{run}{i:05d}")
            wid = contract.workflow_id(data.complaint_id)
            if how == "register":
                start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
                    workflow_type,
                    data,
                    id=wid,
                    task_queue=queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )
                await client.execute_update_with_start_workflow(
                    contract.REGISTER_UPDATE, start_workflow_operation=start
                )
            else:
                handle = await client.start_workflow(workflow_type, data, id=wid, task_queue=queue)
                sender = VerifiedIdentity(  # sealed as the HTTP API seals an action
                    actor="bench",
                    roles=["handler"],
                    via="system",
                    bound_to=wid,
                    action="record_contact",
                    issued_at=datetime.now(UTC),
                    nonce=uuid.uuid4().hex,
                )
                sealed = contract.sealed(client, {"actor": "bench"}, sender)
                await handle.execute_update("record_contact", sealed)
            latencies.append(time.perf_counter() - begun)

    begun = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return count / (time.perf_counter() - begun), latencies


TARGET = 0.85  # complaint/two-LAs, sandboxed and unsandboxed

KINDS = [  # (label, workflow type, task queue), run in this order in every round
    ("empty", "EmptyWorkflow", "bench-empty"),
    ("two-LAs", "TwoLocalActivitiesWorkflow", "bench-empty"),
    ("complaint", contract.WORKFLOW_TYPE, "bench-complaints"),
]


def cpu_ms() -> collections.Counter[str]:
    """CPU milliseconds used so far by this process (client + worker) and by each child (the
    Temporal dev server, PostgreSQL), read from /proc (Linux)."""
    used: collections.Counter[str] = collections.Counter()
    me = os.getpid()
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        name = fields[0].split("(", 1)[1]
        rest = fields[1].split()
        pid, ppid = int(stat.parent.name), int(rest[1])
        if pid == me or ppid == me or name.startswith("postgres"):
            label = "worker" if pid == me else "postgres" if "postgres" in name else name
            used[label] += (int(rest[11]) + int(rest[12])) * 1000 // tick
    return used


MODES = ("unsandboxed", "sandboxed")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300, help="workflows of each kind per round")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each kind")
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="worker runners, each with its own workers, alternating",
    )
    parser.add_argument(
        "--intake",
        choices=["register", "action"],
        default="register",
        help="register: update-with-start of `register`, as the HTTP API files a complaint "
        "(returns once the case waits); action: start, then a first `record_contact` update",
    )
    args = parser.parse_args()
    configure(level=logging.WARNING)  # a debug line per ledger write would cost CPU here
    runs = [(mode, kind, wf, f"{queue}-{mode}") for mode in args.modes for kind, wf, queue in KINDS]

    with tempfile.TemporaryDirectory() as tmp:
        # Payloads encrypted as in production (AES-GCM codec), for every kind.
        converter = data_converter(generate_key_file(Path(tmp) / "codec-keys.json"))
        async with (
            dev_server(Path(tmp), converter) as env,
            ledger(Path(tmp)) as dsn,
            create_pool(dsn, min_size=2, max_size=10) as pool,
            contextlib.AsyncExitStack() as workers,
        ):
            for mode in args.modes:
                runner: dict[str, Any] = {}
                if mode == "unsandboxed":
                    runner["workflow_runner"] = UnsandboxedWorkflowRunner()
                complaints = build_worker(
                    env.client,
                    pool=pool,
                    task_queue=f"bench-complaints-{mode}",
                    sender=QuietSender(),
                    **runner,
                )
                baselines = Worker(
                    env.client,
                    task_queue=f"bench-empty-{mode}",
                    workflows=[EmptyWorkflow, TwoLocalActivitiesWorkflow],
                    activities=[noop],
                    **runner,
                )
                await workers.enter_async_context(complaints)
                await workers.enter_async_context(baselines)
            how = args.intake
            for _, _, wf, queue in runs:  # warm up
                await start_to_first_wait(env.client, wf, queue, 20, 10, how)
            rates: dict[tuple[str, str], list[float]] = {(m, k): [] for m, k, _, _ in runs}
            lat: dict[tuple[str, str], list[float]] = {(m, k): [] for m, k, _, _ in runs}
            cpu = {(m, k): collections.Counter[str]() for m, k, _, _ in runs}
            for _ in range(args.rounds):
                for mode, kind, wf, queue in runs:
                    before = cpu_ms()
                    rate, latencies = await start_to_first_wait(
                        env.client, wf, queue, args.count, args.concurrency, how
                    )
                    cpu[mode, kind].update(cpu_ms() - before)
                    rates[mode, kind].append(rate)
                    lat[mode, kind] += latencies

    print(
        f"start → first wait, {args.rounds} rounds x {args.count}, "
        f"concurrency {args.concurrency}, {' and '.join(args.modes)} in one run"
    )
    for mode in args.modes:
        print(f"{mode}:")
        for kind, _, _ in KINDS:
            key = (mode, kind)
            p50 = statistics.median(lat[key]) * 1000
            p99 = statistics.quantiles(lat[key], n=100)[98] * 1000
            rounds = " ".join(f"{r:.1f}" for r in rates[key])
            print(
                f"  {kind:9s} {statistics.mean(rates[key]):6.1f}/s  (rounds: {rounds})"
                f"  p50 {p50:.0f} ms  p99 {p99:.0f} ms"
            )
            n = args.rounds * args.count
            per = "  ".join(f"{p} {ms / n:.1f}" for p, ms in sorted(cpu[key].items()))
            print(f"            CPU ms per workflow: {per}")
        for kind, of, note in (
            ("complaint", "two-LAs", f"; target >= {TARGET}"),
            ("two-LAs", "empty", ": the SDK's own cost of that shape"),
            ("complaint", "empty", ""),
        ):
            ratios = [a / b for a, b in zip(rates[mode, kind], rates[mode, of], strict=True)]
            print(
                f"  ratio {kind}/{of}: {statistics.mean(ratios):.2f}"
                f" (per round: {' '.join(f'{r:.2f}' for r in ratios)}{note})"
            )
    print("billed actions of a whole lifecycle: python -m bench.actions")


if __name__ == "__main__":
    asyncio.run(main())
