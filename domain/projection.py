"""What the ledger has not seen yet: the next `LedgerRecord` of a case.

The ledger is the case's projection (docs/architecture.md). Each record carries the case as it
stands, the timeline entries after the last one recorded, and only the clocks, breaches and
extensions that changed since the ledger last saw them, so a record stays small however long
the case lives. Pure: the workflow calls `next_record`, writes it, then `recorded`.
"""

from __future__ import annotations

from typing import TypeVar

from domain.fields import Derived
from domain.intake import ComplaintIntake
from domain.ledger_records import BankFacts, BankRecord, LedgerRecord
from domain.notice_models import Notification
from domain.state import ComplaintState

RowT = TypeVar("RowT", bound=Derived)


class LedgerProjection:
    def __init__(self, recorded_seq: int = 0) -> None:
        self.recorded_seq = recorded_seq  # the last timeline entry the ledger holds
        self._seen: dict[str, Derived] = {}  # clocks, breaches, extensions as last recorded
        self._sending: dict[str, Derived] = {}

    def behind(self, state: ComplaintState) -> bool:
        return bool(state.timeline) and state.timeline[-1].seq > self.recorded_seq

    def next_record(
        self,
        workflow_id: str,
        version: int,
        intake: ComplaintIntake,
        state: ComplaintState,
        notices: list[Notification],
    ) -> LedgerRecord:
        """The entries after `recorded_seq` and the rows that changed; `recorded` confirms.
        `version`: where in the case's history this is (`LedgerRecord.version`)."""
        entries = [e for e in state.timeline if e.seq > self.recorded_seq]
        self._sending = {}
        current = [*state.finished_clocks, *state.clocks]
        return LedgerRecord(
            workflow_id=workflow_id,
            version=version,
            intake=intake,
            state=state.model_copy(update={"timeline": entries, "finished_clocks": []}),
            clocks=self._changed({f"clock {c.key} {c.started_at}": c for c in current}),
            breaches=self._changed({f"breach {b.clock} {b.due_at}": b for b in state.breaches}),
            extensions=self._changed({f"extension {e.requested_at}": e for e in state.extensions}),
            notices=notices,
            bank=self._bank(state),
            crisis_records=self._changed({f"crisis {r.seq}": r for r in state.crisis_records}),
            conduct_events=self._changed({f"conduct {c.seq}": c for c in state.conduct_events}),
        )

    def recorded(self, record: LedgerRecord) -> None:
        if record.state.timeline:
            self.recorded_seq = record.state.timeline[-1].seq
        self._seen.update(self._sending)
        self._sending = {}

    def _bank(self, state: ComplaintState) -> BankRecord | None:
        """Rules 3: the bank channel's facts and rows that changed, if any (a case
        with none of them records nothing more)."""
        current = (
            state.policy_classifications[-1].policy_class if state.policy_classifications else None
        )
        facts = BankFacts(
            first_receiver=state.first_receiver,
            bank_outlet=state.bank_outlet,
            amount_involved=state.amount_involved,
            repeat_of=state.repeat_of,
            policy_class=current,
        )
        changed_facts = [] if facts == BankFacts() else self._changed({"bank facts": facts})
        handoffs = self._changed({f"handoff {h.key}": h for h in state.handoffs})
        classes = self._changed(
            {f"policy class {c.decided_at}": c for c in state.policy_classifications}
        )
        if not (changed_facts or handoffs or classes):
            return None
        return BankRecord(
            facts=changed_facts[0] if changed_facts else None,
            handoffs=handoffs,
            classifications=classes,
        )

    def _changed(self, rows: dict[str, RowT]) -> list[RowT]:
        changed = {k: v for k, v in rows.items() if self._seen.get(k) != v}
        self._sending.update(changed)
        return list(changed.values())
