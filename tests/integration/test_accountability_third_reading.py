"""The accountability rules of the third reading against the real things (migrated PostgreSQL,
the HTTP app, the time-skipping server): R-AN-4 restated in the statistics, the determination
API and the cycle (a published period never compiled again; each period's rule reading);
R-AN-6, R-AN-7, R-AC-5 (outcomes, the results to HR and finance) and R-AC-6 (mis-selling and
crisis decisions recorded on the case and proposed)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import WorkflowFailureError

from api.auth import create_key
from api.reports import router
from domain.accountability import RULE_READING, ZONE, appeal_until, period_bounds, period_of
from domain.vocabulary import Role
from launcher.dev import CONTACTS, seed_contacts
from ledger import accountability
from reports.accountability import render
from reports.statistics import monthly_report
from tests.harness import Harness, eventually
from tests.integration.test_accountability import seed, sender
from tests.integration.test_reports_api import Client
from tests.integration.test_statistics import SP, at, insert_complaint, insert_determination
from workflows import contract
from workflows.accountability import CycleInput, CycleState

# ---------------------------------------------------------------------------------------------
# R-AN-4 in the monthly statistics


async def test_r_an_4_the_statistics_count_only_exemptions_that_hold(pool: asyncpg.Pool) -> None:
    """An exemption recorded under the first reading on a case withdrawn after repeats is not
    counted exempt: it counts among the determined, not effective."""
    async with pool.acquire() as conn:
        await insert_complaint(
            conn, "W1", at("2026-03-02 10:00"), stage="withdrawn", outcome="withdrawn"
        )
        await insert_complaint(
            conn,
            "W2",
            at("2026-03-03 10:00"),
            stage="withdrawn",
            outcome="withdrawn",
            repeat_count=3,
            escalated=True,
            multi_channel=True,
        )
        await insert_complaint(conn, "W3", at("2026-03-04 10:00"), repeat_count=1)
        await insert_complaint(conn, "W4", at("2026-03-05 10:00"), reopen_count=1)
        for cid, code in (
            ("W1", "withdrawn"),
            ("W2", "withdrawn"),
            ("W3", "outside_liability"),
            ("W4", "satisfied_first_coordination"),
        ):
            await insert_determination(conn, cid, code, effective=False, direct=None)
    report = await monthly_report(pool, "2026-03")
    [pudong] = [b for b in report.effective.branches if b.branch == SP]
    # W1 withdrawn at first coordination, W3 outside liability: exempt. W2, W4: not.
    assert (pudong.determined, pudong.exempt, pudong.not_effective) == (4, 2, 2)


# ---------------------------------------------------------------------------------------------
# R-AN-4 and R-AN-7 through the determination API


@pytest.fixture
async def reports_api(pool: asyncpg.Pool) -> AsyncIterator[Client]:
    app = FastAPI()
    app.state.pool = pool
    app.include_router(router)
    keys = {
        "supervisor": await create_key(pool, "wang.qiang", [Role.SUPERVISOR]),
        "line": await create_key(pool, "zhao.claims", [Role.SUPERVISOR]),
        "review": await create_key(pool, "review", [Role.REVIEW_GROUP]),
        "handler": await create_key(pool, "li.na", [Role.HANDLER]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Client(http, keys)


async def test_r_an_4_the_api_refuses_a_withdrawn_exemption_after_repeats(
    pool: asyncpg.Pool, reports_api: Client
) -> None:
    async with pool.acquire() as conn:
        await insert_complaint(
            conn,
            "R1",
            at("2026-03-02 10:00"),
            channel="regulator",
            stage="withdrawn",
            outcome="withdrawn",
            repeat_count=3,
            escalated=True,
            multi_channel=True,
        )
    path = "/v1/complaints/R1/determination"
    view = await reports_api.get(path)
    assert view.json()["proposed_exemption"] is None  # the first reading proposed `withdrawn`
    body = {"verdict": "exempt", "reason_code": "withdrawn"}
    r = await reports_api.post(path, body, "supervisor")
    assert r.status_code == 409, r.text
    assert "R-AN-4" in r.json()["detail"] and "3 repeat complaint(s)" in r.json()["detail"]
    outside = {"verdict": "exempt", "reason_code": "outside_liability"}  # S3 特别说明
    r = await reports_api.post(path, outside, "supervisor")
    assert r.status_code == 201, r.text


async def test_r_an_7_an_undetermined_case_goes_to_the_business_line_which_determines_it(
    pool: asyncpg.Pool, reports_api: Client
) -> None:
    async with pool.acquire() as conn:
        await insert_complaint(conn, "L1", at("2026-03-02 10:00"), reopen_count=1)
    path = "/v1/complaints/L1/determination"
    refer = {"business_line": "claims", "reason": "no one can say who set the loss wrongly"}
    handler = await reports_api.post(f"{path}/referral", refer, "handler")
    assert handler.status_code == 403
    r = await reports_api.post(f"{path}/referral", refer, "review")
    assert r.status_code == 201, r.text
    assert r.json()["referral"]["business_line"] == "claims"
    assert r.json()["referral"]["referred_by"] == "review"
    decided = {
        "verdict": "effective",
        "reason_code": "staff_error",
        "direct_person": "sun.li",
        "managerial_person": "zhou.jie",
    }
    r = await reports_api.post(path, decided, "supervisor")
    assert r.status_code == 409 and "R-AN-7" in r.json()["detail"]  # not the line's
    r = await reports_api.post(path, decided | {"business_line": "sales"}, "line")
    assert r.status_code == 409 and "claims" in r.json()["detail"]
    r = await reports_api.post(path, decided | {"business_line": "claims"}, "line")
    assert r.status_code == 201, r.text
    d = r.json()["determination"]
    assert (d["business_line"], d["decided_by"]) == ("claims", "zhao.claims")
    # A business line on a case never referred is refused.
    async with pool.acquire() as conn:
        await insert_complaint(conn, "L2", at("2026-03-02 11:00"), reopen_count=1)
    again = decided | {"business_line": "claims"}
    r = await reports_api.post("/v1/complaints/L2/determination", again, "line")
    assert r.status_code == 409 and "not referred" in r.json()["detail"]


# ---------------------------------------------------------------------------------------------
# The cycle


async def _period(h: Harness) -> tuple[str, datetime]:
    """A period whose appeal window is still open, and a moment inside it."""
    now = await h.now()
    period = period_of(now)
    if now >= appeal_until(period) - timedelta(days=2):
        period = period_of(now + timedelta(days=12))
    starts, _ = period_bounds(period)
    return period, datetime.combine(starts + timedelta(days=3), datetime.min.time(), tzinfo=ZONE)


async def test_r_an_4_a_published_period_is_not_compiled_again(harness: Harness) -> None:
    """A period published under the first reading keeps its results: a cycle started for it
    again fails at the compile, and no item is added or changed."""
    h = harness
    period, inside = await _period(h)
    starts, ends = period_bounds(period)
    await seed(
        h.pool,
        "P1",
        inside,
        stage="withdrawn",
        outcome="withdrawn",
        repeat_count=3,
        escalated=True,
        repeat_channels=["regulator", "media"],
    )
    await h.pool.execute(
        "INSERT INTO accountability_cycles (period, starts_on, ends_on, appeal_until, status,"
        " compiled_at, published_at) VALUES ($1, $2, $3, $4, 'published', now(), now())",
        period,
        starts,
        ends,
        appeal_until(period),
    )
    before = await h.pool.fetch("SELECT * FROM accountability_items WHERE period = $1", period)
    assert (
        await h.pool.fetchval(
            "SELECT rule_reading FROM accountability_cycles WHERE period = $1", period
        )
        == 1
    )  # compiled before readings were recorded: the first one
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE,
        CycleInput(period=period),
        id=contract.cycle_workflow_id(period),
        task_queue=h.task_queue,
        result_type=CycleState,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert "is published" in str(failed.value.cause.__cause__ or failed.value.cause)
    after = await h.pool.fetch("SELECT * FROM accountability_items WHERE period = $1", period)
    assert before == after == []


def department(unit: str, which: str) -> str:
    """The user the development directory names for a unit's HR or finance department."""
    [found] = [u for u in json.loads(CONTACTS.read_text())["units"] if u["unit"] == unit]
    [person] = found[which]
    user: str = person["user"]
    return user


