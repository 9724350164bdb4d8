/* ---
description: >
  One row per match-quality diagnostic x measure x scope (overall, each KS4 cohort, and for PL-5
  each subgroup): numerator, denominator, rate, the thresholds in force (ref_match_quality, from
  setting match_quality) and the status, so that linkage quality is readable without the Dagster
  UI; the diagnostics' asset checks report these rows. The measurements come from four tables,
  one per family, whose descriptions say what each counts: int_quality__person_measures (person
  diagnostics and their flagged-event shares), int_quality__link_measures (PL-5),
  int_quality__linkage_record_counts (PL-7 by HESA year, PL-8, PL-10) and
  int_quality__record_counts (record-level diagnostics); this table judges them against
  ref_match_quality. Person diagnostics count persons flagged
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

measured as (

    select * from ws.int_quality__person_measures
    union all
    select * from ws.int_quality__link_measures
    union all
    select * from ws.int_quality__linkage_record_counts
    union all
    select
        records.diagnostic_id,
        records.measure,
        records.ks4_year,
        records.subgroup,
        records.subgroup_value,
        cast(records.numerator as int),
        cast(records.denominator as int),
        cast(null as decimal(9, 6)),
        'records'
    from ws.int_quality__record_counts as records

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
