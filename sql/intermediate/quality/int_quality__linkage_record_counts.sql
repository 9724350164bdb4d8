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
unique: {ilr_years: [is_total, academic_year]}  # GROUPING SETS ((academic_year), ()): one row per year, and the total
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

    -- PL-8 per academic year and for all records (is_total = 1) in one grouping: the empty
    -- grouping makes its row even of no records (0 of 0), as the count over all records did
    select
        ilr_records.academic_year,
        grouping(ilr_records.academic_year) as is_total,
        coalesce(sum(ilr_records.is_unlinked), 0) as numerator,
        count(*) as denominator
    from ilr_records
    group by grouping sets ((ilr_records.academic_year), ())

),

ilr_rates as (

    -- each year beside the year before it (when that year has records: LAG reads the previous
    -- row, which is the year before only when no year is missing between)
    select
        ilr_years.*,
        lag(ilr_years.academic_year) over (partition by ilr_years.is_total order by ilr_years.academic_year) as previous_academic_year,
        lag(ilr_years.numerator) over (partition by ilr_years.is_total order by ilr_years.academic_year) as previous_numerator,
        lag(ilr_years.denominator) over (partition by ilr_years.is_total order by ilr_years.academic_year) as previous_denominator
    from ilr_years

),

lookup_recordids as (

    -- PL-10: each recordid of education_records_lookup, its rows and whether one is from another
    -- dataset
    select
        lookup.recordid,
        count(*) as n_rows,
        max(case when lookup.source_dataset is not null and lookup.source_dataset not like '%ILR%' then 1 else 0 end) as has_non_ilr_row
    from ws.stg_leo__education_records_lookup as lookup
    where lookup.recordid is not null
    group by lookup.recordid

),

lookup_counts as (

    -- both PL-10 measures in one pass: every recordid of the lookup (flagged: 2+ rows), and the
    -- ILR learner recordids among them (non_ilr_source)
    select
        coalesce(sum(case when lookup_recordids.n_rows > 1 then 1 else 0 end), 0) as n_repeated,
        count(*) as n_recordids,
        coalesce(sum(case when ilr_recordids.recordid is not null then lookup_recordids.has_non_ilr_row else 0 end), 0) as n_non_ilr,
        count(ilr_recordids.recordid) as n_ilr_recordids
    from lookup_recordids
    left join (
        select distinct learners.recordid from ws.stg_lilr__learners as learners where learners.recordid is not null
    ) as ilr_recordids
        on ilr_recordids.recordid = lookup_recordids.recordid

),

record_counts as (

    select
        'PL-8' as diagnostic_id,
        'flagged' as measure,
        case when ilr_rates.is_total = 1 then 'all' else 'academic_year' end as subgroup,
        case
            when ilr_rates.is_total = 1 then 'all'
            else coalesce(cast(ilr_rates.academic_year as varchar(4)), 'unknown')
        end as subgroup_value,
        ilr_rates.numerator,
        ilr_rates.denominator,
        cast(
            case when ilr_rates.is_total = 0
                    and ilr_rates.previous_academic_year = ilr_rates.academic_year - 1
                    and ilr_rates.previous_denominator > 0
                    and ilr_rates.previous_denominator >= coalesce(year_thresholds.min_n, 1)
                    and ilr_rates.denominator >= coalesce(year_thresholds.min_n, 1)
                then cast(ilr_rates.previous_numerator as decimal(18, 6)) / ilr_rates.previous_denominator
            end as decimal(9, 6)
        ) as reference_rate
    from ilr_rates
    left join thresholds as year_thresholds
        on year_thresholds.diagnostic_id = 'PL-8'

    union all

    select 'PL-10', measures.measure, 'all', 'all',
        case when measures.measure = 'flagged' then lookup_counts.n_repeated else lookup_counts.n_non_ilr end,
        case when measures.measure = 'flagged' then lookup_counts.n_recordids else lookup_counts.n_ilr_recordids end,
        cast(null as decimal(9, 6))
    from lookup_counts
    cross join (select 'flagged' as measure union all select 'non_ilr_source') as measures

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
