"""The monthly accountability cycle (R-AN-3, R-AN-4, R-AN-5, R-AC-1, R-AC-2): proposals from
the ledger, the review group's decisions, appeals until the 26th, publication."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import RawValue

from domain.accountability import (
    ZONE,
    CaseFacts,
    appeal_until,
    exemption,
    period_bounds,
    period_of,
    propose,
)
from launcher.dev import CONTACTS, seed_contacts
from tests.harness import Harness, eventually
from workflows import contract
from workflows.accountability import CycleInput, CycleState


def test_r_an_3_period_runs_from_the_21st_to_the_20th() -> None:
    assert period_bounds("2026-11") == (date(2026, 10, 21), date(2026, 11, 20))
    assert period_bounds("2027-01") == (date(2026, 12, 21), date(2027, 1, 20))
    assert appeal_until("2026-11") == datetime(2026, 11, 27, 0, 0, tzinfo=ZONE)
    assert period_of(datetime(2026, 11, 21, 0, 30, tzinfo=ZONE)) == "2026-11"


def facts(**kw: Any) -> CaseFacts:
    base: dict[str, Any] = {
        "complaint_id": "C1",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "grade": "general",
        "channel": "hotline",
        "outcome": "resolved",
        "reopen_count": 1,
    }
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
    props = propose(
        facts(
            effective=True,
            repeat_count=2,
            escalated=True,
            multi_channel=True,
            repeat_channels=["regulator", "online"],
        )
    )
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
    """R-AN-4 as restated: withdrawn or satisfied only at the first coordination (the first
    statement exempted every withdrawn case, reopened or not)."""
    assert exemption(facts(outcome="withdrawn", reopen_count=0)) == "withdrawn"
    assert exemption(facts(outcome="withdrawn")) is None  # reopened once: accountable
    assert exemption(facts(reopen_count=0)) == "satisfied_first_coordination"
    assert exemption(facts(reopen_count=0, repeat_count=1)) is None
    assert exemption(facts(reopen_count=0, review_count=1)) is None
    assert exemption(facts(reason_code="outside_liability", effective=False)) == "outside_liability"
    assert propose(facts(outcome="withdrawn", reopen_count=0, stage_breaches=4)) == []


async def seed(pool: asyncpg.Pool, cid: str, received: datetime, **kw: Any) -> None:
    row: dict[str, Any] = {
        "complaint_id": cid,
        "workflow_id": contract.workflow_id(cid),
        "channel": "hotline",
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "category": "claims",
        "grade": "general",
        "stage": "closed",
        "outcome": "resolved",
        "customer_name": "x",
        "customer_phone": "13800000000",
        "matter": "m",
        "demands": "d",
        "received_at": received,
        "reopen_count": 1,
        "department": "claims",
        "product": "motor",
        "policy_number": "P1",
    }
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
    await seed(
        h.pool, "OUT", datetime.combine(ends + timedelta(days=1), datetime.min.time(), tzinfo=ZONE)
    )
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE,
        CycleInput(period=period),
        id=contract.cycle_workflow_id(period),
        task_queue=h.task_queue,
        result_type=CycleState,
    )
    state = await _state(handle)
    assert {(i.complaint_id, i.person, i.responsibility) for i in state.items} == {
        ("A1", "li.na", "direct"),
        ("A1", "wang.qiang", "managerial"),
    }
    direct = {"complaint_id": "A1", "person": "li.na", "responsibility": "direct"}
    managerial = {"complaint_id": "A1", "person": "wang.qiang", "responsibility": "managerial"}
    review = await sender(h, handle, "review", "review_group")
    await handle.execute_update("decide", await review(**direct, penalty=120))
    await handle.signal("decide", await review(**managerial, penalty=60))
    li_na = await sender(h, handle, "li.na", "handler")
    proof = await h.appeal_evidence("A1", period)
    # R-AC-3: appeals come after the sheets, which an activity sends once both are decided.
    await eventually(lambda: sheets_sent(handle), what="the penalty sheets")
    await handle.execute_update(
        "appeal", await li_na(**direct, reason="the customer lied", evidence=[proof])
    )
    with pytest.raises(WorkflowUpdateFailedError):  # a second appeal
        await handle.execute_update(
            "appeal", await li_na(**direct, reason="again", evidence=["att-2"])
        )
    await h.sleep_until(appeal_until(period))
    wang = await sender(h, handle, "wang.qiang", "supervisor")
    with pytest.raises(WorkflowUpdateFailedError) as late:
        await handle.execute_update(
            "appeal", await wang(**managerial, reason="x", evidence=["att-3"])
        )
    assert "appeals closed" in str(late.value.cause)
    await handle.execute_update("decide_appeal", await review(**direct, upheld=True, penalty=50))
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


async def sheets_sent(handle: object) -> CycleState | None:
    """The cycle's state once its penalty sheets have gone out (R-AC-3), else None."""
    state: CycleState = await handle.query(  # type: ignore[attr-defined]
        contract.CYCLE_STATE_QUERY, result_type=CycleState
    )
    return state if state.sheets_sent_at is not None else None


async def sender(
    h: Harness, handle: Any, actor: str, role: str, **scope: Any
) -> Callable[..., Awaitable[RawValue]]:
    """Messages from `actor` as the codec server or the API would seal them."""

    async def message(**fields: Any) -> RawValue:
        return await h.sealed_raw(handle, fields, actor=actor, roles=[role], **scope)

    return message


