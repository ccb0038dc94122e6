"""The Temporal Schedules the system runs: `python -m workers.schedules` (idempotent).

The accountability cycle starts on the 21st of every month at 00:30 Shanghai time (R-AN-3).
A release changes the schedule: one already there is updated to this release's spec, action
and policies. Each run starts the month's cycle as `accountability-<period>` (through
`AccountabilityMonthStarter`); overlaps are allowed, so a month whose review group has not
decided never keeps the next month's cycle from starting (the next cycle reports it).
"""

from __future__ import annotations

import asyncio

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from infra.config import Settings
from infra.temporal import connect
from workflows import contract
from workflows.accountability import CycleInput

ACCOUNTABILITY_SCHEDULE = contract.CYCLE_SCHEDULE_ID


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


async def ensure_schedules(client: Client, task_queue: str) -> None:
    """Create the schedule, or update one an earlier release made to this release's."""
    schedule = accountability_schedule(task_queue)
    try:
        await client.create_schedule(ACCOUNTABILITY_SCHEDULE, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(ACCOUNTABILITY_SCHEDULE).update(replace)


async def main() -> None:
    settings = Settings.from_env()
    client = await connect(settings)
    await ensure_schedules(client, settings.task_queue)
    print(f"schedule {ACCOUNTABILITY_SCHEDULE} in place on namespace {client.namespace}")


if __name__ == "__main__":
    asyncio.run(main())
