"""What ops staff see of a case in the Temporal Web UI: search attribute values and details.

Never customer data: search attributes and current details are stored unencrypted.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.common import SearchAttributeUpdate, TypedSearchAttributes

import workflows.search_attributes as sa
from domain import available, versions
from domain.actions import ACTIONS
from domain.case import RULES
from domain.state import ComplaintState
from domain.versions import Behaviour
from infra.masking import mask_text

DEFAULT_ZONE = "Asia/Shanghai"  # the statutory calendar's (domain/calendar.py)
# What the payload of an action never carries: the codec server seals who sends it.
_SEALED = frozenset({"actor", "role", "request_id"})
_NOT_CODE = re.compile(r"[^\w]+")


def branch_code(branch: str) -> str:
    """The branch name without spaces, for the Web UI's filter chips (which cut a value at its
    first space): `Shanghai Pudong` -> `shanghai-pudong`; letters of any script are kept."""
    return _NOT_CODE.sub("-", branch.casefold()).strip("-") or "-"


def values(s: ComplaintState, *, rules: int = RULES) -> dict[str, Any]:
    """The contract's search attributes of a case (None: unset)."""
    stage_clock = s.clock(f"stage:{s.stage.value}")
    flags: dict[str, Any] = (
        # R-CR-5: set only once the customer is flagged, so a case without flags (every
        # rules-2 case) upserts what its history holds.
        {sa.HELP_FLAGS.name: [f.value for f in s.help_flags]} if s.help_flags else {}
    )
    if versions.has(rules, Behaviour.BRANCH_CODE_SEARCH_ATTRIBUTE):  # not in older histories
        flags[sa.BRANCH_CODE.name] = branch_code(s.branch)
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


def details(
    s: ComplaintState,
    *,
    zone: str = DEFAULT_ZONE,
    rules: int = RULES,
    workflow_id: str | None = None,
) -> str:
    """The "current details" panel, in Markdown: the case in words (grade, stage, owner, first
    receiver, every running deadline in the branch's zone to the minute), the last refusal,
    and the actions it accepts now, each with who may take it and a payload to paste into
    "Send a Signal" (`workflow_id` and `action` filled in, the fields to fill in null)."""
    tz = ZoneInfo(zone)
    code = branch_code(s.branch)
    lines = [
        f"**{s.complaint_id}** · {s.grade.value}{' · CRISIS' if s.crisis else ''} · "
        f"stage **{s.stage.value}** · owner {s.owner} · {s.branch} (`{code}`)",
        "",
    ]
    facts = []
    if s.reopen_count:
        facts.append(f"- reopened {s.reopen_count}×")
    facts += _bank_channel(s)
    if s.help_flags:  # R-CR-5
        facts.append(f"- customer needs help: {', '.join(f.value for f in s.help_flags)}")
    for r in s.crisis_records:  # R-CR-6: police contacts, the on-site commander
        if r.kind == "police_contact":
            facts.append(f"- police contacted: {r.person}")
        elif r.kind == "group_event":
            facts.append(f"- group event, commanded on site by {r.person}")
    if facts:
        lines += [*facts, ""]
    if s.clocks:
        lines += [f"**期限 Deadlines** ({zone})", ""]
        for c in s.clocks:
            status = "BREACHED" if c.breached_at else "paused" if c.paused_at else "due"
            lines.append(f"- {c.label}: {status} {c.due_at.astimezone(tz):%Y-%m-%d %H:%M}")
        lines.append("")
    refusal = next((e for e in reversed(s.timeline) if e.kind == "refused"), None)
    if refusal is not None:
        lines += [
            f"**最近一次拒绝 Last refusal** {refusal.at.astimezone(tz):%Y-%m-%d %H:%M} · "
            f"{refusal.action or 'an action'} from {mask_text(refusal.actor)}",
            "",
            f"> {mask_text(' '.join(refusal.detail.split()))}",
            "",
        ]
    lines += _accepted_now(s, rules, workflow_id or f"complaint-{s.complaint_id}")
    return "\n".join(lines).rstrip()


def _accepted_now(s: ComplaintState, rules: int, workflow_id: str) -> list[str]:
    names = available.open_now(s, rules=rules)
    if not names:
        return ["**现在可做 Actions it accepts now**: none"]
    lines = [
        "**现在可做 Actions it accepts now**: More Actions → Send a Signal, the signal of the "
        "same name, this payload (fill in each `null`; who you are comes from your codec "
        "endpoint)",
        "",
    ]
    for name in names:
        who = ", ".join(r.value for r in available.who_may(name, rules=rules))
        lines += [f"`{name}` · {who}", "```json", _payload(workflow_id, name), "```"]
    return lines


def _payload(workflow_id: str, name: str) -> str:
    """One JSON object on short lines (the panel does not wrap a code block's lines): the
    workflow, the action, then each field to fill in as null."""
    lines = [
        f'{{"workflow_id": {json.dumps(workflow_id, ensure_ascii=False)},',
        f' "action": {json.dumps(name)}',
    ]
    fill = ", ".join(f"{json.dumps(f)}: null" for f in _required(name))
    if fill:
        lines[-1] += ","
        lines.append(f" {fill}")
    return "\n".join(lines) + "}"


@cache
def _required(name: str) -> tuple[str, ...]:
    """The fields of an action's payload that have no default (the sealed ones aside)."""
    fields = ACTIONS[name].payload.model_fields
    return tuple(f for f, info in fields.items() if info.is_required() and f not in _SEALED)


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
