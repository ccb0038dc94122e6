"""Compatibility only: the names this module held, re-exported from where they now live.

New code imports from the module of what a thing is: the field types and the `Input` and
`Derived` bases (`domain.fields`), the vocabulary (`domain.vocabulary`), the intake
(`domain.intake`), the actions and their payloads (`domain.actions`), the case's state
(`domain.state`), notices (`domain.notice_models`), ledger records (`domain.ledger_records`)
and the workflow's replies (`domain.replies`). Kept while other branches still import it.
"""

from domain.actions import *  # noqa: F403
from domain.actions.amount import CorrectAmount
from domain.actions.approval import DecideResolution
from domain.actions.bank import ClassifyPolicy, TransferToInsurer
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
from domain.fields import *  # noqa: F403
from domain.fields import Input
from domain.intake import *  # noqa: F403
from domain.ledger_records import *  # noqa: F403
from domain.notice_models import *  # noqa: F403
from domain.replies import *  # noqa: F403
from domain.state import *  # noqa: F403
from domain.vocabulary import *  # noqa: F403

Model = Input  # the untrusted-input base's old name

__all__ = [  # the payload models this module held (the rest come with the star imports)
    "AcknowledgeScript",
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
    "Model",
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
    "Withdraw",
]
