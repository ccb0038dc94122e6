-- Cases open in the ledger whose workflow no longer runs (terminated, reset to an earlier point,
-- timed out, failed, cancelled, or not found): found by the scheduled reconciliation
-- (workflows/reconciliation.py). One row per case, ever: the row is the mark and its key, so
-- the supervisor's notice, put in the outbox in the same transaction, goes out once.
CREATE TABLE orphaned_cases (
    complaint_id  text PRIMARY KEY REFERENCES complaints (complaint_id),
    workflow_id   text NOT NULL,
    status        text NOT NULL CHECK (status IN ('terminated', 'reset', 'timed_out', 'failed',
                                                  'canceled', 'completed', 'not_found')),
    run_id        text,            -- the run Temporal described, when there is one
    stage         text NOT NULL,   -- the ledger's stage when it was found
    found_at      timestamptz NOT NULL DEFAULT now()
);
