"""The workflow is the pure case and nothing else: generated sequences of actions and clock
advances run through the real workflow on the time-skipping server, and the pure case, driven
with the same actions at the instants the workflow saw, must write the same timeline entry
for entry and end in the same state (the differential check).

Sequences come from the same kind of generator as the state machine (tests/unit/
test_case_machine.py), seeded, so CI runs the same few every time.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.actions import ACTION_MODELS
from domain.case import Complaint, Refused
from domain.sla import HandlingPolicy, SlaPolicy
from domain.vocabulary import Role
from tests.harness import Harness, test_calendar
from tests.identities import verified
from tests.unit.test_case_machine import ACTOR, WEIGHTED, closing_steps

Step = tuple[str, Any]  # ("advance", timedelta) | ("act", (name, role, fields))


def generate(seed: int, now_date: date, length: int = 18) -> list[Step]:
    """Mostly the moves that carry a case on, with odd actions and waits between them."""
    rng = random.Random(seed)
    steps: list[Step] = []
    for _ in range(length):
        roll = rng.random()
        if roll < 0.35:
            delta = rng.choice(
                [
                    timedelta(minutes=rng.randint(5, 300)),
                    timedelta(hours=rng.randint(1, 30)),
                    timedelta(days=rng.randint(1, 4)),
                ]
            )
            steps.append(("advance", delta))
        elif roll < 0.75:
            steps.append(("act", ("move on", None, {})))
        else:
            name = rng.choice(WEIGHTED)
            role = Role.SUPERVISOR if rng.random() < 0.5 else rng.choice(list(Role))
            steps.append(("act", (name, role, odd_fields(name, rng, now_date))))
    return steps


def odd_fields(name: str, rng: random.Random, today: date) -> dict[str, Any]:
    """Fields that decode for each action (the state decides whether they fit)."""
    fields: dict[str, dict[str, Any]] = {
        "submit_investigation": {"findings": "f", "proposed_resolution": "r"},
        "decide_resolution": {"approved": rng.random() < 0.6, "collective": True},
        "close_case": {"result": "paid"},
        "record_callback": {"satisfied": rng.random() < 0.6},
        "request_extension": {"new_due_at": "+days", "reason": "appraisal"},
        "decide_extension": {"approved": rng.random() < 0.5},
        "escalate_crisis": {"reasons": ["customers at the outlet"], "people_count": 6},
        "report_crisis": {"level": rng.choice(["superior", "headquarters"]), "summary": "s"},
        "designate_special": {
            "deadlines": {"contact_hours": 3, "investigate_days": 4, "approve_days": 2}
        },
        "expedite": {"minutes": rng.choice([30, 240])},
        "pause_clock": {"reason": "appraisal"},
        "request_review": {"reason": "overcharged"},
        "reassign": {"owner": "zhao.min"},
        "withdraw": {"reason": "settled"},
        "record_repeat": {"channel": rng.choice(["online", "regulator"]), "new_facts": "x"},
        # Rules 3: the bank channel and the intake rules
        "transfer": {"department": "claims", "requirements": "r", "hours": rng.choice([1, 6])},
        "complete_transfer": {"transfer": rng.choice(["transfer-1", "outlet-1"]), "outcome": "o"},
        "transfer_to_insurer": {"insurer": "insurer", "days": 1, "owner": "chen.jie"},
        "classify_policy": {
            "signed_personally": rng.random() < 0.5,
            "callback_compliant": True,
            "insurer": "insurer",
            "days": 2,
        },
        "correct_amount": {"amount": "10.50", "reason": "r"},
        # R-SLA-10: the branch closed for a day or two, from today on
        "announce_closure": {
            "closure_key": f"typhoon-{rng.randint(1, 2)}",
            "first_day": (first := today + timedelta(days=rng.randint(0, 3))).isoformat(),
            "last_day": (first + timedelta(days=rng.randint(0, 1))).isoformat(),
            "reason": "typhoon",
        },
        # Rules 3: crisis in full (domain/crisis.py).
        "record_conduct": {"person": "zhao.min", "kind": "disclosure"},
        "flag_customer": {"flags": ["vulnerable"]},
        "record_early_signs": {"detail": "a crowd forming"},
        "record_police_contact": {"police": "Pudong station"},
        "record_group_event": {"commander": "zhou.hq"},
        # Rules 5: R-GR-4's decision, R-ST-8's department head
        "decline_crisis": {"reason": "asked once"},
        "name_department_head": {"head": rng.choice(["wang.qiang", "sun.hao"])},
        "record_outside_contact": {"body": rng.choice(["government", "media"]), "note": "asked"},
        "record_apology": {"person": "zhao.min", "method": "phone"},  # R-CU-5
        # R-CU-3: the customer's answer to an approved resolution
        "record_customer_response": {
            "response": rng.choice(["accepts", "rejects"]),
            "objections": "too little",
        },
        # Rules 5: the crisis duties (R-CR-10, R-CR-11)
        "call_insurer_on_site": {"person": "chen.jie", "soothing": "script read twice"},
        "record_media_report": {"media": "Xinmin", "detail": "page 7"},
        "record_crisis_review": {"causes": "c", "what_was_done": "w", "screening_changes": "s"},
    }
    return fields.get(name, {})


@pytest.mark.parametrize("seed", [11, 23, 37, 41])
async def test_the_workflow_ends_where_the_pure_case_ends(harness: Harness, seed: int) -> None:
    h = harness
    now = await h.now()
    start = now.date()
    # A holiday and a make-up working day ahead, so advances cross them.
    holiday = start + timedelta(days=2)
    makeup = start + timedelta(days=(5 - start.weekday()) % 7 or 7)  # the next Saturday
    calendar = test_calendar({holiday: "Test Day"}, makeup_workdays={makeup: "Make-up"})
    h.policy.snapshot = HandlingPolicy(calendar=calendar, sla=SlaPolicy())
    # Odd seeds: a bank-outlet complaint, whose policy may be classed and handed over (rules 3).
    bank = {"channel": "bank_outlet", "bank_outlet": {"bank": "b", "outlet": "o"}}
    intake = await h.intake(**(bank if seed % 2 else {}))
    handle = await h.start(intake)
    sent: list[tuple[str, dict[str, Any]]] = []
    case_view = Complaint.accept(intake, h.policy.snapshot, now, workflow_id="view")

    for kind, arg in generate(seed, start):
        if kind == "advance":
            await h.sleep(arg)
            continue
        name, role, fields = arg
        state = await h.state(handle)
        case_view.state = state  # only to pick the move that carries the case on
        if case_view.finished(await h.now()):
            break  # withdrawn (or closed and its review window over): the workflow ended
        if name == "move on":
            step = closing_steps(case_view, settle=seed % 2 == 0, approve=True)
            if step is None:
                continue
            name, action = step
            payload = action.model_dump(mode="json", exclude_none=True)
        else:
            payload = {**fields, "actor": ACTOR[role], "role": role.value}
            if payload.get("new_due_at") == "+days":
                clock = state.clock(f"stage:{state.stage.value}")
                base = clock.due_at if clock else await h.now()
                payload["new_due_at"] = (base + timedelta(days=2)).isoformat()
        sent.append((name, payload))
        try:
            await h.act(handle, name, **payload)
        except WorkflowUpdateFailedError:
            pass  # refused: on the timeline, as the pure case must refuse it too

    final = await h.state(handle)
    end = await h.now()
    pure = replay_purely(h, intake, final, sent)
    kinds = [e.kind for e in final.timeline]
    print(
        f"seed {seed}: stage {final.stage.value}, {len(sent)} actions, "
        f"{kinds.count('refused')} refused, {kinds.count('breach')} breaches, "
        f"{kinds.count('reminder')} reminders, {len(final.timeline)} entries"
    )
    assert pure.state == final  # clocks, breaches, extensions, counts, timeline: everything
    wake = pure.next_wake()
    assert wake is None or wake.at > end - timedelta(seconds=1), "the workflow missed an alarm"


def replay_purely(
    h: Harness, intake: Any, final: Any, sent: list[tuple[str, dict[str, Any]]]
) -> Complaint:
    """The pure case, given the actions at the instants the workflow took them and woken when
    the workflow woke; every entry it writes must equal the workflow's."""
    timeline = final.timeline
    accepted_at = next(e.at for e in timeline if e.kind != "intake")
    pure = Complaint.accept(
        intake, h.policy.snapshot, accepted_at, workflow_id=f"complaint-{intake.complaint_id}"
    )
    actions = iter(sent)
    acted_at = accepted_at
    i = len(pure.state.timeline)
    assert pure.state.timeline == timeline[:i]
    while i < len(timeline):
        entry = timeline[i]
        if entry.kind in ("action", "refused"):
            acted_at = entry.at
            name, payload = next(actions)
            try:
                action = ACTION_MODELS[name].model_validate(payload)
                pure.act(name, action, entry.at, verified(pure, name, action, entry.at))
            except Refused:
                pass
        else:  # the workflow woke for an alarm: the pure case must want waking then too
            # An action can make an alarm due at once (a regrade shortens a clock already
            # past its warning): then it fires at the action's instant.
            wake = pure.next_wake()
            on_time = wake is not None and wake.at <= entry.at < wake.at + timedelta(seconds=2)
            at_action = wake is not None and wake.at <= entry.at == acted_at
            assert on_time or at_action, (wake, entry)
            pure.fire_due(entry.at)
        written = pure.state.timeline[i:]
        assert written and written == timeline[i : i + len(written)], (written, timeline[i:])
        i += len(written)
    assert next(actions, None) is None, "an action the workflow never recorded"
    return pure
