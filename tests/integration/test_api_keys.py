"""API keys (`api/auth.py`, `api/keys.py`): bearer keys mapped to roles, stored hashed.

Against a real PostgreSQL (a fresh migrated database per test, `tests/pg.py`) and a real
FastAPI app driven over ASGI; the CLI runs as a subprocess on the test's database.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import asyncpg
import httpx
import pytest
from fastapi import Depends, FastAPI

from api import auth
from api.auth import (
    Identity,
    KeyInfo,
    authenticate,
    create_key,
    list_keys,
    require,
    revoke_key,
)
from api.keys import main as keys_main
from domain.vocabulary import Role
from infra.config import PROJECT_ROOT

KEY = re.compile(r"ck_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")


def make_app(pool: asyncpg.Pool) -> FastAPI:
    app = FastAPI()
    app.state.pool = pool

    @app.get("/me")
    async def me(identity: Annotated[Identity, Depends(require())]) -> Identity:
        return identity

    @app.post("/approvals")
    async def approve(identity: Annotated[Identity, Depends(require(Role.SUPERVISOR))]) -> str:
        return f"approved by {identity.name}"

    @app.post("/cases")
    async def file_case(
        identity: Annotated[Identity, Depends(require(Role.SYSTEM, Role.HANDLER))],
    ) -> str:
        return f"filed by {identity.name}"

    return app


@pytest.fixture
async def client(pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def split(key: str) -> tuple[str, str]:
    match = KEY.fullmatch(key)
    assert match, key
    return match[1], match[2]


async def test_a_new_key_authenticates_with_its_roles(
    pool: asyncpg.Pool, client: httpx.AsyncClient
) -> None:
    key = await create_key(pool, "callcentre", [Role.SYSTEM, Role.HANDLER, Role.SYSTEM])
    key_id, _ = split(key)

    identity = await authenticate(pool, key)
    assert identity == Identity(
        name="callcentre", key_id=key_id, roles=frozenset({Role.SYSTEM, Role.HANDLER})
    )
    me = await client.get("/me", headers=bearer(key))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "name": "callcentre",
        "key_id": key_id,
        "roles": ["system", "handler"],
        "branches": None,
    }
    assert (await client.post("/cases", headers=bearer(key))).json() == "filed by callcentre"
    # the scheme "bearer" is case-insensitive
    lower = await client.get("/me", headers={"Authorization": f"bearer {key}"})
    assert lower.status_code == 200


async def test_only_the_hash_of_the_secret_is_stored(pool: asyncpg.Pool) -> None:
    key = await create_key(pool, "callcentre", [Role.SYSTEM])
    key_id, secret = split(key)

    row = await pool.fetchrow("SELECT * FROM api_keys WHERE key_id = $1", key_id)
    assert row is not None
    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert (row["name"], row["roles"], row["revoked_at"]) == ("callcentre", ["system"], None)
    everything = "\n".join(await pool.fetchval("SELECT array_agg(t::text) FROM api_keys t"))
    assert secret not in everything and key not in everything

    listed = await list_keys(pool)
    assert [(k.key_id, k.name, k.roles, k.active) for k in listed] == [
        (key_id, "callcentre", frozenset({Role.SYSTEM}), True)
    ]
    assert "key_hash" not in KeyInfo.model_fields
    assert row["key_hash"] not in listed[0].model_dump_json()


REFUSED: dict[str, tuple[Callable[[str], dict[str, str]], str]] = {
    "missing header": (lambda key: {}, "missing API key"),
    "empty header": (lambda key: {"Authorization": ""}, "missing API key"),
    "basic scheme": (lambda key: {"Authorization": f"Basic {key}"}, "scheme 'Basic'"),
    "no token": (lambda key: {"Authorization": "Bearer"}, "malformed API key"),
    "not a key": (lambda key: bearer("hello"), "malformed API key"),
    "no prefix": (lambda key: bearer(key.removeprefix("ck_")), "malformed API key"),
    "short secret": (lambda key: bearer(key[:-1]), "malformed API key"),
    "upper-case id": (lambda key: bearer("ck_ABCDEF12" + key[11:]), "malformed API key"),
    "wrong secret": (
        lambda key: bearer(key[:12] + ("A" if key[12] != "A" else "B") + key[13:]),
        "invalid API key",
    ),
    "unknown id": (lambda key: bearer("ck_00000000" + key[11:]), "invalid API key"),
}


async def test_a_request_without_a_valid_key_is_401(
    pool: asyncpg.Pool, client: httpx.AsyncClient
) -> None:
    key = await create_key(pool, "callcentre", [Role.SUPERVISOR])
    assert (await client.get("/me", headers=bearer(key))).status_code == 200

    for case, (headers, detail) in REFUSED.items():
        for method, path in (("GET", "/me"), ("POST", "/approvals")):
            response = await client.request(method, path, headers=headers(key))
            assert response.status_code == 401, (case, response.text)
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), case
            assert detail in response.json()["detail"], (case, response.text)
        scheme, _, token = headers(key).get("Authorization", "").partition(" ")
        if scheme == "Bearer":
            assert await authenticate(pool, token) is None, case


async def test_a_revoked_key_is_refused_at_once(
    pool: asyncpg.Pool, client: httpx.AsyncClient
) -> None:
    key = await create_key(pool, "callcentre", [Role.SYSTEM])
    other = await create_key(pool, "crm", [Role.SYSTEM])
    key_id, _ = split(key)
    assert (await client.get("/me", headers=bearer(key))).status_code == 200  # now cached

    assert await revoke_key(pool, key_id) is True
    response = await client.get("/me", headers=bearer(key))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await client.get("/me", headers=bearer(other))).status_code == 200

    first = await pool.fetchval("SELECT revoked_at FROM api_keys WHERE key_id = $1", key_id)
    assert await revoke_key(pool, key_id) is True  # again: a no-op keeping the first time
    assert await pool.fetchval("SELECT revoked_at FROM api_keys WHERE key_id = $1", key_id) == first
    assert await revoke_key(pool, "00000000") is False
    assert await revoke_key(pool, "not an id") is False
    assert {k.key_id: k.active for k in await list_keys(pool)} == {
        key_id: False,
        split(other)[0]: True,
    }


async def test_a_key_revoked_elsewhere_is_refused_within_the_cache_time(
    pool: asyncpg.Pool, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.3)
    key = await create_key(pool, "callcentre", [Role.SYSTEM])
    assert await authenticate(pool, key) is not None

    elsewhere = await asyncpg.connect(database)  # like the CLI: another process
    try:
        await elsewhere.execute("UPDATE api_keys SET revoked_at = now()")
    finally:
        await elsewhere.close()
    assert await authenticate(pool, key) is not None, "the cache is not in use"
    await asyncio.sleep(0.35)
    assert await authenticate(pool, key) is None


async def test_a_missing_role_is_403_naming_it(
    pool: asyncpg.Pool, client: httpx.AsyncClient
) -> None:
    handler = await create_key(pool, "desk", [Role.HANDLER])
    supervisor = await create_key(pool, "wang.qiang", [Role.SUPERVISOR])

    refused = await client.post("/approvals", headers=bearer(handler))
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == (
        "this needs the role supervisor; the API key 'desk' has: handler"
    )
    assert (await client.post("/approvals", headers=bearer(supervisor))).status_code == 200

    # a supervisor is no handler: roles do not include one another
    refused = await client.post("/cases", headers=bearer(supervisor))
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "this needs one of the roles system, handler; the API key 'wang.qiang' has: supervisor"
    )
    assert (await client.post("/cases", headers=bearer(handler))).status_code == 200
    assert (await client.get("/me", headers=bearer(supervisor))).status_code == 200


async def test_a_key_needs_a_name_and_a_role(pool: asyncpg.Pool) -> None:
    with pytest.raises(ValueError, match="name"):
        await create_key(pool, "  ", [Role.SYSTEM])
    with pytest.raises(ValueError, match="role"):
        await create_key(pool, "callcentre", [])
    with pytest.raises(ValueError):
        await create_key(pool, "callcentre", ["superuser"])  # type: ignore[list-item]
    assert await list_keys(pool) == []


def test_identity_has_any_of_the_roles_asked() -> None:
    who = Identity(name="desk", key_id="0123abcd", roles=frozenset({Role.HANDLER}))
    assert who.has(Role.HANDLER)
    assert who.has(Role.SUPERVISOR, Role.HANDLER)
    assert not who.has(Role.SUPERVISOR)
    assert not who.has()  # nothing asked, nothing held: `require()` alone admits any key


def test_openapi_declares_the_bearer_scheme() -> None:
    schema = make_app(pool=None).openapi()  # type: ignore[arg-type]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert schema["paths"]["/approvals"]["post"]["security"] == [{"HTTPBearer": []}]


# ---------------------------------------------------------------------------------------------
# The CLI


async def keys_cli(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "COMPLAINTS_LOG_FORMAT": "json"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.keys",
        *args,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_the_cli_creates_lists_and_revokes_a_key(
    database: str, pool: asyncpg.Pool, client: httpx.AsyncClient
) -> None:
    (code, out, err), unknown = await asyncio.gather(
        keys_cli(
            database, "create", "--name", "callcentre", "--role", "handler", "--role", "system"
        ),
        keys_cli(database, "revoke", "00000000"),
    )
    assert code == 0, err
    key = out.strip()
    key_id, secret = split(key)
    assert "cannot be shown again" in err and key_id in err and secret not in err
    me = await client.get("/me", headers=bearer(key))
    assert me.json()["roles"] == ["system", "handler"]
    assert unknown == (1, "", "keys: no API key '00000000'\n")

    code, out, err = await keys_cli(database, "list")
    assert code == 0, err
    [line] = out.splitlines()
    assert line.split()[:3] == [key_id, "callcentre", "system,handler"]
    assert line.endswith("active")
    assert secret not in out + err

    code, out, err = await keys_cli(database, "revoke", key_id)
    assert (code, out.strip()) == (0, f"revoked {key_id}"), err
    [info] = await list_keys(pool)
    assert info.key_id == key_id and info.revoked_at is not None
    auth.clear_cache()  # another process revoked it: this one forgets within CACHE_SECONDS
    assert (await client.get("/me", headers=bearer(key))).status_code == 401


async def test_the_cli_scopes_a_key_to_branches_and_makes_its_personal_ui_codec_endpoint(
    database: str, pool: asyncpg.Pool
) -> None:
    code, out, err = await keys_cli(
        database,
        "create",
        "--name",
        "zhou.li",
        "--role",
        "supervisor",
        "--branch",
        "Shanghai Pudong",
    )
    assert code == 0, err
    key_id, _ = split(out.strip())
    identity = await authenticate(pool, out.strip())
    assert identity is not None and identity.branches == frozenset({"Shanghai Pudong"})

    code, url, err = await keys_cli(database, "codec-url", key_id, "--base", "http://api:8000")
    assert code == 0, err
    prefix = "http://api:8000/codec/u/"
    assert url.startswith(prefix), url
    token = url.strip().removeprefix(prefix)
    seen = await auth.authenticate_ui(pool, token)
    assert seen is not None and seen.name == "zhou.li"
    code, out, _ = await keys_cli(database, "list")
    assert "supervisor [Shanghai Pudong]" in out
    # A new endpoint replaces the old one; revoking the key ends the new one too.
    code, again, _ = await keys_cli(database, "codec-url", key_id)
    auth.clear_cache()
    assert await auth.authenticate_ui(pool, token) is None
    await keys_cli(database, "revoke", key_id)
    auth.clear_cache()
    assert await auth.authenticate_ui(pool, again.strip().rsplit("/", 1)[1]) is None
    assert (await keys_cli(database, "codec-url", key_id))[0] == 1


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["rotate"],
        ["create", "--name", "callcentre"],
        ["create", "--role", "system"],
        ["create", "--name", "callcentre", "--role", "superuser"],
        ["create", "--name", " ", "--role", "system"],
        ["revoke"],
    ],
    ids=" ".join,
)
def test_the_cli_refuses_bad_usage_with_exit_code_2(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # in process (argparse exits before any database is reached; were one reached, this
    # address, where nobody listens, would end in exit code 1, not 2)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    with pytest.raises(SystemExit) as exited:
        keys_main(args)
    assert exited.value.code == 2
    assert "usage: python -m api.keys" in capsys.readouterr().err
