/* ---
description: >
  One row per person x HE diagnostic that examines the person (derivations 26.4, 26.5), the input
  of those diagnostics' flags and shares through int_quality__person_checks. HE-2: full-time or
  sandwich HE instances (he_spells.is_full_time) overlapping another such instance of the person
  by more than 30 days; examined: full-time instances. HE-3: full-time HE instances whose dates
  include the census day of an on-roll census record at NC year R or 1-13; examined: full-time
  instances. Census days: int_quality__census_days. Sources: he_spells,
  int_quality__census_days.
grain: [diagnostic_id, person_id]
checks:
  - expression_is_true: n_flagged <= n_examined
indexes: [[person_id]]
--- */

with

census as (

    select * from ws.int_quality__census_days

),

full_time_he as (

    select
        spells.person_id,
        spells.provider_id,
        spells.start_date,
        spells.end_date
    from ws.he_spells as spells
    where spells.is_full_time = 1

),

overlapping_he as (

    -- HE-2: each full-time instance's longest overlap with another full-time instance of the person
    -- (an inner join: the OR below in an outer join's ON would be a nested loop on DuckDB)
    select
        first_spell.person_id,
        first_spell.provider_id,
        first_spell.start_date,
        max(
            datediff(
                day,
                case when first_spell.start_date > second_spell.start_date then first_spell.start_date else second_spell.start_date end,
                case when first_spell.end_date < second_spell.end_date then first_spell.end_date else second_spell.end_date end
            ) + 1
        ) as n_overlap_days
    from full_time_he as first_spell
    inner join full_time_he as second_spell
        on second_spell.person_id = first_spell.person_id
        and (second_spell.provider_id <> first_spell.provider_id or second_spell.start_date <> first_spell.start_date)
        and second_spell.start_date <= first_spell.end_date
        and second_spell.end_date >= first_spell.start_date
    group by first_spell.person_id, first_spell.provider_id, first_spell.start_date

),

he_overlaps as (

    -- HE-2: every full-time instance, 0 days when it overlaps no other
    select
        spells.person_id,
        spells.provider_id,
        spells.start_date,
        coalesce(overlapping_he.n_overlap_days, 0) as n_overlap_days
    from full_time_he as spells
    left join overlapping_he
        on overlapping_he.person_id = spells.person_id
        and overlapping_he.provider_id = spells.provider_id
        and overlapping_he.start_date = spells.start_date

),

he_at_school as (

    -- HE-3: each full-time instance and the on-roll census records at NC year R or 1-13 whose census day it covers
    select
        spells.person_id,
        spells.provider_id,
        spells.start_date,
        count(census.census_year) as n_census_records,
        min(census.census_date) as first_census_date
    from full_time_he as spells
    left join census
        on census.person_id = spells.person_id
        and census.is_on_roll = 1
        and (census.nc_year_number <= 13 or census.nc_year = 'R')
        and census.census_date between spells.start_date and spells.end_date
    group by spells.person_id, spells.provider_id, spells.start_date

),

checks as (

    select
        'HE-2' as diagnostic_id,
        he_overlaps.person_id as person_id,
        count(*) as n_examined,
        sum(case when he_overlaps.n_overlap_days > 30 then 1 else 0 end) as n_flagged,
        min(case when he_overlaps.n_overlap_days > 30 then he_overlaps.start_date end) as first_flagged_date,
        max(he_overlaps.n_overlap_days) as largest_discrepancy
    from he_overlaps
    group by he_overlaps.person_id

    union all

    select
        'HE-3',
        he_at_school.person_id,
        count(*),
        sum(case when he_at_school.n_census_records > 0 then 1 else 0 end),
        min(he_at_school.first_census_date),
        max(he_at_school.n_census_records)
    from he_at_school
    group by he_at_school.person_id

)

select
    checks.diagnostic_id,  -- HE-2, HE-3 (derivations 26.4)
    checks.person_id,  -- the project's person identifier
    cast(checks.n_examined as int) as n_examined,  -- records, spells or census terms of the person the diagnostic examined
    cast(checks.n_flagged as int) as n_flagged,  -- of them, those that trip it (the person is flagged when above 0)
    checks.first_flagged_date,  -- earliest offending instance start (HE-2) or census day (HE-3)
    checks.largest_discrepancy  -- HE-2 longest overlap in days; HE-3 most census records covered by one instance
from checks
