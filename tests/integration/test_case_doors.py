"""Rules 5 through the real doors: the HTTP API, a signal as the codec server seals one, and
the Temporal Web UI's "Request Cancellation" (the client's `cancel`, the same request), on the
time-skipping server with a real worker and PostgreSQL ledger.

A reused request id with another body or sender is refused (409), not silently dropped; a
sealed payload counts only for the action it was sealed for; a cancellation request is an
event on the timeline, told to the supervisor, and the case keeps running until closed or
withdrawn (docs/ending-a-case.md)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle

from domain.state import ComplaintState
from domain.vocabulary import Stage
from tests.harness import Harness, eventually
from tests.integration.test_api import Api, api, complaint
from tests.integration.test_ledger import ledger_timeline, workflow_timeline

__all__ = ["api"]  # the fixture, used by name

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}
WAIT = 60  # seconds: a bound on every wait for the worker


async def test_a_reused_request_id_with_another_body_or_sender_answers_409_with_the_reason(
    api: Api,
) -> None:
    """The same request again is a no-op (200); the supervisor's reassign to someone else under
    the handler's request id is refused with why, and the owner stays who the first named."""
    cid = (await api.post("/v1/complaints", complaint())).json()["complaint"]["complaint_id"]
    for _ in range(2):
        first = await api.act(cid, "reassign", owner="zhao.min", request_id="ra-1")
        assert first.status_code == 200 and first.json()["owner"] == "zhao.min", first.text
    other = await api.act(cid, "reassign", "supervisor", owner="chen.jie", request_id="ra-1")
    assert other.status_code == 409, other.text
    assert "request_id 'ra-1' was already taken by li.na, not wang.qiang" in other.text
    changed = await api.act(cid, "reassign", owner="chen.jie", request_id="ra-1")
    assert changed.status_code == 409 and "with other fields" in changed.text
    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    assert [e["kind"] for e in timeline if e["action"] == "reassign"] == [
        "action",
        "refused",
        "refused",
    ]
    assert (await api.get(f"/v1/complaints/{cid}")).json()["owner"] == "zhao.min"


async def test_a_seal_for_decide_resolution_replayed_as_decide_extension_is_refused(
    harness: Harness,
) -> None:
    """A supervisor's unused sealed `{"approved": true}` for the resolution, sent as the
    extension decision it also satisfies: refused on the timeline, the extension undecided."""
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="pay")
    approve = (await h.state(handle)).clock("stage:approve")
    assert approve is not None
    later = (approve.due_at + timedelta(days=1)).isoformat()
    await h.act(handle, "request_extension", new_due_at=later, reason="committee")
    sealed = await h.sealed_raw(
        handle,
        {**SUPERVISOR, "approved": True},
        actor="wang.qiang",
        roles=["supervisor"],
        action="decide_resolution",
    )
    await handle.signal("decide_extension", sealed)
    state = await h.state(handle)
    last = state.timeline[-1]
    assert (last.kind, last.action) == ("refused", "decide_extension")
    assert "given for decide_resolution, not decide_extension" in last.detail
    assert state.stage is Stage.APPROVE and state.extensions[-1].decided_at is None
    assert state.resolution_approved is None


async def cancel_entries(h: Harness, handle: WorkflowHandle[Any, Any]) -> list[Any]:
    state = await h.state(handle)
    return [e for e in state.timeline if e.kind == "refused" and e.action == "cancel"]


async def supervisor_told(pool: asyncpg.Pool, complaint_id: str) -> bool:
    row = await pool.fetchrow(
        "SELECT recipient, recipient_role FROM notifications WHERE complaint_id = $1"
        " AND subject LIKE 'Cancellation of complaint%'",
        complaint_id,
    )
    return row is not None and tuple(row) == ("wang.qiang", "supervisor")


