/* ---
description: >
  One row per person x benefit type x spell (DWP): the person's claims under all their EduKeys,
  overlapping and abutting spells of one benefit type merged, classified out-of-work or in-work
  and other by ref_benefit_types (the project's one mapping; source_out_of_work_flag keeps the
  source's own flag for comparison). Benefit codes missing from the mapping keep
  is_out_of_work NULL and fail the warn check unknown_benefit_type. Open claims (9999-12-31)
  and claims past the reference date end there with is_censored = 1; claims starting after it,
  and rows without an EduKey or code, with an unknown start or end (a sentinel date: never an
  open claim) or ending before they start, are left out (counted per reason by
  stg_leo__benefits' check row_issues). Source: stg_leo__benefits via
  person_identifier.
grain: [person_id, benefit_type, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - not_null: [is_out_of_work]
    name: unknown_benefit_type
    severity: warn
indexes: [[person_id]]
--- */

with

source_spells as (

    select
        ids.person_id,
        claims.edukey,
        claims.benefit_type,
        claims.spell_start_date as start_date,
        case
            when claims.spell_end_date is null or claims.spell_end_date > @reference_date then @reference_date
            else claims.spell_end_date
        end as end_date,
        case when claims.spell_end_date is null or claims.spell_end_date > @reference_date then 1 else 0 end as is_censored,
        claims.source_out_of_work_flag
    from ws.stg_leo__benefits as claims
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = claims.edukey
    where claims.spell_start_date is not null
        and claims.benefit_type is not null
        and claims.spell_start_date <= @reference_date
        and (claims.spell_end_date is null or claims.spell_end_date >= claims.spell_start_date)
        and claims.row_issue is null  -- set aside and counted in staging (check row_issues)

),

ordered as (

    select
        source_spells.*,
        max(source_spells.end_date) over (
            partition by source_spells.person_id, source_spells.benefit_type
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
            partition by ordered.person_id, ordered.benefit_type
            -- ties (identical start, end and EduKey) put the row that opens an island first
            order by ordered.start_date, ordered.end_date, ordered.edukey, ordered.previous_max_end_date
            rows unbounded preceding
        ) as island_no
    from ordered

),

merged as (

    select
        islands.person_id,
        islands.benefit_type,
        islands.island_no,
        min(islands.start_date) as start_date,
        max(islands.end_date) as end_date,
        max(islands.source_out_of_work_flag) as source_out_of_work_flag,
        count(*) as n_source_spells,
        count(distinct islands.edukey) as n_edukeys
    from islands
    group by islands.person_id, islands.benefit_type, islands.island_no

),

censoring as (

    select
        islands.person_id,
        islands.benefit_type,
        islands.island_no,
        max(islands.is_censored) as is_censored
    from islands
    inner join merged
        on merged.person_id = islands.person_id
        and merged.benefit_type = islands.benefit_type
        and merged.island_no = islands.island_no
        and merged.end_date = islands.end_date
    group by islands.person_id, islands.benefit_type, islands.island_no

)

select
    merged.person_id,  -- the project's person identifier
    merged.benefit_type,  -- DWP benefit code, e.g. JSA
    benefit_types.benefit_name,  -- the benefit
    benefit_types.is_out_of_work,  -- 1 = out-of-work benefit (ref_benefit_types); NULL for an unknown code
    merged.source_out_of_work_flag,  -- the source's own out-of-work flag
    merged.start_date,  -- first day of the claim (inclusive)
    merged.end_date,  -- last day of the claim (inclusive); the reference date when censored
    datediff(day, merged.start_date, merged.end_date) + 1 as n_days,  -- length in days
    censoring.is_censored,  -- 1 = open in source or running past the reference date: cut there
    merged.n_source_spells,  -- source spells merged into this one
    merged.n_edukeys  -- EduKeys the merged spells came from
from merged
inner join censoring
    on censoring.person_id = merged.person_id
    and censoring.benefit_type = merged.benefit_type
    and censoring.island_no = merged.island_no
left join ws.ref_benefit_types as benefit_types
    on benefit_types.benefit_type = merged.benefit_type
