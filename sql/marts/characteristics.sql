/* ---
description: >
  One row per pupil of ks4_cohort: the characteristics researchers control for, from the NPD
  collections and LEO geography, each read through the person's PMRs (or EduKeys for geography)
  in person_identifier. KS4 years are the two academic years to the end of KS4 (Years 10 and
  11: ks4_year - 1 and ks4_year). FSM and SEN history from the person's main School Census
  records up to the end of KS4; at 16 from ks4_cohort (spring census of Year 11, else the KS4
  record). CIN from the Children in Need census (an episode whose referral is on or before
  31 August of the KS4 year; referrals with no further action count). CLA from Children Looked
  After (a processing year up to the KS4 year). Exclusions from exclusions table 1 (academic
  years of KS4). Absence from the three-term absence tables (KS4 years: absences / sessions
  possible, persistent = 10% or more). AP from the AP census (KS4 years); PRU from the PRU census
  (2010-2013) or a School Census record at a school seen in the PRU census (KS4 years). LA and
  region at an age from LEO geography in the tax year in which most of the cohort reach that
  age (ending in April of ks4_year - 16 + age: at 16 ks4_year, at 18 ks4_year + 2, at 25
  ks4_year + 9); NULL when that tax year is not in the data. KS5 (16-18 attainment) from
  ks5_results, whose grain is one row per pupil with a KS5 record, the record of the first end of
  16-18 study: ks5_year, ks5_n_a_levels and ks5_total_points are that record's (the first, not
  the latest, year: a cohort characteristic should describe the usual route at 18, not a retake
  years later, and it keeps one meaning for every cohort whatever the reference date); NULL with
  no KS5 record (KS5 records students at the end of 16-18 study only: no record is not "no
  level 3"). has_level3_ks5 reads every KS5 record of the person (stg_npd__ks5 under any PMR):
  1 when any reached the level 3 threshold, 0 when some record publishes the threshold and none
  reached it, NULL with no KS5 record or only records where the threshold is not published
  (2015/16). School sixth-form aims from int_school__plams_aims (one row per person x PLAMS aim):
  has_plams_aim any aim at any date; n_plams_aims_16_18 the aims starting from 1 September of the
  KS4 year to 31 August of ks4_year + 3 (the three academic years the pupil starts aged 16, 17
  and 18: DfE's 16-18 age definition, ages on 31 August).
grain: [person_id]
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - expression_is_true: absence_rate_ks4 is null or (absence_rate_ks4 >= 0 and absence_rate_ks4 <= 1)
indexes: [[person_id]]
--- */

with

cohort as (

    select * from ws.ks4_cohort

),

pmrs as (

    select cohort.person_id, cohort.ks4_year, ids.identifier_value as pmr
    from cohort
    inner join ws.person_identifier as ids
        on ids.person_id = cohort.person_id
        and ids.identifier_type = 'pmr'

),

census_history as (

    select
        pmrs.person_id,
        max(coalesce(census.is_fsm, 0)) as was_ever_fsm,
        max(case when census.sen_provision in ('A', 'P', 'K', 'S', 'E') then 1 else 0 end) as was_ever_sen,
        max(case when census.sen_provision in ('S', 'E') then 1 else 0 end) as was_ever_ehcp,
        count(distinct census.census_year) as n_census_years
    from pmrs
    inner join ws.stg_npd__school_census as census
        on census.pmr = pmrs.pmr
        and census.census_year <= pmrs.ks4_year
        and census.is_main_record = 1
    group by pmrs.person_id

),

cin as (

    select
        pmrs.person_id,
        count(distinct cin.referral_date) as n_cin_episodes,
        max(case when cin.referral_date >= datefromparts(pmrs.ks4_year - 2, 9, 1) then 1 else 0 end) as had_cin_in_ks4
    from pmrs
    inner join ws.stg_npd__cin as cin
        on cin.pmr = pmrs.pmr
        and cin.referral_date <= datefromparts(pmrs.ks4_year, 8, 31)
    group by pmrs.person_id

),

cla as (

    select pmrs.person_id, count(distinct cla.processing_year) as n_cla_years
    from pmrs
    inner join ws.stg_npd__cla as cla
        on cla.pmr = pmrs.pmr
        and cla.processing_year <= pmrs.ks4_year
    group by pmrs.person_id

),

exclusions as (

    select
        pmrs.person_id,
        sum(case when excl.category = 'fixed_period' then 1 else 0 end) as n_fixed_exclusions_ks4,
        sum(case when excl.category = 'fixed_period' then coalesce(excl.n_sessions, 0) else 0 end) as n_fixed_exclusion_sessions_ks4,
        max(case when excl.category = 'permanent' then 1 else 0 end) as was_permanently_excluded_ks4
    from pmrs
    inner join ws.stg_npd__exclusions as excl
        on excl.pmr = pmrs.pmr
        and excl.academic_year between pmrs.ks4_year - 1 and pmrs.ks4_year
    group by pmrs.person_id

),

