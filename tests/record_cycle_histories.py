"""Record accountability cycle histories for the replay tests:
`python -m tests.record_cycle_histories RELEASE` (a month whose sheets go out after the window,
as releases before `penalty-sheets-first` ran it), or `... RELEASE sheets-first` (the month of
the sheets-first cycle: decided, sheets, an appeal with evidence, published; the file
`2026-12-sheets-first.json` was recorded so, with the code before `results-to-hr-and-finance`;
`2026-12-sealed-messages.json` with `seal-binds-message`).

The cycle's running logic changes under `workflow.patched` (workflows/accountability.py);
each file here (`tests/histories/cycles/<period>-<RELEASE>.json`) is a cycle that later
releases must replay (tests/integration/test_cycle_replay.py). Never regenerate one to make a
replay pass. The cycle's workflow id is `accountability-<period>`, the name's first part.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.accountability import ZONE, appeal_until, period_bounds, period_of
from domain.sla import HandlingPolicy, SlaPolicy
from infra.binaries import find
from infra.postgres import create_pool, embedded_server
from infra.temporal import register_search_attributes
from ledger.migrate import migrate
from tests.harness import (
    TEST_CONVERTER,
    FixedPolicySource,
    Harness,
    RecordingNotifier,
    eventually,
)
from tests.harness import test_calendar as calendar
from workers import build_worker
from workflows import contract
from workflows.accountability import CycleInput, CycleState

HERE = Path(__file__).parent / "histories" / "cycles"


async def main(release: str, flow: str = "sheets-after") -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    ledger = embedded_server(Path(tempfile.mkdtemp()))
    await migrate(ledger.dsn)
    pool = await create_pool(ledger.dsn)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER, test_server_existing_path=find("temporal-test-server")
    )
    await register_search_attributes(env.client, contract.SEARCH_ATTRIBUTES)
    source = FixedPolicySource(HandlingPolicy(calendar=calendar(), sla=SlaPolicy()))
    h = Harness(
        env=env, task_queue="record", notifier=RecordingNotifier(), policy=source, pool=pool
    )
    async with build_worker(
        env.client, pool=pool, task_queue="record", sender=h.notifier, policy_source=source
    ):
        name = await (sheets_first_month if flow == "sheets-first" else month)(h, release)
    await env.shutdown()
    await pool.close()
    ledger.stop()
    print(f"recorded {HERE / name}")


async def compiled(
    h: Harness, period: str, inside: datetime, **more: Any
) -> tuple[Any, Callable[..., Awaitable[Any]]]:
    """The month's one closed case R1 (its determination effective: li.na direct, wang.qiang
    managerial; `more`: other ledger columns), its cycle started and compiled; the cycle's
    handle and a sender of sealed messages `by(actor, role, **fields)`."""
    row: dict[str, Any] = {
        "complaint_id": "R1",
        "workflow_id": contract.workflow_id("R1"),
        "channel": "hotline",
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "category": "claims",
        "grade": "general",
        "stage": "closed",
        "outcome": "resolved",
        "customer_name": "x",
        "customer_phone": "13800000000",
        "matter": "m",
        "demands": "d",
        "received_at": inside,
        "reopen_count": 1,
    }
    row |= more
    marks = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await h.pool.execute(
        f"INSERT INTO complaints ({', '.join(row)}) VALUES ({marks})", *row.values()
    )
    await h.pool.execute(
        "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
        " managerial_person, decided_by, decided_at) VALUES ('R1', true, 'staff_error',"
        " 'li.na', 'wang.qiang', 'chief', now())"
    )
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE,
        CycleInput(period=period),
        id=contract.cycle_workflow_id(period),
        task_queue=h.task_queue,
        result_type=CycleState,
    )
    await eventually(
        lambda: handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState),
        what="the compiled cycle",
    )

    async def by(actor: str, role: str, **fields: Any) -> Any:
        return await h.sealed_raw(handle, fields, actor=actor, roles=[role])

    return handle, by


async def month(h: Harness, release: str) -> str:
    """A month: compiled, decided, one appeal from the person, one refused from another,
    the window closed, the appeal decided, published."""
    now = await h.now()
    period = period_of(now)
    if now >= appeal_until(period):
        period = period_of(now + timedelta(days=10))
    starts, _ = period_bounds(period)
    inside = datetime.combine(starts + timedelta(days=3), datetime.min.time(), tzinfo=ZONE)
    handle, by = await compiled(h, period, inside)

    direct = {"complaint_id": "R1", "person": "li.na", "responsibility": "direct"}
    managerial = {"complaint_id": "R1", "person": "wang.qiang", "responsibility": "managerial"}
    await handle.execute_update("decide", await by("review", "review_group", **direct, penalty=120))
    await handle.signal("decide", await by("review", "review_group", **managerial, penalty=60))
    await handle.execute_update("appeal", await by("li.na", "handler", **direct, reason="no"))
    await handle.signal("appeal", await by("zhao.min", "handler", **managerial, reason="x"))
    await h.sleep_until(appeal_until(period))
    await handle.execute_update(
        "decide_appeal", await by("review", "review_group", **direct, upheld=True, penalty=50)
    )
    await handle.result()
    name = f"{period}-{release}.json"
    (HERE / name).write_text((await handle.fetch_history()).to_json())
    return name


async def sheets_first_month(h: Harness, release: str) -> str:
    """A sheets-first month: decided (a reprimand on the direct item), the sheets out, an
    appeal with evidence, the window closed, the appeal decided, published."""
    now = await h.now()
    period = period_of(now)
    if now >= appeal_until(period) - timedelta(days=2):
        period = period_of(now + timedelta(days=12))
    starts, _ = period_bounds(period)
    inside = datetime.combine(starts + timedelta(days=3), datetime.min.time(), tzinfo=ZONE)
    handle, by = await compiled(
        h, period, inside, department="claims", product="motor", policy_number="P1"
    )

    async def sheets_sent() -> CycleState | None:
        state: CycleState = await handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState)
        return state if state.sheets_sent_at else None

    direct = {"complaint_id": "R1", "person": "li.na", "responsibility": "direct"}
    managerial = {"complaint_id": "R1", "person": "wang.qiang", "responsibility": "managerial"}
    await handle.execute_update(
        "decide", await by("review", "review_group", **direct, penalty=120, reprimand=True)
    )
    await handle.signal("decide", await by("review", "review_group", **managerial, penalty=60))
    await eventually(sheets_sent, what="the penalty sheets")
    proof = await h.appeal_evidence("R1", period)
    await handle.execute_update(
        "appeal", await by("li.na", "handler", **direct, reason="no", evidence=[proof])
    )
    await h.sleep_until(appeal_until(period))
    await handle.execute_update(
        "decide_appeal", await by("review", "review_group", **direct, upheld=True, penalty=50)
    )
    await handle.result()
    name = f"{period}-{release}.json"
    (HERE / name).write_text((await handle.fetch_history()).to_json())
    return name


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:3]))
