"""An action counts only under an identity the system verified (R-AC-1): a plain
signal typed at the CLI, an encrypted payload whose actor and role were typed by hand, a sealed
payload taken from another case or sent twice, and a supervisor outside their branches are all
refused, recorded on the timeline with the reason, and change nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RawValue
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.vocabulary import Stage
from infra.codec import IDENTITY
from tests.harness import Harness

SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


async def at_approval(h: Harness) -> WorkflowHandle[Any, Any]:
    handle = await h.start()
    await h.act(handle, "record_contact")
    await h.act(handle, "submit_investigation", findings="f", proposed_resolution="pay")
    return handle


def plain_client(h: Harness) -> Client:
    """What `temporal workflow signal --input ...` is without a codec: no encryption."""
    return Client(
        h.client.service_client,
        namespace=h.client.namespace,
        data_converter=pydantic_data_converter,
    )


async def test_r_ac_1_a_plain_cli_signal_claiming_supervisor_is_refused_and_recorded(
    harness: Harness,
) -> None:
    h = harness
    handle = await at_approval(h)
    plain = plain_client(h).get_workflow_handle(handle.id)
    await plain.signal("expedite", {"actor": "mallory", "role": "supervisor", "minutes": 5})
    await plain.signal(
        "decide_resolution", {"actor": "mallory", "role": "supervisor", "approved": True}
    )
    # Even with an identity typed into the payload's metadata by hand: decoding drops it.
    forged = Payload(
        metadata={
            "encoding": b"json/plain",
            IDENTITY: b'{"actor": "wang.qiang", "roles": ["supervisor"]}',
        },
        data=b'{"approved": true}',
    )
    await plain.signal("decide_resolution", RawValue(forged))
    state = await h.state(handle)
    assert state.stage is Stage.APPROVE, "the case is unchanged"
    refused = [e for e in state.timeline if e.kind == "refused"]
    assert [e.actor for e in refused] == ["mallory (unverified)"] * 2 + ["unknown (unverified)"]
    assert all("identity not verified" in e.detail for e in refused)
    stage_clock = state.clock("stage:approve")
    assert stage_clock is not None and not stage_clock.expedited


async def test_r_ac_1_an_encrypted_payload_whose_identity_was_typed_by_hand_is_refused(
    harness: Harness,
) -> None:
    """Encrypted by someone holding the keys but not sealed by a verifier: a name typed into
    it proves nothing; nor does a sealed one naming someone else."""
    h = harness
    handle = await at_approval(h)
    await handle.signal("decide_resolution", {**SUPERVISOR, "approved": True})
    mismatch = await h.sealed_raw(
        handle, {**SUPERVISOR, "approved": True}, actor="li.na", action="decide_resolution"
    )
    await handle.signal("decide_resolution", mismatch)
    state = await h.state(handle)
    assert state.stage is Stage.APPROVE
    refused = [e.detail for e in state.timeline if e.kind == "refused"]
    assert len(refused) == 2 and all("identity not verified" in d for d in refused)
    assert "the verified sender is li.na" in refused[1]


async def test_r_ac_1_a_sealed_payload_from_another_case_or_sent_twice_is_refused(
    harness: Harness,
) -> None:
    h = harness
    handle = await at_approval(h)
    other = await h.start()
    taken = await h.sealed_raw(
        other, {**SUPERVISOR, "approved": True}, actor="wang.qiang", roles=["supervisor"]
    )
    await handle.signal("decide_resolution", taken)
    state = await h.state(handle)
    assert state.stage is Stage.APPROVE
    assert f"given for {other.id}" in state.timeline[-1].detail

    once = await h.sealed_raw(
        handle,
        {**SUPERVISOR, "approved": False, "reason": "more"},
        actor="wang.qiang",
        roles=["supervisor"],
        action="decide_resolution",
    )
    await handle.signal("decide_resolution", once)
    await h.act(handle, "submit_investigation", findings="f2", proposed_resolution="pay more")
    await handle.signal("decide_resolution", once)  # a replay
    state = await h.state(handle)
    assert state.stage is Stage.APPROVE and state.resolution_approved is False
    assert "used before" in state.timeline[-1].detail

    stale = await h.sealed_raw(
        handle,
        {**SUPERVISOR, "approved": True},
        actor="wang.qiang",
        roles=["supervisor"],
        action="decide_resolution",
        issued_at=await h.now() - timedelta(days=2),
    )
    await handle.signal("decide_resolution", stale)
    assert "out of date" in (await h.state(handle)).timeline[-1].detail


async def test_r_ac_1_a_supervisor_acts_only_for_their_branches(harness: Harness) -> None:
    """A Beijing supervisor cannot approve a Shanghai case; a Shanghai one can."""
    h = harness
    handle = await at_approval(h)
    reason = await h.refusal(
        handle, "decide_resolution", **SUPERVISOR, approved=True, branches=["Beijing Haidian"]
    )
    assert "R-AC-1" in reason and "Beijing Haidian" in reason
    state = await h.act(
        handle,
        "decide_resolution",
        **SUPERVISOR,
        approved=True,
        branches=["Shanghai Pudong", "Shanghai Jing'an"],
    )
    assert state.stage is Stage.CLOSE
