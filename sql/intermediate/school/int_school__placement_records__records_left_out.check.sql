/* ---
description: >
  PRU census and AP census records (main records, with a PMR) that int_school__placement_records
  leaves out, so they make no school spell: the PMR bridges to no person (no row in
  person_identifier: a PMR in no LEO lookup and in no source read for identifiers, int_identifiers_seen,
  which reads neither census), or a PRU record names no school (the model's own filters: an AP
  record's provider_id is never NULL). Records with a blank PMR are counted by the censuses' staging
  checks (blank_pmr); duplicate records (is_main_record = 0) are not placements. A recorded count
  (failing_rows) per census and year, never a person's values.
severity: warn
--- */

with

placements as (

    select
        'pru' as provision_type,
        pru.census_year,
        pru.pmr,
        pru.school_id as place_id
    from ws.stg_npd__pru_census as pru
    where pru.is_main_record = 1
        and pru.pmr is not null

    union all

    select
        'ap' as provision_type,
        ap.census_year,
        ap.pmr,
        ap.provider_id as place_id  -- as the model reads it
    from ws.stg_npd__ap_census as ap
    where ap.is_main_record = 1
        and ap.pmr is not null

)

select
    placements.provision_type,  -- pru or ap
    placements.census_year,  -- academic-year end of the census
    case when ids.person_id is null then 'no_person' else 'no_place' end as reason  -- why it is left out
from placements
left join ws.person_identifier as ids
    on ids.identifier_type = 'pmr'
    and ids.identifier_value = placements.pmr
where ids.person_id is null
    or placements.place_id is null
