-- R-CU-1: the words of customer notices as templates (notices/templates.py), versioned like
-- policy (R-SLA-10): one row per saved version, with who saved it and why; never updated or
-- deleted. The version in force for a notice is the newest saved at or before the notice was
-- queued; with none, the default shipped in code (notices/default_templates.py).
CREATE TABLE notice_templates (
    version     bigserial PRIMARY KEY,
    template    text NOT NULL,
    language    text NOT NULL CHECK (language IN ('zh', 'en')),
    subject     text NOT NULL,
    body        text NOT NULL,
    reason      text NOT NULL,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notice_templates_idx ON notice_templates (template, language, version);

-- A customer notice's facts (domain.models.CustomerWords), worded by the relay when it sends
-- it; NULL for staff notices and for notices queued before it.
ALTER TABLE notifications ADD COLUMN words jsonb;
