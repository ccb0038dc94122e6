"""The case's timeline (R-ST-7): every step with its time and actor, written in order."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.state import ComplaintState, TimelineEntry

EntryKind = Literal[
    "intake", "stage", "action", "refused", "warning", "breach", "reminder", "notice", "clock"
]


class Timeline:
    """Writes the entries of one case's timeline (`state.timeline`)."""

    def __init__(self, state: ComplaintState) -> None:
        self._state = state

    @property
    def last_seq(self) -> int:
        """The seq of the last entry: an action's own, while its effect runs (its entry is
        written before it)."""
        return self._state.timeline[-1].seq

    def write(
        self,
        kind: EntryKind,
        actor: str,
        detail: str,
        now: datetime,
        *,
        action: str | None = None,
        request_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        entries = self._state.timeline
        entries.append(
            TimelineEntry(
                seq=(entries[-1].seq if entries else 0) + 1,
                at=at or now,
                kind=kind,
                actor=actor,
                action=action,
                detail=detail,
                request_id=request_id,
            )
        )
