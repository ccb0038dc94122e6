"""Rules versions as named behaviours: which behaviours each rules version has.

A case keeps the rules version it started under (domain/case.py), so a release never changes
what a running case already did. Code asks for a behaviour by name, never for a version number:
`versions.has(case.rules, Behaviour.CANCEL_IS_AN_EVENT)`.

Older comparisons (`rules >= 3`) still stand in domain/ and workflows/; they move here as the
code around them is touched. A behaviour added in version N is in every version after N.
"""

from __future__ import annotations

from enum import StrEnum


class Behaviour(StrEnum):
    """What a rules version does differently from the one before; named for what it does."""

    # Rules 4
    REGRADE_KEEPS_BREACH = "regrade_keeps_breach"
    # Rules 5
    # R-SLA-11: a case with provisional deadlines asks for the calendar again at least once a
    # day (a timer), and re-plans every running deadline with a year now known.
    DAILY_CALENDAR_CHECK = "daily_calendar_check"
    # Rules 5: an action's text is checked by the input rules (domain/fields.py NEW_INPUT,
    # docs/input.md) in the case too, as the API checks it: a signal from the Web UI or the
    # CLI with a control character or blank text is refused naming the field.
    ACTION_INPUT_RULES = "action_input_rules"
    REQUEST_ID_BINDS_BODY = "request_id_binds_body"  # a request id reused otherwise: refused
    SEAL_BINDS_ACTION = "seal_binds_action"  # a sealed payload counts for its own action only
    CANCEL_IS_AN_EVENT = "cancel_is_an_event"  # a cancellation request is recorded, not an end
    # R-CR-9: crisis reports and notices go to the designated contacts of the report chain in
    # the case's policy (domain/contacts.py), not to a recipient written in code.
    REPORTS_CLIMB_THE_CHAIN = "reports_climb_the_chain"
    # R-CU-1: a closed case tells the customer the decision (outcome, reasons, amount, the
    # review and its last day, the routes outside the company); a withdrawal is confirmed.
    DECISION_TOLD = "decision_told"
    # R-CU-6: the case is never assigned, reassigned or transferred to a staff member the
    # complaint is about (the intake's `staff_complained_about`).
    RECUSAL = "recusal"
    # R-CU-5: a case closed with a staff member's fault on record and no apology recorded
    # flags it to the supervisor.
    APOLOGY_OWED = "apology_owed"


# The version each behaviour came with.
INTRODUCED: dict[Behaviour, int] = {
    Behaviour.REGRADE_KEEPS_BREACH: 4,
    Behaviour.DAILY_CALENDAR_CHECK: 5,
    Behaviour.ACTION_INPUT_RULES: 5,
    Behaviour.REQUEST_ID_BINDS_BODY: 5,
    Behaviour.SEAL_BINDS_ACTION: 5,
    Behaviour.CANCEL_IS_AN_EVENT: 5,
    Behaviour.REPORTS_CLIMB_THE_CHAIN: 5,
    Behaviour.DECISION_TOLD: 5,
    Behaviour.RECUSAL: 5,
    Behaviour.APOLOGY_OWED: 5,
}


def has(rules: int, behaviour: Behaviour) -> bool:
    """Whether a case running under `rules` has `behaviour`."""
    return rules >= INTRODUCED[behaviour]


def behaviours(rules: int) -> list[Behaviour]:
    """Every behaviour a case under `rules` has (for docs and the Web UI's details)."""
    return [b for b in Behaviour if has(rules, b)]