async def test_a_cancellation_request_is_an_event_and_the_case_still_closes_normally(
    harness: Harness,
) -> None:
    """The Web UI's "Request Cancellation" (the same request as `handle.cancel()`): the case is
    still running, the timeline says who asked (nobody verified) and why, the supervisor's
    notice is in the ledger's outbox, and the case then closes through its own actions."""
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    await asyncio.wait_for(handle.cancel(reason="clearing old cases"), WAIT)
    [entry] = await eventually(lambda: cancel_entries(h, handle), what="the cancellation entry")
    assert entry.actor == "unknown (unverified)" and "clearing old cases" in entry.detail
    description = await asyncio.wait_for(handle.describe(), WAIT)
    assert description.status is WorkflowExecutionStatus.RUNNING
    cid = (await h.state(handle)).complaint_id
    await eventually(lambda: supervisor_told(h.pool, cid), what="the supervisor's notice")

    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="pay")
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid")
    await h.act(handle, "record_callback", satisfied=True)
    # A result, not WorkflowFailureError(CancelledError): the run completed, not cancelled.
    final: ComplaintState = await asyncio.wait_for(handle.result(), WAIT)
    assert final.outcome == "resolved"
    assert await ledger_timeline(h.pool, cid) == workflow_timeline(final)


async def test_a_cancellation_request_while_the_case_is_being_accepted_leaves_it_whole(
    harness: Harness,
) -> None:
    """Cancelled at once, while the policy and the first ledger write (local activities) may
    be in flight: the case is still accepted and recorded, and ends only when withdrawn."""
    h = harness
    handle = await h.start()
    await asyncio.wait_for(handle.cancel(), WAIT)
    await eventually(lambda: cancel_entries(h, handle), what="the cancellation entry")
    state = await h.state(handle)
    assert state.stage is Stage.CONTACT
    assert state.timeline[0].kind == "intake"
    await h.act(handle, "withdraw", reason="settled")
    final: ComplaintState = await asyncio.wait_for(handle.result(), WAIT)
    assert final.outcome == "withdrawn"
    assert await ledger_timeline(h.pool, final.complaint_id) == workflow_timeline(final)
    assert await supervisor_told(h.pool, final.complaint_id)


async def events(handle: WorkflowHandle[Any, Any]) -> list[str]:
    history = await handle.fetch_history()
    return [
        str(e.WhichOneof("attributes")).removesuffix("_event_attributes") for e in history.events
    ]


async def test_a_cancellation_request_during_a_ledger_write_in_flight_leaves_it_done(
    harness: Harness,
) -> None:
    """The first ledger write (a local activity) waits on a lock while the workflow task
    heartbeats; the cancellation request interrupts it. The write is done again once the lock
    goes: the ledger holds the whole timeline, the cancellation entry and the notice too."""
    h = harness
    async with h.pool.acquire() as conn:
        locked = conn.transaction()
        await locked.start()
        await conn.execute("LOCK TABLE complaints IN EXCLUSIVE MODE")
        handle = await h.start(task_timeout=timedelta(seconds=2))

        async def heartbeating() -> bool:
            return (await events(handle)).count("workflow_task_completed") >= 2

        await eventually(heartbeating, what="the write waiting past a workflow task")
        assert "marker_recorded" not in (await events(handle))[-3:]
        await asyncio.wait_for(handle.cancel(), WAIT)

        async def cancel_seen() -> bool:
            seen = await events(handle)
            asked = (
                seen.index("workflow_execution_cancel_requested")
                if ("workflow_execution_cancel_requested" in seen)
                else len(seen)
            )
            return "workflow_task_completed" in seen[asked:]

        await eventually(cancel_seen, what="the workflow taking the cancellation request")
        await locked.rollback()
    await eventually(lambda: cancel_entries(h, handle), what="the cancellation entry")
    cid = (await h.state(handle)).complaint_id
    await eventually(lambda: supervisor_told(h.pool, cid), what="the supervisor's notice")
    await h.act(handle, "withdraw", reason="settled")
    final: ComplaintState = await asyncio.wait_for(handle.result(), WAIT)
    assert await ledger_timeline(h.pool, cid) == workflow_timeline(final)
