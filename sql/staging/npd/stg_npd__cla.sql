/* ---
description: >
  Children Looked After, one row per child x processing year (to 31 March) for the latest
  episode of care in the year, as delivered. episode_end_date is NULL while the child is looked
  after at 31 March. Blank PMRs become NULL.
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
--- */

select
    nullif(ltrim(rtrim(cla.cla_pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    cast(cla.cla_processing_year as int) as processing_year,  -- year ending 31 March (2014 = 2013/14)
    cla.cla_poc_start as period_of_care_start_date,  -- start of the latest period of care
    cla.cla_date_epi_comm as episode_start_date,  -- start of the latest episode in the year
    cla.cla_date_epi_ceased as episode_end_date,  -- end of that episode (NULL = looked after on 31 March)
    cast(cla.cla_cla_31_march as int) as is_looked_after_31_march,  -- 1 = looked after on 31 March
    nullif(ltrim(rtrim(cla.cla_cla_la_anon)), '') as la_id  -- pseudonymised LA responsible
from npd.cla as cla
