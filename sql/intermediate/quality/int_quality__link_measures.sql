/* ---
description: >
  One row per PL-5 measure x scope: KS4 pupils (ks4_cohort) linked to LEO (measure leo_link) and
  with any PAYE employment, benefit, ILR (FE), HESA or NCCIS spell (paye, benefits, ilr, hesa,
  nccis), overall (ks4_year 'all') and by cohort, for all pupils and by FSM, SEN, EAL and
  ethnicity major group (subgroup); cohort_rate is the whole cohort's rate of the measure on a
  subgroup's row (NULL on subgroup 'all'), for match_quality_summary's gap test. Sources:
  ks4_cohort, employment_spells, benefit_spells, fe_spells, he_spells, nccis_spells.
grain: [diagnostic_id, measure, ks4_year, subgroup, subgroup_value]
--- */

with

cohort as (

    select * from ws.ks4_cohort

),

pupil_links as (

    select
        cohort.person_id,
        cohort.ks4_year,
        coalesce(cast(cohort.is_fsm as varchar(8)), 'unknown') as fsm_group,
        coalesce(cohort.sen_status, 'unknown') as sen_group,
        coalesce(cast(cohort.is_eal as varchar(8)), 'unknown') as eal_group,
        coalesce(cohort.ethnicity_major, 'Unclassified') as ethnicity_group,
        cohort.is_linked as has_leo_link,
        case when paye.person_id is null then 0 else 1 end as has_paye,
        case when benefits.person_id is null then 0 else 1 end as has_benefits,
        case when fe.person_id is null then 0 else 1 end as has_ilr,
        case when he.person_id is null then 0 else 1 end as has_hesa,
        case when nccis.person_id is null then 0 else 1 end as has_nccis
    from cohort
    left join (select distinct spells.person_id from ws.employment_spells as spells) as paye
        on paye.person_id = cohort.person_id
    left join (select distinct spells.person_id from ws.benefit_spells as spells) as benefits
        on benefits.person_id = cohort.person_id
    left join (select distinct spells.person_id from ws.fe_spells as spells) as fe
        on fe.person_id = cohort.person_id
    left join (select distinct spells.person_id from ws.he_spells as spells) as he
        on he.person_id = cohort.person_id
    left join (select distinct spells.person_id from ws.nccis_spells as spells) as nccis
        on nccis.person_id = cohort.person_id

),

group_counts as (

    -- one pass over the pupils, ten groupings: all pupils and each subgroup, overall and by
    -- cohort (SQL Server evaluates a CTE at each reference: sql/README.md rule 13); GROUPING()
    -- names the grouping, the subgroup columns are never NULL
    select
        case when grouping(pupil_links.ks4_year) = 0 then cast(pupil_links.ks4_year as varchar(4)) else 'all' end as ks4_year,
        case
            when grouping(pupil_links.fsm_group) = 0 then 'fsm'
            when grouping(pupil_links.sen_group) = 0 then 'sen'
            when grouping(pupil_links.eal_group) = 0 then 'eal'
            when grouping(pupil_links.ethnicity_group) = 0 then 'ethnicity_major'
            else 'all'
        end as subgroup,
        case
            when grouping(pupil_links.fsm_group) = 0 then pupil_links.fsm_group
            when grouping(pupil_links.sen_group) = 0 then pupil_links.sen_group
            when grouping(pupil_links.eal_group) = 0 then pupil_links.eal_group
            when grouping(pupil_links.ethnicity_group) = 0 then pupil_links.ethnicity_group
            else 'all'
        end as subgroup_value,
        count(*) as n_pupils,
        sum(pupil_links.has_leo_link) as n_leo_link,
        sum(pupil_links.has_paye) as n_paye,
        sum(pupil_links.has_benefits) as n_benefits,
        sum(pupil_links.has_ilr) as n_ilr,
        sum(pupil_links.has_hesa) as n_hesa,
        sum(pupil_links.has_nccis) as n_nccis
    from pupil_links
    group by grouping sets (
        (),
        (pupil_links.ks4_year),
        (pupil_links.fsm_group),
        (pupil_links.ks4_year, pupil_links.fsm_group),
        (pupil_links.sen_group),
        (pupil_links.ks4_year, pupil_links.sen_group),
        (pupil_links.eal_group),
        (pupil_links.ks4_year, pupil_links.eal_group),
        (pupil_links.ethnicity_group),
        (pupil_links.ks4_year, pupil_links.ethnicity_group)
    )
    -- the empty grouping makes one row even of no pupils, which the union of groupings this
    -- replaced did not: no pupils, no rows
    having count(*) > 0

),

measures as (

    select 'leo_link' as measure
    union all select 'paye'
    union all select 'benefits'
    union all select 'ilr'
    union all select 'hesa'
    union all select 'nccis'

),

link_counts as (

    -- one row per group and measure: one read of group_counts
    select
        group_counts.ks4_year,
        group_counts.subgroup,
        group_counts.subgroup_value,
        measures.measure,
        case
            when measures.measure = 'leo_link' then group_counts.n_leo_link
            when measures.measure = 'paye' then group_counts.n_paye
            when measures.measure = 'benefits' then group_counts.n_benefits
            when measures.measure = 'ilr' then group_counts.n_ilr
            when measures.measure = 'hesa' then group_counts.n_hesa
            when measures.measure = 'nccis' then group_counts.n_nccis
        end as numerator,
        group_counts.n_pupils as denominator
    from group_counts
    cross join measures

),

with_whole as (

    -- the whole cohort's numerator and denominator (subgroup 'all') on every row of its scope
    -- and measure, read by a window rather than by joining link_counts to itself
    select
        link_counts.*,
        max(case when link_counts.subgroup = 'all' then link_counts.numerator end) over (
            partition by link_counts.ks4_year, link_counts.measure
        ) as whole_numerator,
        max(case when link_counts.subgroup = 'all' then link_counts.denominator end) over (
            partition by link_counts.ks4_year, link_counts.measure
        ) as whole_denominator
    from link_counts

)

select
    'PL-5' as diagnostic_id,  -- diagnostic id (derivations 26.4)
    with_whole.measure as measure,  -- leo_link, paye, benefits, ilr, hesa or nccis
    with_whole.ks4_year as ks4_year,  -- 'all' or a KS4 cohort
    with_whole.subgroup as subgroup,  -- all, fsm, sen, eal or ethnicity_major
    with_whole.subgroup_value as subgroup_value,  -- the subgroup's value ('all' for none)
    cast(with_whole.numerator as int) as numerator,  -- units flagged
    cast(with_whole.denominator as int) as denominator,  -- units examined
    cast(
        case when with_whole.subgroup <> 'all' and with_whole.whole_denominator > 0
            then cast(with_whole.whole_numerator as decimal(18, 6)) / with_whole.whole_denominator
        end
        as decimal(9, 6)
    ) as cohort_rate,  -- a subgroup's row: the rate of the whole cohort (subgroup 'all')
    'persons' as unit_kind  -- persons, identifiers or records
from with_whole
