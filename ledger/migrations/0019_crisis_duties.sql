-- Rules 5, crisis duties. R-CR-10: the insurer's person called to a bank outlet and their
-- arrival; R-CR-11: a media report on a case and the review after a crisis, as crisis records.
ALTER TABLE crisis_records DROP CONSTRAINT crisis_records_kind_check;
ALTER TABLE crisis_records ADD CONSTRAINT crisis_records_kind_check
    CHECK (kind IN ('report', 'early_signs', 'police_contact', 'group_event', 'insurer_called',
                    'insurer_on_site', 'media_report', 'review'));

-- R-CR-11: a peer's crisis recorded by the crisis group (not one case's): who recorded it,
-- and whom the early warning went to (the head office's designated contacts, R-CR-9); the
-- warnings themselves go out through the outbox (notifications, complaint_id
-- 'peer-warning-<id>') in the same transaction.
CREATE TABLE peer_warnings (
    peer_warning_id  bigserial PRIMARY KEY,
    peer             text NOT NULL,      -- the other company
    detail           text NOT NULL,      -- what happened there
    source           text,               -- where it was learnt (a report, a notice)
    recorded_by      text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    warned           text[] NOT NULL     -- the recipients of the early warning
);
CREATE INDEX peer_warnings_recorded_idx ON peer_warnings (recorded_at);
