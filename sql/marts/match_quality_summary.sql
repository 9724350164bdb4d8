/* ---
description: >
  One row per match-quality diagnostic x measure x scope (overall, each KS4 cohort, and for PL-5
  each subgroup): numerator, denominator, rate, the thresholds in force (ref_match_quality, from
  setting match_quality) and the status, so that linkage quality is readable without the Dagster
  UI; the diagnostics' asset checks report these rows. Person diagnostics count persons flagged
  in match_flags among the diagnostic's denominator (see ref_match_quality.unit); PL-3 counts
  linked identifiers linked to 2+ ae_ids, PL-6 EduKeys in outcome views without a lookup row.
  PL-7: persons with a HESA PMR (stg_hesa__instances through person_identifier) flagged HE-only.
  PL-8: ILR learner records (stg_lilr__learners) whose recordid has no ae_id link
  (int_identifier_links), overall and by subgroup academic_year (ks4_year 'all'): status report,
  and on a year's row warn when its rate differs from the previous year's by more than
  threshold_warn (gap_from_cohort holds that change; computed only when both years hold min_n
  records or more). PL-10: recordids of
  education_records_lookup with 2+ rows (measure flagged), and ILR learner recordids with a
  lookup row whose source is not ILR (measure non_ilr_source; 0 when the extract has no source
  column): hard 0. PL-8 and PL-10 count records, not persons: ks4_year 'all' only.
  PL-5: share of KS4 pupils linked to LEO (measure leo_link, judged against a minimum rate) and
  with any PAYE employment, benefit, ILR (FE), HESA or NCCIS spell (paye, benefits, ilr, hesa,
  nccis: reported), by cohort and by FSM, SEN, EAL and ethnicity major group; a subgroup row of
  leo_link warns when its gap from the cohort's rate exceeds gap_warn (subgroups of min_n pupils
  or more). Status: no_data (denominator 0), report, ok, warn or error (beyond threshold_error,
  unless max_severity is warn). ks4_year 'all' covers every unit, including persons in no
  configured cohort. PL-7 is also broken down by subgroup hesa_year (persons with a HESA record
  of that year; status report).
  CD-2, CD-5, IL-2, IL-4, IL-6, HE-2, HE-3, BE-2 and BE-4 (int_quality__person_checks): measure
  flagged counts persons with an offending record among the persons examined; measure
  flagged_events counts the records, spells or census terms examined and offending (derivations
  26.5: the flagged-event share; status report). CD-6 and ER-4 are judged on records (census
  records; person tax years with earnings): their flagged measure counts those and
  flagged_persons the persons (report).
  Record-level diagnostics (int_quality__record_counts: BE-3, BE-5, SP-1, SP-2, HE-4, EM-3,
  NC-1, NC-2) count records, spells, codes or person-months, overall, per cohort and by their
  breakdown (subgroup table, benefit_type, hesa_year or tax_year: status report).
  A diagnostic without a warn threshold (threshold_warn NULL: BE-3, HE-4, EM-3 by default) is
  reported, never judged: status report.
  unit_kind says whether a row counts persons, identifiers (PL-3, PL-6) or records (several per
  person: out_match_quality publishes only the first two).
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
    select distinct 'PL-7', ids.person_id from ws.stg_hesa__instances as instances
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr' and ids.identifier_value = instances.pmr
    where instances.pmr is not null
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

    union all

    -- CD-2, CD-5, CD-6, IL-2, HE-2, HE-3, BE-4: persons examined, flagged when a record offends
    select checks.diagnostic_id, checks.person_id, case when checks.n_flagged > 0 then 1 else 0 end
    from ws.int_quality__person_checks as checks

),

event_counts as (

    -- the same diagnostics counted over the records, spells or census terms examined (flagged-event share)
    select checks.diagnostic_id, 'all' as ks4_year, sum(checks.n_flagged) as numerator, sum(checks.n_examined) as denominator
    from ws.int_quality__person_checks as checks
    group by checks.diagnostic_id

    union all

    select checks.diagnostic_id, cast(cohort.ks4_year as varchar(4)), sum(checks.n_flagged), sum(checks.n_examined)
    from ws.int_quality__person_checks as checks
    inner join cohort
        on cohort.person_id = checks.person_id
    group by checks.diagnostic_id, cohort.ks4_year

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
        case when flag_counts.diagnostic_id in ('CD-6', 'ER-4') then 'flagged_persons' else 'flagged' end as measure,
        flag_counts.ks4_year,
        'all' as subgroup,
        'all' as subgroup_value,
        flag_counts.numerator,
        flag_counts.denominator,
        cast(null as decimal(9, 6)) as cohort_rate,
        case when flag_counts.diagnostic_id in ('PL-3', 'PL-6') then 'identifiers' else 'persons' end as unit_kind
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
        end,
        'persons'
    from link_counts
    left join link_counts as whole
        on whole.ks4_year = link_counts.ks4_year
        and whole.measure = link_counts.measure
        and whole.subgroup = 'all'

    union all

    -- int_quality__person_checks: the share of records examined that offend (CD-6, ER-4: the headline)
    select
        event_counts.diagnostic_id,
        case when event_counts.diagnostic_id in ('CD-6', 'ER-4') then 'flagged' else 'flagged_events' end,
        event_counts.ks4_year,
        'all',
        'all',
        event_counts.numerator,
        event_counts.denominator,
        cast(null as decimal(9, 6)),
        'records'
    from event_counts

    union all

    -- record-level diagnostics
    select
        records.diagnostic_id,
        records.measure,
        records.ks4_year,
        records.subgroup,
        records.subgroup_value,
        records.numerator,
        records.denominator,
        cast(null as decimal(9, 6)),
        'records'
    from ws.int_quality__record_counts as records

    union all

    -- PL-7 by HESA year, PL-8 and PL-10: records, not persons; PL-8's cohort_rate is the previous academic year's rate
    select
        record_counts.diagnostic_id,
        record_counts.measure,
        'all',
        record_counts.subgroup,
        record_counts.subgroup_value,
        record_counts.numerator,
        record_counts.denominator,
        record_counts.reference_rate,
        case when record_counts.diagnostic_id = 'PL-7' then 'persons' else 'records' end
    from record_counts

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
            when rated.measure in ('flagged_events', 'flagged_persons') then 'report'
            when thresholds.threshold_warn is null then 'report'
            when rated.diagnostic_id = 'PL-8' then
                case
                    when rated.cohort_rate is null then 'report'
                    when thresholds.threshold_error is not null
                        and (rated.rate - rated.cohort_rate > thresholds.threshold_error
                             or rated.cohort_rate - rated.rate > thresholds.threshold_error) then 'error'
                    when rated.rate - rated.cohort_rate > thresholds.threshold_warn
                        or rated.cohort_rate - rated.rate > thresholds.threshold_warn then 'warn'
                    else 'report'
                end
            when rated.diagnostic_id = 'PL-5' and rated.subgroup <> 'all' then
                case
                    when rated.denominator >= coalesce(thresholds.min_n, 1)
                        and (rated.rate - rated.cohort_rate > thresholds.gap_warn
                             or rated.cohort_rate - rated.rate > thresholds.gap_warn) then 'warn'
                    else 'ok'
                end
            -- other breakdowns (PL-7 hesa_year, SP-1 table, BE-3 benefit_type, ...) are reported; the overall row is judged
            when rated.subgroup <> 'all' then 'report'
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
    judged.measure,  -- flagged (persons, identifiers or records flagged); PL-5: leo_link, paye, benefits, ilr, hesa, nccis; PL-10: also non_ilr_source; int_quality__person_checks: flagged_events (CD-6, ER-4: flagged_persons); HE-4 open_end; EM-3 uncertain_start, uncertain_end; NC-1 conflicting
    judged.asset,  -- the table whose asset check reports it
    judged.title,  -- what is counted
    judged.unit,  -- what the denominator counts
    judged.unit_kind,  -- persons, identifiers or records (records, spells, codes or person-months: several per person)
    judged.ks4_year,  -- 'all' or a KS4 cohort
    judged.subgroup,  -- all; fsm, sen, eal, ethnicity_major (PL-5); academic_year (PL-8); hesa_year (PL-7, HE-4); table (SP-1, SP-2); benefit_type (BE-3); tax_year (EM-3)
    judged.subgroup_value,  -- the subgroup's value ('all' for none)

    ---------- measurement
    judged.numerator,  -- units flagged (PL-5: pupils linked)
    judged.denominator,  -- units examined
    judged.rate,  -- numerator / denominator
    judged.gap_from_cohort,  -- PL-5 subgroups: rate minus the cohort's rate; PL-8 years: minus the previous year's rate

    ---------- judgement
    judged.direction,  -- max: bad above the thresholds; min: bad below
    judged.threshold_warn,  -- warn beyond this rate (PL-5 subgroups: gap_warn applies; PL-8: a change from the previous year); NULL = reported, not judged
    judged.threshold_error,  -- ERROR beyond this rate; NULL = never
    case when judged.raw_status = 'error' and judged.max_severity = 'warn' then 'warn' else judged.raw_status end as status  -- no_data, report, ok, warn or error

from judged
