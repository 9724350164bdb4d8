/* ---
description: >
  One row per match-quality diagnostic x measure x scope (overall, each KS4 cohort, and for PL-5
  each subgroup): numerator, denominator, rate, the thresholds in force (ref_match_quality, from
  setting match_quality) and the status, so that linkage quality is readable without the Dagster
  UI; the diagnostics' asset checks report these rows. Person diagnostics count persons flagged
  in match_flags among the diagnostic's denominator (see ref_match_quality.unit); PL-3 counts
  linked identifiers linked to 2+ ae_ids, PL-6 EduKeys in outcome views without a lookup row.
  PL-5: share of KS4 pupils linked to LEO (measure leo_link, judged against a minimum rate) and
  with any PAYE employment, benefit, ILR (FE), HESA or NCCIS spell (paye, benefits, ilr, hesa,
  nccis: reported), by cohort and by FSM, SEN, EAL and ethnicity major group; a subgroup row of
  leo_link warns when its gap from the cohort's rate exceeds gap_warn (subgroups of min_n pupils
  or more). Status: no_data (denominator 0), report, ok, warn or error (beyond threshold_error,
  unless max_severity is warn). ks4_year 'all' covers every unit, including persons in no
  configured cohort.
grain: [diagnostic_id, measure, ks4_year, subgroup, subgroup_value]
checks:
  - accepted_values: {column: status, values: [no_data, report, ok, warn, error]}
  - expression_is_true: numerator <= denominator
--- */

with

thresholds as (

    select * from ws.ref_match_quality

),

quality as (

    select * from ws.int_quality__persons

),

cohort as (

    select * from ws.ks4_cohort

),

person_units as (

    -- one row per diagnostic x person in its denominator
    select 'PL-1' as diagnostic_id, persons.person_id from ws.person_lookup as persons where persons.is_linked = 1
    union all
    select 'PL-2', persons.person_id from ws.person_lookup as persons where persons.is_linked = 1
    union all
    select 'PL-11', persons.person_id from ws.person_lookup as persons where persons.is_linked = 1
    union all
    select 'PL-4', quality.person_id from quality where quality.n_pmrs_with_records >= 2
    union all
    select distinct 'CD-1', spells.person_id from ws.school_spells as spells
    union all
    select 'CD-3', quality.person_id from quality
    union all
    select 'CD-4', quality.person_id from quality
    union all
    select 'CO-1', quality.person_id from quality
    inner join cohort on cohort.person_id = quality.person_id
    where quality.n_dated_records > 0
    union all
    select distinct 'ER-1', pay.person_id from ws.earnings as pay
    inner join quality on quality.person_id = pay.person_id
    where pay.total_earnings_gbp_nominal > 0 and quality.birth_year is not null
    union all
    select distinct 'EM-1', spells.person_id from ws.employment_spells as spells
    inner join quality on quality.person_id = spells.person_id
    where quality.birth_year is not null
    union all
    select distinct 'BE-1', spells.person_id from ws.benefit_spells as spells
    inner join quality on quality.person_id = spells.person_id
    where spells.is_out_of_work = 1 and quality.birth_year is not null
    union all
    select distinct 'IL-1', spells.person_id from ws.fe_spells as spells
    inner join quality on quality.person_id = spells.person_id
    where quality.birth_year is not null
    union all
    select distinct 'HE-1', spells.person_id from ws.he_spells as spells
    inner join quality on quality.person_id = spells.person_id
    where quality.birth_year is not null

),

units as (

    select
        person_units.diagnostic_id,
        person_units.person_id,
        case when flags.person_id is null then 0 else 1 end as is_flagged
    from person_units
    left join ws.match_flags as flags
        on flags.person_id = person_units.person_id
        and flags.flag = person_units.diagnostic_id

    union all

    -- PL-3: linked identifiers; PL-6: EduKeys occurring in the sources
    select 'PL-3', ids.person_id, case when ids.n_ae_ids > 1 then 1 else 0 end
    from ws.person_identifier as ids
    where ids.is_in_lookup = 1 and ids.identifier_type <> 'ae_id'

    union all

    select 'PL-6', ids.person_id, case when ids.is_in_lookup = 0 then 1 else 0 end
    from ws.person_identifier as ids
    where ids.identifier_type = 'edukey' and ids.is_in_sources = 1

),

