-- R-CU-2: the customer's status links. Only the SHA-256 of a link's token is kept: the token
-- itself is derived when a notice carrying it is sent (HMAC of the case id and the link's
-- generation under the server's secret, ledger/status_links.py) and exists in clear only in
-- that message. A case may have several rows: a revoked generation, the next one re-issued,
-- or the same generation under a rotated secret. Revoking marks every row of the case.
CREATE TABLE status_links (
    token_hash   bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    complaint_id text NOT NULL REFERENCES complaints (complaint_id) ON DELETE CASCADE,
    generation   integer NOT NULL CHECK (generation >= 0),
    issued_at    timestamptz NOT NULL DEFAULT now(),
    issued_by    text NOT NULL,           -- "acknowledgement", or the staff member who re-issued
    revoked_at   timestamptz,
    revoked_by   text
);
CREATE INDEX status_links_case_idx ON status_links (complaint_id, generation);
