/* ---
description: >
  One row per linkage-record diagnostic x measure x scope (ks4_year 'all' only: these count
  records, not cohort members). PL-8: ILR learner records (stg_lilr__learners) whose recordid has
  no ae_id link (int_identifier_links), overall and by subgroup academic_year, whose cohort_rate is
  the previous academic year's rate (computed only when both years hold min_n records or more,
  ref_match_quality). PL-10: recordids of education_records_lookup with 2+ rows (measure
  flagged), and ILR learner recordids with a lookup row whose source is not ILR (measure
  non_ilr_source; 0 when the extract has no source column). PL-7 by subgroup hesa_year: persons
  with a HESA PMR record of that year (stg_hesa__instances through person_identifier) flagged
  HE-only in match_flags. Sources: stg_lilr__learners, int_identifier_links,
  stg_leo__education_records_lookup, stg_hesa__instances, person_identifier, match_flags,
  ref_match_quality.
grain: [diagnostic_id, measure, ks4_year, subgroup, subgroup_value]
--- */

with

thresholds as (

    select * from ws.ref_match_quality

),

ilr_records as (

    -- PL-8: every ILR learner record, linked when its recordid is an ILR link of the lookup
    select
        learners.academic_year,
        case when links.identifier_value is null then 1 else 0 end as is_unlinked
    from ws.stg_lilr__learners as learners
    left join ws.int_identifier_links as links
        on links.identifier_type = 'ilr_recordid'
        and links.identifier_value = cast(learners.recordid as varchar(20))

),

ilr_years as (

    select ilr_records.academic_year, sum(ilr_records.is_unlinked) as numerator, count(*) as denominator
    from ilr_records
    group by ilr_records.academic_year

),

lookup_recordids as (

    -- PL-10: each recordid of education_records_lookup, its rows and whether one is from another dataset
    select
        lookup.recordid,
        count(*) as n_rows,
        max(case when lookup.source_dataset is not null and lookup.source_dataset not like '%ILR%' then 1 else 0 end) as has_non_ilr_row
    from ws.stg_leo__education_records_lookup as lookup
    where lookup.recordid is not null
    group by lookup.recordid

),

record_counts as (

    select 'PL-8' as diagnostic_id, 'flagged' as measure, 'all' as subgroup, 'all' as subgroup_value,
        coalesce(sum(ilr_records.is_unlinked), 0) as numerator, count(*) as denominator,
        cast(null as decimal(9, 6)) as reference_rate
    from ilr_records

    union all

    select 'PL-8', 'flagged', 'academic_year', coalesce(cast(ilr_years.academic_year as varchar(4)), 'unknown'),
        ilr_years.numerator, ilr_years.denominator,
        case when previous_year.denominator > 0
                and previous_year.denominator >= coalesce(year_thresholds.min_n, 1)
                and ilr_years.denominator >= coalesce(year_thresholds.min_n, 1)
            then cast(cast(previous_year.numerator as decimal(18, 6)) / previous_year.denominator as decimal(9, 6))
        end
    from ilr_years
    left join ilr_years as previous_year
        on previous_year.academic_year = ilr_years.academic_year - 1
    left join thresholds as year_thresholds
        on year_thresholds.diagnostic_id = 'PL-8'

    union all

    select 'PL-10', 'flagged', 'all', 'all',
        coalesce(sum(case when lookup_recordids.n_rows > 1 then 1 else 0 end), 0), count(*), cast(null as decimal(9, 6))
    from lookup_recordids

    union all

    -- PL-7 by HESA year: persons with a HESA PMR record of the year, flagged HE-only
    select 'PL-7', 'flagged', 'hesa_year', cast(hesa_persons.hesa_year as varchar(4)),
        sum(case when flags.person_id is null then 0 else 1 end), count(*), cast(null as decimal(9, 6))
    from (
        select distinct instances.hesa_year, ids.person_id
        from ws.stg_hesa__instances as instances
        inner join ws.person_identifier as ids
            on ids.identifier_type = 'pmr' and ids.identifier_value = instances.pmr
        where instances.pmr is not null
    ) as hesa_persons
    left join ws.match_flags as flags
        on flags.person_id = hesa_persons.person_id
        and flags.flag = 'PL-7'
    group by hesa_persons.hesa_year

    union all

    select 'PL-10', 'non_ilr_source', 'all', 'all',
        coalesce(sum(lookup_recordids.has_non_ilr_row), 0), count(*), cast(null as decimal(9, 6))
    from (select distinct learners.recordid from ws.stg_lilr__learners as learners where learners.recordid is not null) as ilr_recordids
    inner join lookup_recordids
        on lookup_recordids.recordid = ilr_recordids.recordid

)

select
    record_counts.diagnostic_id as diagnostic_id,  -- diagnostic id (derivations 26.4)
    record_counts.measure as measure,  -- flagged; PL-10 also non_ilr_source
    'all' as ks4_year,  -- 'all' or a KS4 cohort
    record_counts.subgroup as subgroup,  -- all; academic_year (PL-8); hesa_year (PL-7)
    record_counts.subgroup_value as subgroup_value,  -- the subgroup's value ('all' for none)
    cast(record_counts.numerator as int) as numerator,  -- units flagged
    cast(record_counts.denominator as int) as denominator,  -- units examined
    record_counts.reference_rate as cohort_rate,  -- PL-8 years: the previous academic year's rate
    case when record_counts.diagnostic_id = 'PL-7' then 'persons' else 'records' end as unit_kind  -- persons, identifiers or records
from record_counts
