"""What a case costs on Temporal Cloud (bench/actions.py): the rules-3 cuts, in real histories."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from tests.harness import Harness


async def test_r_sla_4_rules_3_keeps_the_alarm_timer_when_an_action_leaves_it(
    harness: Harness,
) -> None:
    """R-SLA-4: a rules-3 case's alarms keep one timer per instant: an action that leaves the
    next alarm where it was (a reassignment) neither cancels nor restarts it, and the case's
    intake records one patch marker (so one `TemporalChangeVersion` upsert)."""
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    before = await handle.fetch_history()
    await h.act(handle, "reassign", owner="zhao.min")
    after = await handle.fetch_history()
    state = await h.state(handle)
    assert state.owner == "zhao.min"

    def count(events: Sequence[HistoryEvent], kind: int) -> int:
        return sum(1 for e in events if e.event_type == kind)

    new = after.events[len(before.events) :]
    assert count(new, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == 1
    assert count(new, EventType.EVENT_TYPE_TIMER_STARTED) == 0
    assert count(new, EventType.EVENT_TYPE_TIMER_CANCELED) == 0
    patches = [
        e
        for e in after.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    assert len(patches) == 1
    upserts = count(after.events, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    assert upserts == 4  # the patch's, intake's, contact's and the new owner's
