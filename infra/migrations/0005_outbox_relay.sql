-- Notices reach the outbox in the ledger's own transaction; the relay in each worker delivers
-- them (activities/notifications.py). It claims due rows by `next_attempt_at` (also its lease
-- and its retry backoff).
ALTER TABLE notifications ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE notifications ADD COLUMN clock text;
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending';
