/* ---
description: >
  Alternative Provision census records, one row per pupil x placement record x year as delivered
  (January census of LA-funded placements outside schools). census_year is the end year of
  ap_acadyr (its first four characters + 1). Blank PMRs become NULL; is_main_record = 1 unless
  ap_recordstatus marks a duplicate (101-110, 120; the column exists from 2017/18). The provider
  is only known as the funding LA: provider_id = 'AP-' + the pseudonymised LA, or 'AP-unknown'
  where the LA is blank (the placement is kept: the pupil was in AP, only the LA is unknown; the
  warn check blank_la counts them).
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
  - not_null: [la_id]
    name: blank_la
    severity: warn
    max_failing_rate: 0.01
  - not_null: [census_year]
    name: bad_academic_year
    severity: warn
    max_failing_rate: 0.001
--- */

select
    nullif(ltrim(rtrim(ap.ap_pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    cast(left(ltrim(ap.ap_acadyr), 4) as int) + 1 as census_year,  -- academic-year end of the January census
    concat('AP-', coalesce(nullif(ltrim(rtrim(ap.ap_lanumber_anon)), ''), 'unknown')) as provider_id,  -- the funding LA as the AP provider
    nullif(ltrim(rtrim(ap.ap_lanumber_anon)), '') as la_id,  -- pseudonymised LA funding the placement
    cast(ap.ap_yearofbirth as int) as birth_year,  -- year of birth
    cast(ap.ap_monthofbirth as int) as birth_month,  -- month of birth
    case ltrim(rtrim(ap.ap_gender)) when '1' then 'M' when '2' then 'F' end as sex,  -- M or F (1 male, 2 female)
    upper(left(ltrim(ap.ap_aptypedescription), 3)) as ap_type,  -- type of provision (to 2016/17)
    cast(ap.ap_fsmeligible as int) as is_fsm,  -- FSM on census day
    upper(nullif(ltrim(rtrim(ap.ap_senprovision)), '')) as sen_provision,  -- SEN provision code
    cast(ap.ap_openplacement as int) as is_open_placement,  -- a placement open on census day
    case when ap.ap_recordstatus between 101 and 120 then 0 else 1 end as is_main_record  -- 0 = duplicate record
from npd.ap_census as ap
