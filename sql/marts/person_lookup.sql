/* ---
description: >
  One row per person: the project's person_id with the ae_id behind it (NULL for a PMR or EduKey
  no lookup links), the lowest PMR and EduKey, and the counts of PMRs, EduKeys and ILR learner
  records that resolve to the person. Several PMRs or EduKeys for one person (the "multiplex"
  signal) mean duplicate registrations or an over-match; the ILR count is of learner records
  (one per provider and year), not of people. Built from person_identifier, which holds the rules.
grain: [person_id]
checks:
  - expression_is_true: n_pmrs + n_edukeys + n_ilr_records >= 1
    name: has_an_identifier
indexes: [[ae_id]]
--- */

select
    ---------- ids
    identifiers.person_id,  -- the project's person identifier
    max(identifiers.ae_id) as ae_id,  -- DfE resolved person; NULL when not linked
    min(case when identifiers.identifier_type = 'pmr' then identifiers.identifier_value end) as primary_pmr,  -- lowest PMR
    min(case when identifiers.identifier_type = 'edukey' then identifiers.identifier_value end) as primary_edukey,  -- lowest EduKey

    ---------- linkage
    max(identifiers.is_linked) as is_linked,  -- 1 = has an ae_id
    cast(sum(case when identifiers.identifier_type = 'pmr' then 1 else 0 end) as int) as n_pmrs,  -- PMRs of the person
    cast(sum(case when identifiers.identifier_type = 'edukey' then 1 else 0 end) as int) as n_edukeys,  -- EduKeys of the person
    cast(sum(case when identifiers.identifier_type = 'ilr_recordid' then 1 else 0 end) as int) as n_ilr_records,  -- ILR learner records (provider-years)
    cast(sum(case when identifiers.n_ae_ids > 1 then 1 else 0 end) as int) as n_conflicting_identifiers  -- identifiers also linked to another ae_id

from ws.person_identifier as identifiers
group by identifiers.person_id