absence as (

    select
        pmrs.person_id,
        sum(ab.n_sessions_possible) as n_sessions_possible,
        sum(ab.n_sessions_authorised + ab.n_sessions_unauthorised) as n_sessions_missed
    from pmrs
    inner join ws.stg_npd__absence as ab
        on ab.pmr = pmrs.pmr
        and ab.academic_year between pmrs.ks4_year - 1 and pmrs.ks4_year
        and ab.n_sessions_possible is not null
    group by pmrs.person_id

),

ap as (

    select distinct pmrs.person_id
    from pmrs
    inner join ws.stg_npd__ap_census as ap
        on ap.pmr = pmrs.pmr
        and ap.census_year between pmrs.ks4_year - 1 and pmrs.ks4_year
        and ap.is_main_record = 1

),

pru_schools as (

    select distinct pru.school_id from ws.stg_npd__pru_census as pru where pru.school_id is not null

),

pru as (

    select distinct pmrs.person_id
    from pmrs
    inner join ws.stg_npd__pru_census as pru
        on pru.pmr = pmrs.pmr
        and pru.census_year between pmrs.ks4_year - 1 and pmrs.ks4_year
        and pru.is_main_record = 1

    union

    select distinct pmrs.person_id
    from pmrs
    inner join ws.stg_npd__school_census as census
        on census.pmr = pmrs.pmr
        and census.census_year between pmrs.ks4_year - 1 and pmrs.ks4_year
        and census.is_main_record = 1
    inner join pru_schools
        on pru_schools.school_id = census.school_id

),

ks5_level3 as (

    -- every KS5 record of the person: NULL thresholds (not published) are ignored by max
    select pmrs.person_id, max(ks5.has_level3) as has_level3
    from pmrs
    inner join ws.stg_npd__ks5 as ks5
        on ks5.pmr = pmrs.pmr
    group by pmrs.person_id

),

plams as (

    select
        cohort.person_id,
        sum(case
            when aims.start_date >= datefromparts(cohort.ks4_year, 9, 1)
                and aims.start_date <= datefromparts(cohort.ks4_year + 3, 8, 31) then 1
            else 0
        end) as n_plams_aims_16_18
    from cohort
    inner join ws.int_school__plams_aims as aims
        on aims.person_id = cohort.person_id
    group by cohort.person_id

),

places as (

    -- one row per person: the lowest region and the lowest LA recorded in the tax year of each
    -- age, ks4_year - 16 + age (they differ only when two EduKeys of the person disagree); one
    -- pass over the geography for the three ages (SQL Server evaluates a CTE at each reference:
    -- sql/README.md rule 13)
    select
        cohort.person_id,
        min(case when geo.tax_year = cohort.ks4_year then geo.region_code end) as region_at_16,
        min(case when geo.tax_year = cohort.ks4_year then geo.la_id end) as la_at_16,
        min(case when geo.tax_year = cohort.ks4_year + 2 then geo.region_code end) as region_at_18,
        min(case when geo.tax_year = cohort.ks4_year + 2 then geo.la_id end) as la_at_18,
        min(case when geo.tax_year = cohort.ks4_year + 9 then geo.region_code end) as region_at_25,
        min(case when geo.tax_year = cohort.ks4_year + 9 then geo.la_id end) as la_at_25
    from cohort
    inner join ws.person_identifier as ids
        on ids.person_id = cohort.person_id
        and ids.identifier_type = 'edukey'
    inner join ws.stg_leo__geography as geo
        on geo.edukey = ids.identifier_value
        and geo.tax_year in (cohort.ks4_year, cohort.ks4_year + 2, cohort.ks4_year + 9)
        and geo.region_code is not null
    group by cohort.person_id

)

