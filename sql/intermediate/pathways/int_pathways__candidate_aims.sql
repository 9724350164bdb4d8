/* ---
description: >
  One row per person x pathway census date x learning aim (ILR or PLAMS, int_pathways__aims) in the date's window: the aims a
  pathway is built from (derivations 21.2), each with its aim type, and the rank that picks the
  pathway's main aim. Census dates: the third Thursday of January, May and October (day 15 plus
  the days to the next Thursday), found without DATEFIRST (D97): the weekday is
  DATEDIFF(day, 1900-01-07, date) % 7 with 0 = Sunday (7 January 1900 was a Sunday). Dates run
  from the first aim start on or after 1 August before the first academic year of the ILR or PLAMS extract
  (an older start belongs to a learner already in learning, not to the start of the data) to the
  reference date (D104: no "today"); every date is built the same way (D95). Window: the date
  plus or minus 7 days; an aim is in it when it starts on or before the window's end and ends on or
  after its start (ends of int_pathways__aims). Person aggregates over the window's aims, by the
  aim's own (potential) level: n_a_levels, n_general_level3, n_level2, level3_size_sum (level-3
  aims), level2_size_sum (level-2 aims). Aim type, first rule that holds (pathway_level L):
  L > 3 -> 1; framework or standard apprenticeship at L 3 -> 11, L 2 -> 31; traineeship -> 32
  (before the level tests, unlike the reference, where a traineeship of entry or level-1 aims
  became 42 and type 32 was reached only through a level-2 aim); L unknown -> 0; L < 2 -> 42;
  n_a_levels > 2 -> 12; n_a_levels > 0 and n_general_level3 > 0 -> 16; n_a_levels > 1 -> 12;
  14-19 Diploma -> 33 (L 2) or 13 (L 3); BTEC/OCR at L 3 -> 14; NVQ -> 34 (L 2) or 15 (L 3);
  level3_size_sum >= 1.6 -> 17; (level3_size_sum > 0 or L = 3) and level2_size_sum +
  2.5 x level3_size_sum >= 4 -> 20; level2_size_sum >= 4 -> 35; n_level2 > 0 and L = 3 -> 21;
  L = 3 -> 22; L = 2 -> 41; otherwise 0 unknown (the reference's 255, D100; with integer levels it
  is reached only by an unknown level). The pathway type is the aim type of highest precedence
  (ref_pathway_types: the lowest id, 0 last). main_aim_rank 1 = the main aim: the pathway type's
  precedence, then the highest pathway level, the programme aim first, the largest weight, completed
  first, the latest end, then the aim reference, start date, the aim's source (ILR before PLAMS)
  and provider (D96, N7: no random tie-break). ILR and PLAMS aims in one window are one set: the
  sums count both (two A levels at school and one at college are three A levels), so a person
  with both has one pathway, of the type of highest precedence over all their aims. Source: int_pathways__aims, int_fe__aims, int_school__plams_aims, ref_calendar_months, ref_pathway_types.
grain: [person_id, snapshot_date, aim_source, provider_id, learning_aim_ref, start_date]
unique: {typed: [person_id, snapshot_date, aim_source, provider_id, learning_aim_ref, start_date]}  # snapshot dates x ws.int_pathways__aims (its grain), passed through
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - relationships: {column: aim_type_id, to: ws.ref_pathway_types, field: pathway_type_id}
  - expression_is_true: start_date <= window_end_date and end_date >= window_start_date
indexes: [[person_id, snapshot_date]]
--- */

with

aims as (

    select * from ws.int_pathways__aims

),

first_years as (

    select ilr.first_academic_year from ws.int_fe__aims as ilr

    union all

    select plams.first_academic_year from ws.int_school__plams_aims as plams

),

first_year as (

    select min(first_years.first_academic_year) as first_academic_year
    from first_years

),

bounds as (

    select min(aims.start_date) as first_start_date
    from aims
    cross join first_year
    where aims.start_date >= datefromparts(first_year.first_academic_year - 1, 8, 1)

),

census_months as (

    select
        calendar.month_start_date,
        datediff(day, cast('1900-01-07' as date), calendar.month_start_date) % 7 as first_weekday
    from ws.ref_calendar_months as calendar
    where calendar.month_no in (1, 5, 10)

),

census_dates as (

    select
        dateadd(day, 14 + (11 - census_months.first_weekday) % 7, census_months.month_start_date) as snapshot_date
    from census_months

),

snapshots as (

    select
        census_dates.snapshot_date,
        dateadd(day, -7, census_dates.snapshot_date) as window_start_date,
        dateadd(day, 7, census_dates.snapshot_date) as window_end_date
    from census_dates
    cross join bounds
    where census_dates.snapshot_date >= bounds.first_start_date
        and census_dates.snapshot_date <= @reference_date

),

in_window as (

    select
        snapshots.snapshot_date,
        snapshots.window_start_date,
        snapshots.window_end_date,
        aims.*
    from snapshots
    inner join aims
        on aims.start_date <= snapshots.window_end_date
        and aims.end_date >= snapshots.window_start_date

),

person_sums as (

    select
        in_window.*,
        sum(in_window.is_a_level) over (partition by in_window.person_id, in_window.snapshot_date) as n_a_levels,
        sum(case when in_window.is_general = 1 and in_window.potential_level = 3 then 1 else 0 end)
            over (partition by in_window.person_id, in_window.snapshot_date) as n_general_level3,
        sum(case when in_window.potential_level = 2 then 1 else 0 end)
            over (partition by in_window.person_id, in_window.snapshot_date) as n_level2,
        sum(case when in_window.potential_level = 3 then coalesce(in_window.level3_size, 0) else 0 end)
            over (partition by in_window.person_id, in_window.snapshot_date) as level3_size_sum,
        sum(case when in_window.potential_level = 2 then coalesce(in_window.level2_size, 0) else 0 end)
            over (partition by in_window.person_id, in_window.snapshot_date) as level2_size_sum
    from in_window

),