async def test_r_an_6_r_an_7_r_ac_5_r_ac_6_a_period_compiled_decided_and_sent_to_hr_and_finance(
    harness: Harness,
) -> None:
    h = harness
    period, inside = await _period(h)
    # R-AN-4: withdrawn after repeats through the regulator and the media, escalated.
    await seed(
        h.pool,
        "Q1",
        inside,
        stage="withdrawn",
        outcome="withdrawn",
        reopen_count=0,
        repeat_count=3,
        escalated=True,
        multi_channel=True,
        repeat_channels=["regulator", "media"],
    )
    # R-AN-6: settled at the first coordination, but a surveyor instigated it.
    await seed(h.pool, "Q2", inside, reopen_count=0)
    await h.pool.execute(
        "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
        " managerial_person, decided_by) VALUES ('Q2', false, 'instigated_by_own_surveyor',"
        " 'zhang.surveyor', 'wang.qiang', 'chief')"
    )
    # R-AN-7, R-AC-5: an effective complaint the claims line determined.
    await seed(h.pool, "Q3", inside)
    await h.pool.execute(
        "INSERT INTO determination_referrals (complaint_id, business_line, reason, referred_by)"
        " VALUES ('Q3', 'claims', 'undecidable', 'review')"
    )
    await h.pool.execute(
        "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
        " managerial_person, decided_by, business_line) VALUES ('Q3', true, 'staff_error',"
        " 'sun.li', 'wang.qiang', 'zhao.claims', 'claims')"
    )
    # R-AC-6: a mis-selling finding and a failure to act, on a case exempt otherwise.
    await seed(h.pool, "Q4", inside, reopen_count=0)
    await h.pool.execute(
        "INSERT INTO conduct_events (complaint_id, seq, person, kind, detail, recorded_by,"
        " recorded_at) VALUES ('Q4', 5, 'chen.outlet', 'mis_selling', 'problem policy',"
        " 'wang.qiang', $1), ('Q4', 9, 'zhou.jie', 'failure_to_act', NULL, 'wang.qiang', $1)",
        inside,
    )
    assert await seed_contacts(h.pool, CONTACTS) > 0  # R-AC-5: the directory names HR, finance
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE,
        CycleInput(period=period),
        id=contract.cycle_workflow_id(period),
        task_queue=h.task_queue,
        result_type=CycleState,
    )
    state: CycleState = await eventually(
        lambda: handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState | None),  # type: ignore[arg-type]
        what="the compiled cycle",
    )
    items = {(i.complaint_id, i.person, i.responsibility): i for i in state.items}
    assert set(items) == {
        ("Q1", "li.na", "direct"),
        ("Q2", "zhang.surveyor", "direct"),
        ("Q2", "wang.qiang", "managerial"),
        ("Q3", "sun.li", "direct"),
        ("Q3", "wang.qiang", "managerial"),
        ("Q4", "chen.outlet", "mis_selling"),
        ("Q4", "zhou.jie", "crisis_conduct"),
    }
    assert items["Q3", "sun.li", "direct"].outcomes == ["fine", "published_reprimand"]
    assert items["Q3", "sun.li", "direct"].determined_by == "business line claims (zhao.claims)"
    assert (
        await h.pool.fetchval(
            "SELECT rule_reading FROM accountability_cycles WHERE period = $1", period
        )
        == RULE_READING
    )

    review = await sender(h, handle, "review", "review_group")
    for (cid, person, responsibility), item in items.items():
        decision: dict[str, Any] = {
            "complaint_id": cid,
            "person": person,
            "responsibility": responsibility,
            "penalty": item.minimum,
        }
        if (cid, person) == ("Q3", "sun.li"):
            decision["outcomes"] = ["fine", "published_reprimand", "warning"]
        if person == "zhou.jie":
            decision |= {"penalty": 0, "outcomes": ["demotion"]}
        await handle.execute_update("decide", await review(**decision))
    await h.sleep_until(appeal_until(period))
    assert (await handle.result()).published

    # R-AC-5: the branch's HR and finance departments, as the contacts directory names them
    # (launcher/contacts.json: data, no one in code), receive the results.
    sent = await h.notifier.wait_for("accountability_results", 2)
    assert {(n.recipient_role, n.recipient) for n in sent} == {
        ("hr", department("Shanghai Pudong", "hr")),
        ("finance", department("Shanghai Pudong", "finance")),
    }
    assert all("final results of Shanghai Pudong" in n.subject for n in sent)
    body = sent[0].body
    assert "sun.li: Q3 direct, warning, fine, published reprimand" in body
    assert "zhou.jie: Q4 crisis_conduct, demotion" in body
    rows = list(csv.DictReader(io.StringIO(render(await accountability.results(h.pool, period)))))
    found = {(r["complaint_id"], r["person"], r["responsibility"]): r for r in rows}
    sun = found["Q3", "sun.li", "direct"]
    assert sun["outcomes"] == "warning | fine | published_reprimand"
    assert sun["proposed_outcomes"] == "fine | published_reprimand"
    assert sun["published_reprimand"] == "yes"
    assert sun["determined_by"] == "business line claims (zhao.claims)"
    assert sun["rule_reading"] == str(RULE_READING)
    assert found["Q4", "zhou.jie", "crisis_conduct"]["outcomes"] == "demotion"


