"""The case's actions, each defined once (`domain.actions.base.ActionDef`), grouped by what they
are about; `ACTIONS` is the registry everything else is derived from.

The modules are listed in the order the contract published the actions (the docs' table, the
list an unknown action's refusal names): a new action goes in the module of what it is about.
"""

from __future__ import annotations

from typing import Any

from domain.actions import (
    amount,
    approval,
    bank,
    callback,
    closing,
    closure,
    conduct,
    contact,
    crisis,
    extension,
    group_event,
    handover,
    help_flags,
    investigation,
    pause,
    reassignment,
    repeat,
    review,
    urgency,
    withdrawal,
)
from domain.actions.amount import CorrectAmount
from domain.actions.approval import DecideResolution
from domain.actions.bank import ClassifyPolicy, TransferToInsurer
from domain.actions.base import OPEN, Action, ActionDef, Who
from domain.actions.callback import RecordCallback
from domain.actions.closing import CloseCase
from domain.actions.closure import AnnounceClosure
from domain.actions.conduct import AcknowledgeScript, RecordConduct
from domain.actions.contact import RecordContact
from domain.actions.crisis import EscalateCrisis, ReportCrisis
from domain.actions.extension import DecideExtension, RequestExtension
from domain.actions.group_event import RecordEarlySigns, RecordGroupEvent, RecordPoliceContact
from domain.actions.handover import CompleteTransfer, TransferCase
from domain.actions.help_flags import FlagCustomer
from domain.actions.investigation import SubmitInvestigation
from domain.actions.pause import PauseClock, ResumeClock
from domain.actions.reassignment import Reassign
from domain.actions.repeat import RecordRepeat
from domain.actions.review import RequestReview
from domain.actions.urgency import DesignateSpecial, Expedite
from domain.actions.withdrawal import Withdraw

_MODULES = (
    contact,
    investigation,
    approval,
    closing,
    callback,
    extension,
    crisis,
    urgency,
    pause,
    review,
    reassignment,
    withdrawal,
    repeat,
    handover,
    bank,
    amount,
    conduct,
    help_flags,
    group_event,
    closure,
)

ACTIONS: dict[str, ActionDef[Any]] = {d.name: d for m in _MODULES for d in m.DEFINITIONS}
"""Every action of the case by name, in the contract's order."""

ACTION_MODELS: dict[str, type[Action]] = {name: d.payload for name, d in ACTIONS.items()}
"""The payload model of each action (derived: the API and the workflow decode with it)."""

__all__ = [
    "ACTIONS",
    "ACTION_MODELS",
    "OPEN",
    "AcknowledgeScript",
    "Action",
    "ActionDef",
    "AnnounceClosure",
    "ClassifyPolicy",
    "CloseCase",
    "CompleteTransfer",
    "CorrectAmount",
    "DecideExtension",
    "DecideResolution",
    "DesignateSpecial",
    "EscalateCrisis",
    "Expedite",
    "FlagCustomer",
    "PauseClock",
    "Reassign",
    "RecordCallback",
    "RecordConduct",
    "RecordContact",
    "RecordEarlySigns",
    "RecordGroupEvent",
    "RecordPoliceContact",
    "RecordRepeat",
    "ReportCrisis",
    "RequestExtension",
    "RequestReview",
    "ResumeClock",
    "SubmitInvestigation",
    "TransferCase",
    "TransferToInsurer",
    "Who",
    "Withdraw",
]
