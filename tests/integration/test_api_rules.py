"""Rules found wanting in review, through the real HTTP API, a real worker on the
time-skipping server and a real PostgreSQL: who may grant the further 30 days (R-SLA-7), the
special grade's deadlines at intake (R-GR-1), the written report of a hard case to head office
and the department concerned (R-ST-1), who took part in a collective decision (R-ST-2) and the
department head among them (R-ST-8)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.app import create_app
from api.auth import create_key
from domain.vocabulary import Role
from launcher.dev import CONTACTS, seed_contacts
from ledger import policy as policies
from tests.harness import Harness
from tests.integration.test_api import Api, complaint
from tests.integration.test_api_keys import keys_cli


@pytest.fixture
async def api(harness: Harness, database: str) -> AsyncIterator[Api]:
    """The app, with the keys of docs/http-api.md's session and a senior manager's, made with
    the CLI as that page says (`python -m api.keys create --role senior_manager`)."""
    code, out, err = await keys_cli(
        database, "create", "--name", "zhou.hq", "--role", "senior_manager"
    )
    assert code == 0, err
    keys = {
        "system": await create_key(harness.pool, "callcentre", [Role.SYSTEM]),
        "handler": await create_key(harness.pool, "li.na", [Role.HANDLER]),
        "supervisor": await create_key(harness.pool, "wang.qiang", [Role.SUPERVISOR]),
        "senior": out.strip(),
    }
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


async def _file(api: Api, **overrides: object) -> str:
    filed = await api.post("/v1/complaints", complaint(**overrides))
    assert filed.status_code == 201, filed.text
    cid: str = filed.json()["complaint"]["complaint_id"]
    return cid


def _regulatory_due(view: dict[str, object]) -> datetime:
    clocks = view["clocks"]
    assert isinstance(clocks, list)
    return datetime.fromisoformat(next(c["due_at"] for c in clocks if c["key"] == "regulatory"))


async def test_r_sla_7_only_a_senior_manager_key_grants_the_further_30_days(api: Api) -> None:
    cid = await _file(api)
    contacted = await api.act(cid, "record_contact")
    assert contacted.status_code == 200, contacted.text
    limit = _regulatory_due(contacted.json())
    asked = await api.act(
        cid,
        "request_extension",
        reason="especially complex: two appraisals",
        new_due_at=(limit + timedelta(days=20)).isoformat(),
        regulatory_days=60,
    )
    assert asked.status_code == 200, asked.text

    by_supervisor = await api.act(cid, "decide_extension", "supervisor", approved=True)
    assert by_supervisor.status_code == 409, by_supervisor.text
    assert "R-SLA-7" in by_supervisor.json()["detail"]
    assert "senior_manager" in by_supervisor.json()["detail"]

    by_senior = await api.act(cid, "decide_extension", "senior", approved=True)
    assert by_senior.status_code == 200, by_senior.text
    assert _regulatory_due(by_senior.json()) > limit + timedelta(days=20)

    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    assert any(
        e["action"] == "decide_extension" and e["actor"] == "zhou.hq" and e["kind"] == "action"
        for e in timeline
    )


async def test_r_sla_7_a_senior_manager_key_takes_the_supervisors_actions(api: Api) -> None:
    cid = await _file(api)
    for action, body in (
        ("record_contact", {}),
        ("submit_investigation", {"findings": "f", "proposed_resolution": "r"}),
    ):
        assert (await api.act(cid, action, **body)).status_code == 200
    refused = await api.act(cid, "decide_resolution", "handler", approved=True)
    assert refused.status_code == 403, refused.text
    assert "senior_manager" in refused.json()["detail"]
    approved = await api.act(cid, "decide_resolution", "senior", approved=True)
    assert approved.status_code == 200, approved.text
    assert approved.json()["stage"] == "close"


DEADLINES = {"contact_hours": 3, "investigate_days": 7, "approve_days": 3}


async def test_r_gr_1_the_api_refuses_special_without_its_deadlines(api: Api) -> None:
    refused = await api.post("/v1/complaints", complaint(grade="special"))
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "R-GR-1" in detail and "special_deadlines" in detail, detail
    stray = await api.post("/v1/complaints", complaint(special_deadlines=DEADLINES))
    assert stray.status_code == 422 and "special_deadlines" in stray.json()["detail"], stray.text

    filed = await api.post(
        "/v1/complaints", complaint(grade="special", special_deadlines=DEADLINES)
    )
    assert filed.status_code == 201, filed.text
    view = filed.json()["complaint"]
    assert view["grade"] == "special"
    contact = next(c for c in view["clocks"] if c["key"] == "stage:contact")
    assert contact["label"] == "contact: 3 working hours (special)"


async def test_r_gr_1_a_workflow_started_without_deadlines_runs_as_major_until_designated(
    harness: Harness,
) -> None:
    """Started directly (the Web UI, a script), not through the API that would refuse it."""
    h = harness
    handle = await h.start(grade="special")
    state = await h.state(handle)
    assert state.grade.value == "major" and state.special_deadlines is None
    [intake] = [e for e in state.timeline if e.kind == "intake"]
    assert "R-GR-1" in intake.detail and "designate_special" in intake.detail, intake
    contact = state.clock("stage:contact")
    assert contact is not None and contact.label == "contact: 1 working hour (major)"

    state = await h.act(
        handle, "designate_special", actor="wang.qiang", role="supervisor", deadlines=DEADLINES
    )
    assert state.grade.value == "special"
    contact = state.clock("stage:contact")
    assert contact is not None and contact.label == "contact: 3 working hours (special)"


async def test_r_st_1_the_written_report_reaches_head_office_and_the_department_concerned(
    api: Api, harness: Harness
) -> None:
    """R-ST-1 (amended): the difficult points go in writing to head office (the contacts
    directory's people of the case's report chain, R-CR-9) and the department named, not only to
    the supervisor; through the outbox, each on the case's timeline."""
    bare = await _file(api)  # begun before any directory: no head office in its chain
    assert (await api.act(bare, "record_contact")).status_code == 200
    hard = {
        "findings": "Is hail damage to the sunroof covered?",
        "proposed_resolution": "Pay under the glass clause.",
        "difficulty": "coverage",
    }
    refused = await api.act(bare, "submit_investigation", **hard)
    assert refused.status_code == 409 and "report_to" in refused.json()["detail"], refused.text

    assert await seed_contacts(harness.pool, CONTACTS) > 0
    head_office = [
        c["user"]
        for u in json.loads(CONTACTS.read_text())["units"]
        if u["level"] == "head_office"
        for c in u["contacts"]
    ]
    cid = await _file(api)  # Shanghai Pudong, under Shanghai, under the head office
    assert (await api.act(cid, "record_contact")).status_code == 200
    submitted = await api.act(cid, "submit_investigation", **hard, report_to="claims.tech")
    assert submitted.status_code == 200, submitted.text

    expected = [
        ("supervisor", "wang.qiang"),
        *(("headquarters", u) for u in head_office),
        ("department", "claims.tech"),
    ]
    reports = await harness.notifier.wait_for("difficulty_report", len(expected))
    mine = [r for r in reports if r.complaint_id == cid]
    assert sorted((r.recipient_role, r.recipient) for r in mine) == sorted(expected)
    assert all("hail damage to the sunroof" in r.body for r in mine)
    rows = await harness.pool.fetch(
        "SELECT recipient_role, recipient FROM notifications"
        " WHERE complaint_id = $1 AND kind = 'difficulty_report'",
        cid,
    )
    assert sorted(tuple(r) for r in rows) == sorted(expected)
    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    told = [e["detail"] for e in timeline if e["kind"] == "notice"]
    for role, _ in expected:
        assert any(d.startswith(f"difficulty_report to {role}") for d in told), told


