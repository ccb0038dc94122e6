-- R-ST-8 and R-GR-4 (rules 5) as the accountability facts read them (R-AC-4): the case's
-- department head, and the outside bodies that came in on it (a regulator's channel,
-- government, media), each once, as the case holds them.
ALTER TABLE complaints ADD COLUMN department_head text;
ALTER TABLE complaints ADD COLUMN outside_bodies text[] NOT NULL DEFAULT '{}';
