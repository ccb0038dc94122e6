"""A case ends only through its own actions; one ended from outside is found and reported.

The scheduled reconciliation (workflows/reconciliation.py) compares the ledger's open cases
with Temporal: a case whose workflow was terminated, reset or is unknown is marked in the
ledger (`orphaned_cases`), counted at the worker's `/metrics` and reported to its supervisor
through the outbox, exactly once however often it runs; a running case is never flagged.

On the time-skipping server (no visibility list: a describe per case) and on the dev server
(the visibility path, a reset, and the schedule the launcher and `python -m workers.schedules`
create). Both with a real PostgreSQL ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import (
    ScheduleActionStartWorkflow,
    ScheduleOverlapPolicy,
    WorkflowExecutionStatus,
)
from temporalio.testing import WorkflowEnvironment

from domain.sla import HandlingPolicy, SlaPolicy
from infra.binaries import find
from infra.temporal import register_search_attributes
from ledger import metrics as ledger_metrics
from tests.harness import (
    TEST_CONVERTER,
    FixedPolicySource,
    Harness,
    RecordingNotifier,
    eventually,
    test_calendar,
)
from tests.integration.test_metrics import samples, value
from workers import ComplaintsWorker, build_worker, endpoints
from workers.schedules import RECONCILIATION_SCHEDULE, ensure_schedules
from workflows import contract
from workflows.reconciliation import (
    RECONCILIATION_WORKFLOW_TYPE,
    ReconcileInput,
    ReconcileResult,
)


@pytest.fixture
async def worker(bare_harness: Harness) -> AsyncIterator[ComplaintsWorker]:
    h = bare_harness
    w = build_worker(
        h.client, pool=h.pool, task_queue=h.task_queue, sender=h.notifier, policy_source=h.policy
    )
    async with w:
        yield w


async def reconcile(h: Harness, page_size: int = 500) -> ReconcileResult:
    """One reconciliation pass, as the schedule starts it."""
    result: ReconcileResult = await h.client.execute_workflow(
        RECONCILIATION_WORKFLOW_TYPE,
        ReconcileInput(page_size=page_size),
        id=f"reconcile-{uuid.uuid4().hex[:8]}",
        task_queue=h.task_queue,
        result_type=ReconcileResult,
    )
    return result


async def filed(h: Harness, *workflow_ids: str) -> None:
    """Wait until the cases of these workflows are in the ledger."""

    async def all_there() -> bool:
        found = await h.pool.fetchval(
            "SELECT count(*) FROM complaints WHERE workflow_id = ANY($1::text[])",
            list(workflow_ids),
        )
        return bool(found == len(workflow_ids))

    await eventually(all_there, what="the cases in the ledger")


async def ledger_only_case(pool: asyncpg.Pool, complaint_id: str, stage: str = "contact") -> None:
    """A ledger row whose workflow Temporal never had (a restore from a backup, a lost
    namespace): no supervisor, so its owner is told."""
    await pool.execute(
        "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, category,"
        " grade, stage, customer_name, customer_phone, matter, demands, received_at)"
        " VALUES ($1, $2, 'hotline', 'Shanghai Pudong', 'li.na', 'claims', 'general', $3,"
        " '张伟', '13812345678', 'm', 'd', now())",
        complaint_id,
        contract.workflow_id(complaint_id),
        stage,
    )


async def orphan_notices(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT complaint_id, recipient_role, recipient, subject, body FROM notifications"
        " WHERE kind = 'case_orphaned' ORDER BY complaint_id"
    )
    return [dict(r) for r in rows]


async def test_a_terminated_case_is_marked_counted_and_reported_once(
    bare_harness: Harness, worker: ComplaintsWorker
) -> None:
    """Time-skipping server (no visibility list: every open case described). The terminated
    case and the one Temporal does not know are marked and told to their supervisor (the owner
    when there is none) once; the running case, and a closed case without a workflow, are not.
    A second run, and a run in pages of one, tell no one again."""
    h = bare_harness
    terminated, running = await h.start(), await h.start()
    await filed(h, terminated.id, running.id)
    await terminated.terminate(reason="by an operator, outside the case")
    await ledger_only_case(h.pool, "LOST-1")
    await ledger_only_case(h.pool, "LOST-CLOSED", stage="closed")  # not open: not compared
    gone = contract.complaint_id_of(terminated.id)
    alive = contract.complaint_id_of(running.id)
    assert gone is not None and alive is not None

    first = await reconcile(h)
    assert first.checked == 3 and first.orphaned == 2, first
    assert sorted(first.complaint_ids) == sorted([gone, "LOST-1"])
    marks = {
        r["complaint_id"]: r["status"] for r in await h.pool.fetch("SELECT * FROM orphaned_cases")
    }
    assert marks == {gone: "terminated", "LOST-1": "not_found"}
    told = await orphan_notices(h.pool)
    assert [(n["complaint_id"], n["recipient_role"], n["recipient"]) for n in told] == sorted(
        [(gone, "supervisor", "wang.qiang"), ("LOST-1", "owner", "li.na")]
    )
    [to_supervisor] = [n for n in told if n["complaint_id"] == gone]
    assert "terminated" in to_supervisor["body"] and terminated.id in to_supervisor["body"]
    delivered = await h.notifier.wait_for("case_orphaned", 2)
    assert {n.complaint_id for n in delivered} == {gone, "LOST-1"}

    # Counted at the worker's /metrics (read from the ledger when scraped).
    app = endpoints.create_app(h.client, worker, sdk_metrics=None)
    async with (
        endpoints.serving(app, "127.0.0.1", 0) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        scraped = samples((await http.get("/metrics")).text)
    assert value(scraped, "complaints_orphaned_cases", status="terminated") == 1
    assert value(scraped, "complaints_orphaned_cases", status="not_found") == 1
    assert ("complaints_orphaned_cases", frozenset({("status", "reset")})) in scraped  # 0, shown

    # Again, and again in pages of one: nothing new, no second notice.
    for page_size in (500, 1):
        again = await reconcile(h, page_size)
        assert again.orphaned == 0 and again.checked == 1, again  # only the running case is open
    assert await orphan_notices(h.pool) == told
    assert len(h.notifier.of("case_orphaned")) == 2
    assert (await running.describe()).status is WorkflowExecutionStatus.RUNNING
    assert dict(await ledger_metrics.orphaned_cases(h.pool)) == {"terminated": 1, "not_found": 1}


@pytest.fixture
async def dev_env(pool: asyncpg.Pool) -> AsyncIterator[Harness]:
    """The dev server (visibility lists, resets and schedules, which the time-skipping server
    lacks) with the real worker on a real ledger."""
    env = await WorkflowEnvironment.start_local(
        data_converter=TEST_CONVERTER, dev_server_existing_path=find("temporal")
    )
    await register_search_attributes(env.client, contract.SEARCH_ATTRIBUTES)
    h = Harness(
        env=env,
        task_queue=f"{contract.TASK_QUEUE}-{uuid.uuid4().hex[:8]}",
        notifier=RecordingNotifier(),
        policy=FixedPolicySource(HandlingPolicy(calendar=test_calendar(), sla=SlaPolicy())),
        pool=pool,
    )
    try:
        worker = build_worker(
            env.client,
            pool=pool,
            task_queue=h.task_queue,
            sender=h.notifier,
            policy_source=h.policy,
        )
        async with worker:
            yield h
    finally:
        await env.shutdown()


async def reset_to_first_task(h: Harness, workflow_id: str) -> None:
    """What the Web UI's Reset does: the workflow rewound to its first workflow task."""
    handle = h.client.get_workflow_handle(workflow_id)
    first_task = None
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            first_task = event.event_id
            break
    assert first_task is not None
    await h.client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=h.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            reason="by an operator, outside the case",
            workflow_task_finish_event_id=first_task,
            request_id=uuid.uuid4().hex,
        )
    )


