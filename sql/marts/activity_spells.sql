/* ---
description: >
  One row per person x activity type x spell: every spell table mapped onto one set of activity
  types, with overlapping and abutting spells of one type merged (start on or before the day
  after the previous end). Types and sources: school (school_spells, and school sixth-form aims
  in PLAMS, int_school__plams_aims, from start to end: a month of an aim without a census record
  is school too; inside a census school spell it changes nothing), fe (fe_spells of type
  classroom_fe that count as participation, rule 6 of docs/decisions.md, setting
  fe_participation: by default an aim whose funding model is not 99, "no Skills Funding Agency
  or YPLA funding", as DfE's FE destination measures count ESFA-funded aims; any_aim = every aim,
  as FFT), apprenticeship (fe_spells apprenticeship_*, programme and component aims),
  traineeship (fe_spells traineeship), he (he_spells, year by year: rule 5, the HESA years in
  which an instance is dormant, XMODE01 6, are not HE by default, as Sickotra drops not-active
  students, setting he_dormant_students; a further-education-level instance, XLEV601 6, is fe,
  as Sickotra's level split, setting he_fe_level), employment (employment_spells),
  self_employment (a tax year, 6 April to 5 April: self-assessment gives years, not dates; rule
  3 of docs/decisions.md, setting self_employment_evidence: by default a year whose return has
  the self-employed flag set, as Sickotra, since a business making a loss or no profit is still
  self-employment; profit = self-employment earnings above 0, as the earnings-based FFT tables;
  flag_or_profit = either), out_of_work_benefit, disability_carer_benefit and in_work_benefit
  (benefit_spells.benefit_group: the source's out-of-work flag, else ref_benefit_types; unknown
  codes without a flag left out), neet_active, neet_inactive and custody (nccis_spells: NEET
  available and not available to the labour market kept apart, as DfE and FFT do). NCCIS
  education, employment and training returns are not activities here: the ILR, HESA, the census
  and HMRC record those directly (transition_sequence may fill a month no source covers from
  them). Spells end at the reference date at the latest
  (is_censored = 1 when any merged spell was cut). The merge and its rules are
  int_spells__merged's: kind activity, keyed by the type, for every type but employment, whose
  spells are that model's merged spells of kind employment (employment_spells) as they are (they
  are more than a day apart, so merging them again changes nothing). Benefit types merge the
  claims themselves rather than benefit_spells (which reads the same model), to the same days;
  n_source_spells still counts the benefit_spells rows within a benefit spell.
grain: [person_id, activity_type, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - accepted_values: {column: activity_type, values: [school, fe, apprenticeship, traineeship, he, employment, self_employment, out_of_work_benefit, disability_carer_benefit, in_work_benefit, neet_active, neet_inactive, custody]}
indexes: [[person_id]]
--- */

with

activity as (

    select
        spells.person_id,
        spells.spell_key as activity_type,
        spells.start_date,
        spells.end_date,
        spells.is_censored,
        spells.n_source_spells
    from ws.int_spells__merged as spells
    where spells.spell_kind = 'activity'

    union all

    -- employment_spells, one activity spell each
    select spells.person_id, 'employment', spells.start_date, spells.end_date, spells.is_censored, cast(1 as bigint)
    from ws.int_spells__merged as spells
    where spells.spell_kind = 'employment'

),

benefit_counts as (

    -- the benefit_spells rows (classified claims) within each benefit activity spell
    select activity.person_id, activity.activity_type, activity.start_date, cast(count(*) as bigint) as n_benefit_spells
    from activity
    inner join ws.benefit_spells as spells
        on spells.person_id = activity.person_id
        and spells.benefit_group = activity.activity_type
        and spells.start_date >= activity.start_date
        and spells.start_date <= activity.end_date
    where activity.activity_type in ('out_of_work_benefit', 'disability_carer_benefit', 'in_work_benefit')
    group by activity.person_id, activity.activity_type, activity.start_date

)

select
    activity.person_id,  -- the project's person identifier
    activity.activity_type,  -- school, fe, apprenticeship, traineeship, he, employment, self_employment, out_of_work_benefit, disability_carer_benefit, in_work_benefit, neet_active, neet_inactive or custody
    activity.start_date,  -- first day of the activity (inclusive)
    activity.end_date,  -- last day of the activity (inclusive)
    datediff(day, activity.start_date, activity.end_date) + 1 as n_days,  -- length in days
    activity.is_censored,  -- 1 = a merged spell was cut at the reference date or was open
    cast(coalesce(benefit_counts.n_benefit_spells, activity.n_source_spells) as bigint) as n_source_spells  -- spells of the spell tables merged into this one
from activity
left join benefit_counts
    on benefit_counts.person_id = activity.person_id
    and benefit_counts.activity_type = activity.activity_type
    and benefit_counts.start_date = activity.start_date
