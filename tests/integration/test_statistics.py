"""The monthly statistics (R-AN-1, R-AN-2), the exemption proposal (R-AN-4) and the import of
exposure figures, against a month of known complaints written straight into the ledger tables
of a real, migrated PostgreSQL (no Temporal: the report reads only the ledger).

The month is October 2026 (Asia/Shanghai). Every expected figure below is counted by hand from
the rows that `seed_october` writes; its table is the reference:

    id  received (+08:00) branch channel   category          product grade   stage / outcome
    O1  10-01 00:00 edge  SP     hotline   claims settlement motor   general closed / resolved
    O2  10-05 10:00       SP     hotline   claims settlement motor   general closed / resolved
    O3  10-08 09:00       SP     online    sales             health  major   investigate / -
    O4  10-12 14:00       SP     regulator claims settlement motor   major   withdrawn / withdrawn
    O5  10-15 11:00       SJ     hotline   service attitude  motor   general closed / resolved
    O6  10-20 16:00       SJ     letter    claims settlement (none)  general closed / resolved
    O7  10-31 23:30 edge  SJ     online    claims settlement travel  general contact / -
    O8  10-18 10:00       BJ     hotline   理赔时效          motor   special closed / resolved

SP Shanghai Pudong, SJ Shanghai Jingan, BJ Beijing Chaoyang. O2 was reopened once, O5 twice;
O3 has 2 repeat complaints and is escalated and multi-channel; O6 has 1 repeat; O8 is escalated.

Outside October: N1 2026-11-01 00:10+08:00 (still October in UTC), N2 2026-09-30 23:59:59+08:00,
two on 2026-08-15, one on 2025-11-01 00:00 (the trend's first month), one on 2025-10-31 23:59
(before the trend's window).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from infra.config import PROJECT_ROOT
from reports.exposures import ExposureError, import_rows, parse
from reports.statistics import (
    ZONE,
    MonthlyReport,
    month_bounds,
    monthly_report,
    parse_period,
    propose_exemption,
)

SP, SJ, BJ = "Shanghai Pudong", "Shanghai Jingan", "Beijing Chaoyang"


def at(text: str) -> datetime:
    """`'2026-10-31 23:30'` in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


# ---------------------------------------------------------------------------------------------
# Writing the ledger by hand


async def insert_complaint(
    conn: Any,
    cid: str,
    received_at: datetime,
    *,
    branch: str = SP,
    channel: str = "hotline",
    category: str = "claims settlement",
    product: str | None = "motor",
    grade: str = "general",
    stage: str = "closed",
    outcome: str | None = "resolved",
    reopen_count: int = 0,
    review_count: int = 0,
    repeat_count: int = 0,
    escalated: bool = False,
    multi_channel: bool = False,
) -> None:
    await conn.execute(
        """INSERT INTO complaints (complaint_id, workflow_id, channel, branch, owner, category,
               product, grade, stage, outcome, customer_name, customer_phone, matter, demands,
               received_at, reopen_count, review_count, repeat_count, escalated, multi_channel)
           VALUES ($1, 'complaint-' || $1, $2, $3, 'li.na', $4, $5, $6, $7, $8, '张伟',
               '13812345678', 'The claim is unpaid.', 'Pay the claim.', $9, $10, $11, $12,
               $13, $14)""",
        cid,
        channel,
        branch,
        category,
        product,
        grade,
        stage,
        outcome,
        received_at,
        reopen_count,
        review_count,
        repeat_count,
        escalated,
        multi_channel,
    )


async def insert_clock(
    conn: Any,
    cid: str,
    stage: str,
    started_at: datetime,
    *,
    met_at: datetime | None = None,
    breached_at: datetime | None = None,
    extended: bool = False,
    kind: str = "stage",
) -> None:
    key = f"stage:{stage}" if kind == "stage" else kind
    await conn.execute(
        """INSERT INTO sla_clocks (complaint_id, clock_key, started_at, kind, label, due_at,
               basis, provisional, extended, breached_at, met_at)
           VALUES ($1, $2, $3, $4, $2, $5, 'test', false, $6, $7, $8)""",
        cid,
        key,
        started_at,
        kind,
        started_at + timedelta(days=2),
        extended,
        breached_at,
        met_at,
    )


