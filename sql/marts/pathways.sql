/* ---
description: >
  One row per person x pathway census date (the third Thursday of January, May and October) on
  which the person has an ILR or PLAMS (school sixth-form) learning aim within 7 days: the post-16
  pathway typology of
  derivations 21 (FFT's pathways), with the reference's defects fixed (D94-D104). The pathway
  type (ref_pathway_types: 1, 11-17, 20-22, 31-35, 41, 42, 0 unknown) is the aim type of highest
  precedence among the window's aims (int_pathways__candidate_aims, which gives the dates, the
  window, the aim-type rules and the main aim); 0 only when no aim has a known type. Level codes
  (D98): notional_level_v2 15 (level 1/2) is level 1 and 9 (higher) unknown, as in fe_spells, so
  a GCSE (level 1/2) is below level 2 and adds nothing to the level-2 size sums of types 20 and 35;
  apprenticeship aims take their programme's level. Provider, SSA, framework/standard flags,
  completion, achievement and length of study come from the main aim (ties broken by aim reference,
  start date and provider, never at random: D96, N7). is_composite (D99, the data dictionary's
  meaning): 1 = the pathway is made up of several qualifications: at least two non-programme aims
  of the pathway type and none of them carries 60% or more of their summed weight (aims without a
  weight count 0; when none has a weight, two or more such aims suffice); the reference set 1 for
  the opposite. has_sfl_english / has_sfl_maths: any aim in the window is English/literacy or
  maths/numeracy (Skills for Life type, or a GCSE in the subject). highest_level: the highest
  pathway level of the window's aims, capped at 4; NULL when none is known. length_of_study_days:
  main aim end - start + 1, its end cut at the reference date (is_main_aim_censored). Qualification
  flags come from LARS QualType and titles, not from Ofqual's qrd (int_pathways__aims). School
  sixth forms (PLAMS, int_school__plams_aims) enter like ILR aims of a school, by the same aim-type
  rules: an A or AS level (LARS QualType or title, or the recorded type GCE A/AS level) counts
  toward types 12 and 16, a BTEC/OCR/T Level at level 3 is type 14, other aims go by level and
  size (PLAMS records no widths: sizes only where the qualification number has ILR widths, so a
  lone unsized level-3 aim is 22, partial level 3); no PLAMS aim is an apprenticeship,
  traineeship or Diploma. A person with ILR and PLAMS aims in one window has one pathway over all
  of them: the sums count both sources, the type is the highest precedence over all aims, and the
  main aim is ranked as above with ILR before PLAMS only on a full tie. main_aim_source and
  school_id say where the main aim is; n_plams_aims how many of the window's aims are PLAMS's.
  The reference's PMR, UPIN and UKPRN columns are person_lookup's PMRs and provider_id here.
  Sources: int_pathways__candidate_aims (int_pathways__aims: int_fe__aims, int_school__plams_aims,
  stg_lilr__aims, stg_lilr__lars), ref_pathway_types.
grain: [person_id, snapshot_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - relationships: {column: pathway_type_id, to: ws.ref_pathway_types, field: pathway_type_id}
  - not_null: [pathway_type_id, main_learning_aim_ref, length_of_study_days]
  - expression_is_true: snapshot_date <= @reference_date
  - expression_is_true: highest_level is null or highest_level between 0 and 4
  - expression_is_true: length_of_study_days >= 1
  - expression_is_true: pathway_type_id <> 0
    name: unknown_pathway_type
    description: person-dates whose aims all have an unknown level or type
    severity: warn
    max_failing_rate: 0.05
indexes: [[person_id]]
--- */

with

candidates as (

    select * from ws.int_pathways__candidate_aims

),

person_dates as (

    select
        candidates.person_id,
        candidates.snapshot_date,
        cast(count(*) as int) as n_aims,
        cast(sum(case when candidates.aim_source = 'plams' then 1 else 0 end) as int) as n_plams_aims,
        max(case when candidates.is_sfl_english = 1 then 1 else 0 end) as has_sfl_english,
        max(case when candidates.is_sfl_maths = 1 then 1 else 0 end) as has_sfl_maths,
        max(case when candidates.pathway_level > 4 then 4 else candidates.pathway_level end) as highest_level,
        cast(sum(case when candidates.is_pathway_type = 1 and candidates.is_programme_aim = 0 then 1 else 0 end) as int) as n_type_qualifications,
        max(case when candidates.is_pathway_type = 1 and candidates.is_programme_aim = 0 then coalesce(candidates.weight, 0) end) as type_weight_max,
        sum(case when candidates.is_pathway_type = 1 and candidates.is_programme_aim = 0 then coalesce(candidates.weight, 0) else 0 end) as type_weight_sum
    from candidates
    group by candidates.person_id, candidates.snapshot_date

),

main_aims as (

    select * from candidates where candidates.main_aim_rank = 1

)

select
    ---------- ids
    person_dates.person_id,  -- the project's person identifier
    person_dates.snapshot_date,  -- pathway census date: third Thursday of January, May or October

    ---------- pathway
    main_aims.aim_type_id as pathway_type_id,  -- pathway type (ref_pathway_types); 0 unknown
    types.pathway_type_label,  -- the type's label
    cast(case
        when person_dates.n_type_qualifications >= 2
            and (person_dates.type_weight_sum = 0 or person_dates.type_weight_max < 0.6 * person_dates.type_weight_sum) then 1
        else 0
    end as smallint) as is_composite,  -- 1 = several qualifications of the type, none carrying 60% of its weight
    cast(person_dates.has_sfl_english as smallint) as has_sfl_english,  -- 1 = an English or literacy aim in the window
    cast(person_dates.has_sfl_maths as smallint) as has_sfl_maths,  -- 1 = a maths or numeracy aim in the window
    person_dates.highest_level,  -- highest level of the window's aims, capped at 4; NULL = none known
    person_dates.n_aims,  -- ILR and PLAMS aims in the window (programme aims included)
    person_dates.n_plams_aims,  -- of them, school sixth-form (PLAMS) aims
    person_dates.n_type_qualifications,  -- non-programme aims of the pathway type
    cast(person_dates.type_weight_sum as decimal(18, 6)) as type_weight_sum,  -- summed weight (share of a full level) of those aims

    ---------- main aim
    main_aims.aim_source as main_aim_source,  -- ilr or plams: the source of the main aim
    main_aims.provider_id,  -- provider of the main aim; 0 = unknown or a PLAMS aim
    main_aims.school_id,  -- school of the main aim when it is a PLAMS aim
    main_aims.learning_aim_ref as main_learning_aim_ref,  -- the main aim's reference
    main_aims.start_date as main_start_date,  -- the main aim's start
    main_aims.end_date as main_end_date,  -- the main aim's end, cut at the reference date
    main_aims.is_censored as is_main_aim_censored,  -- 1 = the main aim is open or runs past the reference date
    main_aims.ssa_tier2,  -- sector subject area tier 2 of the main aim
    main_aims.is_framework,  -- 1 = the main aim is of an apprenticeship framework
    main_aims.is_standard,  -- 1 = the main aim is of an apprenticeship standard
    main_aims.is_completed,  -- 1 = the main aim is completed (status 2)
    main_aims.is_achieved,  -- 1 = the main aim is achieved (or part achieved)
    datediff(day, main_aims.start_date, main_aims.end_date) + 1 as length_of_study_days  -- main aim end - start + 1
from person_dates
inner join main_aims
    on main_aims.person_id = person_dates.person_id
    and main_aims.snapshot_date = person_dates.snapshot_date
inner join ws.ref_pathway_types as types
    on types.pathway_type_id = main_aims.aim_type_id
