"""The monthly accountability cycle (R-AN-3, R-AN-4, R-AN-5, R-AC-1, R-AC-2): proposals from
the ledger, the review group's decisions, appeals until the 26th, publication."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.accountability import (
    ZONE,
    CaseFacts,
    appeal_until,
    exemption,
    period_bounds,
    period_of,
    propose,
)
from tests.harness import Harness, eventually
from workflows import contract
from workflows.accountability import CycleInput, CycleState


def test_r_an_3_period_runs_from_the_21st_to_the_20th() -> None:
    assert period_bounds("2026-11") == (date(2026, 10, 21), date(2026, 11, 20))
    assert period_bounds("2027-01") == (date(2026, 12, 21), date(2027, 1, 20))
    assert appeal_until("2026-11") == datetime(2026, 11, 27, 0, 0, tzinfo=ZONE)
    assert period_of(datetime(2026, 11, 21, 0, 30, tzinfo=ZONE)) == "2026-11"


def facts(**kw: Any) -> CaseFacts:
    base: dict[str, Any] = {"complaint_id": "C1", "owner": "li.na", "supervisor": "wang.qiang",
                            "grade": "general", "channel": "hotline", "outcome": "resolved",
                            "reopen_count": 1}  # fmt: skip
    return CaseFacts.model_validate(base | kw)


def test_r_an_5_effective_complaint_direct_and_managerial_proposals() -> None:
    props = propose(facts(effective=True, reason_code="poor_attitude"))
    assert [(p.person, p.responsibility, p.minimum, p.maximum) for p in props] == [
        ("li.na", "direct", 100, 150),
        ("wang.qiang", "managerial", 50, 75),
    ]
    major = propose(facts(effective=True, grade="major", direct_person="zhao.min"))
    assert (major[0].person, major[0].minimum, major[0].maximum) == ("zhao.min", 150, 200)


def test_r_an_5_per_channel_sums_add_up_and_three_times_is_mishandling() -> None:
    props = propose(facts(effective=True, repeat_count=2, escalated=True, multi_channel=True,
                          repeat_channels=["regulator", "online"]))  # fmt: skip
    direct = props[0]
    # 100-150 effective + 50-200 mishandled (3 times) + 2x50 repeats + 100 escalated + 2x50 channels
    assert (direct.minimum, direct.maximum) == (100 + 50 + 300, 150 + 200 + 300)
    assert any("3 times" in r for r in direct.reasons)


def test_r_an_5_complaint_staff_late_progress() -> None:
    props = propose(facts(stage_breaches=3))
    assert [(p.responsibility, p.minimum, p.maximum) for p in props] == [
        ("complaint_staff", 20, 60)
    ]
    assert propose(facts(stage_breaches=30))[0].maximum == 200


def test_r_an_4_exemptions() -> None:
    assert exemption(facts(outcome="withdrawn")) == "withdrawn"
    assert exemption(facts(reopen_count=0)) == "satisfied_first_coordination"
    assert exemption(facts(reopen_count=0, repeat_count=1)) is None
    assert exemption(facts(reopen_count=0, review_count=1)) is None
    assert exemption(facts(reason_code="outside_liability", effective=False)) == "outside_liability"
    assert propose(facts(outcome="withdrawn", stage_breaches=4, effective=True)) == []


async def seed(pool: asyncpg.Pool, cid: str, received: datetime, **kw: Any) -> None:
    row: dict[str, Any] = {
        "complaint_id": cid, "workflow_id": contract.workflow_id(cid), "channel": "hotline",
        "branch": "Shanghai Pudong", "owner": "li.na", "supervisor": "wang.qiang",
        "category": "claims", "grade": "general", "stage": "closed", "outcome": "resolved",
        "customer_name": "x", "customer_phone": "13800000000", "matter": "m", "demands": "d",
        "received_at": received, "reopen_count": 1,
    }  # fmt: skip
    row |= kw
    cols = ", ".join(row)
    marks = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await pool.execute(f"INSERT INTO complaints ({cols}) VALUES ({marks})", *row.values())


async def test_r_an_3_cycle_end_to_end_with_appeals_until_the_26th(harness: Harness) -> None:
    h = harness
    now = await h.now()
    period = period_of(now)
    if now >= appeal_until(period):  # between the 27th and the month's end: the next period
        period = period_of(now + timedelta(days=10))
    starts, ends = period_bounds(period)
    inside = datetime.combine(starts + timedelta(days=3), datetime.min.time(), tzinfo=ZONE)
    await seed(h.pool, "A1", inside)
    await h.pool.execute(
        "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
        " managerial_person, decided_by, decided_at) VALUES ('A1', true, 'staff_error',"
        " 'li.na', 'wang.qiang', 'chief', now())"
    )
    await seed(h.pool, "A2", inside, reopen_count=0)  # satisfied first time: exempt
    await seed(h.pool, "OUT", datetime.combine(ends + timedelta(days=1), datetime.min.time(),
                                               tzinfo=ZONE))  # fmt: skip
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE, CycleInput(period=period),
        id=contract.cycle_workflow_id(period), task_queue=h.task_queue, result_type=CycleState,
    )  # fmt: skip
    state = await _state(handle)
    assert {(i.complaint_id, i.person, i.responsibility) for i in state.items} == {
        ("A1", "li.na", "direct"), ("A1", "wang.qiang", "managerial"),
    }  # fmt: skip
    direct = {"complaint_id": "A1", "person": "li.na", "responsibility": "direct"}
    managerial = {"complaint_id": "A1", "person": "wang.qiang", "responsibility": "managerial"}
    await handle.execute_update("decide", {**direct, "actor": "review", "penalty": 120})
    await handle.signal("decide", {**managerial, "actor": "review", "penalty": 60})
    await handle.execute_update(
        "appeal", {**direct, "actor": "li.na", "reason": "the customer lied"}
    )
    with pytest.raises(WorkflowUpdateFailedError):  # a second appeal
        await handle.execute_update("appeal", {**direct, "actor": "li.na", "reason": "again"})
    await h.sleep_until(appeal_until(period))
    with pytest.raises(WorkflowUpdateFailedError) as late:
        await handle.execute_update("appeal", {**managerial, "actor": "wang.qiang", "reason": "x"})
    assert "appeals closed" in str(late.value.cause)
    await handle.execute_update("decide_appeal", {**direct, "actor": "review", "upheld": True,
                                                  "penalty": 50})  # fmt: skip
    final: CycleState = await handle.result()
    assert final.published
    rows = await h.pool.fetch(
        "SELECT person, decided_penalty, appeal_decision, final FROM accountability_items"
        " ORDER BY person"
    )
    assert [tuple(r) for r in rows] == [
        ("li.na", 50, "upheld", True),
        ("wang.qiang", 60, None, True),
    ]
    assert any("REFUSED" in line and "appeals closed" in line for line in final.log)
    assert await h.pool.fetchval("SELECT status FROM accountability_cycles") == "published"


async def _state(handle: Any) -> CycleState:
    """The cycle's state once its compile activity has run."""
    state: CycleState = await eventually(
        lambda: handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState | None),
        what="the compiled cycle",
    )
    return state


