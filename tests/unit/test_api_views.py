"""`/v1`'s answers keep their shape whatever the domain calls its fields: the JSON shape of the
main views (field names, which are always there, types, enums), read from the app's own
`/openapi.json`, is pinned in tests/snapshots/api_views.json. The views are the API's own
models (api/models.py), mapped field by field from the domain, so a renamed domain field
fails mypy or this test instead of changing what callers read.

A deliberate change of `/v1` (a new field, say) is written to the snapshot with

    UPDATE_SNAPSHOT=1 .venv/bin/pytest -p no:xdist tests/unit/test_api_views.py

and committed with the change, where a reviewer sees it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.unit.test_action_routes import SCHEMA

SNAPSHOT = Path(__file__).resolve().parent.parent / "snapshots" / "api_views.json"

# The answers pinned: (method, path, status).
VIEWS = (
    ("POST", "/v1/complaints", "201"),
    ("GET", "/v1/complaints/{complaint_id}", "200"),
    ("GET", "/v1/complaints", "200"),
    ("GET", "/v1/complaints/{complaint_id}/timeline", "200"),
    ("GET", "/v1/complaints/{complaint_id}/notices", "200"),
    ("POST", "/v1/complaints/{complaint_id}/actions/record_contact", "200"),
    ("POST", "/v1/complaints/{complaint_id}/actions/{action}", "200"),
)


def shape(node: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A JSON schema as the shape a caller reads: objects as {field: shape} ("?" after a field
    that may be left out), arrays as [shape], leaves as their type, format and enum."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        return shape(schema["components"]["schemas"][name], schema)
    if "anyOf" in node:
        parts = [shape(p, schema) for p in node["anyOf"]]
        if all(isinstance(p, str) for p in parts):
            return " | ".join(parts)
        return {"any of": parts}
    if "enum" in node:
        return "enum " + "|".join(str(v) for v in node["enum"])
    if "const" in node:
        return f"const {node['const']}"
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        required = set(node.get("required", []))
        return {
            (name if name in required else f"{name}?"): shape(field, schema)
            for name, field in sorted(node.get("properties", {}).items())
        }
    if kind == "array":
        return [shape(node.get("items", {}), schema)]
    return f"{kind}({node['format']})" if "format" in node else str(kind)


def shapes(schema: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for method, path, status in VIEWS:
        answer = schema["paths"][path][method.lower()]["responses"][status]
        found[f"{method} {path} {status}"] = shape(
            answer["content"]["application/json"]["schema"], schema
        )
    return found


def test_the_views_of_v1_keep_their_shape() -> None:
    current = shapes(SCHEMA)
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n", "utf-8")
    pinned = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == pinned, (
        "a view of /v1 changed shape; if that is meant, run UPDATE_SNAPSHOT=1 .venv/bin/pytest "
        "-p no:xdist tests/unit/test_api_views.py and commit tests/snapshots/api_views.json"
    )
