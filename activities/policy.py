"""The calendar and SLA policy a case runs under, read where they live (outside the workflow).

This runs as a local activity: its result is recorded in the case's history, so publishing
next year's calendar or a new policy never changes a deadline a running case already has.

Policy as data (R-SLA-10): with a ledger pool, the versions in force now in `policy_versions`
(the SLA table; the branch's working hours; the root-cause taxonomy, R-AN-8; the case's report
chain from the contacts directory, R-CR-9) and the branch's announced closures
(`branch_closures`, as closed days) are laid over the source's snapshot (ledger/policy.py), and
so are the years of the calendar an administrator entered (R-SLA-11, ledger/calendar.py).
No version entered: the source's defaults hold.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Protocol

import asyncpg
from temporalio import activity

from activities.calendar_years import apply_entered
from domain import contacts
from domain.calendar import WorkingWindow
from domain.calendar_data import china_calendar, fast_calendar
from domain.causes import CauseTaxonomy
from domain.closures import with_closure
from domain.fields import Derived
from domain.sla import HandlingPolicy, SlaPolicy
from infra.postgres import Queryable
from ledger import policy as policies


class PolicyRequest(Derived):
    branch: str
    year: int
    outlet: str | None = None  # R-CR-9: a bank-outlet complaint's chain starts at its outlet


class PolicySource(Protocol):
    def load(self, branch: str, year: int) -> HandlingPolicy: ...


class StatutoryPolicySource:
    """China's statutory calendar (this year and next) and the default SLA table, with each
    branch's own working hours where they are configured (`windows`: branch to windows).

    With `clock_speed` > 1 (demo), working time is continuous and runs that much faster.
    """

    def __init__(
        self,
        sla: SlaPolicy | None = None,
        clock_speed: float = 1.0,
        windows: dict[str, tuple[WorkingWindow, ...]] | None = None,
    ) -> None:
        self._sla = (sla or SlaPolicy()).model_copy(update={"speed": clock_speed})
        self._windows = dict(windows or {})

    def load(self, branch: str, year: int) -> HandlingPolicy:
        return self._snapshot(branch if branch in self._windows else "", year)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one source per worker, a few years
    def _snapshot(self, branch: str, year: int) -> HandlingPolicy:
        """The calendar data is that of the installed library: fixed for this process."""
        if self._sla.speed != 1.0:
            return HandlingPolicy(calendar=fast_calendar(), sla=self._sla)
        name = f"CN statutory calendar ({branch})" if branch else "CN statutory calendar"
        calendar = china_calendar([year, year + 1], windows=self._windows.get(branch), name=name)
        return HandlingPolicy(calendar=calendar, sla=self._sla)


async def overlay(
    pool: asyncpg.Pool,
    snapshot: HandlingPolicy,
    branch: str,
    year: int,
    at: datetime,
    outlet: str | None = None,
) -> HandlingPolicy:
    """R-SLA-10: the policy data in force at `at` over the source's snapshot."""
    async with pool.acquire() as conn:
        taxonomy = await policies.in_force(conn, "causes", None, at)
        chain = await report_chain(conn, branch, outlet, at)
        sla = await policies.in_force(conn, "sla", branch, at)
        hours = await policies.in_force(conn, "working_hours", branch, at)
        closed = await policies.closures(conn, branch, date(year, 1, 1), date(year + 1, 12, 31))
        # R-SLA-11: the years an administrator entered win over the library's.
        calendar = await apply_entered(conn, snapshot.calendar, (year, year + 1), at)
    if sla is not None:
        speed = snapshot.sla.speed  # a demo's speed is the process's, not the data's
        snapshot = snapshot.model_copy(
            update={"sla": SlaPolicy.model_validate(sla | {"speed": speed})}
        )
    if hours is not None and not calendar.always_open:
        windows = tuple(WorkingWindow.model_validate(w) for w in hours["windows"])
        calendar = calendar.model_validate(
            calendar.model_dump()
            | {"windows": windows, "name": f"{calendar.name}, hours of {branch}"}
        )
    for c in closed:
        calendar = with_closure(calendar, c["first_day"], c["last_day"], c["reason"])
    update: dict[str, object] = {"calendar": calendar}
    if taxonomy is not None:  # R-AN-8
        update["causes"] = CauseTaxonomy.model_validate(taxonomy).codes()
    if chain:  # R-CR-9
        update["report_chain"] = chain
    return snapshot.model_copy(update=update)


async def report_chain(
    db: Queryable, branch: str, outlet: str | None, at: datetime
) -> tuple[contacts.Unit, ...]:
    """R-CR-9: the case's unit (its outlet when the directory has it, else its branch) and
    every unit above it, as in force at `at`: one indexed read per level, not the directory."""
    for start in (outlet, branch):
        found: list[contacts.Unit] = []
        unit: str | None = start
        while unit is not None and len(found) < len(contacts.RANK):
            body = await policies.in_force(db, "contacts", unit, at)
            if body is None:
                break
            found.append(contacts.Unit.model_validate(body | {"unit": unit}))
            unit = found[-1].parent
        if found:
            return tuple(found)
    return ()


class PolicyActivities:
    def __init__(self, source: PolicySource, pool: asyncpg.Pool | None = None) -> None:
        self._source = source
        self._pool = pool

    @activity.defn(name="load_policy")
    async def load_policy(self, request: PolicyRequest) -> HandlingPolicy:
        snapshot = self._source.load(request.branch, request.year)
        if self._pool is None:
            return snapshot
        return await overlay(
            self._pool, snapshot, request.branch, request.year, datetime.now(UTC), request.outlet
        )
