/* ---
description: >
  Children in Need episodes as returned, one row per child x episode x collection year (an
  episode open over several 31 Marches is returned each year). collection_year is the end year
  of cin_acadyr; closure_date is NULL while the episode is open; is_nfa = 1 for a referral
  with no further action. Blank PMRs become NULL.
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
  - expression_is_true: closure_date is null or closure_date >= referral_date
    name: closure_before_referral
    severity: warn
    max_failing_rate: 0.001
--- */

select
    nullif(ltrim(rtrim(cin.cin_pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    cast(left(ltrim(cin.cin_acadyr), 4) as int) + 1 as collection_year,  -- year of the 31 March the return is for
    cin.cin_cinreferraldate as referral_date,  -- date of the referral
    cin.cin_cinclosuredate as closure_date,  -- date the episode closed (NULL = open)
    coalesce(cast(cin.cin_referralnfa as int), 0) as is_nfa,  -- 1 = referral with no further action
    upper(nullif(ltrim(rtrim(cin.cin_reasonforclosure)), '')) as closure_reason,  -- RC1-RC8
    nullif(ltrim(rtrim(cin.cin_la_anon)), '') as la_id  -- pseudonymised LA
from npd.cin as cin
