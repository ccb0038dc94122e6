"""The reconciliation's activity: one page of the ledger's open cases compared with Temporal.

For a page of cases open in the ledger (and not marked before), it asks Temporal which of
their workflows still run, and marks the rest (`ledger.reconciliation.mark`: the mark, and the
supervisor's notice in the outbox, once per case).

Which still run: one visibility query per page (`WorkflowId IN (...)`, running or terminated
runs), so 100,000 open cases cost 200 list calls, not 100,000 describes. Visibility lags, so
only what it names as candidates (not running, or with a terminated run: a reset leaves the
reset-away run terminated and a new one running) is described, and only what the describe
confirms is marked: a case started a moment ago is never flagged. A server without visibility
lists (the time-skipping test server) gets a describe per case, a bounded number at once.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import asyncpg
import structlog
from pydantic import Field
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.fields import Input
from ledger import reconciliation as ledger
from ledger.reconciliation import OpenCase, Orphan

DESCRIBES_AT_ONCE = 16
# A workflow in one of these is alive (the latest run of an id is never continued-as-new).
ALIVE = {WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.CONTINUED_AS_NEW}

log = structlog.get_logger("reconciliation")


class PageRequest(Input):
    after: str | None = None  # the last complaint id of the page before; None: from the start
    limit: Annotated[int, Field(ge=1, le=5000)] = 500


class PageResult(Input):
    checked: int  # open cases in this page
    described: int  # of them, asked of Temporal one by one
    orphaned: list[str]  # complaint ids marked now (each told to its supervisor once)
    next_after: str | None  # None: this was the last page


class ReconciliationActivities:
    def __init__(self, pool: asyncpg.Pool, client: Client) -> None:
        self._pool = pool
        self._client = client
        self._visibility = True  # until the server says it has no list

    @activity.defn(name="reconcile_ledger_page")
    async def reconcile_page(self, request: PageRequest) -> PageResult:
        page = await ledger.open_cases(self._pool, request.after, request.limit)
        candidates = await self._candidates(page)
        limit = asyncio.Semaphore(DESCRIBES_AT_ONCE)

        async def described(case: OpenCase) -> Orphan | None:
            async with limit:
                return await self._orphan(case)

        found = [o for o in await asyncio.gather(*map(described, candidates)) if o is not None]
        async with self._pool.acquire() as conn, conn.transaction():
            told = await ledger.mark(conn, found)
        for notice in told:
            log.warning(
                "case open in the ledger but its workflow no longer runs",
                complaint_id=notice.complaint_id,
                told=notice.recipient,
            )
        return PageResult(
            checked=len(page),
            described=len(candidates),
            orphaned=[n.complaint_id for n in told],
            next_after=page[-1].complaint_id if len(page) == request.limit else None,
        )

    async def _candidates(self, page: list[OpenCase]) -> list[OpenCase]:
        """The cases whose workflow visibility does not show running, or shows with a
        terminated run; every case when the server has no visibility list."""
        if not page or not self._visibility:
            return page
        quotable = [c for c in page if '"' not in c.workflow_id and "\\" not in c.workflow_id]
        ids = ", ".join(f'"{c.workflow_id}"' for c in quotable)
        query = (
            f"WorkflowId IN ({ids}) AND "
            '(ExecutionStatus = "Running" OR ExecutionStatus = "Terminated")'
        )
        running: set[str] = set()
        terminated: set[str] = set()
        try:
            async for wf in self._client.list_workflows(query, page_size=1000):
                alive = wf.status is WorkflowExecutionStatus.RUNNING
                (running if alive else terminated).add(wf.id)
        except RPCError as err:
            if err.status is not RPCStatusCode.UNIMPLEMENTED:
                raise
            log.info("no visibility list on this server: describing every open case")
            self._visibility = False
            return page
        return [
            c
            for c in page
            if c.workflow_id not in running or c.workflow_id in terminated or c not in quotable
        ]

    async def _orphan(self, case: OpenCase) -> Orphan | None:
        """What Temporal says of the case's workflow, if it no longer runs (or was reset)."""
        try:
            description = await self._client.get_workflow_handle(case.workflow_id).describe()
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
            return Orphan(case.complaint_id, case.workflow_id, case.stage, "not_found")
        status = description.status
        run_id = description.run_id
        if status in ALIVE or status is None:
            extended = description.raw_description.workflow_extended_info
            if not extended.HasField("last_reset_time"):
                return None
            return Orphan(case.complaint_id, case.workflow_id, case.stage, "reset", run_id)
        if status.name.lower() not in ledger.ORPHAN_STATUSES:  # a status newer than this code
            return None
        return Orphan(case.complaint_id, case.workflow_id, case.stage, status.name.lower(), run_id)
