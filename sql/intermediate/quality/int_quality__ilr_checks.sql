/* ---
description: >
  One row per person x FE diagnostic that examines the person (derivations 26.4, 26.5), the input
  of those diagnostics' flags and shares through int_quality__person_checks. IL-2: ILR learner
  records (recordid linked to the person) whose AcAge differs from the census-derived academic
  age in that academic year by more than 1; examined: learner records with an AcAge of a person
  with a birth date. IL-4: FE aims (fe_spells) on whose first day the person's aims are active at
  more than 3 distinct known providers; examined: FE aims. IL-6: FE aims whose dates include the
  census day of an on-roll single or dual-main registration at a census-derived academic age of
  15 or below (soft: schools buy some courses from colleges); examined: FE aims of a person with a
  birth date. Census-derived ages and census days: int_quality__census_days. Sources:
  stg_lilr__learners, fe_spells, int_quality__census_days, int_quality__persons,
  person_identifier.
grain: [diagnostic_id, person_id]
checks:
  - expression_is_true: n_flagged <= n_examined
indexes: [[person_id]]
--- */

with

census as (

    select * from ws.int_quality__census_days

),

learner_ages as (

    -- IL-2: ILR learner records of the person with an AcAge, beside the census-derived academic age
    select
        ids.person_id,
        learners.academic_year,
        learners.academic_age,
        learners.academic_year - quality.modal_academic_birth_year - 1 as expected_age
    from ws.stg_lilr__learners as learners
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'ilr_recordid'
        and ids.identifier_value = cast(learners.recordid as varchar(20))
    inner join ws.int_quality__persons as quality
        on quality.person_id = ids.person_id
        and quality.modal_academic_birth_year is not null
    where learners.academic_age is not null
        and learners.academic_year is not null

),

fe_providers as (

    -- IL-4: each FE aim and the distinct known providers of the person's aims active on its first day
    select
        aims.person_id,
        aims.provider_id,
        aims.learning_aim_ref,
        aims.start_date,
        count(distinct case when others.provider_id <> 0 then others.provider_id end) as n_providers
    from ws.fe_spells as aims
    inner join ws.fe_spells as others
        on others.person_id = aims.person_id
        and others.start_date <= aims.start_date
        and others.end_date >= aims.start_date
    group by aims.person_id, aims.provider_id, aims.learning_aim_ref, aims.start_date

),

fe_at_school as (

    -- IL-6: each FE aim and the on-roll (single or dual main) census records at academic age 15 or below whose census day it covers
    select
        aims.person_id,
        aims.provider_id,
        aims.learning_aim_ref,
        aims.start_date,
        count(census.census_year) as n_census_records,
        min(census.census_date) as first_census_date
    from ws.fe_spells as aims
    inner join ws.int_quality__persons as quality
        on quality.person_id = aims.person_id
        and quality.modal_academic_birth_year is not null
    left join census
        on census.person_id = aims.person_id
        and census.is_on_roll = 1
        and census.registration_rank <= 2
        and census.academic_age <= 15
        and census.census_date between aims.start_date and aims.end_date
    group by aims.person_id, aims.provider_id, aims.learning_aim_ref, aims.start_date

),

checks as (

    select
        'IL-2' as diagnostic_id,
        learner_ages.person_id as person_id,
        count(*) as n_examined,
        sum(case when abs(learner_ages.academic_age - learner_ages.expected_age) > 1 then 1 else 0 end) as n_flagged,
        min(case when abs(learner_ages.academic_age - learner_ages.expected_age) > 1
            then datefromparts(learner_ages.academic_year - 1, 9, 1) end) as first_flagged_date,
        max(abs(learner_ages.academic_age - learner_ages.expected_age)) as largest_discrepancy
    from learner_ages
    group by learner_ages.person_id

    union all

    select
        'IL-4',
        fe_providers.person_id,
        count(*),
        sum(case when fe_providers.n_providers > 3 then 1 else 0 end),
        min(case when fe_providers.n_providers > 3 then fe_providers.start_date end),
        max(fe_providers.n_providers)
    from fe_providers
    group by fe_providers.person_id

    union all

    select
        'IL-6',
        fe_at_school.person_id,
        count(*),
        sum(case when fe_at_school.n_census_records > 0 then 1 else 0 end),
        min(fe_at_school.first_census_date),
        max(fe_at_school.n_census_records)
    from fe_at_school
    group by fe_at_school.person_id

)

select
    checks.diagnostic_id,  -- IL-2, IL-4, IL-6 (derivations 26.4)
    checks.person_id,  -- the project's person identifier
    cast(checks.n_examined as int) as n_examined,  -- records, spells or census terms of the person the diagnostic examined
    cast(checks.n_flagged as int) as n_flagged,  -- of them, those that trip it (the person is flagged when above 0)
    checks.first_flagged_date,  -- earliest offending academic-year start (IL-2), aim start (IL-4) or census day (IL-6)
    checks.largest_discrepancy  -- IL-2 largest gap in years; IL-4 most providers on one day; IL-6 most census records covered by one aim
from checks
