"""Policy as data (R-SLA-10) through the real app, a real worker on the time-skipping server
and a real PostgreSQL: versions entered by an administrator, the policy a new case loads, a
closure announced to one branch's running cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.worker import Replayer

from api.app import create_app
from api.auth import create_key
from domain.accountability import ZONE
from domain.vocabulary import Role
from tests.harness import TEST_CONVERTER, Harness, eventually
from tests.integration.test_api import Api
from workers import WORKFLOWS


@pytest.fixture
async def api(harness: Harness) -> AsyncIterator[Api]:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    keys = {
        "admin": await create_key(harness.pool, "admin.chen", [Role.ADMIN]),
        "supervisor": await create_key(harness.pool, "wang.qiang", [Role.SUPERVISOR]),
        "auditor": await create_key(harness.pool, "audit", [Role.AUDITOR]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, keys)


def long_ago() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).isoformat()


async def test_r_sla_10_admin_changes_a_penalty_amount_and_every_version_is_kept(
    api: Api,
) -> None:
    first = {
        "effective_from": long_ago(),
        "reason": "S3 table",
        "body": {"by_channel": {"regulator": 200}},
    }
    r = await api.post("/v1/policy/penalty", first, who="admin")
    assert r.status_code == 201, r.text
    assert r.json()["changed_by"] == "admin.chen" and r.json()["body"]["by_channel"] == {
        "regulator": 200
    }
    second = first | {
        "reason": "board decision 2026-12",
        "body": {"by_channel": {"regulator": 300, "media": 250}},
    }
    assert (await api.post("/v1/policy/penalty", second, who="admin")).status_code == 201
    denied = await api.post("/v1/policy/penalty", second, who="supervisor")
    assert denied.status_code == 403 and "admin" in denied.json()["detail"]
    bad = await api.post("/v1/policy/penalty", first | {"body": {"escalated": "lots"}}, who="admin")
    assert bad.status_code == 422 and "escalated" in bad.json()["detail"]
    listed = (await api.get("/v1/policy", who="auditor", kind="penalty")).json()
    assert [v["reason"] for v in listed] == ["S3 table", "board decision 2026-12"]
    assert listed[-1]["body"]["by_channel"] == {"regulator": 300, "media": 250}


async def test_r_sla_10_a_new_case_runs_under_the_sla_in_force_when_received(
    api: Api, harness: Harness
) -> None:
    before = await harness.start()
    old = (await harness.state(before)).clock("stage:contact")
    assert old is not None and "2 working hours" in old.label
    table = {
        "version": "2026.2",
        "limits": {
            "general": {
                "contact": {"hours": 4},
                "investigate": {"days": 3},
                "approve": {"days": 1},
                "close": {"days": 2},
                "callback": {"days": 2},
            },
            "major": {
                "contact": {"hours": 1},
                "investigate": {"days": 5},
                "approve": {"days": 2},
                "close": {"days": 2},
                "callback": {"days": 2},
            },
        },
    }
    r = await api.post(
        "/v1/policy/sla",
        {"effective_from": long_ago(), "reason": "S0 [x] = 4", "body": table},
        who="admin",
    )
    assert r.status_code == 201, r.text
    after = await harness.start()
    new = (await harness.state(after)).clock("stage:contact")
    assert new is not None and "4 working hours" in new.label
    # The case already running keeps its own policy.
    assert (await harness.state(before)).clock("stage:contact") == old


async def open_in_ledger(h: Harness, workflow_id: str) -> Any:
    return await eventually(
        lambda: h.pool.fetchval("SELECT true FROM complaints WHERE workflow_id = $1", workflow_id),
        what=f"{workflow_id} in the ledger",
    )


async def test_r_sla_10_closure_of_one_branch_moves_its_open_deadlines_and_no_other_branchs(
    api: Api, harness: Harness
) -> None:
    h = harness
    pudong = [await h.start(branch="Shanghai Pudong") for _ in range(2)]
    haidian = await h.start(branch="Beijing Haidian", owner="sun.hao", supervisor="zhou.jie")
    for handle in [*pudong, haidian]:
        await open_in_ledger(h, handle.id)
    due = {hd.id: (await h.state(hd)).clock("stage:contact") for hd in [*pudong, haidian]}
    today = (await h.now()).astimezone(ZONE).date()
    body = {
        "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=4)).isoformat(),
        "reason": "typhoon Haikui",
        "closure_key": "typhoon-haikui",
    }
    denied = await api.post("/v1/branches/Shanghai Pudong/closures", body, who="supervisor")
    assert denied.status_code == 403
    r = await api.post("/v1/branches/Shanghai Pudong/closures", body, who="admin")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "closure_key": "typhoon-haikui",
        "branch": "Shanghai Pudong",
        "new": True,
        "cases_told": 2,
    }
    for handle in pudong:
        was = due[handle.id]
        assert was is not None

        async def moved(handle: Any = handle, was: Any = was) -> Any:
            clock = (await h.state(handle)).clock("stage:contact")
            return clock if clock and clock.due_at > was.due_at else None

        clock = await eventually(moved, what="the Pudong deadline moved")
        assert "typhoon Haikui" in clock.basis
        timeline = (await h.state(handle)).timeline
        assert any("moved from" in e.detail and "R-SLA-10" in e.detail for e in timeline)
        assert (clock.due_at.astimezone(ZONE).date() - today).days > 4  # after the closure
    assert (await h.state(haidian)).clock("stage:contact") == due[haidian.id]
    assert not any("moved from" in e.detail for e in (await h.state(haidian)).timeline)
    row = await h.pool.fetchrow("SELECT cases_told, announced_by FROM branch_closures")
    assert row is not None and tuple(row) == (2, "admin.chen")
    # A case filed after the announcement loads the closure with its policy.
    later = await h.start(branch="Shanghai Pudong")
    clock = (await h.state(later)).clock("stage:contact")
    assert clock is not None and (clock.due_at.astimezone(ZONE).date() - today).days > 4
    # Histories with the batch signal in them replay.
    for handle in pudong:
        await handle.terminate("replay check")
        await Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER).replay_workflow(
            await handle.fetch_history()
        )


async def test_r_sla_10_the_version_in_force_is_the_latest_effective_one_per_branch(
    harness: Harness,
) -> None:
    """Versions by effective date: a future one is not yet in force; a branch's own working
    hours win over every branch's; all versions stay."""
    from ledger import policy as policies

    pool, now = harness.pool, datetime.now(UTC)
    await policies.add_version(
        pool, "penalty", "*", now - timedelta(days=30), {"escalated": 100}, "first", "admin.chen"
    )
    await policies.add_version(
        pool,
        "penalty",
        "*",
        now + timedelta(days=30),
        {"escalated": 300},
        "from next month",
        "admin.chen",
    )
    assert await policies.in_force(pool, "penalty", None, now) == {"escalated": 100}
    later = await policies.in_force(pool, "penalty", None, now + timedelta(days=31))
    assert later == {"escalated": 300}
    every = {"windows": [{"start": "09:00:00", "end": "17:00:00"}]}
    pudong = {"windows": [{"start": "08:00:00", "end": "16:00:00"}]}
    await policies.add_version(
        pool, "working_hours", "*", now - timedelta(days=1), every, "all", "admin.chen"
    )
    await policies.add_version(
        pool,
        "working_hours",
        "Shanghai Pudong",
        now - timedelta(days=1),
        pudong,
        "Pudong",
        "admin.chen",
    )
    assert await policies.in_force(pool, "working_hours", "Shanghai Pudong", now) == pudong
    assert await policies.in_force(pool, "working_hours", "Beijing Haidian", now) == every
    assert len(await policies.history(pool)) == 4

    # A new case runs on its branch's hours (loaded with its policy, kept in its history).
    pudong_case = await harness.state(await harness.start(branch="Shanghai Pudong"))
    contact = pudong_case.clock("stage:contact")
    assert contact is not None
    assert "08:00–16:00" in contact.basis
    other = await harness.state(await harness.start(branch="Beijing Haidian"))
    contact = other.clock("stage:contact")
    assert contact is not None
    assert "09:00–17:00" in contact.basis


def test_r_sla_10_the_statutory_source_honours_the_branch() -> None:
    """`StatutoryPolicySource.load` gives a branch its own working hours where configured."""
    from datetime import time

    from activities.policy import StatutoryPolicySource
    from domain.calendar import WorkingWindow

    early = (WorkingWindow(start=time(8), end=time(16)),)
    source = StatutoryPolicySource(windows={"Shanghai Pudong": early})
    assert source.load("Shanghai Pudong", 2026).calendar.windows == early
    assert source.load("Beijing Haidian", 2026).calendar.windows != early
