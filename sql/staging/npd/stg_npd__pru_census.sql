/* ---
description: >
  Pupil Referral Unit census records (spring 2010 to 2013; PRUs are in the School Census from
  2013/14), one row per pupil x PRU x year as delivered, shaped like stg_npd__school_census's
  spring records: census_year is the end year of pru_academicyear, term_id = 2. Blank PMRs and
  schools become NULL; is_main_record = 1 unless pru_recordstatus marks a duplicate (101-110, 120).
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
--- */

select
    cast(left(ltrim(pru.pru_academicyear), 4) as int) + 1 as census_year,  -- academic-year end of the census
    2 as term_id,  -- spring (the PRU census is a spring collection)
    nullif(ltrim(rtrim(pru.pru_pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    nullif(ltrim(rtrim(pru.pru_laestab_anon)), '') as school_id,  -- pseudonymised PRU
    cast(pru.pru_yearofbirth as int) as birth_year,  -- year of birth
    cast(pru.pru_monthofbirth as int) as birth_month,  -- month of birth
    case upper(left(ltrim(pru.pru_gender), 1)) when 'M' then 'M' when 'F' then 'F' end as sex,  -- M or F
    cast(pru.pru_onroll as int) as is_on_roll,  -- on roll on census day
    upper(nullif(ltrim(rtrim(pru.pru_enrolstatus)), '')) as enrol_status,  -- C single, M/S dual main/subsidiary, G guest
    upper(nullif(ltrim(rtrim(pru.pru_ncyearactual)), '')) as nc_year,  -- national curriculum year
    case when pru.pru_entrydate <= cast('1900-01-01' as date) then null else pru.pru_entrydate end as entry_date,  -- date of entry to the PRU
    cast(pru.pru_fsmeligible as int) as is_fsm,  -- FSM on census day
    upper(nullif(ltrim(rtrim(pru.pru_senprovision)), '')) as sen_provision,  -- SEN provision code
    case when pru.pru_recordstatus between 101 and 120 then 0 else 1 end as is_main_record  -- 0 = duplicate record
from npd.pru_census as pru
