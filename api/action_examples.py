"""One example body per action, as a caller sends it to `POST /v1/complaints/{id}/actions/<name>`
(without `actor` and `role`, which come from the API key), from each action's definition
(`ActionDef.example`). They are the request examples of `/openapi.json` and `/docs`;
tests/unit/test_action_routes.py checks that each one is valid for its action, so an example
cannot drift from the payload it shows."""

from __future__ import annotations

from typing import Any

from domain.actions import ACTIONS

EXAMPLES: dict[str, dict[str, Any]] = {name: dict(d.example) for name, d in ACTIONS.items()}


def example(action: str) -> dict[str, Any]:
    """The example body of `action` (an action without one shows an empty body)."""
    return dict(EXAMPLES.get(action, {}))
