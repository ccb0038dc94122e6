"""Record histories for the replay tests: `python -m tests.record_histories RELEASE`.

Run it when a release is cut: the JSON files it writes (`<case>-<RELEASE>.json`) are the
histories of cases that every later release must still replay
(tests/integration/test_replay.py). Never regenerate or delete them to make a replay test
pass: a failing replay means running cases would break (use workflow.patched). Histories
retire only with the patch they depend on (tests/histories/retired/README.md).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.models import ComplaintIntake, ComplaintState
from domain.sla import PolicySnapshot, SlaPolicy
from infra.binaries import find
from infra.postgres import create_pool, embedded_server
from infra.temporal import register_search_attributes
from ledger.migrate import migrate
from tests.harness import TEST_CONVERTER, FixedPolicySource, RecordingNotifier, test_calendar
from workers import build_worker
from workflows import contract

HERE = Path(__file__).parent / "histories"
SUPERVISOR = {"actor": "wang.qiang", "role": "supervisor"}


def intake(now_iso: str, **extra: object) -> ComplaintIntake:
    return ComplaintIntake.model_validate(
        {
            "complaint_id": f"R{uuid.uuid4().hex[:10]}",
            "channel": "hotline",
            "received_at": now_iso,
            "branch": "Shanghai Pudong",
            "owner": "li.na",
            "supervisor": "wang.qiang",
            "customer": {"name": "张伟", "phone": "13812345678"},
            "category": "claims settlement",
            "matter": "Claim unpaid for 40 days.",
            "demands": "Pay the claim.",
            **extra,
        }
    )


async def main(release: str) -> None:
    HERE.mkdir(exist_ok=True)
    ledger = embedded_server(Path(tempfile.mkdtemp()))
    await migrate(ledger.dsn)
    pool = await create_pool(ledger.dsn)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER,
        test_server_existing_path=find("temporal-test-server"),
    )
    await register_search_attributes(env.client, contract.SEARCH_ATTRIBUTES)
    now = await env.get_current_time()
    holidays = {now.date() + timedelta(days=3 + i): "Recorded Festival" for i in range(3)}
    source = FixedPolicySource(PolicySnapshot(calendar=test_calendar(holidays), sla=SlaPolicy()))
    async with build_worker(
        env.client, pool=pool, task_queue="record", sender=RecordingNotifier(),
        policy_source=source,
    ):  # fmt: skip
        # A general complaint: late contact (breach and reminders), an extension, a rejected
        # resolution, a dissatisfied callback, then resolved and the review window run out.
        h = await contract.start(env.client, intake(now.isoformat()), task_queue="record")
        await env.sleep(timedelta(days=2))
        await h.execute_update("record_contact", {"actor": "li.na"})
        s = await h.query(contract.STATE_QUERY, result_type=ComplaintState)
        due = s.clocks[-1].due_at
        await h.execute_update(
            "request_extension",
            {
                "actor": "li.na",
                "new_due_at": (due + timedelta(days=1)).isoformat(),
                "reason": "invoice",
            },
        )
        await h.execute_update("decide_extension", {**SUPERVISOR, "approved": True})
        await h.execute_update("pause_clock", {"actor": "li.na", "reason": "appraisal"})
        await env.sleep(timedelta(days=1))
        await h.execute_update("resume_clock", {"actor": "li.na"})
        await h.execute_update(
            "submit_investigation", {"actor": "li.na", "findings": "f", "proposed_resolution": "r"}
        )
        await h.execute_update("decide_resolution", {**SUPERVISOR, "approved": False})
        await h.signal(
            "submit_investigation",
            {"actor": "li.na", "findings": "f2", "proposed_resolution": "r2"},
        )
        await h.signal("decide_resolution", {"actor": "ops", "approved": "maybe"})
        await h.execute_update("decide_resolution", {**SUPERVISOR, "approved": True})
        await h.execute_update("close_case", {"actor": "li.na", "result": "paid"})
        await h.execute_update("record_callback", {"actor": "li.na", "satisfied": False})
        await h.execute_update(
            "submit_investigation",
            {"actor": "li.na", "findings": "f3", "proposed_resolution": "r3"},
        )
        await h.execute_update("decide_resolution", {**SUPERVISOR, "approved": True})
        await h.execute_update("close_case", {"actor": "li.na", "result": "paid more"})
        await h.execute_update("record_callback", {"actor": "li.na", "satisfied": True})
        await h.result()
        (HERE / f"general_full_life-{release}.json").write_text((await h.fetch_history()).to_json())

        # A crisis escalated during contact, reported, then withdrawn.
        c = await contract.start(
            env.client, intake(now.isoformat(), channel="regulator"), task_queue="record"
        )
        await c.execute_update(
            "escalate_crisis", {"actor": "li.na", "reasons": ["media called"], "people_count": 7}
        )
        await c.execute_update(
            "report_crisis", {"actor": "li.na", "level": "superior", "summary": "s"}
        )
        await env.sleep(timedelta(days=2))
        await c.execute_update(
            "designate_special",
            {
                **SUPERVISOR,
                "deadlines": {"contact_hours": 3, "investigate_days": 8, "approve_days": 2},
            },
        )
        await c.execute_update("expedite", {**SUPERVISOR, "minutes": 90})
        await c.execute_update("reassign", {"actor": "li.na", "owner": "zhao.min"})
        await c.execute_update("withdraw", {"actor": "zhao.min", "reason": "settled"})
        await c.result()
        (HERE / f"crisis_withdrawn-{release}.json").write_text((await c.fetch_history()).to_json())
    await env.shutdown()
    await pool.close()
    ledger.stop()
    print(f"recorded into {HERE} (calendar holidays {sorted(holidays)}; {date.today()})")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
