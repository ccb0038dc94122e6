-- A ledger record is one statement that always includes the outbox insert, often of no rows; a
-- statement trigger fires even then. Wake the relays only when rows were actually inserted.
CREATE OR REPLACE FUNCTION notifications_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('complaint_notices', '');
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER notifications_wake ON notifications;
CREATE TRIGGER notifications_wake AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_wake();
