"""One example body per action, as a caller sends it to `POST /v1/complaints/{id}/actions/<name>`
(without `actor` and `role`, which come from the API key). They are the request examples of
`/openapi.json` and `/docs`; tests/unit/test_action_routes.py checks that each one is valid for
its action, so an example cannot drift from the payload it shows."""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, dict[str, Any]] = {
    "record_contact": {"method": "phone", "note": "Called the customer at 10:05."},
    "submit_investigation": {
        "findings": "Garage invoice verified against the policy schedule.",
        "proposed_resolution": "Pay 8,200 yuan.",
    },
    "decide_resolution": {"approved": True},
    "close_case": {"result": "Paid 8,200 yuan; the customer was informed."},
    "record_callback": {"satisfied": True, "method": "phone"},
    "request_extension": {
        "new_due_at": "2026-12-18T17:00:00+08:00",
        "reason": "Waiting for the loss adjuster's report.",
    },
    "decide_extension": {"approved": True, "new_due_at": "2026-12-18T17:00:00+08:00"},
    "escalate_crisis": {"reasons": ["media"], "people_count": 1},
    "report_crisis": {
        "level": "superior",
        "summary": "A local newspaper asked about the unpaid claim.",
    },
    "designate_special": {
        "deadlines": {"contact_hours": 2, "investigate_days": 3, "approve_days": 1}
    },
    "expedite": {"minutes": 120},
    "pause_clock": {"reason": "appraisal"},
    "resume_clock": {"note": "The appraisal came back."},
    "request_review": {"reason": "The customer disputes the amount paid."},
    "reassign": {"owner": "zhao.min"},
    "withdraw": {"reason": "The customer settled with the garage directly."},
    "record_repeat": {"channel": "online", "new_facts": "A second invoice was found."},
    "transfer": {
        "department": "Claims",
        "requirements": "Check the second invoice and report back.",
        "days": 2,
    },
    "complete_transfer": {"transfer": "transfer-1", "outcome": "The invoice is genuine."},
    "transfer_to_insurer": {"insurer": "Pacific Life Shanghai", "days": 3},
    "classify_policy": {"signed_personally": True, "callback_compliant": True},
    "correct_amount": {"amount": "8200.00", "reason": "The second invoice adds 1,000 yuan."},
    "acknowledge_script": {},
    "record_conduct": {
        "person": "sun.li",
        "kind": "unauthorised_promise",
        "detail": "Promised full payment before the investigation.",
    },
    "flag_customer": {"flags": ["vulnerable"]},
    "record_early_signs": {"detail": "Customers gather at the outlet.", "people_count": 4},
    "record_police_contact": {"police": "Pudong police station"},
    "record_group_event": {"commander": "wang.qiang", "people_count": 6},
    "announce_closure": {
        "closure_key": "typhoon-2026-10-22",
        "first_day": "2026-10-22",
        "last_day": "2026-10-22",
        "reason": "Typhoon: the branch is closed.",
    },
}


def example(action: str) -> dict[str, Any]:
    """The example body of `action` (an action without one shows an empty body)."""
    return dict(EXAMPLES.get(action, {}))
