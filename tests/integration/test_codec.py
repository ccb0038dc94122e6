"""Payload encryption (infra/codec.py) and the codec server (api/codec.py).

Customer names, phone and ID numbers and complaint texts must not sit readable in Temporal's
history; keys rotate without breaking old histories; staff (and only staff) see payloads
decrypted through the codec server.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import stat
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from google.protobuf import json_format
from google.protobuf.message import Message
from jwt.algorithms import RSAAlgorithm
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from api.app import create_app
from api.auth import create_key, create_ui_token, revoke_key
from api.codec import codec_router, codec_router_from_env
from api.oidc import OidcSettings, OidcVerifier
from domain.identity import VerifiedIdentity
from domain.intake import ComplaintIntake
from domain.vocabulary import Role
from infra.codec import (
    ENCODING,
    IDENTITY,
    KEY_ID,
    CodecError,
    EncryptionCodec,
    KeyRing,
    UnknownKeyError,
    data_converter,
    ensure_key_file,
    generate_key_file,
)
from infra.config import Settings
from launcher import dev
from ledger import access
from tests.harness import TEST_CONVERTER, TEST_KEY_RING, Harness, eventually
from workers import WORKFLOWS
from workflows.complaint import CASE_RULES_3, CASE_RULES_4, CASE_RULES_5, NOTICES_IN_LEDGER_OUTBOX

KEY_A = b"A" * 32
KEY_B = b"B" * 32
UI_ORIGIN = "http://localhost:8233"

# Distinctive values that appear nowhere else: if any shows in a history, it leaked.
SECRETS = {
    "name": "欧阳明远Codecscan",
    "phone": "13990017731",
    "id_number": "11010519491231771X",
    "matter": "Hail cracked the greenhouse panels at 88 Lotus Lane; the adjuster never came.",
    "demands": "Send the adjuster to Lotus Lane within a week.",
}


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


# ---------------------------------------------------------------------------------------------
# (a) Nothing readable in the history


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere in a protobuf message (maps and repeated fields included)."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is None:
                continue
            items = list(value.values())
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Payload):
                yield item
            else:
                yield from payloads_in(item)


def leaks(history: WorkflowHistory) -> set[str]:
    """Which secrets appear in the history's JSON or in its raw protobuf bytes."""
    text = history.to_json()
    raw = b"".join(event.SerializeToString() for event in history.events)
    found = set()
    for label, value in SECRETS.items():
        forms = {value, json.dumps(value)[1:-1]}  # as is, and JSON-escaped (\\uXXXX)
        if any(form in text for form in forms) or value.encode() in raw:
            found.add(label)
    return found


