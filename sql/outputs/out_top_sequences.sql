/* ---
description: >
  One row per KS4 cohort x rank of the most common yearly sequences: the 20 most common
  sequences of yearly states in the five years after KS4 (about ages 16 to 21), with rank 21 =
  every other sequence and rank 0 = everyone counted (the denominator). A year's state is the
  most frequent monthly state of transition_sequence in that year (ties broken by the state
  hierarchy, then the state's name); only cohort members observed for all 60 months count.
  Ranks are by count, ties by the sequence text. Raw counts: the disclosure-safe table is
  out_top_sequences_safe, where the text of a suppressed sequence is blanked too.
grain: [ks4_year, sequence_rank]
checks:
  - expression_is_true: n_people >= 0
disclosure:
  title: The most common yearly sequences, five years after KS4
  labels: [sequence_states]
  counts: [n_people]
  relations:
    - margin: {dimension: sequence_rank, total: "0"}
  shares:
    - {name: pct_of_cohort, count: n_people, dimension: sequence_rank, total: "0"}
--- */

with

counted as (

    select
        sequence.person_id,
        sequence.ks4_year,
        cast(floor(cast(sequence.month_index - 1 as decimal(9, 2)) / 12) as int) + 1 as year_index,
        sequence.state,
        count(*) as n_months
    from ws.transition_sequence as sequence
    where sequence.month_index <= 60
    group by sequence.person_id, sequence.ks4_year,
        cast(floor(cast(sequence.month_index - 1 as decimal(9, 2)) / 12) as int) + 1, sequence.state

),

ranked as (

    select
        counted.*,
        row_number() over (
            partition by counted.person_id, counted.year_index
            order by counted.n_months desc, coalesce(hierarchy.priority, 999), counted.state
        ) as state_rank
    from counted
    left join ws.ref_state_hierarchy as hierarchy
        on hierarchy.activity_type = counted.state

),

observed as (

    select sequence.person_id
    from ws.transition_sequence as sequence
    group by sequence.person_id
    having count(distinct case when sequence.month_index <= 60 then sequence.month_index end) = 60

),

yearly as (

    select
        ranked.person_id,
        ranked.ks4_year,
        concat(
            max(case when ranked.year_index = 1 then ranked.state end), '-',
            max(case when ranked.year_index = 2 then ranked.state end), '-',
            max(case when ranked.year_index = 3 then ranked.state end), '-',
            max(case when ranked.year_index = 4 then ranked.state end), '-',
            max(case when ranked.year_index = 5 then ranked.state end)
        ) as sequence_states
    from ranked
    inner join observed
        on observed.person_id = ranked.person_id
    where ranked.state_rank = 1
    group by ranked.person_id, ranked.ks4_year

),

frequencies as (

    select
        yearly.ks4_year,
        yearly.sequence_states,
        count(*) as n_people,
        row_number() over (
            partition by yearly.ks4_year
            order by count(*) desc, yearly.sequence_states
        ) as sequence_rank
    from yearly
    group by yearly.ks4_year, yearly.sequence_states

)

select
    frequencies.ks4_year,  -- KS4 cohort
    frequencies.sequence_rank,  -- 1 = the most common sequence
    frequencies.sequence_states,  -- yearly states, years 1 to 5 after KS4, joined by '-'
    frequencies.n_people  -- cohort members with this sequence (raw count)
from frequencies
where frequencies.sequence_rank <= 20
union all
select
    frequencies.ks4_year,
    21,
    'other',
    sum(frequencies.n_people)
from frequencies
where frequencies.sequence_rank > 20
group by frequencies.ks4_year
union all
select
    frequencies.ks4_year,
    0,
    'all',
    sum(frequencies.n_people)
from frequencies
group by frequencies.ks4_year
