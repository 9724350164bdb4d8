/* ---
description: >
  Key Stage 5 student records, one row per student x KS5 record x academic year as delivered:
  total points, number of A levels, average points per A level entry (2012 on) and whether the
  level 3 threshold was reached. Blank PMRs and schools become NULL.
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
--- */

select
    ks5.ks5_year as academic_year,  -- academic-year end of the KS5 record
    nullif(ltrim(rtrim(ks5.ks5_pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    nullif(ltrim(rtrim(ks5.ks5_laestab_anon)), '') as school_id,  -- pseudonymised school (NULL for colleges)
    cast(ks5.ks5_totpts as decimal(8, 2)) as total_points,  -- total points of all qualifications
    cast(ks5.ks5_alev as int) as n_a_levels,  -- A levels entered
    cast(ks5.ks5_totptse_alev as decimal(6, 2)) as a_level_points_per_entry,  -- average points per A level entry
    cast(ks5.ks5_lev3thresh as int) as has_level3  -- reached the level 3 threshold
from npd.ks5 as ks5
