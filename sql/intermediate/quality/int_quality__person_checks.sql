/* ---
description: >
  One row per person x person-level consistency diagnostic that examines the person (derivations
  26.4 and 26.5): how many of the person's records, spells or census terms the diagnostic
  examined, how many trip it, the earliest offending date and the largest discrepancy. The input
  of those diagnostics' flags (match_flags: a person is flagged when n_flagged > 0) and of their
  person and event shares (match_quality_summary). Census day is the School Census reference day
  of the term: the first Thursday of October (autumn), the third Thursday of January (spring) and
  of May (summer). Academic ages are census-derived: academic year (its end) minus the person's
  modal academic year of birth (int_quality__persons) minus 1, the age on 31 August before the
  year. Diagnostics:
  CD-2: census terms x school with main records under 2+ of the person's PMRs (merged duplicate
  NPD records, or twins over-matched); examined: the person's census terms x school.
  CD-5: census records with a numeric NC year 1-13 more than 1 year from academic age - 4
  (a mis-link; one year either way is a pupil held back or moved up); examined: such records of a
  person with a birth date. CD-6: main census records whose own year and month of birth give an
  impossible academic age: missing or invalid (year outside 1900-2100, month outside 1-12), below
  0 (born after the census's academic year began: the reference scripts' guard) or above 25;
  examined: main census records. IL-2: ILR learner records (recordid linked to the person) whose
  AcAge differs from the census-derived academic age in that academic year by more than 1;
  examined: learner records with an AcAge of a person with a birth date. HE-2: full-time or
  sandwich HE instances (he_spells.is_full_time) overlapping another such instance of the person
  by more than 30 days; examined: full-time instances. HE-3: full-time HE instances whose dates
  include the census day of an on-roll census record at NC year R or 1-13; examined: full-time
  instances. BE-4: out-of-work benefit spells whose dates include the census day of an on-roll
  census record at a census-derived academic age of 15 or below; examined: out-of-work spells of
  a person with a birth date. BE-2: benefit spells of any type starting before the first day of
  the person's modal month of birth; examined: benefit spells of a person with a birth date.
  IL-4: FE aims (fe_spells) on whose first day the person's aims are active at more than 3
  distinct known providers; examined: FE aims. IL-6: FE aims whose dates include the census day
  of an on-roll single or dual-main registration at a census-derived academic age of 15 or below
  (soft: schools buy some courses from colleges); examined: FE aims of a person with a birth date.
  ER-4: tax years in which the person's PAYE earnings (above 0, stg_leo__earnings) come under 2 or
  more of their EduKeys (double counting or an over-match); examined: the person's tax years
  with earnings. Sources: int_school_census_records, stg_npd__school_census, stg_lilr__learners,
  he_spells, fe_spells, benefit_spells, stg_leo__earnings, int_quality__persons,
  person_identifier.
grain: [diagnostic_id, person_id]
checks:
  - expression_is_true: n_flagged <= n_examined
  - accepted_values: {column: diagnostic_id, values: [CD-2, CD-5, CD-6, IL-2, IL-4, IL-6, HE-2, HE-3, BE-2, BE-4, ER-4]}
indexes: [[person_id]]
--- */

with

quality as (

    select
        persons.person_id,
        persons.modal_academic_birth_year,
        datefromparts(persons.birth_year, persons.birth_month, 1) as birth_month_date
    from ws.int_quality__persons as persons
    where persons.modal_academic_birth_year is not null

),

census_terms as (

    -- census day of every census term in the data: first Thursday of October, third Thursday of January and May
    select
        terms.census_year,
        terms.term_id,
        dateadd(
            day,
            (11 - datediff(day, cast('1900-01-07' as date), terms.first_of_month) % 7) % 7 + terms.week_offset,
            terms.first_of_month
        ) as census_date
    from (
        select distinct
            records.census_year,
            records.term_id,
            case records.term_id
                when 1 then datefromparts(records.census_year - 1, 10, 1)
                when 2 then datefromparts(records.census_year, 1, 1)
                else datefromparts(records.census_year, 5, 1)
            end as first_of_month,
            case when records.term_id = 1 then 0 else 14 end as week_offset
        from ws.int_school_census_records as records
    ) as terms

),

census as (

    -- main census records (one per person, census and school), with census day and census-derived academic age
    select
        records.person_id,
        records.census_year,
        records.term_id,
        records.school_id,
        records.is_on_roll,
        records.registration_rank,
        records.nc_year,
        records.term_start_date,
        census_terms.census_date,
        records.census_year - quality.modal_academic_birth_year - 1 as academic_age,
        case when records.nc_year in ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13')
            then cast(records.nc_year as int) end as nc_year_number
    from ws.int_school_census_records as records
    inner join census_terms
        on census_terms.census_year = records.census_year
        and census_terms.term_id = records.term_id
    left join quality
        on quality.person_id = records.person_id

),

raw_census as (

    -- main census records as delivered (CD-2, CD-6): PMR and the record's own year and month of birth
    select
        ids.person_id,
        census.pmr,
        census.census_year,
        census.term_id,
        census.school_id,
        census.birth_year,
        census.birth_month
    from ws.stg_npd__school_census as census
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = census.pmr
    where census.is_main_record = 1

),

term_pmrs as (

    -- CD-2: PMRs behind each person's census term at one school
    select
        raw_census.person_id,
        raw_census.census_year,
        raw_census.term_id,
        count(distinct raw_census.pmr) as n_pmrs
    from raw_census
    where raw_census.school_id is not null
    group by raw_census.person_id, raw_census.census_year, raw_census.term_id, raw_census.school_id

),

