"""The bank channel and the intake rules through the real HTTP API, a real
worker on the time-skipping server and a real PostgreSQL: a bank-outlet complaint with its
amount, handed to the insurer, its policy classed and referred, transferred, reassigned, its
amount corrected, every step in the ledger (R-IN-1, R-IN-3, R-IN-5, R-IN-8, R-CR-3, R-CR-4);
a repeat of a closed case linked and counted (R-IN-6)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.app import create_app
from api.auth import create_key
from domain import intake_rules
from domain.notices import last_day
from domain.vocabulary import Role
from reports.statistics import monthly_report
from tests.harness import Harness, eventually
from tests.integration.test_api import Api, complaint

SH = ZoneInfo("Asia/Shanghai")  # the test calendar's zone
OUTLET = {"bank": "工商银行", "outlet": "浦东支行营业部", "responsible_person": "陈经理"}


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    keys = {
        "system": await create_key(harness.pool, "callcentre", [Role.SYSTEM]),
        "handler": await create_key(harness.pool, "li.na", [Role.HANDLER]),
        "other": await create_key(harness.pool, "zhao.min", [Role.HANDLER]),
        "supervisor": await create_key(harness.pool, "wang.qiang", [Role.SUPERVISOR]),
    }
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


async def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def test_r_in_1_a_bank_outlet_names_its_bank_and_outlet_or_is_refused(api: Api) -> None:
    refused = await api.post("/v1/complaints", complaint(channel="bank_outlet"))
    assert refused.status_code == 422 and "R-IN-1" in refused.text, refused.text
    stray = await api.post("/v1/complaints", complaint(bank_outlet=OUTLET))
    assert stray.status_code == 422 and "bank_outlet" in stray.text, stray.text
    negative = await api.post(
        "/v1/complaints",
        complaint(channel="bank_outlet", bank_outlet=OUTLET, amount_involved={"amount": "-5"}),
    )
    assert negative.status_code == 422, negative.text


async def test_r_cr_4_r_cr_3_r_in_5_r_in_8_r_in_3_a_bank_outlet_complaint_end_to_end(
    api: Api, harness: Harness
) -> None:
    branch = f"Nanjing {uuid.uuid4().hex[:8]}"  # its own, for the monthly report below
    filed = await _ok(
        await api.post(
            "/v1/complaints",
            complaint(
                channel="bank_outlet",
                bank_outlet=OUTLET,
                amount_involved={"amount": "56000.00"},
                branch=branch,
            ),
        )
    )
    view = filed["complaint"]
    cid = view["complaint_id"]
    assert view["channel"] == "bank_outlet" and view["bank_outlet"]["outlet"] == "浦东支行营业部"
    assert view["first_receiver"] == "li.na"
    assert Decimal(view["amount_involved"]["amount"]) == Decimal("56000.00")

    # R-CR-4: the outlet cannot settle it on the spot: the insurer, within 3 working days.
    # R-CR-12 (rules 5): the insurer's person owns it; the outlet's stays first receiver.
    handed = await _ok(
        await api.act(
            cid, "transfer_to_insurer", insurer="太平洋人寿 上海分公司", days=3, owner="chen.jie"
        )
    )
    assert (handed["owner"], handed["first_receiver"]) == ("chen.jie", "li.na")
    # R-CR-3: signed by someone else, callback compliant: flawed, referred for accommodation.
    classed = await _ok(
        await api.act(
            cid,
            "classify_policy",
            signed_personally=False,
            callback_compliant=True,
            insurer="太平洋人寿 上海分公司",
            days=5,
        )
    )
    assert classed["policy_class"] == "flawed"
    # R-IN-5: transferred to the claims department with requirements and a deadline.
    moved = await _ok(
        await api.act(
            cid,
            "transfer",
            department="理赔部",
            owner="zhao.min",
            requirements="Re-assess.",
            hours=4,
        )
    )
    assert [h["key"] for h in moved["handoffs"]] == ["outlet-1", "referral-1", "transfer-1"]
    # R-IN-3: reassigned again, the first receiver is still shown.
    reassigned = await _ok(await api.act(cid, "reassign", owner="sun.li"))
    assert (reassigned["owner"], reassigned["first_receiver"]) == ("sun.li", "li.na")
    # R-IN-8: corrected, with who.
    await _ok(await api.act(cid, "correct_amount", "supervisor", amount="55800", reason="invoice"))
    refused = await api.act(cid, "classify_policy", signed_personally=True)
    assert refused.status_code == 422 and "R-CR-3" in refused.text, refused.text

    # The ledger holds it all.
    pool = harness.pool

    async def row() -> Any:
        found = await pool.fetchrow("SELECT * FROM complaints WHERE complaint_id = $1", cid)
        return found if found and found["amount_involved"] == Decimal("55800") else None

    r = await eventually(row, what="the corrected amount in the ledger")
    assert (r["channel"], r["bank"], r["outlet"], r["outlet_person"]) == (
        "bank_outlet",
        "工商银行",
        "浦东支行营业部",
        "陈经理",
    )
    assert (r["first_receiver"], r["owner"], r["policy_class"]) == ("li.na", "sun.li", "flawed")
    assert r["amount_currency"] == "CNY"
    transfers = await pool.fetch(
        "SELECT transfer_key, kind, to_whom, due_at FROM transfers WHERE complaint_id = $1"
        " ORDER BY started_at, transfer_key",
        cid,
    )
    assert [(t["transfer_key"], t["kind"]) for t in transfers] == [
        ("outlet-1", "outlet"),
        ("referral-1", "referral"),
        ("transfer-1", "transfer"),
    ]
    [decided] = await pool.fetch("SELECT * FROM policy_classes WHERE complaint_id = $1", cid)
    assert (decided["policy_class"], decided["signed_personally"], decided["decided_by"]) == (
        "flawed",
        False,
        "li.na",
    )
    # R-IN-1, R-IN-8: the monthly report counts the channel and sums the amounts involved.
    period = f"{r['received_at'].astimezone(SH):%Y-%m}"
    report = await monthly_report(pool, period, branch_prefix=branch)
    assert report.by_channel == {"bank_outlet": 1}
    assert report.amount_involved == Decimal("55800")
    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    corrected = [e for e in timeline if "R-IN-8" in e["detail"]]
    assert corrected and corrected[0]["actor"] == "wang.qiang"

    # R-CR-3, R-CR-4: the customer is told the dates, never a promise.
    keys = {"handoff:outlet-1", "handoff:referral-1"}

    async def delivered() -> Any:
        sent = [n for n in harness.notifier.of("customer_notice", cid) if n.clock in keys]
        return sent if {n.clock for n in sent} == keys else None

    told = await eventually(delivered, what="the hand-overs' customer notices delivered")
    for key in ("handoff:outlet-1", "handoff:referral-1"):
        [notice] = [n for n in told if n.clock == key]
        due = next(t["due_at"] for t in transfers if f"handoff:{t['transfer_key']}" == key)
        assert f"{last_day(due.astimezone(SH)):%Y-%m-%d}" in notice.body, notice.body
        assert intake_rules.promises_in(notice.subject + notice.body) == []

    # R-IN-5: the transfer's own clock breaches like a stage's, and is recorded.
    transfer_due = next(t["due_at"] for t in transfers if t["transfer_key"] == "transfer-1")
    await harness.sleep_until(transfer_due)

    async def breach() -> Any:
        return await pool.fetchval(
            "SELECT recorded_at FROM sla_breaches WHERE complaint_id = $1"
            " AND clock_key = 'handoff:transfer-1'",
            cid,
        )

    assert await eventually(breach, what="the transfer's breach in the ledger")
    done = await _ok(
        await api.act(
            cid,
            "complete_transfer",
            "other",
            transfer="transfer-1",
            outcome="Re-assessed: the claim stands.",
        )
    )
    assert next(h for h in done["handoffs"] if h["key"] == "transfer-1")["completed_by"] == (
        "zhao.min"
    )


async def _close(api: Api, cid: str) -> None:
    for action, who, body in (
        ("record_contact", "handler", {}),
        ("submit_investigation", "handler", {"findings": "f", "proposed_resolution": "r"}),
        ("decide_resolution", "supervisor", {"approved": True}),
        ("record_customer_response", "handler", {"response": "accepts"}),  # R-CU-3
        ("close_case", "handler", {"result": "paid"}),
        ("record_callback", "handler", {"satisfied": True}),
    ):
        await _ok(await api.act(cid, action, who, **body))


async def test_r_in_6_a_repeat_of_a_closed_case_links_to_it_and_counts_to_three(
    api: Api, harness: Harness
) -> None:
    first = complaint(channel="hotline")
    cid = (await _ok(await api.post("/v1/complaints", first)))["complaint"]["complaint_id"]
    await _close(api, cid)

    async def closed() -> Any:
        return await harness.pool.fetchval(
            "SELECT true FROM complaints WHERE complaint_id = $1 AND stage = 'closed'", cid
        )

    await eventually(closed, what="the first case closed in the ledger")
    # The same customer about the same policy, now through the provincial regulator.
    again = complaint(
        channel="regulator_provincial",
        customer=first["customer"],
        policy_number=first["policy_number"],
    )
    second = await api.post("/v1/complaints", again)
    assert second.status_code == 201, second.text  # a new case: the first one was closed
    view = second.json()["complaint"]
    assert view["repeat_of"] == cid and view["repeat_count"] == 1
    assert view["grade"] == "major"  # R-GR-3: the regulator, at any level
    cid2 = view["complaint_id"]
    # A third time, while the second is open: merged into it, the third complaint counted.
    third = complaint(
        channel="online", customer=first["customer"], policy_number=first["policy_number"]
    )
    merged = await _ok(await api.post("/v1/complaints", third))
    assert merged["merged_into"] == cid2 and merged["complaint"]["repeat_count"] == 2

    async def counted() -> Any:
        r = await harness.pool.fetchrow("SELECT * FROM complaints WHERE complaint_id = $1", cid2)
        return r if r and r["repeat_count"] == 2 else None

    r = await eventually(counted, what="the repeat counted in the ledger")
    assert r["repeat_of"] == cid and r["escalated"] and r["multi_channel"]
    assert sorted(r["repeat_channels"]) == ["hotline", "online"]


async def test_r_in_6_a_merged_repeat_with_new_facts_restarts_the_affected_clock(
    api: Api, harness: Harness
) -> None:
    first = complaint()
    cid = (await _ok(await api.post("/v1/complaints", first)))["complaint"]["complaint_id"]
    contacted = await _ok(await api.act(cid, "record_contact"))
    [before] = [c for c in contacted["clocks"] if c["key"] == "stage:investigate"]
    await harness.sleep(timedelta(hours=2))
    same = {"customer": first["customer"], "policy_number": first["policy_number"]}
    plain = await _ok(await api.post("/v1/complaints", complaint(channel="online", **same)))
    assert plain["merged_into"] == cid
    [unchanged] = [c for c in plain["complaint"]["clocks"] if c["key"] == "stage:investigate"]
    assert unchanged["started_at"] == before["started_at"]  # no new facts: the clock stands
    news = complaint(channel="letter", new_facts="A second repair bill arrived.", **same)
    merged = await _ok(await api.post("/v1/complaints", news))
    assert merged["merged_into"] == cid and merged["complaint"]["repeat_count"] == 2
    [after] = [c for c in merged["complaint"]["clocks"] if c["key"] == "stage:investigate"]
    assert after["started_at"] > before["started_at"]  # restarted when the repeat came
    timeline = (await api.get(f"/v1/complaints/{cid}/timeline")).json()
    assert any("A second repair bill arrived." in e["detail"] for e in timeline)
