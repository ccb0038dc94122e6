"""The customer's side of the case through the real things (rules 5): the decision notice sent
through the ledger's outbox when a case closes (R-CU-1), the supervisor told of an apology
still owed at closing (R-CU-5), and the staff complained about kept off the case at the API's
door and in the case (R-CU-6). Time-skipping server, production worker, PostgreSQL, the app
over ASGI.
"""

from __future__ import annotations

import json
from typing import Any

from temporalio.client import WorkflowHandle

from tests.harness import Harness, eventually
from tests.integration.test_api import Api, api, complaint

__all__ = ["api"]  # the fixture, used by name

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


async def handled(h: Harness) -> WorkflowHandle[Any, Any]:
    handle = await h.start()
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="pay")
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    return handle


async def test_r_cu_1_the_decision_notice_is_sent_through_the_outbox(harness: Harness) -> None:
    """Closing sends the customer the decision: outcome, reasons, amount, the review's last
    day and the routes outside (the harness's customer chose English); the ledger keeps the
    notice with its facts, delivered."""
    h = harness
    handle = await handled(h)
    state = await h.act(
        handle,
        "close_case",
        result="Paid 8,200 yuan.",
        reasons="The invoice is genuine.",
        amount="8200.00",
    )
    cid = state.complaint_id

    async def sent() -> bool:
        return any(
            n.subject == "Decision on your complaint" for n in h.notifier.of("customer_notice", cid)
        )

    await eventually(sent, what="the decision notice delivered")
    [notice] = [
        n
        for n in h.notifier.of("customer_notice", cid)
        if n.subject == "Decision on your complaint"
    ]
    for part in (
        "Paid 8,200 yuan.",
        "The invoice is genuine.",
        "8200.00 yuan",
        "mediation",
        "arbitration",
        "courts",
        "12378",
    ):
        assert part in notice.body, (part, notice.body)
    row = await h.pool.fetchrow(
        "SELECT words, status FROM notifications WHERE complaint_id = $1 AND kind = "
        "'customer_notice' AND words->>'template' = 'decision'",
        cid,
    )
    assert row is not None
    words = json.loads(row["words"])
    assert words["review_by"] in notice.body and words["outcome"] == "Paid 8,200 yuan."

    async def delivered() -> bool:
        status = await h.pool.fetchval(
            "SELECT status FROM notifications WHERE complaint_id = $1 AND kind = "
            "'customer_notice' AND words->>'template' = 'decision'",
            cid,
        )
        return bool(status == "delivered")

    await eventually(delivered, what="the decision notice marked delivered in the ledger")


async def test_r_cu_5_the_supervisor_is_told_of_an_apology_owed_at_closing(
    harness: Harness,
) -> None:
    h = harness
    handle = await handled(h)
    await h.act(
        handle, "record_conduct", **SUPERVISOR, person="sun.li", kind="unauthorised_promise"
    )
    state = await h.act(handle, "close_case", result="paid")

    async def told() -> bool:
        return any(
            "No apology on record" in n.subject and n.recipient == "wang.qiang"
            for n in h.notifier.of("escalation", state.complaint_id)
        )

    await eventually(told, what="the supervisor told of the apology owed")


async def test_r_cu_6_the_staff_complained_about_never_get_the_case(
    api: Api,
) -> None:
    """At the API's door the owner may not be one the complaint is about (422 naming the
    field); once filed, reassigning or transferring the case to them is refused with the
    reason."""
    r = await api.post("/v1/complaints", complaint(staff_complained_about=["li.na"]))
    assert r.status_code == 422, r.text
    assert "staff_complained_about" in r.text and "R-CU-6" in r.text, r.text

    r = await api.post("/v1/complaints", complaint(staff_complained_about=["sun.li"]))
    assert r.status_code in (200, 201), r.text
    cid = r.json()["complaint"]["complaint_id"]
    r = await api.act(cid, "reassign", owner="sun.li")
    assert r.status_code == 409, r.text
    assert "R-CU-6" in r.text and "sun.li" in r.text, r.text
    r = await api.act(
        cid, "transfer", department="Claims", owner="sun.li", requirements="re-assess", days=2
    )
    assert r.status_code == 409 and "R-CU-6" in r.text, r.text
    r = await api.act(cid, "reassign", owner="zhao.min")
    assert r.status_code == 200, r.text
