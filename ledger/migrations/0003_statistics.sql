-- Monthly statistics (R-AN-1, R-AN-2) and the effective-complaint control (R-AN-2, R-AN-4, R-AC-1).

-- Exposure figures from the business systems, per calendar month, branch and product
-- (`python -m reports.exposures import FILE.csv`). `product = ''` is the branch's totals row
-- (a primary key column cannot be NULL). A figure left empty is unknown, not zero.
CREATE TABLE exposures (
    period           text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    branch           text NOT NULL CHECK (branch <> ''),
    product          text NOT NULL DEFAULT '',
    claims_reported  bigint CHECK (claims_reported >= 0),
    policies         bigint CHECK (policies >= 0),
    premium_yuan     numeric(20, 2) CHECK (premium_yuan >= 0),
    imported_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period, branch, product)
);

-- The determination of a finished case (R-AN-2 effective or not, R-AN-4 exempt), with the
-- people held responsible (R-AC-1, R-AN-3: direct and managerial). One per case; a later
-- decision of the review group replaces it. `effective` follows from the reason code.
CREATE TABLE determinations (
    complaint_id       text PRIMARY KEY REFERENCES complaints (complaint_id),
    effective          boolean NOT NULL,
    reason_code        text NOT NULL CHECK (reason_code IN (
        'staff_error', 'poor_attitude', 'lack_of_responsibility', 'deliberate_escalation',
        'repair_shop_impersonation', 'instigated_by_own_surveyor', 'against_head_office_rules',
        'withdrawn', 'outside_liability', 'satisfied_first_coordination')),
    direct_person      text,
    managerial_person  text,
    decided_by         text NOT NULL,
    decided_at         timestamptz NOT NULL DEFAULT now(),
    note               text,
    CONSTRAINT determinations_effective_matches_reason CHECK (effective = (reason_code IN (
        'staff_error', 'poor_attitude', 'lack_of_responsibility', 'deliberate_escalation')))
);

-- What the monthly report reads (reports/statistics.py): one calendar month of complaints by
-- received_at, grouped seven ways, and twelve monthly counts for the trend. This covering index
-- lets all of it run as index-only range scans: about 1/24 of the index for the month instead
-- of the heap rows with their long text columns (matter, demands, customer), and no sort.
-- complaint_id is included for the join with determinations (R-AN-2). Cost: one more index
-- entry per ledger upsert; those updates are not HOT already (stage, owner are indexed).
-- Index-only scans rely on the visibility map, which autovacuum keeps (past months are static).
CREATE INDEX complaints_report_idx ON complaints (received_at) INCLUDE (
    complaint_id, branch, channel, category, grade, outcome, product,
    reopen_count, repeat_count, escalated, multi_channel
);

-- SLA compliance per stage for the clocks started in the month: only stage clocks, a range of
-- started_at, index-only (complaint_id for the branch filter's join).
CREATE INDEX sla_clocks_stage_started_idx ON sla_clocks (started_at)
    INCLUDE (complaint_id, clock_key, extended, breached_at, met_at)
    WHERE kind = 'stage';
