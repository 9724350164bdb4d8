/* ---
description: >
  One row per KS4 cohort x rank of the most common yearly sequences: the 20 most common
  sequences of yearly states in the five years after KS4 (about ages 16 to 21), with rank 21 =
  every other sequence and rank 0 = everyone counted (the denominator). A year's state is that of
  transition_sequence_yearly (the most frequent monthly state of the year, ties broken by the
  state hierarchy, then the state's name); only cohort members observed for all 60 months count.
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

observed as (

    -- cohort members observed for all 60 months of years 1 to 5
    select years.person_id
    from ws.transition_sequence_yearly as years
    where years.year_index <= 5
    group by years.person_id
    having sum(years.months_observed) = 60

),

yearly as (

    select
        years.person_id,
        years.ks4_year,
        concat(
            max(case when years.year_index = 1 then years.state end), '-',
            max(case when years.year_index = 2 then years.state end), '-',
            max(case when years.year_index = 3 then years.state end), '-',
            max(case when years.year_index = 4 then years.state end), '-',
            max(case when years.year_index = 5 then years.state end)
        ) as sequence_states
    from ws.transition_sequence_yearly as years
    inner join observed
        on observed.person_id = years.person_id
    where years.year_index <= 5
    group by years.person_id, years.ks4_year

),

frequencies as (

    select
        yearly.ks4_year,
        yearly.sequence_states,
        cast(count(*) as int) as n_people,
        cast(row_number() over (
            partition by yearly.ks4_year
            order by count(*) desc, yearly.sequence_states
        ) as bigint) as sequence_rank
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
    cast(sum(frequencies.n_people) as int)
from frequencies
where frequencies.sequence_rank > 20
group by frequencies.ks4_year
union all
select
    frequencies.ks4_year,
    0,
    'all',
    cast(sum(frequencies.n_people) as int)
from frequencies
group by frequencies.ks4_year
