-- R-AN-4 restated (2026-12-07): the reading of the accountability rules each period was
-- compiled under (domain/accountability.RULE_READING). 1 is the first statement, which exempted
-- every withdrawn case: the periods compiled before this column existed, and any compiled by a
-- worker that does not write it. A published period is never compiled again.
ALTER TABLE accountability_cycles ADD COLUMN rule_reading smallint NOT NULL DEFAULT 1;

-- R-AC-5: the outcomes proposed and decided (criticism_education, warning, fine, demotion,
-- dismissal, published_reprimand); R-AN-7: who determined the case's responsibility.
ALTER TABLE accountability_items
    ADD COLUMN proposed_outcomes text[] NOT NULL DEFAULT '{fine}',
    ADD COLUMN outcomes text[] NOT NULL DEFAULT '{}',
    ADD COLUMN determined_by text;
-- Results published before outcomes were recorded: money and the reprimand, as decided.
UPDATE accountability_items SET outcomes = array_remove(ARRAY[
    CASE WHEN decided_penalty > 0 THEN 'fine' END,
    CASE WHEN reprimand THEN 'published_reprimand' END], NULL)
WHERE final;

-- R-AN-7: a case the review group cannot determine goes to the branch's business line
-- concerned; the line's determination says so (`business_line`), with who made it.
ALTER TABLE determinations ADD COLUMN business_line text;
CREATE TABLE determination_referrals (
    complaint_id   text PRIMARY KEY REFERENCES complaints (complaint_id),
    business_line  text NOT NULL,
    reason         text NOT NULL,
    referred_by    text NOT NULL,
    referred_at    timestamptz NOT NULL DEFAULT now()
);
