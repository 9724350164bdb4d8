/* ---
description: >
  Pupil absence over three terms, one row per pupil x school x academic year as delivered
  (2005/06 to 2018/19), with the year's sessions possible and authorised and unauthorised
  absences summed over autumn, spring and summer (a NULL term counts as 0; a pupil with no
  sessions possible in any term has NULL totals). Blank PMRs and schools become NULL.
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
--- */

select
    ab.absence_year as academic_year,  -- academic-year end
    nullif(ltrim(rtrim(ab.pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    nullif(ltrim(rtrim(ab.laestab_anon)), '') as school_id,  -- pseudonymised school
    nullif(coalesce(cast(ab.sessionspossible_autumn as int), 0) + coalesce(cast(ab.sessionspossible_spring as int), 0)
        + coalesce(cast(ab.sessionspossible_summer as int), 0), 0) as n_sessions_possible,  -- sessions possible in the year
    coalesce(cast(ab.authorisedabsence_autumn as int), 0) + coalesce(cast(ab.authorisedabsence_spring as int), 0)
        + coalesce(cast(ab.authorisedabsence_summer as int), 0) as n_sessions_authorised,  -- authorised absences
    coalesce(cast(ab.unauthorisedabsence_autumn as int), 0) + coalesce(cast(ab.unauthorisedabsence_spring as int), 0)
        + coalesce(cast(ab.unauthorisedabsence_summer as int), 0) as n_sessions_unauthorised  -- unauthorised absences
from npd.absence as ab
