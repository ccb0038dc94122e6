"""The reports router (`api/reports.py`) on a small FastAPI app over a real, migrated
PostgreSQL holding the month of `tests/integration/test_statistics.py` (R-AN-1, R-AN-2,
R-AN-4, R-AC-1)."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from api.auth import create_key
from api.reports import router
from domain.vocabulary import Role
from tests.integration.test_statistics import BJ, SJ, SP, seed_october

ROLES = {
    "system": Role.SYSTEM,
    "handler": Role.HANDLER,
    "supervisor": Role.SUPERVISOR,
    "auditor": Role.AUDITOR,
}


@dataclass
class Client:
    http: httpx.AsyncClient
    keys: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    async def get(self, path: str, who: str = "supervisor", **params: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.as_(who), params=params)

    async def post(self, path: str, body: Any, who: str = "supervisor") -> httpx.Response:
        return await self.http.post(path, json=body, headers=self.as_(who))


@pytest.fixture
async def api(pool: asyncpg.Pool) -> AsyncIterator[Client]:
    async with pool.acquire() as conn:
        await seed_october(conn)
    app = FastAPI()
    app.state.pool = pool
    app.include_router(router)
    keys = {name: await create_key(pool, name, [role]) for name, role in ROLES.items()}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Client(http, keys)


MONTHLY = "/v1/reports/monthly"


# ---------------------------------------------------------------------------------------------
# GET /v1/reports/monthly


async def test_r_an_1_monthly_report_as_json(api: Client) -> None:
    r = await api.get(MONTHLY, period="2026-10")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["period"] == "2026-10" and body["complaints"] == 8
    assert body["starts_at"] == "2026-10-01T00:00:00+08:00"
    assert body["by_branch"] == {SP: 4, SJ: 3, BJ: 1}
    assert body["effective"]["over_limit"] == [BJ]
    assert [m["complaints"] for m in body["trend"]][-3:] == [2, 1, 8]
    narrowed = (await api.get(MONTHLY, period="2026-10", branch="Shanghai")).json()
    assert narrowed["complaints"] == 7 and narrowed["branch_prefix"] == "Shanghai"


async def test_r_an_1_monthly_report_as_csv(api: Client) -> None:
    r = await api.get(MONTHLY, period="2026-10", format="csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="complaints-2026-10.csv"' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["section", "key", "metric", "value"]
    assert all(len(row) == 4 for row in rows)
    table = {(s, k, m): v for s, k, m, v in rows[1:]}
    assert table[("report", "period", "value")] == "2026-10"
    assert table[("summary", "", "complaints")] == "8"
    assert table[("summary", "", "reopen_rate")] == "0.25"
    assert table[("channel", "hotline", "complaints")] == "4"
    assert table[("category", "理赔时效", "complaints")] == "1"
    assert table[("sla", "contact", "breached")] == "1"
    assert table[("sla", "close", "compliance_rate")] == ""  # unknown: an empty cell
    assert table[("product_rate", "health", "per_10k_policies")] == "2.0"
    assert table[("effective", BJ, "over_limit")] == "true"
    assert table[("effective", SP, "effective_rate")] == "0.05"
    assert table[("effective", SP, "over_limit")] == "false"
    assert table[("trend", "2026-10", "complaints")] == "8"
    # No `format`: the Accept header may ask for CSV.
    negotiated = await api.http.get(
        MONTHLY, params={"period": "2026-10"}, headers={**api.as_("auditor"), "Accept": "text/csv"}
    )
    assert negotiated.headers["content-type"].startswith("text/csv")
    assert negotiated.text.splitlines()[0] == "section,key,metric,value"


async def test_r_an_1_monthly_report_as_printable_html_with_charts(api: Client) -> None:
    r = await api.get(MONTHLY, period="2026-10", format="html")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = r.text
    images = re.findall(
        r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', page
    )
    assert [alt for _, alt in images] == [
        "complaints by month",
        "complaints by channel",
        "complaints by category",
        "SLA compliance per stage",
    ]
    svgs = [base64.b64decode(data).decode() for data, _ in images]
    assert all("<svg" in svg for svg in svgs)
    assert "2026-10" in svgs[0] and "hotline" in svgs[1] and "理赔时效" in svgs[2]
    assert "investigate" in svgs[3] and "66.7%" in svgs[3]  # chart text stays text
    # The figures are on the page: totals, the SLA table, the flagged branch, the rates.
    assert "Complaints · monthly report 2026-10" in page
    assert "<td>reopen rate</td><td>25.00%</td>" in page
    assert '<tr class="over"><td>Beijing Chaoyang</td>' in page
    assert "Branches over the limit: Beijing Chaoyang." in page
    assert "<td>health</td><td>1</td><td>5,000</td><td>10,000,000.00</td><td>2.00</td>" in page
    assert "<td>理赔时效</td>" in page
    assert "<script" not in page


async def test_r_an_1_html_of_an_empty_month_still_renders(api: Client) -> None:
    r = await api.get(MONTHLY, period="2030-01", format="html", branch="<Nowhere>")
    assert r.status_code == 200
    assert r.text.count("data:image/svg+xml;base64,") == 4
    assert "&lt;Nowhere&gt;" in r.text and "<Nowhere>" not in r.text


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "2026/10", "October", "2026-00"])
async def test_bad_period_is_422_with_a_clear_message(api: Client, period: str) -> None:
    r = await api.get(MONTHLY, period=period)
    assert r.status_code == 422
    assert "YYYY-MM" in r.json()["detail"] and period in r.json()["detail"]


async def test_nul_in_the_branch_prefix_is_422_not_500(api: Client) -> None:
    r = await api.get(MONTHLY, period="2026-10", branch="Shang\x00hai")
    assert r.status_code == 422 and "NUL" in r.json()["detail"]


async def test_monthly_report_roles(api: Client) -> None:
    for who in ("supervisor", "auditor", "system"):
        assert (await api.get(MONTHLY, who, period="2026-10")).status_code == 200, who
    denied = await api.get(MONTHLY, "handler", period="2026-10")
    assert denied.status_code == 403 and "supervisor" in denied.json()["detail"]
    anonymous = await api.http.get(MONTHLY, params={"period": "2026-10"})
    assert anonymous.status_code == 401


# ---------------------------------------------------------------------------------------------
# Determinations


def determination(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "verdict": "effective",
        "reason_code": "staff_error",
        "direct_person": "li.na",
        "managerial_person": "wang.qiang",
        "note": "The handler promised a date and missed it.",
    }
    body.update(overrides)
    return body


async def test_r_an_2_r_ac_1_record_and_read_a_determination(
    api: Client, pool: asyncpg.Pool
) -> None:
    async with pool.acquire() as conn:  # a finished case with nothing determined yet
        await conn.execute(
            "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, category,"
            " grade, stage, outcome, customer_name, customer_phone, matter, demands, received_at)"
            " VALUES ('D1', 'complaint-D1', 'hotline', $1, 'li.na', 'claims settlement',"
            " 'general', 'closed', 'resolved', '张伟', '13812345678', 'm', 'd',"
            " '2026-10-21T10:00:00+08:00')",
            SP,
        )
    path = "/v1/complaints/D1/determination"
    before = await api.get(path, "auditor")
    assert before.status_code == 200
    assert before.json()["determination"] is None
    assert before.json()["proposed_exemption"] == "satisfied_first_coordination"  # R-AN-4

    r = await api.post(path, determination())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["proposed_exemption"] == "satisfied_first_coordination"
    d = body["determination"]
    assert (d["verdict"], d["effective"], d["reason_code"]) == ("effective", True, "staff_error")
    assert (d["direct_person"], d["managerial_person"]) == ("li.na", "wang.qiang")
    assert d["decided_by"] == "supervisor"  # the API key's name, not a field of the body
    assert (await api.get(path, "system")).json() == body

    # The review group changes its mind: replaced, 200.
    r = await api.post(
        path, determination(verdict="not_effective", reason_code="against_head_office_rules")
    )
    assert r.status_code == 200 and r.json()["determination"]["effective"] is False
    exempt = determination(verdict="exempt", reason_code="satisfied_first_coordination")
    r = await api.post(path, exempt)
    assert r.status_code == 200 and r.json()["determination"]["verdict"] == "exempt"

    # The report counts it: Pudong now has O1, O2 effective and D1 exempt.
    report = (await api.get(MONTHLY, period="2026-10")).json()
    pudong = next(b for b in report["effective"]["branches"] if b["branch"] == SP)
    assert (pudong["complaints"], pudong["determined"], pudong["exempt"]) == (5, 4, 2)


async def test_r_an_2_determination_of_a_case_in_handling_is_409(api: Client) -> None:
    r = await api.post("/v1/complaints/O3/determination", determination())
    assert r.status_code == 409
    assert "still in handling (stage investigate)" in r.json()["detail"]
    missing = await api.post("/v1/complaints/NOPE/determination", determination())
    assert missing.status_code == 404


async def test_r_an_4_an_exemption_the_ledger_contradicts_is_409(api: Client) -> None:
    # O1 was resolved, not withdrawn; O2 was reopened, so not satisfied at first coordination.
    r = await api.post(
        "/v1/complaints/O1/determination",
        determination(verdict="exempt", reason_code="withdrawn", direct_person=None),
    )
    assert r.status_code == 409 and "outcome is resolved" in r.json()["detail"]
    r = await api.post(
        "/v1/complaints/O2/determination",
        determination(verdict="exempt", reason_code="satisfied_first_coordination"),
    )
    assert r.status_code == 409 and "reopened 1 time(s)" in r.json()["detail"]
    # O4 was withdrawn: its exemption is proposed and accepted.
    r = await api.post(
        "/v1/complaints/O4/determination",
        determination(verdict="exempt", reason_code="withdrawn", direct_person=None),
    )
    assert r.status_code == 200 and r.json()["proposed_exemption"] == "withdrawn"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (determination(verdict="effective", reason_code="withdrawn"), "not a reason for"),
        (determination(direct_person=None), "needs direct_person"),
        (
            determination(
                verdict="not_effective",
                reason_code="instigated_by_own_surveyor",
                direct_person=None,
            ),
            "needs direct_person",
        ),
        (determination(reason_code="bad_luck"), "reason_code"),
        (determination(decided_by="someone"), "decided_by"),
        (determination(note="a\x00b"), "NUL"),
    ],
)
async def test_r_ac_1_determination_body_is_checked(
    api: Client, body: dict[str, Any], message: str
) -> None:
    r = await api.post("/v1/complaints/O1/determination", body)
    assert r.status_code == 422
    assert message in r.text


async def test_determination_roles(api: Client) -> None:
    path = "/v1/complaints/O1/determination"
    for who in ("handler", "auditor", "system"):
        r = await api.post(path, determination(), who)
        assert r.status_code == 403 and "supervisor" in r.json()["detail"], who
    assert (await api.get(path, "handler")).status_code == 403
    assert (await api.get(path, "auditor")).status_code == 200


async def test_r_ac_4_a_determination_names_managerial_levels_and_the_department_head(
    api: Client, pool: asyncpg.Pool
) -> None:
    """R-AC-4: several managerial levels and the department head are recorded with the
    determination; the accountability cycle proposes against each (domain/accountability)."""
    await pool.execute(
        "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, category,"
        " grade, stage, outcome, customer_name, customer_phone, matter, demands, received_at,"
        " escalated) VALUES ('D4', 'complaint-D4', 'hotline', $1, 'li.na', 'claims', 'general',"
        " 'closed', 'resolved', '张伟', '13812345678', 'm', 'd', '2026-10-21T10:00:00+08:00',"
        " true)",
        SP,
    )
    path = "/v1/complaints/D4/determination"
    body = determination(managerial_levels=["zhou.jie", "qian.li"], department_head="head.sun")
    r = await api.post(path, body)
    assert r.status_code == 201, r.text
    d = r.json()["determination"]
    assert (d["managerial_levels"], d["department_head"]) == (["zhou.jie", "qian.li"], "head.sun")
    too_many = await api.post(path, determination(managerial_levels=[f"m{i}" for i in range(6)]))
    assert too_many.status_code == 422
