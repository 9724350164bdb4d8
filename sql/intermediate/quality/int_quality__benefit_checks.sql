/* ---
description: >
  One row per person x benefit diagnostic that examines the person (derivations 26.4, 26.5), the
  input of those diagnostics' flags and shares through int_quality__person_checks. BE-2: benefit
  spells of any type starting before the first day of the person's modal month of birth;
  examined: benefit spells of a person with a birth date. BE-4: out-of-work benefit spells whose
  dates include the census day of an on-roll census record at a census-derived academic age of 15
  or below; examined: out-of-work spells of a person with a birth date. Census-derived ages and
  census days: int_quality__census_days. Sources: benefit_spells, int_quality__census_days,
  int_quality__persons.
grain: [diagnostic_id, person_id]
checks:
  - expression_is_true: n_flagged <= n_examined
indexes: [[person_id]]
--- */

with

census as (

    select * from ws.int_quality__census_days

),

benefits_at_school as (

    -- BE-4: each out-of-work benefit spell and the on-roll census records at academic age 15 or below whose census day it covers
    select
        claims.person_id,
        claims.benefit_type,
        claims.start_date,
        count(census.census_year) as n_census_records,
        min(census.census_date) as first_census_date,
        min(census.academic_age) as lowest_academic_age
    from ws.benefit_spells as claims
    inner join ws.int_quality__persons as quality
        on quality.person_id = claims.person_id
        and quality.modal_academic_birth_year is not null
    left join census
        on census.person_id = claims.person_id
        and census.is_on_roll = 1
        and census.academic_age <= 15
        and census.census_date between claims.start_date and claims.end_date
    where claims.is_out_of_work = 1
    group by claims.person_id, claims.benefit_type, claims.start_date

),

benefits_before_birth as (

    -- BE-2: each benefit spell beside the first day of the person's month of birth
    select
        claims.person_id,
        claims.start_date,
        case when claims.start_date < quality.birth_month_date then 1 else 0 end as is_before_birth,
        case when claims.start_date < quality.birth_month_date
            then datediff(day, claims.start_date, quality.birth_month_date) else 0 end as n_days_before
    from ws.benefit_spells as claims
    inner join ws.int_quality__persons as quality
        on quality.person_id = claims.person_id
        and quality.modal_academic_birth_year is not null

),

checks as (

    select
        'BE-2' as diagnostic_id,
        benefits_before_birth.person_id as person_id,
        count(*) as n_examined,
        sum(benefits_before_birth.is_before_birth) as n_flagged,
        min(case when benefits_before_birth.is_before_birth = 1 then benefits_before_birth.start_date end) as first_flagged_date,
        max(benefits_before_birth.n_days_before) as largest_discrepancy
    from benefits_before_birth
    group by benefits_before_birth.person_id

    union all

    select
        'BE-4',
        benefits_at_school.person_id,
        count(*),
        sum(case when benefits_at_school.n_census_records > 0 then 1 else 0 end),
        min(benefits_at_school.first_census_date),
        max(benefits_at_school.n_census_records)
    from benefits_at_school
    group by benefits_at_school.person_id

)

select
    checks.diagnostic_id,  -- BE-2, BE-4 (derivations 26.4)
    checks.person_id,  -- the project's person identifier
    cast(checks.n_examined as int) as n_examined,  -- records, spells or census terms of the person the diagnostic examined
    cast(checks.n_flagged as int) as n_flagged,  -- of them, those that trip it (the person is flagged when above 0)
    checks.first_flagged_date,  -- earliest offending spell start (BE-2) or census day (BE-4)
    checks.largest_discrepancy  -- BE-2 most days before birth; BE-4 most census records covered by one spell
from checks
