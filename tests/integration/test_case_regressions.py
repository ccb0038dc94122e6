"""The three defects a new user found, each as it was met: through the workflow, on the
time-skipping server (found in review). Each failed before the case redesign."""

from __future__ import annotations

from datetime import timedelta

from domain.vocabulary import Stage
from tests.harness import Harness

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


async def test_r_sla_8_a_pause_ended_by_the_next_stage_never_freezes_the_15_day_limit(
    harness: Harness,
) -> None:
    """Pause in investigate, then submit: the regulatory clock runs again (the pause belonged
    to the stage), the customer is told, and the 15-day limit (R-SLA-7) still breaches."""
    h = harness
    handle = await h.start()
    await h.act(handle, "record_contact")
    await h.act(handle, "pause_clock", reason="appraisal")
    await h.sleep(timedelta(days=2))  # the appraisal takes two days
    state = await h.act(handle, "submit_investigation", findings="f", proposed_resolution="r")
    assert state.stage is Stage.APPROVE
    regulatory = state.clock("regulatory")
    assert regulatory is not None and regulatory.paused_at is None, regulatory
    assert regulatory.paused_for >= timedelta(days=2)  # the two days did not count
    # Nothing is paused any more, and the limit is still watched.
    await h.sleep_until(regulatory.due_at)
    state = await h.state(handle)
    assert "regulatory" in [b.clock for b in state.breaches]
    told = [n.subject for n in await h.notifier.wait_for("customer_notice", 2)]
    assert any("resumed" in s.lower() for s in told), told


async def test_r_sla_8_resume_is_accepted_while_any_clock_is_paused(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    await h.act(handle, "pause_clock", reason="testing")
    state = await h.act(handle, "resume_clock")
    assert all(c.paused_at is None for c in state.clocks)
    assert "no clock is paused" in await h.refusal(handle, "resume_clock")


async def test_r_sla_6_an_undecided_extension_lapses_with_its_stage_and_never_blocks_the_case(
    harness: Harness,
) -> None:
    """Ask for an extension, move on without a decision: the request lapses (recorded), and
    the next stage's extension can be asked and decided, approved or denied."""
    h = harness
    handle = await h.start()
    state = await h.state(handle)
    contact = state.clock("stage:contact")
    assert contact is not None
    later = (contact.due_at + timedelta(hours=20)).isoformat()
    await h.act(handle, "request_extension", new_due_at=later, reason="busy")
    state = await h.act(handle, "record_contact")
    assert state.extensions[0].lapsed_at is not None and state.extensions[0].approved is None
    assert any("lapsed" in e.detail for e in state.timeline)

    investigate = state.clock("stage:investigate")
    assert investigate is not None
    wanted = investigate.due_at + timedelta(days=1)
    await h.act(handle, "request_extension", new_due_at=wanted.isoformat(), reason="invoice")
    state = await h.act(handle, "decide_extension", **SUPERVISOR, approved=False)
    assert [e.approved for e in state.extensions] == [None, False]
    await h.act(handle, "request_extension", new_due_at=wanted.isoformat(), reason="again")
    state = await h.act(handle, "decide_extension", **SUPERVISOR, approved=True)
    clock = state.clock("stage:investigate")
    assert clock is not None and clock.due_at == wanted


async def test_r_in_4_the_acknowledgement_names_the_last_day_of_the_limit(
    harness: Harness,
) -> None:
    """The limit ends at midnight after its last day; the customer is told the last day."""
    h = harness
    handle = await h.start()
    regulatory = (await h.state(handle)).clock("regulatory")
    assert regulatory is not None
    assert (regulatory.due_at.hour, regulatory.due_at.minute) == (0, 0)  # midnight ends it
    last = regulatory.due_at.date() - timedelta(days=1)
    [ack] = await h.notifier.wait_for("acknowledgement")
    assert f"by {last:%Y-%m-%d}." in ack.body, ack.body
    assert f"{regulatory.due_at:%Y-%m-%d}" not in ack.body


async def test_r_sla_4_a_crisis_declared_after_a_breach_leaves_one_breach_in_the_ledger(
    harness: Harness,
) -> None:
    """Rules 4: contact overdue (a breach, reminders), then a crisis makes the case major and
    its contact deadline earlier, already past. The ledger, which the statistics and the
    accountability cycle count, holds one breach of the stage, not two (rules 3 wrote a
    second row, keyed by the earlier deadline)."""
    h = harness
    handle = await h.start()
    contact = (await h.state(handle)).clock("stage:contact")
    assert contact is not None
    await h.sleep_until(contact.due_at + timedelta(minutes=30))
    state = await h.act(
        handle, "escalate_crisis", **SUPERVISOR, reasons=["media called"], people_count=1
    )
    major = state.clock("stage:contact")
    assert major is not None and major.due_at < contact.due_at  # the deadline followed
    await h.sleep(timedelta(hours=2))
    state = await h.state(handle)
    assert [b.clock for b in state.breaches].count("stage:contact") == 1
    rows = await h.pool.fetch(
        "SELECT due_at FROM sla_breaches WHERE complaint_id = $1 AND clock_key = $2",
        state.complaint_id,
        "stage:contact",
    )
    assert [r["due_at"] for r in rows] == [contact.due_at]
