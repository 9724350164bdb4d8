/* ---
description: >
  cohort_definition census_on_roll only: main, on-roll records of the named School Census of a
  configured cohort year that cannot be placed in or out of the academic birth cohort because
  their year or month of birth is missing (or the month is not 1-12), so int_ks4__pupils leaves
  them out. Counted whether or not their PMR is linked to a person; none under cohort_definition
  ks4. A recorded count (failing_rows), never a person's values.
severity: warn
--- */

select
    census.census_year,  -- academic-year end of the census
    census.term_id,  -- the named census term
    census.school_id  -- pseudonymised school
from ws.stg_npd__school_census as census
inner join ws.ref_ks4_cohorts as cohorts
    on cohorts.ks4_year = census.census_year
where @cohort_by_census = 1
    and census.term_id = @cohort_census_term
    and census.is_main_record = 1
    and coalesce(census.is_on_roll, 1) = 1
    and (census.birth_year is null or census.birth_month is null or census.birth_month not between 1 and 12)
