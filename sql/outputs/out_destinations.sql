/* ---
description: >
  One row per KS4 cohort x destination year (1, 3, 5) x breakdown x group x destination: the
  number of cohort members with that DfE-style destination (destinations). Breakdowns: all (the
  whole cohort), sex, ever_fsm_6 (FSM at any point in the six years to KS4), sen, eal, ethnicity
  (DfE major group), attainment (ks4_cohort.has_good_pass_em: good pass in English and maths or
  not), region (of the LEO address after KS4), and from characteristics: cin (a Children in Need
  episode by the end of KS4, is_ever_cin), looked_after (is_ever_looked_after), ap_or_pru (in
  alternative provision or a pupil referral unit in Years 10-11) and persistent_absence (10% or
  more of sessions missed in Years 10-11; 'unknown' without absence records); every breakdown has
  a group 'all' (its total, the
  same count as breakdown 'all'), and an unknown characteristic is the group 'unknown'.
  Destinations: those of ref_destinations, 'sustained' (those with is_sustained = 1) and 'all'
  (the group's size, the denominator); sort_order is ten times the reference's, 'sustained' right
  after the last sustained destination, 'all' last. Every cell of the grid is present, zeros
  included. Raw counts: the disclosure-safe table is out_destinations_safe (disclosure block:
  a destination's 'all' and 'sustained' are sums of the reference's destinations, a breakdown's
  'all' group the sum of its groups and equal to every other breakdown's 'all' group).
grain: [ks4_year, destination_year, breakdown, group_value, destination]
checks:
  - expression_is_true: n_people >= 0
disclosure:
  title: Destinations 1, 3 and 5 years after KS4, by cohort and characteristic
  keep: [sort_order]
  counts: [n_people]
  relations:
    - margin: {dimension: destination, total: all, parts: {reference: ref_destinations, column: destination}}
    - margin: {dimension: destination, total: sustained, parts: {reference: ref_destinations, column: destination, where: {is_sustained: 1}}}
    - margin: {dimension: group_value, total: all}
    - linked: {dimension: breakdown, by: [ks4_year, destination_year, destination], where: {group_value: all}}
  shares:
    - {name: pct_of_group, count: n_people, dimension: destination, total: all}
--- */

with

members as (

    select
        cohort.person_id,
        cohort.ks4_year,
        coalesce(cohort.sex, 'unknown') as sex_group,
        case cohort.is_ever_fsm_6 when 1 then 'yes' when 0 then 'no' else 'unknown' end as fsm_group,
        coalesce(cohort.sen_status, 'unknown') as sen_group,
        case cohort.is_eal when 1 then 'yes' when 0 then 'no' else 'unknown' end as eal_group,
        coalesce(cohort.ethnicity_major, 'unknown') as ethnicity_group,
        case cohort.has_good_pass_em when 1 then 'good_pass_em' when 0 then 'no_good_pass_em' else 'unknown' end as attainment_group,
        coalesce(cohort.region_name, 'unknown') as region_group,
        case chars.is_ever_cin when 1 then 'yes' when 0 then 'no' else 'unknown' end as cin_group,
        case chars.is_ever_looked_after when 1 then 'yes' when 0 then 'no' else 'unknown' end as cla_group,
        case when chars.was_in_ap_ks4 = 1 or chars.was_in_pru_ks4 = 1 then 'yes'
             when chars.was_in_ap_ks4 = 0 and chars.was_in_pru_ks4 = 0 then 'no'
             else 'unknown' end as ap_pru_group,
        case chars.is_persistent_absentee_ks4 when 1 then 'yes' when 0 then 'no' else 'unknown' end as absence_group
    from ws.ks4_cohort as cohort
    left join ws.characteristics as chars
        on chars.person_id = cohort.person_id

),

outcomes as (

    select dest.person_id, dest.ks4_year, dest.destination_year, dest.destination from ws.destinations as dest
    union all
    select dest.person_id, dest.ks4_year, dest.destination_year, 'sustained' from ws.destinations as dest where dest.is_sustained = 1
    union all
    select dest.person_id, dest.ks4_year, dest.destination_year, 'all' from ws.destinations as dest

),

