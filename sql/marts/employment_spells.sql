/* ---
description: >
  One row per person x PAYE employment spell (HMRC P45/RTI): the person's spells under all their
  EduKeys, with overlapping and abutting spells (next start on or before the day after the
  previous end) merged into one, so a job-to-job move without a gap is one spell. Open spells
  (end 9999-12-31 in source) and spells running past the reference date end at the reference
  date with is_censored = 1; spells starting after it, and source rows without an EduKey, with
  an unknown start or end (a sentinel date: never an open spell) or ending before they start,
  are left out (counted per reason by stg_leo__employment's check row_issues). Uncertain dates are kept: the start (end) is
  uncertain when every source spell starting (ending) on the merged start (end) had a defaulted
  date (6 April starts, 5 April ends). Source: stg_leo__employment via person_identifier.
grain: [person_id, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - expression_is_true: end_date <= @reference_date
indexes: [[person_id]]
--- */

with

source_spells as (

    select
        ids.person_id,
        spells.edukey,
        spells.spell_start_date as start_date,
        case
            when spells.spell_end_date is null or spells.spell_end_date > @reference_date then @reference_date
            else spells.spell_end_date
        end as end_date,
        case when spells.spell_end_date is null or spells.spell_end_date > @reference_date then 1 else 0 end as is_censored,
        spells.is_start_uncertain,
        spells.is_end_uncertain
    from ws.stg_leo__employment as spells
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = spells.edukey
    where spells.spell_start_date is not null
        and spells.spell_start_date <= @reference_date
        and (spells.spell_end_date is null or spells.spell_end_date >= spells.spell_start_date)
        and spells.row_issue is null  -- set aside and counted in staging (check row_issues)

),

ordered as (

    select
        source_spells.*,
        max(source_spells.end_date) over (
            partition by source_spells.person_id
            order by source_spells.start_date, source_spells.end_date, source_spells.edukey
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end_date
    from source_spells

),

islands as (

    select
        ordered.*,
        sum(case
                when ordered.previous_max_end_date is null
                    or ordered.start_date > dateadd(day, 1, ordered.previous_max_end_date) then 1
                else 0
            end) over (
            partition by ordered.person_id
            -- ties (identical start, end and EduKey) put the row that opens an island first
            order by ordered.start_date, ordered.end_date, ordered.edukey, ordered.previous_max_end_date
            rows unbounded preceding
        ) as island_no
    from ordered

),

merged as (

    select
        islands.person_id,
        islands.island_no,
        min(islands.start_date) as start_date,
        max(islands.end_date) as end_date,
        count(*) as n_source_spells,
        count(distinct islands.edukey) as n_edukeys
    from islands
    group by islands.person_id, islands.island_no

),

flags as (

    select
        merged.person_id,
        merged.island_no,
        min(case when islands.start_date = merged.start_date then islands.is_start_uncertain end) as is_start_uncertain,
        min(case when islands.end_date = merged.end_date then islands.is_end_uncertain end) as is_end_uncertain,
        max(case when islands.end_date = merged.end_date then islands.is_censored end) as is_censored
    from merged
    inner join islands
        on islands.person_id = merged.person_id
        and islands.island_no = merged.island_no
    group by merged.person_id, merged.island_no

)

select
    merged.person_id,  -- the project's person identifier
    merged.start_date,  -- first day employed (inclusive)
    merged.end_date,  -- last day employed (inclusive); the reference date when censored
    datediff(day, merged.start_date, merged.end_date) + 1 as n_days,  -- length in days
    flags.is_start_uncertain,  -- start defaulted in source (6 April or the day before the end)
    flags.is_end_uncertain,  -- end defaulted in source (5 April)
    flags.is_censored,  -- 1 = open in source or running past the reference date: cut there
    merged.n_source_spells,  -- source spells merged into this one
    merged.n_edukeys  -- EduKeys the merged spells came from (above 1: several DWP/HMRC keys)
from merged
inner join flags
    on flags.person_id = merged.person_id
    and flags.island_no = merged.island_no