typed as (

    select
        person_sums.*,
        case
            when person_sums.pathway_level > 3 then 1
            when (person_sums.is_framework = 1 or person_sums.is_standard = 1) and person_sums.pathway_level = 3 then 11
            when (person_sums.is_framework = 1 or person_sums.is_standard = 1) and person_sums.pathway_level = 2 then 31
            when person_sums.is_traineeship = 1 then 32
            when person_sums.pathway_level is null then 0
            when person_sums.pathway_level < 2 then 42
            when person_sums.n_a_levels > 2 then 12
            when person_sums.n_a_levels > 0 and person_sums.n_general_level3 > 0 then 16
            when person_sums.n_a_levels > 1 then 12
            when person_sums.is_diploma = 1 and person_sums.pathway_level = 2 then 33
            when person_sums.is_diploma = 1 and person_sums.pathway_level = 3 then 13
            when person_sums.is_btec = 1 and person_sums.pathway_level = 3 then 14
            when person_sums.is_nvq = 1 and person_sums.pathway_level = 2 then 34
            when person_sums.is_nvq = 1 and person_sums.pathway_level = 3 then 15
            when person_sums.level3_size_sum >= 1.6 then 17
            when (person_sums.level3_size_sum > 0 or person_sums.pathway_level = 3)
                and person_sums.level2_size_sum + 2.5 * person_sums.level3_size_sum >= 4 then 20
            when person_sums.level2_size_sum >= 4 then 35
            when person_sums.n_level2 > 0 and person_sums.pathway_level = 3 then 21
            when person_sums.pathway_level = 3 then 22
            when person_sums.pathway_level = 2 then 41
            else 0
        end as aim_type_id
    from person_sums

),

ranked as (

    select
        typed.*,
        types.precedence as aim_type_precedence,
        min(types.precedence) over (partition by typed.person_id, typed.snapshot_date) as pathway_precedence,
        row_number() over (
            partition by typed.person_id, typed.snapshot_date
            order by
                types.precedence,
                coalesce(typed.pathway_level, -1) desc,
                typed.is_programme_aim desc,
                coalesce(typed.weight, 0) desc,
                typed.is_completed desc,
                typed.end_date desc,
                typed.learning_aim_ref,
                typed.start_date,
                typed.aim_source,
                typed.provider_id
        ) as main_aim_rank
    from typed
    inner join ws.ref_pathway_types as types
        on types.pathway_type_id = typed.aim_type_id

)

select
    ---------- ids
    ranked.person_id,  -- the project's person identifier
    ranked.snapshot_date,  -- pathway census date: third Thursday of January, May or October
    ranked.aim_source,  -- ilr or plams (school sixth form)
    ranked.provider_id,  -- pseudonymised provider; 0 = unknown or a PLAMS aim
    ranked.school_id,  -- pseudonymised school of a PLAMS aim
    ranked.learning_aim_ref,  -- learning aim reference; ZPROG001 = programme aim
    ranked.start_date,  -- aim start

    ---------- window
    ranked.window_start_date,  -- census date - 7 days
    ranked.window_end_date,  -- census date + 7 days
    ranked.end_date,  -- aim end (int_pathways__aims), cut at the reference date
    ranked.is_censored,  -- 1 = open or running past the reference date

    ---------- aim
    ranked.aim_type_id,  -- the aim's pathway type (ref_pathway_types)
    cast(case when ranked.aim_type_precedence = ranked.pathway_precedence then 1 else 0 end as smallint) as is_pathway_type,  -- 1 = the aim has the person's pathway type on this date
    ranked.main_aim_rank,  -- 1 = the pathway's main aim
    ranked.aim_level,  -- the aim's own level
    ranked.pathway_level,  -- level used to classify (the apprenticeship's if known)
    ranked.is_programme_aim,  -- 1 = programme aim ZPROG001
    ranked.is_framework,  -- 1 = apprenticeship framework
    ranked.is_standard,  -- 1 = apprenticeship standard
    ranked.is_traineeship,  -- 1 = traineeship
    ranked.is_a_level,  -- 1 = A or AS level
    ranked.is_btec,  -- 1 = BTEC, OCR or T Level
    ranked.is_nvq,  -- 1 = NVQ
    ranked.is_general,  -- 1 = general qualification
    ranked.is_diploma,  -- 1 = 14-19 Diploma
    ranked.is_sfl_english,  -- 1 = English or literacy
    ranked.is_sfl_maths,  -- 1 = maths or numeracy
    ranked.ssa_tier2,  -- sector subject area tier 2
    ranked.weight,  -- share of a full level at the aim's own level
    ranked.is_completed,  -- 1 = completed
    ranked.is_achieved,  -- 1 = achieved

    ---------- person aggregates over the window
    ranked.n_a_levels,  -- A and AS levels in the window
    ranked.n_general_level3,  -- general qualifications at level 3
    ranked.n_level2,  -- aims at level 2
    cast(ranked.level3_size_sum as decimal(18, 6)) as level3_size_sum,  -- A-level equivalents of level-3 aims
    cast(ranked.level2_size_sum as decimal(18, 6)) as level2_size_sum  -- GCSE equivalents of level-2 aims
from ranked
