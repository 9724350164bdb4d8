/* ---
description: >
  One row per person x census diagnostic that examines the person (derivations 26.4, 26.5), the
  input of those diagnostics' flags (match_flags) and shares (match_quality_summary) through
  int_quality__person_checks. CD-2: census terms x school with main records under 2+ of the
  person's PMRs (merged duplicate NPD records, or twins over-matched); examined: the person's
  census terms x school. CD-5: census records with a numeric NC year 1-13 more than 1 year from
  academic age - 4 (a mis-link; one year either way is a pupil held back or moved up); examined:
  such records of a person with a birth date. CD-6: main census records whose own year and month
  of birth give an impossible academic age: missing or invalid (year outside 1900-2100, month
  outside 1-12), below 0 (born after the census's academic year began: the reference scripts'
  guard) or above 25; examined: main census records. Census-derived ages and census days:
  int_quality__census_days. Sources: int_quality__census_days, stg_npd__school_census,
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

raw_census as (

    -- the main census records of the people, each with the academic age its own birth year and
    -- month give (NULL when missing or invalid)
    select
        ids.person_id,
        census.pmr,
        census.census_year,
        census.term_id,
        census.school_id,
        case
            when census.birth_year between 1900 and 2100 and census.birth_month between 1 and 12
                then census.census_year - census.birth_year
                    - case when census.birth_month >= 9 then 1 else 0 end - 1
        end as academic_age
    from ws.stg_npd__school_census as census
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = census.pmr
    where census.is_main_record = 1

),

terms as (

    -- one row per person x census term x school (a NULL school too): CD-2 counts the PMRs,
    -- CD-6 the records and their impossible ages
    select
        raw_census.person_id,
        raw_census.census_year,
        raw_census.term_id,
        raw_census.school_id,
        count(distinct raw_census.pmr) as n_pmrs,
        count(*) as n_records,
        sum(case when raw_census.academic_age is null or raw_census.academic_age < 0 or raw_census.academic_age > 25 then 1 else 0 end) as n_impossible_ages,
        min(case when raw_census.academic_age is null or raw_census.academic_age < 0 or raw_census.academic_age > 25
            then raw_census.census_year end) as first_impossible_age_year,
        max(raw_census.academic_age) as highest_academic_age
    from raw_census
    group by raw_census.person_id, raw_census.census_year, raw_census.term_id, raw_census.school_id

),

person_terms as (

    -- CD-2 and CD-6 per person from one read of the census (SQL Server evaluates a CTE at each
    -- reference: sql/README.md rule 13); CD-2 examines the terms at a known school
    select
        terms.person_id,
        sum(case when terms.school_id is not null then 1 else 0 end) as n_school_terms,
        sum(case when terms.school_id is not null and terms.n_pmrs > 1 then 1 else 0 end) as n_school_terms_flagged,
        min(case when terms.school_id is not null and terms.n_pmrs > 1
            then case terms.term_id
                when 1 then datefromparts(terms.census_year - 1, 9, 1)
                when 2 then datefromparts(terms.census_year, 1, 1)
                else datefromparts(terms.census_year, 4, 1)
            end
        end) as first_term_flagged_date,
        max(case when terms.school_id is not null then terms.n_pmrs end) as most_pmrs,
        sum(terms.n_records) as n_records,
        sum(terms.n_impossible_ages) as n_impossible_ages,
        min(terms.first_impossible_age_year) as first_impossible_age_year,
        max(terms.highest_academic_age) as highest_academic_age
    from terms
    group by terms.person_id

),

checks as (

    select
        diagnostics.diagnostic_id,
        person_terms.person_id,
        case when diagnostics.diagnostic_id = 'CD-2' then person_terms.n_school_terms else person_terms.n_records end as n_examined,
        case when diagnostics.diagnostic_id = 'CD-2' then person_terms.n_school_terms_flagged else person_terms.n_impossible_ages end as n_flagged,
        case
            when diagnostics.diagnostic_id = 'CD-2' then person_terms.first_term_flagged_date
            else datefromparts(person_terms.first_impossible_age_year - 1, 9, 1)
        end as first_flagged_date,
        case when diagnostics.diagnostic_id = 'CD-2' then person_terms.most_pmrs else person_terms.highest_academic_age end as largest_discrepancy
    from person_terms
    cross join (select 'CD-2' as diagnostic_id union all select 'CD-6') as diagnostics
    where diagnostics.diagnostic_id = 'CD-6' or person_terms.n_school_terms > 0

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

)

select
    checks.diagnostic_id,  -- CD-2, CD-5, CD-6 (derivations 26.4)
    checks.person_id,  -- the project's person identifier
    cast(checks.n_examined as int) as n_examined,  -- records, spells or census terms of the person the diagnostic examined
    cast(checks.n_flagged as int) as n_flagged,  -- of them, those that trip it (the person is flagged when above 0)
    checks.first_flagged_date,  -- earliest offending term start (CD-2, CD-5) or academic-year start (CD-6)
    checks.largest_discrepancy  -- CD-2 most PMRs in one term; CD-5 largest gap in years; CD-6 highest academic age
from checks