async def insert_determination(
    conn: Any, cid: str, reason_code: str, *, effective: bool, direct: str | None = "li.na"
) -> None:
    await conn.execute(
        "INSERT INTO determinations (complaint_id, effective, reason_code, direct_person,"
        " decided_by) VALUES ($1, $2, $3, $4, 'wang.qiang')",
        cid,
        effective,
        reason_code,
        direct,
    )


async def insert_exposure(
    conn: Any,
    period: str,
    branch: str,
    product: str = "",
    *,
    claims: int | None = None,
    policies: int | None = None,
    premium: int | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO exposures (period, branch, product, claims_reported, policies, premium_yuan)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        period,
        branch,
        product,
        claims,
        policies,
        premium,
    )


async def seed_october(conn: Any) -> None:
    """The month of the module's table, with its clocks, determinations and exposures."""
    c = insert_complaint
    await c(conn, "O1", at("2026-10-01 00:00"))
    await c(conn, "O2", at("2026-10-05 10:00"), reopen_count=1)
    await c(
        conn,
        "O3",
        at("2026-10-08 09:00"),
        channel="online",
        category="sales",
        product="health",
        grade="major",
        stage="investigate",
        outcome=None,
        repeat_count=2,
        escalated=True,
        multi_channel=True,
    )
    await c(
        conn,
        "O4",
        at("2026-10-12 14:00"),
        channel="regulator",
        grade="major",
        stage="withdrawn",
        outcome="withdrawn",
    )
    await c(
        conn, "O5", at("2026-10-15 11:00"), branch=SJ, category="service attitude", reopen_count=2
    )
    await c(
        conn,
        "O6",
        at("2026-10-20 16:00"),
        branch=SJ,
        channel="letter",
        product=None,
        repeat_count=1,
    )
    await c(
        conn,
        "O7",
        at("2026-10-31 23:30"),
        branch=SJ,
        channel="online",
        product="travel",
        stage="contact",
        outcome=None,
    )
    await c(
        conn,
        "O8",
        at("2026-10-18 10:00"),
        branch=BJ,
        category="理赔时效",
        grade="special",
        escalated=True,
    )
    # Outside October
    await c(conn, "N1", at("2026-11-01 00:10"))
    await c(conn, "N2", at("2026-09-30 23:59:59"))
    await c(conn, "A1", at("2026-08-15 10:00"))
    await c(conn, "A2", at("2026-08-15 11:00"), branch=SJ)
    await c(conn, "Y1", at("2025-11-01 00:00"))
    await c(conn, "Y0", at("2025-10-31 23:59"))

    # Clocks: counted by the month their clock *started* in.
    k = insert_clock
    await k(conn, "O1", "contact", at("2026-10-01 00:00"), met_at=at("2026-10-01 09:30"))
    await k(
        conn,
        "O1",
        "investigate",
        at("2026-10-01 09:30"),
        met_at=at("2026-10-09 10:00"),
        breached_at=at("2026-10-06 18:00"),
    )
    await k(conn, "O1", "regulatory", at("2026-10-01 00:00"), kind="regulatory")  # not a stage
    await k(conn, "O2", "contact", at("2026-10-05 10:00"), met_at=at("2026-10-05 11:00"))
    await k(
        conn,
        "O2",
        "investigate",
        at("2026-10-05 11:00"),
        met_at=at("2026-10-12 10:00"),
        extended=True,
    )
    await k(conn, "O3", "contact", at("2026-10-08 09:00"), breached_at=at("2026-10-08 11:00"))
    await k(conn, "O5", "approve", at("2026-10-16 09:00"), met_at=at("2026-10-16 15:00"))
    await k(conn, "O7", "contact", at("2026-10-31 23:30"))  # still open
    await k(conn, "N2", "contact", at("2026-09-30 23:59:59"), met_at=at("2026-10-01 10:00"))
    await k(conn, "N2", "investigate", at("2026-10-02 09:00"), met_at=at("2026-10-03 09:00"))
    await k(conn, "N1", "contact", at("2026-11-01 00:10"), met_at=at("2026-11-02 10:00"))

    # R-AN-2 determinations
    d = insert_determination
    await d(conn, "O1", "staff_error", effective=True)
    await d(conn, "O2", "poor_attitude", effective=True)
    await d(conn, "O4", "withdrawn", effective=False, direct=None)
    await d(conn, "O5", "lack_of_responsibility", effective=True)
    await d(conn, "O6", "repair_shop_impersonation", effective=False, direct=None)
    await d(conn, "O8", "deliberate_escalation", effective=True)
    await d(conn, "N1", "staff_error", effective=True)  # November: not October's

    e = insert_exposure
    await e(conn, "2026-10", SP, claims=40)
    await e(conn, "2026-10", SP, "motor", claims=30, policies=20_000, premium=30_000_000)
    await e(conn, "2026-10", SP, "health", policies=5_000, premium=10_000_000)
    await e(conn, "2026-10", SP, "home", policies=8_000)
    await e(conn, "2026-10", SJ, claims=100)
    await e(conn, "2026-10", SJ, "motor", policies=10_000)  # no premium figure
    await e(conn, "2026-10", BJ, "motor", claims=10, policies=5_000, premium=20_000_000)
    await e(conn, "2026-09", SP, claims=1)  # another month


