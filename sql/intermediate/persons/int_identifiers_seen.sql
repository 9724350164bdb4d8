/* ---
description: >
  Every identifier that occurs in a source view, one row per identifier type x value, with the
  sources it occurs in: PMRs in the School Census, KS4, NCCIS and HESA; EduKeys in PAYE
  employment, earnings, self-assessment, benefits and geography; ILR record ids in the ILR
  learner records. The AP and PRU censuses, PLAMS, KS5, CIN, CLA, exclusions and absence are
  not read: they describe pupils the School Census or KS4 already registers, and a PMR found only
  there would be a person of its own with no cohort row (not attached to the pupil it belongs to);
  such records are counted instead (records_left_out on int_school__placement_records and
  int_school__plams_aims; the cohort's tables join the rest by the cohort's own PMRs).
grain: [identifier_type, identifier_value]
--- */

with

occurrences as (

    select distinct 'pmr' as identifier_type, census.pmr as identifier_value, 'school_census' as source
    from ws.stg_npd__school_census as census where census.pmr is not null
    union all
    select distinct 'pmr', ks4.pmr, 'ks4' from ws.stg_npd__ks4 as ks4 where ks4.pmr is not null
    union all
    select distinct 'pmr', nccis.pmr, 'nccis' from ws.stg_npd__nccis as nccis where nccis.pmr is not null
    union all
    select distinct 'pmr', instances.pmr, 'hesa' from ws.stg_hesa__instances as instances where instances.pmr is not null
    union all
    select distinct 'edukey', spells.edukey, 'employment' from ws.stg_leo__employment as spells where spells.edukey is not null
    union all
    select distinct 'edukey', pay.edukey, 'earnings' from ws.stg_leo__earnings as pay where pay.edukey is not null
    union all
    select distinct 'edukey', returns.edukey, 'self_assessment' from ws.stg_leo__self_assessment as returns where returns.edukey is not null
    union all
    select distinct 'edukey', claims.edukey, 'benefits' from ws.stg_leo__benefits as claims where claims.edukey is not null
    union all
    select distinct 'edukey', places.edukey, 'geography' from ws.stg_leo__geography as places where places.edukey is not null
    union all
    select distinct 'ilr_recordid', cast(learners.recordid as varchar(20)), 'ilr_learners'
    from ws.stg_lilr__learners as learners where learners.recordid is not null

)

select
    occurrences.identifier_type,  -- pmr, edukey or ilr_recordid
    occurrences.identifier_value,  -- the identifier, trimmed
    cast(count(*) as int) as n_sources,  -- how many source views it occurs in
    max(case when occurrences.source in ('school_census', 'ks4', 'nccis', 'hesa', 'ilr_learners') then 1 else 0 end) as is_in_education_sources,  -- occurs in NPD, HESA or ILR
    max(case when occurrences.source in ('employment', 'earnings', 'self_assessment', 'benefits') then 1 else 0 end) as is_in_outcome_sources  -- occurs in HMRC or DWP outcomes
from occurrences
group by occurrences.identifier_type, occurrences.identifier_value
