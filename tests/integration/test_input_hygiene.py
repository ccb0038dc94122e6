"""What comes in through the API is checked before anything is stored, and what goes out
shows no customer number to a role that may not see it (docs/input.md), against the real
app, a real worker on the time-skipping server and a real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError

from api.app import create_app
from api.auth import create_key
from domain.vocabulary import Role
from tests.harness import Harness, eventually
from tests.integration.test_api import Api, complaint
from workflows import contract

PHONE = "13987654321"
ID_NUMBER = "110105199003071234"
INJECTED = "nope\r\nBcc: a@b.c"


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    keys = {
        "system": await create_key(harness.pool, "callcentre", [Role.SYSTEM]),
        "handler": await create_key(harness.pool, "li.na", [Role.HANDLER]),
        "supervisor": await create_key(harness.pool, "wang.qiang", [Role.SUPERVISOR]),
        "auditor": await create_key(harness.pool, "audit", [Role.AUDITOR]),
        "review": await create_key(harness.pool, "review", [Role.REVIEW_GROUP]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


async def file(api: Api, **overrides: Any) -> str:
    r = await api.post("/v1/complaints", complaint(**overrides))
    assert r.status_code == 201, r.text
    cid: str = r.json()["complaint"]["complaint_id"]
    return cid


async def upload(api: Api, cid: str, data: bytes, media_type: str, filename: str) -> httpx.Response:
    headers = api.as_("handler") | {"Content-Type": media_type}
    return await api.http.post(
        f"/v1/complaints/{cid}/evidence",
        content=data,
        headers=headers,
        params={"filename": filename},
    )


# ---------------------------------------------------------------------------------------------
# R-IN-9: evidence


async def test_r_in_9_evidence_is_what_its_content_is_and_is_served_as_a_download(
    api: Api, harness: Harness
) -> None:
    cid = await file(api)
    html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
    for declared in ("application/pdf", "image/png", "text/plain"):
        r = await upload(api, cid, html, declared, "scan.pdf")
        assert r.status_code == 422 and r.json()["detail"].startswith("Content-Type:"), r.text
    mz = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64)
    r = await upload(api, cid, mz, "text/plain", "notes.txt")
    assert r.status_code == 422 and "Content-Type" in r.json()["detail"]
    for name in ("invoice\u202efdp.exe", "..", "CON", "con.pdf"):
        r = await upload(api, cid, b"%PDF-1.4 scan", "application/pdf", name)
        assert r.status_code == 422 and r.json()["detail"].startswith("filename:"), (name, r.text)
    assert await harness.pool.fetchval("SELECT count(*) FROM evidence") == 0

    r = await upload(api, cid, b"%PDF-1.4 scan", "application/pdf", 'cafe\u0301 "x".pdf')
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == 'caf\u00e9 "x".pdf'  # normalised to NFC
    got = await api.get(f"/v1/complaints/{cid}/evidence/{r.json()['evidence_id']}", "handler")
    assert got.status_code == 200 and got.content == b"%PDF-1.4 scan"
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"caf_ _x_.pdf\"; filename*=UTF-8''caf%C3%A9%20%22x%22.pdf"
    )


async def test_r_in_9_a_stored_type_not_safe_inline_is_served_as_octet_stream(
    api: Api, harness: Harness
) -> None:
    """A row from before the checks (its type the client's word) is served as a download."""
    cid = await file(api)
    r = await upload(api, cid, b"just words", "text/plain", "a.txt")
    eid = r.json()["evidence_id"]
    await harness.pool.execute("ALTER TABLE evidence DISABLE TRIGGER USER")
    await harness.pool.execute("UPDATE evidence SET media_type = 'text/html'")
    await harness.pool.execute("ALTER TABLE evidence ENABLE TRIGGER USER")
    got = await api.get(f"/v1/complaints/{cid}/evidence/{eid}", "handler")
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["x-content-type-options"] == "nosniff"


# ---------------------------------------------------------------------------------------------
# Intake and action text


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("matter", {"matter": "   \n\t "}),
        ("owner", {"owner": "li.na\x1b[31m"}),
        ("branch", {"branch": "Shanghai\r\nX-Injected: 1"}),
        ("category", {"category": "claims\u202e"}),
        ("customer.name", {"customer": {"name": " ", "phone": PHONE}}),
        ("customer.email", {"customer": {"name": "张伟", "phone": PHONE, "email": INJECTED}}),
        ("customer.phone", {"customer": {"name": "张伟", "phone": "<script>alert(1)</script>"}}),
        ("customer.phone", {"customer": {"name": "张伟", "phone": "1234"}}),
        ("received_at", {"received_at": "2099-01-01T00:00:00+08:00"}),
        ("received_at", {"received_at": (datetime.now(UTC) - timedelta(days=400)).isoformat()}),
        ("received_at", {"received_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}),
        ("policy_number", {"policy_number": "P1\n2"}),
    ],
)
async def test_garbage_at_intake_is_refused_naming_the_field_and_nothing_is_stored(
    api: Api, harness: Harness, field: str, change: dict[str, Any]
) -> None:
    r = await api.post("/v1/complaints", complaint(**change))
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{field}:"), r.text
    assert await harness.pool.fetchval("SELECT count(*) FROM complaints") == 0


async def test_good_intake_text_is_taken_as_sent_line_breaks_made_lf(api: Api) -> None:
    """A phone as people write one, an e-mail, a clock a little ahead of ours, CR LF in the
    matter (kept as LF): taken."""
    ahead = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    customer = {"name": "张伟", "phone": "+86 (138) 1234-5678", "email": "zhang.wei@example.cn"}
    r = await api.post(
        "/v1/complaints",
        complaint(customer=customer, received_at=ahead, matter="第一行\r\n第二行\r\n\tend"),
    )
    assert r.status_code == 201, r.text
    cid = r.json()["complaint"]["complaint_id"]
    timeline = (await api.get(f"/v1/complaints/{cid}/timeline", "handler")).json()
    assert timeline and all("\r" not in e["detail"] for e in timeline)


async def test_action_text_is_checked_as_intake_text_is(api: Api) -> None:
    cid = await file(api)
    assert (await api.act(cid, "record_contact")).status_code == 200
    for findings in ("  ", "late\x1b[2J", "a\x07b"):
        r = await api.act(cid, "submit_investigation", findings=findings, proposed_resolution="p")
        assert r.status_code == 422 and r.json()["detail"].startswith("findings:"), r.text
    r = await api.act(cid, "submit_investigation", findings="late\r\npaid", proposed_resolution="p")
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------------------------
# Customer numbers on the timeline and in failure messages


async def test_the_timeline_masks_numbers_typed_into_free_text_for_roles_that_may_not_see(
    api: Api, harness: Harness
) -> None:
    """One masking rule (infra/masking.py): an auditor and the review group see the numbers a
    handler typed into findings masked; the handler sees them, and that read is logged."""
    cid = await file(api)
    assert (await api.act(cid, "record_contact")).status_code == 200
    findings = f"Customer called from {PHONE}, ID {ID_NUMBER}; the claim was filed late."
    r = await api.act(cid, "submit_investigation", findings=findings, proposed_resolution="pay")
    assert r.status_code == 200, r.text
    path = f"/v1/complaints/{cid}/timeline"
    for who in ("auditor", "review"):
        text = json.dumps((await api.get(path, who)).json(), ensure_ascii=False)
        assert PHONE not in text and ID_NUMBER not in text, who
        assert "139****4321" in text and "110***********1234" in text
    before = await harness.pool.fetchval(
        "SELECT count(*) FROM access_log WHERE via LIKE '%timeline%'"
    )
    shown = json.dumps((await api.get(path, "handler")).json(), ensure_ascii=False)
    assert PHONE in shown and ID_NUMBER in shown
    logged = await harness.pool.fetch(
        "SELECT actor, complaint_ids FROM access_log WHERE via LIKE '%timeline%'"
    )
    assert before == 0 and [(r["actor"], r["complaint_ids"]) for r in logged] == [("li.na", [cid])]


async def test_an_unknown_key_that_is_a_phone_number_is_not_echoed(
    api: Api, harness: Harness
) -> None:
    """The API's 422 and the workflow's refusal (on the timeline, in history) name the
    unknown field with the number masked."""
    cid = await file(api)
    r = await api.act(cid, "record_contact", **{PHONE: "x"})
    assert r.status_code == 422 and PHONE not in r.text and "139****4321" in r.text

    handle = harness.client.get_workflow_handle(contract.workflow_id(cid))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await harness.act(handle, "record_contact", **{PHONE: "x"})
    reason = str(refused.value.cause)
    assert PHONE not in reason and "139****4321" in reason
    history = json.dumps(
        [e.model_dump(mode="json") for e in (await harness.state(handle)).timeline],
        ensure_ascii=False,
    )
    assert PHONE not in history and "139****4321" in history
    text = json.dumps((await api.get(f"/v1/complaints/{cid}/timeline", "handler")).json())
    assert PHONE not in text


async def test_rules_5_a_signal_from_the_web_ui_is_read_under_the_input_rules(
    harness: Harness,
) -> None:
    """Rules 5 (`Behaviour.ACTION_INPUT_RULES`): the case reads an action sent as a signal
    (the Web UI's and the CLI's way, not through the API) under the same rules: a control
    character or blank text is refused on the timeline naming the field."""
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    await h.signal(handle, "submit_investigation", findings="late\x1b[2J", proposed_resolution="p")
    await h.signal(handle, "submit_investigation", findings=" ", proposed_resolution="p")

    async def refusals() -> list[str] | None:
        state = await h.state(handle)
        found = [e.detail for e in state.timeline if e.kind == "refused"]
        return found if len(found) == 2 else None

    first, second = await eventually(refusals, what="the two refusals")
    assert "findings:" in first and "control characters" in first
    assert "findings:" in second and "white space" in second
    state = await h.act(handle, "submit_investigation", findings="a\r\nb", proposed_resolution="p")
    assert state.proposed_resolution == "p" and state.stage.value == "approve"
