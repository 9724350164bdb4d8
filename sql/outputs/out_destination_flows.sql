/* ---
description: >
  One row per KS4 cohort x pair of destination years (1 to 3, 3 to 5) x destination in the first
  year x destination in the second: the number of cohort members who moved between them
  (destinations), with 'all' as either destination for the margins (everyone with a destination
  in the other year). Only people measured in both years count. Every cell of the grid is
  present, zeros included; the destinations are those of ref_destinations, in its order
  (sort_order = from * 10 + to, 'all' after the last). Raw counts: the disclosure-safe table is
  out_destination_flows_safe.
grain: [ks4_year, from_year, to_year, from_destination, to_destination]
checks:
  - expression_is_true: n_people >= 0
disclosure:
  title: Flows between destinations at 1, 3 and 5 years after KS4
  keep: [sort_order]
  counts: [n_people]
  relations:
    - margin: {dimension: to_destination, total: all}
    - margin: {dimension: from_destination, total: all}
  shares:
    - {name: pct_of_from, count: n_people, dimension: to_destination, total: all}
--- */

with

pairs as (

    select
        earlier.ks4_year,
        earlier.destination_year as from_year,
        later.destination_year as to_year,
        earlier.destination as from_destination,
        later.destination as to_destination
    from ws.destinations as earlier
    inner join ws.destinations as later
        on later.person_id = earlier.person_id
        and ((earlier.destination_year = 1 and later.destination_year = 3)
             or (earlier.destination_year = 3 and later.destination_year = 5))

),

counted as (

    -- one pass over the pairs, four groupings: each pair of destinations, each from_destination
    -- to any ('all'), any to each to_destination, and any to any (GROUPING() names them)
    select
        pairs.ks4_year,
        pairs.from_year,
        pairs.to_year,
        case when grouping(pairs.from_destination) = 0 then pairs.from_destination else 'all' end as from_destination,
        case when grouping(pairs.to_destination) = 0 then pairs.to_destination else 'all' end as to_destination,
        count(*) as n_people
    from pairs
    group by grouping sets (
        (pairs.ks4_year, pairs.from_year, pairs.to_year, pairs.from_destination, pairs.to_destination),
        (pairs.ks4_year, pairs.from_year, pairs.to_year, pairs.from_destination),
        (pairs.ks4_year, pairs.from_year, pairs.to_year, pairs.to_destination),
        (pairs.ks4_year, pairs.from_year, pairs.to_year)
    )

),

year_pairs as (

    select distinct pairs.ks4_year, pairs.from_year, pairs.to_year from pairs

),

destination_list as (

    select reference.destination, reference.sort_order
    from ws.ref_destinations as reference
    union all
    select 'all', max(reference.sort_order) + 1
    from ws.ref_destinations as reference

)

select
    year_pairs.ks4_year,  -- KS4 cohort
    year_pairs.from_year,  -- destination year moved from (1 or 3)
    year_pairs.to_year,  -- destination year moved to (3 or 5)
    from_list.destination as from_destination,  -- destination in from_year (all = any)
    to_list.destination as to_destination,  -- destination in to_year (all = any)
    from_list.sort_order * 10 + to_list.sort_order as sort_order,  -- display order
    coalesce(counted.n_people, 0) as n_people  -- cohort members with both destinations (raw count)
from year_pairs
cross join destination_list as from_list
cross join destination_list as to_list
left join counted
    on counted.ks4_year = year_pairs.ks4_year
    and counted.from_year = year_pairs.from_year
    and counted.to_year = year_pairs.to_year
    and counted.from_destination = from_list.destination
    and counted.to_destination = to_list.destination
