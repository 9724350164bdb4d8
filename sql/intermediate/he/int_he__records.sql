/* ---
description: >
  One row per HESA student record that can make an HE spell: stg_hesa__instances linked to a
  person by PMR (person_identifier), with a commencement date, not ending before it, and
  commencing by the end (31 August) of the record's HESA year. The one home of that rule for
  he_spells and int_he__instance_years; the records it leaves out are counted by he_spells'
  check records_left_out (no commencement date, ending before it, commencing after the year),
  and records with a blank PMR by stg_hesa__instances (unlinked_students). Provider 'unknown'
  when blank. Sources: stg_hesa__instances, person_identifier.
grain: [pmr, hesa_year, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
indexes: [[person_id]]
--- */

select
    ids.person_id,  -- the project's person identifier
    coalesce(instances.provider_id, 'unknown') as provider_id,  -- pseudonymised HE provider
    instances.start_date,  -- the instance's commencement date
    instances.hesa_year,  -- HESA year (academic-year end) of the record
    instances.pmr,  -- the record's PupilMatchingRefAnonymous
    instances.end_date,  -- the record's end (DATELEFT / ENDDATE); NULL when none
    instances.mode_code,  -- XMODE01
    instances.level_code,  -- XLEV601
    instances.year_of_student,  -- year of the course
    instances.qualification_obtained_code,  -- XQOBTN01
    coalesce(instances.is_qualifier, 0) as is_qualifier,  -- XPQUAL01 = 1
    instances.subject_jacs,  -- first JACS subject (to 2018/19)
    instances.subject_hecos  -- first HECOS subject (2019/20)
from ws.stg_hesa__instances as instances
inner join ws.person_identifier as ids
    on ids.identifier_type = 'pmr'
    and ids.identifier_value = instances.pmr
where instances.start_date is not null
    and (instances.end_date is null or instances.end_date >= instances.start_date)
    and instances.start_date <= datefromparts(instances.hesa_year, 8, 31)
