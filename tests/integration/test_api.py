"""The HTTP API against the real app, a real worker on the time-skipping server and a real
PostgreSQL (contract: HTTP API; R-IN-2, R-IN-6, R-GR-3, R-ST-4)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import create_key
from domain.vocabulary import Role
from tests.harness import Harness, eventually
from workflows import contract


@dataclass
class Api:
    http: httpx.AsyncClient
    keys: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    async def post(self, path: str, body: Any, who: str = "system") -> httpx.Response:
        return await self.http.post(path, json=body, headers=self.as_(who))

    async def act(self, cid: str, action: str, who: str = "handler", **body: Any) -> httpx.Response:
        return await self.post(f"/v1/complaints/{cid}/actions/{action}", body, who)

    async def get(self, path: str, who: Any = "system", **params: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.as_(who), params=params)


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    keys = {
        "system": await create_key(harness.pool, "callcentre", [Role.SYSTEM]),
        "handler": await create_key(harness.pool, "li.na", [Role.HANDLER]),
        "supervisor": await create_key(harness.pool, "wang.qiang", [Role.SUPERVISOR]),
        "auditor": await create_key(harness.pool, "audit", [Role.AUDITOR]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


def complaint(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"CC-{uuid.uuid4().hex[:10]}",
        "channel": "hotline",
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678", "id_number": "310101198001011234"},
        "policy_number": f"P{uuid.uuid4().hex[:8]}",
        "product": "motor",
        "category": "claims settlement",
        "matter": "The claim for my car repair has not been paid after 40 days.",
        "demands": "Pay the claim in full.",
    }
    body.update(overrides)
    return body


async def test_the_readme_session_file_handle_approve_close_reopen(api: Api) -> None:
    body = complaint()
    filed = await api.post("/v1/complaints", body)
    assert filed.status_code == 201, filed.text
    cid = filed.json()["complaint"]["complaint_id"]
    again = await api.post("/v1/complaints", body)
    assert again.status_code == 200 and again.json()["complaint"]["complaint_id"] == cid

    assert (await api.act(cid, "record_contact", method="phone")).status_code == 200
    r = await api.act(
        cid,
        "submit_investigation",
        findings="Invoice checked",
        proposed_resolution="Pay 8,200 yuan",
    )
    assert r.json()["stage"] == "approve"
    denied = await api.act(cid, "decide_resolution", approved=True)
    assert denied.status_code == 403 and "supervisor" in denied.json()["detail"]
    r = await api.act(cid, "decide_resolution", who="supervisor", approved=True)
    assert r.status_code == 200 and r.json()["stage"] == "close"
    await api.act(cid, "record_customer_response", response="accepts")  # R-CU-3
    await api.act(cid, "close_case", result="Paid 8,200 yuan")
    r = await api.act(cid, "record_callback", satisfied=False, comments="Too slow")
    assert r.json()["stage"] == "investigate" and r.json()["reopen_count"] == 1

    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    actors = {e["action"]: e["actor"] for e in timeline if e["kind"] == "action"}
    # The actor is the authenticated identity, not a field the caller typed.
    assert actors["decide_resolution"] == "wang.qiang" and actors["record_contact"] == "li.na"


async def test_concurrent_identical_intake_makes_one_workflow(api: Api, harness: Harness) -> None:
    body = complaint()
    answers = await asyncio.gather(*(api.post("/v1/complaints", body) for _ in range(6)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 200, 200, 200, 200, 201], [a.text for a in answers]
    ids = {a.json()["complaint"]["complaint_id"] for a in answers}
    assert len(ids) == 1
    cid = ids.pop()
    handle = contract.handle(harness.client, cid)
    history = await handle.fetch_history()
    starts = [
        e for e in history.events if e.HasField("workflow_execution_started_event_attributes")
    ]
    assert len(starts) == 1
    assert await harness.pool.fetchval("SELECT count(*) FROM complaints") == 1


async def test_r_in_6_repeat_of_an_open_case_is_merged(api: Api) -> None:
    first = complaint()
    cid = (await api.post("/v1/complaints", first)).json()["complaint"]["complaint_id"]
    repeat = complaint(
        external_id="REG-778", channel="regulator", policy_number=first["policy_number"]
    )
    r = await api.post("/v1/complaints", repeat)
    assert r.status_code == 200 and r.json()["merged_into"] == cid and not r.json()["created"]
    assert r.json()["complaint"]["repeat_count"] == 1
    again = await api.post("/v1/complaints", repeat)  # the regulator's retry
    assert again.json()["merged_into"] == cid and again.json()["complaint"]["repeat_count"] == 1


async def test_r_gr_3_regulator_complaint_is_major(api: Api) -> None:
    r = await api.post("/v1/complaints", complaint(channel="regulator"))
    assert r.status_code == 201 and r.json()["complaint"]["grade"] == "major"


async def test_roles_and_masking(api: Api) -> None:
    cid = (await api.post("/v1/complaints", complaint())).json()["complaint"]["complaint_id"]
    as_auditor = (await api.get(f"/v1/complaints/{cid}", who="auditor")).json()
    assert as_auditor["customer"]["phone"] == "138****5678"
    assert "198001011234" not in json.dumps(as_auditor)
    as_handler = (await api.get(f"/v1/complaints/{cid}", who="handler")).json()
    assert as_handler["customer"]["phone"] == "13812345678"
    r = await api.act(cid, "record_contact", who="auditor")
    assert r.status_code == 403
    r = await api.post("/v1/complaints", complaint(), who="auditor")
    assert r.status_code == 403
    r = await api.http.get(f"/v1/complaints/{cid}")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")


async def test_notices_of_a_case_with_their_delivery(api: Api, harness: Harness) -> None:
    """R-IN-4: the acknowledgement is on the case's notices, with its delivery status; the
    customer's number is masked for a system caller and shown to the handler."""
    cid = (await api.post("/v1/complaints", complaint())).json()["complaint"]["complaint_id"]
    await harness.notifier.wait_for("acknowledgement")

    async def delivered() -> list[dict[str, Any]] | None:
        notices: list[dict[str, Any]] = (await api.get(f"/v1/complaints/{cid}/notices")).json()
        return notices if notices and notices[0]["status"] == "delivered" else None

    [ack] = await eventually(delivered, what="the acknowledgement's delivery recorded")
    assert (ack["kind"], ack["channel"], ack["recipient_role"]) == (
        "acknowledgement",
        "sms",
        "customer",
    )
    assert ack["recipient"] == "138****5678" and ack["attempts"] == 1
    as_handler = (await api.get(f"/v1/complaints/{cid}/notices", who="handler")).json()
    assert as_handler[0]["recipient"] == "13812345678"
    assert (await api.get("/v1/complaints/NOPE-1/notices")).status_code == 404


