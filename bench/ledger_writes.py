"""Ledger writes per second for a full lifecycle's events, against plain INSERTs of the same rows.

    .venv/bin/python -m bench.ledger_writes [--cases 200 --concurrency 8]

The case is a real one: the final state of the recorded general lifecycle in
tests/histories/retired/general_full_life-first.json (a breach, an extension, a pause, a rejected
resolution, a reopen), replayed as the workflow records it: one ledger write per action, each
carrying the timeline entries since the previous one plus the current clocks, breaches and
extensions. The ledger path is the production `write_record` (one statement: upserts, ON
CONFLICT, the forward-only guard); the baseline inserts exactly the same rows with plain
INSERTs, one transaction per batch, on the same embedded PostgreSQL in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.servers import ledger
from domain.intake import ComplaintIntake, Customer
from domain.ledger_records import LedgerRecord
from domain.state import ComplaintState
from infra.postgres import create_pool
from ledger.record import write_record
from workflows import contract

HISTORY = (
    Path(__file__).parent.parent
    / "tests"
    / "histories"
    / "retired"
    / "general_full_life-first.json"
)  # stored unencrypted: its final state reads as it is


def recorded_case() -> ComplaintState:
    events = json.loads(HISTORY.read_text())["events"]
    done = events[-1]["workflowExecutionCompletedEventAttributes"]["result"]["payloads"][0]
    return ComplaintState.model_validate_json(base64.b64decode(done["data"]))


def batches(state: ComplaintState) -> list[LedgerRecord]:
    """The records the workflow sends: a new one at every accepted or refused action, each
    with the timeline entries since the last and, spread over them, every clock, breach and
    extension of the case (each written once, as the workflow sends only what changed)."""
    cuts = [i for i, e in enumerate(state.timeline) if e.kind in ("action", "refused")]
    bounds = [0, *cuts, len(state.timeline)]
    spans = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]
    clocks = [*state.finished_clocks, *state.clocks]
    intake = intake_for(state, state.complaint_id)
    return [
        LedgerRecord(
            workflow_id=contract.workflow_id("x"),
            intake=intake,
            state=state.model_copy(update={"timeline": state.timeline[a:b], "finished_clocks": []}),
            clocks=clocks[n :: len(spans)],
            breaches=state.breaches if n == 0 else [],
            extensions=state.extensions if n == 0 else [],
        )
        for n, (a, b) in enumerate(spans)
    ]


def intake_for(state: ComplaintState, cid: str) -> ComplaintIntake:
    return ComplaintIntake(
        complaint_id=cid,
        channel=state.channel,
        received_at=state.received_at,
        branch=state.branch,
        owner=state.owner,
        supervisor=state.supervisor,
        customer=Customer(name="张伟", phone="13812345678"),
        category=state.category,
        matter="Claim unpaid for 40 days.",
        demands="Pay the claim.",
    )


async def plain_insert(conn: Any, record: LedgerRecord, first: bool) -> None:
    i, s = record.intake, record.state
    cid = s.complaint_id
    async with conn.transaction():
        if first:
            await conn.execute(
                "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner,"
                " category, grade, stage, customer_name, customer_phone, matter, demands,"
                " received_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
                cid,
                record.workflow_id,
                s.channel.value,
                s.branch,
                s.owner,
                s.category,
                s.grade.value,
                s.stage.value,
                i.customer.name,
                i.customer.phone,
                i.matter,
                i.demands,
                s.received_at,
            )
        await conn.executemany(
            "INSERT INTO complaint_events (complaint_id, seq, at, kind, actor, action, detail,"
            " request_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            [
                (cid, e.seq, e.at, e.kind, e.actor, e.action, e.detail, e.request_id)
                for e in s.timeline
            ],
        )
        if record.clocks:
            await conn.executemany(
                "INSERT INTO sla_clocks (complaint_id, clock_key, started_at, kind, label, due_at,"
                " basis, provisional, met_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                [
                    (
                        cid,
                        c.key,
                        c.started_at,
                        c.kind.value,
                        c.label,
                        c.due_at,
                        c.basis,
                        c.provisional,
                        c.met_at,
                    )
                    for c in record.clocks
                ],
            )
        if record.breaches:
            await conn.executemany(
                "INSERT INTO sla_breaches (complaint_id, clock_key, due_at, label, recorded_at)"
                " VALUES ($1,$2,$3,$4,$5)",
                [(cid, b.clock, b.due_at, b.label, b.recorded_at) for b in record.breaches],
            )


async def run(
    pool: asyncpg.Pool,
    write: Callable[[Any, LedgerRecord, bool], Awaitable[None]],
    state: ComplaintState,
    prefix: str,
    cases: int,
    concurrency: int,
) -> tuple[float, int]:
    gate = asyncio.Semaphore(concurrency)
    parts = batches(state)
    rows = 0

    async def one(n: int) -> None:
        nonlocal rows
        cid = f"{prefix}{n:06d}"
        intake = intake_for(state, cid)
        async with gate, pool.acquire() as conn:
            for k, part in enumerate(parts):
                record = part.model_copy(
                    update={
                        "workflow_id": contract.workflow_id(cid),
                        "intake": intake,
                        "state": part.state.model_copy(update={"complaint_id": cid}),
                    }
                )
                await write(conn, record, k == 0)
                rows += len(part.state.timeline)

    begun = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(cases)))
    return time.perf_counter() - begun, rows


async def ledger_write(conn: Any, record: LedgerRecord, first: bool) -> None:
    await write_record(conn, record)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    state = recorded_case()
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            ledger(Path(tmp)) as dsn,
            create_pool(dsn, min_size=args.concurrency, max_size=args.concurrency) as pool,
        ):
            results: dict[str, list[float]] = {"ledger": [], "plain": []}
            for r in range(args.rounds):
                for name, write in (("plain", plain_insert), ("ledger", ledger_write)):
                    elapsed, rows = await run(
                        pool, write, state, f"{name[0]}{r}-", args.cases, args.concurrency
                    )
                    results[name].append(rows / elapsed)
    parts = batches(state)
    print(
        f"ledger writes, {args.cases} full lifecycles x {args.rounds} rounds, "
        f"{len(state.timeline)} timeline events in {len(parts)} writes each, "
        f"concurrency {args.concurrency}, at {datetime.now(UTC):%Y-%m-%d %H:%M}Z"
    )
    for name in ("plain", "ledger"):
        rates = results[name]
        print(
            f"  {name:7s} {sum(rates) / len(rates):8.0f} events/s  (rounds: "
            f"{' '.join(f'{x:.0f}' for x in rates)})"
        )
    ratios = [a / b for a, b in zip(results["ledger"], results["plain"], strict=True)]
    print(
        f"  ratio ledger/plain: {sum(ratios) / len(ratios):.2f} "
        f"(per round: {' '.join(f'{x:.2f}' for x in ratios)})"
    )


if __name__ == "__main__":
    asyncio.run(main())
