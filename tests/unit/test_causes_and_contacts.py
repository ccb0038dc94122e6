"""Root causes and hot spots (R-AN-8) and the contacts directory with its report chain (R-CR-9)
on the pure case and the pure rules (domain/causes.py, domain/contacts.py). No server."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from domain import causes, contacts
from domain.actions import ACTION_MODELS
from domain.calendar_data import china_calendar
from domain.case import Complaint, Refused
from domain.contacts import Unit
from domain.intake import ComplaintIntake
from domain.sla import PolicySnapshot, SlaPolicy
from domain.vocabulary import Stage
from infra.config import PROJECT_ROOT
from tests.identities import act as sealed_act

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # a Tuesday morning
CROWD = {"people_count": 8, "media": True}
DIRECTORY = PROJECT_ROOT / "launcher" / "contacts.json"


def directory() -> dict[str, Unit]:
    """The development directory (launcher/contacts.json): the data, not code, names people."""
    units = [Unit.model_validate(u) for u in json.loads(DIRECTORY.read_text())["units"]]
    assert contacts.problems(units) == []
    return {u.unit: u for u in units}


def policy(chain: tuple[Unit, ...] = (), codes: tuple[str, ...] = ()) -> PolicySnapshot:
    return PolicySnapshot(
        calendar=china_calendar([2026]), sla=SlaPolicy(), report_chain=chain, causes=codes
    )


def accept(rules: int = 5, p: PolicySnapshot | None = None, **overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "complaint_id": "C9",
        "channel": "hotline",
        "received_at": T0,
        "branch": "Shanghai Pudong",
        "owner": "li.na",
        "supervisor": "wang.qiang",
        "customer": {"name": "张伟", "phone": "13812345678"},
        "category": "claims settlement",
        "matter": "Claim unpaid.",
        "demands": "Pay it.",
    }
    intake = ComplaintIntake.model_validate(fields | overrides)
    return Complaint.accept(intake, p or policy(), T0, workflow_id="complaint-C9", rules=rules)


def act(case: Complaint, name: str, now: datetime = T0, **fields: Any) -> bool:
    fields.setdefault("actor", "li.na")
    return sealed_act(case, name, ACTION_MODELS[name].model_validate(fields), now)


def to_closing(case: Complaint) -> None:
    act(case, "record_contact", method="phone")
    act(case, "submit_investigation", findings="f", proposed_resolution="pay")
    act(case, "decide_resolution", actor="wang.qiang", role="supervisor", approved=True)
    act(case, "record_customer_response", response="accepts")  # R-CU-3 (rules 5)
    assert case.state.stage is Stage.CLOSE


# ---------------------------------------------------------------------------------------------
# R-AN-8: the cause recorded at closing, from the case's own taxonomy


def test_r_an_8_a_case_closes_with_a_cause_of_its_taxonomy_and_keeps_it() -> None:
    case = accept()
    to_closing(case)
    act(case, "close_case", result="paid", root_cause="claims_handling")
    assert case.state.root_cause == "claims_handling"


def test_r_an_8_an_unknown_cause_is_refused_with_the_reason() -> None:
    case = accept(p=policy(codes=("contract_terms", "other")))
    to_closing(case)
    with pytest.raises(Refused) as err:
        act(case, "close_case", result="paid", root_cause="claims_handling")
    assert "R-AN-8" in err.value.reason and "contract_terms, other" in err.value.reason
    assert case.state.stage is Stage.CLOSE and case.state.root_cause is None
    act(case, "close_case", result="paid")  # a close that names none still closes (old payloads)
    assert case.state.stage.value == "callback"


def test_r_an_8_the_default_taxonomy_has_s1s_four_subjects_and_stable_codes() -> None:
    labels = causes.DEFAULT_TAXONOMY.labels()
    s1 = ("contract_terms", "product_term", "follow_up_service", "returns")
    assert [labels[c].zh for c in s1] == ["合同内容", "产品期限", "后续服务", "收益水平"]
    assert {"claims_handling", "sales_misselling", "service_attitude", "other"} <= set(labels)
    later = causes.CauseTaxonomy(
        causes=[c for c in causes.DEFAULT_TAXONOMY.causes if c.code != "returns"]
    )
    assert causes.dropped(causes.DEFAULT_TAXONOMY, later) == ["returns"]
    with pytest.raises(ValidationError, match="listed twice"):
        causes.CauseTaxonomy(causes=[*later.causes, later.causes[0]])


def test_r_an_8_a_rising_count_is_a_hot_spot_a_steady_one_is_not() -> None:
    rule = causes.HotSpotPolicy()  # count >= 5 and >= 1.5 x the trailing three months' mean
    assert causes.well_above(9, [2, 3, 4], rule)  # 9 >= 4.5
    assert causes.well_above(5, [0, 0, 0], rule)
    assert not causes.well_above(6, [5, 6, 5], rule)  # steady
    assert not causes.well_above(4, [0, 0, 0], rule)  # too few to call
    assert causes.well_above(6, [4, 4, 4], rule) and not causes.well_above(5, [4, 4, 3], rule)
    month = {
        ("SP", "cause", "claims_handling"): 9,
        ("SP", "product", "motor"): 6,
        ("SP", "cause", causes.NOT_RECORDED): 50,
    }
    before = [
        {("SP", "cause", "claims_handling"): n, ("SP", "product", "motor"): 6} for n in (2, 3, 4)
    ]
    [flag] = causes.flags(month, before, rule)
    assert (flag.key, flag.count, flag.trailing, flag.trailing_mean) == (
        "claims_handling",
        9,
        [2, 3, 4],
        3.0,
    )


# ---------------------------------------------------------------------------------------------
# R-CR-9: the directory and the chain


def test_r_cr_9_the_directory_is_refused_unless_every_chain_ends_at_the_head_office() -> None:
    units = directory()
    outlet = next(u for u in units.values() if u.level == "outlet")
    orphan = outlet.model_copy(update={"unit": "X", "parent": "nowhere"})
    assert (
        "its parent nowhere is not in the directory"
        in contacts.problems([*units.values(), orphan])[0]
    )
    sideways = outlet.model_copy(update={"unit": "Y", "parent": outlet.unit})
    assert "not a level above" in contacts.problems([*units.values(), sideways])[0]
    no_head = [u for u in units.values() if u.level != "head_office"]
    assert any("not in the directory" in p for p in contacts.problems(no_head))
    with pytest.raises(ValidationError):  # 1-2 designated people per unit
        Unit.model_validate(outlet.model_dump() | {"contacts": []})
    with pytest.raises(ValidationError):
        Unit.model_validate(outlet.model_dump() | {"contacts": [outlet.contacts[0]] * 3})
    chain = contacts.chain(units, outlet.unit)
    assert chain[0].level == "outlet" and chain[-1].level == "head_office"


def test_r_cr_9_reports_climb_the_chain_of_the_case_and_name_no_one_in_code() -> None:
    units = directory()
    outlet = next(u for u in units.values() if u.level == "outlet")
    chain = tuple(contacts.chain(units, outlet.unit))
    case = accept(p=policy(chain), crisis=CROWD)
    told = [n.recipient for n in case.take_notices() if n.kind.value == "crisis_report"]
    assert told == ["wang.qiang", *(c.user for c in chain[0].contacts)]  # report within 1 h
    act(case, "report_crisis", level="superior", summary="8 customers at the counter")
    act(case, "report_crisis", level="headquarters", summary="opinion")
    sent = case.take_notices()
    between = [c.user for u in chain[1:-1] for c in u.contacts]
    assert [n.recipient for n in sent if n.recipient_role == "superior"] == between
    assert [n.recipient for n in sent if n.recipient_role == "headquarters"] == [
        c.user for c in chain[-1].contacts
    ]
    assert "hq.crisis-group" not in {n.recipient for n in sent}
    superior, hq = case.state.crisis_records
    assert superior.person == ", ".join(between) and hq.level == "headquarters"


def test_r_cr_9_without_a_head_office_contact_the_report_names_its_recipient() -> None:
    case = accept(crisis=CROWD)  # no directory entered
    with pytest.raises(Refused) as err:
        act(case, "report_crisis", level="headquarters", summary="opinion")
    assert "R-CR-9" in err.value.reason
    act(case, "report_crisis", level="headquarters", summary="opinion", to="hq.duty@example.cn")
    act(case, "report_crisis", level="superior", summary="s")  # the case's supervisor
    sent = [n for n in case.take_notices() if "crisis report" in n.subject]
    assert [n.recipient for n in sent] == ["hq.duty@example.cn", "wang.qiang"]


def test_r_cr_9_a_case_of_rules_4_keeps_its_old_recipient() -> None:
    units = directory()
    chain = tuple(contacts.chain(units, next(iter(units))))
    case = accept(rules=4, p=policy(chain), crisis=CROWD)
    case.take_notices()
    act(case, "report_crisis", level="headquarters", summary="opinion", now=T0 + timedelta(1))
    [hq] = case.take_notices()
    assert hq.recipient == "hq.crisis-group"


# ---------------------------------------------------------------------------------------------
# R-ST-1 (amended): the written report of a hard case goes to head office or the department


def _investigated(case: Complaint, **submitted: Any) -> list[tuple[str, str]]:
    act(case, "record_contact", method="phone")
    case.take_notices()
    act(case, "submit_investigation", findings="f", proposed_resolution="pay", **submitted)
    return [
        (n.recipient_role, n.recipient)
        for n in case.take_notices()
        if n.kind.value == "difficulty_report"
    ]


def test_r_st_1_a_difficulty_reaches_head_office_contacts_and_the_department_named() -> None:
    units = directory()
    chain = tuple(contacts.chain(units, "Shanghai Pudong"))
    head_office = [c.user for c in chain[-1].contacts]
    case = accept(p=policy(chain))
    sent = _investigated(case, difficulty="coverage", report_to="claims.tech@example.cn")
    assert sent == [
        ("supervisor", "wang.qiang"),
        *(("headquarters", u) for u in head_office),  # from the data, no one in code
        ("department", "claims.tech@example.cn"),
    ]
    assert case.state.stage is Stage.APPROVE
    alone = _investigated(accept(p=policy(chain)), difficulty="loss_assessment")
    assert alone == [("supervisor", "wang.qiang"), *(("headquarters", u) for u in head_office)]


def test_r_st_1_without_a_head_office_contact_the_department_is_named() -> None:
    case = accept()  # no directory entered
    act(case, "record_contact", method="phone")
    with pytest.raises(Refused) as err:
        act(
            case,
            "submit_investigation",
            findings="f",
            proposed_resolution="p",
            difficulty="coverage",
        )
    assert "R-ST-1" in err.value.reason and "report_to" in err.value.reason
    assert case.state.stage is Stage.INVESTIGATE
    sent = _investigated(accept(), difficulty="coverage", report_to="claims.tech")
    assert sent == [("supervisor", "wang.qiang"), ("department", "claims.tech")]


def test_r_st_1_report_to_goes_with_a_difficulty_and_with_rules_5() -> None:
    case = accept()
    act(case, "record_contact", method="phone")
    with pytest.raises(Refused) as err:
        act(case, "submit_investigation", findings="f", proposed_resolution="p", report_to="x.y")
    assert "give the difficulty" in err.value.reason
    old = accept(rules=4)
    act(old, "record_contact", method="phone")
    with pytest.raises(Refused) as err:
        act(old, "submit_investigation", findings="f", proposed_resolution="p", report_to="x.y")
    assert "rules 5" in err.value.reason
    assert _investigated(accept(rules=4), difficulty="coverage") == [("supervisor", "wang.qiang")]


# ---------------------------------------------------------------------------------------------
# R-AC-5: a branch's HR and finance departments, from the directory


def test_r_ac_5_a_branch_s_hr_and_finance_are_its_units_or_the_nearest_above() -> None:
    units = directory()
    pudong = contacts.chain(units, "Shanghai Pudong")
    assert contacts.department(pudong, "hr") == [c.user for c in units["Shanghai Pudong"].hr]
    gulou = contacts.chain(units, "Nanjing Gulou")  # names none: Jiangsu's serve it
    assert units["Nanjing Gulou"].hr == [] and units["Jiangsu"].finance
    assert contacts.department(gulou, "finance") == [c.user for c in units["Jiangsu"].finance]
    assert contacts.department(contacts.chain(units, "Xiamen Siming"), "hr") == []
    with pytest.raises(ValidationError):
        Unit.model_validate(
            {
                "unit": "u",
                "level": "head_office",
                "name": "n",
                "contacts": [{"name": "a", "user": "a.b"}],
                "hr": [{"name": "x", "user": "not an address"}],
            }
        )
