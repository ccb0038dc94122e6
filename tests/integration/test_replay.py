"""Replay: a new release and a new calendar must never break cases already running (R-SLA-3).

`histories/*.json` are recorded cases (tests/record_histories.py). The Replayer re-runs the
current workflow code against them and fails on any nondeterminism.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from domain.calendar import add_working_days
from domain.sla import HandlingPolicy, SlaPolicy
from tests.harness import TEST_CONVERTER, Harness, test_calendar
from workers import WORKFLOWS
from workflows import contract
from workflows.complaint import NOTICES_IN_LEDGER_OUTBOX
from workflows.search_attributes import BRANCH_CODE

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))
TEXTS = {p.stem: p.read_text() for p in HISTORIES}


def replayer() -> Replayer:
    # The env's encrypting converter: it decodes both encrypted and older plain histories.
    return Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER)


def recorded(name: str) -> WorkflowHistory:
    """A recorded case under its own workflow id (its complaint id is the file's name), since
    the identities sealed into its actions are bound to it."""
    return WorkflowHistory.from_json(contract.workflow_id(name), TEXTS[name])


@pytest.mark.parametrize("name", sorted(TEXTS))
async def test_recorded_histories_replay_with_this_release(name: str) -> None:
    await replayer().replay_workflow(recorded(name))


# The patch notices-in-ledger-outbox, through the SDK's patching sample: patched in the
# outbox release, deprecated in the case release (its old branch gone), and removed once no
# case started before the case release can run (tests/histories/retired/README.md).
DEPRECATED_IN = "case"
BEFORE_DEPRECATION = "outbox"


def without_the_deprecated_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workflow as it will be once the `deprecate_patch` call is removed (the SDK's
    module is passed through the sandbox, so the workflow sees this)."""
    real = workflow.deprecate_patch

    def removed(patch_id: str) -> None:
        if patch_id != NOTICES_IN_LEDGER_OUTBOX:
            real(patch_id)

    monkeypatch.setattr(workflow, "deprecate_patch", removed)


@pytest.mark.parametrize("name", sorted(n for n in TEXTS if n.endswith(f"-{DEPRECATED_IN}")))
async def test_removing_the_deprecated_call_keeps_the_deprecating_releases_cases_replaying(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stage 4, proven before it is taken: a deprecated marker is skipped on replay."""
    without_the_deprecated_call(monkeypatch)
    await replayer().replay_workflow(recorded(name))


async def test_removing_the_deprecated_call_now_would_break_cases_started_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why the call stays until the outbox release's cases are gone: their marker is not a
    deprecated one, and with no call for it the replay fails."""
    without_the_deprecated_call(monkeypatch)
    name = next(n for n in TEXTS if n.endswith(f"-{BEFORE_DEPRECATION}"))
    with pytest.raises(Exception, match=r"[Nn]ondeterminism"):
        await replayer().replay_workflow(recorded(name))


async def test_r_sla_3_published_calendar_reaches_running_case_through_history(
    harness: Harness,
) -> None:
    """The calendar is unpublished when the case starts; it is published (with a holiday in
    the running stage) while the case runs. The case picks it up at its next clock through
    a recorded activity result, and its history still replays with the new data in place."""
    h = harness
    now = await h.now()
    h.policy.snapshot = HandlingPolicy(calendar=test_calendar(known_years=()), sla=SlaPolicy())
    handle = await h.start()
    state = await h.state(handle)
    contact = state.clock("stage:contact")
    assert contact is not None and contact.provisional

    holidays = {now.date() + timedelta(days=2 + i): "Newly Published Day" for i in range(2)}
    published = test_calendar(holidays)
    h.policy.snapshot = HandlingPolicy(calendar=published, sla=SlaPolicy())
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
    h.policy.snapshot = HandlingPolicy(
        calendar=test_calendar({now.date(): "Other"}), sla=SlaPolicy()
    )
    await handle.terminate("replay check")
    await replayer().replay_workflow(await handle.fetch_history())


async def test_a_rules_5_case_that_was_asked_to_cancel_replays_and_ended_completed() -> None:
    """Rules 5 (`cancel_requested-rules-5`): a cancellation request in the middle of the case's
    history, which ran on to its normal end; replay takes the request the same way."""
    history = recorded("cancel_requested-rules-5")
    kinds = [e.WhichOneof("attributes") for e in history.events]
    asked = kinds.index("workflow_execution_cancel_requested_event_attributes")
    assert kinds[-1] == "workflow_execution_completed_event_attributes"
    assert "workflow_execution_update_completed_event_attributes" in kinds[asked:]
    await replayer().replay_workflow(history)


def upserted_names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The search attributes the workflow upserts while it replays (the SDK's module is passed
    through the sandbox, so the workflow calls this recorder)."""
    names: list[str] = []
    real = workflow.upsert_search_attributes

    def recording(updates: Any) -> None:
        names.extend(u.key.name for u in updates)
        real(updates)

    monkeypatch.setattr(workflow, "upsert_search_attributes", recording)
    return names


async def test_rules_5_sets_the_branch_code_and_a_rules_4_case_replays_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Behaviour.BRANCH_CODE_SEARCH_ATTRIBUTE (rules 5): a new case upserts ComplaintBranchCode;
    a case started under rules 4 never does, so its history replays as it was recorded."""
    names = upserted_names(monkeypatch)
    await replayer().replay_workflow(recorded("branch_code-rules-5"))
    assert BRANCH_CODE.name in names, names
    names.clear()
    await replayer().replay_workflow(recorded("regraded_after_breach-rules-4"))
    assert names and BRANCH_CODE.name not in names, names
