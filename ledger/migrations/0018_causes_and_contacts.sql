-- R-AN-8: the root cause a case closed with (domain/causes.py; NULL: closed before causes were
-- recorded, or none named); the root-cause taxonomy and the hot-spot thresholds as policy
-- (kind 'causes', 'hot_spots', scope '*'). R-CR-9: the contacts directory as policy, one scope
-- per unit (kind 'contacts', scope the unit's id; domain/contacts.py).
ALTER TABLE policy_versions DROP CONSTRAINT policy_versions_kind_check;
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_kind_check
    CHECK (kind IN ('sla', 'penalty', 'working_hours', 'calendar_year', 'causes', 'hot_spots',
                    'contacts'));

ALTER TABLE complaints ADD COLUMN root_cause text;
-- The monthly report counts causes of the cases decided in a month (and the three before).
CREATE INDEX complaints_decided_cause_idx ON complaints (decided_at)
    INCLUDE (branch, product, outlet, root_cause) WHERE decided_at IS NOT NULL;

-- R-AN-8: a hot spot (a cause's or a product's count in a branch and month well above its
-- trailing level), flagged once by the daily watch (workflows/hotspots.py), then given a
-- rectification owner and a due date, reminded while overdue, and closed when the
-- rectification is recorded.
CREATE TABLE hot_spots (
    hot_spot_id       bigserial PRIMARY KEY,
    period            text NOT NULL,                -- YYYY-MM
    branch            text NOT NULL,
    dimension         text NOT NULL CHECK (dimension IN ('cause', 'product')),
    key               text NOT NULL,                -- the cause's code or the product
    count             integer NOT NULL,
    trailing_counts   integer[] NOT NULL,           -- the months before, oldest first
    trailing_mean     double precision NOT NULL,
    flagged_at        timestamptz NOT NULL DEFAULT now(),
    owner             text,
    due_on            date,
    assigned_by       text,
    assigned_at       timestamptz,
    rectification     text,
    rectified_by      text,
    rectified_at      timestamptz,
    reminders         integer NOT NULL DEFAULT 0,
    last_reminded_on  date,
    UNIQUE (period, branch, dimension, key)
);
CREATE INDEX hot_spots_open_idx ON hot_spots (due_on) WHERE rectified_at IS NULL;