async def test_bad_input_gets_a_clear_4xx(api: Api) -> None:
    h = api.as_("system") | {"content-type": "application/json"}
    r = await api.http.post("/v1/complaints", content=b'{"external_id": ', headers=h)
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    r = await api.post("/v1/complaints", complaint(colour="red"))
    assert r.status_code == 422 and "colour" in r.json()["detail"]
    r = await api.post("/v1/complaints", complaint(channel="pigeon"))
    assert r.status_code == 422 and "channel" in r.json()["detail"]
    r = await api.post("/v1/complaints", complaint(received_at="2026-11-23T10:00:00"))
    assert r.status_code == 422 and "time zone" in r.json()["detail"]
    r = await api.http.post("/v1/complaints", content=b"x" * 100_000, headers=h)
    assert r.status_code == 413
    r = await api.get("/v1/complaints/NOPE123")
    assert r.status_code == 404 and "NOPE123" in r.json()["detail"]
    cid = (await api.post("/v1/complaints", complaint())).json()["complaint"]["complaint_id"]
    r = await api.act(cid, "close_case", result="too early")
    assert r.status_code == 409 and "does not fit stage contact" in r.json()["detail"]
    r = await api.act(cid, "fly_to_moon")
    assert r.status_code == 404 and "unknown action" in r.json()["detail"]
    r = await api.act(cid, "record_contact", actor="someone.else")
    assert r.status_code == 422 and "API key" in r.json()["detail"]
    r = await api.act(cid, "pause_clock", reason="boredom")
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    r = await api.act("NOPE123", "record_contact")
    assert r.status_code == 404
    # The refused action is on the case's timeline; the case is unharmed.
    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    assert any(e["kind"] == "refused" for e in timeline)
    assert (await api.act(cid, "record_contact")).status_code == 200


async def test_request_id_makes_a_retried_action_a_no_op(api: Api) -> None:
    cid = (await api.post("/v1/complaints", complaint())).json()["complaint"]["complaint_id"]
    for _ in range(2):
        r = await api.act(cid, "record_contact", request_id="req-1")
        assert r.status_code == 200 and r.json()["stage"] == "investigate"
    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    assert [e["action"] for e in timeline if e["kind"] == "action"] == ["record_contact"]


