"""Human decisions as signals and updates through one gate (contract: Actions; R-ST-3..6,
R-GR-1..3, R-IN-7), and bad input refused without harming the case."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import WorkflowHandle

from domain.calendar import add_working_days, add_working_hours
from domain.state import ComplaintState
from domain.vocabulary import Stage
from tests.harness import Harness, eventually
from workflows import search_attributes as sa

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


async def _to_approval(h: Harness, handle: WorkflowHandle[object, object]) -> None:
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="pay 500 yuan")


async def test_r_st_3_rejected_resolution_goes_back_to_investigation_with_a_new_clock(
    harness: Harness,
) -> None:
    h = harness
    handle = await h.start()
    await _to_approval(h, handle)
    await h.sleep(timedelta(hours=30))
    state = await h.act(
        handle, "decide_resolution", **SUPERVISOR, approved=False, reason="Evidence incomplete"
    )
    assert state.stage is Stage.INVESTIGATE and state.resolution_approved is False
    clock = state.clock("stage:investigate")
    assert clock is not None
    assert clock.due_at == add_working_days(h.policy.snapshot.calendar, clock.started_at, 3).at
    assert clock.started_at > state.received_at + timedelta(hours=29)


async def test_r_st_4_dissatisfied_callback_reopens_and_counts(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    for round_ in (1, 2):
        await _to_approval(h, handle) if round_ == 1 else await h.act(
            handle, "submit_investigation", findings="again", proposed_resolution="pay 900 yuan"
        )
        await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
        await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
        await h.act(handle, "close_case", result="paid")
        state = await h.act(handle, "record_callback", satisfied=False, comments="Too little")
        assert state.stage is Stage.INVESTIGATE and state.reopen_count == round_
        attrs = (await handle.describe()).typed_search_attributes
        assert attrs.get(sa.REOPEN_COUNT) == round_
    await h.act(handle, "submit_investigation", findings="third", proposed_resolution="pay 1200")
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid 1200")
    state = await h.act(handle, "record_callback", satisfied=True, method="questionnaire")
    assert state.stage is Stage.CLOSED and state.reopen_count == 2
    final: ComplaintState = await handle.result()
    assert final.outcome == "resolved" and final.reopen_count == 2


async def test_r_st_4_new_demand_at_callback_reopens(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await _to_approval(h, handle)
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid")
    state = await h.act(handle, "record_callback", satisfied=True, new_demand="Also refund the fee")
    assert state.stage is Stage.INVESTIGATE and state.reopen_count == 1


async def test_r_st_5_withdraw_ends_the_case(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    state = await h.act(handle, "withdraw", reason="Settled with the garage")
    assert state.stage is Stage.WITHDRAWN and state.outcome == "withdrawn" and not state.clocks
    final: ComplaintState = await handle.result()
    assert final.outcome == "withdrawn"


async def test_r_st_6_reassign_keeps_the_case_and_its_clocks(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    before = await h.act(handle, "record_contact")
    state = await h.act(handle, "reassign", owner="zhao.min", department="claims")
    assert state.owner == "zhao.min" and state.department == "claims"
    assert state.clock("stage:investigate") == before.clock("stage:investigate")
    assert (await handle.describe()).typed_search_attributes.get(sa.OWNER) == "zhao.min"
    assert "reassign needs" in await h.refusal(handle, "reassign")


async def test_r_gr_1_designate_special_sets_the_superiors_deadlines(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    state = await h.act(
        handle,
        "designate_special",
        **SUPERVISOR,
        deadlines={"contact_hours": 4, "investigate_days": 10, "approve_days": 3},
    )
    cal = h.policy.snapshot.calendar
    assert state.grade.value == "special"
    contact = state.clock("stage:contact")
    assert contact is not None and contact.due_at == add_working_hours(cal, state.received_at, 4).at
    state = await h.act(handle, "record_contact")
    clock = state.clock("stage:investigate")
    assert clock is not None and clock.due_at == add_working_days(cal, clock.started_at, 10).at
    assert "supervisor" in await h.refusal(
        handle,
        "designate_special",
        deadlines={"contact_hours": 1, "investigate_days": 1, "approve_days": 1},
    )


async def test_r_gr_2_crisis_at_intake_is_major_with_report_clocks(harness: Harness) -> None:
    h = harness
    handle = await h.start(crisis={"people_count": 6, "media": True})
    state = await h.state(handle)
    assert state.crisis and state.grade.value == "major"
    assert {"crisis:superior", "crisis:headquarters"} <= {c.key for c in state.clocks}
    assert any("group event of 6" in r for r in state.crisis_reasons)
    attrs = (await handle.describe()).typed_search_attributes
    assert attrs.get(sa.CRISIS) is True


async def test_r_gr_3_regulator_channel_is_at_least_major(harness: Harness) -> None:
    h = harness
    handle = await h.start(channel="regulator")
    state = await h.state(handle)
    assert state.grade.value == "major" and not state.crisis
    assert "R-GR-3" in state.timeline[0].detail
    general = await h.state(await h.start(channel="online"))
    assert general.grade.value == "general"


async def test_r_in_7_review_within_30_days_is_a_new_round(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await _to_approval(h, handle)
    await h.act(handle, "decide_resolution", **SUPERVISOR, approved=True)
    await h.act(handle, "record_customer_response", response="accepts")  # R-CU-3
    await h.act(handle, "close_case", result="paid")
    await h.act(handle, "record_callback", satisfied=True)
    await h.sleep(timedelta(days=10))
    state = await h.act(handle, "request_review", reason="I found the garage overcharged")
    assert state.stage is Stage.INVESTIGATE and state.review_count == 1


async def test_signal_and_update_share_one_path_and_refusals_are_recorded(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    # Wrong stage, as an update: a clear reason, nothing changes.
    reason = await h.refusal(handle, "close_case", result="x")
    assert "does not fit stage contact" in reason
    # Wrong role: an approval needs a supervisor.
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    assert "supervisor" in await h.refusal(handle, "decide_resolution", approved=True)
    # Auditors read, never act.
    assert "auditor" in await h.refusal(handle, "withdraw", role="auditor")
    # The same decisions as signals, as an ops person types them in the Web UI (sealed by
    # the codec server with who they are).
    await h.signal(handle, "decide_resolution", actor="ops", approved="maybe")  # malformed
    await h.signal(handle, "decide_resolution", actor="ops", approved=True, colour=1)
    await h.signal(handle, "no_such_action", actor="ops")  # dynamic: refused
    await h.signal(
        handle, "decide_resolution", actor="wang.qiang", role="supervisor", approved=True
    )
    state = await h.state(handle)
    assert state.stage is Stage.CLOSE
    refused = [e for e in state.timeline if e.kind == "refused"]
    assert len(refused) == 6, [e.detail for e in refused]
    assert "approved" in refused[3].detail and "valid boolean" in refused[3].detail
    assert "colour" in refused[4].detail
    # An unreadable payload is refused in the name its seal verified (rules 5).
    assert refused[3].actor == refused[4].actor == "ops"
    assert "unknown action 'no_such_action'" in refused[5].detail
    accepted = [e for e in state.timeline if e.kind == "action"]
    assert [e.action for e in accepted] == [
        "record_contact",
        "submit_investigation",
        "decide_resolution",
    ]


async def test_unknown_action_signal_is_recorded_not_dropped(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.signal(handle, "record_contactt", actor="ops")
    await handle.signal("record_contact", await h.sealed_raw(handle, "not an object", actor="ops"))
    await h.signal(handle, "record_contact", actor="ops")
    state = await h.state(handle)
    assert state.stage is Stage.INVESTIGATE
    details = [e.detail for e in state.timeline if e.kind == "refused"]
    assert any("unknown action 'record_contactt'" in d for d in details)
    assert any("invalid payload" in d for d in details)


async def test_nul_characters_typed_in_the_ui_are_refused_and_the_ledger_keeps_up(
    harness: Harness,
) -> None:
    """PostgreSQL text cannot hold NUL: a signal with one in its name, a key or a value is
    refused on the timeline (escaped), and the ledger still records every entry."""
    h = harness
    handle = await h.start()
    await h.signal(handle, "record\x00contact", actor="ops")
    await h.signal(handle, "record_contact", actor="ops", **{"no\x00te": 1})
    await h.signal(handle, "record_contact", actor="o\x00ps")
    await h.signal(handle, "record_contact", actor="ops")
    state = await h.state(handle)
    assert state.stage is Stage.INVESTIGATE
    refused = [e for e in state.timeline if e.kind == "refused"]
    assert len(refused) == 3, [e.detail for e in refused]
    assert refused[0].action == "record\\x00contact"
    assert "NUL" in refused[1].detail and "NUL" in refused[2].detail
    assert not any("\x00" in f"{e.action}{e.detail}" for e in state.timeline)
    last = state.timeline[-1].seq
    await eventually(
        lambda: h.pool.fetchval(
            "SELECT last_event_seq = $2 FROM complaints WHERE complaint_id = $1",
            state.complaint_id,
            last,
        ),
        what="the ledger has every timeline entry",
    )


async def test_request_id_makes_a_repeated_delivery_a_no_op(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact", request_id="r-1")
    await h.act(
        handle, "submit_investigation", findings="f", proposed_resolution="r", request_id="r-2"
    )
    again = await h.act(
        handle, "submit_investigation", findings="f", proposed_resolution="r", request_id="r-2"
    )
    assert again.stage is Stage.APPROVE
    await h.signal(handle, "record_contact", actor="li.na", request_id="r-1")
    state = await h.state(handle)
    assert [e.action for e in state.timeline if e.kind == "action"] == [
        "record_contact",
        "submit_investigation",
    ]
    assert not [e for e in state.timeline if e.kind == "refused"]
