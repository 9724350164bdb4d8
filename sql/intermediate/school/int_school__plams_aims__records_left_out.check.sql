/* ---
description: >
  PLAMS records with a PMR that int_school__plams_aims leaves out: the PMR is linked to no
  person (person_identifier), or the record has no qualification number or no start date, or its
  own end (actual, else planned) is before its start (an aim is left out when its latest record
  ends so). Records with a blank PMR are counted by stg_npd__plams (blank_pmr). A recorded count
  (failing_rows), never a person's values.
severity: warn
--- */

select
    plams.academic_year,  -- academic-year end of the record
    plams.school_id  -- pseudonymised school
from ws.stg_npd__plams as plams
left join ws.person_identifier as ids
    on ids.identifier_type = 'pmr'
    and ids.identifier_value = plams.pmr
where plams.pmr is not null
    and ltrim(rtrim(plams.pmr)) <> ''
    and (
        ids.person_id is null
        or plams.qualification_number is null
        or plams.start_date is null
        or coalesce(plams.actual_end_date, plams.planned_end_date) < plams.start_date
    )
