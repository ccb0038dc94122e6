"""The accountability rules of the third reading, pure: R-AN-4 as restated, R-AN-6, R-AN-7,
R-AC-5, R-AC-6 (domain/accountability.py, the cycle's decision message)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

import reports.statistics
from domain import accountability
from domain.accountability import (
    CaseFacts,
    ConductFact,
    exemption,
    exemption_from_facts,
    exemption_holds,
    propose,
)
from workflows.accountability import Decide


def facts(**kw: Any) -> CaseFacts:
    """A closed general hotline case handled by li.na under wang.qiang, settled at the first
    coordination unless the test says otherwise."""
    base: dict[str, Any] = {
        "complaint_id": "C1",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "grade": "general",
        "channel": "hotline",
        "outcome": "resolved",
        "branch": "Shanghai Pudong",
    }
    return CaseFacts.model_validate(base | kw)


# R-AN-4 (restated)


def test_r_an_4_a_withdrawn_case_after_repeats_through_regulator_and_media_is_accountable() -> None:
    """The case of the finding: withdrawn after three repeats through the regulator and the
    media, escalated. The first reading exempted it as `withdrawn` with no proposal."""
    case = facts(
        outcome="withdrawn",
        repeat_count=3,
        repeat_channels=["regulator", "media"],
        escalated=True,
        multi_channel=True,
    )
    assert exemption(case) is None
    direct = next(p for p in propose(case) if p.responsibility == "direct")
    assert direct.person == "li.na"
    assert any("4 times: mishandling" in r for r in direct.reasons)
    assert any("escalated" in r for r in direct.reasons)
    # A determination recorded as `withdrawn` does not hold on these facts either.
    assert (
        exemption(case.model_copy(update={"reason_code": "withdrawn", "effective": False})) is None
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"outcome": "withdrawn"}, "withdrawn"),
        ({}, "satisfied_first_coordination"),
        ({"outcome": "withdrawn", "reopen_count": 1}, None),  # the first coordination failed
        ({"outcome": "withdrawn", "review_count": 1}, None),
        ({"outcome": "withdrawn", "repeat_count": 1}, None),
        ({"outcome": "withdrawn", "escalated": True}, None),
        ({"outcome": "withdrawn", "multi_channel": True}, None),
        ({"reopen_count": 2}, None),  # satisfied in the end, accountable for the earlier handling
        ({"outcome": None}, None),
    ],
)
def test_r_an_4_only_a_case_settled_at_the_first_coordination_is_exempt(
    change: dict[str, Any], expected: str | None
) -> None:
    case = facts(**change)
    assert exemption(case) == expected
    keys = ("outcome", "reopen_count", "review_count", "repeat_count", "escalated", "multi_channel")
    first = {k: getattr(case, k) for k in keys}
    assert exemption_from_facts(**first) == expected
    if expected is None:
        assert not exemption_holds("withdrawn", **first)
        assert not exemption_holds("satisfied_first_coordination", **first)


def test_r_an_4_clearly_outside_liability_stays_exempt_even_for_a_repeat() -> None:
    """S3 特别说明: repeat, escalated and multi-channel complaints stay accountable unless the
    case is clearly outside insurance liability."""
    case = facts(reason_code="outside_liability", effective=False, repeat_count=2, escalated=True)
    assert exemption(case) == "outside_liability"
    assert propose(case) == []


def test_r_an_4_one_definition_the_reports_use() -> None:
    """The statistics and the determination API ask the domain's rule, not a copy of it."""
    assert reports.statistics.exemption_from_facts is accountability.exemption_from_facts


# R-AN-6


def test_r_an_6_a_surveyor_instigated_complaint_proposes_against_the_people_named() -> None:
    """S2 art.13(6): not effective, but the surveyor who instigated it and the people
    responsible are held accountable, even when the case was settled at first coordination."""
    case = facts(
        effective=False,
        reason_code="instigated_by_own_surveyor",
        direct_person="zhang.surveyor",
        managerial_person="wang.qiang",
    )
    assert exemption(case) is None
    found = {(p.person, p.responsibility): p for p in propose(case)}
    assert set(found) == {("zhang.surveyor", "direct"), ("wang.qiang", "managerial")}
    direct = found["zhang.surveyor", "direct"]
    assert "R-AN-6" in direct.reasons[0]
    assert (direct.minimum, direct.maximum) == (100, 150)
    assert direct.outcomes == ["fine"]  # R-AC-5's reprimand is for an effective complaint


