/* ---
description: >
  One row per person x FE learning aim spell (ILR): an aim is (person, provider, learning aim
  reference, start date) over the yearly ILR records it appears in, so a programme aim and each
  of its component aims are spells of their own. spell_type: traineeship (programme type 24),
  apprenticeship_intermediate (level 2), apprenticeship_advanced (level 3),
  apprenticeship_higher (level 4+), apprenticeship_unknown_level, else classroom_fe.
  Apprenticeship level from the programme type (3 -> 2, 2 -> 3, 10 and 20 -> 4, 21 -> 5,
  22 -> 6, 23 -> 7); all aims of a standard (25) share the highest level among them (see
  int_fe__aims; NULL below level 2). Aim level: notional_level_v2, with 15 (level 1/2) as 1 and
  9 (higher) as NULL (notional_level where v2 is missing); spell_level is the apprenticeship's
  level for an apprenticeship aim, else the aim's level. End date (decision 8, D78): the actual
  end of the aim's latest academic-year record; else 31 August of the last academic year a
  withdrawn aim appears in; else its expected end; else open. Open aims and aims ending after the
  reference date end at the reference date with is_censored = 1; aims starting after it are
  left out, and so are aims ending before they start (counted in int_fe__aims), records of ILR
  learner records not linked to an ae_id (not persons; counted in int_fe__aim_records) and
  records without a start or aim reference. Status, outcome and programme come from the latest
  record. Every aim is kept here, whatever its size or funding: which classroom aims make a
  month fe is activity_spells' rule (rule 6 of docs/decisions.md, setting fe_participation: by
  default not an aim of funding model 99). Sources: int_fe__aims (stg_lilr__aims,
  person_identifier via recordid).
grain: [person_id, provider_id, learning_aim_ref, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - expression_is_true: end_date <= @reference_date
  - accepted_values: {column: spell_type, values: [classroom_fe, apprenticeship_intermediate, apprenticeship_advanced, apprenticeship_higher, apprenticeship_unknown_level, traineeship]}
  - accepted_values: {column: end_rule, values: [actual, withdrawn_last_year, expected, open]}
indexes: [[person_id]]
--- */

with

aims as (

    select * from ws.int_fe__aims as aims
    where aims.start_date <= @reference_date
        and (aims.end_date is null or aims.end_date >= aims.start_date)

)

select
    ---------- ids
    aims.person_id,  -- the project's person identifier
    aims.provider_id,  -- pseudonymised provider (UKPRN, else UPIN); 0 = unknown
    aims.learning_aim_ref,  -- learning aim reference (LARS); ZPROG001 = programme aim

    ---------- dates
    aims.start_date,  -- first day of the aim (inclusive)
    case
        when aims.end_date is null or aims.end_date > @reference_date then @reference_date
        else aims.end_date
    end as end_date,  -- last day (inclusive) by end_rule; the reference date when censored
    cast(case when aims.end_date is null or aims.end_date > @reference_date then 1 else 0 end as smallint) as is_censored,  -- 1 = open or running past the reference date: cut there
    aims.end_rule,  -- actual, withdrawn_last_year (31 Aug of its last year), expected, or open

    ---------- type and level
    case
        when aims.is_traineeship = 1 then 'traineeship'
        when aims.is_apprenticeship = 1 and aims.apprenticeship_level = 2 then 'apprenticeship_intermediate'
        when aims.is_apprenticeship = 1 and aims.apprenticeship_level = 3 then 'apprenticeship_advanced'
        when aims.is_apprenticeship = 1 and aims.apprenticeship_level >= 4 then 'apprenticeship_higher'
        when aims.is_apprenticeship = 1 then 'apprenticeship_unknown_level'
        else 'classroom_fe'
    end as spell_type,  -- classroom_fe, apprenticeship_intermediate/_advanced/_higher/_unknown_level, traineeship
    coalesce(aims.apprenticeship_level, aims.aim_level) as spell_level,  -- the spell's level: the apprenticeship's, else the aim's
    aims.aim_level,  -- level of the aim itself (notional_level_v2; 15 -> 1, 9 -> NULL)
    aims.apprenticeship_level,  -- level of the apprenticeship programme (2-7); NULL if not one or unknown
    aims.is_apprenticeship,  -- 1 = aim of an apprenticeship programme (programme or component aim)
    aims.is_traineeship,  -- 1 = aim of a traineeship (programme type 24)
    aims.is_programme_aim,  -- 1 = the programme (umbrella) aim ZPROG001
    aims.programme_type,  -- ILR programme type of the latest record
    aims.framework_id,  -- apprenticeship framework
    aims.standard_id,  -- apprenticeship standard
    aims.fund_model,  -- funding model

    ---------- completion and achievement
    aims.completion_status,  -- latest record: 1 continuing, 2 completed, 3 withdrawn, 4 transferred, 6 break
    cast(case when aims.completion_status = 2 then 1 else 0 end as smallint) as is_completed,  -- 1 = completed (status 2)
    cast(case when aims.completion_status = 3 then 1 else 0 end as smallint) as is_withdrawn,  -- 1 = withdrawn (status 3)
    aims.outcome_code,  -- latest record: 1 achieved, 2 partial, 3 no achievement, ... 9 continuing
    cast(case when aims.outcome_code = 1 then 1 else 0 end as smallint) as is_achieved,  -- 1 = achieved (outcome 1)
    aims.achievement_date,  -- achievement date of the latest record
    aims.actual_end_date,  -- actual end of the latest record (NULL if none)
    aims.expected_end_date,  -- expected end of the latest record

    ---------- records
    aims.first_academic_year,  -- first academic year (end year) the aim appears in
    aims.last_academic_year,  -- last academic year (end year) the aim appears in
    aims.n_records  -- yearly ILR records of the aim
from aims
