"""Intake through the HTTP API, against the same intake straight to Temporal: rate and latency.

    .venv/bin/python -m bench.intake [--count 200 --concurrency 20 --rounds 3]

One run, one machine, loopback only: a Temporal dev server (SQLite file, WAL, as `make run`
uses), an embedded PostgreSQL, the real worker, and the API served by uvicorn on
127.0.0.1:<free port>, all in this process. The load comes from a second process
(`--load api|direct`), started once per round and kind, which reports JSON on stdout:

- api: `POST /v1/complaints` over HTTP/1.1 (httpx, keep-alive, `--concurrency` at a time),
  each a new complaint with its own external id and policy number;
- direct: the same complaints started the way the API starts them, with the Temporal client:
  `workflows.contract.register`, an update-with-start of `register` (`USE_EXISTING`).

Both wait for the same Temporal work (the workflow registers the case, writes it to the
ledger and answers the update), so the ratio api/direct is the cost of the API itself:
HTTP, validation, authentication, its ledger look-ups (the external id, R-IN-6's open
case), its own ledger write and the answer. As the API shares this process (and its event
loop) with the worker, its CPU also slows the worker: on a 2-core machine that is part of
the cost shown. Kinds alternate, round by round, after a warm-up of each.

Logs are at WARNING in both processes, so console output does not weigh on either side; the
Temporal core's warnings are counted, per kind, not printed (e.g. "Activity not found on
completion": an activity, such as a notice, that outlived its heartbeat timeout on a
saturated worker and was retried). Absolute rates on a 2-core machine are noisy; the ratio
is what to read.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from api.app import create_app
from api.auth import create_key
from api.complaints import complaint_id_for
from bench.first_wait import QuietSender
from bench.servers import dev_server, ledger
from domain.intake import ComplaintIntake
from domain.vocabulary import Role
from infra import logs
from infra.postgres import create_pool
from workers import build_worker
from workflows import contract

ROOT = Path(__file__).resolve().parent.parent
TASK_QUEUE = "bench-intake"
KEY_VARIABLE = "BENCH_INTAKE_API_KEY"  # the key goes to the load process by environment


class CoreWarnings(logging.Handler):
    """Counts the Temporal core's warnings by their first sentence instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.getMessage().split(". ")[0][:120]] += 1

    def runtime(self) -> Runtime:
        forwarded = logging.getLogger("bench.intake.temporal_core")
        forwarded.propagate = False
        forwarded.addHandler(self)
        forwarding = LogForwardingConfig(
            logger=forwarded,
            append_target_to_name=False,
            prepend_target_on_message=False,
            append_log_fields_to_message=False,
        )
        core = LoggingConfig(filter=TelemetryFilter("WARN", "ERROR"), forwarding=forwarding)
        return Runtime(telemetry=TelemetryConfig(logging=core))


def complaint(tag: str) -> dict[str, Any]:
    """A new complaint as another system files it (no repeat of an open case)."""
    return {
        "external_id": f"BENCH-{tag}",
        "channel": "hotline",
        "received_at": datetime.now(UTC).isoformat(),
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678"},
        "policy_number": f"P{tag}",
        "product": "motor",
        "category": "claims settlement",
        "matter": "The claim for my car repair has not been paid after 40 days.",
        "demands": "Pay the claim in full.",
    }


# ---------------------------------------------------------------------------------------------
# The load process


async def fire(
    count: int, concurrency: int, one: Callable[[int], Awaitable[None]]
) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors: list[str] = []

    async def timed(i: int) -> None:
        async with gate:
            begun = time.perf_counter()
            try:
                await one(i)
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}"[:300])
                return
            latencies.append(time.perf_counter() - begun)

    begun = time.perf_counter()
    await asyncio.gather(*(timed(i) for i in range(count)))
    elapsed = time.perf_counter() - begun
    return {"ok": len(latencies), "seconds": elapsed, "latencies": latencies, "errors": errors}


