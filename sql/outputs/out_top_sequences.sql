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

),

kept as (

    -- the 20 most common sequences of each cohort, and the rest as one 'other' (rank 21)
    select
        frequencies.ks4_year,
        case when frequencies.sequence_rank <= 20 then frequencies.sequence_rank else 21 end as sequence_rank,
        case when frequencies.sequence_rank <= 20 then frequencies.sequence_states else 'other' end as sequence_states,
        frequencies.n_people
    from frequencies

)

-- one read of frequencies (SQL Server evaluates a CTE at each reference: sql/README.md rule 13):
-- the kept sequences, and the cohort's total as rank 0 'all' (GROUPING() names it)
select
    kept.ks4_year,  -- KS4 cohort
    cast(case when grouping(kept.sequence_rank) = 0 then kept.sequence_rank else 0 end as bigint) as sequence_rank,  -- 1 = the most common sequence; 21 = the others together, 0 = all
    case when grouping(kept.sequence_states) = 0 then kept.sequence_states else 'all' end as sequence_states,  -- yearly states, years 1 to 5 after KS4, joined by '-'
    cast(sum(kept.n_people) as int) as n_people  -- cohort members with this sequence (raw count)
from kept
group by grouping sets ((kept.ks4_year, kept.sequence_rank, kept.sequence_states), (kept.ks4_year))