async def test_history_holds_no_customer_data_and_the_case_still_works(harness: Harness) -> None:
    h = harness
    handle = await h.start(
        customer={
            "name": SECRETS["name"],
            "phone": SECRETS["phone"],
            "id_number": SECRETS["id_number"],
        },
        matter=SECRETS["matter"],
        demands=SECRETS["demands"],
    )
    await h.act(handle, "record_contact", note=f"called {SECRETS['phone']}")
    await h.act(
        handle,
        "submit_investigation",
        findings=f"{SECRETS['name']} reported: {SECRETS['matter']}",
        proposed_resolution="Pay for the panels.",
    )
    # The case works on the real values: decrypted for the workflow and its activities.
    state = await h.state(handle)
    assert state.stage.value == "approve"
    assert any(SECRETS["matter"] in e.detail for e in state.timeline), state.timeline
    ack = await h.notifier.wait_for("acknowledgement")
    assert ack[0].recipient == SECRETS["phone"]
    row = await eventually(
        lambda: h.pool.fetchrow(
            "SELECT customer_name, customer_phone, customer_id_number, matter, demands"
            " FROM complaints WHERE complaint_id = $1",
            state.complaint_id,
        ),
        what="the ledger row",
    )
    assert dict(row) == {
        "customer_name": SECRETS["name"],
        "customer_phone": SECRETS["phone"],
        "customer_id_number": SECRETS["id_number"],
        "matter": SECRETS["matter"],
        "demands": SECRETS["demands"],
    }

    history = await handle.fetch_history()  # raw, as the server stores it
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == ENCODING
    [intake] = await TEST_CONVERTER.decode(started.input.payloads, [ComplaintIntake])
    assert intake.customer.phone == SECRETS["phone"] and intake.matter == SECRETS["matter"]
    assert leaks(history) == set(), "customer data readable in the history"
    found = [p for event in history.events for p in payloads_in(event)]
    encrypted = [p for p in found if p.metadata.get("encoding") == ENCODING]
    assert len(encrypted) >= 5, "inputs, updates, results and activities are encrypted"
    assert {p.metadata[KEY_ID] for p in encrypted} == {b"test-1"}
    for readable in (p for p in found if p.metadata.get("encoding") != ENCODING):
        if "type" in readable.metadata:
            continue  # a search attribute: plain by design, never customer data
        # Else only the SDK core's bookkeeping: local-activity markers, patch markers.
        data = json.loads(readable.data)
        patches = [
            {"id": NOTICES_IN_LEDGER_OUTBOX, "deprecated": True},
            {"id": CASE_RULES_3, "deprecated": False},
            {"id": CASE_RULES_4, "deprecated": False},
            {"id": CASE_RULES_5, "deprecated": False},
        ]
        assert {"seq", "activity_type"} <= set(data) or data in patches, data

    # The scan would have seen them: decrypt every payload in place and look again.
    codec = EncryptionCodec(TEST_KEY_RING)
    for payload in encrypted:
        payload.CopyFrom(codec.decrypt(payload))
    assert leaks(history) == set(SECRETS)

    # The encrypted history replays with the same ring, and after rotation (old key kept).
    await handle.terminate("codec check")
    history = await handle.fetch_history()
    await Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER).replay_workflow(history)
    rotated = data_converter(TEST_KEY_RING.rotated("test-2"))
    await Replayer(workflows=WORKFLOWS, data_converter=rotated).replay_workflow(history)
    lost = data_converter(KeyRing({"test-2": KEY_B}, "test-2"))  # the old key is gone
    with pytest.raises(Exception, match="unknown key id 'test-1'"):
        await Replayer(workflows=WORKFLOWS, data_converter=lost).replay_workflow(history)


# ---------------------------------------------------------------------------------------------
# (b) Keys and rotation


async def test_payloads_under_an_old_key_decode_after_rotation() -> None:
    old = EncryptionCodec(KeyRing({"A": KEY_A}, "A"))
    sealed = await old.encode([plain("13990017731")])
    assert sealed[0].metadata["encoding"] == ENCODING
    assert sealed[0].metadata[KEY_ID] == b"A"
    assert b"13990017731" not in sealed[0].data

    rotated = EncryptionCodec(KeyRing({"A": KEY_A, "B": KEY_B}, "B"))
    assert await rotated.decode(sealed) == [plain("13990017731")]
    newer = await rotated.encode([plain("x")])
    assert newer[0].metadata[KEY_ID] == b"B"
    assert await rotated.decode(newer) == [plain("x")]

    # Whole values through the data converter, as the worker sees them.
    value = {"phone": "13990017731"}
    encoded = await data_converter(KeyRing({"A": KEY_A}, "A")).encode([value])
    ring = KeyRing({"A": KEY_A, "B": KEY_B}, "B")
    assert await data_converter(ring).decode(encoded) == [value]


async def test_fresh_nonce_for_every_payload() -> None:
    codec = EncryptionCodec(KeyRing({"A": KEY_A}, "A"))
    first, second = await codec.encode([plain("same"), plain("same")])
    assert first.data[:12] != second.data[:12] and first.data != second.data


async def test_unknown_key_id_fails_clearly_never_silently() -> None:
    sealed = await EncryptionCodec(KeyRing({"A": KEY_A}, "A")).encode([plain("secret")])
    only_b = EncryptionCodec(KeyRing({"B": KEY_B}, "B"))
    with pytest.raises(UnknownKeyError, match=r"unknown key id 'A'.*holds 'B'"):
        await only_b.decode(sealed)

    same_id_other_key = EncryptionCodec(KeyRing({"A": KEY_B}, "A"))
    with pytest.raises(CodecError, match="failed authentication"):
        await same_id_other_key.decode(sealed)
    tampered = Payload()
    tampered.CopyFrom(sealed[0])
    tampered.data = tampered.data[:-1] + bytes([tampered.data[-1] ^ 1])
    with pytest.raises(CodecError, match="failed authentication"):
        await EncryptionCodec(KeyRing({"A": KEY_A}, "A")).decode([tampered])
    no_id = Payload(metadata={"encoding": ENCODING}, data=sealed[0].data)
    with pytest.raises(CodecError, match="without the 'encryption-key-id'"):
        await only_b.decode([no_id])


