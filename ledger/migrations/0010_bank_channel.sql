-- Issue 14 part A (rules 3): the bank channel and the intake rules. Written by the case's
-- ledger record (ledger/bank.py) in the record's transaction.

-- R-IN-3 the first receiver (首问负责制), R-IN-1/R-CR-4 the bank and outlet, R-IN-8 the amount
-- involved, R-IN-6 the closed case this one repeats, R-CR-3 the current policy class.
ALTER TABLE complaints
    ADD COLUMN first_receiver text,
    ADD COLUMN bank text,
    ADD COLUMN outlet text,
    ADD COLUMN outlet_person text,
    ADD COLUMN amount_involved numeric(16, 2),
    ADD COLUMN amount_currency text,
    ADD COLUMN repeat_of text,
    ADD COLUMN policy_class text;
CREATE INDEX complaints_closed_repeat_lookup_idx ON complaints (customer_phone, policy_number)
    WHERE stage = 'closed';

-- R-IN-5 transfers (转办), R-CR-4 an outlet's hand-over to the insurer, R-CR-3 a referral for
-- accommodation: each with whom, what, its deadline and how it ended.
CREATE TABLE transfers (
    complaint_id     text NOT NULL,
    transfer_key     text NOT NULL,             -- transfer-1, outlet-1, referral-1, ...
    kind             text NOT NULL,             -- transfer, outlet, referral
    to_whom          text NOT NULL,
    requirements     text,
    started_by       text NOT NULL,
    started_at       timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    completed_by     text,
    completed_at     timestamptz,
    outcome          text,
    written_version  bigint NOT NULL DEFAULT 0, -- as every ledger row (ledger/record.py)
    PRIMARY KEY (complaint_id, transfer_key)
);

-- R-CR-3: each classification of a bank-channel policy, with its facts and who decided.
CREATE TABLE policy_classes (
    complaint_id        text NOT NULL,
    decided_at          timestamptz NOT NULL,
    policy_class        text NOT NULL,          -- normal, flawed, problem
    signed_personally   boolean,
    callback_compliant  boolean,
    mis_selling_proof   text,
    basis               text NOT NULL,
    decided_by          text NOT NULL,
    PRIMARY KEY (complaint_id, decided_at)
);

-- R-IN-8: the monthly report sums the amounts involved; its scan stays index-only (0003).
DROP INDEX complaints_report_idx;
CREATE INDEX complaints_report_idx ON complaints (received_at) INCLUDE (
    complaint_id, branch, channel, category, grade, outcome, product,
    reopen_count, repeat_count, escalated, multi_channel, amount_involved
);
