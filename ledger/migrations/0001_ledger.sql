-- The complaint ledger (投诉台账): the queryable projection of every complaint workflow.
-- Every write the workers make carries a natural key, so a retried activity changes nothing twice.

CREATE TABLE complaints (
    complaint_id        text PRIMARY KEY,
    workflow_id         text NOT NULL UNIQUE,
    external_id         text UNIQUE,
    channel             text NOT NULL,
    branch              text NOT NULL,
    department          text,
    owner               text NOT NULL,
    supervisor          text,
    category            text NOT NULL,
    product             text,
    policy_number       text,
    grade               text NOT NULL,
    crisis              boolean NOT NULL DEFAULT false,
    stage               text NOT NULL,
    outcome             text,
    customer_name       text NOT NULL,
    customer_phone      text NOT NULL,
    customer_id_number  text,
    customer_email      text,
    matter              text NOT NULL,
    demands             text NOT NULL,
    received_at         timestamptz NOT NULL,
    stage_due_at        timestamptz,
    sla_breached        boolean NOT NULL DEFAULT false,
    reopen_count        integer NOT NULL DEFAULT 0,
    review_count        integer NOT NULL DEFAULT 0,
    decided_at          timestamptz,
    closed_at           timestamptz,
    -- The newest timeline entry this row reflects: a late or repeated write never rolls it back.
    last_event_seq      integer NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- The searches of the contract and the monthly counts.
CREATE INDEX complaints_received_idx ON complaints (received_at, complaint_id);
CREATE INDEX complaints_stage_idx ON complaints (stage, received_at);
CREATE INDEX complaints_branch_idx ON complaints (branch, received_at);
CREATE INDEX complaints_owner_idx ON complaints (owner, received_at);
CREATE INDEX complaints_breached_idx ON complaints (received_at) WHERE sla_breached;
CREATE INDEX complaints_month_idx ON complaints (
    date_trunc('month', received_at AT TIME ZONE 'Asia/Shanghai'), branch, channel, category, grade, product
);

-- Append-only timeline (跟踪台账, R-ST-7): stage changes, actions accepted and refused.
CREATE TABLE complaint_events (
    complaint_id  text NOT NULL REFERENCES complaints (complaint_id),
    seq           integer NOT NULL,
    at            timestamptz NOT NULL,
    kind          text NOT NULL,
    actor         text NOT NULL,
    action        text,
    detail        text NOT NULL,
    request_id    text,
    PRIMARY KEY (complaint_id, seq)
);

-- Every clock a case ran, with its basis; one row per (clock, start).
CREATE TABLE sla_clocks (
    complaint_id  text NOT NULL REFERENCES complaints (complaint_id),
    clock_key     text NOT NULL,
    started_at    timestamptz NOT NULL,
    kind          text NOT NULL,
    label         text NOT NULL,
    due_at        timestamptz NOT NULL,
    basis         text NOT NULL,
    provisional   boolean NOT NULL,
    extended      boolean NOT NULL DEFAULT false,
    expedited     boolean NOT NULL DEFAULT false,
    paused_for    interval NOT NULL DEFAULT '0',
    breached_at   timestamptz,
    reminders     integer NOT NULL DEFAULT 0,
    met_at        timestamptz,
    PRIMARY KEY (complaint_id, clock_key, started_at)
);
CREATE INDEX sla_clocks_due_idx ON sla_clocks (due_at) WHERE met_at IS NULL;

CREATE TABLE sla_breaches (
    complaint_id  text NOT NULL REFERENCES complaints (complaint_id),
    clock_key     text NOT NULL,
    due_at        timestamptz NOT NULL,
    label         text NOT NULL,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (complaint_id, clock_key, due_at)
);
CREATE INDEX sla_breaches_recorded_idx ON sla_breaches (recorded_at);

CREATE TABLE extensions (
    complaint_id      text NOT NULL REFERENCES complaints (complaint_id),
    requested_at      timestamptz NOT NULL,
    stage             text NOT NULL,
    requested_by      text NOT NULL,
    requested_due_at  timestamptz NOT NULL,
    reason            text NOT NULL,
    regulatory_days   integer,
    decided_by        text,
    decided_at        timestamptz,
    approved          boolean,
    approved_due_at   timestamptz,
    PRIMARY KEY (complaint_id, requested_at)
);

-- Outbox: one row per notice and channel, delivered by a channel adapter, retried by Temporal.
CREATE TABLE notifications (
    notice_key      text NOT NULL,
    channel         text NOT NULL,
    complaint_id    text NOT NULL,
    kind            text NOT NULL,
    recipient_role  text NOT NULL,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending',  -- pending | delivered | failed
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    provider_id     text,
    last_error      text,
    PRIMARY KEY (notice_key, channel)
);
CREATE INDEX notifications_complaint_idx ON notifications (complaint_id, created_at);
CREATE INDEX notifications_pending_idx ON notifications (created_at) WHERE status <> 'delivered';
