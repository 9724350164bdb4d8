/* ---
description: >
  One row per main School Census record of a person (int_school_census_records: person, census,
  term and school) with its census day and the person's census-derived academic age in that year
  (NULL without a modal birth year) and the NC year as a number (1-13; NULL for R, X or other
  values): the census side of the person-level consistency diagnostics (CD-5, HE-3, BE-4, IL-6).
  Census day is the School Census reference day of the term: the first Thursday of October
  (autumn), the third Thursday of January and of May (summer). Academic ages are census-derived:
  academic year (its end) minus the person's modal academic year of birth (int_quality__persons)
  minus 1, the age on 31 August before the year.
  Sources: int_school_census_records, int_quality__persons.
grain: [person_id, census_year, term_id, school_id]
indexes: [[person_id]]
--- */

with

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

)

select
    records.person_id,  -- the project's person identifier
    records.census_year,  -- academic-year end of the census
    records.term_id,  -- 1 autumn, 2 spring, 3 summer
    records.school_id,  -- pseudonymised school
    records.is_on_roll,  -- 1 = on roll on census day
    records.registration_rank,  -- 1 single or main registration, 2 dual main, 3 dual subsidiary (int_school_census_records)
    records.nc_year,  -- NC year as recorded
    records.term_start_date,  -- first day of the term
    census_terms.census_date,  -- census day of the term
    records.census_year - quality.modal_academic_birth_year - 1 as academic_age,  -- census-derived academic age (NULL without a birth year)
    case when records.nc_year in ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13')
        then cast(records.nc_year as int) end as nc_year_number  -- NC year 1-13 as a number (NULL otherwise)
from ws.int_school_census_records as records
inner join census_terms
    on census_terms.census_year = records.census_year
    and census_terms.term_id = records.term_id
left join ws.int_quality__persons as quality
    on quality.person_id = records.person_id
    and quality.modal_academic_birth_year is not null
