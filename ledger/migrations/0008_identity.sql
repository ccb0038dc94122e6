-- Verified identity (issue 12). A key may be limited to some branches (a Shanghai supervisor
-- does not approve a Beijing case; NULL: every branch), and may have a personal codec
-- endpoint for the Web UI (a token of its own, stored hashed like the key).
ALTER TABLE api_keys
    ADD COLUMN branches text[],
    ADD COLUMN ui_token_hash text;

-- Who saw customer data, of which case, when and through what (PIPL): every decode through
-- the codec server and every API read that shows unmasked customer data.
CREATE TABLE access_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    key_id         text,
    via            text NOT NULL,
    complaint_ids  text[] NOT NULL DEFAULT '{}',
    detail         text
);
CREATE INDEX access_log_at_idx ON access_log (at);
CREATE INDEX access_log_complaints_idx ON access_log USING gin (complaint_ids);
CREATE INDEX access_log_actor_idx ON access_log (actor, at);