async def test_the_schedule_finds_terminated_and_reset_cases_through_visibility(
    dev_env: Harness,
) -> None:
    """Dev server: the schedule (every minute here, SKIP on overlap) started by hand finds the
    terminated case and the reset one, and leaves the running one; the visibility query names
    the candidates, so a running case is not described one by one."""
    h = dev_env
    terminated, reset, running = await h.start(), await h.start(), await h.start()
    await filed(h, terminated.id, reset.id, running.id)
    await terminated.terminate(reason="by an operator, outside the case")
    await reset_to_first_task(h, reset.id)

    async def seen_by_visibility() -> bool:
        ids = f'"{terminated.id}", "{reset.id}"'
        query = f'WorkflowId IN ({ids}) AND ExecutionStatus = "Terminated"'
        return len({wf.id async for wf in h.client.list_workflows(query)}) == 2

    await eventually(seen_by_visibility, what="the terminated runs in visibility")

    await ensure_schedules(h.client, h.task_queue, reconcile=timedelta(minutes=1))
    schedule = h.client.get_schedule_handle(RECONCILIATION_SCHEDULE)
    described = (await schedule.describe()).schedule
    assert [i.every for i in described.spec.intervals] == [timedelta(minutes=1)]
    assert described.policy.overlap is ScheduleOverlapPolicy.SKIP
    assert isinstance(described.action, ScheduleActionStartWorkflow)
    assert described.action.workflow == RECONCILIATION_WORKFLOW_TYPE
    await schedule.trigger()

    async def marked() -> dict[str, str] | None:
        rows = await h.pool.fetch("SELECT complaint_id, status FROM orphaned_cases")
        found = {r["complaint_id"]: r["status"] for r in rows}
        return found if len(found) == 2 else None

    marks = await eventually(marked, what="the scheduled run's marks")
    assert marks == {
        contract.complaint_id_of(terminated.id): "terminated",
        contract.complaint_id_of(reset.id): "reset",
    }
    await h.notifier.wait_for("case_orphaned", 2)

    again = await reconcile(h)  # only the running case is left to compare; not described
    assert (again.checked, again.described, again.orphaned) == (1, 0, 0), again
    assert len(await orphan_notices(h.pool)) == 2
    await ensure_schedules(h.client, h.task_queue)  # a second release start: still one
