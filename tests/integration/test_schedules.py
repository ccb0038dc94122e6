"""The monthly schedule a release can change, and months that never block each other (R-AN-3,
R-AC-2, R-AC-3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.testing import WorkflowEnvironment

from domain.accountability import ZONE, period_bounds
from infra.binaries import find
from tests.harness import TEST_CONVERTER, Harness, eventually
from tests.integration.test_accountability import seed, sender, sheets_sent
from workers.schedules import ACCOUNTABILITY_SCHEDULE, ensure_schedules
from workflows import contract
from workflows.accountability import CycleInput, CycleState


@pytest.fixture
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """Schedules need the dev server (the time-skipping server has none)."""
    env = await WorkflowEnvironment.start_local(
        data_converter=TEST_CONVERTER, dev_server_existing_path=find("temporal")
    )
    yield env
    await env.shutdown()


async def test_r_an_3_a_release_updates_the_schedule_spec_action_and_overlap(
    dev_server: WorkflowEnvironment,
) -> None:
    """An earlier release's schedule (the cycle itself, 00:00, SKIP on overlap) is updated to
    this release's by `ensure_schedules`, not left as it was."""
    client = dev_server.client
    old = Schedule(
        action=ScheduleActionStartWorkflow(
            contract.CYCLE_WORKFLOW_TYPE,
            CycleInput(),
            id=contract.CYCLE_SCHEDULED_WORKFLOW_ID,
            task_queue="old",
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    day_of_month=[ScheduleRange(21)],
                    hour=[ScheduleRange(0)],
                    minute=[ScheduleRange(0)],
                )
            ],
            time_zone_name="Asia/Shanghai",
        ),
    )
    await client.create_schedule(ACCOUNTABILITY_SCHEDULE, old)
    before = await client.get_schedule_handle(ACCOUNTABILITY_SCHEDULE).describe()
    assert before.schedule.policy.overlap is ScheduleOverlapPolicy.SKIP

    await ensure_schedules(client, "complaints-next")

    after = (await client.get_schedule_handle(ACCOUNTABILITY_SCHEDULE).describe()).schedule
    [calendar] = after.spec.calendars
    assert [r.start for r in calendar.minute] == [30]
    assert [r.start for r in calendar.day_of_month] == [21]
    assert after.policy.overlap is ScheduleOverlapPolicy.ALLOW_ALL
    assert isinstance(after.action, ScheduleActionStartWorkflow)
    assert after.action.workflow == contract.CYCLE_STARTER_WORKFLOW_TYPE
    assert after.action.task_queue == "complaints-next"
    await ensure_schedules(client, "complaints-next")  # a second release start: still one


async def test_r_ac_3_a_stalled_month_never_blocks_the_next_and_stays_decidable(
    harness: Harness,
) -> None:
    """October's review group never decides; November's cycle starts all the same under its
    predictable id and reports October open; October is decided later, and its sheets,
    going out after the 26th, open a window of 5 working days (R-AC-2)."""
    h = harness
    october, november = "2026-10", "2026-11"
    for period, cid in ((october, "S10"), (november, "S11")):
        starts, _ = period_bounds(period)
        await seed(
            h.pool,
            cid,
            datetime.combine(starts + timedelta(days=2), datetime.min.time(), tzinfo=ZONE),
            reopen_count=0,
            repeat_count=3,
        )

    async def by_schedule(period: str) -> str:
        started: str = await h.client.execute_workflow(
            contract.CYCLE_STARTER_WORKFLOW_TYPE,
            CycleInput(period=period),
            id=f"{contract.CYCLE_STARTER_WORKFLOW_ID}-{period}",
            task_queue=h.task_queue,
        )
        return started

    assert await by_schedule(october) == "accountability-2026-10"
    octo = h.client.get_workflow_handle(contract.cycle_workflow_id(october))
    await eventually(lambda: _compiled(octo), what="October compiled")
    assert await by_schedule(november) == "accountability-2026-11"
    assert await by_schedule(november) == "accountability-2026-11"  # started once only
    nov = h.client.get_workflow_handle(contract.cycle_workflow_id(november))
    state: CycleState = await eventually(lambda: _compiled(nov), what="November compiled")
    assert state.open_periods == [october]

    review = await sender(h, octo, "review", "review_group")
    [item] = (await octo.query(contract.CYCLE_STATE_QUERY, result_type=CycleState)).items
    ref = {
        "complaint_id": item.complaint_id,
        "person": item.person,
        "responsibility": item.responsibility,
    }
    await octo.execute_update("decide", await review(**ref, penalty=60, reprimand=True))
    decided: CycleState = await eventually(lambda: sheets_sent(octo), what="October's sheets sent")
    now = await h.now()
    assert decided.appeal_until > now + timedelta(days=5)  # 5 working days, weekends between
    assert decided.appeal_until < now + timedelta(days=10)
    assert any("(R-AC-2)" in line for line in decided.log)
    sheets = await h.notifier.wait_for("accountability", 3)
    assert any("penalty sheet" in n.subject and n.recipient == item.person for n in sheets)


async def _compiled(handle: object) -> CycleState | None:
    state: CycleState | None = await handle.query(  # type: ignore[attr-defined]
        contract.CYCLE_STATE_QUERY, result_type=CycleState | None
    )
    return state
