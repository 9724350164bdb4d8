/* ---
description: >
  One row per person x benefit type x spell (DWP): the person's claims under all their EduKeys,
  overlapping and abutting spells of one benefit type merged, classified out-of-work or in-work
  and other by ref_benefit_types (the project's one mapping; source_out_of_work_flag keeps the
  source's own flag for comparison). Benefit codes missing from the mapping keep
  is_out_of_work NULL and fail the warn check unknown_benefit_type. Open claims (9999-12-31)
  and claims past the reference date end there with is_censored = 1; claims starting after it,
  and rows without an EduKey or code, with an unknown start or end (a sentinel date: never an
  open claim) or ending before they start, are left out (counted per reason by
  stg_leo__benefits' check row_issues). The merge and its rules are int_spells__merged's (kind
  benefit, keyed by the code). Source: stg_leo__benefits via person_identifier.
grain: [person_id, benefit_type, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - not_null: [is_out_of_work]
    name: unknown_benefit_type
    severity: warn
indexes: [[person_id]]
--- */

select
    spells.person_id,  -- the project's person identifier
    spells.spell_key as benefit_type,  -- DWP benefit code, e.g. JSA
    benefit_types.benefit_name,  -- the benefit
    benefit_types.is_out_of_work,  -- 1 = out-of-work benefit (ref_benefit_types); NULL for an unknown code
    spells.source_flag as source_out_of_work_flag,  -- the source's own out-of-work flag
    spells.start_date,  -- first day of the claim (inclusive)
    spells.end_date,  -- last day of the claim (inclusive); the reference date when censored
    datediff(day, spells.start_date, spells.end_date) + 1 as n_days,  -- length in days
    spells.is_censored,  -- 1 = open in source or running past the reference date: cut there
    spells.n_source_spells,  -- source spells merged into this one
    spells.n_source_keys as n_edukeys  -- EduKeys the merged spells came from
from ws.int_spells__merged as spells
left join ws.ref_benefit_types as benefit_types
    on benefit_types.benefit_type = spells.spell_key
where spells.spell_kind = 'benefit'