MAJOR_APPROVAL = {"approved": True, "collective": True, "participants": ["wang.qiang", "zhao.min"]}


async def _at_approval(api: Api, **intake: object) -> str:
    cid = await _file(api, **intake)
    for action, body in (
        ("record_contact", {}),
        ("submit_investigation", {"findings": "f", "proposed_resolution": "r"}),
    ):
        assert (await api.act(cid, action, **body)).status_code == 200
    return cid


async def test_r_st_8_a_major_case_is_approved_only_with_its_department_head(api: Api) -> None:
    """R-ST-8: a major case names its department head, who is among the participants of its
    collective decision: without one named, the approval is refused with the reason."""
    cid = await _at_approval(api, channel="regulator_provincial")  # major on arrival
    refused = await api.act(cid, "decide_resolution", "supervisor", **MAJOR_APPROVAL)
    assert refused.status_code == 409, refused.text
    reason = refused.json()["detail"]
    assert "R-ST-8" in reason and "name_department_head" in reason, reason
    named = await api.act(cid, "name_department_head", "supervisor", head="sun.hao")
    assert named.status_code == 200 and named.json()["department_head"] == "sun.hao", named.text
    left_out = await api.act(cid, "decide_resolution", "supervisor", **MAJOR_APPROVAL)
    assert left_out.status_code == 409 and "sun.hao" in left_out.json()["detail"], left_out.text
    with_head = MAJOR_APPROVAL | {"participants": ["wang.qiang", "sun.hao"]}
    approved = await api.act(cid, "decide_resolution", "supervisor", **with_head)
    assert approved.status_code == 200 and approved.json()["stage"] == "close", approved.text


