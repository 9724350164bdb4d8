/* ---
description: >
  One row per person x person-level consistency diagnostic that examines the person (derivations
  26.4 and 26.5): how many of the person's records, spells or census terms the diagnostic
  examined, how many trip it, the earliest offending date and the largest discrepancy. The input
  of those diagnostics' flags (match_flags: a person is flagged when n_flagged > 0) and of their
  person and event shares (match_quality_summary). One table per family says what each
  diagnostic examines and when it trips: int_quality__census_checks (CD-2, CD-5, CD-6),
  int_quality__ilr_checks (IL-2, IL-4, IL-6), int_quality__he_checks (HE-2, HE-3),
  int_quality__benefit_checks (BE-2, BE-4) and int_quality__earnings_checks (ER-4); census days
  and census-derived ages are int_quality__census_days.
grain: [diagnostic_id, person_id]
checks:
  - expression_is_true: n_flagged <= n_examined
  - accepted_values: {column: diagnostic_id, values: [CD-2, CD-5, CD-6, IL-2, IL-4, IL-6, HE-2, HE-3, BE-2, BE-4, ER-4]}
indexes: [[person_id]]
--- */

with

checks as (

    select * from ws.int_quality__census_checks
    union all
    select * from ws.int_quality__ilr_checks
    union all
    select * from ws.int_quality__he_checks
    union all
    select * from ws.int_quality__benefit_checks
    union all
    select * from ws.int_quality__earnings_checks

)

select
    checks.diagnostic_id,  -- CD-2, CD-5, CD-6, IL-2, IL-4, IL-6, HE-2, HE-3, BE-2, BE-4 or ER-4 (derivations 26.4)
    checks.person_id,  -- the project's person identifier
    checks.n_examined,  -- records, spells or census terms of the person the diagnostic examined
    checks.n_flagged,  -- of them, those that trip it (the person is flagged when above 0)
    checks.first_flagged_date,  -- earliest offending term start, academic-year start, spell start, census day or (ER-4) tax-year end
    checks.largest_discrepancy  -- CD-2 most PMRs in one term, ER-4 EduKeys in one tax year; CD-5, IL-2 largest gap in years; CD-6 highest academic age; HE-2 longest overlap, BE-2 most days before birth; IL-4 most providers on one day; HE-3, BE-4, IL-6 most census records covered by one spell
from checks
