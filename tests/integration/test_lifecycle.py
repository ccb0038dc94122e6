"""Whole lives of complaints on the time-skipping server (R-ST-1, R-ST-2, R-IN-4, R-ST-7)."""

from __future__ import annotations

from domain.calendar import add_working_days, add_working_hours
from domain.state import ComplaintState
from domain.vocabulary import Stage
from tests.harness import Harness


async def test_r_st_1_general_complaint_whole_life(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    state = await h.state(handle)
    cal = h.policy.snapshot.calendar
    assert state.stage is Stage.CONTACT
    contact = state.clock("stage:contact")
    assert contact is not None
    # R-SLA-2: the contact clock is 2 working hours on the branch calendar.
    assert contact.due_at == add_working_hours(cal, state.received_at, 2).at

    state = await h.act(handle, "record_contact")
    assert state.stage is Stage.INVESTIGATE
    investigate = state.clock("stage:investigate")
    assert investigate is not None
    assert investigate.due_at == add_working_days(cal, investigate.started_at, 3).at

    state = await h.act(
        handle,
        "submit_investigation",
        findings="Repair invoice verified.",
        proposed_resolution="Pay 8,200 yuan within 3 days.",
    )
    assert state.stage is Stage.APPROVE
    state = await h.act(
        handle, "decide_resolution", actor="wang.qiang", role="supervisor", approved=True
    )
    assert state.stage is Stage.CLOSE
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    state = await h.act(handle, "close_case", result="Paid 8,200 yuan; customer informed.")
    assert state.stage is Stage.CALLBACK and state.decided_at is not None
    assert state.clock("regulatory") is None  # the decision reached the customer in time
    state = await h.act(handle, "record_callback", satisfied=True, comments="Thanks")
    assert state.stage is Stage.CLOSED and state.outcome == "resolved"

    final: ComplaintState = await handle.result()  # returns once the review window is over
    assert final.outcome == "resolved"
    assert not final.breaches
    stages = [e.detail.split(",")[0] for e in final.timeline if e.kind == "stage"]
    assert stages == [
        "stage contact",
        "stage investigate",
        "stage approve",
        "stage close",  # awaiting the customer's response (R-CU-3), then ...
        "stage close",  # ... accepted: the close stage's clock starts
        "stage callback",
        "stage closed",
    ]
    # R-ST-7: every step has its time and actor.
    assert [e.seq for e in final.timeline] == list(range(1, len(final.timeline) + 1))
    assert all(e.actor for e in final.timeline)
    # R-IN-4: the customer was told the complaint was accepted and by when.
    ack = await h.notifier.wait_for("acknowledgement")
    assert len(ack) == 1 and ack[0].recipient_role == "customer"
    assert "will reach you by" in ack[0].body
    assert {c.key for c in final.finished_clocks} >= {
        "stage:contact",
        "stage:investigate",
        "stage:approve",
        "stage:close",
        "stage:callback",
        "regulatory",
    }


async def test_r_st_2_major_complaint_needs_collective_approval(harness: Harness) -> None:
    h = harness
    handle = await h.start(grade="major", department_head="zhao.min")  # R-ST-8
    state = await h.state(handle)
    cal = h.policy.snapshot.calendar
    contact = state.clock("stage:contact")
    assert contact is not None and contact.due_at == add_working_hours(cal, state.received_at, 1).at
    await h.act(handle, "record_contact")
    state = await h.state(handle)
    investigate = state.clock("stage:investigate")
    assert investigate is not None
    assert investigate.due_at == add_working_days(cal, investigate.started_at, 5).at
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    state = await h.state(handle)
    approve = state.clock("stage:approve")
    assert approve is not None and approve.due_at == add_working_days(cal, approve.started_at, 2).at

    refused = await h.refusal(
        handle, "decide_resolution", actor="wang.qiang", role="supervisor", approved=True
    )
    assert "collective" in refused
    state = await h.act(
        handle,
        "decide_resolution",
        actor="wang.qiang",
        role="supervisor",
        approved=True,
        collective=True,
        participants=["wang.qiang", "zhao.min"],  # R-ST-2 (rules 2): who took part
    )
    assert state.stage is Stage.CLOSE
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="done")
    await h.act(handle, "record_callback", satisfied=True)
    final: ComplaintState = await handle.result()
    assert final.outcome == "resolved" and final.grade.value == "major"