async def test_r_ac_3_appeal_from_another_person_refused_only_the_person_or_their_branch(
    harness: Harness,
) -> None:
    """A decision from outside the review group is refused; an appeal from another person is
    refused and logged; a supervisor of the person's branch may appeal on their behalf; a
    message typed without a verified identity counts for nothing."""
    h = harness
    now = await h.now()
    period = period_of(now)
    if now >= appeal_until(period):
        period = period_of(now + timedelta(days=10))
    starts, _ = period_bounds(period)
    inside = datetime.combine(starts + timedelta(days=3), datetime.min.time(), tzinfo=ZONE)
    await seed(h.pool, "B1", inside, reopen_count=0, repeat_count=3)  # mishandled: li.na
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE,
        CycleInput(period=period),
        id=contract.cycle_workflow_id(period),
        task_queue=h.task_queue,
        result_type=CycleState,
    )
    state = await _state(handle)
    [item] = state.items
    ref = {"complaint_id": "B1", "person": item.person, "responsibility": item.responsibility}

    supervisor = await sender(h, handle, "wang.qiang", "supervisor")
    with pytest.raises(WorkflowUpdateFailedError) as outsider:
        await handle.execute_update("decide", await supervisor(**ref, penalty=10))
    assert "only the review group decides" in str(outsider.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as typed:
        await handle.execute_update("decide", {**ref, "actor": "review", "penalty": 10})
    assert "identity not verified" in str(typed.value.cause)
    early = await sender(h, handle, "li.na", "handler")
    with pytest.raises(WorkflowUpdateFailedError) as before:  # R-AC-3: the sheet comes first
        await handle.execute_update("appeal", await early(**ref, reason="x", evidence=["a"]))
    assert "sheet has not gone out" in str(before.value.cause)
    review = await sender(h, handle, "review", "review_group")
    # A seal counts only for the message it names (patch seal-binds-message).
    for_appeals = await h.sealed_raw(
        handle, {**ref, "penalty": 80}, actor="review", roles=["review_group"], action="appeal"
    )
    with pytest.raises(WorkflowUpdateFailedError) as misused:
        await handle.execute_update("decide", for_appeals)
    assert "given for appeal, not decide" in str(misused.value.cause)
    await handle.execute_update("decide", await review(**ref, penalty=80))
    await eventually(lambda: sheets_sent(handle), what="the penalty sheet")

    someone = await sender(h, handle, "zhao.min", "handler")
    with pytest.raises(WorkflowUpdateFailedError) as other:
        await handle.execute_update(
            "appeal", await someone(**ref, reason="not me", evidence=["att-9"])
        )
    assert "R-AC-3" in str(other.value.cause) and "li.na" in str(other.value.cause)
    beijing = await sender(h, handle, "sun.hao", "supervisor", branches=["Beijing Haidian"])
    with pytest.raises(WorkflowUpdateFailedError):  # a supervisor, but of another branch
        await handle.execute_update(
            "appeal", await beijing(**ref, reason="for li.na", evidence=["att-9"])
        )
    pudong = await sender(h, handle, "wang.qiang", "supervisor", branches=["Shanghai Pudong"])
    with pytest.raises(WorkflowUpdateFailedError) as bare:  # R-AC-3, R-IN-9: no evidence
        await handle.execute_update("appeal", await pudong(**ref, reason="for li.na"))
    assert "carries evidence" in str(bare.value.cause)
    # R-IN-9: evidence of the case, not of this cycle's appeal, is not an appeal's evidence
    elsewhere = await h.appeal_evidence("B1", "1999-01")
    proof = await h.appeal_evidence("B1", period)
    with pytest.raises(WorkflowUpdateFailedError) as foreign:
        both = await pudong(**ref, reason="for li.na", evidence=[proof, elsewhere])
        await handle.execute_update("appeal", both)
    assert f"not evidence of an appeal in {handle.id} on this complaint: {elsewhere}" in str(
        foreign.value.cause
    )
    appealed = await handle.execute_update(
        "appeal",
        await pudong(**ref, reason="for li.na", evidence=[proof]),
        result_type=CycleState,
    )
    assert appealed.items[0].appeal == "for li.na"
    assert appealed.items[0].appeal_evidence == [proof]
    assert appealed.items[0].appeal_by == "wang.qiang"
    log = (await _state(handle)).log
    # the seven above and the foreign evidence
    assert sum("REFUSED" in line for line in log) == 8, log


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
    await seed_contacts(h.pool, CONTACTS)  # R-AC-5: the branch's HR and finance, as data
    now = await h.now()
    period = period_of(now)
    if now >= appeal_until(period):
        period = period_of(now + timedelta(days=10))
    starts, _ = period_bounds(period)
    await seed(
        h.pool, "K1", datetime.combine(starts + timedelta(days=2), datetime.min.time(), tzinfo=ZONE)
    )
    await h.pool.execute(
        "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
        " managerial_person, decided_by, decided_at) VALUES ('K1', true, 'poor_attitude',"
        " 'li.na', 'wang.qiang', 'chief', now())"
    )
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE,
        CycleInput(period=period),
        id=contract.cycle_workflow_id(period),
        task_queue=h.task_queue,
        result_type=CycleState,
    )
    state = await _state(handle)
    review = await sender(h, handle, "review", "review_group")
    for item in state.items:
        decision = await review(
            complaint_id=item.complaint_id,
            person=item.person,
            penalty=20,
            responsibility=item.responsibility,
        )
        await handle.execute_update("decide", decision)
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
    # R-AC-5: the published results to HR and finance are notices of their own kind
    assert sorted(r["kind"] for r in kinds) == ["accountability", "accountability_results"]
    assert (
        await h.pool.fetchval("SELECT count(*) FROM notifications WHERE kind = 'escalation'") == 0
    )
