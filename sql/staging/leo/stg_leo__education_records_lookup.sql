/* ---
description: >
  LEO's education records lookup as delivered, one row per education record sent for matching:
  recordid to ae_id, with the record's source dataset where the extract has it (NULL otherwise).
--- */

select
    cast(lookup.ae_id as bigint) as ae_id,  -- DfE resolved person identifier
    cast(lookup.recordid as bigint) as recordid,  -- education record sent for matching
    upper(nullif(ltrim(rtrim(lookup.source)), '')) as source_dataset  -- e.g. ILR; NULL when not delivered
from leo.education_records_lookup as lookup
