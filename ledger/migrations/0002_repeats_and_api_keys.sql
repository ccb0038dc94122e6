-- R-IN-6: repeat, escalated and multi-channel complaints, counted on the case.
ALTER TABLE complaints
    ADD COLUMN repeat_count integer NOT NULL DEFAULT 0,
    ADD COLUMN repeat_channels text[] NOT NULL DEFAULT '{}',
    ADD COLUMN escalated boolean NOT NULL DEFAULT false,
    ADD COLUMN multi_channel boolean NOT NULL DEFAULT false;

-- Every external id a caller filed under, mapped to the case it became or was merged into,
-- so a retried intake finds its complaint again.
CREATE TABLE external_ids (
    external_id   text PRIMARY KEY,
    complaint_id  text NOT NULL,
    merged        boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaints_repeat_lookup_idx ON complaints (customer_phone, policy_number)
    WHERE stage NOT IN ('closed', 'withdrawn');

-- API keys of the HTTP API: stored hashed (sha256 of the secret part), mapped to roles.
CREATE TABLE api_keys (
    key_id      text PRIMARY KEY,
    key_hash    text NOT NULL,
    name        text NOT NULL,
    roles       text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
