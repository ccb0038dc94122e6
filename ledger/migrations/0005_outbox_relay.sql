-- Notices reach the outbox in the ledger's own transaction; the relay in each worker delivers
-- them (activities/notifications.py). It claims due rows by `next_attempt_at` (also its lease
-- and its retry backoff).
ALTER TABLE notifications ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE notifications ADD COLUMN clock text;
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending';

-- Wake the relays when notices are committed (PostgreSQL folds a transaction's repeats into
-- one notification and sends none if it rolls back).
CREATE FUNCTION notifications_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('complaint_notices', '');
    RETURN NULL;
END $$;
CREATE TRIGGER notifications_wake AFTER INSERT ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_wake();