async def test_search_filters_and_stable_cursor_pages(api: Api) -> None:
    ids = []
    first = datetime.now(UTC) - timedelta(days=30)  # within the intake horizon (docs/input.md)
    for i in range(5):
        body = complaint(
            grade="major" if i % 2 else "general",
            received_at=(first + timedelta(days=i)).isoformat(),
        )
        ids.append((await api.post("/v1/complaints", body)).json()["complaint"]["complaint_id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/v1/complaints", **params)).json()
        seen += [c["complaint_id"] for c in page["items"]]
        if len(seen) == 2:  # a complaint arriving meanwhile does not shift the pages
            await api.post("/v1/complaints", complaint())
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[:5] == list(reversed(ids)) or set(ids) <= set(seen)
    assert len(seen) == len(set(seen))
    majors = (await api.get("/v1/complaints", grade="major")).json()["items"]
    assert {c["complaint_id"] for c in majors} == {ids[1], ids[3]}
    r = await api.get("/v1/complaints", cursor="not-a-cursor")
    assert r.status_code == 422


async def test_finished_case_is_read_from_the_ledger(api: Api, harness: Harness) -> None:
    cid = (await api.post("/v1/complaints", complaint())).json()["complaint"]["complaint_id"]
    await api.act(cid, "withdraw", reason="settled")
    await contract.handle(harness.client, cid).result()  # ledger written
    view = (await api.get(f"/v1/complaints/{cid}")).json()
    assert view["stage"] == "withdrawn" and view["source"] == "ledger"
    r = await api.act(cid, "record_contact")
    assert r.status_code in (404, 409)


async def test_health(api: Api) -> None:
    assert (await api.http.get("/healthz")).json() == {"status": "ok"}
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"temporal": "ok", "postgres": "ok"}
    assert (await api.http.get("/openapi.json")).status_code == 200


async def test_unmasked_reads_are_in_the_access_log_and_auditors_can_query_it(api: Api) -> None:
    """PIPL: every API read that shows a customer's data unmasked is logged; masked ones are
    not; an auditor queries the log by case."""
    filed = await api.post("/v1/complaints", complaint())
    cid = filed.json()["complaint"]["complaint_id"]
    seen = await api.get(f"/v1/complaints/{cid}", "handler")
    assert seen.json()["customer"]["phone"] == "13812345678"
    masked = await api.get(f"/v1/complaints/{cid}", "auditor")
    assert masked.json()["customer"]["phone"] != "13812345678"
    await api.get("/v1/complaints", "supervisor", limit=5)

    log = await api.get("/v1/access-log", "auditor", complaint_id=cid)
    assert log.status_code == 200, log.text
    rows = [(r["actor"], r["via"]) for r in log.json()]
    assert rows == [
        ("wang.qiang", "api:GET /v1/complaints"),
        ("li.na", "api:GET /v1/complaints/{id}"),
    ]
    assert all(r["complaint_ids"] == [cid] for r in log.json())
    assert (await api.get("/v1/access-log", "handler")).status_code == 403


async def test_r_ac_1_an_action_body_naming_who_acts_is_refused(api: Api) -> None:
    """R-AC-1: who acts comes from the API key. A body naming `actor` or `role` is a 422 that
    says so on an action's own route (which answers every known action's path); a bad field is
    a 422 naming it; an unknown action is 404 (the deprecated generic route); the case is
    untouched by all of them."""
    cid = (await api.post("/v1/complaints", complaint())).json()["complaint"]["complaint_id"]
    for body in ({"actor": "someone.else"}, {"role": "supervisor", "method": "phone"}):
        r = await api.act(cid, "record_contact", **body)
        assert r.status_code == 422 and "come from the API key" in r.json()["detail"], r.text
    bad = await api.act(cid, "record_contact", method="carrier pigeon")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("method:"), bad.text
    unknown = await api.act(cid, "no_such_action")
    assert unknown.status_code == 404 and "known: record_contact" in unknown.json()["detail"]
    view = (await api.get(f"/v1/complaints/{cid}")).json()
    assert view["stage"] == "contact", view
    done = await api.act(cid, "record_contact", method="visit")
    assert done.status_code == 200 and done.json()["stage"] == "investigate", done.text
