"""Monthly report over a large ledger: `monthly_report` against plain ways of computing it.

    python -m bench.monthly_report [--rows 1000000] [--period 2026-10] [--rounds 5] [--explain]

Generates a ledger into a fresh embedded PostgreSQL (`infra.postgres.embedded_server` in a
temporary folder, `ledger.migrate.migrate`, deleted afterwards), deterministically (seed 7):

- `--rows` complaints (default 1,000,000) over the 24 months up to `--period`, growing about
  2.5% a month with a seasonal swing, at uniformly random moments of each month, in arrival
  order; 36 branches (12 cities × 3 districts, Zipf-like sizes), the contract's 10 channels,
  12 categories (some Chinese), 6 products and none, grades mostly general (regulator and
  media: major), and the stage and outcome a case of that age would have (recent ones open,
  older ones 92% resolved, 7% withdrawn); 10% reopened, 7% repeat, 3% escalated, 2%
  multi-channel. Row widths are realistic (customer, matter, demands).
- `sla_clocks` for 25% of the complaints: one stage clock per stage reached (contact,
  investigate, approve, close, callback), each starting when the previous one was met, about
  8% breached and 3% extended, the current stage's clock open.
- `determinations` for 45% of the finished cases (effective about 25% of them), and
  `exposures` for every month, branch and product plus a totals row per branch (claims
  reported 3 to 30 times the branch's complaints, 0.6 to 1.6 times in one branch of ten, so
  that some branches go over R-AN-2's 5%).

Loading is a bulk load, as a migration of historical data would do it: the secondary indexes of
`complaints` and `sla_clocks` (whatever the migrations created) are dropped, the rows go in with
COPY (`copy_records_to_table`) with foreign-key triggers off (`session_replication_role =
replica`: the generated rows are consistent by construction), the indexes are created again,
then VACUUM ANALYZE (index-only scans need the visibility map, as autovacuum keeps it).

Then, per round, side by side in the same run (whole company, then `--branch`):

- `report`: `reports.statistics.monthly_report` with the indexes of 0003_statistics.sql;
- `naive SQL`: the very same queries after dropping 0003's two indexes (inside a transaction
  that is rolled back): the ledger with only the indexes of 0001/0002;
- `python`: the plain way with the same 0001/0002 indexes only: fetch the month's complaint
  rows, the month's stage clocks, their determinations, the exposures and the received_at of
  the 12 trend months, and aggregate in Python. Its figures are checked equal to the report's.

Prints the medians (and every round) and the ratios. Target: the report well under a second.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import math
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from bench.servers import ledger as ledger_database
from reports.render import render_html
from reports.statistics import (
    NO_PRODUCT,
    REASONS,
    STAGES,
    TREND_MONTHS,
    ZONE,
    MonthlyReport,
    add_months,
    effective_control,
    month_bounds,
    monthly_report,
    parse_period,
    period_label,
    rate_products,
)
from workflows import contract

# fmt: off
CITIES = ["Shanghai", "Beijing", "Guangzhou", "Shenzhen", "Hangzhou", "Nanjing", "Chengdu",
          "Wuhan", "Xian", "Tianjin", "Chongqing", "Suzhou"]
DISTRICTS = ["Central", "East", "West"]
CHANNELS = {"hotline": 45, "online": 20, "letter": 3, "visit": 8, "partner": 10,
            "headquarters": 4, "association": 2, "regulator": 5, "media": 1, "other": 2}
CATEGORIES = {"claims settlement": 30, "理赔时效": 12, "claim amount": 10, "sales practice": 8,
              "policy service": 8, "premium refund": 6, "服务态度": 6, "surveyor conduct": 5,
              "repair quality": 5, "renewal": 4, "information disclosure": 3, "other": 3}
PRODUCTS = {"motor": 55, "health": 12, "accident": 10, "home": 8, "travel": 5, "liability": 5,
            None: 5}
PREMIUM = {"motor": 3200, "health": 1800, "accident": 300, "home": 900, "travel": 150,
           "liability": 2500}  # average yuan per policy
OPEN_STAGES = {"contact": 20, "investigate": 40, "approve": 15, "close": 10, "callback": 15}
STAGE_HOURS = {"contact": (0.3, 5), "investigate": (20, 160), "approve": (4, 60),
               "close": (4, 60), "callback": (10, 80)}
LIMIT_HOURS = {"contact": 4, "investigate": 120, "approve": 48, "close": 72, "callback": 72}
REASON_WEIGHTS = {**{c: 25 / 4 for c in REASONS["effective"]},
                  **{c: 10 / 3 for c in REASONS["not_effective"]},
                  "outside_liability": 20, "satisfied_first_coordination": 45}
MATTER = ("The claim for the repair of my car after the collision on the ring road has not "
          "been paid although every document was handed in weeks ago.")
DEMANDS = "Pay the claim in full and explain the delay in writing."
COMPLAINT_COLUMNS = (
    "complaint_id", "workflow_id", "channel", "branch", "owner", "supervisor", "category",
    "product", "policy_number", "grade", "stage", "outcome", "customer_name", "customer_phone",
    "matter", "demands", "received_at", "sla_breached", "reopen_count", "review_count",
    "decided_at", "closed_at", "last_event_seq", "repeat_count", "escalated", "multi_channel",
)
CLOCK_COLUMNS = ("complaint_id", "clock_key", "started_at", "kind", "label", "due_at", "basis",
                 "provisional", "extended", "breached_at", "met_at")
# fmt: on
DROPPED_BY_NAIVE = ("complaints_report_idx", "sla_clocks_stage_started_idx")


def picker(rng: random.Random, weights: Mapping[Any, float]) -> Callable[[int], list[Any]]:
    keys = list(weights)
    cum = list(itertools.accumulate(weights.values()))
    return lambda k: rng.choices(keys, cum_weights=cum, k=k)


# ---------------------------------------------------------------------------------------------
# Generation


class Ledger:
    """Generates the rows (see the module's docstring) and remembers what exposures need."""

    def __init__(self, rows: int, period: str, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.rows = rows
        year, month = parse_period(period)
        self.months = [add_months(year, month, -k) for k in range(23, -1, -1)]
        self.now = month_bounds(year, month)[1] + timedelta(days=5)
        self.branches = [f"{city} {d}" for city in CITIES for d in DISTRICTS]
        self.per_branch_month: Counter[tuple[str, str]] = Counter()
        self.per_product_month: Counter[tuple[str, str, str]] = Counter()

    def received(self) -> list[float]:
        """Sorted epoch seconds over the 24 months (growth and seasonality)."""
        rng = self.rng
        weights = [
            (1 + 0.025 * i) * (1 + 0.12 * math.cos(2 * math.pi * (m - 3) / 12))
            for i, (_, m) in enumerate(self.months)
        ]
        spans = [tuple(t.timestamp() for t in month_bounds(y, m)) for y, m in self.months]
        which = picker(rng, dict(enumerate(weights)))(self.rows)
        moments = [lo + rng.random() * (hi - lo) for lo, hi in (spans[i] for i in which)]
        moments.sort()
        return moments

    def complaints(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[Any]]:
        """Complaint rows, stage clock rows and determination rows."""
        rng, n = self.rng, self.rows
        moments = self.received()
        branch_weights = {b: 1 / (i + 1) ** 0.8 for i, b in enumerate(self.branches)}
        branches = picker(rng, branch_weights)(n)
        channels = picker(rng, CHANNELS)(n)
        categories = picker(rng, CATEGORIES)(n)
        products = picker(rng, PRODUCTS)(n)
        open_stages = picker(rng, OPEN_STAGES)(n)
        reasons = picker(rng, REASON_WEIGHTS)(n)
        now = self.now.timestamp()
        month_of = [(period_label(y, m), month_bounds(y, m)[1].timestamp()) for y, m in self.months]
        ends = [end for _, end in month_of]
        complaints: list[tuple[Any, ...]] = []
        clocks: list[tuple[Any, ...]] = []
        determinations: list[tuple[Any, ...]] = []
        rand = rng.random
        for i in range(n):
            ts = moments[i]
            at = datetime.fromtimestamp(ts, UTC)
            cid = f"B{i:07d}"
            channel, branch, product = channels[i], branches[i], products[i]
            period = month_of[bisect.bisect_right(ends, ts)][0]
            self.per_branch_month[(period, branch)] += 1
            if product is not None:
                self.per_product_month[(period, branch, product)] += 1
            age_days = (now - ts) / 86400
            r = rand()
            if (age_days < 15 and r < 0.85) or (age_days < 45 and r < 0.35) or r < 0.01:
                stage, outcome = open_stages[i], None
            elif r < 0.08:
                stage, outcome = "withdrawn", "withdrawn"
            else:
                stage, outcome = "closed", "resolved"
            grade = (
                "major"
                if channel in ("regulator", "media") or rand() < 0.08
                else "special"
                if rand() < 0.02
                else "general"
            )
            r = rand()
            reopen = 2 if r < 0.02 else 1 if r < 0.10 else 0
            r = rand()
            repeat = 2 if r < 0.02 else 1 if r < 0.07 else 0
            multi = repeat > 0 and rand() < 0.3
            escalated = rand() < 0.03
            breached = False
            if rand() < 0.25:
                breached = self._clocks(clocks, cid, ts, stage)
            finished = stage in ("closed", "withdrawn")
            closed_at = at + timedelta(days=8 + 10 * rand()) if finished else None
            # fmt: off
            complaints.append((
                cid, contract.workflow_id(cid), channel, branch, f"handler{i % 500}",
                f"lead{i % 60}", categories[i], product, f"P{i:010d}", grade, stage, outcome,
                "张伟", f"138{i % 100_000_000:08d}", MATTER, DEMANDS, at, breached, reopen, 0,
                closed_at, closed_at, 12, repeat, escalated, multi,
            ))
            # fmt: on
            if finished and rand() < 0.45:
                code = "withdrawn" if stage == "withdrawn" else reasons[i]
                determinations.append(
                    (
                        cid,
                        code in REASONS["effective"],
                        code,
                        f"handler{i % 500}",
                        f"lead{i % 60}",
                        "review.group",
                        closed_at,
                    )
                )
        return complaints, clocks, determinations

    def _clocks(self, out: list[tuple[Any, ...]], cid: str, ts: float, stage: str) -> bool:
        rng = self.rng
        last = STAGES.index(stage) if stage in STAGES else len(STAGES) - 1
        start = ts
        any_breach = False
        for k, name in enumerate(STAGES[: last + 1]):
            lo, hi = STAGE_HOURS[name]
            took = (lo + (hi - lo) * rng.random() ** 1.6) * 3600
            limit = LIMIT_HOURS[name] * 3600
            extended = rng.random() < 0.03
            due = start + limit * (2 if extended else 1)
            still_open = k == last and stage in OPEN_STAGES
            met = None if still_open else start + took
            breached_at = None
            if (met if met is not None else self.now.timestamp()) > due:
                breached_at = datetime.fromtimestamp(due, UTC)
                any_breach = True
            started = datetime.fromtimestamp(start, UTC)
            met_at = None if met is None else datetime.fromtimestamp(met, UTC)
            due_at = datetime.fromtimestamp(due, UTC)
            out.append(
                (
                    cid,
                    f"stage:{name}",
                    started,
                    "stage",
                    name,
                    due_at,
                    "bench",
                    False,
                    extended,
                    breached_at,
                    met_at,
                )
            )
            if met is None:
                break
            start = met
        return any_breach

    def exposures(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        rows: list[tuple[Any, ...]] = []
        # Claims per complaint: most branches 3-30; one in ten has few claims (0.6-1.6), so that
        # its effective complaints (about 10% of its complaints) may pass R-AN-2's 5%.
        for (period, branch), n in sorted(self.per_branch_month.items()):
            low = self.branches.index(branch) % 10 == 3
            ratio = rng.uniform(0.6, 1.6) if low else rng.uniform(3, 30)
            rows.append((period, branch, "", round(n * ratio), None, None))
        for (period, branch, product), n in sorted(self.per_product_month.items()):
            policies = round(n * rng.uniform(2000, 8000))
            premium = Decimal(round(policies * PREMIUM[product] * rng.uniform(0.8, 1.2), 2))
            rows.append((period, branch, product, None, policies, premium.quantize(Decimal("1"))))
        return rows


async def bulk_load(conn: Any, ledger: Ledger) -> dict[str, int]:
    indexes = await conn.fetch(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename IN ('complaints', 'sla_clocks')
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""
    )
    for row in indexes:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    await conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
    await conn.execute("SET maintenance_work_mem = '256MB'")
    complaints, clocks, determinations = ledger.complaints()
    for start in range(0, len(complaints), 100_000):
        await conn.copy_records_to_table(
            "complaints", records=complaints[start : start + 100_000], columns=COMPLAINT_COLUMNS
        )
    await conn.copy_records_to_table("sla_clocks", records=clocks, columns=CLOCK_COLUMNS)
    await conn.copy_records_to_table(
        "determinations",
        records=determinations,
        columns=(
            "complaint_id",
            "effective",
            "reason_code",
            "direct_person",
            "managerial_person",
            "decided_by",
            "decided_at",
        ),
    )
    exposures = ledger.exposures()
    await conn.copy_records_to_table(
        "exposures",
        records=exposures,
        columns=("period", "branch", "product", "claims_reported", "policies", "premium_yuan"),
    )
    await conn.execute("SET session_replication_role = DEFAULT")
    for row in indexes:
        await conn.execute(row["indexdef"])
    await conn.execute("VACUUM ANALYZE complaints, sla_clocks, determinations, exposures")
    return {
        "complaints": len(complaints),
        "sla_clocks": len(clocks),
        "determinations": len(determinations),
        "exposures": len(exposures),
        "indexes rebuilt": len(indexes),
    }


# ---------------------------------------------------------------------------------------------
# The plain way: fetch the rows, aggregate in Python


async def python_report(conn: Any, period: str, prefix: str | None) -> dict[str, Any]:
    year, month = parse_period(period)
    start, end = month_bounds(year, month)
    rows = await conn.fetch(
        "SELECT complaint_id, category, channel, grade, outcome, product, branch, reopen_count,"
        " repeat_count, escalated, multi_channel FROM complaints"
        " WHERE received_at >= $1 AND received_at < $2",
        start,
        end,
    )
    rows = [r for r in rows if prefix is None or r["branch"].startswith(prefix)]
    by: dict[str, Counter[str]] = {
        k: Counter() for k in ("category", "channel", "grade", "outcome", "product", "branch")
    }
    per_product_branch: Counter[tuple[str, str]] = Counter()
    for r in rows:
        product = r["product"] or NO_PRODUCT
        by["category"][r["category"]] += 1
        by["channel"][r["channel"]] += 1
        by["grade"][r["grade"]] += 1
        by["outcome"][r["outcome"] or "open"] += 1
        by["product"][product] += 1
        by["branch"][r["branch"]] += 1
        per_product_branch[(product, r["branch"])] += 1
    clocks = await conn.fetch(
        "SELECT s.clock_key, s.met_at, s.breached_at, s.extended, c.branch FROM sla_clocks s"
        " JOIN complaints c USING (complaint_id)"
        " WHERE s.kind = 'stage' AND s.started_at >= $1 AND s.started_at < $2",
        start,
        end,
    )
    sla: dict[str, Counter[str]] = {}
    for c in clocks:
        if prefix is not None and not c["branch"].startswith(prefix):
            continue
        s = sla.setdefault(c["clock_key"].removeprefix("stage:"), Counter())
        s["clocks"] += 1
        s["met"] += c["met_at"] is not None and c["breached_at"] is None
        s["breached"] += c["breached_at"] is not None
        s["open"] += c["met_at"] is None and c["breached_at"] is None
        s["extended"] += c["extended"]
    ids = [r["complaint_id"] for r in rows]
    branch_of = {r["complaint_id"]: r["branch"] for r in rows}
    decided = await conn.fetch(
        "SELECT complaint_id, effective, reason_code FROM determinations"
        " WHERE complaint_id = ANY($1::text[])",
        ids,
    )
    per_branch: dict[str, dict[str, Any]] = {}
    for d in decided:
        b = per_branch.setdefault(
            branch_of[d["complaint_id"]],
            {"branch": branch_of[d["complaint_id"]], "determined": 0, "effective": 0, "exempt": 0},
        )
        b["determined"] += 1
        b["effective"] += d["effective"]
        b["exempt"] += d["reason_code"] in REASONS["exempt"]
    exposures = [
        e
        for e in await conn.fetch("SELECT * FROM exposures WHERE period = $1", period)
        if prefix is None or e["branch"].startswith(prefix)
    ]
    months = [add_months(year, month, -k) for k in range(TREND_MONTHS - 1, -1, -1)]
    lo, hi = month_bounds(*months[0])[0], end
    stamps = await conn.fetch(
        "SELECT received_at, branch FROM complaints WHERE received_at >= $1 AND received_at < $2",
        lo,
        hi,
    )
    trend: Counter[str] = Counter()
    for s in stamps:
        if prefix is None or s["branch"].startswith(prefix):
            local = s["received_at"].astimezone(ZONE)
            trend[f"{local.year:04d}-{local.month:02d}"] += 1
    return {
        "complaints": len(rows),
        **{f"by_{k}": dict(v) for k, v in by.items()},
        "reopened": sum(r["reopen_count"] > 0 for r in rows),
        "reopens": sum(r["reopen_count"] for r in rows),
        "repeat": sum(r["repeat_count"] > 0 for r in rows),
        "escalated": sum(r["escalated"] for r in rows),
        "multi_channel": sum(r["multi_channel"] for r in rows),
        "sla": {
            k: (v["clocks"], v["met"], v["breached"], v["open"], v["extended"])
            for k, v in sla.items()
        },
        "product_rates": [
            p.model_dump()
            for p in rate_products(by["product"], dict(per_product_branch), exposures)
        ],
        "effective": [
            b.model_dump()
            for b in effective_control(by["branch"], list(per_branch.values()), exposures).branches
        ],
        "trend": [trend[period_label(y, m)] for y, m in months],
    }


def comparable(report: MonthlyReport) -> dict[str, Any]:
    return {
        "complaints": report.complaints,
        **{
            f"by_{k}": dict(getattr(report, f"by_{k}"))
            for k in ("category", "channel", "grade", "outcome", "product", "branch")
        },
        "reopened": report.reopened,
        "reopens": report.reopens,
        "repeat": report.repeat,
        "escalated": report.escalated,
        "multi_channel": report.multi_channel,
        "sla": {
            s.stage: (s.clocks, s.met_on_time, s.breached, s.open, s.extended)
            for s in report.sla
            if s.clocks
        },
        "product_rates": [p.model_dump() for p in report.product_rates],
        "effective": [b.model_dump() for b in report.effective.branches],
        "trend": [m.complaints for m in report.trend],
    }


# ---------------------------------------------------------------------------------------------
# Measuring


async def timed(run: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    begun = time.perf_counter()
    result = await run()
    return time.perf_counter() - begun, result


async def without_0003_indexes(conn: Any, run: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """Run with 0003's indexes dropped, in a transaction rolled back afterwards."""
    tx = conn.transaction()
    await tx.start()
    try:
        for name in DROPPED_BY_NAIVE:
            await conn.execute(f"DROP INDEX {name}")
        return await timed(run)
    finally:
        await tx.rollback()


async def explain(conn: Any, period: str) -> None:
    from ledger import statistics as queries

    start, end = month_bounds(*parse_period(period))
    for name, sql in (
        ("breakdown", queries.BREAKDOWN.format(branch="")),
        ("sla", queries.SLA.format(join="", branch="")),
    ):
        plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql, start, end)
        lines = [r[0] for r in plan]
        scans = [ln.strip() for ln in lines if "Scan" in ln or "Heap Fetches" in ln]
        print(f"  plan {name}: " + " | ".join(scans[:3]) + f" | {lines[-1].strip()}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--branch", default="Shanghai", help="a prefix for the narrowed runs")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the plans used")
    args = parser.parse_args()
    parse_period(args.period)
    with tempfile.TemporaryDirectory() as tmp:
        async with ledger_database(Path(tmp)) as dsn:
            conn = await asyncpg.connect(dsn)
            begun = time.perf_counter()
            ledger = Ledger(args.rows, args.period)
            loaded = await bulk_load(conn, ledger)
            generation = time.perf_counter() - begun
            size = await conn.fetchval(
                "SELECT pg_size_pretty(pg_database_size(current_database()))"
            )
            print(
                f"monthly report bench, period {args.period}, "
                f"at {datetime.now(UTC):%Y-%m-%d %H:%M}Z"
            )
            print(
                f"  generated and loaded in {generation:.1f} s: "
                + ", ".join(f"{v:,} {k}" for k, v in loaded.items())
                + f"; database {size}"
            )
            if args.explain:
                await explain(conn, args.period)
            for prefix in (None, args.branch):
                await measure(conn, args.period, prefix, args.rounds)
            await conn.close()


async def measure(conn: Any, period: str, prefix: str | None, rounds: int) -> None:
    results: dict[str, list[float]] = {"report": [], "naive SQL": [], "python": []}
    report = await monthly_report(conn, period, prefix)  # warm the cache once
    for _ in range(rounds):
        t, report = await timed(lambda: monthly_report(conn, period, prefix))
        results["report"].append(t)
        t, naive = await without_0003_indexes(conn, lambda: monthly_report(conn, period, prefix))
        results["naive SQL"].append(t)
        t, plain = await without_0003_indexes(conn, lambda: python_report(conn, period, prefix))
        results["python"].append(t)
    assert comparable(naive) == comparable(report), "the naive SQL disagrees with the report"
    assert plain == comparable(report), "the Python aggregation disagrees with the report"
    html, _ = await timed(lambda: asyncio.to_thread(render_html, report))
    scope = f"branches {prefix}*" if prefix else "whole company"
    print(
        f"  {scope}: {report.complaints:,} complaints in {period}, "
        f"{sum(s.clocks for s in report.sla):,} stage clocks, "
        f"{len(report.effective.branches)} branches ({len(report.effective.over_limit)} over 5%); "
        f"figures equal in all three"
    )
    medians = {k: statistics.median(v) for k, v in results.items()}
    for name, times in results.items():
        print(
            f"    {name:10s} {medians[name] * 1000:8.1f} ms  (rounds: "
            f"{' '.join(f'{t * 1000:.0f}' for t in times)})"
        )
    print(
        f"    ratio naive SQL / report: {medians['naive SQL'] / medians['report']:.1f}x; "
        f"python / report: {medians['python'] / medians['report']:.1f}x; "
        f"HTML page rendering (charts) {html * 1000:.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
