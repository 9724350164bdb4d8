/* ---
description: >
  Post-16 learning aims at school sixth forms (PLAMS), one row per pupil x aim x academic year as
  delivered, 2007/08 to 2021/22, with the attempted qualification read from the _aat fields to
  2008/09 and the _att fields after. Blank PMRs and schools become NULL; an actual end date of
  1900-01-01 becomes NULL (the aim continues).
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
--- */

select
    plams.plams_year as academic_year,  -- academic-year end
    nullif(ltrim(rtrim(plams.pl_pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    nullif(ltrim(rtrim(plams.pl_laestab_anon)), '') as school_id,  -- pseudonymised school
    upper(nullif(ltrim(rtrim(coalesce(plams.pl_qan_att, plams.pl_qan_aat))), '')) as qualification_number,  -- qualification attempted (LARS learning aim reference)
    nullif(ltrim(rtrim(coalesce(plams.pl_qual_type_att, plams.pl_qual_type_aat))), '') as qualification_type,  -- e.g. GCE A level
    nullif(ltrim(rtrim(coalesce(plams.pl_qual_lev_att, plams.pl_qual_lev_aat))), '') as qualification_level,  -- e.g. 3
    plams.pl_learningstartdate as start_date,  -- aim start
    plams.pl_learningplannedenddate as planned_end_date,  -- planned end
    case when plams.pl_learningactualenddate <= cast('1900-01-01' as date) then null
         else plams.pl_learningactualenddate end as actual_end_date,  -- actual end (NULL = continuing)
    nullif(ltrim(rtrim(plams.pl_grade_att)), '') as grade  -- grade achieved
from npd.plams as plams
