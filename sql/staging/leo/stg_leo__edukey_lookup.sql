/* ---
description: >
  LEO's resolved EduKey lookup as delivered, one row per lookup row: which ae_id each DWP/HMRC
  EduKey belongs to. EduKeys are trimmed and '' becomes NULL.
checks:
  - not_null: [edukey]
    name: blank_edukey
    severity: warn
    max_failing_rate: 0.001
--- */

select
    cast(lookup.ae_id as bigint) as ae_id,  -- DfE resolved person identifier
    nullif(ltrim(rtrim(lookup.edukey)), '') as edukey,  -- DWP/HMRC person key

    case
        when lookup.ae_id is null or lookup.edukey is null or rtrim(lookup.edukey) = '' then 'blank_identifier'
    end as row_issue  -- NULL = used; blank_identifier: no ae_id or no EduKey, the row links nothing

from leo.edukey_lookup as lookup
