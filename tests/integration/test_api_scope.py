"""Who may read and change what (docs/security.md, api/scope.py): every route of the real app,
every role, a key limited to the case's branch and a key limited to another branch.

The routes come from the app's own route table: a route this module's `TABLE` does not
classify fails `test_every_route_of_the_app_is_classified`, so a new route cannot go
unchecked. Per route the matrix asserts, for each role and both keys: a role the route does not
admit is 403; an admitted key of the case's branch gets its answer; one of another branch gets
404 on a read (the body of an unknown case), 403 on a change, and its lists lack the case's
branch; and the out-of-scope requests leave the ledger and the case's workflow as they were.

One module-wide world (time-skipping Temporal, a real PostgreSQL, the real worker, the real app
with its codec routes) with a few cases filed once; every test only sends requests.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from google.protobuf import json_format
from starlette.routing import BaseRoute
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.testing import WorkflowEnvironment

from api import scope
from api.action_examples import example
from api.app import create_app
from api.auth import create_key, create_ui_token
from api.codec import codec_router
from api.complaints import complaint_id_for
from domain.actions import ACTION_MODELS, ACTIONS, Who
from domain.notice_models import CustomerTemplate, CustomerWords, NoticeKind, Notification
from domain.sla import HandlingPolicy, SlaPolicy
from domain.vocabulary import Role
from infra.binaries import find
from infra.codec import EncryptionCodec
from infra.config import Settings
from infra.postgres import create_database, create_pool, drop_database
from infra.temporal import register_search_attributes
from ledger import evidence, outbox
from ledger import policy as policies
from tests.harness import (
    TEST_CONVERTER,
    TEST_KEY_RING,
    FixedPolicySource,
    RecordingNotifier,
    eventually,
    test_calendar,
)
from workers import build_worker
from workflows import contract

HOME = "Beijing Haidian"  # the cases' branch
AWAY = "Shanghai Pudong"  # the other branch
UI_ORIGIN = "http://ui.test"
# The month the cases are received in (now), and a published accountability period.
PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
DONE = "DONE-BJ-1"  # a finished case of HOME, written to the ledger directly
# R-CU-1: a decided case of HOME with its decision notice, written to the ledger directly; its
# handler is the HOME handler key's name (the letter holds the outcome: R-CR-2)
LETTERED = "DONE-BJ-2"

# The status page's settings (R-CU-2), so that staff can re-issue a link.
STATUS_LINKS = Settings(status_url="https://service.example/status", status_secret=b"s" * 32)

R = Role
ALL = tuple(Role)
ACTING = (R.SENIOR_MANAGER, R.SUPERVISOR, R.HANDLER, R.SYSTEM, R.ADMIN)
CASE_STAFF = (R.SENIOR_MANAGER, R.SUPERVISOR, R.HANDLER, R.SYSTEM)  # evidence: no admin
SEE_CUSTOMERS = (R.HANDLER, R.SUPERVISOR)
LINK_STAFF = (R.SENIOR_MANAGER, R.SUPERVISOR, R.HANDLER)  # R-CU-2: revoke, re-issue
LETTER_STAFF = (R.SENIOR_MANAGER, R.SUPERVISOR, R.HANDLER)  # R-CU-1: the decision letter
LEADS = (R.SENIOR_MANAGER, R.SUPERVISOR)  # a supervisor's actions (Who.LEADER)
REPORTS = (R.SUPERVISOR, R.AUDITOR, R.SYSTEM)
RESULTS = (R.REVIEW_GROUP, R.SUPERVISOR, R.AUDITOR, R.SYSTEM, R.ADMIN)


@dataclass(frozen=True)
class Key:
    role: Role
    branch: str
    bearer: str
    ui_token: str


@dataclass
class World:
    http: httpx.AsyncClient
    pool: asyncpg.Pool
    env: WorkflowEnvironment
    case: str  # open, HOME
    evidence_id: str
    decode_body: str  # payloads naming `case`, encrypted
    acted: str = ""  # open, HOME: the one each action's own route acts on
    keys: dict[tuple[Role, str], Key] = field(default_factory=dict)

    def key(self, role: Role, branch: str) -> Key:
        return self.keys[(role, branch)]


@dataclass(frozen=True)
class Call:
    """One request: path, query, JSON body or raw content, and how the caller is named."""

    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    by_ui_token: bool = False  # the personal codec endpoint: the key's token in the path


Kind = Literal["public", "read", "change", "list", "keyed", "national"]


@dataclass(frozen=True)
class Door:
    """How a route is reached and what it is:

    - `public`: no key (health, docs, metrics, the codec's CORS preflight);
    - `read`: one case's data (another branch's key: 404, as for an unknown case);
    - `change`: changes a case or a branch (another branch's key: 403, nothing changed);
    - `list`: many rows (another branch's key: 200 without the case's branch: `shows`);
    - `keyed`: any key, no case or branch (the codec's encode: the case checks the seal);
    - `national`: changes what every branch shares (the national calendar): any key limited
      to branches, 403, nothing changed.
    """

    kind: Kind
    roles: tuple[Role, ...]
    call: Callable[[World], Call]
    ok: frozenset[int] = frozenset({200})
    shows: Callable[[Any], bool] | None = None  # list: whether HOME's rows are in the answer


def at(
    path: str,
    *,
    params: dict[str, Any] | None = None,
    body: Any = None,
    content: Callable[[World], bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> Callable[[World], Call]:
    """A request to `path` ({case}: the open case, {evidence}: its evidence, {acted}: the
    case the actions' routes act on, {token}: the key's personal codec endpoint); `body` may
    be a function, called for each request."""

    def build(world: World) -> Call:
        return Call(
            path.format(
                case=world.case, evidence=world.evidence_id, acted=world.acted, token="{token}"
            ),
            params or {},
            body() if callable(body) else body,
            content(world) if content else None,
            headers or {},
            by_ui_token="{token}" in path,
        )

    return build


def complaint(branch: str = HOME, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"SCOPE-{uuid.uuid4().hex[:10]}",
        "channel": "hotline",
        "branch": branch,
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678", "id_number": "110101198001011234"},
        "policy_number": f"P{uuid.uuid4().hex[:8]}",
        "category": "claims settlement",
        "matter": "The claim for my car repair has not been paid after 40 days.",
        "demands": "Pay the claim in full.",
    }
    return body | overrides


def decode_body(world: World) -> bytes:
    return world.decode_body.encode()


def encode_body(world: World) -> bytes:
    return json_format.MessageToJson(Payloads(payloads=[plain({})])).encode()


def evidence_file(world: World) -> bytes:
    return b"receipt " + uuid.uuid4().hex.encode()


JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form_body(text: str) -> Callable[[World], bytes]:
    return lambda world: text.encode()


def desk_intake(world: World) -> bytes:
    """The desk's intake form filled for HOME, a new external id each time."""
    fields = {
        "external_id": f"SCOPE-{uuid.uuid4().hex[:10]}",
        "channel": "hotline",
        "branch": HOME,
        "owner": "li.na",
        "customer.name": "张伟",
        "customer.phone": "13812345678",
        "category": "claims settlement",
        "matter": "m",
        "demands": "d",
        "staff_complained_about": "zhou.kan",
    }
    return urlencode(fields).encode()


PREFLIGHT = {"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST"}
DETERMINATION = {"verdict": "effective", "reason_code": "staff_error", "direct_person": "li.na"}
HOURS = {"windows": [{"start": "09:00", "end": "17:00"}]}
HOME_HOURS = {
    "scope": HOME,
    "effective_from": "2027-01-01T00:00:00+08:00",
    "reason": "winter hours",
    "body": HOURS,
}
CLOSURE = {"first_day": "2026-10-22", "last_day": "2026-10-22", "reason": "typhoon"}
OK, CREATED, EITHER = frozenset({200}), frozenset({201}), frozenset({200, 201})
CASE = "/v1/complaints/{case}"
TEMPLATE = {"subject": "Paused", "body": "Case {{ complaint_id }} paused.", "reason": "r"}
LIBRARY_2027 = {"effective_from": "2026-12-07T00:00:00+08:00", "reason": "caught up"}
NATIONAL_2027 = {
    "effective_from": "2026-12-07T00:00:00+08:00",
    "reason": "the notice",
    "arrangement": {
        "notice": "made up for this test",
        "festivals": [
            {"name": "New Year's Day", "days_off": ["2027-01-01", "2027-01-02", "2027-01-03"]}
        ],
    },
}

HOT_SPOT = 1  # HOME's hot spot (R-AN-8), written to the ledger directly
# R-CR-9: HOME's unit of the contacts directory (its superiors are entered in `_furnish`).
HOME_UNIT = {
    "reason": "designated",
    "unit": {
        "level": "county",
        "name": "海淀支公司",
        "parent": "Beijing",
        "branch": HOME,
        "contacts": [{"name": "何静", "user": "he.jing"}],
    },
}

# Every route of the app, by (method, path template): what it is, who it admits, one request.
# fmt: off
TABLE: dict[tuple[str, str], Door] = {
    **{("GET", p): Door("public", (), at(p)) for p in (
        "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/healthz", "/readyz",
        "/metrics")},
    **{("OPTIONS", p): Door("public", (), at(p.replace("{token}", "x"), headers=PREFLIGHT),
                            frozenset({204}))
       for p in ("/codec/decode", "/codec/encode", "/codec/u/{token}/decode",
                 "/codec/u/{token}/encode")},
    ("POST", "/v1/complaints"): Door("change", (R.SYSTEM, R.HANDLER),
                                     at("/v1/complaints", body=complaint), CREATED),
    ("GET", "/v1/complaints/{complaint_id}"): Door("read", ALL, at(CASE)),
    ("GET", "/v1/complaints"): Door(
        "list", ALL, at("/v1/complaints", params={"limit": 200}),
        shows=lambda body: any(i["branch"] == HOME for i in body["items"])),
    ("GET", "/v1/complaints/{complaint_id}/timeline"): Door("read", ALL, at(CASE + "/timeline")),
    ("GET", "/v1/complaints/{complaint_id}/notices"): Door("read", ALL, at(CASE + "/notices")),
    # Each action's own route (its example as the body) lets the action through; the case
    # decides it (an admin's: refused, 409). A supervisor's action admits the leaders only.
    **{("POST", f"/v1/complaints/{{complaint_id}}/actions/{name}"): Door(
        "change", LEADS if ACTIONS[name].who is Who.LEADER else ACTING,
        at(f"/v1/complaints/{{acted}}/actions/{name}", body=example(name)),
        frozenset({200, 409}))
       for name in ACTION_MODELS},
    # The deprecated generic route: a known action's path is its own route's, so here an
    # unknown one (404 within the key's branches; outside them 403 first).
    ("POST", "/v1/complaints/{complaint_id}/actions/{action}"): Door(
        "change", ACTING, at(CASE + "/actions/no_such_action", body={}), frozenset({404})),
    ("POST", "/v1/complaints/{complaint_id}/evidence"): Door(
        "change", CASE_STAFF, at(CASE + "/evidence", params={"filename": "receipt.txt"},
                                 content=evidence_file, headers={"Content-Type": "text/plain"}),
        CREATED),
    ("GET", "/v1/complaints/{complaint_id}/evidence"): Door(
        "read", SEE_CUSTOMERS, at(CASE + "/evidence")),
    ("GET", "/v1/complaints/{complaint_id}/evidence/{evidence_id}"): Door(
        "read", SEE_CUSTOMERS, at(CASE + "/evidence/{evidence}")),
    ("GET", "/v1/access-log"): Door(
        "read", (R.AUDITOR,), lambda w: Call("/v1/access-log", {"complaint_id": w.case})),
    ("GET", "/v1/reports/monthly"): Door(
        "list", REPORTS, at("/v1/reports/monthly", params={"period": PERIOD}),
        shows=lambda body: HOME in body["by_branch"]),
    ("POST", "/v1/complaints/{complaint_id}/determination"): Door(
        "change", (R.SUPERVISOR,), at(f"/v1/complaints/{DONE}/determination",
                                      body=DETERMINATION), EITHER),
    ("GET", "/v1/complaints/{complaint_id}/determination"): Door(
        "read", REPORTS, at(f"/v1/complaints/{DONE}/determination")),
    ("POST", "/v1/complaints/{complaint_id}/determination/referral"): Door(  # R-AN-7
        "change", (R.REVIEW_GROUP, R.SUPERVISOR),
        at(f"/v1/complaints/{DONE}/determination/referral",
           body={"business_line": "claims", "reason": "undecidable"}), EITHER),
    ("POST", "/v1/policy/{kind}"): Door(
        "change", (R.ADMIN,), at("/v1/policy/working_hours", body=HOME_HOURS), CREATED),
    ("GET", "/v1/policy"): Door(
        "list", (R.ADMIN, R.SUPERVISOR, R.AUDITOR), at("/v1/policy"),
        shows=lambda body: any(v["scope"] == HOME for v in body)),
    **{("POST", p): Door("national", (R.ADMIN,), at(p.format(year=2027), body=body), CREATED)
       for p, body in (("/v1/calendar/{year}", NATIONAL_2027),
                       ("/v1/calendar/{year}/library", LIBRARY_2027))},
    ("GET", "/v1/calendar"): Door("keyed", (R.ADMIN, R.SUPERVISOR, R.AUDITOR), at("/v1/calendar")),
    ("POST", "/v1/notice-templates/{template}/{language}"): Door(
        "national", (R.ADMIN,), at("/v1/notice-templates/paused/en", body=TEMPLATE), CREATED),
    **{("GET", p): Door("keyed", (R.ADMIN, R.SUPERVISOR, R.AUDITOR), at(p.format(
        template="paused", language="zh"))) for p in (
        "/v1/notice-templates", "/v1/notice-templates/{template}/{language}")},
    # R-CU-2: the customer's status page needs no key (an unknown token: 404); its link is
    # revoked or re-issued by the case's staff.
    **{("GET", p): Door("public", (), at(p.format(token="no-such-token")), frozenset({404}))
       for p in ("/status/{token}", "/status/{token}.json")},
    ("POST", "/v1/complaints/{complaint_id}/status-link"): Door(
        "change", LINK_STAFF, at(CASE + "/status-link")),
    ("POST", "/v1/complaints/{complaint_id}/status-link/revoke"): Door(
        "change", LINK_STAFF, at(CASE + "/status-link/revoke")),
    # R-CU-1: the decision notice as a printable letter, from the API and from the desk
    ("GET", "/v1/complaints/{complaint_id}/decision-letter"): Door(
        "read", LETTER_STAFF, at(f"/v1/complaints/{LETTERED}/decision-letter")),
    ("GET", "/desk/cases/{complaint_id}/decision-letter"): Door(
        "read", LETTER_STAFF, at(f"/desk/cases/{LETTERED}/decision-letter")),
    ("POST", "/v1/branches/{branch}/closures"): Door(
        "change", (R.ADMIN,), at(f"/v1/branches/{HOME}/closures", body=CLOSURE)),
    ("GET", "/v1/accountability/{period}/results"): Door(
        "list", RESULTS, at(f"/v1/accountability/{PERIOD}/results", params={"format": "json"}),
        shows=lambda body: any(r["branch"] == HOME for r in body)),
    # R-AN-8: causes and hot spots
    ("GET", "/v1/causes"): Door("keyed", ALL, at("/v1/causes")),
    ("GET", "/v1/hot-spots"): Door(
        "list", (R.SUPERVISOR, R.AUDITOR, R.ADMIN), at("/v1/hot-spots"),
        shows=lambda body: any(s["branch"] == HOME for s in body)),
    ("POST", "/v1/hot-spots/{hot_spot_id}/assignment"): Door(
        "change", (R.SUPERVISOR, R.ADMIN),
        at(f"/v1/hot-spots/{HOT_SPOT}/assignment", body={"owner": "zhou.min"})),
    # The first admitted role records it; the next one finds it closed (409).
    ("POST", "/v1/hot-spots/{hot_spot_id}/rectification"): Door(
        "change", (R.SUPERVISOR, R.ADMIN),
        at(f"/v1/hot-spots/{HOT_SPOT}/rectification", body={"rectification": "retrained"}),
        frozenset({200, 409})),
    # R-CR-9: the contacts directory
    ("GET", "/v1/contacts"): Door(
        "list", ALL, at("/v1/contacts"), shows=lambda body: any(u["unit"] == HOME for u in body)),
    ("PUT", "/v1/contacts/{unit}"): Door(
        "change", (R.ADMIN,), at(f"/v1/contacts/{HOME}", body=HOME_UNIT), CREATED),
    # R-CR-11: a peer's crisis warns the crisis group: nationwide (a key for every branch).
    ("POST", "/v1/crisis/peer-warnings"): Door(
        "national", LEADS, at("/v1/crisis/peer-warnings", body={"peer": "p", "detail": "d"}),
        CREATED),
    **{("POST", p): Door("read", SEE_CUSTOMERS, at(p, content=decode_body, headers=JSON))
       for p in ("/codec/decode", "/codec/u/{token}/decode")},
    **{("POST", p): Door("keyed", ALL, at(p, content=encode_body, headers=JSON))
       for p in ("/codec/encode", "/codec/u/{token}/encode")},
    # The complaint desk (api/desk/): pages for people, the same identity and the same scope.
    # Its errors answer these (non-browser) requests as the API does; `shows` reads its HTML.
    # Sign-in: public; its POST without the form's CSRF token is 403, sign-out without a
    # session a redirect.
    ("GET", "/desk/login"): Door("public", (), at("/desk/login")),
    ("POST", "/desk/login"): Door("public", (), at("/desk/login", content=form_body("key=x"),
                                                  headers=FORM), frozenset({403})),
    ("POST", "/desk/logout"): Door("public", (), at("/desk/logout"), frozenset({303})),
    ("GET", "/desk"): Door("keyed", ALL, at("/desk"), frozenset({303})),
    # Only the key's own cases (owner = its name), within its branches.
    ("GET", "/desk/queue/mine"): Door("keyed", ALL, at("/desk/queue/mine")),
    ("GET", "/desk/queue/team"): Door("list", ALL, at("/desk/queue/team"),
                                      shows=lambda page: HOME in page),
    ("GET", "/desk/dashboard"): Door("list", ALL, at("/desk/dashboard"),
                                     shows=lambda page: HOME in page),
    ("GET", "/desk/report"): Door("list", REPORTS, at("/desk/report", params={"period": PERIOD}),
                                  shows=lambda page: HOME in page),
    ("GET", "/desk/cases/{complaint_id}"): Door("read", ALL, at("/desk/cases/{case}")),
    # The form of an action the role may take at all (the admin's and auditor's: 403).
    ("GET", "/desk/cases/{complaint_id}/act/{action}"): Door(
        "read", CASE_STAFF, at("/desk/cases/{case}/act/flag_customer"), frozenset({200, 409})),
    # Accepted: a redirect to the case; refused by the case (already flagged): its page, 409.
    ("POST", "/desk/cases/{complaint_id}/act/{action}"): Door(
        "change", CASE_STAFF, at("/desk/cases/{case}/act/flag_customer",
                                 content=form_body("flags=violent"), headers=FORM),
        frozenset({303, 409})),
    # Ready-made Web UI views: a redirect to the UI's list, bounded by the key's branches.
    ("GET", "/desk/views/{view}"): Door("keyed", ALL, at("/desk/views/due-today"),
                                        frozenset({303})),
    # The intake form (R-CU-6: with the staff complained about): filing for HOME.
    ("GET", "/desk/file"): Door("keyed", (R.SYSTEM, R.HANDLER), at("/desk/file")),
    ("POST", "/desk/file"): Door(
        "change", (R.SYSTEM, R.HANDLER), at("/desk/file", content=desk_intake, headers=FORM),
        frozenset({303})),
    ("POST", "/desk/bulk/reassign"): Door(
        "change", CASE_STAFF, at("/desk/bulk/reassign", content=lambda w: (
            f"cid={w.case}&owner=li.na".encode()), headers=FORM)),
}
# fmt: on


def plain(data: dict[str, Any]) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(data).encode())


def routes_of(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app answers, included routers flattened."""

    def walk(routes: list[BaseRoute]) -> Iterator[tuple[str, str]]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
                continue
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    yield method, getattr(route, "path", "?")

    yield from walk(app.routes)


# ---------------------------------------------------------------------------------------------
# The world


@pytest.fixture(scope="module")
async def world(pg_server: str, migrated_template: str) -> AsyncIterator[World]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER, test_server_existing_path=find("temporal-test-server")
    )
    name = f"test_{uuid.uuid4().hex[:16]}"
    dsn = await create_database(pg_server, name, template=migrated_template)
    pool = await create_pool(dsn, min_size=1, max_size=8)
    try:
        await register_search_attributes(env.client, contract.SEARCH_ATTRIBUTES)
        queue = f"scope-{uuid.uuid4().hex[:8]}"
        policy = FixedPolicySource(HandlingPolicy(calendar=test_calendar(), sla=SlaPolicy()))
        worker = build_worker(
            env.client,
            pool=pool,
            task_queue=queue,
            sender=RecordingNotifier(),
            policy_source=policy,
        )
        async with worker:
            codec = codec_router(EncryptionCodec(TEST_KEY_RING), ui_origins=[UI_ORIGIN])
            app = create_app(
                env.client,
                pool,
                task_queue=queue,
                codec_router=codec,
                key_ring=TEST_KEY_RING,
                settings=STATUS_LINKS,
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
                yield await _furnish(http, pool, env)
    finally:
        await pool.close()
        await env.shutdown()
        await drop_database(pg_server, name)


async def _furnish(http: httpx.AsyncClient, pool: asyncpg.Pool, env: WorkflowEnvironment) -> World:
    """Keys for each role in HOME and in AWAY; an open case of HOME with evidence; a finished
    one; HOME's own working hours; a published accountability period with both branches."""
    intake = await create_key(pool, "intake", [Role.SYSTEM])
    filed = await http.post(
        "/v1/complaints", json=complaint(), headers={"Authorization": f"Bearer {intake}"}
    )
    assert filed.status_code == 201, filed.text
    cid = filed.json()["complaint"]["complaint_id"]
    await eventually(lambda: _in_ledger(pool, cid), what="the case in the ledger")
    acted = await http.post(
        "/v1/complaints", json=complaint(), headers={"Authorization": f"Bearer {intake}"}
    )
    assert acted.status_code == 201, acted.text
    acted_id = acted.json()["complaint"]["complaint_id"]
    await eventually(lambda: _in_ledger(pool, acted_id), what="the acted case in the ledger")
    attached, _ = await evidence.attach(
        pool,
        TEST_KEY_RING,
        complaint_id=cid,
        owner_kind="case",
        owner_id=cid,
        filename="photo.png",
        media_type="image/png",
        content=b"\x89PNG scope",
        uploaded_by="li.na",
    )
    await pool.execute(
        "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, category,"
        " grade, stage, outcome, customer_name, customer_phone, matter, demands, received_at)"
        " VALUES ($1, 'complaint-' || $1, 'hotline', $2, 'li.na', 'claims settlement',"
        " 'general', 'closed', 'resolved', '王芳', '13900001111', 'm', 'd', now())",
        DONE,
        HOME,
    )
    await _lettered(pool)
    await policies.add_version(
        pool,
        "working_hours",
        HOME,
        datetime(2026, 1, 1, tzinfo=UTC),
        HOURS,
        "branch hours",
        "admin",
    )
    # R-CR-9: the directory's head office, HOME's and AWAY's provinces and units.
    since = datetime(2026, 1, 1, tzinfo=UTC)
    for unit, level, parent, branch in (
        ("Head Office", "head_office", None, None),
        ("Beijing", "province", "Head Office", None),
        ("Shanghai", "province", "Head Office", None),
        (HOME, "county", "Beijing", HOME),
        (AWAY, "county", "Shanghai", AWAY),
    ):
        body = {
            "level": level,
            "name": unit,
            "parent": parent,
            "branch": branch,
            "contacts": [{"name": "联系人", "user": f"contact.{level}"}],
        }
        await policies.add_version(pool, "contacts", unit, since, body, "directory", "admin")
    # R-AN-8: a hot spot of HOME (id 1).
    await pool.execute(
        "INSERT INTO hot_spots (hot_spot_id, period, branch, dimension, key, count,"
        " trailing_counts, trailing_mean) VALUES ($1, $2, $3, 'cause', 'claims_handling', 6,"
        " '{1,2,3}', 2)",
        HOT_SPOT,
        PERIOD,
        HOME,
    )
    await pool.execute(
        "INSERT INTO accountability_cycles (period, starts_on, ends_on, appeal_until, status,"
        " compiled_at, published_at) VALUES ($1, current_date, current_date, now(), 'published',"
        " now(), now())",
        PERIOD,
    )
    await pool.executemany(
        "INSERT INTO accountability_items (period, complaint_id, person, responsibility, reasons,"
        " proposed_min, proposed_max, decided_penalty, final, branch)"
        " VALUES ($1, $2, $3, 'direct', '{late}', 100, 200, 100, true, $4)",
        [(PERIOD, DONE, "li.na", HOME), (PERIOD, cid, "zhou.min", AWAY)],
    )
    sealed = await EncryptionCodec(TEST_KEY_RING).encode([plain({"complaint_id": cid})])
    world = World(
        http,
        pool,
        env,
        cid,
        attached.evidence_id,
        json_format.MessageToJson(Payloads(payloads=sealed)),
        acted_id,
    )
    for role in Role:
        for branch in (HOME, AWAY):
            bearer = await create_key(pool, f"{role.value}@{branch}", [role], [branch])
            token = await create_ui_token(pool, bearer.split("_")[1])
            assert token is not None
            world.keys[(role, branch)] = Key(role, branch, bearer, token)
    return world


async def _lettered(pool: asyncpg.Pool) -> None:
    """LETTERED: decided, its decision notice in the outbox (R-CU-1)."""
    await pool.execute(
        "INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, supervisor,"
        " category, grade, stage, outcome, customer_name, customer_phone, matter, demands,"
        " received_at, decided_at) VALUES ($1, 'complaint-' || $1, 'hotline', $2, $3, $4,"
        " 'claims settlement', 'general', 'callback', 'resolved', '王芳', '13900001111', 'm',"
        " 'd', now(), now())",
        LETTERED,
        HOME,
        f"{R.HANDLER.value}@{HOME}",
        f"{R.SUPERVISOR.value}@{HOME}",
    )
    words = CustomerWords(
        template=CustomerTemplate.DECISION,
        complaint_id=LETTERED,
        handler=f"{R.HANDLER.value}@{HOME}",
        outcome="paid",
        review_by=date(2027, 1, 6),
    )
    async with pool.acquire() as conn:
        await outbox.enqueue(
            conn,
            [
                Notification(
                    key=f"complaint-{LETTERED}:n2",
                    complaint_id=LETTERED,
                    kind=NoticeKind.CUSTOMER_NOTICE,
                    recipient_role="customer",
                    recipient="13900001111",
                    channels=["sms"],
                    subject="投诉处理结果 / decision on your complaint",
                    body="Your complaint has been decided. Outcome: paid",
                    words=words,
                )
            ],
        )


async def _in_ledger(pool: asyncpg.Pool, cid: str) -> bool:
    return bool(await pool.fetchval("SELECT true FROM complaints WHERE complaint_id = $1", cid))


async def send(world: World, route: tuple[str, str], key: Key | None) -> httpx.Response:
    call = TABLE[route].call(world)
    headers = dict(call.headers)
    path = call.path
    if key is not None and call.by_ui_token:
        path = path.replace("/u/{token}/", f"/u/{key.ui_token}/")
    elif key is not None:
        headers["Authorization"] = f"Bearer {key.bearer}"
    return await world.http.request(
        route[0], path, params=call.params, json=call.body, content=call.content, headers=headers
    )


def _body(answer: httpx.Response) -> Any:
    """JSON, or a page's text (the desk)."""
    if answer.headers.get("content-type", "").startswith("text/html"):
        return answer.text
    return answer.json()


async def trace(world: World) -> tuple[Any, ...]:
    """What a change would leave behind: the ledger's rows and the open case's timeline."""
    counts = await world.pool.fetchrow(
        "SELECT (SELECT count(*) FROM complaints) AS complaints,"
        " (SELECT count(*) FROM complaint_events) AS events,"
        " (SELECT count(*) FROM notifications) AS notices,"
        " (SELECT count(*) FROM evidence) AS evidence,"
        " (SELECT count(*) FROM determinations) AS determinations,"
        " (SELECT string_agg(d.decided_at::text, ',') FROM determinations d) AS decided,"
        " (SELECT count(*) FROM policy_versions) AS policies,"
        " (SELECT count(*) FROM branch_closures) AS closures,"
        " (SELECT count(*) FROM access_log) AS accesses,"
        " (SELECT count(*) FROM peer_warnings) AS peer_warnings,"
        " (SELECT string_agg(concat_ws('|', owner, due_on, rectified_by), ',') FROM hot_spots)"
        " AS hot_spots"
    )
    assert counts is not None
    state = await contract.state(world.env.client, world.case)
    return (*counts.values(), len(state.timeline))


async def settled(world: World) -> tuple[Any, ...]:
    """`trace` once the worker has finished what earlier requests started (bounded)."""
    last = await trace(world)
    for _ in range(50):
        await asyncio.sleep(0.1)
        now = await trace(world)
        if now == last:
            return now
        last = now
    raise AssertionError("the ledger kept changing for 5 s")


# ---------------------------------------------------------------------------------------------
# The tests


async def test_every_route_of_the_app_is_classified(world: World) -> None:
    """A new route fails here until TABLE says who may use it and how its scope applies."""
    transport = world.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI)
    served = set(routes_of(app))
    assert served - TABLE.keys() == set(), "routes without a row in TABLE"
    assert TABLE.keys() - served == set(), "rows of TABLE for routes the app does not serve"


@pytest.mark.parametrize("route", sorted(TABLE), ids=lambda r: f"{r[0]} {r[1]}")
async def test_route_admits_its_roles_within_the_key_branches_only(
    world: World, route: tuple[str, str]
) -> None:
    door = TABLE[route]
    if door.kind == "public":
        answer = await send(world, route, None)
        assert answer.status_code in door.ok, answer.text
        return
    # Another branch's keys first: whatever they send must leave no trace.
    before = await settled(world)
    for role in Role:
        answer = await send(world, route, world.key(role, AWAY))
        what = f"{role.value} of {AWAY}: {answer.status_code} {answer.text[:300]}"
        if role not in door.roles:
            assert answer.status_code == 403, what
        elif door.kind == "read":
            assert answer.status_code == 404, what
            assert answer.json()["detail"].startswith("no complaint "), what
        elif door.kind in ("change", "national"):
            assert answer.status_code == 403, what
            assert AWAY in answer.json()["detail"], what
        elif door.kind == "list":
            assert answer.status_code in door.ok, what
            assert door.shows is not None and not door.shows(_body(answer)), what
        else:
            assert answer.status_code in door.ok, what
    if door.kind != "keyed":
        assert await settled(world) == before, "a request outside the key's branches left a trace"
    # The case's own branch: admitted roles get their answer, the others 403.
    for role in Role:
        answer = await send(world, route, world.key(role, HOME))
        what = f"{role.value} of {HOME}: {answer.status_code} {answer.text[:300]}"
        if role not in door.roles or door.kind == "national":
            assert answer.status_code == 403, what
            continue
        assert answer.status_code in door.ok, what
        if door.kind == "list":
            assert door.shows is not None and door.shows(_body(answer)), what


async def test_a_read_outside_the_key_branches_is_answered_as_an_unknown_case(
    world: World,
) -> None:
    """Out of scope and unknown: the same status and the same body (existence not confirmed)."""
    away = {"Authorization": f"Bearer {world.key(R.HANDLER, AWAY).bearer}"}
    for suffix in ("", "/timeline", "/notices", "/evidence", "/determination"):
        who = world.key(R.SUPERVISOR, AWAY).bearer if suffix == "/determination" else None
        headers = {"Authorization": f"Bearer {who}"} if who else away
        target = DONE if suffix == "/determination" else world.case
        hidden = await world.http.get(f"/v1/complaints/{target}{suffix}", headers=headers)
        unknown = await world.http.get(f"/v1/complaints/NOSUCH{suffix}", headers=headers)
        assert (hidden.status_code, unknown.status_code) == (404, 404), suffix
        assert hidden.json()["detail"].replace(target, "X") == unknown.json()["detail"].replace(
            "NOSUCH", "X"
        ), suffix


async def test_a_search_or_report_asking_for_another_branch_is_403(world: World) -> None:
    away = {"Authorization": f"Bearer {world.key(R.SUPERVISOR, AWAY).bearer}"}
    search = await world.http.get("/v1/complaints", params={"branch": HOME}, headers=away)
    assert search.status_code == 403 and HOME in search.json()["detail"], search.text
    report = await world.http.get(
        "/v1/reports/monthly", params={"period": PERIOD, "branch": "Beijing"}, headers=away
    )
    assert report.status_code == 403, report.text
    own = await world.http.get(
        "/v1/reports/monthly", params={"period": PERIOD, "branch": "Shanghai"}, headers=away
    )
    assert own.status_code == 200 and own.json()["branches"] == [AWAY], own.text


async def test_a_policy_for_every_branch_needs_an_admin_key_for_every_branch(
    world: World,
) -> None:
    """A key limited to branches changes their working hours only, never every branch's."""
    change = {
        "scope": "*",
        "effective_from": "2027-01-01T00:00:00+08:00",
        "reason": "national",
        "body": HOURS,
    }
    scoped = {"Authorization": f"Bearer {world.key(R.ADMIN, HOME).bearer}"}
    refused = await world.http.post("/v1/policy/working_hours", json=change, headers=scoped)
    assert refused.status_code == 403 and "every branch" in refused.json()["detail"]
    sla = await world.http.post("/v1/policy/sla", json=change | {"body": {}}, headers=scoped)
    assert sla.status_code == 403, sla.text
    everywhere = await create_key(world.pool, "head office admin", [R.ADMIN])
    done = await world.http.post(
        "/v1/policy/working_hours", json=change, headers={"Authorization": f"Bearer {everywhere}"}
    )
    assert done.status_code == 201, done.text


async def test_an_admin_key_may_not_attach_evidence(world: World) -> None:
    """Administrators take no part in a case's handling: not even its evidence."""
    for scope_ in (world.key(R.ADMIN, HOME).bearer, await create_key(world.pool, "a", [R.ADMIN])):
        answer = await world.http.post(
            f"/v1/complaints/{world.case}/evidence",
            params={"filename": "x.txt"},
            content=b"from an admin",
            headers={"Authorization": f"Bearer {scope_}", "Content-Type": "text/plain"},
        )
        assert answer.status_code == 403 and "admin" in answer.json()["detail"], answer.text


async def test_filing_for_another_branch_is_403_and_files_nothing(world: World) -> None:
    away = {"Authorization": f"Bearer {world.key(R.HANDLER, AWAY).bearer}"}
    body = complaint(HOME)
    refused = await world.http.post("/v1/complaints", json=body, headers=away)
    assert refused.status_code == 403 and HOME in refused.json()["detail"], refused.text
    cid = complaint_id_for(body["external_id"])  # nothing started: no workflow, no ledger row
    assert await scope.case_branch(world.env.client, world.pool, cid) is None
    count = await world.pool.fetchval(
        "SELECT count(*) FROM external_ids WHERE external_id = $1", body["external_id"]
    )
    assert count == 0
