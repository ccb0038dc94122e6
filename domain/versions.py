"""Rules versions as named behaviours: which behaviours each rules version has.

A case keeps the rules version it started under (domain/case.py), so a release never changes
what a running case already did. Code asks for a behaviour by name, never for a version number:
`versions.has(case.rules, Behaviour.CANCEL_IS_AN_EVENT)`.

A behaviour added in version N is in every version after N. No code outside this module
compares rules numbers (tests/unit/test_versions.py checks the source tree).

When an old version can go (as a patch may, tests/histories/retired/README.md): no earlier
than its release date plus the longest life of a case (60 days: the regulatory limit with
both extensions) plus the review window (30 days), and only once Temporal lists no running
case started before the next version's release. `RETIRABLE_AFTER` holds that date (counted
from the next version's release: until then cases still start under the old one); its
behaviours' old branches may then go, and the version's patch with them.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class Behaviour(StrEnum):
    """What a rules version does differently from the one before; named for what it does."""

    # Rules 2: the case redesign.
    PAUSE_ENDS_WITH_STAGE = "pause_ends_with_stage"  # R-SLA-8: leaving a stage resumes its pause
    EXTENSION_LAPSES_WITH_STAGE = "extension_lapses_with_stage"  # R-SLA-6: undecided, it lapses
    # R-SLA-8: a pause or a resume looks at every clock (the regulatory one too), not the stage's.
    ANY_PAUSED_CLOCK_COUNTS = "any_paused_clock_counts"
    RESUME_TELLS_THE_DATE = "resume_tells_the_date"  # the customer is told the decision date
    NO_DEADLINE_MOVED_WHILE_PAUSED = "no_deadline_moved_while_paused"  # expedite, extension
    REMINDERS_THIN_OUT = "reminders_thin_out"  # once a day after the policy's first stretch
    STAFF_ALARMS_ON_WORKING_INSTANTS = "staff_alarms_on_working_instants"  # R-SLA-9
    SENIOR_MANAGER_ROLE = "senior_manager_role"  # takes every supervisor's action (R-SLA-7)
    # R-SLA-7: only a senior_manager grants the further 30 days of the regulatory limit.
    FURTHER_30_DAYS_BY_SENIOR_MANAGER = "further_30_days_by_senior_manager"
    DIFFICULTY_REPORTED = "difficulty_reported"  # R-ST-1: in writing to the supervisor
    COLLECTIVE_NAMES_PARTICIPANTS = "collective_names_participants"  # R-ST-2: two at least
    # R-AC-1: an action counts only under an identity the system verified and sealed.
    VERIFIED_IDENTITY = "verified_identity"
    CONTINUE_AS_NEW = "continue_as_new"  # a long history continues as new, carrying the case
    # A customer notice names one date, and is tied to the clock whose date it names.
    ONE_DATE_PER_CUSTOMER_NOTICE = "one_date_per_customer_notice"
    SPECIAL_GRADE_AT_INTAKE = "special_grade_at_intake"  # R-GR-1
    # Rules 3: the bank channel, crisis handling in full, policy as data.
    BANK_CHANNEL_AND_INTAKE_RULES = "bank_channel_and_intake_rules"  # R-IN-1, R-IN-8 at intake
    FIRST_RECEIVER_STAYS = "first_receiver_stays"  # R-IN-3: a reassignment says who tracks it
    CRISIS_IN_FULL = "crisis_in_full"  # R-CR-5..8: report clocks and records, help flags
    RESULT_KEPT_OFF_TIMELINE = "result_kept_off_timeline"  # R-CR-2: in the state, not the text
    ONE_TIMER_PER_ALARM = "one_timer_per_alarm"  # the workflow waits on one timer per alarm
    SEALS_SPENT = "seals_spent"  # a repeated request still spends its seal (used once)
    # Rules 4
    REGRADE_KEEPS_BREACH = "regrade_keeps_breach"
    # Rules 5
    # R-SLA-11: a case with provisional deadlines asks for the calendar again at least once a
    # day (a timer), and re-plans every running deadline with a year now known.
    DAILY_CALENDAR_CHECK = "daily_calendar_check"
    # Rules 5: an action's text is checked by the input rules (domain/fields.py NEW_INPUT,
    # docs/input.md) in the case too, as the API checks it: a signal from the Web UI or the
    # CLI with a control character or blank text is refused naming the field.
    ACTION_INPUT_RULES = "action_input_rules"
    REQUEST_ID_BINDS_BODY = "request_id_binds_body"  # a request id reused otherwise: refused
    SEAL_BINDS_ACTION = "seal_binds_action"  # a sealed payload counts for its own action only
    CANCEL_IS_AN_EVENT = "cancel_is_an_event"  # a cancellation request is recorded, not an end
    # R-CR-9: crisis reports and notices go to the designated contacts of the report chain in
    # the case's policy (domain/contacts.py), not to a recipient written in code.
    REPORTS_CLIMB_THE_CHAIN = "reports_climb_the_chain"
    # R-GR-4: the regulator, a government body or the media coming in on an open case (a
    # repeat or a transfer through their channel, or a contact recorded with
    # record_outside_contact) makes it at least major at once and puts a crisis to the
    # supervisor, who declares it or records why not within a working hour.
    LATER_OUTSIDE_BODY_REGRADES = "later_outside_body_regrades"
    # R-ST-9: the first receiver is told when any stage of a case they received is overdue.
    FIRST_RECEIVER_CHASES = "first_receiver_chases"
    # R-ST-8: a major or crisis case names its department head (the intake's
    # `department_head`, or name_department_head), and its approving collective decision has
    # them among the participants: without one named, the approval is refused with the reason.
    DEPARTMENT_HEAD_DECIDES = "department_head_decides"
    # The search attribute ComplaintBranchCode (the branch name without spaces) is set, so a
    # Web UI filter chip can hold the branch (the chip cuts a value at its first space).
    BRANCH_CODE_SEARCH_ATTRIBUTE = "branch_code_search_attribute"
    # R-CU-1: a closed case tells the customer the decision (outcome, reasons, amount, the
    # review and its last day, the routes outside the company); a withdrawal is confirmed.
    DECISION_TOLD = "decision_told"
    # R-CU-6: the case is never assigned, reassigned or transferred to a staff member the
    # complaint is about (the intake's `staff_complained_about`).
    RECUSAL = "recusal"
    # R-CU-1, R-IN-7: a review asked is confirmed to the customer, with the last day of the
    # new round's investigation.
    REVIEW_TOLD = "review_told"
    # A payload the case cannot read is refused on the timeline in the name of the sender its
    # seal verified, not "unknown" (the person who typed it sees their own refusal).
    REFUSAL_NAMES_SENDER = "refusal_names_sender"
    # R-GR-3, R-GR-4 with R-CR-5: a customer sent by the regulator or the media is that body
    # coming in: flagged at intake, the case starts at least major; flagged later on an open
    # case, it is regraded and a crisis put to the supervisor as for a repeat through them.
    SENT_BY_OUTSIDE_BODY_GRADES = "sent_by_outside_body_grades"
    # R-CU-5: a case closed with a staff member's fault on record and no apology recorded
    # flags it to the supervisor.
    APOLOGY_OWED = "apology_owed"
    # R-CU-4: an outlet's hand-over to the insurer (R-CR-4) or a referral for accommodation
    # (R-CR-3) completed tells the customer the insurer's handling opinion.
    INSURER_OPINION_TOLD = "insurer_opinion_told"
    # R-CU-2: once contacted, the customer is told when their case passes to another handler
    # (a reassignment or a transfer with a new owner): the handler's team and how to reach it.
    HANDLER_CHANGE_TOLD = "handler_change_told"
    # R-ST-1 (amended): a hard case's written report of its difficult points goes to head
    # office (the designated contacts of the case's report chain) and to the department
    # concerned the submission names (`report_to`), besides the supervisor; with neither, the
    # submission is refused with the reason.
    DIFFICULTY_REPORTED_UP = "difficulty_reported_up"
    # R-CU-3: an approved resolution is put to the customer before it is carried out; closing
    # waits for their answer (accepts; rejects, back to investigation) or for the policy's
    # working days to lapse (`record_customer_response` came with rules 5).
    CUSTOMER_SAYS = "customer_says"
    # R-CR-10: when soothing at a bank outlet fails, the call for the insurer's responsible
    # person to come on site is recorded and runs a clock of `insurer_on_site_hours` (1 h, at
    # any hour) until their arrival is recorded; overdue, it reminds like a crisis report.
    INSURER_ON_SITE = "insurer_on_site"
    # R-CR-11: a crisis case that ends (closed or withdrawn) owes a review within
    # `crisis_review_days` working days (an overdue one reminds the supervisor), and does not
    # end before it is recorded or reminded; a media report recorded on a case warns the crisis
    # group (the head office's contacts) early.
    CRISIS_REVIEWED = "crisis_reviewed"
    # R-CR-12: the bank outlet's hand-over names the insurer's person who owns the case from
    # then on; the outlet's person stays its first receiver and never owns it again.
    INSURER_OWNS = "insurer_owns"


# The version each behaviour came with.
INTRODUCED: dict[Behaviour, int] = {
    Behaviour.PAUSE_ENDS_WITH_STAGE: 2,
    Behaviour.EXTENSION_LAPSES_WITH_STAGE: 2,
    Behaviour.ANY_PAUSED_CLOCK_COUNTS: 2,
    Behaviour.RESUME_TELLS_THE_DATE: 2,
    Behaviour.NO_DEADLINE_MOVED_WHILE_PAUSED: 2,
    Behaviour.REMINDERS_THIN_OUT: 2,
    Behaviour.STAFF_ALARMS_ON_WORKING_INSTANTS: 2,
    Behaviour.SENIOR_MANAGER_ROLE: 2,
    Behaviour.FURTHER_30_DAYS_BY_SENIOR_MANAGER: 2,
    Behaviour.DIFFICULTY_REPORTED: 2,
    Behaviour.COLLECTIVE_NAMES_PARTICIPANTS: 2,
    Behaviour.VERIFIED_IDENTITY: 2,
    Behaviour.CONTINUE_AS_NEW: 2,
    Behaviour.ONE_DATE_PER_CUSTOMER_NOTICE: 2,
    Behaviour.SPECIAL_GRADE_AT_INTAKE: 2,
    Behaviour.BANK_CHANNEL_AND_INTAKE_RULES: 3,
    Behaviour.FIRST_RECEIVER_STAYS: 3,
    Behaviour.CRISIS_IN_FULL: 3,
    Behaviour.RESULT_KEPT_OFF_TIMELINE: 3,
    Behaviour.ONE_TIMER_PER_ALARM: 3,
    Behaviour.SEALS_SPENT: 3,
    Behaviour.REGRADE_KEEPS_BREACH: 4,
    Behaviour.DAILY_CALENDAR_CHECK: 5,
    Behaviour.ACTION_INPUT_RULES: 5,
    Behaviour.REQUEST_ID_BINDS_BODY: 5,
    Behaviour.SEAL_BINDS_ACTION: 5,
    Behaviour.CANCEL_IS_AN_EVENT: 5,
    Behaviour.REPORTS_CLIMB_THE_CHAIN: 5,
    Behaviour.LATER_OUTSIDE_BODY_REGRADES: 5,
    Behaviour.FIRST_RECEIVER_CHASES: 5,
    Behaviour.DEPARTMENT_HEAD_DECIDES: 5,
    Behaviour.BRANCH_CODE_SEARCH_ATTRIBUTE: 5,
    Behaviour.DECISION_TOLD: 5,
    Behaviour.REVIEW_TOLD: 5,
    Behaviour.REFUSAL_NAMES_SENDER: 5,
    Behaviour.SENT_BY_OUTSIDE_BODY_GRADES: 5,
    Behaviour.RECUSAL: 5,
    Behaviour.APOLOGY_OWED: 5,
    Behaviour.INSURER_OPINION_TOLD: 5,
    Behaviour.HANDLER_CHANGE_TOLD: 5,
    Behaviour.DIFFICULTY_REPORTED_UP: 5,
    Behaviour.CUSTOMER_SAYS: 5,
    Behaviour.INSURER_ON_SITE: 5,
    Behaviour.CRISIS_REVIEWED: 5,
    Behaviour.INSURER_OWNS: 5,
}


# The release of each rules version (None: this release, not yet out).
RELEASED: dict[int, date | None] = {
    1: date(2026, 11, 22),
    2: date(2026, 12, 2),
    3: date(2026, 12, 2),
    4: date(2026, 12, 2),
    5: None,
}

# A case lives at most the regulatory limit with both extensions (R-SLA-7), then the review
# window (R-IN-7); review rounds have no fixed end, hence the list query as well.
LONGEST_CASE_LIFE = timedelta(days=60)
REVIEW_WINDOW = timedelta(days=30)


def _retirable_after(rules: int) -> date | None:
    # A case starts under `rules` until the next version is released: the last one of them
    # may run the longest life and the review window after that day.
    superseded = RELEASED.get(rules + 1)
    return None if superseded is None else superseded + LONGEST_CASE_LIFE + REVIEW_WINDOW


# The earliest day an old version's branches may go, given an empty list query:
#   temporal workflow list --query 'WorkflowType="ComplaintWorkflow" AND
#     ExecutionStatus="Running" AND StartTime < "<the next version's release date>"'
# rules 1 (started until rules 2 came, 2026-12-02): 2027-03-02; rules 2, 3 (superseded the
# day they came): 2027-03-02; rules 4: 90 days after this release; rules 5: in force.
RETIRABLE_AFTER: dict[int, date | None] = {v: _retirable_after(v) for v in RELEASED}


def has(rules: int, behaviour: Behaviour) -> bool:
    """Whether a case running under `rules` has `behaviour`."""
    return rules >= INTRODUCED[behaviour]


def behaviours(rules: int) -> list[Behaviour]:
    """Every behaviour a case under `rules` has (for docs and the Web UI's details)."""
    return [b for b in Behaviour if has(rules, b)]
