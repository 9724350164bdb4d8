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
        cohort.is_fsm,
        cohort.sen_status,
        cohort.is_eal,
        cohort.ethnicity_major,
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

pupil_groups as (

    select pupil_links.*, 'all' as subgroup, 'all' as subgroup_value from pupil_links
    union all
    select pupil_links.*, 'fsm', coalesce(cast(pupil_links.is_fsm as varchar(8)), 'unknown') from pupil_links
    union all
    select pupil_links.*, 'sen', coalesce(pupil_links.sen_status, 'unknown') from pupil_links
    union all
    select pupil_links.*, 'eal', coalesce(cast(pupil_links.is_eal as varchar(8)), 'unknown') from pupil_links
    union all
    select pupil_links.*, 'ethnicity_major', coalesce(pupil_links.ethnicity_major, 'Unclassified') from pupil_links

),

group_counts as (

    select
        scoped.scope_year as ks4_year,
        scoped.subgroup,
        scoped.subgroup_value,
        count(*) as n_pupils,
        sum(scoped.has_leo_link) as n_leo_link,
        sum(scoped.has_paye) as n_paye,
        sum(scoped.has_benefits) as n_benefits,
        sum(scoped.has_ilr) as n_ilr,
        sum(scoped.has_hesa) as n_hesa,
        sum(scoped.has_nccis) as n_nccis
    from (
        select 'all' as scope_year, pupil_groups.* from pupil_groups
        union all
        select cast(pupil_groups.ks4_year as varchar(4)), pupil_groups.* from pupil_groups
    ) as scoped
    group by scoped.scope_year, scoped.subgroup, scoped.subgroup_value

),

link_counts as (

    select group_counts.ks4_year, group_counts.subgroup, group_counts.subgroup_value, 'leo_link' as measure,
        group_counts.n_leo_link as numerator, group_counts.n_pupils as denominator
    from group_counts
    union all
    select group_counts.ks4_year, group_counts.subgroup, group_counts.subgroup_value, 'paye', group_counts.n_paye, group_counts.n_pupils
    from group_counts
    union all
    select group_counts.ks4_year, group_counts.subgroup, group_counts.subgroup_value, 'benefits', group_counts.n_benefits, group_counts.n_pupils
    from group_counts
    union all
    select group_counts.ks4_year, group_counts.subgroup, group_counts.subgroup_value, 'ilr', group_counts.n_ilr, group_counts.n_pupils
    from group_counts
    union all
    select group_counts.ks4_year, group_counts.subgroup, group_counts.subgroup_value, 'hesa', group_counts.n_hesa, group_counts.n_pupils
    from group_counts
    union all
    select group_counts.ks4_year, group_counts.subgroup, group_counts.subgroup_value, 'nccis', group_counts.n_nccis, group_counts.n_pupils
    from group_counts

)

select
    'PL-5' as diagnostic_id,  -- diagnostic id (derivations 26.4)
    link_counts.measure as measure,  -- leo_link, paye, benefits, ilr, hesa or nccis
    link_counts.ks4_year as ks4_year,  -- 'all' or a KS4 cohort
    link_counts.subgroup as subgroup,  -- all, fsm, sen, eal or ethnicity_major
    link_counts.subgroup_value as subgroup_value,  -- the subgroup's value ('all' for none)
    cast(link_counts.numerator as int) as numerator,  -- units flagged
    cast(link_counts.denominator as int) as denominator,  -- units examined
    cast(
        case when link_counts.subgroup <> 'all' and whole.denominator > 0
            then cast(whole.numerator as decimal(18, 6)) / whole.denominator
        end
        as decimal(9, 6)
    ) as cohort_rate,  -- a subgroup's row: the rate of the whole cohort (subgroup 'all')
    'persons' as unit_kind  -- persons, identifiers or records
from link_counts
left join link_counts as whole
    on whole.ks4_year = link_counts.ks4_year
    and whole.measure = link_counts.measure
    and whole.subgroup = 'all'
