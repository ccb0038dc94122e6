"""What a case woken after it left the worker's cache costs: a full replay of its history.

    .venv/bin/python -m bench.replay [--count 200]

With 100,000 open complaints a worker cannot keep every case in its cache
(`max_cached_workflows`): a reminder or a deadline that wakes an evicted case first replays
its whole history. This replays a recorded general lifecycle (tests/histories: a breach, an
extension, a pause, a rejected resolution, a reopen; encrypted with the test key) `count`
times, with and without the SDK's sandbox, in alternating rounds in one run, and prints
replays per second and their ratio. No server is involved: this is worker CPU only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from infra.codec import KeyRing, data_converter
from workers import WORKFLOWS

HISTORY = Path(__file__).parent.parent / "tests" / "histories" / "general_full_life-outbox.json"
TEST_KEYS = KeyRing({"test-1": b"complaints-test-key-0123456789ab"}, "test-1")  # tests/conftest


async def replays_per_second(runner: WorkflowRunner, history: WorkflowHistory, count: int) -> float:
    async def copies() -> AsyncIterator[WorkflowHistory]:
        for i in range(count):  # distinct ids, as distinct cases would have
            yield WorkflowHistory(workflow_id=f"{history.workflow_id}-{i}", events=history.events)

    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=data_converter(TEST_KEYS), workflow_runner=runner
    )
    begun = time.perf_counter()
    await replayer.replay_workflows(copies())
    return count / (time.perf_counter() - begun)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200, help="replays per round and kind")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    history = WorkflowHistory.from_json("general", HISTORY.read_text())
    kinds: dict[str, WorkflowRunner] = {
        "unsandboxed": UnsandboxedWorkflowRunner(),
        "sandboxed": SandboxedWorkflowRunner(),
    }
    await replays_per_second(kinds["sandboxed"], history, 10)  # warm up
    rates: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(args.rounds):
        for kind, runner in kinds.items():
            rates[kind].append(await replays_per_second(runner, history, args.count))
    print(
        f"full replay of a {len(history.events)}-event general lifecycle, "
        f"{args.rounds} rounds x {args.count}"
    )
    for kind, per_round in rates.items():
        rate = statistics.mean(per_round)
        print(
            f"  {kind:12s} {rate:6.1f}/s  {1000 / rate:5.1f} ms per replay"
            f"  (rounds: {' '.join(f'{r:.1f}' for r in per_round)})"
        )
    ratios = [s / u for s, u in zip(rates["sandboxed"], rates["unsandboxed"], strict=True)]
    print(f"  ratio sandboxed/unsandboxed: {statistics.mean(ratios):.2f}")


if __name__ == "__main__":
    asyncio.run(main())
