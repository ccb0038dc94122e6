"""HotSpotWatchWorkflow: the daily pass of R-AN-8's hot spots, started by a Schedule
(`workers/schedules.py`, 08:30 Asia/Shanghai).

Why a schedule and a table rather than a workflow per hot spot: a hot spot's state is a row
people change through the API (owner, due date, the rectification), and its only timed duty is
a daily reminder while overdue. One short pass a day reads the table and queues the reminders;
nothing waits in Temporal, a reassignment or a new due date is an UPDATE (no signal to deliver
or replay), and a release changes the pass between runs.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.hotspots import HotSpotActivities, WatchRequest, WatchResult

HOT_SPOT_WORKFLOW_TYPE = "HotSpotWatchWorkflow"
HOT_SPOT_WORKFLOW_ID = "hot-spot-watch"  # the schedule appends each run's time
HOT_SPOT_SCHEDULE_ID = "hot-spot-watch"


@workflow.defn(name=HOT_SPOT_WORKFLOW_TYPE)
class HotSpotWatchWorkflow:
    @workflow.run
    async def run(self, request: WatchRequest) -> WatchResult:
        return await workflow.execute_activity_method(
            HotSpotActivities.watch,
            request,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