# ---------------------------------------------------------------------------------------------
# R-AC-6 on the case


OUTLET = {"bank": "工商银行", "outlet": "浦东支行营业部", "responsible_person": "陈经理"}


async def test_r_ac_6_a_mis_selling_finding_records_the_misleading_persons_conduct(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start(channel="bank_outlet", bank_outlet=OUTLET)
    cid = handle.id.removeprefix("complaint-")
    refused = await h.refusal(
        handle,
        "classify_policy",
        signed_personally=True,
        callback_compliant=True,
        misled_by="chen.outlet",
    )
    assert "R-AC-6" in refused and "normal" in refused
    state = await h.act(
        handle,
        "classify_policy",
        mis_selling_proof="recording of the sale",
        insurer="太平洋人寿",
        days=5,
        misled_by="chen.outlet",
    )
    [event] = state.conduct_events
    assert (event.person, event.kind) == ("chen.outlet", "mis_selling")
    assert "problem" in (event.detail or "")
    row = await eventually(
        lambda: h.pool.fetchrow(
            "SELECT person, kind FROM conduct_events WHERE complaint_id = $1", cid
        ),
        what="the conduct in the ledger",
    )
    assert (row["person"], row["kind"]) == ("chen.outlet", "mis_selling")


async def test_r_ac_6_a_crisis_decision_or_failure_to_act_is_recorded_by_a_leader_on_a_crisis(
    harness: Harness,
) -> None:
    h = harness
    calm = await h.start()
    refused = await h.refusal(
        calm,
        "record_conduct",
        actor="wang.qiang",
        role="supervisor",
        person="zhou.jie",
        kind="failure_to_act",
    )
    assert "R-AC-6" in refused and "crisis" in refused
    handle = await h.start(crisis={"people_count": 6})
    cid = handle.id.removeprefix("complaint-")
    refused = await h.refusal(
        handle, "record_conduct", person="zhou.jie", kind="wrong_crisis_decision"
    )  # a handler
    assert "R-AC-6" in refused and "supervisor" in refused
    state = await h.act(
        handle,
        "record_conduct",
        actor="wang.qiang",
        role="supervisor",
        person="zhou.jie",
        kind="wrong_crisis_decision",
        detail="refused the group's meeting",
    )
    assert [(e.person, e.kind) for e in state.conduct_events] == [
        ("zhou.jie", "wrong_crisis_decision")
    ]
    await eventually(
        lambda: h.pool.fetchval(
            "SELECT 1 FROM conduct_events WHERE complaint_id = $1"
            " AND kind = 'wrong_crisis_decision'",
            cid,
        ),
        what="the crisis decision in the ledger",
    )


async def test_r_ac_5_each_branch_s_results_go_to_the_hr_and_finance_the_directory_names(
    harness: Harness,
) -> None:
    """R-AC-5: per branch, from the data: Nanjing Gulou names no HR or finance of its own, so
    the nearest unit above that does (Jiangsu) receives its results; a branch the directory
    does not know gets no notice of its results, the cycle's log says so and the review group
    is told. No recipient is written in code."""
    h = harness
    assert await seed_contacts(h.pool, CONTACTS) > 0
    period, inside = await _period(h)
    await seed(h.pool, "N1", inside, branch="Nanjing Gulou", owner="qian.li")
    await seed(h.pool, "X1", inside, branch="Xiamen Siming", owner="lin.yu")
    for cid, person in (("N1", "qian.li"), ("X1", "lin.yu")):
        await h.pool.execute(
            "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
            " managerial_person, decided_by) VALUES ($1, true, 'staff_error', $2,"
            " 'wang.qiang', 'chief')",
            cid,
            person,
        )
    handle = await h.client.start_workflow(
        contract.CYCLE_WORKFLOW_TYPE,
        CycleInput(period=period),
        id=contract.cycle_workflow_id(period),
        task_queue=h.task_queue,
        result_type=CycleState,
    )
    state: CycleState = await eventually(
        lambda: handle.query(contract.CYCLE_STATE_QUERY, result_type=CycleState | None),  # type: ignore[arg-type]
        what="the compiled cycle",
    )
    review = await sender(h, handle, "review", "review_group")
    for item in state.items:
        decision = {
            "complaint_id": item.complaint_id,
            "person": item.person,
            "responsibility": item.responsibility,
            "penalty": item.minimum,
        }
        await handle.execute_update("decide", await review(**decision))
    await h.sleep_until(appeal_until(period))
    final = await handle.result()
    assert final.published

    sent = await h.notifier.wait_for("accountability_results", 2)
    assert {(n.recipient_role, n.recipient) for n in sent} == {
        ("hr", department("Jiangsu", "hr")),
        ("finance", department("Jiangsu", "finance")),
    }
    assert all("of Nanjing Gulou" in n.subject and "qian.li: N1" in n.body for n in sent)
    assert not any("lin.yu" in n.body for n in sent)  # no one else's results
    [logged] = [line for line in final.log if "R-AC-5" in line]
    assert "hr of Xiamen Siming" in logged and "finance of Xiamen Siming" in logged

    async def review_group_told() -> list[Any] | None:
        found = [n for n in h.notifier.of("accountability") if "not sent to HR" in n.subject]
        return found or None

    told = await eventually(review_group_told, what="the review group told")
    assert [n.recipient for n in told] == ["review.group"] and "Xiamen Siming" in told[0].body
