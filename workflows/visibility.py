"""What ops staff see of a case in the Temporal Web UI: search attribute values and details.

Never customer data: search attributes and current details are stored unencrypted.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeUpdate, TypedSearchAttributes

import workflows.search_attributes as sa
from domain.state import ComplaintState


def values(s: ComplaintState) -> dict[str, Any]:
    """The contract's search attributes of a case (None: unset)."""
    stage_clock = s.clock(f"stage:{s.stage.value}")
    flags = (
        # R-CR-5: set only once the customer is flagged, so a case without flags (every
        # rules-2 case) upserts what its history holds.
        {sa.HELP_FLAGS.name: [f.value for f in s.help_flags]} if s.help_flags else {}
    )
    return flags | {
        sa.STAGE.name: s.stage.value,
        sa.GRADE.name: s.grade.value,
        sa.CHANNEL.name: s.channel.value,
        sa.BRANCH.name: s.branch,
        sa.OWNER.name: s.owner,
        sa.CATEGORY.name: s.category,
        sa.SLA_BREACHED.name: s.sla_breached,
        sa.STAGE_DUE_AT.name: stage_clock.due_at if stage_clock else None,
        sa.CRISIS.name: s.crisis,
        sa.REOPEN_COUNT.name: s.reopen_count,
    }


def current(attributes: TypedSearchAttributes) -> dict[str, Any]:
    """The values a run starts with (a continued run inherits its predecessor's)."""
    return {pair.key.name: pair.value for pair in attributes}


def updates(changed: dict[str, Any]) -> list[SearchAttributeUpdate[Any]]:
    """Upserts for the changed values, in the contract's order."""
    return [
        key.value_unset() if changed[key.name] is None else key.value_set(changed[key.name])
        for key in sa.ALL
        if key.name in changed
    ]


def details(s: ComplaintState) -> str:
    """The "current details" panel: grade, stage, owner and every running deadline."""
    lines = [
        f"**{s.complaint_id}** · {s.grade.value}{' · CRISIS' if s.crisis else ''} · "
        f"stage **{s.stage.value}** · owner {s.owner} · {s.branch}"
    ]
    for c in s.clocks:
        status = "BREACHED" if c.breached_at else "paused" if c.paused_at else "due"
        lines.append(f"- {c.label}: {status} {c.due_at:%Y-%m-%d %H:%M %Z}")
    if s.reopen_count:
        lines.append(f"- reopened {s.reopen_count}×")
    lines += _bank_channel(s)
    if s.help_flags:  # R-CR-5
        lines.append(f"- customer needs help: {', '.join(f.value for f in s.help_flags)}")
    for r in s.crisis_records:  # R-CR-6: police contacts, the on-site commander
        if r.kind == "police_contact":
            lines.append(f"- police contacted: {r.person}")
        elif r.kind == "group_event":
            lines.append(f"- group event, commanded on site by {r.person}")
    return "\n".join(lines)


def _bank_channel(s: ComplaintState) -> list[str]:
    """Rules 3: the first receiver, the bank outlet, the link to an earlier case,
    the policy class (no customer data)."""
    lines = []
    if s.first_receiver is not None:
        lines.append(f"- first receiver (首问负责制): {s.first_receiver}")
    if s.bank_outlet is not None:
        lines.append(f"- bank outlet: {s.bank_outlet.bank} · {s.bank_outlet.outlet}")
    if s.repeat_of is not None:
        lines.append(f"- repeat of {s.repeat_of} ({s.repeat_count + 1} complaints in all)")
    if s.policy_classifications:
        lines.append(f"- policy class: {s.policy_classifications[-1].policy_class.value}")
    return lines
