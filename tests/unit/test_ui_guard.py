"""The Web UI guard's rule (launcher/ui_guard.py): which UI API requests end a case from
outside and are refused. The browser test (tests/e2e/test_browser.py) proves it on the real UI."""

from __future__ import annotations

import pytest

from launcher.ui_guard import refusal

WF = "/api/v1/namespaces/default/workflows/complaint-DEMO-0001"


@pytest.mark.parametrize(
    "path",
    [
        f"{WF}/terminate",
        f"{WF}/reset",
        f"{WF}/cancel",
        f"{WF}/Terminate/",  # case and a trailing slash change nothing
        "//api/v1/namespaces/default/workflows/complaint-DEMO-0001//reset",
        "/api/v1/namespaces/default/batch-operations/job-1",
        "/api/v1/namespaces/default/batch-operations/job-1/stop",
    ],
)
def test_ending_a_case_from_outside_is_refused(path: str) -> None:
    assert refusal("POST", path, {}) is not None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"{WF}/signal/record_contact"),
        ("POST", f"{WF}/update/record_contact"),
        ("POST", f"{WF}/query/state"),
        ("GET", f"{WF}/history"),
        ("GET", "/api/v1/namespaces/default/batch-operations"),  # reading the list is fine
        ("GET", "/api/v1/settings"),
        # A workflow whose id holds an encoded "/terminate" is one segment: its signal passes.
        ("POST", "/api/v1/namespaces/default/workflows/a%2Fterminate/signal/x"),
        ("POST", "/api/v1/namespaces/default/workflows/terminate"),  # a start, id "terminate"
    ],
)
def test_everything_else_passes(method: str, path: str) -> None:
    assert refusal(method, path, {}) is None


def test_a_method_override_header_is_refused() -> None:
    """A request that asks a framework to treat it as another method is not trusted."""
    assert refusal("GET", f"{WF}/history", {"X-HTTP-Method-Override": "POST"}) is not None
