"""R-CR-1: a crisis case keeps taking actions, updates and signals, once its hourly crisis
reminders have started (the superior's 1-hour report clock breached and reminding)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.harness import Harness

CRISIS = {"reasons": ["customers gathered at the outlet"], "people_count": 6}


async def test_r_cr_1_crisis_actions_after_hourly_reminders(harness: Harness) -> None:
    """R-CR-1 crisis actions after hourly reminders.

    Three hours after the escalation the skip lands a few ms before a reminder's timer fires
    (the reminders' instants sit on the superior clock's hour; each timer fires when its task
    completed, a little later). An action sent then fires the due reminder itself and moves the
    alarm. On the time-skipping test server that used to hang the case ("invalid history builder
    state for action", temporalio/sdk-java#2606/#3088); `Harness.sleep` skips past a timer due
    within a second of where it lands, so the case takes the actions and the test asks the
    server nothing it cannot answer (docs/testing.md).
    """
    h = harness
    handle = await h.start()
    await h.act(handle, "escalate_crisis", **CRISIS)
    await h.sleep(timedelta(hours=3))
    state = await asyncio.wait_for(h.act(handle, "reassign", owner="zhao.min"), timeout=20)
    assert state.owner == "zhao.min"
    state = await asyncio.wait_for(h.state(handle), timeout=20)
    reminders = [e for e in state.timeline if e.kind == "reminder" and "crisis" in e.detail]
    assert len(reminders) >= 3  # at the breach (1 h), 2 h and 3 h: hourly, at any hour

    await h.sleep(timedelta(hours=1))
    await h.signal(handle, "reassign", owner="li.na", role="supervisor")
    state = await asyncio.wait_for(
        h.act(handle, "report_crisis", level="superior", summary="Reported to the branch head"),
        timeout=20,
    )
    assert state.owner == "li.na"
    assert state.clock("crisis:superior") is None  # met: no more reminders
    assert any(r.kind == "report" and r.level == "superior" for r in state.crisis_records)
