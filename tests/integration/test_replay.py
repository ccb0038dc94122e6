"""Replay: a new release and a new calendar must never break cases already running (R-SLA-3).

`histories/*.json` are recorded cases (tests/record_histories.py). The Replayer re-runs the
current workflow code against them and fails on any nondeterminism.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from domain.calendar import add_working_days
from domain.sla import PolicySnapshot, SlaPolicy
from tests.harness import TEST_CONVERTER, Harness, test_calendar
from workers import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))
TEXTS = {p.stem: p.read_text() for p in HISTORIES}


def replayer() -> Replayer:
    # The env's encrypting converter: it decodes both encrypted and older plain histories.
    return Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER)


@pytest.mark.parametrize("name", sorted(TEXTS))
async def test_recorded_histories_replay_with_this_release(name: str) -> None:
    history = WorkflowHistory.from_json(name, TEXTS[name])
    await replayer().replay_workflow(history)


async def test_r_sla_3_published_calendar_reaches_running_case_through_history(
    harness: Harness,
) -> None:
    """The calendar is unpublished when the case starts; it is published (with a holiday in
    the running stage) while the case runs. The case picks it up at its next clock through
    a recorded activity result, and its history still replays with the new data in place."""
    h = harness
    now = await h.now()
    h.policy.snapshot = PolicySnapshot(calendar=test_calendar(known_years=()), sla=SlaPolicy())
    handle = await h.start()
    state = await h.state(handle)
    contact = state.clock("stage:contact")
    assert contact is not None and contact.provisional

    holidays = {now.date() + timedelta(days=2 + i): "Newly Published Day" for i in range(2)}
    published = test_calendar(holidays)
    h.policy.snapshot = PolicySnapshot(calendar=published, sla=SlaPolicy())
    await h.act(handle, "record_contact")
    await h.sleep(timedelta(seconds=1))  # let the case ask for the calendar once more
    state = await h.state(handle)
    investigate = state.clock("stage:investigate")
    assert investigate is not None and not investigate.provisional
    assert investigate.due_at == add_working_days(published, investigate.started_at, 3).at
    assert any("calendar updated" in e.detail for e in state.timeline)
    finished_contact = next(c for c in state.finished_clocks if c.key == "stage:contact")
    assert finished_contact.due_at == contact.due_at  # what was computed stays as it was

    # A third calendar now: replaying the history must not care.
    h.policy.snapshot = PolicySnapshot(
        calendar=test_calendar({now.date(): "Other"}), sla=SlaPolicy()
    )
    await handle.terminate("replay check")
    await replayer().replay_workflow(await handle.fetch_history())
