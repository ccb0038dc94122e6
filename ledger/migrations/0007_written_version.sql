-- A workflow task can fail after its ledger write (a worker killed, a signal arriving as a run
-- continues as new) and be retried with other entries at the same seq; both attempts write.
-- Each row keeps the version it was written at (the case's run and history length): the
-- write from the later point in the case's history wins, whichever commits last.
ALTER TABLE complaints ADD COLUMN written_version bigint NOT NULL DEFAULT 0;
ALTER TABLE complaint_events ADD COLUMN written_version bigint NOT NULL DEFAULT 0;
ALTER TABLE sla_clocks ADD COLUMN written_version bigint NOT NULL DEFAULT 0;
ALTER TABLE extensions ADD COLUMN written_version bigint NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN written_version bigint NOT NULL DEFAULT 0;
