/* ---
description: >
  Every identifier LEO's lookups link to a resolved person, one row per identifier type x value:
  PMRs (learner_ae_id_to_pmr_lookup), EduKeys (learner_ae_id_to_edukey_lookup) and ILR record ids
  (education_records_lookup, restricted to ILR records where the extract has the source field).
  An identifier the lookups link to two or more ae_ids is kept with the lowest ae_id and
  n_ae_ids > 1, so that it is reported (person_identifier, match checks), never silently
  resolved. Rows with a blank identifier or an ae_id of 0 or below are not links.
grain: [identifier_type, identifier_value]
checks:
  - accepted_values: {column: identifier_type, values: [pmr, edukey, ilr_recordid]}
  - expression_is_true: n_ae_ids = 1
    name: identifiers_linked_to_two_ae_ids
    severity: warn
    max_failing_rows: 0
--- */

with

pairs as (

    select 'pmr' as identifier_type, lookup.pmr as identifier_value, lookup.ae_id
    from ws.stg_leo__pmr_lookup as lookup
    where lookup.pmr is not null and lookup.ae_id > 0

    union all

    select 'edukey' as identifier_type, lookup.edukey as identifier_value, lookup.ae_id
    from ws.stg_leo__edukey_lookup as lookup
    where lookup.edukey is not null and lookup.ae_id > 0

    union all

    select 'ilr_recordid' as identifier_type, cast(lookup.recordid as varchar(20)) as identifier_value, lookup.ae_id
    from ws.stg_leo__education_records_lookup as lookup
    where lookup.recordid is not null and lookup.ae_id > 0
        and (lookup.source_dataset is null or lookup.source_dataset like '%ILR%')

)

select
    pairs.identifier_type,  -- pmr, edukey or ilr_recordid
    pairs.identifier_value,  -- the identifier, trimmed
    min(pairs.ae_id) as ae_id,  -- the (lowest) ae_id it is linked to
    max(pairs.ae_id) as other_ae_id,  -- the highest ae_id it is linked to (differs when conflicting)
    cast(count(distinct pairs.ae_id) as int) as n_ae_ids  -- ae_ids it is linked to; above 1 is an identity conflict
from pairs
group by pairs.identifier_type, pairs.identifier_value
