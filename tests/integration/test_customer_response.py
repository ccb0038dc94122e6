"""R-CU-3 through the real things (rules 5): the approved resolution put to the customer
through the ledger's outbox, closing refused while their answer is awaited, a rejection back to
investigation with the objections, the 2-working-day clock lapsing by its timer on the
time-skipping server, the API's door (422 naming the field, the reason of a refusal) and the
desk's form, offered only while the answer is awaited. Production worker, PostgreSQL, the app
over ASGI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from domain.actions.customer_response import CLOCK
from domain.notices import last_day
from domain.state import ComplaintState
from domain.vocabulary import Stage
from tests.desk import Desk, csrf_of, desk_world
from tests.harness import Harness, eventually
from tests.integration.test_api import Api, api, complaint

__all__ = ["api"]  # the fixture, used by name

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}
ASKED = "Your view on the proposed resolution"  # the harness's customer chose English


async def approved(h: Harness, handle: WorkflowHandle[Any, Any], resolution: str) -> ComplaintState:
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution=resolution)
    return await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)


async def test_r_cu_3_the_customer_is_asked_closing_waits_and_a_rejection_reinvestigates(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    state = await approved(h, handle, "Pay 500 yuan.")
    cid = state.complaint_id
    clock = state.clock(CLOCK)
    assert state.stage is Stage.CLOSE and clock is not None
    assert state.clock("stage:close") is None

    async def asked() -> list[Any]:
        return [n for n in h.notifier.of("customer_notice", cid) if n.subject == ASKED]

    [notice] = await eventually(asked, what="the customer asked for their say")
    assert "Pay 500 yuan." in notice.body, notice.body
    assert f"by {last_day(clock.due_at):%Y-%m-%d} (inclusive)" in notice.body, notice.body

    reason = await h.refusal(handle, "close_case", result="paid")
    assert "R-CU-3" in reason and "record_customer_response" in reason, reason
    state = await h.state(handle)
    last = state.timeline[-1]
    assert (last.kind, last.action, last.detail) == ("refused", "close_case", reason)

    state = await h.act(
        handle,
        "record_customer_response",
        response="rejects",
        objections="The garage charges 900 yuan.",
        method="email",
    )
    assert state.stage is Stage.INVESTIGATE and state.clock(CLOCK) is None
    investigate = state.clock("stage:investigate")
    assert investigate is not None and investigate.started_at > clock.started_at  # R-ST-3
    assert any(
        e.action == "record_customer_response" and "The garage charges 900 yuan." in e.detail
        for e in state.timeline
    )
    reason = await h.refusal(handle, "record_customer_response", response="accepts")
    assert "does not fit stage investigate" in reason, reason

    # Approved again: asked again, then accepted, and the resolution is carried out.
    await approved(h, handle, "Pay 900 yuan.")
    await eventually(lambda: _count(asked, 2), what="the customer asked again")
    state = await h.act(handle, "record_customer_response", response="accepts")
    close = state.clock("stage:close")
    assert close is not None and state.clock(CLOCK) is None
    reason = await h.refusal(handle, "record_customer_response", response="accepts")
    assert "R-CU-3" in reason and "no response" in reason, reason
    state = await h.act(handle, "close_case", result="paid 900")
    assert state.stage is Stage.CALLBACK
    assert [r.answer for r in state.customer_responses] == ["rejects", "accepts"]


async def _count(probe: Any, n: int) -> bool:
    return len(await probe()) == n


async def test_r_cu_3_no_answer_within_2_working_days_lapses_by_the_timer(
    harness: Harness,
) -> None:
    """The customer's clock lapses by its own timer: recorded as no answer, no breach, the
    close stage's clock starts then, and the case may close."""
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    state = await approved(h, handle, "Pay 500 yuan.")
    clock = state.clock(CLOCK)
    assert clock is not None
    await h.sleep_until(clock.due_at)

    async def lapsed() -> ComplaintState | None:
        s = await h.state(handle)
        return s if s.clock(CLOCK) is None else None

    state = await eventually(lapsed, what="the customer's clock lapsed")
    [entry] = [e for e in state.timeline if "no answer within 2 working days" in e.detail]
    # By the timer: at the due instant (the server fires it a few ms after).
    assert clock.due_at <= entry.at < clock.due_at + timedelta(seconds=2), (entry, clock)
    assert entry.actor == "system"
    assert state.customer_responses[-1].answer == "no_answer"
    assert not any(b.clock == CLOCK for b in state.breaches)
    close = state.clock("stage:close")
    assert close is not None and close.started_at == entry.at
    state = await h.act(handle, "close_case", result="paid")
    assert state.stage is Stage.CALLBACK


