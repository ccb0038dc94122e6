"""The customer's words (R-CU-1, R-CU-2): customer notices in the customer's language, worded
at send time from templates an administrator changes through the API, and, for `make run`,
SMS through the real HTTP gateway adapter to the local sink.

Real things throughout: the time-skipping server and the production worker, PostgreSQL, the
app over ASGI, and the gateway adapter over HTTP to the sink on a free port.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import create_key
from domain.notice_models import CustomerTemplate
from domain.notices import last_day
from domain.vocabulary import Role
from infra.smssink import SmsSink
from notices.channels import Channels, ChannelSettings
from tests.harness import Harness, eventually
from tests.integration.test_api import Api
from workers import build_worker

CHINESE_CUSTOMER = {"name": "张伟", "phone": "13812345678"}  # no language given: Chinese


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    keys = {
        "admin": await create_key(harness.pool, "admin.chen", [Role.ADMIN]),
        "supervisor": await create_key(harness.pool, "wang.qiang", [Role.SUPERVISOR]),
        "handler": await create_key(harness.pool, "li.na", [Role.HANDLER]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


async def test_customer_notices_are_in_the_customers_language(harness: Harness) -> None:
    """R-CU-1: Chinese unless the customer chose English; the same facts either way (R-IN-4's
    last day). The case's own record of the notice is unchanged."""
    h = harness
    zh = await h.start(customer=CHINESE_CUSTOMER)
    en = await h.start()  # the harness's customer chose English
    await h.notifier.wait_for("acknowledgement", 2)
    state = await h.state(zh)
    regulatory = state.clock("regulatory")
    assert regulatory is not None
    told = f"{last_day(regulatory.due_at):%Y-%m-%d}"

    [ack_zh] = h.notifier.of("acknowledgement", state.complaint_id)
    assert ack_zh.subject == "投诉已受理", ack_zh
    assert ack_zh.body.startswith(f"您的投诉（编号{state.complaint_id}）已受理"), ack_zh.body
    assert f"我们将在{told}前将处理结果告知您" in ack_zh.body
    assert "complaint" not in ack_zh.body.lower()
    [ack_en] = h.notifier.of("acknowledgement", (await h.state(en)).complaint_id)
    assert ack_en.subject == "Complaint accepted"
    assert "was accepted; a decision will reach you by" in ack_en.body

    # R-SLA-8 (pause and resume) in Chinese too.
    await h.act(zh, "pause_clock", reason="appraisal")
    await h.act(zh, "resume_clock")
    subjects = [n.subject for n in await h.notifier.wait_for("customer_notice", 2)]
    assert subjects == ["处理暂停", "恢复处理"], subjects

    # What the case recorded: its timeline and the outbox keep the facts the words came from.
    row = await h.pool.fetchrow(
        "SELECT subject, words FROM notifications WHERE kind = 'acknowledgement'"
        " AND complaint_id = $1",
        state.complaint_id,
    )
    assert row is not None and json.loads(row["words"])["language"] == "zh"
    assert json.loads(row["words"])["decision_by"] == told
    assert any("acknowledgement to customer" in e.detail for e in state.timeline)


async def test_r_cu_1_a_saved_template_is_used_for_the_next_notice_sent(
    api: Api, harness: Harness
) -> None:
    """R-CU-1 with R-SLA-10: an administrator's version, who and why kept, words the next
    notice; the listing shows it in force, the default (version 0) still in the history."""
    wording = {
        "subject": "【示例保险】投诉已受理",
        "body": "尊敬的客户：您的投诉（编号{{ complaint_id }}）已受理，\n"
        "处理结果将在{{ decision_by }}前告知您。",
        "reason": "the company's name in every SMS",
    }
    r = await api.post("/v1/notice-templates/acknowledgement/zh", wording, who="admin")
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["changed_by"] == "admin.chen" and saved["version"] >= 1
    assert saved["facts"] == ["complaint_id", "handler", "decision_by"]

    handle = await harness.start(customer=CHINESE_CUSTOMER)
    cid = (await harness.state(handle)).complaint_id
    await harness.notifier.wait_for("acknowledgement")
    [ack] = harness.notifier.of("acknowledgement", cid)
    assert ack.subject == "【示例保险】投诉已受理"
    assert ack.body.startswith(f"尊敬的客户：您的投诉（编号{cid}）已受理，\n处理结果将在"), ack.body

    listed = (await api.get("/v1/notice-templates", who="supervisor")).json()
    in_force = {(t["template"], t["language"]): t for t in listed}
    assert in_force[("acknowledgement", "zh")]["version"] == saved["version"]
    assert in_force[("acknowledgement", "en")]["version"] == 0  # English untouched
    assert len(in_force) == len(CustomerTemplate) * 2  # every template in both languages
    history = (await api.get("/v1/notice-templates/acknowledgement/zh", who="admin")).json()
    assert [(v["version"], v["changed_by"]) for v in history] == [
        (0, "default"),
        (saved["version"], "admin.chen"),
    ]
    assert history[1]["reason"] == "the company's name in every SMS"


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        (
            "您的投诉{{ complaint_id }}已受理，\n投保人{{ policy_holder }}。",
            2,
            "unknown placeholder 'policy_holder'",
        ),
        ("您的投诉已受理。\n\n{% if decision_by %}将在{{ decision_by }}前告知您。", 3, "syntax"),
        ("您的投诉已受理。\n{{ complaint_id | shout }}", 2, "the filter 'shout' is not available"),
        ("{{ handler.__class__ }}", 1, "unsafe"),
    ],
)
async def test_r_cu_1_a_broken_template_is_refused_at_save_with_its_line(
    api: Api, body: str, line: int, says: str
) -> None:
    """Checked when saved, so wording never fails at send time: 422 naming part and line, and
    nothing kept."""
    change = {"subject": "投诉已受理", "body": body, "reason": "try"}
    r = await api.post("/v1/notice-templates/acknowledgement/zh", change, who="admin")
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert f"body, line {line}" in detail and says in detail, detail
    history = (await api.get("/v1/notice-templates/acknowledgement/zh", who="admin")).json()
    assert [v["version"] for v in history] == [0]