# R-AC-5


def test_r_ac_5_an_effective_complaint_proposes_the_published_reprimand_with_the_fine() -> None:
    props = {
        p.responsibility: p
        for p in propose(facts(effective=True, reason_code="staff_error", reopen_count=1))
    }
    assert props["direct"].outcomes == ["fine", "published_reprimand"]
    assert props["managerial"].outcomes == ["fine"]
    # Not effective, repeated: a fine only.
    [repeated] = propose(facts(repeat_count=3))
    assert repeated.outcomes == ["fine"]


def test_r_ac_5_a_decision_carries_its_outcomes() -> None:
    ref = {"actor": "review", "complaint_id": "C1", "person": "li.na", "responsibility": "direct"}
    assert Decide(**ref, penalty=120).decided_outcomes() == ["fine"]
    assert Decide(**ref, penalty=120, reprimand=True).decided_outcomes() == [
        "fine",
        "published_reprimand",
    ]
    assert Decide(**ref, penalty=0, outcomes=["warning", "demotion"]).decided_outcomes() == [
        "warning",
        "demotion",
    ]
    every = [
        "criticism_education",
        "warning",
        "fine",
        "demotion",
        "dismissal",
        "published_reprimand",
    ]
    assert Decide(**ref, penalty=200, outcomes=every).decided_outcomes() == every
    with pytest.raises(ValidationError, match="R-AC-5"):  # a fine of 0 yuan
        Decide(**ref, penalty=0, outcomes=["fine"])
    with pytest.raises(ValidationError, match="R-AC-5"):  # money without a fine
        Decide(**ref, penalty=50, outcomes=["warning"])
    with pytest.raises(ValidationError):
        Decide(**ref, penalty=0, outcomes=["flogging"])


# R-AC-6


def test_r_ac_6_the_person_who_misled_the_customer_gets_a_proposal() -> None:
    case = facts(
        conduct=[
            ConductFact(
                person="chen.outlet",
                kind="mis_selling",
                detail="problem policy: proof of mis-selling",
            )
        ]
    )
    assert exemption(case) == "satisfied_first_coordination"  # the handling is exempt (R-AN-4)
    [item] = propose(case)  # the conduct is not
    assert (item.person, item.responsibility) == ("chen.outlet", "mis_selling")
    assert (item.minimum, item.maximum) == (100, 200)
    assert "R-AC-6" in item.reasons[0] and "proof of mis-selling" in item.reasons[0]


def test_r_ac_6_a_wrong_crisis_decision_and_a_failure_to_act_lead_to_proposals() -> None:
    case = facts(
        crisis=True,
        reopen_count=1,
        conduct=[
            ConductFact(
                person="zhou.jie", kind="wrong_crisis_decision", detail="refused the refund"
            ),
            ConductFact(person="sun.li", kind="failure_to_act"),
            ConductFact(person="sun.li", kind="unauthorised_promise"),
        ],
    )
    found = {(p.person, p.responsibility): p for p in propose(case)}
    assert set(found) == {("zhou.jie", "crisis_conduct"), ("sun.li", "crisis_conduct")}
    assert (
        found["zhou.jie", "crisis_conduct"].minimum,
        found["zhou.jie", "crisis_conduct"].maximum,
    ) == (150, 200)
    sun = found["sun.li", "crisis_conduct"]
    assert (sun.minimum, sun.maximum) == (150 + 100, 200 + 200)
    assert any("failure_to_act (R-AC-6)" in r for r in sun.reasons)


# R-AN-7


def test_r_an_7_the_proposal_says_who_determined_the_case() -> None:
    by_line = facts(
        effective=True,
        reason_code="staff_error",
        reopen_count=1,
        decided_by="zhao.claims",
        business_line="claims",
        referred_to="claims",
    )
    assert {p.determined_by for p in propose(by_line)} == {"business line claims (zhao.claims)"}
    waiting = facts(repeat_count=3, referred_to="claims")
    [item] = propose(waiting)
    assert item.determined_by is None
    assert any("awaiting the determination of business line claims" in r for r in item.reasons)