async def test_unencrypted_payloads_pass_through() -> None:
    codec = EncryptionCodec(KeyRing({"A": KEY_A}, "A"))
    payloads = [plain("recorded before encryption"), Payload(metadata={}, data=b"")]
    assert await codec.decode(payloads) == payloads


def test_key_ring_from_the_environment(tmp_path: Path) -> None:
    assert KeyRing.from_env({}) is None
    inline = json.dumps({"A": b64(KEY_A), "B": b64(KEY_B)})
    ring = KeyRing.from_env({"COMPLAINTS_CODEC_KEYS": inline})
    assert ring is not None and ring.active == "B" and ring.keys == {"A": KEY_A, "B": KEY_B}
    ring = KeyRing.from_env({"COMPLAINTS_CODEC_KEYS": inline, "COMPLAINTS_CODEC_ACTIVE_KEY": "A"})
    assert ring is not None and ring.active == "A"
    file = tmp_path / "keys.json"
    file.write_text(inline)
    ring = KeyRing.from_env({"COMPLAINTS_CODEC_KEYS_FILE": str(file)})
    assert ring is not None and ring.active == "B"
    assert "AAAA" not in repr(ring) and b64(KEY_A) not in repr(ring)  # no key material

    wrong: list[tuple[dict[str, str], str]] = [
        ({"COMPLAINTS_CODEC_KEYS": inline, "COMPLAINTS_CODEC_KEYS_FILE": str(file)}, "not both"),
        ({"COMPLAINTS_CODEC_ACTIVE_KEY": "A"}, "no keys are"),
        ({"COMPLAINTS_CODEC_KEYS": inline, "COMPLAINTS_CODEC_ACTIVE_KEY": "C"}, "'C' is not in"),
        ({"COMPLAINTS_CODEC_KEYS": "{"}, "not JSON"),
        ({"COMPLAINTS_CODEC_KEYS": "{}"}, "at least one key"),
        ({"COMPLAINTS_CODEC_KEYS": '{"A": "not base64!"}'}, "not valid base64"),
        ({"COMPLAINTS_CODEC_KEYS": json.dumps({"A": b64(b"short")})}, "AES-256 needs 32"),
        ({"COMPLAINTS_CODEC_KEYS_FILE": str(tmp_path / "missing.json")}, "cannot read"),
    ]
    for environ, message in wrong:
        with pytest.raises(CodecError, match=message):
            KeyRing.from_env(environ)


def test_key_file_is_private_and_made_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "codec-keys.json"
    ring = generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KeyRing.from_file(path) == ring
    with pytest.raises(FileExistsError):
        generate_key_file(path)
    assert ensure_key_file(path) == ring

    rotated = ring.rotated()
    path.write_text(rotated.to_json())
    assert KeyRing.from_file(path).active == rotated.active  # the new key is listed last


def test_dev_launcher_sets_up_keys_and_ui_origins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("COMPLAINTS_CODEC_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # the setup writes to it
    settings = Settings(data_dir=tmp_path / "data")
    args = argparse.Namespace(ui_port=8233, api_port=8000, headless=False)
    dev.codec_setup(args, settings)
    assert stat.S_IMODE((tmp_path / "data" / "codec-keys.json").stat().st_mode) == 0o600
    assert os.environ["COMPLAINTS_CODEC_KEYS_FILE"] == str(tmp_path / "data" / "codec-keys.json")
    assert UI_ORIGIN in os.environ["COMPLAINTS_CODEC_UI_ORIGINS"].split(",")
    ring = KeyRing.from_env()

    monkeypatch.setattr(os, "environ", {})  # a second run reuses what the first made
    dev.codec_setup(args, settings)
    assert KeyRing.from_env() == ring


def test_codec_router_from_the_environment() -> None:
    assert codec_router_from_env("default", {}) is None
    keys = json.dumps({"A": b64(KEY_A)})
    router = codec_router_from_env("default", {"COMPLAINTS_CODEC_KEYS": keys})
    assert router is not None
    assert {"/codec/decode", "/codec/encode"} <= {r.path for r in router.routes}  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# (c) The codec server


@dataclass
class CodecApi:
    http: httpx.AsyncClient
    keys: dict[str, str]
    namespace: str
    personal: dict[str, str]  # each role's personal UI codec endpoint path
    pool: Any

    def headers(self, who: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "X-Namespace": self.namespace}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.keys[who]}"
        return headers | extra


