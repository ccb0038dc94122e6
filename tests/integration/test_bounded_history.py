"""Bounded history: a case continues as new before its history grows large,
carrying its snapshot, with no action lost and the ledger's timeline without gap or repeat."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from temporalio.client import WorkflowHandle

from api.app import create_app
from api.auth import create_key
from domain.sla import HandlingPolicy, SlaPolicy
from domain.state import ComplaintState
from domain.vocabulary import Role, Stage
from tests.harness import Harness, eventually, test_calendar

BUDGET = 1_000  # the policy's default history budget


async def runs_of(h: Harness, handle: WorkflowHandle[object, object]) -> list[int]:
    """The history length of every run of a case, oldest first (following the chain back)."""
    lengths: list[int] = []
    run_id: str | None = None
    while True:
        run = h.client.get_workflow_handle(handle.id, run_id=run_id)
        history = await run.fetch_history()
        lengths.append(len(history.events))
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            return lengths[::-1]


async def test_a_case_left_alone_for_a_year_stays_bounded_and_reminds_each_time_once(
    harness: Harness,
) -> None:
    """An unreported crisis and an overdue contact, left alone for a simulated year: each run
    stays under the budget, reminders thin to one a day (docs/architecture.md: Reminders), the
    case still answers `state` and actions, and the ledger holds every reminder exactly once."""
    h = harness
    started = time.monotonic()
    handle = await h.start(crisis={"people_count": 6, "media": True})
    # A month per skip: one skip of a year is one RPC that the test server times out on a
    # loaded machine (seen with a benchmark beside the tests).
    for _ in range(12):
        await h.sleep(timedelta(days=30))
    await h.sleep(timedelta(days=5))
    state = await h.state(handle)
    lengths = await runs_of(h, handle)
    assert len(lengths) >= 3 and max(lengths) <= BUDGET, lengths

    # The case still answers, and acts.
    assert state.stage is Stage.CONTACT and state.crisis
    assert (await h.act(handle, "record_contact")).stage is Stage.INVESTIGATE

    # Every reminder exactly once in the ledger: per clock, numbered 1..n with no gap or
    # repeat, n as the case counts them; the timeline's seqs run 1..last with no gap.
    rows = await h.pool.fetch(
        "SELECT seq, kind, detail FROM complaint_events WHERE complaint_id = $1 ORDER BY seq",
        state.complaint_id,
    )
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    numbered: dict[str, list[int]] = {}
    for r in rows:
        if r["kind"] == "reminder":
            match = re.fullmatch(r"overdue reminder #(\d+): (.+)", r["detail"])
            assert match is not None, r["detail"]
            numbered.setdefault(match[2], []).append(int(match[1]))
    counts = {c.label: c.reminders for c in [*state.clocks, *state.finished_clocks]}
    for label, numbers in numbered.items():
        assert numbers == list(range(1, counts[label] + 1)), (label, numbers[:5], counts[label])
    assert set(numbered) >= {c.label for c in state.clocks if c.reminders}
    # One a day after the first day: a year of a crisis report is about 24 + 364 reminders.
    crisis = next(c for c in state.clocks if c.key == "crisis:headquarters")
    assert 360 <= crisis.reminders <= 24 + 366, crisis.reminders
    print(f"year: runs {lengths}, {len(rows)} ledger entries, {time.monotonic() - started:.1f} s")


async def test_no_action_is_lost_or_doubled_across_continue_as_new(harness: Harness) -> None:
    """Signals and updates sent while runs switch: each taken exactly once."""
    h = harness
    h.policy.snapshot = HandlingPolicy(
        calendar=test_calendar(), sla=SlaPolicy(), history_budget=150
    )
    handle = await h.start()
    sent = 100

    async def repeat(i: int) -> None:
        payload = {
            "channel": "online",
            "request_id": f"rep-{i}",
            "actor": "callcentre",
            "role": "system",
        }
        if i % 2:
            await h.signal(handle, "record_repeat", **payload)
        else:
            await h.act(handle, "record_repeat", **payload)

    for wave in range(0, sent, 10):  # waves, so that some arrive while runs switch
        await asyncio.gather(*(repeat(i) for i in range(wave, wave + 10)))
    final: ComplaintState = await eventually_state(h, handle, lambda s: s.repeat_count >= sent)
    assert final.repeat_count == sent
    assert len(await runs_of(h, handle)) >= 3
    query = "SELECT request_id FROM complaint_events WHERE complaint_id = $1 AND kind = 'action'"
    ledger = final.complaint_id

    async def recorded() -> list[str] | None:
        rows = await h.pool.fetch(query, ledger)
        return [r["request_id"] for r in rows] if len(rows) >= sent else None

    ids = await eventually(recorded, what="the ledger has every action")
    assert sorted(ids) == sorted(f"rep-{i}" for i in range(sent))  # each once

    # The workflow now holds only its latest entries; the API's timeline has them all.
    assert final.timeline[0].seq > 1
    app = create_app(h.client, h.pool, task_queue=h.task_queue)
    key = await create_key(h.pool, "li.na", [Role.HANDLER])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        answer = await http.get(
            f"/v1/complaints/{final.complaint_id}/timeline",
            headers={"Authorization": f"Bearer {key}"},
        )
    seqs = [e["seq"] for e in answer.json()]
    assert seqs == list(range(1, final.timeline[-1].seq + 1))


async def eventually_state(
    h: Harness, handle: WorkflowHandle[object, object], ok: Callable[[ComplaintState], bool]
) -> ComplaintState:
    """Signals are applied in the background: the state once `ok` holds (bounded)."""
    state: ComplaintState = await eventually(
        lambda: _if(h.state(handle), ok), what="the case took every action"
    )
    return state


async def _if(
    pending: Awaitable[ComplaintState], ok: Callable[[ComplaintState], bool]
) -> ComplaintState | None:
    state = await pending
    return state if ok(state) else None