async def load_api(url: str, count: int, concurrency: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {os.environ[KEY_VARIABLE]}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    run = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as http:

        async def one(i: int) -> None:
            r = await http.post("/v1/complaints", json=complaint(f"{run}-{i:05d}"))
            if r.status_code != 201:
                raise RuntimeError(f"{r.status_code} {r.text[:200]}")

        return await fire(count, concurrency, one)


async def load_direct(address: str, count: int, concurrency: int) -> dict[str, Any]:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    run = uuid.uuid4().hex[:8]

    async def one(i: int) -> None:
        body = complaint(f"{run}-{i:05d}")
        cid = complaint_id_for(body["external_id"])
        intake = ComplaintIntake.model_validate(body | {"complaint_id": cid})
        registration = await contract.register(
            client,
            intake,
            task_queue=TASK_QUEUE,
            summary=f"{cid} · {intake.channel.value} · {intake.branch} · {intake.category}",
        )
        if not registration.created:
            raise RuntimeError(f"{cid} was not created")

    return await fire(count, concurrency, one)


# ---------------------------------------------------------------------------------------------
# The serving process


async def spawn_load(
    kind: str, target: str, count: int, concurrency: int, key: str
) -> dict[str, Any]:
    """Run one load in a second process; its JSON report."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.intake",
        "--load",
        kind,
        "--target",
        target,
        "--count",
        str(count),
        "--concurrency",
        str(concurrency),
        cwd=ROOT,
        env=os.environ | {KEY_VARIABLE: key},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"load {kind} failed ({process.returncode}):\n{err.decode()[-2000:]}")
    report: dict[str, Any] = json.loads(out)
    if report["errors"]:
        raise RuntimeError(
            f"load {kind}: {len(report['errors'])} errors, e.g. {report['errors'][0]}"
        )
    return report


def summary(reports: list[dict[str, Any]]) -> tuple[float, list[float], float, float]:
    """Mean rate over rounds, the rates, and p50 and p99 in ms over every request."""
    rates = [r["ok"] / r["seconds"] for r in reports]
    latencies = [x for r in reports for x in r["latencies"]]
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    return statistics.mean(rates), rates, p50, p99


async def serve(args: argparse.Namespace) -> None:
    warnings = CoreWarnings()
    during: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            dev_server(Path(tmp), pydantic_data_converter, warnings.runtime()) as env,
            ledger(Path(tmp)) as dsn,
            create_pool(dsn, min_size=2, max_size=10) as pool,
        ):
            key = await create_key(pool, "bench", [Role.SYSTEM])
            app = create_app(env.client, pool, task_queue=TASK_QUEUE)
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{listener.getsockname()[1]}"
            config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
            server = uvicorn.Server(config)
            address = env.client.service_client.config.target_host
            worker = build_worker(
                env.client, pool=pool, task_queue=TASK_QUEUE, sender=QuietSender()
            )
            async with worker:
                serving = asyncio.create_task(server.serve(sockets=[listener]))
                while not server.started:
                    if serving.done():
                        serving.result()
                    await asyncio.sleep(0.05)
                targets = {"api": url, "direct": address}
                for kind in targets:  # warm both paths (connections, caches, sandbox)
                    await spawn_load(kind, targets[kind], 20, min(args.concurrency, 10), key)
                reports: dict[str, list[dict[str, Any]]] = {"direct": [], "api": []}
                for n in range(args.rounds):
                    order = ("direct", "api") if n % 2 == 0 else ("api", "direct")
                    for kind in order:
                        before = warnings.counts.copy()
                        reports[kind].append(
                            await spawn_load(kind, targets[kind], args.count, args.concurrency, key)
                        )
                        during[kind] += warnings.counts - before
                server.should_exit = True
                await serving

    print(
        f"intake, {args.rounds} rounds x {args.count} complaints, concurrency {args.concurrency},"
        f" load from a second process on loopback"
    )
    rate: dict[str, float] = {}
    for kind, label in (
        ("direct", "direct (Temporal client)"),
        ("api", "api (POST /v1/complaints)"),
    ):
        mean, rates, p50, p99 = summary(reports[kind])
        rate[kind] = mean
        rounds = " ".join(f"{r:.1f}" for r in rates)
        print(
            f"  {label:27s} {mean:6.1f}/s  (rounds: {rounds})  p50 {p50:.0f} ms  p99 {p99:.0f} ms"
        )
    per_round = [
        a["ok"] / a["seconds"] / (d["ok"] / d["seconds"])
        for a, d in zip(reports["api"], reports["direct"], strict=True)
    ]
    print(
        f"  ratio api/direct: {rate['api'] / rate['direct']:.2f}"
        f" (per round: {' '.join(f'{r:.2f}' for r in per_round)})"
    )
    for message, n in warnings.counts.most_common():
        print(
            f"  Temporal core warned {n} times (during direct: {during['direct'][message]},"
            f" during api: {during['api'][message]}): {message}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200, help="complaints per round and kind")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each kind")
    parser.add_argument("--load", choices=("api", "direct"), help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)  # the API's URL or Temporal's address
    args = parser.parse_args()
    logs.configure(level=logging.WARNING)
    if args.load is None:
        asyncio.run(serve(args))
        return
    load = load_api if args.load == "api" else load_direct
    report = asyncio.run(load(args.target, args.count, args.concurrency))
    json.dump(report, sys.stdout)
    sys.stdout.flush()
    # Leave without finalizing the interpreter: the Temporal client's native threads may still
    # call into Python then ("PyGILState_Release ... finalizing", an abort) after the report.
    os._exit(0)


if __name__ == "__main__":
    main()
