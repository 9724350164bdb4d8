/* ---
description: >
  LEO's resolved PMR lookup as delivered, one row per lookup row: which ae_id (DfE's resolved
  person) each NPD pupil matching reference belongs to. PMRs are trimmed and '' becomes NULL;
  ae_id values of 0 or below are kept here and dropped (and counted) in int_identifier_links.
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.001
--- */

select
    cast(lookup.ae_id as bigint) as ae_id,  -- DfE resolved person identifier
    nullif(ltrim(rtrim(lookup.pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference

    case
        when lookup.ae_id is null or lookup.pupilmatchingrefanonymous is null
            or rtrim(lookup.pupilmatchingrefanonymous) = '' then 'blank_identifier'
    end as row_issue  -- NULL = used; blank_identifier: no ae_id or no PMR, the row links nothing

from leo.pmr_lookup as lookup
