"""Replay: accountability cycles started by an earlier release (their penalty sheets after the
appeal window) still replay with this release's cycle code (patch `penalty-sheets-first`), and
a sheets-first cycle published before the results went to HR and finance replays too (patch
`results-to-hr-and-finance`, R-AC-5).

`histories/cycles/<period>-<release>.json` are recorded by tests/record_cycle_histories.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.harness import TEST_CONVERTER
from workers import WORKFLOWS
from workflows import contract

CYCLES = {
    p.stem: p.read_text()
    for p in (Path(__file__).parent.parent / "histories" / "cycles").glob("*.json")
}


@pytest.mark.parametrize("name", sorted(CYCLES))
async def test_r_ac_3_recorded_cycles_replay_with_this_release(name: str) -> None:
    """R-AC-3: the sheets-first cycle is a patch; cycles already running keep their order."""
    period = name[:7]
    history = WorkflowHistory.from_json(contract.cycle_workflow_id(period), CYCLES[name])
    await Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER).replay_workflow(history)


def test_r_ac_3_a_cycle_of_the_sheets_after_release_is_recorded() -> None:
    assert any(n.endswith("-sheets-after") for n in CYCLES)


def test_r_ac_5_a_cycle_published_before_results_went_to_hr_and_finance_is_recorded() -> None:
    assert any(n.endswith("-sheets-first") for n in CYCLES)