@pytest.fixture
async def codec_api(harness: Harness) -> AsyncIterator[CodecApi]:
    router = codec_router(
        EncryptionCodec(TEST_KEY_RING), namespace=harness.client.namespace, ui_origins=[UI_ORIGIN]
    )
    app = create_app(
        harness.client, harness.pool, task_queue=harness.task_queue, codec_router=router
    )
    keys = {
        role.value: await create_key(harness.pool, f"codec-{role.value}", [role]) for role in Role
    }
    personal = {}
    for role, key in keys.items():
        token = await create_ui_token(harness.pool, key.split("_")[1])
        personal[role] = f"/codec/u/{token}"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield CodecApi(http, keys, harness.client.namespace, personal, harness.pool)


async def sealed_body(*values: Any) -> str:
    """What the Web UI posts: encrypted payloads in protobuf JSON."""
    return json_format.MessageToJson(Payloads(payloads=await TEST_CONVERTER.encode(list(values))))


def values_of(response: httpx.Response) -> list[Any]:
    payloads = json_format.Parse(response.content, Payloads()).payloads
    return [json.loads(p.data) for p in payloads]


async def test_codec_server_decodes_for_staff_with_an_api_key(codec_api: CodecApi) -> None:
    body = await sealed_body({"phone": SECRETS["phone"]}, SECRETS["name"])
    assert SECRETS["phone"] not in body
    for who in ("handler", "supervisor"):
        answer = await codec_api.http.post(
            "/codec/decode", content=body, headers=codec_api.headers(who)
        )
        assert answer.status_code == 200, answer.text
        assert values_of(answer) == [{"phone": SECRETS["phone"]}, SECRETS["name"]]
        encodings = {p["metadata"]["encoding"] for p in answer.json()["payloads"]}
        assert encodings == {b64(b"json/plain")}


async def test_codec_server_refuses_everyone_else(codec_api: CodecApi) -> None:
    body = await sealed_body(SECRETS["phone"])
    post = codec_api.http.post
    unauthenticated = await post("/codec/decode", content=body, headers=codec_api.headers())
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"].startswith("Bearer")
    bad = codec_api.headers(Authorization="Bearer ck_00000000_" + "x" * 43)
    assert (await post("/codec/decode", content=body, headers=bad)).status_code == 401
    for who in ("system", "auditor"):  # they see masked numbers in the API: no plaintext here
        refused = await post("/codec/decode", content=body, headers=codec_api.headers(who))
        assert refused.status_code == 403 and "handler, supervisor" in refused.json()["detail"]
        assert SECRETS["phone"] not in refused.text
    wrong_token = await post(
        "/codec/u/cu_00000000_" + "x" * 43 + "/decode", content=body, headers=codec_api.headers()
    )
    assert wrong_token.status_code == 403
    auditors = await post(
        f"{codec_api.personal['auditor']}/decode", content=body, headers=codec_api.headers()
    )
    assert auditors.status_code == 403 and SECRETS["phone"] not in auditors.text
    other_namespace = codec_api.headers("handler", **{"X-Namespace": "elsewhere"})
    assert (await post("/codec/decode", content=body, headers=other_namespace)).status_code == 400
    garbage = await post("/codec/decode", content="nope", headers=codec_api.headers("handler"))
    assert garbage.status_code == 400


