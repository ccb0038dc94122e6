"""The desk's queue page over a full branch: 1,000 open cases, rendered through the real app.

    python -m bench.desk_queue [--cases 1000] [--rounds 30]

Fills a fresh embedded PostgreSQL ledger (`bench.servers.ledger`) with `--cases` open
complaints in one branch (stages contact to callback, grades mostly general, some crisis and
help flags, 10 owners), each with its running stage clock and regulatory clock in
`sla_clocks` (a tenth overdue, a tenth due today, the rest later), plus as many closed cases
with met clocks that the queue must skip. Then signs a supervisor in at `/desk/login` (a real
session cookie) and times, per round and in the same run, through the real app
(`api.app.create_app`, in process over `httpx.ASGITransport`):

- `team queue`: `/desk/queue/team` (every open case of the branch, 500 rows listed, the counts
  over all); `my queue`: `/desk/queue/mine` (a tenth of them); `dashboard`: `/desk/dashboard`;
- `trivial`: `/healthz`, the app's cheapest answer: what the app and the transport cost alone.

Prints each page's median and its ratio to the trivial page's median. The queue pages read only
the ledger; the app's Temporal client is a lazy one that never connects. Target: the team
queue under a second.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.client import Client

from api.app import create_app
from api.auth import create_key
from api.desk.config import DeskSettings
from bench.servers import ledger
from domain.vocabulary import Role
from infra.postgres import create_pool

BRANCH = "Beijing Haidian"
STAGES = ("contact", "investigate", "approve", "close", "callback")
OWNERS = [f"handler.{i:02d}" for i in range(10)]


async def fill(pool: object, cases: int, now: datetime) -> None:
    rng = random.Random(7)
    rows, clocks = [], []
    for i in range(cases * 2):
        cid = f"B{i:06d}"
        open_ = i < cases
        stage = rng.choice(STAGES) if open_ else "closed"
        received = now - timedelta(hours=rng.uniform(1, 24 * 20))
        grade = "major" if rng.random() < 0.15 else "general"
        flags = ["vulnerable"] if rng.random() < 0.05 else []
        rows.append(
            (
                cid,
                f"complaint-{cid}",
                "hotline",
                BRANCH,
                rng.choice(OWNERS),
                "wang.qiang",
                "claims settlement",
                grade,
                rng.random() < 0.02,
                stage,
                "张伟",
                "13812345678",
                "The claim is unpaid.",
                "Pay it.",
                received,
                flags,
            )
        )
        draw = rng.random()
        due = now + (
            -timedelta(hours=rng.uniform(1, 48))
            if draw < 0.1
            else timedelta(minutes=rng.uniform(1, 300))
            if draw < 0.2
            else timedelta(days=rng.uniform(1, 10))
        )
        met = None if open_ else received + timedelta(days=2)
        clocks.append(
            (cid, f"stage:{stage}", received, "stage", f"{stage} (working time)", due, "bench", met)
        )
        clocks.append(
            (
                cid,
                "regulatory",
                received,
                "regulatory",
                "regulatory limit (15 days)",
                received + timedelta(days=15),
                "bench",
                met,
            )
        )
    assert hasattr(pool, "copy_records_to_table")
    await pool.copy_records_to_table(
        "complaints",
        records=rows,
        columns=[
            "complaint_id",
            "workflow_id",
            "channel",
            "branch",
            "owner",
            "supervisor",
            "category",
            "grade",
            "crisis",
            "stage",
            "customer_name",
            "customer_phone",
            "matter",
            "demands",
            "received_at",
            "help_flags",
        ],
    )
    await pool.copy_records_to_table(
        "sla_clocks",
        records=[(*c, False) for c in clocks],
        columns=[
            "complaint_id",
            "clock_key",
            "started_at",
            "kind",
            "label",
            "due_at",
            "basis",
            "met_at",
            "provisional",
        ],
    )
    await pool.execute("ANALYZE complaints; ANALYZE sla_clocks")  # type: ignore[attr-defined]


async def timed(http: httpx.AsyncClient, path: str) -> float:
    start = time.perf_counter()
    answer = await http.get(path)
    elapsed = time.perf_counter() - start
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return elapsed


async def run(cases: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as folder:
        async with ledger(Path(folder)) as dsn:
            pool = await create_pool(dsn, min_size=1, max_size=5)
            try:
                now = datetime.now(UTC)
                await fill(pool, cases, now)
                client = await Client.connect("127.0.0.1:1", lazy=True)  # never used here
                app = create_app(client, pool)
                app.state.desk_settings = DeskSettings()
                key = await create_key(
                    pool, "handler.03", [Role.HANDLER, Role.SUPERVISOR], [BRANCH]
                )
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
                    login = await http.get("/desk/login")
                    found = re.search(r'name="csrf" value="([^"]+)"', login.text)
                    assert found is not None
                    signed = await http.post(
                        "/desk/login", data={"csrf": found.group(1), "key": key}
                    )
                    assert signed.status_code == 303, signed.text
                    team = await http.get("/desk/queue/team")
                    assert team.text.count("<tr data-case=") == min(cases, 500)
                    pages = {
                        "trivial (/healthz)": "/healthz",
                        "team queue": "/desk/queue/team",
                        "my queue": "/desk/queue/mine",
                        "dashboard": "/desk/dashboard",
                    }
                    times: dict[str, list[float]] = {name: [] for name in pages}
                    for _ in range(3):  # warm up
                        for path in pages.values():
                            await timed(http, path)
                    for _ in range(rounds):
                        for name, path in pages.items():
                            times[name].append(await timed(http, path))
            finally:
                await pool.close()
    base = statistics.median(times["trivial (/healthz)"])
    print(f"desk queue: {cases} open cases in {BRANCH} (and {cases} closed), {rounds} rounds")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:<20} median {median * 1000:8.1f} ms   max {max(values) * 1000:8.1f} ms"
            f"   x{median / base:,.0f} the trivial page"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.desk_queue")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(run(args.cases, args.rounds))


if __name__ == "__main__":
    main()
