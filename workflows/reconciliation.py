"""LedgerReconciliationWorkflow: the ledger's open cases against Temporal, on a schedule.

A case ends only through its own actions, but Temporal lets an operator terminate or reset any
workflow, and a workflow can time out or fail; none of that reaches the ledger, where the case
stays open with its clocks silently stopped. Every reconciliation period (10 minutes by
default; `workers/schedules.py`) this workflow goes through the ledger's open cases in pages
(one activity each, `activities/reconciliation.py`), and a case whose workflow no longer runs
is marked in the ledger (`orphaned_cases`), counted at `/metrics`
(`complaints_orphaned_cases`) and reported to its supervisor through the outbox, once: the
mark is the key, so a second run, or a retried page, tells no one again.

Not a long-running loop: each run is one pass, started by the schedule (overlaps skipped), so
a release changes it between runs, and a pass of a large book continues as new when Temporal
suggests it, carrying its cursor and its counts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import Field

    from activities.reconciliation import PageRequest, PageResult, ReconciliationActivities
    from domain.fields import Input

RECONCILIATION_WORKFLOW_TYPE = "LedgerReconciliationWorkflow"
RECONCILIATION_WORKFLOW_ID = "ledger-reconciliation"  # the schedule appends each run's time
RECONCILIATION_SCHEDULE_ID = "ledger-reconciliation"
PAGE_TIMEOUT = timedelta(minutes=5)
KEPT_IDS = 100  # complaint ids a run's result lists (the ledger has them all)


class ReconcileInput(Input):
    page_size: Annotated[int, Field(ge=1, le=5000)] = 500
    # Carried over continue-as-new: where the pass is and what it found so far.
    after: str | None = None
    checked: int = 0
    described: int = 0
    orphaned: int = 0


class ReconcileResult(Input):
    checked: int  # open cases compared
    described: int  # of them, described one by one (visibility named them, or no visibility)
    orphaned: int  # marked and reported by this run
    complaint_ids: list[str] = Field(default_factory=list)  # the first KEPT_IDS of them


@workflow.defn(name=RECONCILIATION_WORKFLOW_TYPE)
class LedgerReconciliationWorkflow:
    @workflow.run
    async def run(self, request: ReconcileInput) -> ReconcileResult:
        result = ReconcileResult(
            checked=request.checked, described=request.described, orphaned=request.orphaned
        )
        after = request.after
        while True:
            page: PageResult = await workflow.execute_activity_method(
                ReconciliationActivities.reconcile_page,
                PageRequest(after=after, limit=request.page_size),
                start_to_close_timeout=PAGE_TIMEOUT,
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            result.checked += page.checked
            result.described += page.described
            result.orphaned += len(page.orphaned)
            room = KEPT_IDS - len(result.complaint_ids)
            result.complaint_ids += page.orphaned[: max(room, 0)]
            if page.next_after is None:
                return result
            after = page.next_after
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    request.model_copy(
                        update={
                            "after": after,
                            "checked": result.checked,
                            "described": result.described,
                            "orphaned": result.orphaned,
                        }
                    )
                )
