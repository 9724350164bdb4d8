/* ---
description: >
  ILR learning aims, one row per aim x learner-provider-year (an aim running over several years
  appears once per year). Codes of -1 become NULL; sentinel dates (on or before 1900-01-01 or on or
  after 9999-01-01, sql/reference/ref_sentinel_dates.csv) become NULL, counted; the academic
  year is the last four characters of AcademicYear (its end year). notional_level_v2 code 15
  (level 1/2) and 9 (higher) are kept as delivered and mapped in fe_spells. SSA tier 2 of -1
  becomes NULL; the level-2 and level-3 widths (percent of a full level) are kept as delivered.
checks:
  - not_null: [start_date]
    name: missing_start
    severity: warn
    max_failing_rate: 0.001
--- */

select
    cast(aims.external_id as bigint) as external_id,  -- learner x provider x year x dataset
    cast(aims.recordid as bigint) as recordid,  -- record sent for matching
    cast(right(ltrim(rtrim(aims.academicyear)), 4) as int) as academic_year,  -- academic-year end of this record
    coalesce(nullif(cast(aims.ukprn_anon as bigint), 0), nullif(cast(aims.upin_anon as bigint), 0)) as provider_id,  -- pseudonymised provider
    upper(nullif(ltrim(rtrim(aims.learning_aim_id)), '')) as learning_aim_ref,  -- learning aim reference; ZPROG001 = programme aim
    nullif(cast(aims.programme_type as int), -1) as programme_type,  -- apprenticeship/traineeship programme type
    nullif(cast(aims.framework_id as int), -1) as framework_id,  -- apprenticeship framework
    nullif(cast(aims.standard_id as int), -1) as standard_id,  -- apprenticeship standard
    nullif(cast(aims.fundmodel as int), -1) as fund_model,  -- funding model
    nullif(cast(aims.traineeship as int), -1) as is_traineeship_flag,  -- traineeship flag (2014 on)
    nullif(cast(aims.outcome as int), -1) as outcome_code,  -- 1 achieved, 2 partial, 3 none, ... 9 continuing
    nullif(cast(aims.compstatus as int), -1) as completion_status,  -- 1 continuing, 2 completed, 3 withdrawn, 4 transferred, 6 break
    nullif(cast(aims.notional_level_v2 as int), -1) as notional_level_v2,  -- 0-8, 15 level 1/2, 9 higher
    nullif(cast(aims.notional_level as int), -1) as notional_level,  -- older level field
    nullif(nullif(ltrim(rtrim(aims.ssatier2)), ''), '-1') as ssa_tier2,  -- sector subject area tier 2 as delivered (e.g. 14.1); -1 and blank NULL
    cast(aims.fl2width as decimal(12, 2)) as fl2_width_pct,  -- percentage of a full level 2 (2007+); 0 = not given
    cast(aims.fl3width as decimal(12, 2)) as fl3_width_pct,  -- percentage of a full level 3 (2007+); 0 = not given
    nullif(cast(aims.sfl_type as int), -1) as sfl_type,  -- Skills for Life: 1 literacy, 2 numeracy, 3 language, 4 other, 9 NA
    case when aims.start_date <= cast('1900-01-01' as date) or aims.start_date >= cast('9999-01-01' as date) then null else aims.start_date end as start_date,  -- aim start
    case when aims.end_date <= cast('1900-01-01' as date) or aims.end_date >= cast('9999-01-01' as date) then null else aims.end_date end as end_date,  -- actual end; NULL if not ended
    case when aims.end_date_expected <= cast('1900-01-01' as date) or aims.end_date_expected >= cast('9999-01-01' as date) then null else aims.end_date_expected end as expected_end_date,  -- planned end
    case when aims.achievement_date <= cast('1900-01-01' as date) or aims.achievement_date >= cast('9999-01-01' as date) then null else aims.achievement_date end as achievement_date,  -- achievement

    case
        when aims.external_id is null then 'blank_identifier'
        when aims.start_date <= cast('1900-01-01' as date) or aims.start_date >= cast('9999-01-01' as date) or aims.end_date <= cast('1900-01-01' as date) or aims.end_date >= cast('9999-01-01' as date)
            or aims.end_date_expected <= cast('1900-01-01' as date) or aims.end_date_expected >= cast('9999-01-01' as date)
            or aims.achievement_date <= cast('1900-01-01' as date) or aims.achievement_date >= cast('9999-01-01' as date) then 'sentinel_date'
        when aims.end_date < aims.start_date then 'end_before_start'
    end as row_issue  -- NULL = as delivered; blank_identifier (no external_id: links to no learner), sentinel_date (a date made NULL: unknown), end_before_start (left out of fe_spells)

from lilr.ilr_aims as aims
