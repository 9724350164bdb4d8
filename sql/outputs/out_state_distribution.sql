/* ---
description: >
  One row per KS4 cohort x month after KS4 x state: the number of cohort members in each monthly
  state of transition_sequence (the states of ref_state_hierarchy, not_captured, and 'all' = the
  cohort members observed that month, the denominator), from the September after KS4 (month 1)
  to @months_after_ks4 months (about age 25) or the reference date. Every cell of the grid is
  present, zeros included. Raw counts: the disclosure-safe table is out_state_distribution_safe.
grain: [ks4_year, month_index, state]
checks:
  - expression_is_true: n_people >= 0
disclosure:
  title: Monthly state distribution from KS4 to about age 25
  keep: [sort_order]
  counts: [n_people]
  relations:
    - margin: {dimension: state, total: all}
  shares:
    - {name: pct_of_cohort, count: n_people, dimension: state, total: all}
--- */

with

months as (

    select distinct sequence.ks4_year, sequence.month_index
    from ws.transition_sequence as sequence

),

states as (

    select hierarchy.activity_type as state, hierarchy.priority as sort_order from ws.ref_state_hierarchy as hierarchy
    union all select 'not_captured', 900
    union all select 'all', 999

),

counted as (

    select sequence.ks4_year, sequence.month_index, sequence.state, count(*) as n_people
    from ws.transition_sequence as sequence
    group by sequence.ks4_year, sequence.month_index, sequence.state
    union all
    select sequence.ks4_year, sequence.month_index, 'all', count(*)
    from ws.transition_sequence as sequence
    group by sequence.ks4_year, sequence.month_index

)

select
    months.ks4_year,  -- KS4 cohort
    months.month_index,  -- 1 = the September after KS4
    states.state,  -- the month's state, or all (everyone observed that month)
    states.sort_order,  -- display order: the state hierarchy, then not_captured
    coalesce(counted.n_people, 0) as n_people  -- cohort members in the state that month (raw count)
from months
cross join states
left join counted
    on counted.ks4_year = months.ks4_year
    and counted.month_index = months.month_index
    and counted.state = states.state
