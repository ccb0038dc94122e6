"""The Temporal Schedules the system runs: `python -m workers.schedules` (idempotent).

The accountability cycle starts on the 21st of every month at 00:30 Shanghai time (R-AN-3).
"""

from __future__ import annotations

import asyncio
import contextlib

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)

from infra.config import Settings
from infra.temporal import connect
from workflows import contract
from workflows.accountability import CycleInput

ACCOUNTABILITY_SCHEDULE = contract.CYCLE_SCHEDULE_ID


async def ensure_schedules(client: Client, task_queue: str) -> None:
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            contract.CYCLE_WORKFLOW_TYPE,
            CycleInput(),  # the period is the month of the 21st it starts on
            id=contract.CYCLE_SCHEDULED_WORKFLOW_ID,
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
    )
    with contextlib.suppress(ScheduleAlreadyRunningError):  # made by an earlier start
        await client.create_schedule(ACCOUNTABILITY_SCHEDULE, schedule)


async def main() -> None:
    settings = Settings.from_env()
    client = await connect(settings)
    await ensure_schedules(client, settings.task_queue)
    print(f"schedule {ACCOUNTABILITY_SCHEDULE} in place on namespace {client.namespace}")


if __name__ == "__main__":
    asyncio.run(main())
