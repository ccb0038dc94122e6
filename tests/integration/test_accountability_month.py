"""A month of accountability end to end on the time-skipping server, as the seeds run it
(R-AC-3, R-AC-4, R-AN-5, R-SLA-10): proposals from the ledger's facts under the penalty
amounts an administrator entered; the review group's initial decisions; the penalty sheet to
each person and their branch manager before the appeal window; an appeal with evidence (one
from another person refused); the appeal decided; the results published and exported as CSV
through the API and the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError

from api.app import create_app
from api.auth import create_key
from domain.accountability import ZONE, appeal_until, period_bounds, period_of
from domain.notice_models import Notification
from domain.vocabulary import Role
from tests.harness import Harness, eventually
from tests.integration.test_accountability import seed, sender, sheets_sent
from tests.integration.test_api import Api
from workflows import contract
from workflows.accountability import CycleInput, CycleState


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    keys = {
        "admin": await create_key(harness.pool, "admin.chen", [Role.ADMIN]),
        "review": await create_key(harness.pool, "review", [Role.REVIEW_GROUP]),
        "handler": await create_key(harness.pool, "li.na", [Role.HANDLER]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


async def test_r_ac_3_r_ac_4_r_an_5_a_month_sheet_appeal_decision_publication_csv(
    harness: Harness, api: Api, database: str
) -> None:
    h = harness
    now = await h.now()
    period = period_of(now)
    if now >= appeal_until(period) - timedelta(days=2):  # leave the window some days
        period = period_of(now + timedelta(days=12))
    starts, _ = period_bounds(period)
    inside = datetime.combine(starts + timedelta(days=3), datetime.min.time(), tzinfo=ZONE)

    # R-SLA-10: the administrator's per-channel amounts (S3's table is data).
    since = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    body = {"by_channel": {"regulator": 200}}
    penalty = {"effective_from": since, "reason": "S3 per-channel table", "body": body}
    assert (await api.post("/v1/policy/penalty", penalty, who="admin")).status_code == 201

    # An escalated case repeated through the regulator, its ledger entry incomplete, a crisis
    # report filed late and an unauthorised promise on record.
    await seed(
        h.pool,
        "M1",
        inside,
        escalated=True,
        repeat_count=1,
        repeat_channels=["regulator"],
        product=None,
    )
    await h.pool.execute(
        "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
        " managerial_person, managerial_levels, department_head, decided_by, decided_at)"
        " VALUES ('M1', true, 'staff_error', 'li.na', 'wang.qiang', '{zhou.jie}', 'head.sun',"
        " 'chief', now())"
    )
    await h.pool.execute(
        "INSERT INTO sla_clocks (complaint_id, clock_key, started_at, kind, label, due_at, basis,"
        " provisional, breached_at) VALUES ('M1', 'crisis:superior', $1, 'crisis', 'report',"
        " $2, 'R-CR-1', false, $2)",
        inside,
        inside + timedelta(hours=1),
    )
    await h.pool.execute(
        "INSERT INTO conduct_events (complaint_id, seq, person, kind, recorded_by, recorded_at)"
        " VALUES ('M1', 7, 'zhao.min', 'unauthorised_promise', 'wang.qiang', $1)",
        inside,
    )

    started = await h.client.execute_workflow(
        contract.CYCLE_STARTER_WORKFLOW_TYPE,
        CycleInput(period=period),
        id=f"{contract.CYCLE_STARTER_WORKFLOW_ID}-{period}",
        task_queue=h.task_queue,
    )
    assert started == f"accountability-{period}"
    handle = h.client.get_workflow_handle(started)
    state: CycleState = await eventually(
        lambda: handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState | None),  # type: ignore[arg-type]
        what="the compiled cycle",
    )
    items = {(i.person, i.responsibility): i for i in state.items}
    assert set(items) == {  # R-AC-4: every managerial level, the department head (escalated)
        ("li.na", "direct"),
        ("wang.qiang", "managerial"),
        ("zhou.jie", "managerial"),
        ("head.sun", "department_head"),
        ("li.na", "complaint_staff"),
        ("li.na", "crisis_conduct"),
        ("zhao.min", "crisis_conduct"),
    }
    # R-AN-5: 100-150 effective + 200 (the regulator's repeat, from the data) + 100 escalated
    assert (items["li.na", "direct"].minimum, items["li.na", "direct"].maximum) == (400, 450)
    assert any(
        "incomplete ledger entry: product" in r for r in items["li.na", "complaint_staff"].reasons
    )

    li_na = await sender(h, handle, "li.na", "handler")
    direct = {"complaint_id": "M1", "person": "li.na", "responsibility": "direct"}
    with pytest.raises(WorkflowUpdateFailedError) as early:  # R-AC-3: the sheet comes first
        await handle.execute_update("appeal", await li_na(**direct, reason="x", evidence=["a"]))
    assert "sheet has not gone out" in str(early.value.cause)

    # R-AN-5: a ground no fact shows, recorded by the review group before the sheets.
    with pytest.raises(WorkflowUpdateFailedError) as not_review:
        await handle.execute_update(
            "record_ground",
            await li_na(complaint_id="M1", person="zhao.min", ground="exceeded_authority"),
        )
    assert "only the review group" in str(not_review.value.cause)
    review = await sender(h, handle, "review", "review_group")
    await handle.execute_update(
        "record_ground", await review(complaint_id="M1", person="li.na", ground="poor_attitude")
    )
    for item in (await handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState)).items:
        await handle.execute_update(
            "decide",
            await review(
                complaint_id=item.complaint_id,
                person=item.person,
                responsibility=item.responsibility,
                penalty=item.minimum,
                reprimand=item.responsibility == "direct",
            ),
        )

    # R-AC-3: the sheet reaches the person and their branch manager before the window closes.
    sheets = await eventually(lambda: _sheets(h), what="the penalty sheets")
    assert {"li.na", "wang.qiang"} <= {n.recipient for n in sheets}
    sent = await handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState)
    staff = next(
        i for i in sent.items if (i.person, i.responsibility) == ("li.na", "complaint_staff")
    )
    assert any("poor attitude (recorded by review)" in r for r in staff.reasons)
    assert sent.sheets_sent_at is not None and sent.sheets_sent_at < sent.appeal_until
    assert sent.appeal_until == appeal_until(period)
    queued = await h.pool.fetchval(
        "SELECT count(*) FROM notifications WHERE kind = 'accountability' AND subject LIKE"
        " '%penalty sheet%' AND recipient = 'wang.qiang'"
    )
    assert queued >= 1  # through the outbox

    other = await sender(h, handle, "zhao.min", "handler")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            "appeal", await other(**direct, reason="for her", evidence=["att-0"])
        )
    assert "R-AC-3" in str(refused.value.cause)
    # R-IN-9: the appeal's evidence, uploaded through the API for this cycle's appeal on M1
    uploaded = []
    for n, pdf in enumerate([b"%PDF-1.4 call recording transcript", b"%PDF-1.4 claim form"]):
        r = await api.http.post(
            "/v1/complaints/M1/evidence",
            content=pdf,
            params={
                "filename": f"proof-{n}.pdf",
                "owner_kind": "appeal",
                "owner_id": contract.cycle_workflow_id(period),
            },
            headers={**api.as_("handler"), "Content-Type": "application/pdf"},
        )
        assert r.status_code == 201, r.text
        uploaded.append(r.json()["evidence_id"])
    with pytest.raises(WorkflowUpdateFailedError) as unknown:  # ids that are not evidence
        await handle.execute_update(
            "appeal", await li_na(**direct, reason="the customer lied", evidence=["att-1"])
        )
    assert "not evidence of an appeal" in str(unknown.value.cause)
    await handle.execute_update(
        "appeal", await li_na(**direct, reason="the customer lied", evidence=uploaded)
    )
    await h.sleep_until(appeal_until(period))
    await handle.execute_update("decide_appeal", await review(**direct, upheld=True, penalty=200))
    final = CycleState.model_validate(await handle.result())
    assert final.published

    r = await api.get(f"/v1/accountability/{period}/results", who="review")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    mine = next(x for x in rows if (x["person"], x["responsibility"]) == ("li.na", "direct"))
    assert (
        mine["penalty_yuan"],
        mine["published_reprimand"],
        mine["appeal_by"],
        mine["appeal_decision"],
    ) == ("200", "yes", "li.na", "upheld")
    assert {x["person"] for x in rows} >= {"head.sun", "zhou.jie", "zhao.min"}
    assert (await api.get(f"/v1/accountability/{period}/results", who="handler")).status_code == 403
    evidence = await h.pool.fetchval(
        "SELECT appeal_evidence FROM accountability_items WHERE complaint_id = 'M1'"
        " AND person = 'li.na' AND responsibility = 'direct'"
    )
    assert evidence == uploaded

    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "reports.accountability",
        period,
        env=os.environ | {"DATABASE_URL": database},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(cli.communicate(), timeout=60)
    assert cli.returncode == 0, err.decode()
    assert out.decode() == r.text


async def _sheets(h: Harness) -> list[Notification] | None:
    """The penalty sheets once the person's and their branch manager's have gone (others, the
    department head's, may come in any order beside them)."""
    sheets = [n for n in h.notifier.of("accountability") if "penalty sheet" in n.subject]
    return sheets if {"li.na", "wang.qiang"} <= {n.recipient for n in sheets} else None


async def test_r_ac_2_an_off_cycle_window_is_five_working_days_of_the_branch_calendar(
    harness: Harness,
) -> None:
    """A cycle outside the monthly round (`appeal_working_days`): its appeals close 5 working
    days after the sheets went out, on the branch's calendar, a closure of the branch skipped."""
    from domain.accountability import appeal_window_end
    from domain.closures import with_closure
    from tests.harness import test_calendar

    h = harness
    now = await h.now()
    today = now.astimezone(ZONE).date()
    first = today + timedelta(days=1)
    while first.weekday() >= 5:  # the next working day, so the closure counts
        first += timedelta(days=1)
    closed = (first, first)
    await h.pool.execute(
        "INSERT INTO branch_closures (closure_key, branch, first_day, last_day, reason,"
        " announced_by) VALUES ('t1', 'Shanghai Pudong', $1, $2, 'typhoon', 'admin.chen')",
        *closed,
    )
    period = "2026-06"
    starts, _ = period_bounds(period)
    received = datetime.combine(starts + timedelta(days=2), datetime.min.time(), tzinfo=ZONE)
    await seed(h.pool, "W1", received, reopen_count=0, repeat_count=3)
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE,
        CycleInput(period=period, appeal_working_days=5, branch="Shanghai Pudong"),
        id="accountability-2026-06-offcycle",
        task_queue=h.task_queue,
        result_type=CycleState,
    )
    state: CycleState = await eventually(
        lambda: handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState | None),  # type: ignore[arg-type]
        what="the compiled cycle",
    )
    [item] = state.items
    review = await sender(h, handle, "review", "review_group")
    await handle.execute_update(
        "decide",
        await review(
            complaint_id=item.complaint_id,
            person=item.person,
            responsibility=item.responsibility,
            penalty=50,
        ),
    )
    sent: CycleState = await eventually(lambda: sheets_sent(handle), what="the sheets")
    assert sent.sheets_sent_at is not None
    calendar = with_closure(test_calendar(), *closed, "typhoon")
    assert sent.appeal_until == appeal_window_end(calendar, sent.sheets_sent_at, 5)
    assert sent.appeal_until > appeal_window_end(test_calendar(), sent.sheets_sent_at, 5)
