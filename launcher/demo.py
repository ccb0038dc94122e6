"""Sample complaints for `python -m launcher --demo`, filed and then worked through the client.

Seven cases: a general hotline complaint, a major one from the regulator, a group of six at a
bank outlet (a crisis at intake), one that is contacted, investigated and approved, one the
customer withdraws, one that becomes a crisis later (`escalate_crisis`), and one made at a
bank outlet (the bank channel) that the outlet hands to the insurer, that becomes a crisis and
whose policy is classed flawed and referred for accommodation. The untouched
ones warn, breach and remind on the fast demo clock while you watch.

Re-running the demo never makes a second run: complaint ids are fixed, a running case is
reused and a finished one is left alone, and every scripted action carries a `request_id`,
so a repeat is a no-op (or is refused, which is logged and skipped).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain import grading
from domain.identity import VerifiedIdentity
from domain.intake import ComplaintIntake
from domain.sla import SlaPolicy
from workflows import contract

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = structlog.get_logger("demo")


def samples(now: datetime) -> list[ComplaintIntake]:
    """The demo cases, all received `now`. Names, phones and ID numbers are made up."""
    common: dict[str, Any] = {"received_at": now}
    cases: list[dict[str, Any]] = [
        {
            "complaint_id": "DEMO-0001",
            "channel": "hotline",
            "branch": "Shanghai Pudong",
            "department": "Claims Department",
            "owner": "li.na",
            "supervisor": "zhang.wei",
            "customer": {"name": "王秀英", "phone": "13812345678"},
            "policy_number": "P310115202400871",
            "product": "Anxin Million-Yuan Medical Insurance",
            "category": "claims settlement",
            "matter": "Hospitalisation claim filed 25 days ago, still no decision or reply.",
            "demands": "Pay the claim of 12,800 yuan and explain the delay.",
        },
        {
            "complaint_id": "DEMO-0002",
            "channel": "regulator",  # R-GR-3: graded major on arrival
            "external_id": "NFRA-BJ-2026-0457",
            "branch": "Beijing Haidian",
            "department": "Individual Life",
            "department_head": "liu.min",  # R-ST-8: takes part in the collective decision
            "owner": "zhao.min",
            "supervisor": "sun.hao",
            "customer": {
                "name": "刘建国",
                "phone": "13901234567",
                "id_number": "110108196507214412",
            },
            "policy_number": "L110108201900312",
            "product": "Jinfu Universal Life Annuity",
            "category": "sales misrepresentation",
            "matter": "The agent sold a universal life policy as a deposit with a fixed 5% return.",
            "demands": "Full refund of premiums paid since 2019.",
        },
        {
            "complaint_id": "DEMO-0003",
            "channel": "visit",
            "branch": "Guangzhou Tianhe",
            "department": "Bancassurance",
            "department_head": "guo.qiang",  # R-ST-8: a crisis from intake
            "owner": "chen.jing",
            "supervisor": "huang.lei",
            "customer": {"name": "陈志强", "phone": "13502468135"},
            "product": "Fuxiang Dividend Endowment (bank channel)",
            "category": "surrender and cash value",
            "matter": "Six customers at a partner bank outlet protest the low surrender value.",
            "demands": "Surrender with full premium refund for all six policies.",
            "crisis": {"people_count": 6, "outlet_disrupted": True},
        },
        {
            "complaint_id": "DEMO-0004",
            "channel": "online",
            "branch": "Shenzhen Futian",
            "department": "Motor Claims",
            "owner": "wu.fang",
            "supervisor": "zhang.wei",
            "customer": {"name": "黄丽娟", "phone": "13699887766", "language": "en"},  # R-CU-1
            "policy_number": "M440304202503318",
            "product": "Motor Comprehensive Insurance",
            "category": "loss assessment",
            "matter": "The assessed repair cost is 4,000 yuan below the garage's quote.",
            "demands": "Reassess the loss at an authorised garage.",
        },
        {
            "complaint_id": "DEMO-0005",
            "channel": "hotline",
            "branch": "Hangzhou Xihu",
            "department": "Customer Service",
            "owner": "xu.ting",
            "supervisor": "sun.hao",
            "customer": {"name": "周海燕", "phone": "13757012345"},
            "policy_number": "H330106202301127",
            "product": "Critical Illness Insurance",
            "category": "premium collection",
            "matter": "Premium was debited twice this month.",
            "demands": "Refund the duplicate debit.",
        },
        {
            "complaint_id": "DEMO-0006",
            "channel": "letter",
            "branch": "Chengdu Jinjiang",
            "department": "Claims Department",
            "owner": "yang.yang",
            "supervisor": "huang.lei",
            "customer": {"name": "杨桂兰", "phone": "18980011223"},
            "policy_number": "P510104202200456",
            "product": "Accident Insurance for Seniors",
            "category": "claims settlement",
            "matter": "Accident claim for a fall was refused as a pre-existing condition.",
            "demands": "Pay the accident benefit of 50,000 yuan.",
        },
        {
            # A bank-outlet complaint (R-IN-1, R-CR-4) that becomes a crisis, with a
            # flawed policy (R-CR-3): the script hands it to the insurer, escalates and classes it.
            "complaint_id": "DEMO-0007",
            "channel": "bank_outlet",
            "bank_outlet": {
                "bank": "中国工商银行",
                "outlet": "南京新街口支行",
                "responsible_person": "钱经理",
            },
            "branch": "Nanjing Gulou",
            "department": "Bancassurance",
            "owner": "qian.li",
            "supervisor": "huang.lei",
            "customer": {"name": "孙美玲", "phone": "13770123456"},
            "policy_number": "B320106202101188",
            "product": "Ruifu Dividend Endowment (bank channel)",
            "category": "sales misrepresentation",
            "matter": "Sold at the bank counter as a time deposit; the signature is not hers.",
            "demands": "Refund of the 80,000 yuan premium.",
            "amount_involved": {"amount": "80000.00"},
        },
    ]
    return [ComplaintIntake.model_validate(common | case) for case in cases]


def summary(intake: ComplaintIntake) -> str:
    """What the Web UI lists for the case: never customer data."""
    grade, _ = grading.grade_at_intake(intake, SlaPolicy())
    return f"{intake.complaint_id} · {grade.value} · {intake.branch} · {intake.category}"


@dataclass(frozen=True)
class Step:
    after: float  # seconds after filing
    complaint_id: str
    action: str
    payload: dict[str, Any]


HANDLER = {"role": "handler"}
SUPERVISOR = {"role": "supervisor"}

SCRIPT = (
    Step(3, "DEMO-0004", "record_contact", {"actor": "wu.fang", **HANDLER, "method": "phone"}),
    Step(
        5,
        "DEMO-0003",
        "report_crisis",
        {
            "actor": "chen.jing",
            **HANDLER,
            "level": "superior",
            "summary": "Six customers at the Tianhe bank outlet; the branch team is on site.",
        },
    ),
    Step(
        6,
        "DEMO-0005",
        "withdraw",
        {
            "actor": "xu.ting",
            **HANDLER,
            "reason": "Duplicate debit refunded by the bank; customer withdrew on the phone.",
        },
    ),
    Step(
        10,
        "DEMO-0006",
        "escalate_crisis",
        {"actor": "yang.yang", **HANDLER, "reasons": ["reported by a local news app"]},
    ),
    Step(
        15,
        "DEMO-0004",
        "submit_investigation",
        {
            "actor": "wu.fang",
            **HANDLER,
            "findings": "Garage quote includes parts not damaged in this accident.",
            "proposed_resolution": "Re-inspect at an authorised garage and pay the agreed amount.",
            "difficulty": "loss_assessment",
        },
    ),
    Step(
        20,
        "DEMO-0006",
        "report_crisis",
        {
            "actor": "yang.yang",
            **HANDLER,
            "level": "superior",
            "summary": "Media enquiry about a refused accident claim; statement being prepared.",
        },
    ),
    Step(
        25, "DEMO-0004", "decide_resolution", {"actor": "zhang.wei", **SUPERVISOR, "approved": True}
    ),
    Step(
        4,
        "DEMO-0007",
        "transfer_to_insurer",
        {
            "actor": "qian.li",
            **HANDLER,
            "insurer": "Bancassurance, Nanjing Gulou",
            "days": 2,
            "owner": "chen.jie",  # R-CR-12: the insurer's person owns the case from now on
            "requirements": "The outlet could not settle it on the spot.",
        },
    ),
    Step(
        8,
        "DEMO-0007",
        "escalate_crisis",
        {
            "actor": "qian.li",
            **HANDLER,
            "reasons": ["relatives gathered at the outlet", "outlet's normal operation disrupted"],
            "people_count": 5,
        },
    ),
    Step(
        12,
        "DEMO-0007",
        "classify_policy",
        {
            "actor": "huang.lei",
            **SUPERVISOR,
            "signed_personally": False,
            "callback_compliant": True,
            "insurer": "Bancassurance, Nanjing Gulou",
            "days": 5,
        },
    ),
    Step(
        30,
        "DEMO-0007",
        "report_crisis",
        {
            "actor": "qian.li",
            **HANDLER,
            "level": "superior",
            "summary": (
                "Five people at the Xinjiekou outlet; flawed policy referred to the insurer."
            ),
        },
    ),
    Step(
        60,
        "DEMO-0003",
        "report_crisis",
        {
            "actor": "huang.lei",
            **SUPERVISOR,
            "level": "headquarters",
            "summary": "Group protest handled; see the branch report.",
        },
    ),
    Step(
        90,
        "DEMO-0006",
        "report_crisis",
        {
            "actor": "huang.lei",
            **SUPERVISOR,
            "level": "headquarters",
            "summary": "Media enquiry answered; claim under re-review.",
        },
    ),
)


async def file(client: Client, task_queue: str, now: datetime | None = None) -> None:
    """Start every sample case once: an existing case (running or finished) is left as it is."""
    for intake in samples(now or datetime.now(SHANGHAI)):
        try:
            await contract.start(
                client,
                intake,
                task_queue=task_queue,
                summary=summary(intake),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            log.info("complaint filed (or already running)", complaint=summary(intake))
        except WorkflowAlreadyStartedError:
            log.info("complaint already finished, left alone", complaint=summary(intake))


async def act(client: Client, step: Step) -> None:
    payload = {"request_id": f"demo-{step.complaint_id}-{step.action}-{step.after:g}"}
    payload |= step.payload
    # The demo plays the people of its script: it seals each action as theirs, as the HTTP
    # API does for its callers (an action counts only under a verified identity).
    sender = VerifiedIdentity(
        actor=payload["actor"],
        roles=[payload["role"]],
        via="system",
        bound_to=contract.workflow_id(step.complaint_id),
        action=step.action,
        issued_at=datetime.now(UTC),
        nonce=secrets.token_hex(16),
    )
    try:
        state = await contract.act(client, step.complaint_id, step.action, payload, sender)
    except WorkflowUpdateFailedError as err:
        log.warning(
            "demo action refused",
            complaint_id=step.complaint_id,
            action=step.action,
            reason=str(err.cause or err),
        )
    except RPCError as err:  # e.g. the case already finished in an earlier demo run
        log.warning(
            "demo action skipped",
            complaint_id=step.complaint_id,
            action=step.action,
            reason=err.message,
        )
    else:
        log.info(
            "demo action",
            complaint_id=step.complaint_id,
            action=step.action,
            stage=state.stage.value,
        )


async def run(client: Client, task_queue: str) -> None:
    """File the samples, then play the script in real time (cancel to stop early)."""
    await file(client, task_queue)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for step in SCRIPT:
        await asyncio.sleep(max(0.0, started + step.after - loop.time()))
        await act(client, step)
    log.info("demo script done; the untouched cases keep warning, breaching and reminding")