select
    ---------- ids
    cohort.person_id,  -- the project's person identifier
    cohort.ks4_year,  -- cohort: academic-year end of Year 11

    ---------- free school meals (School Census)
    case when coalesce(census_history.was_ever_fsm, 0) = 1 or cohort.is_fsm = 1 or cohort.is_ever_fsm_6 = 1 then 1 else 0 end as is_ever_fsm,  -- FSM in any census record up to the end of KS4 (or FSM6 / FSM at 16)
    cohort.is_ever_fsm_6,  -- FSM at any point in the six years to the end of KS4 (as ks4_cohort)
    cohort.is_fsm as is_fsm_at_16,  -- FSM in the spring census of Year 11 (as ks4_cohort)

    ---------- special educational needs (School Census)
    case when coalesce(census_history.was_ever_sen, 0) = 1 or cohort.sen_status in ('support', 'ehcp') then 1 else 0 end as is_ever_sen,  -- SEN support or a statement/EHC plan in any census record up to the end of KS4
    case when coalesce(census_history.was_ever_ehcp, 0) = 1 or cohort.sen_status = 'ehcp' then 1 else 0 end as is_ever_ehcp,  -- a statement or EHC plan in any census record up to the end of KS4
    cohort.sen_status as sen_status_at_16,  -- none, support or ehcp at the end of KS4 (as ks4_cohort)

    ---------- children's social care (CIN, CLA)
    case when cin.person_id is not null or cla.person_id is not null then 1 else 0 end as is_ever_cin,  -- a Children in Need episode referred by the end of KS4 (looked-after children count)
    coalesce(cin.had_cin_in_ks4, 0) as had_cin_in_ks4,  -- a CIN referral in Years 10-11
    coalesce(cin.n_cin_episodes, 0) as n_cin_episodes,  -- CIN episodes (distinct referral dates) by the end of KS4
    case when cla.person_id is not null then 1 else 0 end as is_ever_looked_after,  -- looked after in a processing year up to the KS4 year (CLA)

    ---------- exclusions and absence in KS4 (Years 10-11)
    coalesce(exclusions.n_fixed_exclusions_ks4, 0) as n_fixed_exclusions_ks4,  -- fixed-period exclusions in Years 10-11
    coalesce(exclusions.n_fixed_exclusion_sessions_ks4, 0) as n_fixed_exclusion_sessions_ks4,  -- sessions lost to them
    coalesce(exclusions.was_permanently_excluded_ks4, 0) as was_permanently_excluded_ks4,  -- a permanent exclusion in Years 10-11
    cast(cast(absence.n_sessions_missed as decimal(18, 6)) / absence.n_sessions_possible as decimal(9, 4)) as absence_rate_ks4,  -- sessions missed / possible in Years 10-11 (NULL = no absence record)
    cast(case when absence.n_sessions_possible is null then null
         when cast(absence.n_sessions_missed as decimal(18, 6)) / absence.n_sessions_possible >= 0.1 then 1 else 0 end as int) as is_persistent_absentee_ks4,  -- missed 10% or more of sessions in Years 10-11

    ---------- alternative provision and pupil referral units in KS4
    case when ap.person_id is not null then 1 else 0 end as was_in_ap_ks4,  -- in the AP census in Years 10-11
    case when pru.person_id is not null then 1 else 0 end as was_in_pru_ks4,  -- on a PRU roll in Years 10-11 (PRU census, or School Census at a PRU)

    ---------- 16-18 attainment (KS5) and school sixth-form aims (PLAMS)
    cast(case when ks5.person_id is not null then 1 else 0 end as smallint) as has_ks5_result,  -- 1 = a KS5 record under any PMR (a row of ks5_results)
    ks5.ks5_year,  -- academic-year end of the first KS5 record (ks5_results); NULL = none
    ks5.n_a_levels as ks5_n_a_levels,  -- A levels entered in that record (NULL before 2009 or no record)
    ks5.total_points as ks5_total_points,  -- total points of all qualifications in that record
    cast(case when ks5.person_id is not null then ks5_level3.has_level3 end as smallint) as has_level3_ks5,  -- 1 = any KS5 record reached the level 3 threshold; 0 = none did; NULL = no record, or the threshold unpublished (2016)
    cast(case when plams.person_id is not null then 1 else 0 end as smallint) as has_plams_aim,  -- 1 = a school sixth-form aim (PLAMS, int_school__plams_aims) at any date
    cast(coalesce(plams.n_plams_aims_16_18, 0) as int) as n_plams_aims_16_18,  -- PLAMS aims starting 1 Sep of the KS4 year to 31 Aug of ks4_year + 3

    ---------- local authority and region over time (LEO geography)
    places.la_at_16,  -- pseudonymised LA in the tax year ending in April of the KS4 year
    places.region_at_16,  -- region (GOR) in that tax year
    places.la_at_18,  -- LA in the tax year ending in April of ks4_year + 2
    places.region_at_18,  -- region in that tax year
    places.la_at_25,  -- LA in the tax year ending in April of ks4_year + 9 (NULL if not yet in the data)
    places.region_at_25  -- region in that tax year

from cohort
left join census_history
    on census_history.person_id = cohort.person_id
left join cin
    on cin.person_id = cohort.person_id
left join cla
    on cla.person_id = cohort.person_id
left join exclusions
    on exclusions.person_id = cohort.person_id
left join absence
    on absence.person_id = cohort.person_id
left join ap
    on ap.person_id = cohort.person_id
left join pru
    on pru.person_id = cohort.person_id
left join ws.ks5_results as ks5
    on ks5.person_id = cohort.person_id
left join ks5_level3
    on ks5_level3.person_id = cohort.person_id
left join plams
    on plams.person_id = cohort.person_id
left join places
    on places.person_id = cohort.person_id
