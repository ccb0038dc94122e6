"""R-CR-9: the directory of designated contacts as policy data, changed through the real HTTP app
by administrators within their branches, and crisis reports of real cases (time-skipping
Temporal, a real worker, a real PostgreSQL) climbing the chain it describes; a running case keeps
the chain it began with."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import create_key
from domain.vocabulary import Role
from launcher.dev import CONTACTS, seed_contacts
from tests.harness import Harness, eventually

OUTLET = "南京新街口支行"  # a bank outlet of the development directory, under Nanjing Gulou
UNITS = {u["unit"]: u for u in json.loads(CONTACTS.read_text())["units"]}


def users(unit: str) -> list[str]:
    return [c["user"] for c in UNITS[unit]["contacts"]]


class Keys:
    def __init__(self, http: httpx.AsyncClient, keys: dict[str, str]) -> None:
        self.http, self.keys = http, keys

    async def put(self, unit: str, who: str, **body: Any) -> httpx.Response:
        fields = {k: v for k, v in UNITS.get(unit, {}).items() if k != "unit"} | body
        payload = {"reason": "designated by the branch", "unit": fields}
        auth = {"Authorization": f"Bearer {self.keys[who]}"}
        return await self.http.put(f"/v1/contacts/{unit}", json=payload, headers=auth)

    async def listing(self, who: str) -> list[dict[str, Any]]:
        r = await self.http.get(
            "/v1/contacts", headers={"Authorization": f"Bearer {self.keys[who]}"}
        )
        assert r.status_code == 200, r.text
        body: list[dict[str, Any]] = r.json()
        return body


@pytest.fixture
async def keys(harness: Harness) -> AsyncIterator[Keys]:
    app = create_app(harness.client, harness.pool, task_queue=harness.task_queue)
    pool = harness.pool
    made = {
        "head office admin": await create_key(pool, "hq.admin", [Role.ADMIN]),
        "Nanjing admin": await create_key(pool, "nj.admin", [Role.ADMIN], ["Nanjing Gulou"]),
        "Pudong admin": await create_key(pool, "pd.admin", [Role.ADMIN], ["Shanghai Pudong"]),
        "Pudong handler": await create_key(pool, "pd.li", [Role.HANDLER], ["Shanghai Pudong"]),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Keys(http, made)


async def test_r_cr_9_the_directory_is_changed_by_admins_within_their_branches_and_validated(
    keys: Keys,
) -> None:
    # Top down: the head office first, by an administrator for every branch only.
    refused = await keys.put("Head Office", "Nanjing admin")
    assert refused.status_code == 403 and "Nanjing Gulou" in refused.json()["detail"]
    assert (await keys.put("Head Office", "head office admin")).status_code == 201
    orphan = await keys.put("Nanjing Gulou", "Nanjing admin")  # its city is not entered yet
    assert orphan.status_code == 422
    assert "its parent Nanjing is not in the directory" in orphan.json()["detail"]
    for unit in ("Jiangsu", "Nanjing", "Shanghai"):
        assert (await keys.put(unit, "head office admin")).status_code == 201
    assert (await keys.put("Nanjing Gulou", "Nanjing admin")).status_code == 201
    assert (await keys.put(OUTLET, "Nanjing admin")).status_code == 201
    # 1-2 designated people per unit; a parent a level above; another branch's unit: 403.
    three = [
        {"name": "甲", "user": "a.one"},
        {"name": "乙", "user": "b.two"},
        {"name": "丙", "user": "c.three"},
    ]
    assert (await keys.put(OUTLET, "Nanjing admin", contacts=three)).status_code == 422
    sideways = await keys.put("Nanjing Gulou", "Nanjing admin", parent=OUTLET)
    assert sideways.status_code == 422 and "not a level above" in sideways.json()["detail"]
    other = await keys.put("Nanjing Gulou", "Pudong admin")
    assert other.status_code == 403 and "Shanghai Pudong" in other.json()["detail"]
    assert (await keys.put("Shanghai Pudong", "Pudong admin")).status_code == 201
    # Each level sees its superiors' contacts; not another branch's units.
    seen = {u["unit"]: u for u in await keys.listing("Pudong handler")}
    assert set(seen) == {"Shanghai Pudong", "Shanghai", "Head Office"}
    assert seen["Shanghai Pudong"]["chain"] == ["Shanghai Pudong", "Shanghai", "Head Office"]
    everything = {u["unit"] for u in await keys.listing("head office admin")}
    assert {OUTLET, "Nanjing Gulou", "Shanghai Pudong"} <= everything
    # Every version kept, with who and why.
    history = await keys.http.get(
        "/v1/policy",
        params={"kind": "contacts"},
        headers={"Authorization": f"Bearer {keys.keys['head office admin']}"},
    )
    assert {(v["scope"], v["changed_by"]) for v in history.json()} >= {
        ("Head Office", "hq.admin"),
        (OUTLET, "nj.admin"),
    }


async def test_r_cr_9_crisis_reports_climb_the_chain_and_a_running_case_keeps_its_chain(
    harness: Harness,
) -> None:
    h = harness
    assert await seed_contacts(h.pool, CONTACTS) == len(UNITS)
    assert await seed_contacts(h.pool, CONTACTS) == 0  # once: an admin's changes stay
    outlet = {"bank": "中国邮政储蓄银行", "outlet": OUTLET, "responsible_person": "周婷"}
    handle = await h.start(
        channel="bank_outlet",
        bank_outlet=outlet,
        branch="Nanjing Gulou",
        crisis={"people_count": 6, "outlet_disrupted": True},
    )
    cid = handle.id.removeprefix("complaint-")
    # The notice to report within the hour: the supervisor and the outlet's designated person.
    told = await _crisis_notices(h, cid, 2)
    assert [n.recipient for n in told] == ["wang.qiang", *users(OUTLET)]

    # The head office changes its contacts: cases begun later report to the new ones.
    await h.pool.execute(
        "INSERT INTO policy_versions (kind, scope, effective_from, body, reason, changed_by)"
        " VALUES ('contacts', 'Head Office', $1, $2::jsonb, 'new duty officer', 'hq.admin')",
        datetime.now(UTC),
        json.dumps(
            {k: v for k, v in UNITS["Head Office"].items() if k != "unit"}
            | {"contacts": [{"name": "赵敏", "user": "zhao.min.hq"}]}
        ),
    )
    await h.act(handle, "report_crisis", level="superior", summary="6 customers at the counter")
    await h.act(handle, "report_crisis", level="headquarters", summary="handling opinion")
    sent = await _crisis_notices(h, cid, 2 + 4 + 2)
    reports = [n for n in sent if "crisis report" in n.subject]
    superior = [n.recipient for n in reports if n.recipient_role == "superior"]
    assert superior == [*users("Nanjing Gulou"), *users("Nanjing"), *users("Jiangsu")]
    hq = [n.recipient for n in reports if n.recipient_role == "headquarters"]
    assert hq == users("Head Office")  # the chain the case began with
    assert "hq.crisis-group" not in {n.recipient for n in sent}
    records = await h.pool.fetch(
        "SELECT level, person FROM crisis_records WHERE complaint_id"
        " = $1 AND kind = 'report' ORDER BY seq",
        cid,
    )
    assert [r["person"] for r in records] == [", ".join(superior), ", ".join(hq)]

    later = await h.start(branch="Shanghai Pudong", crisis={"people_count": 6})
    await h.act(later, "report_crisis", level="headquarters", summary="opinion")
    fresh = await _crisis_notices(h, later.id.removeprefix("complaint-"), 3)
    assert [n.recipient for n in fresh if n.recipient_role == "headquarters"] == ["zhao.min.hq"]


async def _crisis_notices(h: Harness, cid: str, count: int) -> list[Any]:
    async def enough() -> list[Any] | None:
        found = h.notifier.of("crisis_report", cid)
        return found if len(found) >= count else None

    result: list[Any] = await eventually(enough, what=f"{count} crisis notices of {cid}")
    return result