async def test_r_st_8_the_intake_names_the_department_head(api: Api) -> None:
    cid = await _at_approval(api, grade="major", department_head="zhao.min")
    view = (await api.get(f"/v1/complaints/{cid}")).json()
    assert view["department_head"] == "zhao.min"
    approved = await api.act(cid, "decide_resolution", "supervisor", **MAJOR_APPROVAL)
    assert approved.status_code == 200, approved.text
    bad = await api.post("/v1/complaints", complaint(department_head="x" * 500))
    assert bad.status_code == 422 and "department_head" in bad.text, bad.text


async def test_r_st_2_a_collective_approval_names_who_took_part(api: Api) -> None:
    cid = await _file(api, grade="major", department_head="zhao.min")  # R-ST-8
    for action, body in (
        ("record_contact", {}),
        ("submit_investigation", {"findings": "f", "proposed_resolution": "r"}),
    ):
        assert (await api.act(cid, action, **body)).status_code == 200
    alone = await api.act(cid, "decide_resolution", "supervisor", approved=True, collective=True)
    assert alone.status_code == 409, alone.text
    assert "R-ST-2" in alone.json()["detail"] and "participants" in alone.json()["detail"]

    approved = await api.act(
        cid,
        "decide_resolution",
        "supervisor",
        approved=True,
        collective=True,
        participants=["wang.qiang", "zhao.min"],
    )
    assert approved.status_code == 200, approved.text
    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    [entry] = [e for e in timeline if e["kind"] == "action" and e["action"] == "decide_resolution"]
    assert "wang.qiang" in entry["detail"] and "zhao.min" in entry["detail"], entry


async def _closed_long_ago(harness: Harness, branch: str, phone: str, policy: str) -> str:
    """A case of `branch` closed with its decision 10 days ago, straight into the ledger."""
    cid = f"OLD-{uuid.uuid4().hex[:8]}"
    await harness.pool.execute(
        "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, category,"
        " grade, stage, outcome, customer_name, customer_phone, policy_number, matter, demands,"
        " received_at, decided_at) VALUES ($1, 'complaint-' || $1, 'hotline', $2, 'li.na',"
        " 'claims settlement', 'general', 'closed', 'resolved', '王芳', $3, $4, 'm', 'd',"
        " now() - interval '20 days', now() - interval '10 days')",
        cid,
        branch,
        phone,
        policy,
    )
    return cid


async def test_r_in_6_a_repeat_of_a_closed_case_is_judged_by_the_branch_review_window(
    api: Api, harness: Harness
) -> None:
    """R-IN-6, R-IN-7, R-SLA-10: whether a complaint repeats a closed case depends on the
    review window of the SLA policy in force for its branch, not on the code's default: a case
    decided 10 days ago is repeated within the default 30 days, but not where the branch's
    policy says 5."""
    default, short = f"Suzhou {uuid.uuid4().hex[:6]}", f"Wuxi {uuid.uuid4().hex[:6]}"
    since = datetime.now(UTC) - timedelta(days=60)
    await policies.add_version(
        harness.pool,
        "sla",
        short,
        since,
        {"review_window_days": 5},
        "a short review window",
        "admin",
    )
    for branch, repeats in ((default, True), (short, False)):
        phone, policy = f"139{uuid.uuid4().int % 10**8:08d}", f"P{uuid.uuid4().hex[:8]}"
        old = await _closed_long_ago(harness, branch, phone, policy)
        again = complaint(
            branch=branch, policy_number=policy, customer={"name": "王芳", "phone": phone}
        )
        filed = await api.post("/v1/complaints", again)
        assert filed.status_code == 201, filed.text
        view = filed.json()["complaint"]
        assert view["repeat_of"] == (old if repeats else None), (branch, view)
