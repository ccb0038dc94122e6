"""Every action has its own typed route in `/openapi.json`, generated from its definition: the
request body is the action's payload model less `actor` and `role` (they come from the API
key), with an example the action accepts, a stable `operationId` and a tag by concept; the
generic route stays, deprecated. A new action gets its route without touching the API."""

from __future__ import annotations

import types
from typing import Any

import pytest

from api.action_examples import EXAMPLES
from api.actions import ACTIONS_PATH, CONCEPTS, definitions
from api.app import create_app
from domain.actions import ACTION_MODELS
from domain.fields import NEW_INPUT, evidence_fields


def served_schema() -> dict[str, Any]:
    """The app's OpenAPI document (no server needed to describe it)."""
    client: Any = types.SimpleNamespace(data_converter=types.SimpleNamespace(payload_codec=None))
    schema: dict[str, Any] = create_app(client, None).openapi()  # type: ignore[arg-type]
    return schema


SCHEMA = served_schema()


@pytest.mark.parametrize("action", list(ACTION_MODELS))
def test_each_action_has_a_typed_route_with_its_fields(action: str) -> None:
    operation = SCHEMA["paths"][f"{ACTIONS_PATH}/{action}"]["post"]
    assert operation["operationId"] == f"act_{action}"
    assert not operation.get("deprecated")
    assert operation["summary"].startswith(f"{action}: ")
    assert operation["tags"] and all(t.startswith("actions: ") for t in operation["tags"])
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[1]]
    wanted = set(ACTION_MODELS[action].model_fields) - {"actor", "role"}
    assert set(body["properties"]) == wanted
    required = {n for n, f in ACTION_MODELS[action].model_fields.items() if f.is_required()}
    assert set(body.get("required", [])) == required - {"actor"}
    assert body["additionalProperties"] is False
    [example] = body["examples"]
    assert example == EXAMPLES[action]
    assert set(operation["responses"]) >= {"200", "401", "403", "404", "409", "422"}


@pytest.mark.parametrize("action", list(ACTION_MODELS))
def test_each_example_is_a_payload_its_action_accepts(action: str) -> None:
    """The example shown in /docs validates under the action's model and the input rules."""
    payload = EXAMPLES[action] | {"actor": "li.na", "role": "handler"}
    ACTION_MODELS[action].model_validate(payload, context=NEW_INPUT)


def test_every_action_has_an_example_and_a_concept() -> None:
    assert set(EXAMPLES) == set(ACTION_MODELS)
    concepts = [name for names in CONCEPTS.values() for name in names]
    assert sorted(concepts) == sorted(ACTION_MODELS), "each action under one concept"
    assert all(not d.tag.endswith(": other") for d in definitions())


def test_the_generic_route_stays_deprecated() -> None:
    operation = SCHEMA["paths"][f"{ACTIONS_PATH}/{{action}}"]["post"]
    assert operation["deprecated"] is True


def test_operation_ids_are_unique() -> None:
    ids = [op["operationId"] for path in SCHEMA["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))


def test_r_in_9_a_crisis_reports_attachments_are_checked_as_the_case_evidence() -> None:
    """The one action path checks every field marked as the case's evidence (`EvidenceIds`);
    a crisis report's attachments must stay marked wherever the action is defined."""
    assert evidence_fields(ACTION_MODELS["report_crisis"]) == ("attachments",)