@pytest.fixture
async def october(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    async with pool.acquire() as conn:
        await seed_october(conn)
    yield pool


@pytest.fixture
async def report(october: asyncpg.Pool) -> MonthlyReport:
    return await monthly_report(october, "2026-10")


# ---------------------------------------------------------------------------------------------
# The month


def test_r_an_1_month_is_a_calendar_month_in_shanghai_time() -> None:
    start, end = month_bounds(*parse_period("2026-10"))
    assert start.isoformat() == "2026-10-01T00:00:00+08:00"
    assert end.isoformat() == "2026-11-01T00:00:00+08:00"
    assert month_bounds(2026, 12)[1].isoformat() == "2027-01-01T00:00:00+08:00"
    for bad in ("2026-13", "2026-00", "2026-1", "26-10", "2026/10", "October", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_period(bad)


async def test_r_an_1_timezone_edges_belong_to_their_shanghai_month(
    october: asyncpg.Pool,
) -> None:
    # 2026-10-31T23:30+08:00 is October; 2026-11-01T00:10+08:00 is November although its UTC
    # time (2026-10-31T16:10Z) is October; 2026-10-01T00:00+08:00 is October (UTC: September).
    oct_, nov, sep = [await monthly_report(october, p) for p in ("2026-10", "2026-11", "2026-09")]
    assert (oct_.complaints, nov.complaints, sep.complaints) == (8, 1, 1)
    assert oct_.starts_at == at("2026-10-01 00:00") and oct_.ends_at == at("2026-11-01 00:00")
    assert nov.by_branch == {SP: 1}
    nov_contact = next(s for s in nov.sla if s.stage == "contact")
    assert (nov_contact.clocks, nov_contact.met_on_time) == (1, 1)


async def test_r_an_1_counts_by_category_channel_grade_outcome_product_branch(
    report: MonthlyReport,
) -> None:
    assert report.complaints == 8
    assert report.by_category == {
        "claims settlement": 5,
        "sales": 1,
        "service attitude": 1,
        "理赔时效": 1,
    }
    assert report.by_channel == {"hotline": 4, "online": 2, "letter": 1, "regulator": 1}
    assert report.by_grade == {"general": 5, "major": 2, "special": 1}
    assert report.by_outcome == {"resolved": 5, "open": 2, "withdrawn": 1}
    assert report.by_product == {"motor": 5, "(none)": 1, "health": 1, "travel": 1}
    assert report.by_branch == {SP: 4, SJ: 3, BJ: 1}
    assert list(report.by_channel) == ["hotline", "online", "letter", "regulator"]  # by count


async def test_r_an_1_reopen_rate_repeat_escalated_multi_channel(report: MonthlyReport) -> None:
    assert report.reopened == 2  # O2, O5
    assert report.reopens == 3  # 1 + 2
    assert report.reopen_rate == pytest.approx(2 / 8)
    assert report.repeat == 2  # O3, O6
    assert report.escalated == 2  # O3, O8
    assert report.multi_channel == 1  # O3


async def test_r_an_1_sla_compliance_per_stage_of_clocks_started_in_the_month(
    report: MonthlyReport,
) -> None:
    sla = {s.stage: s for s in report.sla}
    assert [s.stage for s in report.sla] == [
        "contact",
        "investigate",
        "approve",
        "close",
        "callback",
    ]
    # contact: O1 met, O2 met, O3 breached, O7 open (N2's started in September, N1's in November)
    c = sla["contact"]
    assert (c.clocks, c.met_on_time, c.breached, c.open, c.extended) == (4, 2, 1, 1, 0)
    assert c.compliance_rate == pytest.approx(2 / 3)
    # investigate: O1 breached (met late), O2 met with an extension, N2's (a September case,
    # its clock started in October) met
    i = sla["investigate"]
    assert (i.clocks, i.met_on_time, i.breached, i.open, i.extended) == (3, 2, 1, 0, 1)
    assert i.compliance_rate == pytest.approx(2 / 3)
    a = sla["approve"]
    assert (a.clocks, a.met_on_time, a.compliance_rate) == (1, 1, 1.0)
    assert sla["close"].clocks == 0 and sla["close"].compliance_rate is None
    assert sla["callback"].clocks == 0


async def test_r_an_1_complaints_per_10000_policies_and_per_100m_premium(
    report: MonthlyReport,
) -> None:
    rates = {r.product: r for r in report.product_rates}
    assert list(rates) == ["health", "home", "motor", "travel"]  # (none) has no rate
    motor = rates["motor"]
    # 5 motor complaints (SP 3, SJ 1, BJ 1) over 20,000 + 10,000 + 5,000 policies
    assert (motor.complaints, motor.policies) == (5, 35_000)
    assert motor.per_10k_policies == pytest.approx(5 / 35_000 * 10_000)  # 1.4286
    # premium known for SP (30m) and BJ (20m) only: their 4 complaints over ¥50m
    assert motor.premium_yuan == Decimal("50000000.00")
    assert motor.per_100m_premium == pytest.approx(4 / 0.5)  # 8.0
    health = rates["health"]
    assert (health.complaints, health.policies) == (1, 5_000)
    assert health.per_10k_policies == pytest.approx(2.0)
    assert health.per_100m_premium == pytest.approx(10.0)  # 1 complaint over ¥10m
    assert rates["home"].complaints == 0 and rates["home"].per_10k_policies == 0.0
    assert rates["home"].per_100m_premium is None
    travel = rates["travel"]
    assert (travel.complaints, travel.policies, travel.per_10k_policies) == (1, None, None)


async def test_r_an_1_trend_is_the_12_months_up_to_the_period(report: MonthlyReport) -> None:
    assert [m.period for m in report.trend] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    counts = {m.period: m.complaints for m in report.trend}
    assert counts["2025-11"] == 1  # Y1 at 00:00 of its first day; Y0 (2025-10-31) is outside
    assert (counts["2026-08"], counts["2026-09"], counts["2026-10"]) == (2, 1, 8)
    assert sum(counts.values()) == 12


async def test_r_an_1_branch_prefix_narrows_everything(october: asyncpg.Pool) -> None:
    shanghai = await monthly_report(october, "2026-10", "Shanghai")
    assert shanghai.complaints == 7 and shanghai.by_branch == {SP: 4, SJ: 3}
    jingan = await monthly_report(october, "2026-10", SJ)
    assert jingan.complaints == 3
    assert jingan.by_channel == {"hotline": 1, "letter": 1, "online": 1}
    sla = {s.stage: s for s in jingan.sla}
    assert (sla["contact"].clocks, sla["contact"].open) == (1, 1)  # O7
    assert (sla["approve"].clocks, sla["investigate"].clocks) == (1, 0)  # O5; N2 is Pudong's
    assert [b.branch for b in jingan.effective.branches] == [SJ]
    rates = {r.product: r for r in jingan.product_rates}
    assert (rates["motor"].complaints, rates["motor"].policies) == (1, 10_000)
    assert rates["motor"].per_10k_policies == pytest.approx(1.0)
    assert [m.complaints for m in jingan.trend][-3:] == [1, 0, 3]  # A2 in August
    assert (await monthly_report(october, "2026-10", "Guangzhou")).complaints == 0


async def test_r_an_1_an_empty_month_reports_zeros(pool: asyncpg.Pool) -> None:
    empty = await monthly_report(pool, "2027-02")
    assert empty.complaints == 0 and empty.by_category == {} and empty.reopen_rate is None
    assert [s.clocks for s in empty.sla] == [0, 0, 0, 0, 0]
    assert empty.effective.branches == [] and empty.product_rates == []
    assert [m.complaints for m in empty.trend] == [0] * 12


# ---------------------------------------------------------------------------------------------
# R-AN-2


async def test_r_an_2_effective_complaints_per_branch_against_claims_reported(
    report: MonthlyReport,
) -> None:
    branches = {b.branch: b for b in report.effective.branches}
    assert list(branches) == [BJ, SJ, SP]
    sp, sj, bj = branches[SP], branches[SJ], branches[BJ]
    # Pudong: O1, O2 effective, O4 exempt (withdrawn), O3 undetermined; claims 40 (totals row,
    # not the motor row's 30); N1's determination is November's.
    assert (sp.complaints, sp.determined, sp.effective, sp.not_effective, sp.exempt) == (
        4,
        3,
        2,
        0,
        1,
    )
    assert sp.claims_reported == 40 and sp.effective_rate == pytest.approx(0.05)
    # Jingan: O5 effective, O6 not effective (a repair shop's impersonation); claims 100
    assert (sj.determined, sj.effective, sj.not_effective, sj.claims_reported) == (2, 1, 1, 100)
    assert sj.effective_rate == pytest.approx(0.01)
    # Chaoyang: no totals row, so its product rows' claims (10); O8 effective: 10%
    assert (bj.effective, bj.claims_reported) == (1, 10)
    assert bj.effective_rate == pytest.approx(0.10)


async def test_r_an_2_flags_branches_over_5_percent_and_not_at_exactly_5(
    october: asyncpg.Pool, report: MonthlyReport
) -> None:
    assert report.effective.limit == 0.05
    flags = {b.branch: b.over_limit for b in report.effective.branches}
    assert flags == {BJ: True, SJ: False, SP: False}  # Pudong is at exactly 2/40 = 5%
    assert report.effective.over_limit == [BJ]
    # One more effective complaint in Pudong: 3/40 = 7.5%, over.
    async with october.acquire() as conn:
        await insert_complaint(conn, "O9", at("2026-10-25 10:00"))
        await insert_determination(conn, "O9", "staff_error", effective=True)
    again = await monthly_report(october, "2026-10")
    assert again.effective.over_limit == [BJ, SP]


async def test_r_an_2_branch_without_claims_figures_is_listed_not_flagged(
    october: asyncpg.Pool,
) -> None:
    async with october.acquire() as conn:
        await insert_complaint(conn, "H1", at("2026-10-10 10:00"), branch="Hangzhou Xihu")
        await insert_determination(conn, "H1", "staff_error", effective=True)
    report = await monthly_report(october, "2026-10")
    hz = next(b for b in report.effective.branches if b.branch == "Hangzhou Xihu")
    assert (hz.effective, hz.claims_reported, hz.effective_rate, hz.over_limit) == (
        1,
        None,
        None,
        False,
    )
    assert report.effective.without_claims_figures == ["Hangzhou Xihu"]


async def test_r_an_2_determination_must_agree_with_its_reason_code(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await insert_complaint(conn, "X1", at("2026-10-10 10:00"))
        with pytest.raises(asyncpg.CheckViolationError):
            await insert_determination(conn, "X1", "repair_shop_impersonation", effective=True)
        with pytest.raises(asyncpg.CheckViolationError):
            await insert_determination(conn, "X1", "made_up", effective=False)


# ---------------------------------------------------------------------------------------------
# R-AN-4


async def test_r_an_4_proposed_exemption_from_the_case_facts(october: asyncpg.Pool) -> None:
    async with october.acquire() as conn:
        await insert_complaint(conn, "M1", at("2026-10-02 10:00"), multi_channel=True)
        await insert_complaint(conn, "R1", at("2026-10-02 11:00"), review_count=1)
        proposals = {
            cid: await propose_exemption(conn, cid)
            for cid in ("O1", "O2", "O3", "O4", "O6", "O8", "M1", "R1", "nope")
        }
    assert proposals == {
        "O1": "satisfied_first_coordination",  # resolved at the first callback, nothing else
        "O2": None,  # reopened
        "O3": None,  # still open
        "O4": "withdrawn",
        "O6": None,  # a repeat complaint
        "O8": None,  # escalated
        "M1": None,  # multi-channel
        "R1": None,  # the customer asked for a review: not satisfied at first coordination
        "nope": None,
    }


# ---------------------------------------------------------------------------------------------
# Exposure import


CSV_OK = """\ufeffperiod,branch,product,claims_reported,policies,premium_yuan
2026-10,Shanghai Pudong,,40,,
2026-10,Shanghai Pudong,motor,30,20000,30000000.00

2026-10,上海徐汇,motor,,1200,1500000.5
"""


async def test_exposures_import_upserts_and_counts(pool: asyncpg.Pool) -> None:
    rows = parse(CSV_OK)
    assert [(r.branch, r.product, r.claims_reported, r.policies) for r in rows] == [
        (SP, "", 40, None),
        (SP, "motor", 30, 20_000),
        ("上海徐汇", "motor", None, 1_200),
    ]
    assert rows[2].premium_yuan == Decimal("1500000.5")
    first = await import_rows(pool, rows)
    assert (first.read, first.inserted, first.updated) == (3, 3, 0)
    corrected = parse(CSV_OK.replace(",40,,", ",44,,"))
    second = await import_rows(pool, corrected)
    assert (second.read, second.written, second.inserted, second.updated) == (3, 3, 0, 3)
    assert (
        await pool.fetchval(
            "SELECT claims_reported FROM exposures WHERE branch = $1 AND product = ''", SP
        )
        == 44
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the file is empty"),
        ("period,branch,product,claims\n", "line 1: the header must name"),
        (
            "period,branch,product,claims_reported,policies,premium_yuan\n"
            "2026-10,A,,1,2,3\n2026-13,A,,1,2,3\n",
            "line 3: period must be",
        ),
        (
            "period,branch,product,claims_reported,policies,premium_yuan\n2026-10,A,,-1,2,3\n",
            "line 2: claims_reported must be a whole number",
        ),
        (
            "period,branch,product,claims_reported,policies,premium_yuan\n2026-10,A,,1,2,3.001\n",
            "line 2: premium_yuan has more than two decimals",
        ),
        (
            "period,branch,product,claims_reported,policies,premium_yuan\n2026-10,A,,1,2\n",
            "line 2: 5 fields",
        ),
        (
            "period,branch,product,claims_reported,policies,premium_yuan\n2026-10, ,,1,2,3\n",
            "line 2: branch is empty",
        ),
        (
            "period,branch,product,claims_reported,policies,premium_yuan\n"
            "2026-10,A,x,1,2,3\n2026-10,A,x,4,5,6\n",
            "line 3: .* is already on line 2",
        ),
        (
            "period,branch,product,claims_reported,policies,premium_yuan\n2026-10,A\x00,,1,2,3\n",
            "line 2: a NUL character",
        ),
    ],
)
def test_exposures_bad_file_names_the_line(text: str, message: str) -> None:
    with pytest.raises(ExposureError, match=message):
        parse(text)


async def test_exposures_cli_imports_a_file(database: str, tmp_path: Path) -> None:
    good = tmp_path / "exposures.csv"
    good.write_text(CSV_OK, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV_OK + "2026-10,X,,many,,\n", encoding="utf-8")

    async def cli(path: Path) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "reports.exposures",
            "import",
            str(path),
            cwd=PROJECT_ROOT,
            env={"DATABASE_URL": database, "PATH": "/usr/bin:/bin"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    code, out, _ = await cli(good)
    assert code == 0 and "3 rows read, 3 written (3 inserted, 0 updated)" in out
    code, _, err = await cli(bad)
    assert code == 1 and "line 6: claims_reported must be a whole number" in err
    assert "nothing imported" in err
    conn = await asyncpg.connect(database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM exposures") == 3
    finally:
        await conn.close()
