/* ---
description: >
  One row per person with PAYE earnings x earnings diagnostic (derivations 26.4, 26.5), the input
  of its flags and shares through int_quality__person_checks. ER-4: tax years in which the
  person's PAYE earnings (above 0, stg_leo__earnings) come under 2 or more of their EduKeys
  (double counting or an over-match); examined: the person's tax years with earnings. Sources:
  stg_leo__earnings, person_identifier.
grain: [diagnostic_id, person_id]
checks:
  - expression_is_true: n_flagged <= n_examined
indexes: [[person_id]]
--- */

with

earnings_keys as (

    -- ER-4: the person's tax years with PAYE earnings, and the EduKeys they come under
    select
        ids.person_id,
        pay.tax_year,
        count(distinct pay.edukey) as n_edukeys
    from ws.stg_leo__earnings as pay
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = pay.edukey
    where pay.earnings_gbp_nominal > 0
        and pay.tax_year is not null
    group by ids.person_id, pay.tax_year

),

checks as (

    select
        'ER-4' as diagnostic_id,
        earnings_keys.person_id as person_id,
        count(*) as n_examined,
        sum(case when earnings_keys.n_edukeys > 1 then 1 else 0 end) as n_flagged,
        min(case when earnings_keys.n_edukeys > 1 then datefromparts(earnings_keys.tax_year, 4, 5) end) as first_flagged_date,
        max(earnings_keys.n_edukeys) as largest_discrepancy
    from earnings_keys
    group by earnings_keys.person_id

)

select
    checks.diagnostic_id,  -- ER-4 (derivations 26.4)
    checks.person_id,  -- the project's person identifier
    cast(checks.n_examined as int) as n_examined,  -- records, spells or census terms of the person the diagnostic examined
    cast(checks.n_flagged as int) as n_flagged,  -- of them, those that trip it (the person is flagged when above 0)
    checks.first_flagged_date,  -- earliest offending tax-year end
    checks.largest_discrepancy  -- most EduKeys in one tax year
from checks
