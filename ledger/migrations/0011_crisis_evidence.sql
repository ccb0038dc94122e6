-- Issue 14, part B: crisis in full, evidence, confidentiality (domain/crisis.py).

-- R-CR-5: the flags of a customer who needs help, shown in every view and counted in the
-- statistics. Written with the case's record (ledger/crisis.py).
ALTER TABLE complaints ADD COLUMN help_flags text[] NOT NULL DEFAULT '{}';
CREATE INDEX complaints_help_flags_idx ON complaints USING gin (help_flags);

-- R-CR-1, R-CR-6, R-CR-7, R-CR-8: each crisis report filed (its level, recipient, text,
-- evidence ids, deadline and whether it was late), early signs of a group event, police
-- contacts and a group event's on-site commander, at the timeline entry that recorded it.
-- A report never filed is a crisis clock in sla_clocks with met_at NULL and breached_at set.
CREATE TABLE crisis_records (
    complaint_id     text NOT NULL,
    seq              integer NOT NULL,
    kind             text NOT NULL
        CHECK (kind IN ('report', 'early_signs', 'police_contact', 'group_event')),
    at               timestamptz NOT NULL,
    actor            text NOT NULL,
    level            text,
    person           text,
    detail           text,
    attachments      text[] NOT NULL DEFAULT '{}',
    due_at           timestamptz,
    late             boolean NOT NULL DEFAULT false,
    written_version  bigint NOT NULL DEFAULT 0,  -- as every ledger row (ledger/record.py)
    PRIMARY KEY (complaint_id, seq)
);
CREATE INDEX crisis_records_at_idx ON crisis_records (kind, at);

-- R-IN-9: evidence attached to a case or to an appeal (of the accountability cycle), kept with
-- its content hash, size and type, encrypted at rest under the codec's key ring (`key_id`:
-- the key; `sealed`: nonce + AES-GCM ciphertext of the content). Never altered: a correction
-- is a new attachment. The same content attached twice to the same owner is one row.
CREATE TABLE evidence (
    evidence_id   uuid PRIMARY KEY,
    complaint_id  text NOT NULL,
    owner_kind    text NOT NULL CHECK (owner_kind IN ('case', 'appeal')),
    owner_id      text NOT NULL,
    filename      text NOT NULL,
    media_type    text NOT NULL,
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    key_id        text NOT NULL,
    sealed        bytea NOT NULL,
    uploaded_by   text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_kind, owner_id, sha256)
);
CREATE INDEX evidence_complaint_idx ON evidence (complaint_id, uploaded_at);

CREATE FUNCTION evidence_is_never_altered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'R-IN-9: evidence is never altered; attach a correction as new evidence';
END $$;
CREATE TRIGGER evidence_never_altered BEFORE UPDATE ON evidence
    FOR EACH ROW EXECUTE FUNCTION evidence_is_never_altered();