combos as (

    -- the outcomes counted per combination of a member's groups first, so that the breakdowns
    -- below add up combinations (at most one per outcome) rather than 23 memberships of every
    -- outcome
    select
        outcomes.ks4_year,
        outcomes.destination_year,
        outcomes.destination,
        members.sex_group,
        members.fsm_group,
        members.sen_group,
        members.eal_group,
        members.ethnicity_group,
        members.attainment_group,
        members.region_group,
        members.cin_group,
        members.cla_group,
        members.ap_pru_group,
        members.absence_group,
        count(*) as n_people
    from outcomes
    inner join members
        on members.person_id = outcomes.person_id
    group by
        outcomes.ks4_year, outcomes.destination_year, outcomes.destination,
        members.sex_group, members.fsm_group, members.sen_group, members.eal_group, members.ethnicity_group, members.attainment_group, members.region_group, members.cin_group, members.cla_group, members.ap_pru_group, members.absence_group

),

breakdowns as (

    -- the panels of each combination: every breakdown's groups (is_total 0) and its 'all' group
    -- (is_total 1); breakdown 'all' has only its total
    select 'all' as breakdown, 1 as is_total
    union all select 'sex', 0
    union all select 'sex', 1
    union all select 'ever_fsm_6', 0
    union all select 'ever_fsm_6', 1
    union all select 'sen', 0
    union all select 'sen', 1
    union all select 'eal', 0
    union all select 'eal', 1
    union all select 'ethnicity', 0
    union all select 'ethnicity', 1
    union all select 'attainment', 0
    union all select 'attainment', 1
    union all select 'region', 0
    union all select 'region', 1
    union all select 'cin', 0
    union all select 'cin', 1
    union all select 'looked_after', 0
    union all select 'looked_after', 1
    union all select 'ap_or_pru', 0
    union all select 'ap_or_pru', 1
    union all select 'persistent_absence', 0
    union all select 'persistent_absence', 1

),

memberships as (

    -- each combination once per breakdown under its group, and once under the breakdown's 'all':
    -- one read of combos (SQL Server evaluates a CTE at each reference: sql/README.md rule 13)
    select
        combos.ks4_year,
        combos.destination_year,
        combos.destination,
        breakdowns.breakdown,
        case
            when breakdowns.is_total = 1 then 'all'
            when breakdowns.breakdown = 'sex' then combos.sex_group
            when breakdowns.breakdown = 'ever_fsm_6' then combos.fsm_group
            when breakdowns.breakdown = 'sen' then combos.sen_group
            when breakdowns.breakdown = 'eal' then combos.eal_group
            when breakdowns.breakdown = 'ethnicity' then combos.ethnicity_group
            when breakdowns.breakdown = 'attainment' then combos.attainment_group
            when breakdowns.breakdown = 'region' then combos.region_group
            when breakdowns.breakdown = 'cin' then combos.cin_group
            when breakdowns.breakdown = 'looked_after' then combos.cla_group
            when breakdowns.breakdown = 'ap_or_pru' then combos.ap_pru_group
            when breakdowns.breakdown = 'persistent_absence' then combos.absence_group
        end as group_value,
        combos.n_people
    from combos
    cross join breakdowns

),

counted as (

    select
        memberships.ks4_year,
        memberships.destination_year,
        memberships.breakdown,
        memberships.group_value,
        memberships.destination,
        cast(sum(memberships.n_people) as int) as n_people
    from memberships
    group by memberships.ks4_year, memberships.destination_year, memberships.breakdown, memberships.group_value, memberships.destination

),

panels as (

    select distinct counted.ks4_year, counted.destination_year, counted.breakdown, counted.group_value
    from counted

),

destination_list as (

    select reference.destination, reference.sort_order * 10 as sort_order
    from ws.ref_destinations as reference
    union all
    select 'sustained', max(reference.sort_order) * 10 + 5
    from ws.ref_destinations as reference
    where reference.is_sustained = 1
    union all
    select 'all', 999

)

select
    panels.ks4_year,  -- KS4 cohort
    panels.destination_year,  -- 1, 3 or 5 years after KS4
    panels.breakdown,  -- all, sex, ever_fsm_6, sen, eal, ethnicity, attainment, region, cin, looked_after, ap_or_pru or persistent_absence
    panels.group_value,  -- the group of the breakdown ('all' = the breakdown's total)
    destination_list.destination,  -- a destination of ref_destinations, sustained or all (the group)
    destination_list.sort_order,  -- display order of the destination
    coalesce(counted.n_people, 0) as n_people  -- cohort members of the group with the destination (raw count)
from panels
cross join destination_list
left join counted
    on counted.ks4_year = panels.ks4_year
    and counted.destination_year = panels.destination_year
    and counted.breakdown = panels.breakdown
    and counted.group_value = panels.group_value
    and counted.destination = destination_list.destination
