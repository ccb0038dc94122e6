-- The monthly accountability cycle (R-AN-3, R-AN-5, R-AC-1, R-AC-2): the period's cases with
-- the proposed responsibility and penalties, the review group's decisions and the appeals.

CREATE TABLE accountability_cycles (
    period          text PRIMARY KEY,            -- '2026-11' = 2026-10-21 .. 2026-11-20
    starts_on       date NOT NULL,
    ends_on         date NOT NULL,
    appeal_until    timestamptz NOT NULL,
    status          text NOT NULL,               -- compiled | published
    compiled_at     timestamptz NOT NULL,
    published_at    timestamptz
);

CREATE TABLE accountability_items (
    period            text NOT NULL REFERENCES accountability_cycles (period),
    complaint_id      text NOT NULL REFERENCES complaints (complaint_id),
    person            text NOT NULL,
    responsibility    text NOT NULL,              -- direct | managerial | complaint_staff
    reasons           text[] NOT NULL,
    proposed_min      integer NOT NULL,
    proposed_max      integer NOT NULL,
    decided_penalty   integer,
    decided_by        text,
    appeal            text,
    appeal_decision   text,
    final             boolean NOT NULL DEFAULT false,
    PRIMARY KEY (period, complaint_id, person, responsibility)
);
CREATE INDEX accountability_items_person_idx ON accountability_items (person, period);