record_ages as (

    -- CD-6: each main record's academic age from its own year and month of birth (NULL when unusable)
    select
        raw_census.person_id,
        raw_census.census_year,
        case
            when raw_census.birth_year between 1900 and 2100 and raw_census.birth_month between 1 and 12
                then raw_census.census_year - raw_census.birth_year
                    - case when raw_census.birth_month >= 9 then 1 else 0 end - 1
        end as academic_age
    from raw_census

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
    inner join quality
        on quality.person_id = ids.person_id
    where learners.academic_age is not null
        and learners.academic_year is not null

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
    inner join quality
        on quality.person_id = claims.person_id
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
    inner join quality
        on quality.person_id = claims.person_id

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
    inner join quality
        on quality.person_id = aims.person_id
    left join census
        on census.person_id = aims.person_id
        and census.is_on_roll = 1
        and census.registration_rank <= 2
        and census.academic_age <= 15
        and census.census_date between aims.start_date and aims.end_date
    group by aims.person_id, aims.provider_id, aims.learning_aim_ref, aims.start_date

),

earnings_keys as (

    -- ER-4: the person's tax years with PAYE earnings, and the EduKeys they come under
    select
        ids.person_id,
        pay.tax_year,
        count(distinct pay.edukey) as n_edukeys
    from ws.stg_leo__earnings as pay
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = pay.edukey
    where pay.earnings_gbp_nominal > 0
        and pay.tax_year is not null
    group by ids.person_id, pay.tax_year

),

checks as (

    select
        'CD-2' as diagnostic_id,
        term_pmrs.person_id,
        count(*) as n_examined,
        sum(case when term_pmrs.n_pmrs > 1 then 1 else 0 end) as n_flagged,
        min(case when term_pmrs.n_pmrs > 1
            then case term_pmrs.term_id
                when 1 then datefromparts(term_pmrs.census_year - 1, 9, 1)
                when 2 then datefromparts(term_pmrs.census_year, 1, 1)
                else datefromparts(term_pmrs.census_year, 4, 1)
            end
        end) as first_flagged_date,
        max(term_pmrs.n_pmrs) as largest_discrepancy
    from term_pmrs
    group by term_pmrs.person_id

    union all

    select
        'CD-5',
        census.person_id,
        count(*),
        sum(case when abs(census.nc_year_number - (census.academic_age - 4)) > 1 then 1 else 0 end),
        min(case when abs(census.nc_year_number - (census.academic_age - 4)) > 1 then census.term_start_date end),
        max(abs(census.nc_year_number - (census.academic_age - 4)))
    from census
    where census.nc_year_number is not null
        and census.academic_age is not null
    group by census.person_id

    union all

    select
        'CD-6',
        record_ages.person_id,
        count(*),
        sum(case when record_ages.academic_age is null or record_ages.academic_age < 0 or record_ages.academic_age > 25 then 1 else 0 end),
        min(case when record_ages.academic_age is null or record_ages.academic_age < 0 or record_ages.academic_age > 25
            then datefromparts(record_ages.census_year - 1, 9, 1) end),
        max(record_ages.academic_age)
    from record_ages
    group by record_ages.person_id

    union all

    select
        'IL-2',
        learner_ages.person_id,
        count(*),
        sum(case when abs(learner_ages.academic_age - learner_ages.expected_age) > 1 then 1 else 0 end),
        min(case when abs(learner_ages.academic_age - learner_ages.expected_age) > 1
            then datefromparts(learner_ages.academic_year - 1, 9, 1) end),
        max(abs(learner_ages.academic_age - learner_ages.expected_age))
    from learner_ages
    group by learner_ages.person_id

    union all

    select
        'HE-2',
        he_overlaps.person_id,
        count(*),
        sum(case when he_overlaps.n_overlap_days > 30 then 1 else 0 end),
        min(case when he_overlaps.n_overlap_days > 30 then he_overlaps.start_date end),
        max(he_overlaps.n_overlap_days)
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

    union all

    select
        'BE-2',
        benefits_before_birth.person_id,
        count(*),
        sum(benefits_before_birth.is_before_birth),
        min(case when benefits_before_birth.is_before_birth = 1 then benefits_before_birth.start_date end),
        max(benefits_before_birth.n_days_before)
    from benefits_before_birth
    group by benefits_before_birth.person_id

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

    union all

    select
        'ER-4',
        earnings_keys.person_id,
        count(*),
        sum(case when earnings_keys.n_edukeys > 1 then 1 else 0 end),
        min(case when earnings_keys.n_edukeys > 1 then datefromparts(earnings_keys.tax_year, 4, 5) end),
        max(earnings_keys.n_edukeys)
    from earnings_keys
    group by earnings_keys.person_id

)

select
    checks.diagnostic_id,  -- CD-2, CD-5, CD-6, IL-2, IL-4, IL-6, HE-2, HE-3, BE-2, BE-4 or ER-4 (derivations 26.4)
    checks.person_id,  -- the project's person identifier
    checks.n_examined,  -- records, spells or census terms of the person the diagnostic examined
    checks.n_flagged,  -- of them, those that trip it (the person is flagged when above 0)
    checks.first_flagged_date,  -- earliest offending term start, academic-year start, spell start, census day or (ER-4) tax-year end
    checks.largest_discrepancy  -- CD-2 most PMRs in one term, ER-4 EduKeys in one tax year; CD-5, IL-2 largest gap in years; CD-6 highest academic age; HE-2 longest overlap, BE-2 most days before birth; IL-4 most providers on one day; HE-3, BE-4, IL-6 most census records covered by one spell
from checks