async def test_codec_server_personal_endpoint_for_the_dev_ui(codec_api: CodecApi) -> None:
    """The dev UI has no login: a person's own endpoint URL says who is looking and acting."""
    body = await sealed_body({"matter": SECRETS["matter"]})
    headers = codec_api.headers(Origin=UI_ORIGIN)  # the UI sends no Authorization
    mine = codec_api.personal["supervisor"]
    answer = await codec_api.http.post(
        f"{mine}/decode?preserveStorageRefs=true", content=body, headers=headers
    )  # fmt: skip  (as UI 2.54 calls it)
    assert answer.status_code == 200, answer.text
    assert values_of(answer) == [{"matter": SECRETS["matter"]}]
    assert answer.headers["access-control-allow-origin"] == UI_ORIGIN

    # Encode (the UI's "start workflow"/"signal" inputs) and back.
    plain_body = json_format.MessageToJson(Payloads(payloads=[plain("hello")]))
    sealed = await codec_api.http.post(f"{mine}/encode", content=plain_body, headers=headers)
    assert sealed.status_code == 200
    assert (
        json_format.Parse(sealed.content, Payloads()).payloads[0].metadata["encoding"] == ENCODING
    )
    back = await codec_api.http.post(f"{mine}/decode", content=sealed.content, headers=headers)
    assert values_of(back) == ["hello"]

    # A new endpoint replaces the old one; revoking the key ends it.
    supervisor_key = codec_api.keys["supervisor"].split("_")[1]
    renewed = await create_ui_token(codec_api.pool, supervisor_key)
    old = await codec_api.http.post(f"{mine}/decode", content=body, headers=headers)
    assert old.status_code == 403
    assert (
        await codec_api.http.post(f"/codec/u/{renewed}/decode", content=body, headers=headers)
    ).status_code == 200
    await revoke_key(codec_api.pool, supervisor_key)
    assert (
        await codec_api.http.post(f"/codec/u/{renewed}/decode", content=body, headers=headers)
    ).status_code == 403


async def test_codec_server_seals_what_it_encodes_with_the_verified_identity(
    codec_api: CodecApi,
) -> None:
    """Encoding stamps who is sending, bound to the workflow and the action the payload names
    (the codec protocol says neither); a name or role typed into the payload is replaced by the
    verified one."""
    typed = {
        "workflow_id": "complaint-C1",
        "action": "decide_resolution",
        "actor": "mallory",
        "role": "supervisor",
        "approved": True,
    }
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(typed).encode())
    forged = Payload()
    forged.CopyFrom(payload)
    forged.metadata[IDENTITY] = b'{"actor": "mallory"}'  # stripped, whoever typed it
    body = json_format.MessageToJson(Payloads(payloads=[forged]))
    encoded = await codec_api.http.post(
        f"{codec_api.personal['handler']}/encode", content=body, headers=codec_api.headers()
    )
    [outer] = json_format.Parse(encoded.content, Payloads()).payloads
    inner = EncryptionCodec(TEST_KEY_RING).decrypt(outer)
    identity = VerifiedIdentity.from_json(inner.metadata[IDENTITY])
    assert identity is not None and identity.actor == "codec-handler"
    assert identity.roles == ["handler"] and identity.via == "codec"
    assert identity.bound_to == "complaint-C1" and identity.action == "decide_resolution"
    assert json.loads(inner.data) == {"actor": "codec-handler", "role": "handler", "approved": True}
    # An identity typed into a payload that is not encrypted never survives decoding.
    assert IDENTITY not in EncryptionCodec(TEST_KEY_RING).decrypt(forged).metadata


async def test_every_decode_is_in_the_access_log(codec_api: CodecApi) -> None:
    """PIPL: who decoded which case's customer data, when, through what."""
    body = await sealed_body({"complaint_id": "C-LOGGED", "customer": SECRETS["name"]})
    await codec_api.http.post("/codec/decode", content=body, headers=codec_api.headers("handler"))
    await codec_api.http.post(
        f"{codec_api.personal['supervisor']}/decode", content=body, headers=codec_api.headers()
    )
    seen = await access.entries(codec_api.pool, complaint_id="C-LOGGED")
    assert [(a.actor, a.via) for a in reversed(seen)] == [
        ("codec-handler", "codec"),
        ("codec-supervisor", "codec:ui"),
    ]
    assert all(a.complaint_ids == ["C-LOGGED"] and a.key_id for a in seen)


