/* ---
description: >
  LEO's education records lookup as delivered, one row per education record sent for matching:
  recordid to ae_id, with the record's source dataset where the extract has it (NULL otherwise).
--- */

select
    cast(lookup.ae_id as bigint) as ae_id,  -- DfE resolved person identifier
    cast(lookup.recordid as bigint) as recordid,  -- education record sent for matching
    upper(nullif(ltrim(rtrim(lookup.source)), '')) as source_dataset,  -- e.g. ILR; NULL when not delivered

    case
        when lookup.ae_id is null or lookup.recordid is null then 'blank_identifier'
    end as row_issue  -- NULL = used; blank_identifier: no ae_id or no recordid, the row links nothing

from leo.education_records_lookup as lookup
