"""The words every part of the case uses: channels, grades, stages, roles, help flags."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """R-IN-1: where the complaint came in. Drives grading and accountability."""

    HOTLINE = "hotline"
    ONLINE = "online"
    LETTER = "letter"
    VISIT = "visit"
    PARTNER = "partner"
    HEADQUARTERS = "headquarters"
    ASSOCIATION = "association"
    REGULATOR = "regulator"
    MEDIA = "media"
    OTHER = "other"
    # Rules 3: a bank outlet is its own channel (R-CR-4), naming the bank and the
    # outlet (`ComplaintIntake.bank_outlet`); the regulator's levels told apart. `regulator`
    # stays for old payloads and cases (it grades as both levels do, R-GR-3).
    BANK_OUTLET = "bank_outlet"
    REGULATOR_PROVINCIAL = "regulator_provincial"
    REGULATOR_NATIONAL = "regulator_national"


class Grade(StrEnum):
    """R-GR-1."""

    GENERAL = "general"
    MAJOR = "major"
    SPECIAL = "special"


class Stage(StrEnum):
    """R-ST-1: the handling stages; `closed` waits out the review window, `withdrawn` is final."""

    CONTACT = "contact"
    INVESTIGATE = "investigate"
    APPROVE = "approve"
    CLOSE = "close"
    CALLBACK = "callback"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    SYSTEM = "system"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    # R-SLA-7: the superior office or a head-office senior manager, who alone may grant the
    # further 30 days of the regulatory limit (60 in all); may take every supervisor's action
    # too. Rules 2: a case started under rules 1 refuses the role (it did not exist then).
    SENIOR_MANAGER = "senior_manager"
    AUDITOR = "auditor"
    # R-AN-3, R-AC-3: decides the monthly accountability cycle and its appeals.
    REVIEW_GROUP = "review_group"
    # R-SLA-10: changes the policy data (SLA table, penalty amounts, working hours) and
    # announces a branch's ad-hoc closures; takes no part in a case's handling.
    ADMIN = "admin"


class HelpFlag(StrEnum):
    """R-CR-5: a customer who needs help communicating with the insurer."""

    VULNERABLE = "vulnerable"
    VIOLENT = "violent"  # acted violently
    GROUP_RISK = "group_risk"  # likely to start a group complaint
    SENT_BY_REGULATOR_OR_MEDIA = "sent_by_regulator_or_media"
