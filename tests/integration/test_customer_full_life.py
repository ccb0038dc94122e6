"""A general complaint's whole life as the customer sees it (R-CU-1, R-CU-2, R-CU-3, R-IN-4,
R-SLA-6, R-SLA-8), in Chinese, the default language: every notice the customer is sent, in
order, through the ledger's outbox and the relay, on the time-skipping server with the
production worker and PostgreSQL.

Filed → acknowledgement (R-IN-4) → contact → an extension approved (R-SLA-6) → pause and resume
(R-SLA-8) → reassigned to another handler → investigation → approval → the customer asked
(R-CU-3) → rejects → investigation again → approval → asked again → accepts → close → the
decision (R-CU-1) → a dissatisfied callback (R-ST-4: reopened, handled again: asked, accepts,
closed, the decision again) → satisfied → a review requested and confirmed (R-IN-7).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from domain.notice_models import CustomerTemplate, Notification
from domain.vocabulary import Stage
from tests.harness import Harness, eventually

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}
CHINESE_CUSTOMER = {"name": "张伟", "phone": "13812345678"}  # no language given: Chinese
CJK = re.compile(r"[\u4e00-\u9fff]")
T = CustomerTemplate


async def approved_and_asked(h: Harness, handle: WorkflowHandle[Any, Any], resolution: str) -> None:
    await h.act(handle, "submit_investigation", findings="核实发票", proposed_resolution=resolution)
    state = await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    assert state.stage is Stage.CLOSE and state.clock("stage:close") is None  # R-CU-3: asked


async def test_r_cu_a_general_complaints_whole_life_tells_the_customer_in_order_in_chinese(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start(customer=CHINESE_CUSTOMER)
    cid = (await h.state(handle)).complaint_id  # → the acknowledgement (R-IN-4)
    await h.act(handle, "record_contact", method="phone")

    state = await h.state(handle)
    investigate = state.clock("stage:investigate")
    assert investigate is not None
    await h.act(
        handle,
        "request_extension",
        new_due_at=(investigate.due_at + timedelta(days=2)).isoformat(),
        reason="等待维修厂报价",
    )
    await h.act(handle, "decide_extension", **SUPERVISOR, approved=True)  # → handling extended

    await h.act(handle, "pause_clock", reason="loss_assessment")  # → paused
    await h.sleep(timedelta(hours=3))
    await h.act(handle, "resume_clock")  # → resumed, with the decision's last day

    await h.act(handle, "reassign", **SUPERVISOR, owner="zhao.min")  # → handler changed (R-CU-2)

    await approved_and_asked(h, handle, "赔付维修费5000元")  # → resolution proposed
    state = await h.act(
        handle,
        "record_customer_response",
        actor="zhao.min",
        response="rejects",
        objections="维修费报价为8200元，5000元不够",
        method="phone",
    )
    assert state.stage is Stage.INVESTIGATE
    await approved_and_asked(h, handle, "赔付维修费8200元")  # → resolution proposed again
    await h.act(handle, "record_customer_response", actor="zhao.min", response="accepts")
    state = await h.act(
        handle,
        "close_case",
        actor="zhao.min",
        result="赔付8200元",
        reasons="发票经核实",
        amount="8200.00",
    )  # → the decision (R-CU-1)
    assert state.stage is Stage.CALLBACK

    state = await h.act(
        handle, "record_callback", actor="zhao.min", satisfied=False, comments="到账太慢"
    )
    assert state.stage is Stage.INVESTIGATE and state.reopen_count == 1  # R-ST-4: no notice
    await approved_and_asked(h, handle, "赔付8200元并补偿拖车费300元")  # → asked (3rd)
    await h.act(
        handle, "record_customer_response", actor="zhao.min", response="accepts", method="sms"
    )
    await h.act(handle, "close_case", actor="zhao.min", result="赔付8500元")  # → decision
    await h.act(handle, "record_callback", actor="zhao.min", satisfied=True)
    state = await h.act(handle, "request_review", reason="拖车费发票金额有误")  # → review accepted
    assert state.stage is Stage.INVESTIGATE and state.review_count == 1

    expected = [
        T.ACKNOWLEDGEMENT,
        T.HANDLING_EXTENDED,
        T.PAUSED,
        T.RESUMED,
        T.HANDLER_CHANGED,
        T.RESOLUTION_PROPOSED,
        T.RESOLUTION_PROPOSED,
        T.DECISION,
        T.RESOLUTION_PROPOSED,
        T.DECISION,
        T.REVIEW_ACCEPTED,
    ]
    rows = await eventually(
        lambda: _customer_rows(h, cid, len(expected)), what="every customer notice sent"
    )
    queued = [T(json.loads(r["words"])["template"]) for r in rows]
    assert queued == expected, queued  # every customer notice, nothing else, in order
    assert all(json.loads(r["words"])["language"] == "zh" for r in rows), rows
    assert rows[0]["kind"] == "acknowledgement"
    assert all(r["kind"] == "customer_notice" for r in rows[1:]), rows

    # What reached the customer: each in Chinese, naming the case, in the order queued.
    sent = await eventually(lambda: _sent(h, cid, len(rows)), what="every notice delivered")
    by_key = {n.key: n for n in sent}
    for row in rows:
        notice = by_key[row["notice_key"]]
        assert notice.recipient == "13812345678" and notice.channels == ["sms"], notice
        assert CJK.search(notice.subject) and CJK.search(notice.body), notice
        assert cid in notice.body, notice.body
        assert "complaint" not in notice.body.lower(), notice.body  # no English left in it
    asked = [by_key[r["notice_key"]] for r in rows if r["words"] and _is(r, T.RESOLUTION_PROPOSED)]
    assert [n.subject for n in asked] == ["处理方案征求意见"] * 3
    for notice, resolution in zip(
        asked, ["赔付维修费5000元", "赔付维修费8200元", "赔付8200元并补偿拖车费300元"], strict=True
    ):
        assert resolution in notice.body and "是否接受" in notice.body, notice.body
    [changed] = [by_key[r["notice_key"]] for r in rows if _is(r, T.HANDLER_CHANGED)]
    assert "zhao.min" in changed.body, changed.body  # the new handler, by name
    decisions = [by_key[r["notice_key"]] for r in rows if _is(r, T.DECISION)]
    assert [n.subject for n in decisions] == ["投诉处理结果"] * 2
    assert "8200.00元" in decisions[0].body and "12378" in decisions[0].body


def _is(row: Any, template: CustomerTemplate) -> bool:
    return bool(json.loads(row["words"])["template"] == template.value)


async def _customer_rows(h: Harness, cid: str, at_least: int) -> list[Any] | None:
    """The customer's notices as the case queued them in the ledger's outbox, in its order."""
    rows = await h.pool.fetch(
        "SELECT notice_key, kind, words FROM notifications"
        " WHERE complaint_id = $1 AND recipient_role = 'customer'"
        " ORDER BY split_part(notice_key, ':n', 2)::int",
        cid,
    )
    return rows if len(rows) >= at_least else None


async def _sent(h: Harness, cid: str, count: int) -> list[Notification] | None:
    sent = [n for n in h.notifier.sent if n.complaint_id == cid and n.recipient_role == "customer"]
    return sent if len(sent) >= count else None
