/* ---
description: >
  One row per ILR learning-aim record: an aim x learner-provider-year record (an aim live in
  several academic years has one record per year), with the person it belongs to and the aim's
  type and level. person_id comes from person_identifier through the record's recordid
  (identifier type ilr_recordid); an ILR learner record that LEO's lookups do not link to an
  ae_id is not a person: its aims keep person_id NULL here, are counted by check
  unlinked_ilr_records and are left out of int_fe__aims and fe_spells. Aim level:
  notional_level_v2 0-8 as delivered, 15 (level 1/2) as level 1, 9 (higher level, no single
  level) as NULL; where notional_level_v2 is missing, notional_level 0-8 (its 9, other, as NULL).
  Apprenticeship programme types and their level: 3 intermediate -> 2, 2 advanced -> 3,
  10 higher (before 2011/12) and 20 -> 4, 21 -> 5, 22 -> 6, 23 -> 7, 25 standard -> from its
  aims' levels (int_fe__aims); programme type 24 is a traineeship (the aims' own traineeship
  field is not used). A record without a provider has provider_id 0 (counted). Sentinel dates
  (1900-01-01) are already NULL (stg_lilr__aims). aim_record_id numbers the records in the
  order of all their columns, so records that tie are equal in every column and
  interchangeable. Source: stg_lilr__aims, person_identifier.
grain: [aim_record_id]
unique:  # every column numbered by aim_record_id: rows equal in all of them are interchangeable
  linked: [recordid, academic_year, external_id, provider_id, learning_aim_ref, start_date, end_date,
           expected_end_date, achievement_date, completion_status, outcome_code, programme_type,
           framework_id, standard_id, fund_model, notional_level_v2, notional_level]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - not_null: [person_id]
    name: unlinked_ilr_records
    description: aims of ILR learner records with no ae_id (not persons; left out of fe_spells)
    severity: warn
    max_failing_rate: 0.1
  - not_null: [start_date, learning_aim_ref]
    name: records_without_start_or_aim
    description: records without a start date or an aim reference (left out of fe_spells)
    severity: warn
    max_failing_rate: 0.001
  - expression_is_true: provider_id <> 0
    name: unknown_provider
    severity: warn
    max_failing_rate: 0.001
  - expression_is_true: end_date is null or start_date is null or end_date >= start_date
    name: actual_end_before_start
    severity: warn
    max_failing_rate: 0.001
indexes: [[person_id]]
--- */

with

aims as (

    select * from ws.stg_lilr__aims

),

linked as (

    select
        ids.person_id,
        aims.recordid,
        aims.external_id,
        aims.academic_year,
        coalesce(aims.provider_id, 0) as provider_id,
        aims.learning_aim_ref,
        aims.start_date,
        aims.end_date,
        aims.expected_end_date,
        aims.achievement_date,
        aims.completion_status,
        aims.outcome_code,
        aims.programme_type,
        aims.framework_id,
        aims.standard_id,
        aims.fund_model,
        aims.notional_level_v2,
        aims.notional_level
    from aims
    left join ws.person_identifier as ids
        on ids.identifier_type = 'ilr_recordid'
        and ids.identifier_value = cast(aims.recordid as varchar(20))

)

select
    ---------- ids
    row_number() over (
        order by
            linked.recordid, linked.academic_year, linked.external_id, linked.provider_id,
            linked.learning_aim_ref, linked.start_date, linked.end_date, linked.expected_end_date,
            linked.achievement_date, linked.completion_status, linked.outcome_code,
            linked.programme_type, linked.framework_id, linked.standard_id, linked.fund_model,
            linked.notional_level_v2, linked.notional_level
    ) as aim_record_id,  -- surrogate key of the record (order of all columns)
    linked.person_id,  -- the project's person identifier; NULL = learner record not linked to an ae_id
    linked.recordid,  -- ILR learner record sent for matching
    linked.external_id,  -- learner x provider x year x dataset
    linked.academic_year,  -- academic-year end of this record (2016 = 2015/16)
    linked.provider_id,  -- pseudonymised provider (UKPRN, else UPIN); 0 = unknown
    linked.learning_aim_ref,  -- learning aim reference; ZPROG001 = programme aim

    ---------- dates
    linked.start_date,  -- aim start
    linked.end_date,  -- actual end recorded in this year; NULL if not ended (or 1900-01-01)
    linked.expected_end_date,  -- planned end recorded in this year
    linked.achievement_date,  -- achievement date recorded in this year

    ---------- status
    linked.completion_status,  -- 1 continuing, 2 completed, 3 withdrawn, 4 transferred, 6 break in learning
    linked.outcome_code,  -- 1 achieved, 2 partial, 3 no achievement, ... 9 continuing

    ---------- programme and level
    linked.programme_type,  -- 2/3/10/20-23/25 apprenticeship, 24 traineeship, NULL none
    linked.framework_id,  -- apprenticeship framework
    linked.standard_id,  -- apprenticeship standard
    linked.fund_model,  -- funding model
    linked.notional_level_v2,  -- notional level as delivered (0-8, 15 level 1/2, 9 higher)
    cast(case
        when linked.notional_level_v2 between 0 and 8 then linked.notional_level_v2
        when linked.notional_level_v2 = 15 then 1
        when linked.notional_level_v2 is null and linked.notional_level between 0 and 8 then linked.notional_level
    end as int) as aim_level,  -- level of the aim: 0 entry ... 8; 15 (level 1/2) as 1; 9 (higher) NULL
    cast(case linked.programme_type
        when 3 then 2
        when 2 then 3
        when 10 then 4
        when 20 then 4
        when 21 then 5
        when 22 then 6
        when 23 then 7
    end as int) as framework_level,  -- apprenticeship level implied by the programme type (standards: NULL)
    cast(case when linked.programme_type in (2, 3, 10, 20, 21, 22, 23, 25) then 1 else 0 end as smallint) as is_apprenticeship,  -- 1 = aim of an apprenticeship programme
    cast(case when linked.programme_type = 24 then 1 else 0 end as smallint) as is_traineeship,  -- 1 = aim of a traineeship (programme type 24)
    cast(case when linked.learning_aim_ref = 'ZPROG001' then 1 else 0 end as smallint) as is_programme_aim  -- 1 = the programme (umbrella) aim
from linked
