/* ---
description: >
  HESA records with a PMR that make no spell in he_spells: no commencement date, an end date
  before the commencement date, or a commencement after the end (31 August) of the record's
  academic year. Records with a blank PMR are counted by stg_hesa__instances (unlinked_students).
severity: warn
--- */

select
    instances.hesa_year,  -- academic-year end of the HESA return
    coalesce(instances.provider_id, 'unknown') as provider_id,  -- pseudonymised provider
    instances.start_date  -- commencement date
from ws.stg_hesa__instances as instances
where instances.pmr is not null
    and (
        instances.start_date is null
        or instances.end_date < instances.start_date
        or instances.start_date > datefromparts(instances.hesa_year, 8, 31)
    )
