-- R-SLA-11: a year's arrangement of holidays and make-up working days, entered by an
-- administrator as policy data: kind 'calendar_year', scope the year ('2027'). The body is the
-- arrangement (domain/arrangements.YearArrangement), or {"year": 2027, "use_library": true}
-- when an administrator puts the calendar library's data of that year back in force.
ALTER TABLE policy_versions DROP CONSTRAINT policy_versions_kind_check;
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_kind_check
    CHECK (kind IN ('sla', 'penalty', 'working_hours', 'calendar_year'));
