/* ---
description: >
  One row per person x HE student instance (person, provider, commencement date, as he_spells)
  x HESA year the instance has a record in, with whether the instance was dormant that year and
  the next year it has a record in. The records are he_spells' (int_he__records); is_dormant =
  1 when every record of that year has mode of study XMODE01 6 (dormant: registered but not actively studying; HESA's NOTACT, "suspension of
  active studies", is not in the source declarations). activity_spells reads the years to leave
  dormant years out of HE (rule 5 of docs/decisions.md, setting he_dormant_students).
grain: [person_id, provider_id, start_date, hesa_year]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
indexes: [[person_id]]
--- */

with

years as (

    select
        records.person_id,
        records.provider_id,
        records.start_date,
        records.hesa_year,
        min(case when records.mode_code = 6 then 1 else 0 end) as is_dormant
    from ws.int_he__records as records
    group by records.person_id, records.provider_id, records.start_date, records.hesa_year

)

select
    years.person_id,  -- the project's person identifier
    years.provider_id,  -- pseudonymised HE provider; 'unknown' when blank (as he_spells)
    years.start_date,  -- the instance's commencement date (as he_spells)
    years.hesa_year,  -- HESA year (academic-year end) the instance has a record in
    cast(years.is_dormant as smallint) as is_dormant,  -- 1 = every record of the year has XMODE01 6 (dormant)
    lead(years.hesa_year) over (
        partition by years.person_id, years.provider_id, years.start_date
        order by years.hesa_year
    ) as next_hesa_year  -- the next HESA year the instance has a record in (NULL for its last)
from years
