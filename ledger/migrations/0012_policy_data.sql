-- Issue 15. R-SLA-10: policy as data, every version kept; R-AC-3, R-AC-4: the cycle's sheets,
-- appeals with evidence, reprimands and managerial levels.

-- One row per version of one body of policy: kind 'sla' (the SLA table, domain/sla.SlaPolicy),
-- 'penalty' (domain/accountability.PenaltyPolicy), 'working_hours' (a branch's windows);
-- scope is a branch or '*' (every branch). The version in force at an instant is the newest
-- effective_from at or before it; nothing is ever updated or deleted.
CREATE TABLE policy_versions (
    version         bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('sla', 'penalty', 'working_hours')),
    scope           text NOT NULL DEFAULT '*',
    effective_from  timestamptz NOT NULL,
    body            jsonb NOT NULL,
    reason          text NOT NULL,
    changed_by      text NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_versions_in_force_idx ON policy_versions (kind, scope, effective_from DESC);

-- Ad-hoc closures of a branch (a typhoon day): whole local days, announced by an
-- administrator; running cases of the branch are told (announce_closure) and move their
-- deadlines. The key makes a repeated announcement a no-op.
CREATE TABLE branch_closures (
    closure_key     text PRIMARY KEY,
    branch          text NOT NULL,
    first_day       date NOT NULL,
    last_day        date NOT NULL CHECK (last_day >= first_day),
    reason          text NOT NULL,
    announced_by    text NOT NULL,
    announced_at    timestamptz NOT NULL DEFAULT now(),
    cases_told      integer
);
CREATE INDEX branch_closures_branch_idx ON branch_closures (branch, first_day);

-- R-AC-4: further managerial levels and the department head of a determination.
ALTER TABLE determinations
    ADD COLUMN managerial_levels text[] NOT NULL DEFAULT '{}',
    ADD COLUMN department_head text;

-- R-AC-3, R-AC-4: when the sheet went out, the appeal's sender and evidence (R-IN-9
-- attachment ids), and a published reprimand (通报批评) besides money.
ALTER TABLE accountability_items
    ADD COLUMN sheet_sent_at timestamptz,
    ADD COLUMN appeal_by text,
    ADD COLUMN appeal_evidence text[] NOT NULL DEFAULT '{}',
    ADD COLUMN reprimand boolean NOT NULL DEFAULT false,
    ADD COLUMN branch text;
