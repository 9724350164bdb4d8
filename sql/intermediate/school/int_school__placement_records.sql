/* ---
description: >
  One row per person x census (year and term) x place of education: int_school_census_records
  (main School Census records) with the PRU census (spring 2010-2013) and the AP census
  (January, LA-funded placements outside schools) added as spring-term records of the same shape,
  for school_spells. provision_type tells them apart: 'pru' for a PRU census record or a School
  Census record at a school seen in the PRU census (PRUs join the School Census from 2013/14),
  'ap' for an AP census record (school_id 'AP-' + the funding LA, 'AP-unknown' where it is blank:
  the census names no provider),
  else 'mainstream' (mainstream and special schools). PRU and AP records carry no leaving date;
  AP records count as on roll with a single registration; a PRU census record repeating a School
  Census record of the same person, term and school is left out. PRU and AP census records whose PMR
  resolves to no person are left out, as in int_school_census_records, and counted (with PRU
  records naming no school) by the warn check records_left_out.
grain: [person_id, census_year, term_id, school_id]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - accepted_values: {column: provision_type, values: [mainstream, pru, ap]}
--- */

with

pru_schools as (

    select distinct pru.school_id from ws.stg_npd__pru_census as pru where pru.school_id is not null

),

other_records as (

    -- PRU census and AP census records, by person
    select
        ids.person_id,
        others.census_year,
        others.term_id,
        others.school_id,
        others.is_on_roll,
        others.entry_date,
        others.registration_rank,
        others.nc_year,
        others.provision_type
    from (
        select
            pru.pmr, pru.census_year, pru.term_id, pru.school_id, coalesce(pru.is_on_roll, 1) as is_on_roll,
            pru.entry_date,
            case pru.enrol_status when 'C' then 1 when 'M' then 2 when 'S' then 3 when 'G' then 4 else 5 end as registration_rank,
            pru.nc_year, 'pru' as provision_type
        from ws.stg_npd__pru_census as pru
        where pru.is_main_record = 1
            and pru.school_id is not null

        union all

        select
            ap.pmr, ap.census_year, 2 as term_id, ap.provider_id as school_id, 1 as is_on_roll,
            cast(null as date) as entry_date, 1 as registration_rank,
            cast(null as varchar(2)) as nc_year, 'ap' as provision_type
        from ws.stg_npd__ap_census as ap
        where ap.is_main_record = 1  -- provider_id is never NULL (a blank LA gives 'AP-unknown')
    ) as others
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = others.pmr

),

records as (

    select
        census.person_id, census.census_year, census.term_id, census.school_id, census.is_on_roll,
        census.entry_date, census.leaving_date, census.registration_rank, census.nc_year,
        case when pru_schools.school_id is not null then 'pru' else 'mainstream' end as provision_type,
        census.n_records
    from ws.int_school_census_records as census
    left join pru_schools
        on pru_schools.school_id = census.school_id

    union all

    select
        other_records.person_id, other_records.census_year, other_records.term_id, other_records.school_id,
        max(other_records.is_on_roll) as is_on_roll, min(other_records.entry_date) as entry_date,
        cast(null as date) as leaving_date, min(other_records.registration_rank) as registration_rank,
        min(other_records.nc_year) as nc_year, max(other_records.provision_type) as provision_type,
        count(*) as n_records
    from other_records
    left join ws.int_school_census_records as same
        on same.person_id = other_records.person_id
        and same.census_year = other_records.census_year
        and same.term_id = other_records.term_id
        and same.school_id = other_records.school_id
    where same.person_id is null  -- a School Census record of the same term and school wins
    group by other_records.person_id, other_records.census_year, other_records.term_id, other_records.school_id

)

select
    records.person_id,  -- the project's person identifier
    records.census_year,  -- academic-year end of the census
    records.term_id,  -- 1 autumn, 2 spring, 3 summer
    records.school_id,  -- pseudonymised school (AP: 'AP-' + the funding LA)
    case records.term_id
        when 1 then datefromparts(records.census_year - 1, 9, 1)
        when 2 then datefromparts(records.census_year, 1, 1)
        else datefromparts(records.census_year, 4, 1)
    end as term_start_date,  -- first day of the census term
    case records.term_id
        when 1 then datefromparts(records.census_year - 1, 12, 31)
        when 2 then datefromparts(records.census_year, 3, 31)
        else datefromparts(records.census_year, 8, 31)
    end as term_end_date,  -- last day of the census term (31 August for summer)
    records.is_on_roll,  -- on roll on census day
    records.entry_date,  -- earliest entry date recorded
    records.leaving_date,  -- latest leaving date recorded (School Census only)
    records.registration_rank,  -- 1 single, 2 dual main, 3 dual subsidiary, 4 guest, 5 unknown
    records.nc_year,  -- national curriculum year
    records.provision_type,  -- mainstream, pru or ap (see the description)
    cast(records.n_records as int) as n_records  -- records collapsed into this row
from records
