/* ---
description: >
  One row per person x ILR learning aim (person, provider, learning aim reference, start date),
  over the aim's yearly records, before censoring (fe_spells censors and clips at the reference
  date). Only linked records with a start date and an aim reference count. Every attribute comes
  from the aim's latest record: the latest academic year; within it, the record with an actual
  end, then the latest actual end, then the latest expected end, then the highest aim_record_id.
  End date (decision 8; fixes D78, where an early year's expected end overrode a later year's
  actual end, and withdrawn aims were dropped): the latest record's actual end (end_rule
  actual); else, when the latest record is withdrawn (completion status 3), 31 August of the
  last academic year the aim appears in (withdrawn_last_year); else the latest record's expected
  end (expected); else NULL (open: censored at the reference date in fe_spells). Transferred (4)
  and break-in-learning (6) aims without an actual end are treated like continuing ones.
  Apprenticeship level: the programme type's (int_fe__aim_records); for a standard (programme
  type 25) the highest aim level among the person's aims of that standard at that provider
  (the programme aim's own level where it has one), so every aim of the programme shares one
  level and a programme aim without a level takes its components' (below level 2: NULL, type
  apprenticeship_unknown_level). The ILR extract has no standard-level table, so when the only
  components are English and maths this can understate the standard's level. An aim whose end
  falls before its start is counted (end_before_start) and left out of fe_spells. Source:
  int_fe__aim_records.
grain: [person_id, provider_id, learning_aim_ref, start_date]
unique: {records: [aim_record_id]}  # select * of ws.int_fe__aim_records: its grain
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - accepted_values: {column: end_rule, values: [actual, withdrawn_last_year, expected, open]}
  - expression_is_true: end_date is null or end_date >= start_date
    name: end_before_start
    description: aims whose end (by the end-date rule) is before their start; left out of fe_spells
    severity: warn
    max_failing_rate: 0.001
indexes: [[person_id]]
--- */

with

records as (

    select * from ws.int_fe__aim_records as records
    where records.person_id is not null
        and records.start_date is not null
        and records.learning_aim_ref is not null

),

ranked as (

    select
        records.*,
        row_number() over (
            partition by records.person_id, records.provider_id, records.learning_aim_ref, records.start_date
            order by
                records.academic_year desc,
                case when records.end_date is null then 1 else 0 end,
                records.end_date desc,
                case when records.expected_end_date is null then 1 else 0 end,
                records.expected_end_date desc,
                records.aim_record_id desc
        ) as recency_rank,
        min(records.academic_year) over (
            partition by records.person_id, records.provider_id, records.learning_aim_ref, records.start_date
        ) as first_academic_year,
        count(*) over (
            partition by records.person_id, records.provider_id, records.learning_aim_ref, records.start_date
        ) as n_records
    from records

),

latest as (

    select
        ranked.*,
        -- the highest aim level of the person's aims of one standard at one provider
        max(ranked.aim_level) over (
            partition by ranked.person_id, ranked.provider_id, ranked.programme_type, ranked.standard_id
        ) as programme_aim_level
    from ranked
    where ranked.recency_rank = 1

)

select
    ---------- ids
    latest.person_id,  -- the project's person identifier
    latest.provider_id,  -- pseudonymised provider; 0 = unknown
    latest.learning_aim_ref,  -- learning aim reference; ZPROG001 = programme aim
    latest.start_date,  -- aim start

    ---------- end
    case
        when latest.end_date is not null then latest.end_date
        when latest.completion_status = 3 then datefromparts(latest.academic_year, 8, 31)
        else latest.expected_end_date
    end as end_date,  -- end by the end-date rule, before censoring; NULL = open
    case
        when latest.end_date is not null then 'actual'
        when latest.completion_status = 3 then 'withdrawn_last_year'
        when latest.expected_end_date is not null then 'expected'
        else 'open'
    end as end_rule,  -- actual, withdrawn_last_year, expected or open
    latest.end_date as actual_end_date,  -- actual end of the latest record
    latest.expected_end_date,  -- expected end of the latest record
    latest.achievement_date,  -- achievement date of the latest record

    ---------- status
    latest.completion_status,  -- of the latest record
    latest.outcome_code,  -- of the latest record

    ---------- programme and level
    latest.programme_type,  -- of the latest record
    latest.framework_id,  -- apprenticeship framework
    latest.standard_id,  -- apprenticeship standard
    latest.fund_model,  -- funding model
    latest.aim_level,  -- level of the aim itself (NULL for programme aims)
    case
        when latest.is_apprenticeship = 0 then null
        when latest.programme_type = 25 and latest.programme_aim_level >= 2 then latest.programme_aim_level
        else latest.framework_level
    end as apprenticeship_level,  -- level of the apprenticeship programme (2-7); NULL if not one or unknown
    latest.is_apprenticeship,  -- 1 = aim of an apprenticeship programme
    latest.is_traineeship,  -- 1 = aim of a traineeship
    latest.is_programme_aim,  -- 1 = programme (umbrella) aim

    ---------- records
    latest.recordid,  -- ILR learner record of the latest record (links to person_identifier)
    latest.first_academic_year,  -- first academic year the aim appears in
    latest.academic_year as last_academic_year,  -- last academic year the aim appears in
    latest.n_records  -- yearly records of the aim
from latest