flag_counts as (

    select units.diagnostic_id, 'all' as ks4_year, sum(units.is_flagged) as numerator, count(*) as denominator
    from units
    group by units.diagnostic_id

    union all

    select units.diagnostic_id, cast(cohort.ks4_year as varchar(4)), sum(units.is_flagged), count(*)
    from units
    inner join cohort
        on cohort.person_id = units.person_id
    group by units.diagnostic_id, cohort.ks4_year

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

),

measured as (

    select
        flag_counts.diagnostic_id,
        'flagged' as measure,
        flag_counts.ks4_year,
        'all' as subgroup,
        'all' as subgroup_value,
        flag_counts.numerator,
        flag_counts.denominator,
        cast(null as decimal(9, 6)) as cohort_rate
    from flag_counts

    union all

    select
        'PL-5',
        link_counts.measure,
        link_counts.ks4_year,
        link_counts.subgroup,
        link_counts.subgroup_value,
        link_counts.numerator,
        link_counts.denominator,
        case when link_counts.subgroup <> 'all' and whole.denominator > 0
            then cast(cast(whole.numerator as decimal(18, 6)) / whole.denominator as decimal(9, 6))
        end
    from link_counts
    left join link_counts as whole
        on whole.ks4_year = link_counts.ks4_year
        and whole.measure = link_counts.measure
        and whole.subgroup = 'all'

),

rated as (

    select
        measured.*,
        case when measured.denominator > 0
            then cast(cast(measured.numerator as decimal(18, 6)) / measured.denominator as decimal(9, 6))
        end as rate
    from measured

),

judged as (

    select
        rated.*,
        thresholds.asset,
        thresholds.title,
        thresholds.unit,
        thresholds.direction,
        thresholds.threshold_warn,
        thresholds.threshold_error,
        thresholds.max_severity,
        thresholds.gap_warn,
        thresholds.min_n,
        rated.rate - rated.cohort_rate as gap_from_cohort,
        case
            when rated.denominator = 0 then 'no_data'
            when rated.diagnostic_id = 'PL-5' and rated.measure <> 'leo_link' then 'report'
            when rated.subgroup <> 'all' then
                case
                    when rated.denominator >= coalesce(thresholds.min_n, 1)
                        and (rated.rate - rated.cohort_rate > thresholds.gap_warn
                             or rated.cohort_rate - rated.rate > thresholds.gap_warn) then 'warn'
                    else 'ok'
                end
            when thresholds.direction = 'min' then
                case
                    when thresholds.threshold_error is not null and rated.rate < thresholds.threshold_error then 'error'
                    when rated.rate < thresholds.threshold_warn then 'warn'
                    else 'ok'
                end
            else
                case
                    when thresholds.threshold_error is not null and rated.rate > thresholds.threshold_error then 'error'
                    when rated.rate > thresholds.threshold_warn then 'warn'
                    else 'ok'
                end
        end as raw_status
    from rated
    inner join thresholds
        on thresholds.diagnostic_id = rated.diagnostic_id

)

select
    ---------- diagnostic and scope
    judged.diagnostic_id,  -- diagnostic id (derivations 26.4)
    judged.measure,  -- flagged (persons or identifiers flagged); PL-5: leo_link, paye, benefits, ilr, hesa, nccis
    judged.asset,  -- the table whose asset check reports it
    judged.title,  -- what is counted
    judged.unit,  -- what the denominator counts
    judged.ks4_year,  -- 'all' or a KS4 cohort
    judged.subgroup,  -- all, fsm, sen, eal or ethnicity_major (PL-5 only)
    judged.subgroup_value,  -- the subgroup's value ('all' for none)

    ---------- measurement
    judged.numerator,  -- units flagged (PL-5: pupils linked)
    judged.denominator,  -- units examined
    judged.rate,  -- numerator / denominator
    judged.gap_from_cohort,  -- PL-5 subgroups: rate minus the cohort's rate

    ---------- judgement
    judged.direction,  -- max: bad above the thresholds; min: bad below
    judged.threshold_warn,  -- warn beyond this rate (PL-5 subgroups: gap_warn applies)
    judged.threshold_error,  -- ERROR beyond this rate; NULL = never
    case when judged.raw_status = 'error' and judged.max_severity = 'warn' then 'warn' else judged.raw_status end as status  -- no_data, report, ok, warn or error

from judged
