/* ---
description: >
  One row per person x PMR x recorded sex, year and month of birth: how many of the person's main
  School Census records and KS4 records (through the PMR) give those values. Unknown values are
  kept as sex 'U', birth year 0 and birth month 0. The input of the match-quality diagnostics
  that compare a person's records (PL-4, CD-3, CD-4, CO-1) and of the approximate birth date
  (int_quality__persons). Sources: stg_npd__school_census (main records), stg_npd__ks4,
  person_identifier (PMR).
grain: [person_id, pmr, sex, birth_year, birth_month]
checks:
  - expression_is_true: n_records >= 1
indexes: [[person_id]]
--- */

with

records as (

    select census.pmr, census.sex, census.birth_year, census.birth_month
    from ws.stg_npd__school_census as census
    where census.is_main_record = 1 and census.pmr is not null

    union all

    select ks4.pmr, ks4.sex, ks4.birth_year, ks4.birth_month
    from ws.stg_npd__ks4 as ks4
    where ks4.pmr is not null

)

select
    ids.person_id,  -- the project's person identifier
    records.pmr,  -- the PMR the records carry
    coalesce(records.sex, 'U') as sex,  -- M, F or U (unknown)
    coalesce(records.birth_year, 0) as birth_year,  -- year of birth as recorded; 0 = unknown
    coalesce(records.birth_month, 0) as birth_month,  -- month of birth as recorded; 0 = unknown
    cast(count(*) as int) as n_records  -- census and KS4 records giving these values
from records
inner join ws.person_identifier as ids
    on ids.identifier_type = 'pmr'
    and ids.identifier_value = records.pmr
group by ids.person_id, records.pmr, coalesce(records.sex, 'U'), coalesce(records.birth_year, 0), coalesce(records.birth_month, 0)