async def test_r_an_3_cycle_notices_are_accountability_notices_not_sla_escalations(
    harness: Harness,
) -> None:
    """The review group's and each person's notices have their own kind: the outbox, the
    notices view and anything counting SLA escalations (R-SLA-4) no longer mistake them."""
    h = harness
    now = await h.now()
    period = period_of(now)
    if now >= appeal_until(period):
        period = period_of(now + timedelta(days=10))
    starts, _ = period_bounds(period)
    await seed(h.pool, "K1", datetime.combine(starts + timedelta(days=2), datetime.min.time(),
                                              tzinfo=ZONE))  # fmt: skip
    await h.pool.execute(
        "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
        " managerial_person, decided_by, decided_at) VALUES ('K1', true, 'poor_attitude',"
        " 'li.na', 'wang.qiang', 'chief', now())"
    )
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE, CycleInput(period=period),
        id=contract.cycle_workflow_id(period), task_queue=h.task_queue, result_type=CycleState,
    )  # fmt: skip
    state = await _state(handle)
    for item in state.items:
        await handle.execute_update("decide", {"actor": "review", "complaint_id": item.complaint_id,
                                               "person": item.person, "penalty": 20,
                                               "responsibility": item.responsibility})  # fmt: skip
    await h.sleep_until(appeal_until(period))
    assert (await handle.result()).published

    people = {i.person for i in state.items}
    told = await h.notifier.wait_for("accountability", 1 + len(people))
    assert {n.recipient for n in told} == {"review.group", *people}
    assert not h.notifier.of("escalation")
    kinds = await h.pool.fetch(
        "SELECT DISTINCT kind FROM notifications WHERE complaint_id = $1",
        f"accountability-{period}",
    )
    assert [r["kind"] for r in kinds] == ["accountability"]
    assert (
        await h.pool.fetchval("SELECT count(*) FROM notifications WHERE kind = 'escalation'") == 0
    )