async def test_r_cu_1_only_an_administrator_changes_the_words(api: Api) -> None:
    change = {"subject": "投诉已受理", "body": "您的投诉{{ complaint_id }}已受理。", "reason": "x"}
    for who in ("supervisor", "handler"):
        r = await api.post("/v1/notice-templates/acknowledgement/zh", change, who=who)
        assert r.status_code == 403 and "admin" in r.json()["detail"], r.text
    assert (await api.get("/v1/notice-templates", who="handler")).status_code == 403
    unknown = await api.post("/v1/notice-templates/verdict/zh", change, who="admin")
    assert unknown.status_code == 422 and "template" in unknown.json()["detail"]
    french = await api.post("/v1/notice-templates/acknowledgement/fr", change, who="admin")
    assert french.status_code == 422 and "language" in french.json()["detail"]
    nul = await api.post(
        "/v1/notice-templates/acknowledgement/zh", change | {"body": "已受理\x00"}, who="admin"
    )
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"], nul.text


async def test_an_sms_goes_through_the_http_gateway_to_the_local_sink(
    bare_harness: Harness, tmp_path: Path
) -> None:
    """`make run`'s SMS: the relay hands the acknowledgement to the real HTTP gateway adapter,
    the sink on a free port keeps it as a file, in Chinese, and its id is the provider id."""
    h = bare_harness
    with SmsSink(tmp_path / "sms", port=0) as sink:
        channels = Channels(ChannelSettings(sms_gateway_url=sink.url, gateway_timeout=5.0))
        worker = build_worker(
            h.env.client,
            pool=h.pool,
            task_queue=h.task_queue,
            sender=channels,
            policy_source=h.policy,
        )
        async with channels, worker:
            handle = await h.start(customer=CHINESE_CUSTOMER)
            cid = (await h.state(handle)).complaint_id

            async def kept() -> list[dict[str, Any]]:
                return sink.messages()

            [message] = await eventually(kept, what="the acknowledgement in the sink")
            row = await eventually(
                lambda: h.pool.fetchrow(
                    "SELECT status, provider_id FROM notifications WHERE complaint_id = $1"
                    " AND kind = 'acknowledgement' AND status = 'delivered'",
                    cid,
                ),
                what="the delivery recorded",
            )
    assert message["type"] == "sms" and message["to"] == "13812345678"
    assert message["reference"].endswith(":n1:sms")
    assert row["provider_id"] == message["id"]
    text = (tmp_path / "sms" / message["file"]).read_text(encoding="utf-8")
    assert "To: 13812345678" in text
    assert f"投诉已受理\n您的投诉（编号{cid}）已受理" in text, text


async def test_the_sms_sink_keeps_a_repeated_request_once(tmp_path: Path) -> None:
    """A retried delivery carries the same idempotency key: one message, one id."""
    payload = {"type": "phone", "to": "wang.qiang", "text": "危机事件", "reference": "k:phone"}
    with SmsSink(tmp_path, port=0) as sink:
        async with httpx.AsyncClient(timeout=5) as http:
            first = await http.post(sink.url, json=payload, headers={"Idempotency-Key": "k"})
            again = await http.post(sink.url, json=payload, headers={"Idempotency-Key": "k"})
            bad = await http.post(sink.url, json={"type": "fax", "to": "x", "text": "y"})
        assert first.status_code == again.status_code == 200
        assert first.json()["id"] == again.json()["id"]
        assert bad.status_code == 400 and "type" in bad.json()["error"]
        assert len(sink.messages()) == 1
