/* ---
description: >
  One row per KS4 cohort member x year after KS4 (year 1 = months 1 to 12 of
  transition_sequence, from the September after KS4; year 2 = months 13 to 24; ...; as many years
  as the months reach): the year's single state, the most frequent monthly state of the year,
  ties broken by the state hierarchy (ref_state_hierarchy, not_captured after every activity)
  and then by the state's name. months_observed counts the months of the year in
  transition_sequence (12, fewer in the last year when the reference date cuts it), n_months
  those in the chosen state. The yearly sequences of out_top_sequences and of
  leo-assets export-sequences --by year.
grain: [person_id, year_index]
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - not_null: [state]
  - expression_is_true: n_months >= 1 and n_months <= months_observed and months_observed <= 12
indexes: [[person_id]]
--- */

with

counted as (

    select
        sequence.person_id,
        cast(floor(cast(sequence.month_index - 1 as decimal(9, 2)) / 12) + 1 as int) as year_index,
        sequence.state,
        min(sequence.ks4_year) as ks4_year,
        cast(count(*) as int) as n_months
    from ws.transition_sequence as sequence
    group by
        sequence.person_id,
        cast(floor(cast(sequence.month_index - 1 as decimal(9, 2)) / 12) + 1 as int),
        sequence.state

),

ranked as (

    select
        counted.person_id,
        counted.ks4_year,
        counted.year_index,
        counted.state,
        counted.n_months,
        cast(sum(counted.n_months) over (partition by counted.person_id, counted.year_index) as int) as months_observed,
        row_number() over (
            partition by counted.person_id, counted.year_index
            order by counted.n_months desc, coalesce(hierarchy.priority, 999), counted.state
        ) as state_rank
    from counted
    left join ws.ref_state_hierarchy as hierarchy
        on hierarchy.activity_type = counted.state

)

select
    ranked.person_id,  -- the project's person identifier
    ranked.ks4_year,  -- KS4 cohort
    ranked.year_index,  -- 1 = the twelve months from the September after KS4
    ranked.state,  -- the year's state: its most frequent monthly state (ties: hierarchy, then name)
    ranked.n_months,  -- months of the year in that state
    ranked.months_observed  -- months of the year in transition_sequence (12 unless cut by the reference date)
from ranked
where ranked.state_rank = 1