async def test_r_cu_3_at_the_api_a_rejection_names_its_objections_and_refusals_are_409(
    api: Api,
) -> None:
    r = await api.post("/v1/complaints", complaint())
    assert r.status_code == 201, r.text
    cid = r.json()["complaint"]["complaint_id"]
    r = await api.act(cid, "record_customer_response", response="accepts")
    assert r.status_code == 409 and "does not fit stage contact" in r.text, r.text
    await api.act(cid, "record_contact")
    await api.act(cid, "submit_investigation", findings="f", proposed_resolution="Pay 500 yuan.")
    r = await api.act(cid, "decide_resolution", who="supervisor", approved=True)
    assert r.status_code == 200 and r.json()["stage"] == "close", r.text
    r = await api.act(cid, "close_case", result="paid")
    assert r.status_code == 409 and "R-CU-3" in r.text, r.text
    r = await api.act(cid, "record_customer_response", response="rejects")
    assert r.status_code == 422 and "objections" in r.text and "R-CU-3" in r.text, r.text
    r = await api.act(cid, "record_customer_response", response="maybe")
    assert r.status_code == 422 and "response" in r.text, r.text
    r = await api.act(cid, "record_customer_response", response="accepts", method="in_person")
    assert r.status_code == 200 and r.json()["stage"] == "close", r.text
    r = await api.act(cid, "close_case", result="paid")
    assert r.status_code == 200 and r.json()["stage"] == "callback", r.text


@pytest.fixture(scope="module")
async def desk(pg_server: str, migrated_template: str) -> AsyncIterator[Desk]:
    async with desk_world(pg_server, migrated_template) as world:
        yield world


async def test_r_cu_3_the_desk_offers_the_customers_response_while_it_is_awaited(
    desk: Desk,
) -> None:
    """The form comes from the action's definition: offered on an approved case awaiting the
    answer, not before; a rejection without objections is a field error, nothing sent."""
    cid = await desk.file()
    await desk.act(cid, "record_contact", "li.na")
    await desk.act(cid, "submit_investigation", "li.na", findings="f", proposed_resolution="pay")
    async with desk.signed_in("li.na") as http:
        page = (await http.get(f"/desk/cases/{cid}")).text
        assert 'data-action="record_customer_response"' not in page
    await desk.act(cid, "decide_resolution", "wang.qiang", approved=True)
    async with desk.signed_in("li.na") as http:
        page = (await http.get(f"/desk/cases/{cid}")).text
        assert 'data-action="record_customer_response"' in page
        form = await http.get(f"/desk/cases/{cid}/act/record_customer_response")
        assert form.status_code == 200 and "客户异议" in form.text, form.text
        answer = await http.post(
            f"/desk/cases/{cid}/act/record_customer_response",
            data={"csrf": csrf_of(form.text), "response": "rejects", "method": "phone"},
        )
        assert answer.status_code == 422, answer.text
        field = answer.text.split('data-field="objections"')[1].split('data-field="')[0]
        assert 'class="error"' in field and "R-CU-3" in field, field
        answer = await http.post(
            f"/desk/cases/{cid}/act/record_customer_response",
            data={"csrf": csrf_of(form.text), "response": "accepts", "method": "phone"},
        )
        assert answer.status_code == 303, answer.text
        page = (await http.get(f"/desk/cases/{cid}")).text
        assert 'data-action="record_customer_response"' not in page
        assert 'data-action="close_case"' in page
