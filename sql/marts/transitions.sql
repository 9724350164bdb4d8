/* ---
description: >
  One row per KS4 cohort member x change of state in their monthly transition sequence: the state
  left and the state entered, the first month of the new state, and how many months the state
  left had lasted. A person whose state never changes has no row. Source: transition_sequence.
grain: [person_id, month_index]
unique: {spells: [person_id, first_month_index]}  # each month of ws.transition_sequence is in one spell
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - expression_is_true: from_state <> to_state
  - expression_is_true: months_in_from_state >= 1
--- */

with

runs as (

    select
        sequence.*,
        sequence.month_index - row_number() over (
            partition by sequence.person_id, sequence.state order by sequence.month_index
        ) as run_key
    from ws.transition_sequence as sequence

),

spells as (

    select
        runs.person_id,
        runs.ks4_year,
        runs.state,
        min(runs.month_index) as first_month_index,
        max(runs.month_index) as last_month_index
    from runs
    group by runs.person_id, runs.ks4_year, runs.state, runs.run_key

),

ordered as (

    select
        spells.*,
        lag(spells.state) over (partition by spells.person_id order by spells.first_month_index) as previous_state,
        lag(spells.last_month_index - spells.first_month_index + 1) over (
            partition by spells.person_id order by spells.first_month_index
        ) as previous_months
    from spells

)

select
    ordered.person_id,  -- the project's person identifier
    ordered.ks4_year,  -- KS4 cohort
    ordered.first_month_index as month_index,  -- first month of the new state (1 = the September after KS4)
    ordered.previous_state as from_state,  -- the state left
    ordered.state as to_state,  -- the state entered
    ordered.previous_months as months_in_from_state  -- months the state left had lasted
from ordered
where ordered.previous_state is not null
