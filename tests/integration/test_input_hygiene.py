"""What comes in through the API is checked before anything is stored, and what goes out
shows no customer number to a role that may not see it (docs/input.md), against the real
app, a real worker on the time-skipping server and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import create_key
from domain.models import Role
from tests.harness import Harness
from tests.integration.test_api import Api, complaint

PHONE = "13987654321"
ID_NUMBER = "110105199003071234"


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
    return await api.http.post(f"/v1/complaints/{cid}/evidence", content=data, headers=headers,
                               params={"filename": filename})  # fmt: skip


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
