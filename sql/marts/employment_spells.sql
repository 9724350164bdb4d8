/* ---
description: >
  One row per person x PAYE employment spell (HMRC P45/RTI): the person's spells under all their
  EduKeys, with overlapping and abutting spells (next start on or before the day after the
  previous end) merged into one, so a job-to-job move without a gap is one spell. Open spells
  (end 9999-12-31 in source) and spells running past the reference date end at the reference
  date with is_censored = 1; spells starting after it, and source rows without an EduKey, with
  an unknown start or end (a sentinel date: never an open spell) or ending before they start,
  are left out (counted per reason by stg_leo__employment's check row_issues). Uncertain dates
  are kept: the start (end) is uncertain when every source spell starting (ending) on the merged
  start (end) had a defaulted date (6 April starts, 5 April ends). The merge and its rules are
  int_spells__merged's (kind employment). Source: stg_leo__employment via person_identifier.
grain: [person_id, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - expression_is_true: end_date <= @reference_date
indexes: [[person_id]]
--- */

select
    spells.person_id,  -- the project's person identifier
    spells.start_date,  -- first day employed (inclusive)
    spells.end_date,  -- last day employed (inclusive); the reference date when censored
    datediff(day, spells.start_date, spells.end_date) + 1 as n_days,  -- length in days
    spells.is_start_uncertain,  -- start defaulted in source (6 April or the day before the end)
    spells.is_end_uncertain,  -- end defaulted in source (5 April)
    spells.is_censored,  -- 1 = open in source or running past the reference date: cut there
    spells.n_source_spells,  -- source spells merged into this one
    spells.n_source_keys as n_edukeys  -- EduKeys the merged spells came from (above 1: several DWP/HMRC keys)
from ws.int_spells__merged as spells
where spells.spell_kind = 'employment'
