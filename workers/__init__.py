"""The worker seam (contract: Seams for tests).

    async with complaints_worker(client, database_url) as worker:
        await worker.run()          # or `async with worker:` to poll in the background

returns the real worker, with every workflow and activity wired to its dependencies (the
ledger's PostgreSQL pool, the notification channels) and the notification outbox relay
running beside it while it runs, around any Temporal client: the dev
server, a cluster, Temporal Cloud, or a time-skipping test server. The client must use the
pydantic data converter (`temporalio.contrib.pydantic.pydantic_data_converter`), as
`infra.temporal.connect` does. `build_worker` is the same without owning the pool.
"""

from __future__ import annotations

import compileall
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.accountability import AccountabilityActivities
from activities.hotspots import HotSpotActivities
from activities.ledger import LedgerActivities
from activities.notifications import NotificationActivities
from activities.policy import PolicyActivities, PolicySource, StatutoryPolicySource
from activities.reconciliation import ReconciliationActivities
from infra.config import Settings
from infra.postgres import create_pool
from notices.channels import Channels, ChannelSettings
from notices.relay import OutboxRelay, Sender
from notices.status_links import LinkingSender, StatusLinks
from workflows.accountability import AccountabilityCycleWorkflow, AccountabilityMonthStarter
from workflows.complaint import ComplaintWorkflow
from workflows.contract import TASK_QUEUE
from workflows.hotspots import HotSpotWatchWorkflow
from workflows.reconciliation import LedgerReconciliationWorkflow

WORKFLOWS = [
    ComplaintWorkflow,
    AccountabilityCycleWorkflow,
    AccountabilityMonthStarter,
    LedgerReconciliationWorkflow,
    HotSpotWatchWorkflow,
]


@asynccontextmanager
async def complaints_worker(
    client: Client,
    database_url: str,
    *,
    task_queue: str = TASK_QUEUE,
    sender: Sender | None = None,
    policy_source: PolicySource | None = None,
    clock_speed: float = 1.0,
    sandbox: bool = True,
    outbox_lease: timedelta | None = None,
    **worker_options: Any,
) -> AsyncIterator[ComplaintsWorker]:
    """The real worker (not yet running) with its own ledger pool and channels, closed on exit.

    `sandbox=False` runs workflows without the SDK's sandbox: about a third less CPU per
    complaint start (bench/first_wait.py runs both), but a non-deterministic call in
    workflow code is then caught only by the tests, which always run sandboxed.
    """
    if not sandbox:
        worker_options.setdefault("workflow_runner", UnsandboxedWorkflowRunner())
    pool = await create_pool(database_url, min_size=1, max_size=10)
    channels = Channels(ChannelSettings.from_env())
    try:
        worker = build_worker(
            client,
            pool=pool,
            task_queue=task_queue,
            sender=sender or channels,
            policy_source=policy_source,
            clock_speed=clock_speed,
            outbox_lease=outbox_lease,
            status_links=StatusLinks.from_settings(Settings.from_env()),
            **worker_options,
        )
        yield worker
    finally:
        await channels.aclose()
        await pool.close()


def build_worker(
    client: Client,
    *,
    pool: asyncpg.Pool,
    task_queue: str = TASK_QUEUE,
    sender: Sender,
    policy_source: PolicySource | None = None,
    clock_speed: float = 1.0,
    outbox_lease: timedelta | None = None,
    status_links: StatusLinks | None = None,
    **worker_options: Any,
) -> ComplaintsWorker:
    """The complaints worker around a client, a ledger pool and a sender for notices.

    `outbox_lease`: how long a notice claimed by a relay that died waits before another relay
    sends it again (default 5 minutes: `notices.relay.OutboxRelay`). `status_links`: the
    customer's acknowledgement carries the link to their status page (R-CU-2); None: no link."""
    _precompile_workflows()
    if status_links is not None:
        sender = LinkingSender(sender, pool, status_links)
    notifications = NotificationActivities(pool)
    ledger = LedgerActivities(pool)
    accountability = AccountabilityActivities(pool)
    reconciliation = ReconciliationActivities(pool, client)
    hot_spots = HotSpotActivities(pool)
    policy = PolicyActivities(policy_source or StatutoryPolicySource(clock_speed=clock_speed), pool)
    relay = (
        OutboxRelay(pool, sender)
        if outbox_lease is None
        else OutboxRelay(pool, sender, lease=outbox_lease)
    )
    return ComplaintsWorker(
        client,
        relay=relay,
        pool=pool,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            notifications.notify,
            policy.load_policy,
            ledger.record,
            accountability.compile,
            accountability.publish,
            accountability.open_cycles,
            accountability.missing_evidence,
            accountability.results_recipients,
            reconciliation.reconcile_page,
            hot_spots.watch,
        ],
        **worker_options,
    )


class ComplaintsWorker(Worker):
    """A Temporal worker that also runs the notification outbox relay while it runs.

    On `shutdown` the relay keeps sending while the worker drains (its tasks in flight, and
    running activities for up to `graceful_shutdown_timeout`); then it stops, finishing the
    batch it is sending (`OutboxRelay.running`), and `run` returns."""

    def __init__(
        self, client: Client, *, relay: OutboxRelay, pool: asyncpg.Pool, **options: Any
    ) -> None:
        super().__init__(client, **options)
        self._relay = relay
        self.pool = pool  # the ledger: the worker's readiness probe pings it
        self.stopping = False  # shutdown asked for: not ready any more

    async def run(self) -> None:
        async with self._relay.running():
            await super().run()

    async def shutdown(self) -> None:
        self.stopping = True
        await super().shutdown()


def tuning(settings: Settings) -> dict[str, Any]:
    """The worker options for a large open book (docs/benchmarks.md, `bench/open_book.py`).

    A bounded number of workflow tasks at once (and as many threads to run them): with the
    SDK's 100 slots and 500 threads on a 2-core machine, a burst of woken cases gets every task
    a sliver of the GIL, so a replay outruns the SDK's 2 s deadlock detector and the event
    loop that polls and completes tasks starves (the sticky timeouts the open book measured)."""
    options: dict[str, Any] = {
        "max_cached_workflows": settings.max_cached_workflows,
        "sticky_queue_schedule_to_start_timeout": timedelta(
            seconds=settings.sticky_timeout_seconds
        ),
    }
    if settings.max_concurrent_workflow_tasks is not None:
        options["max_concurrent_workflow_tasks"] = settings.max_concurrent_workflow_tasks
    return options


def _precompile_workflows() -> None:
    """The sandbox re-imports the workflow modules for every workflow run. Without cached
    bytecode (PYTHONDONTWRITEBYTECODE, an editable install) each run recompiles them, which
    halves throughput (bench/first_wait.py). Compile them once; a read-only tree is fine."""
    import workflows

    compileall.compile_dir(Path(workflows.__file__).parent, quiet=2, maxlevels=0)
