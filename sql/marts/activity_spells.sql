/* ---
description: >
  One row per person x activity type x spell: every spell table mapped onto one set of activity
  types, with overlapping and abutting spells of one type merged (start on or before the day
  after the previous end). Types and sources: school (school_spells), fe (fe_spells of type
  classroom_fe), apprenticeship (fe_spells apprenticeship_*, programme and component aims),
  traineeship (fe_spells traineeship), he (he_spells), employment (employment_spells),
  self_employment (a tax year, 6 April to 5 April, with self-employment earnings above 0 in
  earnings: self-assessment gives years, not dates), out_of_work_benefit and in_work_benefit
  (benefit_spells by ref_benefit_types; unknown codes left out), neet and custody (nccis_spells).
  NCCIS education, employment and training returns are not activities here: the ILR, HESA, the
  census and HMRC record those directly. Spells end at the reference date at the latest
  (is_censored = 1 when any merged spell was cut).
grain: [person_id, activity_type, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - accepted_values: {column: activity_type, values: [school, fe, apprenticeship, traineeship, he, employment, self_employment, out_of_work_benefit, in_work_benefit, neet, custody]}
indexes: [[person_id]]
--- */

with

spells as (

    select spells.person_id, 'school' as activity_type, spells.start_date, spells.end_date, spells.is_censored
    from ws.school_spells as spells

    union all

    select
        spells.person_id,
        case
            when spells.spell_type = 'classroom_fe' then 'fe'
            when spells.spell_type = 'traineeship' then 'traineeship'
            else 'apprenticeship'
        end as activity_type,
        spells.start_date, spells.end_date, spells.is_censored
    from ws.fe_spells as spells

    union all

    select spells.person_id, 'he', spells.start_date, spells.end_date, spells.is_censored
    from ws.he_spells as spells

    union all

    select spells.person_id, 'employment', spells.start_date, spells.end_date, spells.is_censored
    from ws.employment_spells as spells

    union all

    select
        pay.person_id,
        'self_employment',
        datefromparts(pay.tax_year - 1, 4, 6),
        case when datefromparts(pay.tax_year, 4, 5) > @reference_date then @reference_date else datefromparts(pay.tax_year, 4, 5) end,
        case when datefromparts(pay.tax_year, 4, 5) > @reference_date then 1 else 0 end
    from ws.earnings as pay
    where pay.self_employment_gbp_nominal > 0

    union all

    select
        claims.person_id,
        case when claims.is_out_of_work = 1 then 'out_of_work_benefit' else 'in_work_benefit' end,
        claims.start_date, claims.end_date, claims.is_censored
    from ws.benefit_spells as claims
    where claims.is_out_of_work is not null

    union all

    select
        spells.person_id,
        case when spells.activity_category = 'custody' then 'custody' else 'neet' end,
        spells.start_date, spells.end_date, spells.is_censored
    from ws.nccis_spells as spells
    where spells.is_neet = 1 or spells.activity_category = 'custody'

),

ordered as (

    select
        spells.*,
        max(spells.end_date) over (
            partition by spells.person_id, spells.activity_type
            order by spells.start_date, spells.end_date
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end_date
    from spells
    where spells.start_date <= @reference_date

),

islands as (

    select
        ordered.*,
        sum(case
                when ordered.previous_max_end_date is null
                    or ordered.start_date > dateadd(day, 1, ordered.previous_max_end_date) then 1
                else 0
            end) over (
            partition by ordered.person_id, ordered.activity_type
            -- ties (identical start and end) put the row that opens an island first
            order by ordered.start_date, ordered.end_date, ordered.previous_max_end_date
            rows unbounded preceding
        ) as island_no
    from ordered

)

select
    islands.person_id,  -- the project's person identifier
    islands.activity_type,  -- school, fe, apprenticeship, traineeship, he, employment, self_employment, out_of_work_benefit, in_work_benefit, neet or custody
    min(islands.start_date) as start_date,  -- first day of the activity (inclusive)
    max(islands.end_date) as end_date,  -- last day of the activity (inclusive)
    datediff(day, min(islands.start_date), max(islands.end_date)) + 1 as n_days,  -- length in days
    max(islands.is_censored) as is_censored,  -- 1 = a merged spell was cut at the reference date or was open
    count(*) as n_source_spells  -- spells merged into this one
from islands
group by islands.person_id, islands.activity_type, islands.island_no
