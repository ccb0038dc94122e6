-- R-CR-2, R-CR-8: staff conduct recorded against a person on a case (an unauthorised promise,
-- a disclosure of the resolution, an unauthorised media interview, ...). Written by the
-- case's ledger record; read by the accountability cycle, which proposes responsibility.
CREATE TABLE conduct_events (
    complaint_id     text NOT NULL,
    seq              integer NOT NULL,          -- the timeline entry that recorded it
    person           text NOT NULL,
    kind             text NOT NULL,
    detail           text,
    recorded_by      text NOT NULL,
    recorded_at      timestamptz NOT NULL,
    written_version  bigint NOT NULL DEFAULT 0, -- as every ledger row (ledger/record.py)
    PRIMARY KEY (complaint_id, seq)
);
CREATE INDEX conduct_events_person_idx ON conduct_events (person, recorded_at);
