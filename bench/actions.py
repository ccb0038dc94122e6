"""What one complaint costs on Temporal Cloud: the billed actions of a full general lifecycle.

    .venv/bin/python -m bench.actions          # ~20 s

Runs one general complaint through its whole life on the time-skipping test server with the
real worker and ledger: filed by update-with-start of `register` (as the HTTP API does),
contacted late (a breach and its reminders), investigated, approved, closed, called back, and
the 30-day review window run out. Actions are sealed as the HTTP API seals them. Then it counts,
from the case's real history, what Temporal Cloud bills as an action:

- the start (and each continue-as-new);
- signals and updates (an update accepted into history; a refused one is not in history);
- timers started;
- local activities: all of those that run in one workflow task count as one action;
- search-attribute upserts (one command each, however many attributes).

The same lifecycle runs twice, as the previous release started a case (rules 2, the outbox
patch's deprecation marker at intake: "before"; such cases still replay unchanged) and as
this release does (rules 3: "after"), and both are
printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner

import domain.case
import workflows.complaint
from domain.sla import HandlingPolicy, SlaPolicy
from infra import logs
from infra.binaries import find
from infra.postgres import create_pool, embedded_server
from infra.temporal import register_search_attributes
from ledger.migrate import migrate
from tests.harness import TEST_CONVERTER, FixedPolicySource, Harness, RecordingNotifier
from tests.harness import test_calendar as working_calendar
from workers import build_worker
from workflows import contract

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}
KINDS = ("start", "signal", "update", "timer", "local-activity batch", "search-attribute upsert")


def events(history: WorkflowHistory) -> list[str]:
    """The history as one line per event (`--events`)."""
    lines = []
    for e in history.events:
        what = EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = e.upsert_workflow_search_attributes_event_attributes.search_attributes
            what += f" {sorted(fields.indexed_fields)}"
        elif e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            what += f" {e.marker_recorded_event_attributes.marker_name}"
        elif e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            what += f" {e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()}"
        lines.append(f"{e.event_id:4d} {what}")
    return lines


def billed(history: WorkflowHistory) -> collections.Counter[str]:
    """The billed actions in one run's history, by kind."""
    count: collections.Counter[str] = collections.Counter()
    counted = False  # a local activity of the last completed workflow task is counted
    kinds = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: "start",
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal",
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
        EventType.EVENT_TYPE_TIMER_STARTED: "timer",
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "search-attribute upsert",
    }
    for event in history.events:
        t = event.event_type
        if t in kinds:
            count[kinds[t]] += 1
        elif t == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            counted = False
        elif t == EventType.EVENT_TYPE_MARKER_RECORDED and not counted:
            # A local activity's marker follows the completion of the task that ran it.
            if event.marker_recorded_event_attributes.marker_name == "core_local_activity":
                count["local-activity batch"] += 1
                counted = True
    return count


@contextmanager
def previous_release() -> Iterator[None]:
    """New cases start as a rules-2 release started them: `case-rules-5`, `-4` and `-3` are
    not patched in, so the outbox patch's deprecation and `case-rules-2` record their markers
    (the previous release, rules 3 with the deprecation marker first, recorded as many)."""
    patched = workflow.patched

    def rules_2_release(patch_id: str) -> bool:
        newer = (
            workflows.complaint.CASE_RULES_5,
            workflows.complaint.CASE_RULES_4,
            workflows.complaint.CASE_RULES_3,
        )
        return False if patch_id in newer else patched(patch_id)

    with mock.patch.object(workflow, "patched", rules_2_release):
        yield


async def lifecycle(h: Harness) -> WorkflowHistory:
    """A general complaint from filing to the end of its review window."""
    intake = await h.intake(channel="hotline")
    await contract.register(h.client, intake, task_queue=h.task_queue)
    handle = h.client.get_workflow_handle(contract.workflow_id(intake.complaint_id))
    await h.sleep(timedelta(days=1))  # contact is late: a breach, reminders
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    state = await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    if state.customer_responses:  # rules 5 (R-CU-3): the customer accepts the resolution
        await h.act(handle, "record_customer_response", response="accepts")
    await h.act(handle, "close_case", result="paid")
    await h.act(handle, "record_callback", satisfied=True)
    await h.sleep(timedelta(days=31))  # the review window runs out: the case ends
    history = await handle.fetch_history()
    last = history.events[-1].event_type
    if last != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        raise RuntimeError(f"the case did not end: {EventType.Name(last)}")
    return history


async def measure() -> dict[int, WorkflowHistory]:
    results: dict[int, WorkflowHistory] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = await asyncio.to_thread(embedded_server, Path(tmp))
        try:
            await migrate(server.dsn)
            env = await WorkflowEnvironment.start_time_skipping(
                data_converter=TEST_CONVERTER,
                test_server_existing_path=find("temporal-test-server"),
            )
            await register_search_attributes(env.client, contract.SEARCH_ATTRIBUTES)
            async with create_pool(server.dsn, min_size=1, max_size=5) as pool:
                source = FixedPolicySource(
                    HandlingPolicy(calendar=working_calendar(), sla=SlaPolicy())
                )
                h = Harness(
                    env=env,
                    task_queue="bench-actions",
                    notifier=RecordingNotifier(),
                    policy=source,
                    pool=pool,
                )
                runner: dict[str, Any] = {"workflow_runner": UnsandboxedWorkflowRunner()}
                worker = build_worker(
                    env.client,
                    pool=pool,
                    task_queue=h.task_queue,
                    sender=h.notifier,
                    policy_source=source,
                    **runner,
                )
                async with worker:
                    with previous_release():
                        results[2] = await lifecycle(h)
                    results[domain.case.RULES] = await lifecycle(h)
            await env.shutdown()
        finally:
            server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", action="store_true", help="print both histories too")
    args = parser.parse_args()
    logs.configure(level=logging.WARNING)
    histories = asyncio.run(measure())
    if args.events:
        for n, history in histories.items():
            print(f"rules {n}:", *events(history), sep="\n")
    results = {n: billed(history) for n, history in histories.items()}
    (before, after) = results[2], results[max(results)]
    print("Temporal Cloud billed actions of one general complaint, filed to review window end")
    print(f"| action | before: previous release, rules 2 | after: rules {max(results)} |")
    print("|---|---|---|")
    for kind in KINDS:
        print(f"| {kind} | {before[kind]} | {after[kind]} |")
    total_before, total_after = sum(before.values()), sum(after.values())
    print(f"| **total** | **{total_before}** | **{total_after}** |")
    print(
        f"cut: {total_before - total_after} actions per case "
        f"({(total_before - total_after) / total_before:.0%})"
    )


if __name__ == "__main__":
    main()
