/* ---
description: >
  Exclusions (table 1), one row per exclusion as delivered, 2005/06 to 2019/20: category
  permanent, fixed_period or lunchtime, start date, sessions and school. academic_year is the
  view's year. Blank PMRs and schools become NULL; is_duplicate_permanent = 1 for a repeated
  permanent exclusion from one school (perm_duplicate).
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
  - accepted_values: {column: category, values: [permanent, fixed_period, lunchtime]}
    severity: warn
--- */

select
    excl.exclusion_year as academic_year,  -- academic-year end of the exclusion
    nullif(ltrim(rtrim(excl.pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    nullif(ltrim(rtrim(excl.laestab_anon)), '') as school_id,  -- pseudonymised school excluding
    case upper(ltrim(rtrim(excl.category)))
        when 'PERM' then 'permanent' when 'FIXD' then 'fixed_period' when 'LNCH' then 'lunchtime'
    end as category,  -- permanent, fixed_period or lunchtime
    excl.startdate as start_date,  -- first day of the exclusion
    cast(excl.sessions as int) as n_sessions,  -- sessions excluded (fixed period)
    coalesce(cast(excl.perm_duplicate as int), 0) as is_duplicate_permanent,  -- repeated permanent exclusion
    upper(nullif(ltrim(rtrim(excl.reason)), '')) as reason  -- reason code
from npd.exclusions as excl
