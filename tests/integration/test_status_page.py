"""R-CU-2: the customer's status page, over the real app, a real worker (time-skipping Temporal)
and a real PostgreSQL; the acknowledgement goes out through the real SMS adapter to a local
HTTP gateway, and the link it carries is the one the tests open.

What is proven: the delivered acknowledgement's link opens the case's page (stage in plain
Chinese, dates promised, events, the masked name, nothing else personal); its token is in no
workflow history and no outbox row, the ledger keeps only its hash; the JSON form is the same
view; an unknown, revoked or expired link gets the very same 404; staff of the case's branch
revoke and re-issue (the customer gets a new link), others are refused by the scope rule; each
client is rate-limited; every answer carries the page's security headers.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import create_key
from domain.sla import PolicySnapshot, SlaPolicy
from domain.vocabulary import Role
from infra.codec import EncryptionCodec
from infra.config import Settings
from ledger import status_links
from notices.channels import Channels, ChannelSettings
from notices.status_links import StatusLinks
from tests.e2e.test_dev_launcher import free_port
from tests.harness import TEST_KEY_RING, FixedPolicySource, eventually, test_calendar
from tests.integration.test_channels import Gateway, gateway  # noqa: F401 (a fixture)
from tests.integration.test_codec import payloads_in
from workers import build_worker
from workflows import contract

HOME = "Beijing Haidian"
AWAY = "Shanghai Pudong"
SECRET = b"status-page-test-secret-0123456789abcdef"
BASE = "https://service.insurer.example/status"
CONTACT = "客服热线 95500（工作日 9:00-18:00）"
LINK = re.compile(re.escape(BASE) + r"/([A-Za-z0-9_-]{43})")
ZONE = ZoneInfo("Asia/Shanghai")
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex, nofollow",
}


@dataclass
class World:
    http: httpx.AsyncClient
    pool: asyncpg.Pool
    env: WorkflowEnvironment
    gateway: Gateway
    app: Any
    keys: dict[tuple[Role, str], str] = field(default_factory=dict)

    def key(self, role: Role, branch: str = HOME) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[(role, branch)]}"}


def status_settings(**overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "status_url": BASE,
        "status_secret": SECRET,
        "status_contact": CONTACT,
        "status_burst": 1000,
    }
    return Settings(**(fields | overrides))


@asynccontextmanager
async def running(
    env: WorkflowEnvironment, pool: asyncpg.Pool, gw: Gateway, settings: Settings | None = None
) -> AsyncIterator[World]:
    """The real worker (SMS through `gw`, status links on) and the real app, with keys for
    every role in HOME and AWAY."""
    queue = f"status-{uuid.uuid4().hex[:8]}"
    policy = FixedPolicySource(PolicySnapshot(calendar=test_calendar(), sla=SlaPolicy()))
    channels = Channels(
        ChannelSettings(smtp_host="127.0.0.1", smtp_port=free_port(), sms_gateway_url=gw.url)
    )
    worker = build_worker(
        env.client,
        pool=pool,
        task_queue=queue,
        sender=channels,
        policy_source=policy,
        status_links=StatusLinks(BASE, SECRET),
    )
    app = create_app(
        env.client,
        pool,
        task_queue=queue,
        key_ring=TEST_KEY_RING,
        settings=settings or status_settings(),
    )
    transport = httpx.ASGITransport(app=app)
    async with worker, channels, httpx.AsyncClient(transport=transport, base_url="http://api") as h:
        world = World(h, pool, env, gw, app)
        for role in Role:
            for branch in (HOME, AWAY):
                world.keys[(role, branch)] = await create_key(
                    pool, f"{role.value}@{branch}", [role], [branch]
                )
        yield world


@pytest.fixture
async def world(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    gateway: Gateway,  # noqa: F811 (the fixture)
) -> AsyncIterator[World]:
    async with running(env, pool, gateway) as w:
        yield w


def complaint(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"STATUS-{uuid.uuid4().hex[:10]}",
        "channel": "hotline",
        "branch": HOME,
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678", "id_number": "110101198001011234"},
        "policy_number": f"P{uuid.uuid4().hex[:10]}",  # another case, never a repeat (R-IN-6)
        "category": "claims settlement",
        "matter": "The claim for my car repair has not been paid after 40 days.",
        "demands": "Pay the claim in full.",
    }
    return body | overrides


def sms_links(world: World, complaint_id: str) -> list[str]:
    """The status links in the SMS the gateway received for the case, in order."""
    found = []
    for request in world.gateway.requests:
        text = request.json()["text"]
        if complaint_id in text:
            found += [m.group(0) for m in LINK.finditer(text)]
    return found


async def file(world: World, **overrides: Any) -> tuple[str, str]:
    """File a complaint through the API; (its id, the link its delivered acknowledgement
    carries)."""
    filed = await world.http.post(
        "/v1/complaints", json=complaint(**overrides), headers=world.key(Role.SYSTEM)
    )
    assert filed.status_code == 201, filed.text
    cid: str = filed.json()["complaint"]["complaint_id"]
    links = await eventually(lambda: _links(world, cid), what="the acknowledgement's SMS")
    return cid, links[0]


async def _links(world: World, cid: str) -> list[str]:
    return sms_links(world, cid)


async def act(world: World, cid: str, action: str, **payload: Any) -> None:
    answer = await world.http.post(
        f"/v1/complaints/{cid}/actions/{action}", json=payload, headers=world.key(Role.SUPERVISOR)
    )
    assert answer.status_code == 200, answer.text


async def to_stage(world: World, cid: str, stage: str) -> None:
    """Drive a contact-stage case to `stage` through its real actions."""
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("investigate", "record_contact", {"method": "phone"}),
        (
            "approve",
            "submit_investigation",
            {"findings": "Garage invoice verified", "proposed_resolution": "Pay 8,200 yuan"},
        ),
        ("close", "decide_resolution", {"approved": True}),
        ("close", "record_customer_response", {"response": "accepts"}),  # R-CU-3
        ("callback", "close_case", {"result": "Paid 8,200 yuan; customer informed"}),
        ("closed", "record_callback", {"satisfied": True}),
    ]
    for reached, action, payload in steps:
        await act(world, cid, action, **payload)
        await eventually(partial(_stage_is, world, cid, reached), what=f"{cid} at {reached}")
        if reached == stage:
            return


async def _stage_is(world: World, cid: str, stage: str) -> bool:
    return bool(
        await world.pool.fetchval(
            "SELECT stage = $2 FROM complaints WHERE complaint_id = $1", cid, stage
        )
    )


def path_of(link: str) -> str:
    assert link.startswith(BASE + "/"), link
    return "/status/" + link.removeprefix(BASE + "/")


def assert_secure(answer: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value, (name, answer.headers.get(name))
    csp = answer.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp and "script-src" not in csp, csp


async def ledger_case(
    pool: asyncpg.Pool, stage: str, *, decided_days_ago: float | None = None, name: str = "王芳"
) -> str:
    """A case of HOME written to the ledger directly (a finished case's window is in the past
    only this way), with its status link issued as the acknowledgement would; its id."""
    cid = f"L{uuid.uuid4().hex[:10]}"
    decided = (
        None if decided_days_ago is None else datetime.now(UTC) - timedelta(days=decided_days_ago)
    )
    await pool.execute(
        "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, category,"
        " grade, stage, outcome, customer_name, customer_phone, matter, demands, received_at,"
        " decided_at, closed_at)"
        " VALUES ($1, 'complaint-' || $1, 'hotline', $2, 'li.na', 'claims settlement',"
        " 'general', $3, NULL, $4, '13900001111', 'm', 'd', now() - interval '40 days',"
        " $5::timestamptz,"
        " CASE WHEN $3 IN ('closed', 'withdrawn') THEN $5 END)",
        cid,
        HOME,
        stage,
        name,
        decided,
    )
    return cid


async def issue(pool: asyncpg.Pool, cid: str) -> str:
    async with pool.acquire() as conn:
        token = await status_links.link_to_send(conn, SECRET, cid)
    assert token is not None
    return f"/status/{token}"


# ---------------------------------------------------------------------------------------------
# The tests


async def test_r_cu_2_the_delivered_acknowledgement_carries_a_link_that_opens_the_page(
    world: World,
) -> None:
    cid, link = await file(world, policy_number="P2026000123")
    [sms] = [r.json() for r in world.gateway.requests if cid in r.json()["text"]]
    assert sms["to"] == "13812345678"
    assert f"查看处理进度：{link}" in sms["text"], sms["text"]

    page = await world.http.get(path_of(link))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert_secure(page)
    html = page.text
    assert "联系您" in html and "您的投诉已受理" in html, html
    assert "张*" in html and "张伟" not in html
    for personal in (
        "13812345678",
        "138****5678",
        "110101198001011234",
        "P2026000123",
        "40 days",
        "li.na",
    ):
        assert personal not in html, personal
    received = datetime.now(UTC).astimezone(ZONE).date()
    assert f"{received.year}年{received.month}月{received.day}日" in html
    assert "处理结果最迟告知日期" in html and "投诉已受理" in html
    assert CONTACT in html and f"{HOME} 投诉处理团队" in html


async def test_r_cu_2_the_token_is_in_no_history_nor_outbox_only_its_hash_in_the_ledger(
    world: World,
) -> None:
    cid, link = await file(world)
    token = link.removeprefix(BASE + "/")
    assert len(token) == 43  # 256 bits, as secrets.token_urlsafe(32)
    history = await world.env.client.get_workflow_handle(contract.workflow_id(cid)).fetch_history()
    codec = EncryptionCodec(TEST_KEY_RING)
    texts = [history.to_json()]
    for event in history.events:
        for payload in payloads_in(event):
            texts.append(codec.decrypt(payload).data.decode(errors="replace"))
    assert any("张伟" in t for t in texts), "the scan reads the decrypted payloads"
    assert not any(token in t for t in texts), "the token is in the workflow's history"
    bodies = await world.pool.fetch("SELECT body FROM notifications WHERE complaint_id = $1", cid)
    assert bodies and not any(token in r["body"] for r in bodies)
    [row] = await world.pool.fetch("SELECT * FROM status_links WHERE complaint_id = $1", cid)
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert token.encode() not in b"".join(str(v).encode() for v in row.values())
    assert (row["generation"], row["revoked_at"]) == (0, None)


async def test_r_cu_2_the_json_form_is_the_same_view(world: World) -> None:
    cid, link = await file(world)
    path = path_of(link)
    as_file = await world.http.get(path + ".json")
    by_accept = await world.http.get(path, headers={"Accept": "application/json"})
    for answer in (as_file, by_accept):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert_secure(answer)
    view = as_file.json()
    assert view == by_accept.json()
    assert (view["complaint_id"], view["customer"], view["stage"]) == (cid, "张*", "contact")
    assert view["stage_words"] == "联系您"
    assert [s["state"] for s in view["steps"]][:3] == ["done", "current", "upcoming"]
    assert view["decision_by"] is not None and view["review_until"] is None
    assert [e["what"] for e in view["events"]] == ["收到您的投诉", "投诉已受理"]
    assert view["team"] == {"name": f"{HOME} 投诉处理团队", "contact": CONTACT}
    assert "13812345678" not in as_file.text and "张伟" not in as_file.text


async def test_r_cu_2_unknown_revoked_and_expired_links_get_the_very_same_404(
    world: World,
) -> None:
    revoked_cid, revoked_link = await file(world)
    revoked = path_of(revoked_link)
    assert (await world.http.get(revoked)).status_code == 200
    answer = await world.http.post(
        f"/v1/complaints/{revoked_cid}/status-link/revoke", headers=world.key(Role.HANDLER)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["revoked"] == 1 and answer.json()["live"] is False

    # R-IN-7: 30 days after the decision the window is over; 29 days after it is not.
    expired = await issue(world.pool, await ledger_case(world.pool, "closed", decided_days_ago=31))
    in_callback = await ledger_case(world.pool, "callback", decided_days_ago=30.01)
    expired_in_callback = await issue(world.pool, in_callback)
    withdrawn = await issue(
        world.pool, await ledger_case(world.pool, "withdrawn", decided_days_ago=31)
    )
    window_open = await issue(
        world.pool, await ledger_case(world.pool, "closed", decided_days_ago=29)
    )
    still_handled = await issue(world.pool, await ledger_case(world.pool, "investigate"))
    assert (await world.http.get(window_open)).status_code == 200
    assert (await world.http.get(still_handled)).status_code == 200
    unknown = f"/status/{secrets.token_urlsafe(32)}"
    garbage = "/status/not-a-token"

    missing = [unknown, garbage, revoked, expired, expired_in_callback, withdrawn]
    for suffix, headers in (("", {}), (".json", {}), ("", {"Accept": "application/json"})):
        answers = [await world.http.get(p + suffix, headers=headers) for p in missing]
        first = answers[0]
        assert first.status_code == 404
        for path, other in zip(missing, answers, strict=True):
            assert other.status_code == 404, path
            assert other.content == first.content, path
            assert other.headers["content-type"] == first.headers["content-type"], path
            assert_secure(other)
    html = (await world.http.get(unknown)).text
    assert "页面不存在" in html and "无效或已失效" in html


async def test_r_cu_2_staff_of_the_branch_revoke_and_reissue_others_are_refused(
    world: World,
) -> None:
    cid, link = await file(world)
    first = path_of(link)
    case = f"/v1/complaints/{cid}/status-link"
    # The scope rule: another branch's handler or supervisor is refused (403, a change), an
    # unknown case is 404, a role that does not handle cases is 403; the link still works.
    for role in (Role.HANDLER, Role.SUPERVISOR):
        for route in (case, case + "/revoke"):
            refused = await world.http.post(route, headers=world.key(role, AWAY))
            assert refused.status_code == 403, refused.text
            assert AWAY in refused.json()["detail"]
    for role in (Role.AUDITOR, Role.ADMIN):
        refused = await world.http.post(case + "/revoke", headers=world.key(role))
        assert refused.status_code == 403, refused.text
    unknown = await world.http.post(
        "/v1/complaints/NOPE-1/status-link/revoke", headers=world.key(Role.HANDLER)
    )
    assert unknown.status_code == 404
    assert (await world.http.get(first)).status_code == 200

    # Re-issue: the old link stops, the customer gets a new one by SMS, and it opens the page.
    answer = await world.http.post(case, headers=world.key(Role.HANDLER))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "complaint_id": cid,
        "live": True,
        "generation": 1,
        "revoked": 1,
        "sent_to_customer": True,
    }
    assert BASE not in answer.text
    links = await eventually(lambda: _two(world, cid), what="the re-issued link's SMS")
    second = path_of(links[1])
    assert second != first
    assert (await world.http.get(first)).status_code == 404
    fresh = await world.http.get(second)
    assert fresh.status_code == 200 and "联系您" in fresh.text
    # The re-issue's notice is not one of the case's events.
    view = (await world.http.get(second + ".json")).json()
    assert [e["what"] for e in view["events"]] == ["收到您的投诉", "投诉已受理"]

    # Revoked by a supervisor: nothing opens, and the ledger says who.
    answer = await world.http.post(case + "/revoke", headers=world.key(Role.SUPERVISOR))
    assert answer.status_code == 200 and answer.json()["revoked"] == 1
    assert (await world.http.get(second)).status_code == 404
    rows = await world.pool.fetch(
        "SELECT generation, issued_by, revoked_by FROM status_links WHERE complaint_id = $1"
        " ORDER BY generation",
        cid,
    )
    assert [tuple(r.values()) for r in rows] == [
        (0, "acknowledgement", f"handler@{HOME}"),
        (1, f"handler@{HOME}", f"supervisor@{HOME}"),
    ]


async def _two(world: World, cid: str) -> list[str] | None:
    links = sms_links(world, cid)
    return links if len(links) >= 2 else None


async def test_r_cu_3_the_page_asks_for_the_answer_by_its_last_day(world: World) -> None:
    """R-CU-2 with R-CU-3: while the customer's answer to the approved resolution is awaited,
    the page says so and names the last day to answer; once they accept, it no longer asks."""
    cid, link = await file(world)
    await to_stage(world, cid, "close")
    view = (await world.http.get(path_of(link) + ".json")).json()
    assert view["stage"] == "close" and view["answer_by"] is not None
    day = date.fromisoformat(view["answer_by"])
    told = f"{day.year}年{day.month}月{day.day}日"
    assert "是否接受" in view["summary"] and told in view["summary"], view["summary"]
    page = (await world.http.get(path_of(link))).text
    assert "答复处理方案截止日期" in page and told in page
    await act(world, cid, "record_customer_response", response="accepts")

    async def answered() -> bool:
        again = (await world.http.get(path_of(link) + ".json")).json()
        return bool(again["answer_by"] is None and "是否接受" not in again["summary"])

    await eventually(answered, what="the page stops asking once the customer answered")


async def test_r_cu_2_a_decided_case_keeps_its_link_through_the_review_window(
    world: World,
) -> None:
    cid, link = await file(world)
    await to_stage(world, cid, "closed")
    view = (await world.http.get(path_of(link) + ".json")).json()
    assert (view["stage"], view["stage_words"]) == ("closed", "已结束")
    assert view["decision_told_on"] is not None and view["review_until"] is not None
    # R-CU-1: the decision notice itself (rules 5), then the case closed; told once.
    # R-CU-3 before it: the customer asked for their say on the resolution, in plain Chinese.
    whats = [e["what"] for e in view["events"]]
    assert whats[-3:] == ["处理方案征求意见", "投诉处理结果", "投诉处理完毕"], whats
    assert "处理结果已告知您" not in whats, whats


async def test_r_cu_2_each_client_is_rate_limited_with_retry_after(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    gateway: Gateway,  # noqa: F811 (the fixture)
) -> None:
    settings = status_settings(status_burst=3, status_rate_per_minute=6)
    async with running(env, pool, gateway, settings) as world:
        path = await issue(pool, await ledger_case(pool, "investigate"))
        answers = [await world.http.get(path) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        limited = await world.http.get(path)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 10
        assert_secure(limited)
        assert (await world.http.get(path + ".json")).status_code == 429
        # Unknown tokens count too: guessing costs the same budget.
        assert (await world.http.get(f"/status/{secrets.token_urlsafe(32)}")).status_code == 429
        # Another client is not held back by the first.
        other = httpx.ASGITransport(app=world.app, client=("127.0.0.2", 40000))
        async with httpx.AsyncClient(transport=other, base_url="http://api") as second:
            assert (await second.get(path)).status_code == 200
