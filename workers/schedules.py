"""The Temporal Schedules the system runs: `python -m workers.schedules` (idempotent).

The accountability cycle starts on the 21st of every month at 00:30 Shanghai time (R-AN-3).
A release changes the schedule: one already there is updated to this release's spec, action
and policies. Each run starts the month's cycle as `accountability-<period>` (through
`AccountabilityMonthStarter`); overlaps are allowed, so a month whose review group has not
decided never keeps the next month's cycle from starting (the next cycle reports it).

The hot-spot watch (`workflows/hotspots.py`, R-AN-8) runs every day at 08:30 Shanghai time:
it flags the month before and reminds the owners of overdue rectifications (overlap SKIP).

The ledger's reconciliation (`workflows/reconciliation.py`) runs every
`COMPLAINTS_RECONCILE_MINUTES` (default 10); a run still going when the next is due is not
doubled (overlap SKIP), and a run missed while the cluster was down is not made up.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from activities.hotspots import WatchRequest
from infra.config import Settings
from infra.temporal import connect
from workflows import contract
from workflows.accountability import CycleInput
from workflows.hotspots import HOT_SPOT_SCHEDULE_ID, HOT_SPOT_WORKFLOW_ID, HOT_SPOT_WORKFLOW_TYPE
from workflows.reconciliation import (
    RECONCILIATION_SCHEDULE_ID,
    RECONCILIATION_WORKFLOW_ID,
    RECONCILIATION_WORKFLOW_TYPE,
    ReconcileInput,
)

ACCOUNTABILITY_SCHEDULE = contract.CYCLE_SCHEDULE_ID
RECONCILIATION_SCHEDULE = RECONCILIATION_SCHEDULE_ID
HOT_SPOT_SCHEDULE = HOT_SPOT_SCHEDULE_ID
ENV_RECONCILE_MINUTES = "COMPLAINTS_RECONCILE_MINUTES"
DEFAULT_RECONCILE_EVERY = timedelta(minutes=10)


def reconcile_every() -> timedelta:
    """The reconciliation period: `COMPLAINTS_RECONCILE_MINUTES`, else 10 minutes."""
    minutes = os.environ.get(ENV_RECONCILE_MINUTES)
    if not minutes:
        return DEFAULT_RECONCILE_EVERY
    every = timedelta(minutes=float(minutes))
    if every < timedelta(minutes=1):
        raise ValueError(f"{ENV_RECONCILE_MINUTES} must be at least 1 (minute), not {minutes!r}")
    return every


def accountability_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            contract.CYCLE_STARTER_WORKFLOW_TYPE,
            CycleInput(),  # the period is the month of the 21st it starts on
            id=contract.CYCLE_STARTER_WORKFLOW_ID,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    day_of_month=[ScheduleRange(21)],
                    hour=[ScheduleRange(0)],
                    minute=[ScheduleRange(30)],
                )
            ],
            time_zone_name="Asia/Shanghai",
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
    )


def hot_spot_schedule(task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            HOT_SPOT_WORKFLOW_TYPE, WatchRequest(), id=HOT_SPOT_WORKFLOW_ID, task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(8)], minute=[ScheduleRange(30)])],
            time_zone_name="Asia/Shanghai",
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def reconciliation_schedule(task_queue: str, every: timedelta) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            RECONCILIATION_WORKFLOW_TYPE,
            ReconcileInput(),
            id=RECONCILIATION_WORKFLOW_ID,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_schedules(
    client: Client, task_queue: str, *, reconcile: timedelta | None = None
) -> None:
    """Create the schedules, or update those an earlier release made to this release's."""
    await _ensure(client, ACCOUNTABILITY_SCHEDULE, accountability_schedule(task_queue))
    every = reconcile or reconcile_every()
    await _ensure(client, RECONCILIATION_SCHEDULE, reconciliation_schedule(task_queue, every))
    await _ensure(client, HOT_SPOT_SCHEDULE, hot_spot_schedule(task_queue))


async def _ensure(client: Client, schedule_id: str, schedule: Schedule) -> None:
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)


async def main() -> None:
    settings = Settings.from_env()
    client = await connect(settings)
    await ensure_schedules(client, settings.task_queue)
    for schedule_id in (ACCOUNTABILITY_SCHEDULE, RECONCILIATION_SCHEDULE, HOT_SPOT_SCHEDULE):
        print(f"schedule {schedule_id} in place on namespace {client.namespace}")


if __name__ == "__main__":
    asyncio.run(main())
