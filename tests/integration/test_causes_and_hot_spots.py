"""R-AN-8: root causes recorded at closing (real cases on the time-skipping server, a real
worker, a real PostgreSQL), the monthly report's causes by product, branch and outlet, and hot
spots flagged by the daily watch (the real workflow), assigned, reminded while overdue and
rectified through the real HTTP app.

The months of the hot-spot scenario (branch Shanghai Pudong, cases decided and received at the
same instant; one case of Beijing Chaoyang in October):

    cause / product                Jul  Aug  Sep  Oct
    claims_handling / motor          3    1    2    6   rising: 6 >= 5 and 6 >= 1.5 x 2
    service_attitude / health        5    5    5    5   steady: 5 < 1.5 x 5
    (no cause) / (no product)                       1
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from activities.hotspots import WatchRequest, WatchResult
from api.app import create_app
from api.auth import create_key
from domain.vocabulary import Role
from ledger import hotspots
from reports.render import render_html
from reports.statistics import ZONE, monthly_report
from tests.harness import Harness, eventually
from workflows.hotspots import HotSpotWatchWorkflow

SP, BJ = "Shanghai Pudong", "Beijing Chaoyang"
LUJIAZUI = "浦东陆家嘴支行"


async def decided(
    pool: asyncpg.Pool,
    month: int,
    cause: str | None,
    product: str | None,
    *,
    branch: str = SP,
    outlet: str | None = None,
) -> None:
    """A case received and decided on the 10th of `month` 2026 with its cause."""
    at = datetime(2026, month, 10, 11, 0, tzinfo=ZONE)
    cid = f"H{uuid.uuid4().hex[:10]}"
    await pool.execute(
        "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, category,"
        " grade, stage, outcome, customer_name, customer_phone, matter, demands, received_at,"
        " decided_at, product, root_cause, outlet)"
        " VALUES ($1, 'complaint-' || $1, 'hotline', $2, 'li.na', 'c', 'general', 'closed',"
        " 'resolved', '王芳', '13900001111', 'm', 'd', $3, $3, $4, $5, $6)",
        cid,
        branch,
        at,
        product,
        cause,
        outlet,
    )


async def seed(pool: asyncpg.Pool) -> None:
    for month, rising in ((7, 3), (8, 1), (9, 2), (10, 6)):
        for i in range(rising):
            outlet = LUJIAZUI if month == 10 and i < 2 else None
            await decided(pool, month, "claims_handling", "motor", outlet=outlet)
        for _ in range(5):
            await decided(pool, month, "service_attitude", "health")
    await decided(pool, 10, None, None)
    await decided(pool, 10, "claims_handling", "travel", branch=BJ)


class Api:
    def __init__(self, http: httpx.AsyncClient, keys: dict[str, str]) -> None:
        self.http, self.keys = http, keys

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    async def post(self, path: str, who: str, body: Any) -> httpx.Response:
        return await self.http.post(path, json=body, headers=self.auth(who))

    async def get(self, path: str, who: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params, headers=self.auth(who))


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    pool = harness.pool
    keys = {
        "supervisor": await create_key(pool, "wang.qiang", [Role.SUPERVISOR], [SP]),
        "away supervisor": await create_key(pool, "liu.bo", [Role.SUPERVISOR], [BJ]),
        "auditor": await create_key(pool, "audit", [Role.AUDITOR]),
        "admin": await create_key(pool, "hq.admin", [Role.ADMIN]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


async def watch(h: Harness, today: date) -> WatchResult:
    result: WatchResult = await h.client.execute_workflow(
        HotSpotWatchWorkflow.run,
        WatchRequest(today=today),
        id=f"watch-{uuid.uuid4().hex[:8]}",
        task_queue=h.task_queue,
        execution_timeout=timedelta(seconds=60),
    )
    return result


# ---------------------------------------------------------------------------------------------
# The cause recorded at closing


async def to_closing(h: Harness, handle: Any) -> None:
    await h.act(handle, "record_contact", method="phone")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="pay")
    await h.act(handle, "decide_resolution", actor="wang.qiang", role="supervisor", approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3


async def test_r_an_8_a_close_records_a_cause_of_the_case_taxonomy_in_the_ledger(
    harness: Harness, api: Api
) -> None:
    h = harness
    before = await h.start()
    await to_closing(h, before)
    # The taxonomy changes: a cause added; codes are stable (one left out: refused).
    causes = (await api.get("/v1/causes", "auditor")).json()["causes"]
    change = {
        "effective_from": datetime.now(ZONE).isoformat(),
        "reason": "pricing complaints",
        "body": {"causes": [*causes, {"code": "pricing", "zh": "费率价格", "en": "pricing"}]},
    }
    dropped = change | {"body": {"causes": causes[1:]}}
    refused = await api.post("/v1/policy/causes", "admin", dropped)
    assert refused.status_code == 422 and "contract_terms" in refused.json()["detail"]
    assert (await api.post("/v1/policy/causes", "admin", change)).status_code == 201

    # A case begun before keeps its taxonomy; an unknown cause is refused with the reason.
    reason = await h.refusal(before, "close_case", result="paid", root_cause="pricing")
    assert "R-AN-8" in reason and "pricing" in reason
    await h.act(before, "close_case", result="paid", root_cause="claims_handling")
    after = await h.start()
    await to_closing(h, after)
    await h.act(after, "close_case", result="repriced", root_cause="pricing")

    async def causes_in_ledger() -> dict[str, str] | None:
        rows = await h.pool.fetch(
            "SELECT workflow_id, root_cause FROM complaints WHERE root_cause IS NOT NULL"
        )
        return {r["workflow_id"]: r["root_cause"] for r in rows} if len(rows) == 2 else None

    assert await eventually(causes_in_ledger, what="the causes in the ledger") == {
        before.id: "claims_handling",
        after.id: "pricing",
    }


# ---------------------------------------------------------------------------------------------
# Causes in the report; hot spots flagged, assigned, reminded, rectified


async def test_r_an_8_the_report_shows_causes_by_product_branch_and_outlet(
    harness: Harness, api: Api
) -> None:
    await seed(harness.pool)
    report = await monthly_report(harness.pool, "2026-10")
    rc = report.root_causes
    assert rc.decided == 13
    assert rc.by_cause == {"claims_handling": 7, "service_attitude": 5, "(not recorded)": 1}
    assert rc.by_product["motor"] == {"claims_handling": 6}
    assert rc.by_product["travel"] == {"claims_handling": 1}
    assert rc.by_branch[SP] == {"claims_handling": 6, "service_attitude": 5, "(not recorded)": 1}
    assert rc.by_branch[BJ] == {"claims_handling": 1}
    assert rc.by_outlet == {LUJIAZUI: {"claims_handling": 2}}
    assert rc.labels["claims_handling"] == "理赔处理 / claims handling"
    # The CSV and the printable page of the HTTP API carry them.
    answer = await api.get("/v1/reports/monthly", "auditor", period="2026-10", format="csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert ["cause_by_outlet", LUJIAZUI, "claims_handling", "2"] in rows
    assert ["cause_by_branch", BJ, "claims_handling", "1"] in rows
    assert ["cause_by_product", "motor", "claims_handling", "6"] in rows
    page = render_html(report)
    assert "Root causes" in page and LUJIAZUI in page and "理赔处理 / claims handling" in page
    # A key limited to a branch sees its branch's causes only.
    mine = (await api.get("/v1/reports/monthly", "away supervisor", period="2026-10")).json()
    assert mine["root_causes"]["by_branch"] == {BJ: {"claims_handling": 1}}


async def test_r_an_8_a_rising_cause_or_product_is_a_hot_spot_and_a_steady_one_is_not(
    harness: Harness, api: Api
) -> None:
    await seed(harness.pool)
    report = await monthly_report(harness.pool, "2026-10")
    flagged = [(s.branch, s.dimension, s.key, s.count, s.trailing) for s in report.hot_spots]
    assert flagged == [
        (SP, "cause", "claims_handling", 6, [3, 1, 2]),
        (SP, "product", "motor", 6, [3, 1, 2]),
    ]
    # The daily watch keeps them (once), the month after.
    first = await watch(harness, date(2026, 11, 2))
    assert (first.period, first.flagged, first.new) == ("2026-10", 2, 2)
    assert (await watch(harness, date(2026, 11, 3))).new == 0
    listed = (await api.get("/v1/hot-spots", "supervisor", period="2026-10")).json()
    assert {(s["dimension"], s["key"]) for s in listed} == {
        ("cause", "claims_handling"),
        ("product", "motor"),
    }
    assert (await api.get("/v1/hot-spots", "away supervisor")).json() == []
    # A stricter policy: the same month has none.
    strict = {
        "effective_from": datetime.now(ZONE).isoformat(),
        "reason": "fewer, larger",
        "body": {"min_count": 7, "factor": 1.5, "trailing_months": 3, "due_days": 30},
    }
    assert (await api.post("/v1/policy/hot_spots", "admin", strict)).status_code == 201
    assert (await monthly_report(harness.pool, "2026-10")).hot_spots == []


async def test_r_an_8_an_overdue_rectification_reminds_its_owner_until_it_is_recorded(
    harness: Harness, api: Api
) -> None:
    h = harness
    await seed(h.pool)
    await watch(h, date(2026, 11, 2))
    [spot] = [s for s in await hotspots.listing(h.pool) if s["dimension"] == "cause"]
    sid = spot["hot_spot_id"]
    due = datetime.now(ZONE).date() + timedelta(days=1)
    away = await api.post(
        f"/v1/hot-spots/{sid}/assignment",
        "away supervisor",
        {"owner": "zhou.min", "due_on": due.isoformat()},
    )
    assert away.status_code == 403 and BJ in away.json()["detail"]
    assigned = await api.post(
        f"/v1/hot-spots/{sid}/assignment",
        "supervisor",
        {"owner": "zhou.min", "due_on": due.isoformat()},
    )
    assert assigned.status_code == 200 and assigned.json()["owner"] == "zhou.min"

    assert (await watch(h, due)).reminded == 0  # due today: not overdue yet
    assert (await watch(h, due + timedelta(days=1))).reminded == 1
    assert (await watch(h, due + timedelta(days=1))).reminded == 0  # once a day
    [notice] = await h.notifier.wait_for("hot_spot")
    assert notice.recipient == "zhou.min" and f"#{sid}" in notice.subject
    assert "claims_handling" in notice.body and due.isoformat() in notice.body
    assert (await watch(h, due + timedelta(days=2))).reminded == 1

    done = await api.post(
        f"/v1/hot-spots/{sid}/rectification",
        "supervisor",
        {"rectification": "Claims desk re-trained; a check added."},
    )
    assert done.status_code == 200 and done.json()["rectified_by"] == "wang.qiang"
    again = await api.post(
        f"/v1/hot-spots/{sid}/rectification", "supervisor", {"rectification": "twice"}
    )
    assert again.status_code == 409
    assert (await watch(h, due + timedelta(days=3))).reminded == 0
    [tracked] = [
        s for s in (await monthly_report(h.pool, "2026-10")).hot_spots if s.dimension == "cause"
    ]
    assert (tracked.hot_spot_id, tracked.owner, tracked.rectified) == (sid, "zhou.min", True)
    assert (await api.get("/v1/hot-spots", "supervisor", open="true")).json()[0]["key"] == "motor"
