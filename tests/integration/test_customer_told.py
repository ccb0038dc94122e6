"""What the customer is told as their case moves (rules 5), through the real things: the
insurer's opinion fed back when a hand-over or referral to it completes (R-CU-4), and the
customer told of a new handler once someone contacted them (R-CU-2), each notice in the ledger's
outbox with its template, delivered in the customer's words, and on the status page in plain
Chinese. Time-skipping server, production worker, PostgreSQL.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from temporalio.client import WorkflowHandle

from api.status import view_of
from ledger import status_links
from tests.harness import Harness, eventually

OUTLET = {"bank": "工商银行", "outlet": "浦东支行营业部", "responsible_person": "陈经理"}
SH = ZoneInfo("Asia/Shanghai")


async def templates_sent(h: Harness, cid: str) -> list[str]:
    """The templates of the customer notices the ledger's outbox holds for the case, in order."""
    rows = await h.pool.fetch(
        "SELECT words->>'template' AS template FROM notifications WHERE complaint_id = $1"
        " AND recipient_role = 'customer' AND words IS NOT NULL ORDER BY created_at, notice_key",
        cid,
    )
    return [r["template"] for r in rows]


async def delivered(h: Harness, cid: str, subject: str, count: int = 1) -> list[Any]:
    """The customer notices with this (worded) subject, once `count` of them were delivered."""

    def found() -> list[Any]:
        return [n for n in h.notifier.of("customer_notice", cid) if n.subject == subject]

    async def enough() -> bool:
        return len(found()) >= count

    await eventually(enough, what=f"{count} x {subject!r} delivered")
    return found()


async def events(h: Harness, cid: str) -> list[str]:
    facts = await status_links.facts(h.pool, cid)
    assert facts is not None
    return [e.what for e in view_of(facts, SH, "95500").events]


async def bank_case(h: Harness) -> WorkflowHandle[Any, Any]:
    return await h.start(channel="bank_outlet", bank_outlet=OUTLET)


async def test_r_cu_4_the_insurer_opinion_is_told_when_the_outlet_hand_over_completes(
    harness: Harness,
) -> None:
    """The outlet hands the case to the insurer (R-CR-4: a date, no outcome); when the insurer
    reports back, the customer is told its handling opinion, naming the insurer; the status
    page lists it in Chinese."""
    h = harness
    handle = await bank_case(h)
    state = await h.act(
        handle, "transfer_to_insurer", insurer="Pacific Life Shanghai", days=3, owner="chen.jie"
    )
    cid = state.complaint_id
    [handoff] = state.handoffs
    await h.act(
        handle,
        "complete_transfer",
        transfer=handoff.key,
        outcome="Internal: the agent's file was incomplete; we will re-train the outlet.",
        opinion="The policy stands; the premium holiday you asked for is granted.",
    )
    [notice] = await delivered(h, cid, "The insurer's opinion")
    assert "Pacific Life Shanghai" in notice.body, notice.body
    assert "premium holiday you asked for is granted" in notice.body, notice.body
    assert "re-train" not in notice.body  # the internal outcome stays internal
    assert await templates_sent(h, cid) == [
        "acknowledgement",
        "handed_to_insurer",
        "insurer_opinion",
    ]
    assert "保险公司处理意见" in await events(h, cid)


async def test_r_cu_4_a_referral_completed_tells_its_outcome_and_a_transfer_tells_nothing(
    harness: Harness,
) -> None:
    """A flawed policy referred to the insurer for accommodation (R-CR-3): its completion
    without a separate opinion tells the customer the outcome reported back. An internal
    transfer (转办) completed tells the customer nothing."""
    h = harness
    handle = await bank_case(h)
    await h.act(handle, "record_contact")
    state = await h.act(
        handle,
        "transfer",
        department="Claims",
        requirements="Check the second invoice and report back.",
        days=2,
    )
    cid = state.complaint_id
    [transfer] = state.handoffs
    await h.act(handle, "complete_transfer", transfer=transfer.key, outcome="Invoice genuine.")
    state = await h.act(
        handle,
        "classify_policy",
        signed_personally=False,
        callback_compliant=True,
        insurer="Pacific Life Shanghai",
        days=5,
    )
    referral = next(x for x in state.handoffs if x.kind == "referral")
    await h.act(
        handle,
        "complete_transfer",
        transfer=referral.key,
        outcome="The insurer re-issues the policy for your signature.",
    )
    [notice] = await delivered(h, cid, "The insurer's opinion")
    assert "re-issues the policy for your signature" in notice.body, notice.body
    assert await templates_sent(h, cid) == [
        "acknowledgement",
        "referred_to_insurer",
        "insurer_opinion",
    ]


async def test_r_cu_2_the_customer_is_told_of_a_new_handler_once_contacted(
    harness: Harness,
) -> None:
    """Before anyone contacted the customer a reassignment tells them nothing (the
    acknowledgement named the handler). Once contacted: a new owner by reassignment or by a
    transfer tells them the handler and the team, never the reason; a new supervisor or
    department alone, or the case staying with the handler they know, tells them nothing."""
    h = harness
    handle = await h.start()
    state = await h.act(handle, "reassign", owner="zhao.min", note="li.na is on leave")
    cid = state.complaint_id
    await h.act(handle, "record_contact", actor="zhao.min")
    assert (await h.act(handle, "reassign", owner="zhao.min")).customer_handler == "zhao.min"
    await h.act(handle, "reassign", supervisor="chen.jie")
    await h.act(handle, "reassign", owner="sun.li", department="Claims", note="workload")
    [told] = await delivered(h, cid, "Your complaint has a new handler")
    assert "sun.li" in told.body and "Claims (Shanghai Pudong)" in told.body, told.body
    assert "workload" not in told.body
    await h.act(
        handle,
        "transfer",
        department="Underwriting",
        branch="Beijing Haidian",
        owner="zhou.yu",
        requirements="Re-check the underwriting file.",
        days=2,
    )
    await h.act(
        handle,
        "complete_transfer",
        transfer="transfer-1",
        outcome="Re-checked.",
    )
    notices = await delivered(h, cid, "Your complaint has a new handler", count=2)
    assert "zhou.yu" in notices[1].body and "Underwriting (Beijing Haidian)" in notices[1].body
    await h.act(handle, "transfer", department="Legal", requirements="Advise.", days=1)
    state = await h.act(handle, "complete_transfer", transfer="transfer-2", outcome="Advised.")
    assert state.customer_handler == "zhou.yu"
    assert await templates_sent(h, cid) == [
        "acknowledgement",
        "handler_changed",
        "handler_changed",
    ]
    assert (await events(h, cid)).count("处理人员变更") == 2
