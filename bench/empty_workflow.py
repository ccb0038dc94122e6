"""The baseline: a workflow that only waits for its first action (sandboxed, like the real one)."""

from __future__ import annotations

from typing import Any

from temporalio import workflow


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
