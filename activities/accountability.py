"""Ledger side of the accountability cycle: compile the period's cases, publish the results."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import asyncpg
from pydantic import Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.policy import report_chain
from domain import contacts
from domain.accountability import RULE_READING, ZONE, OutcomeKind, PenaltyPolicy, Proposal, propose
from domain.fields import Input
from ledger import accountability as ledger
from ledger import evidence
from ledger import policy as policies


class CompileRequest(Input):
    period: str
    starts_on: date
    ends_on: date
    appeal_until: datetime


class CycleItem(Proposal):
    decided_penalty: int | None = None
    decided_by: str | None = None
    appeal: str | None = None
    appeal_decision: str | None = None
    reprimand: bool = False  # R-AC-4: a published reprimand (通报批评) besides money
    decided_outcomes: list[OutcomeKind] = Field(default_factory=list)  # R-AC-5
    sheet_sent_at: datetime | None = None  # R-AC-3
    appeal_by: str | None = None
    appeal_evidence: list[str] = Field(default_factory=list)  # R-IN-9 attachment ids


class PublishRequest(Input):
    period: str
    items: list[CycleItem]


class EvidenceCheck(Input):
    """R-IN-9: an appeal's attachment ids, to be evidence uploaded for this cycle's appeal on
    this complaint (`POST /v1/complaints/{id}/evidence?owner_kind=appeal&owner_id=<cycle id>`)."""

    cycle_id: str
    complaint_id: str
    evidence: list[str]


class ResultsRecipients(Input):
    """R-AC-5: who receives a branch's final results, from the contacts directory (none: the
    directory names no such department on the branch's chain)."""

    branch: str
    hr: list[str] = Field(default_factory=list)
    finance: list[str] = Field(default_factory=list)


class AccountabilityActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="compile_accountability")
    async def compile(self, request: CompileRequest) -> list[Proposal]:
        """The period's proposals under the current rule reading (R-AN-4), recorded with it.
        A published period is final: compiling it again is refused, nothing recomputed."""
        start = datetime.combine(request.starts_on, time(0), tzinfo=ZONE)
        end = datetime.combine(request.ends_on + timedelta(days=1), time(0), tzinfo=ZONE)
        async with self._pool.acquire() as conn, conn.transaction():
            cycle = await ledger.cycle_status(conn, request.period)
            if cycle is not None and cycle["status"] == "published":
                raise ApplicationError(
                    f"accountability {request.period} is published (compiled under rule reading "
                    f"{cycle['rule_reading']}): its results are final and are not recomputed",
                    type="PeriodPublished",
                    non_retryable=True,
                )
            facts = await ledger.case_facts(conn, start, end)
            # R-SLA-10: the penalty amounts in force at the period's end, else the defaults
            body = await policies.in_force(conn, "penalty", None, end)
            penalty = PenaltyPolicy.model_validate(body or {})
            proposals = [p for case in facts for p in propose(case, penalty)]
            await ledger.record_cycle(
                conn,
                request.period,
                request.starts_on,
                request.ends_on,
                request.appeal_until,
                proposals,
                RULE_READING,
            )
        return proposals

    @activity.defn(name="publish_accountability")
    async def publish(self, request: PublishRequest) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await ledger.publish_cycle(conn, request.period, request.items)

    @activity.defn(name="open_accountability_cycles")
    async def open_cycles(self, period: str) -> list[str]:
        """Earlier months compiled but never published: a stalled month, reported (it stays
        decidable in its own run)."""
        return await ledger.open_periods(self._pool, period)

    @activity.defn(name="accountability_results_recipients")
    async def results_recipients(self, branches: list[str]) -> list[ResultsRecipients]:
        """R-AC-5: each branch's HR and finance departments as the contacts directory in
        force names them (the branch's unit, else the nearest unit above that names one)."""
        now = datetime.now(UTC)
        found = []
        async with self._pool.acquire() as conn:
            for branch in branches:
                chain = await report_chain(conn, branch, None, now)
                found.append(
                    ResultsRecipients(
                        branch=branch,
                        hr=contacts.department(chain, "hr"),
                        finance=contacts.department(chain, "finance"),
                    )
                )
        return found

    @activity.defn(name="missing_appeal_evidence")
    async def missing_evidence(self, check: EvidenceCheck) -> list[str]:
        """The ids that are not evidence of this cycle's appeal on the complaint."""
        return await evidence.missing(
            self._pool,
            check.evidence,
            owner_kind="appeal",
            owner_id=check.cycle_id,
            complaint_id=check.complaint_id,
        )
