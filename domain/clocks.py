"""The case's clock book: it starts, finishes, replaces, re-plans, pauses, resumes and fires
the case's clocks (R-SLA-1..9), planning with the handling policy the case runs under.

The book keeps the clocks in the case's state (`state.clocks`, met ones in
`state.finished_clocks`) and when the calendar was last asked about them (R-SLA-3, R-SLA-11);
what an alarm tells whom is the case's (`domain.alarms`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from domain import sla, versions
from domain.sla import HandlingPolicy
from domain.state import Clock, ComplaintState
from domain.versions import Behaviour
from domain.vocabulary import Stage


class Wake(NamedTuple):
    """When the case next needs waking, and why (the timer's summary in the Web UI)."""

    at: datetime
    why: str


# What an alarm does (the case's): the clock as it is after the alarm.
Alarm = Callable[[Clock, sla.AlarmKind, datetime, datetime], Clock]


class ClockBook:
    """The running and finished clocks of one case."""

    def __init__(
        self,
        state: ComplaintState,
        policy: HandlingPolicy,
        rules: int,
        *,
        checked_for: datetime | None = None,
        checked_at: datetime | None = None,
    ) -> None:
        self.state = state
        self.policy = policy  # the case's handling policy: replaced when the calendar changes
        self.rules = rules
        self.calendar_checked_for = checked_for  # R-SLA-3: the stage clock last re-checked
        self.calendar_checked_at = checked_at  # R-SLA-11 (rules 5): when the case last asked

    def stage(self) -> Clock | None:
        """The current stage's clock (a closed or withdrawn case has none)."""
        return self.state.clock(f"stage:{self.state.stage.value}")

    def any_paused(self) -> bool:
        return any(c.paused_at is not None for c in self.state.clocks)

    def start(self, clock: Clock) -> None:
        self.state.clocks.append(clock)

    def start_stage(self, stage: Stage, start: datetime) -> Clock:
        """The stage's own clock, by its grade (R-SLA-1, R-SLA-2, R-GR-1)."""
        s = self.state
        clock = sla.stage_clock(
            self.policy,
            stage,
            s.grade,
            s.special_deadlines,
            start,
            f"stage:{stage.value}",
            rules=self.rules,
        )
        self.start(clock)
        return clock

    def finish(self, key: str, now: datetime) -> None:
        """The clock is met (its deadline kept or not: a breach stays recorded)."""
        clock = self.state.clock(key)
        if clock is None:
            return
        self.state.clocks.remove(clock)
        self.state.finished_clocks.append(clock.model_copy(update={"met_at": now}))

    def replace(self, clock: Clock) -> None:
        self.state.clocks = [clock if c.key == clock.key else c for c in self.state.clocks]

    def replan_stage(self) -> None:
        """After a grade change the current stage's deadline follows the new grade."""
        current = self.stage()
        if current is None or current.extended or current.expedited:
            return
        s = self.state
        fresh = sla.stage_clock(
            self.policy,
            s.stage,
            s.grade,
            s.special_deadlines,
            current.started_at,
            current.key,
            rules=self.rules,
        )
        kept: dict[str, Any] = {"paused_at": current.paused_at}
        breached = current.breached_at
        if versions.has(self.rules, Behaviour.REGRADE_KEEPS_BREACH) and (
            breached is None or fresh.due_at <= breached
        ):
            # R-SLA-4: one breach per stage clock: a deadline that moved earlier is still
            # breached, and its reminders carry on from where they were. (One that moved past
            # the breach is a new deadline, and runs as one.)
            kept |= current.model_dump(
                include={"warned_at", "breached_at", "next_reminder_at", "reminders"}
            )
        self.replace(fresh.model_copy(update=kept))

    def pause(self, now: datetime) -> None:
        """R-SLA-8: the stage's clock and the regulatory limit stand still."""
        for key in (f"stage:{self.state.stage.value}", "regulatory"):
            clock = self.state.clock(key)
            if clock is not None and clock.paused_at is None:
                self.replace(sla.paused(clock, now))

    def resume(self, now: datetime) -> None:
        """R-SLA-8: every paused clock runs again, its deadline moved by the time it stood."""
        for clock in list(self.state.clocks):
            if clock.paused_at is not None:
                self.replace(sla.resumed(self.policy, clock, now, rules=self.rules))

    def alarms(self) -> list[Wake]:
        """The next alarm of each running clock."""
        return [
            Wake(a[0], f"{a[1]}: {c.label}") for c in self.state.clocks if (a := sla.next_alarm(c))
        ]

    def fire_due(self, now: datetime, alarm: Alarm) -> None:
        """Every alarm due by `now`, each with the time it was due."""
        clocks = self.state.clocks
        for i, clock in enumerate(clocks):
            while (due := sla.next_alarm(clock)) and due[0] <= now:
                clock = alarm(clock, due[1], due[0], now)
                clocks[i] = clock
        # A clock its alarm ended (R-CU-3: the customer's time lapsed) joins the finished ones.
        for clock in [c for c in clocks if c.met_at is not None]:
            clocks.remove(clock)
            self.state.finished_clocks.append(clock)
