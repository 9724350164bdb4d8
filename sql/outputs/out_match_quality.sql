/* ---
description: >
  One row per match-quality diagnostic x measure x KS4 cohort: the units a diagnostic flagged
  (for PL-5 leo_link: KS4 pupils linked to LEO), the units not flagged, and the units examined
  (the denominator), from match_quality_summary (the cohort rows, subgroup 'all'; the 'all'
  cohort row, which also counts persons in no configured cohort, and the subgroup rows are left
  out). Only counts of persons and identifiers are published: rows whose units are records,
  spells, codes or person-months (unit_kind records: several per person, so a count of ten can be
  one person) stay in match_quality_summary. Rates are computed from the rounded counts in
  out_match_quality_safe. Raw counts: the
  disclosure-safe table is out_match_quality_safe.
grain: [diagnostic_id, measure, ks4_year]
checks:
  - expression_is_true: n_units = n_flagged + n_not_flagged
disclosure:
  title: Match-quality rates by KS4 cohort (every diagnostic of match_quality_summary)
  labels: [title]
  counts: [n_flagged, n_not_flagged, n_units]
  relations:
    - row_sum: {total: n_units, parts: [n_flagged, n_not_flagged]}
  shares:
    - {name: pct_flagged, count: n_flagged, denominator: n_units}
--- */

select
    summary.diagnostic_id,  -- diagnostic id (derivations 26.4)
    summary.measure,  -- what is counted (PL-5: leo_link, paye, benefits, ilr, hesa, nccis)
    summary.title,  -- what the diagnostic counts
    summary.ks4_year,  -- KS4 cohort
    summary.numerator as n_flagged,  -- units flagged (PL-5: pupils linked or with a record) (raw count)
    summary.denominator - summary.numerator as n_not_flagged,  -- units not flagged (raw count)
    summary.denominator as n_units  -- units examined (raw count)
from ws.match_quality_summary as summary
where summary.subgroup = 'all'
    and summary.ks4_year <> 'all'
    and summary.unit_kind <> 'records'
