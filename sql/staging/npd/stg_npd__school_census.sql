/* ---
description: >
  School Census pupil records of every available spring, summer and autumn census, one row per
  pupil x school record x census, with the year-to-year column changes harmonised: gender B/G
  read as M/F; ethnicity from EthnicGroupMinor, else the older EthnicGroup; language from
  LanguageGroupMinor, else FirstLanguage; IDACI from whichever vintage the year has; LSOA from
  LSOA11, else LLSOA. Blank PMRs and schools become NULL; by the one sentinel rule
  (sql/reference/ref_sentinel_dates.csv) entry and leaving dates on or before 1900-01-01 become NULL
  and a leaving date on or after 9999-01-01 becomes NULL with is_leaving_open = 1 (counted by
  check row_issues).
  is_main_record = 1 for record status 1-10, 20 or none (101-110 and 120 are duplicates).
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
  - expression_is_true: sex is not null
    name: unknown_sex
    severity: warn
    max_failing_rate: 0.01
  - expression_is_true: is_main_record = 1
    name: duplicate_records
    severity: warn
    max_failing_rate: 0.02
--- */

with

census as (

    select * from npd.school_census

)

select
    ---------- the census
    census.census_year,  -- academic-year end of the census (2014 = 2013/14)
    census.term_id,  -- 1 autumn, 2 spring, 3 summer

    ---------- ids
    nullif(ltrim(rtrim(census.pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    nullif(ltrim(rtrim(census.laestab_anon)), '') as school_id,  -- pseudonymised school

    ---------- characteristics
    cast(census.yearofbirth as int) as birth_year,  -- year of birth
    cast(census.monthofbirth as int) as birth_month,  -- month of birth
    case upper(left(ltrim(census.gender), 1))
        when 'M' then 'M' when 'B' then 'M'
        when 'F' then 'F' when 'G' then 'F'
    end as sex,  -- M or F; older years' B/G read as M/F
    upper(nullif(ltrim(rtrim(coalesce(census.ethnicgroupminor, census.ethnicgroup))), '')) as ethnicity_code,  -- ethnicity code as recorded
    case
        when census.ethnicgroupminor is not null then 'minor'
        when census.ethnicgroup is not null then 'old'
    end as ethnicity_code_set,  -- which code set ethnicity_code is in
    upper(nullif(ltrim(rtrim(coalesce(census.languagegroupminor, census.firstlanguage))), '')) as language_code,  -- first language (group) code
    case
        when census.languagegroupminor is not null then 'group'
        when census.firstlanguage is not null then 'language'
    end as language_code_set,  -- LanguageGroupMinor or FirstLanguage codes
    cast(census.fsmeligible as int) as is_fsm,  -- eligible for free school meals on census day
    cast(census.everfsm_6_p as int) as is_ever_fsm_6,  -- FSM in the last six years (spring 2016-2020 only)
    case
        when len(rtrim(census.senprovision)) = 1 and upper(census.senprovision) in ('N', 'A', 'P', 'S', 'K', 'E')
            then upper(census.senprovision)
    end as sen_provision,  -- N none; A/P/K support; S/E statement or EHC plan; other values NULL
    coalesce(census.idacirank, census.idacirank_10, census.idacirank_15) as idaci_rank,  -- IDACI rank of the home LSOA
    coalesce(census.idaciscore, census.idaciscore_10, census.idaciscore_15) as idaci_score,  -- IDACI score of the home LSOA
    case
        when census.idaciscore_15 is not null then 2015
        when census.idaciscore_10 is not null then 2010
        when census.idaciscore is not null then 2007
    end as idaci_vintage,  -- IDACI edition the score comes from (2019 data are labelled 2007 here)
    coalesce(census.lsoa11, census.llsoa) as lsoa,  -- home LSOA
    case when census.lsoa11 is not null then 2011 when census.llsoa is not null then 2001 end as lsoa_vintage,  -- LSOA boundaries

    ---------- enrolment
    upper(nullif(ltrim(rtrim(census.enrolstatus)), '')) as enrol_status,  -- C single, M/S dual main/subsidiary, G guest
    upper(nullif(ltrim(rtrim(census.ncyearactual)), '')) as nc_year,  -- national curriculum year
    cast(census.onroll as int) as is_on_roll,  -- on roll on census day (from 2009); NULL when not recorded
    case when census.entrydate <= cast('1900-01-01' as date) or census.entrydate >= cast('9999-01-01' as date) then null else census.entrydate end as entry_date,  -- date of entry to the school
    case
        when census.leavingdate <= cast('1900-01-01' as date) or census.leavingdate >= cast('9999-01-01' as date) then null
        else census.leavingdate
    end as leaving_date,  -- date of leaving, when recorded
    case when census.leavingdate >= cast('9999-01-01' as date) then 1 else 0 end as is_leaving_open,  -- leaving date given as 9999-12-31 (or on or after 9999-01-01)
    cast(census.recordstatus as int) as record_status,  -- NPD record status
    case
        when census.recordstatus is null or census.recordstatus between 1 and 10 or census.recordstatus = 20 then 1
        else 0
    end as is_main_record,  -- 1 = main record; 0 = a duplicate (101-110, 120)

    ---------- row accounting (sql/README.md)
    case
        when census.pupilmatchingrefanonymous is null or rtrim(census.pupilmatchingrefanonymous) = '' then 'blank_identifier'
        when census.entrydate <= cast('1900-01-01' as date) or census.entrydate >= cast('9999-01-01' as date) or census.leavingdate <= cast('1900-01-01' as date) then 'sentinel_date'
    end as row_issue  -- NULL = as delivered; blank_identifier (no PMR: the record reaches no person), sentinel_date (an entry or leaving date made NULL: unknown)

from census