async def test_codec_server_encode_needs_any_key_and_names_unknown_keys(
    codec_api: CodecApi,
) -> None:
    plain_body = json_format.MessageToJson(Payloads(payloads=[plain("hello")]))
    post = codec_api.http.post
    assert (
        await post("/codec/encode", content=plain_body, headers=codec_api.headers())
    ).status_code == 401
    sealed = await post("/codec/encode", content=plain_body, headers=codec_api.headers("auditor"))
    assert sealed.status_code == 200

    foreign = await EncryptionCodec(KeyRing({"gone": KEY_A}, "gone")).encode([plain("x")])
    body = json_format.MessageToJson(Payloads(payloads=foreign))
    failed = await post("/codec/decode", content=body, headers=codec_api.headers("handler"))
    assert failed.status_code == 422 and "unknown key id 'gone'" in failed.json()["detail"]


async def test_codec_server_cors_preflight_for_the_ui(codec_api: CodecApi) -> None:
    preflight = {
        "Origin": UI_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    for path in ("/codec/decode", f"{codec_api.personal['handler']}/decode", "/codec/encode"):
        answer = await codec_api.http.options(path, headers=preflight)
        assert answer.status_code == 204, (path, answer.text)
        assert answer.headers["access-control-allow-origin"] == UI_ORIGIN
        allowed = {h.strip() for h in answer.headers["access-control-allow-headers"].split(",")}
        assert {"content-type", "x-namespace", "authorization", "authorization-extras"} <= allowed
        assert "POST" in answer.headers["access-control-allow-methods"]
        assert answer.headers["access-control-allow-credentials"] == "true"

    stranger = await codec_api.http.options(
        "/codec/decode", headers={**preflight, "Origin": "http://evil.example"}
    )
    assert stranger.status_code == 403
    assert "access-control-allow-origin" not in stranger.headers
    # Errors carry CORS headers too, so the UI can show why.
    refused = await codec_api.http.post(
        "/codec/decode", content="{}", headers=codec_api.headers(Origin=UI_ORIGIN)
    )
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == UI_ORIGIN
    # The rest of the API is as it was.
    assert (await codec_api.http.get("/healthz")).json() == {"status": "ok"}


# ---------------------------------------------------------------------------------------------
# (d) People signed in with the identity provider (production's Web UI passes their token)


@dataclass
class Provider:
    issuer: str
    key: Any  # the provider's signing key
    jwks_url: str

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": "complaints-ui",
            "sub": "u-42",
            "iat": now,
            "exp": now + 300,
            "preferred_username": "wang.qiang",
            "complaints_roles": ["supervisor"],
        } | claims
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def provider() -> Iterator[Provider]:
    """An identity provider publishing its key at a JWKS URL (a local HTTP server)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [jwk | {"kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Provider("https://idp.example", key, f"http://127.0.0.1:{server.server_port}/jwks")
    server.shutdown()


async def test_codec_server_takes_the_identity_providers_access_tokens(
    harness: Harness, provider: Provider
) -> None:
    oidc = OidcVerifier(
        OidcSettings(issuer=provider.issuer, audience="complaints-ui", jwks_url=provider.jwks_url)
    )
    router = codec_router(EncryptionCodec(TEST_KEY_RING), oidc=oidc)
    app = create_app(
        harness.client, harness.pool, task_queue=harness.task_queue, codec_router=router
    )
    body = json_format.MessageToJson(Payloads(payloads=[plain("hello")]))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as http:

        async def encode(token: str) -> httpx.Response:
            return await http.post(
                "/codec/encode", content=body, headers={"Authorization": f"Bearer {token}"}
            )

        good = provider.token(complaints_branches=["Shanghai Pudong"])
        answer = await encode(good)
        assert answer.status_code == 200, answer.text
        [outer] = json_format.Parse(answer.content, Payloads()).payloads
        sealed = VerifiedIdentity.from_json(
            EncryptionCodec(TEST_KEY_RING).decrypt(outer).metadata[IDENTITY]
        )
        assert sealed is not None and sealed.actor == "wang.qiang"
        assert sealed.roles == ["supervisor"] and sealed.branches == ["Shanghai Pudong"]

        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(
            jwt.decode(good, options={"verify_signature": False}),
            stranger,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        for bad in (
            provider.token(exp=int(time.time()) - 10),  # expired
            provider.token(aud="someone-else"),
            provider.token(iss="https://other.example"),
            provider.token(complaints_roles=["janitor"]),  # no role here
            forged,  # signed by another key
        ):
            assert (await encode(bad)).status_code == 401
