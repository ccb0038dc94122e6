"""The baselines, started the same way as a complaint and run on the same kind of worker.

`EmptyWorkflow` only waits for its first action. `TwoLocalActivitiesWorkflow` runs two no-op
local activities and then waits, as a complaint runs two (its policy, its ledger record)
before it answers its intake: what the SDK alone costs for that shape, with no work in it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import activity, workflow


@workflow.defn(name="EmptyWorkflow")
class EmptyWorkflow:
    def __init__(self) -> None:
        self._go = False

    @workflow.run
    async def run(self, intake: dict[str, Any]) -> None:
        await workflow.wait_condition(lambda: self._go)

    @workflow.update(name="record_contact")
    async def record_contact(self, payload: dict[str, Any]) -> None:
        self._go = True

    @workflow.update(name="register")
    async def register(self) -> None:
        return None


@activity.defn(name="noop")
async def noop() -> None:
    return None


@workflow.defn(name="TwoLocalActivitiesWorkflow")
class TwoLocalActivitiesWorkflow:
    def __init__(self) -> None:
        self._ready = False
        self._go = False

    @workflow.run
    async def run(self, intake: dict[str, Any]) -> None:
        for _ in range(2):
            await workflow.execute_local_activity(
                noop, start_to_close_timeout=timedelta(seconds=10)
            )
        self._ready = True
        await workflow.wait_condition(lambda: self._go)

    @workflow.update(name="record_contact")
    async def record_contact(self, payload: dict[str, Any]) -> None:
        await workflow.wait_condition(lambda: self._ready)
        self._go = True

    @workflow.update(name="register")
    async def register(self) -> None:
        await workflow.wait_condition(lambda: self._ready)


@workflow.defn(name="AlarmFloorWorkflow")
class AlarmFloorWorkflow:
    """The least a deadline can cost on a server: a timer wakes the workflow at its instant,
    it runs one no-op local activity (where a complaint writes its breach to the ledger) and
    finishes (where a complaint upserts `SlaBreached` and starts its next timer).
    bench/open_book.py wakes K of these at one instant beside the complaints' burst."""

    @workflow.run
    async def run(self, due: datetime) -> None:
        await workflow.sleep(max(due - workflow.now(), timedelta(0)))
        await workflow.execute_local_activity(noop, start_to_close_timeout=timedelta(seconds=10))
