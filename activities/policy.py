"""The calendar and SLA policy a case runs under, read where they live (outside the workflow).

This runs as a local activity: its result is recorded in the case's history, so publishing
next year's calendar or a new policy never changes a deadline a running case already has.
"""

from __future__ import annotations

import functools
from typing import Protocol

from temporalio import activity

from domain.calendar_data import china_calendar, fast_calendar
from domain.models import Derived
from domain.sla import PolicySnapshot, SlaPolicy


class PolicyRequest(Derived):
    branch: str
    year: int


class PolicySource(Protocol):
    def load(self, branch: str, year: int) -> PolicySnapshot: ...


class StatutoryPolicySource:
    """China's statutory calendar (this year and next) and the default SLA table.

    With `clock_speed` > 1 (demo), working time is continuous and runs that much faster.
    """

    def __init__(self, sla: SlaPolicy | None = None, clock_speed: float = 1.0) -> None:
        self._sla = (sla or SlaPolicy()).model_copy(update={"speed": clock_speed})

    def load(self, branch: str, year: int) -> PolicySnapshot:
        return self._snapshot(year)

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one source per worker, a few years
    def _snapshot(self, year: int) -> PolicySnapshot:
        """The calendar data is that of the installed library: fixed for this process."""
        if self._sla.speed != 1.0:
            return PolicySnapshot(calendar=fast_calendar(), sla=self._sla)
        return PolicySnapshot(calendar=china_calendar([year, year + 1]), sla=self._sla)


class PolicyActivities:
    def __init__(self, source: PolicySource) -> None:
        self._source = source

    @activity.defn(name="load_policy")
    async def load_policy(self, request: PolicyRequest) -> PolicySnapshot:
        return self._source.load(request.branch, request.year)
