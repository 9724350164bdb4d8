/* ---
description: >
  One row per person x census (year and term) x school: the person's main School Census records
  (duplicates with record status 101-110/120 left out, and so are records without a school or
  whose PMR resolves to no person), collapsed over the rare repeated main records of one census
  and school. Carries the census term's first and last day (autumn 1 Sep-31 Dec, spring
  1 Jan-31 Mar, summer 1 Apr-31 Aug), whether the pupil was on roll on census day (NULL, before
  2009, counts as on roll), the earliest entry and latest leaving date recorded, and the
  strongest registration (single, then dual main, dual subsidiary, guest).
grain: [person_id, census_year, term_id, school_id]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
--- */

select
    ids.person_id,  -- the project's person identifier
    census.census_year,  -- academic-year end of the census
    census.term_id,  -- 1 autumn, 2 spring, 3 summer
    census.school_id,  -- pseudonymised school
    case census.term_id
        when 1 then datefromparts(census.census_year - 1, 9, 1)
        when 2 then datefromparts(census.census_year, 1, 1)
        else datefromparts(census.census_year, 4, 1)
    end as term_start_date,  -- first day of the census term
    case census.term_id
        when 1 then datefromparts(census.census_year - 1, 12, 31)
        when 2 then datefromparts(census.census_year, 3, 31)
        else datefromparts(census.census_year, 8, 31)
    end as term_end_date,  -- last day of the census term (31 August for summer)
    max(coalesce(census.is_on_roll, 1)) as is_on_roll,  -- on roll on census day
    min(census.entry_date) as entry_date,  -- earliest entry date recorded
    max(census.leaving_date) as leaving_date,  -- latest leaving date recorded
    min(case census.enrol_status when 'C' then 1 when 'M' then 2 when 'S' then 3 when 'G' then 4 else 5 end) as registration_rank,  -- 1 single, 2 dual main, 3 dual subsidiary, 4 guest, 5 unknown
    min(census.nc_year) as nc_year,  -- national curriculum year
    cast(count(*) as int) as n_records  -- main records of this census and school (1 unless repeated)
from ws.stg_npd__school_census as census
inner join ws.person_identifier as ids
    on ids.identifier_type = 'pmr'
    and ids.identifier_value = census.pmr
where census.is_main_record = 1
    and census.school_id is not null
group by ids.person_id, census.census_year, census.term_id, census.school_id
