/* ---
description: >
  One row per person x tax year with any PAYE or self-employment earnings record: PAYE earnings
  (HMRC P14/RTI, summed over the person's EduKeys) and self-employment earnings (self-assessment,
  from 2013/14), separately and together, nominal and in constant prices of @price_base_year
  (CPI, ref_prices; a tax year is deflated with the index of the calendar year it starts in).
  tax_year is the year the tax year ends (2016 = 6 April 2015 to 5 April 2016). NULL means no
  record of that kind; totals treat NULL as 0. Negative PAYE totals were set to 0 in source.
  Tax years ending after the reference date are left out. n_edukeys above 1 flags earnings under
  several EduKeys (double counting or an over-match, diagnostic ER-4). Sources: stg_leo__earnings,
  stg_leo__self_assessment via person_identifier.
grain: [person_id, tax_year]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: total_earnings_gbp_nominal >= 0
  - not_null: [cpi_index]
    name: price_index_covers_year
indexes: [[person_id]]
--- */

with

paye as (

    select
        ids.person_id,
        pay.tax_year,
        cast(sum(pay.earnings_gbp_nominal) as decimal(14, 2)) as earnings_gbp_nominal,
        count(distinct pay.edukey) as n_edukeys
    from ws.stg_leo__earnings as pay
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = pay.edukey
    where pay.earnings_gbp_nominal is not null
    group by ids.person_id, pay.tax_year

),

self_employment as (

    select
        ids.person_id,
        returns.tax_year,
        cast(sum(returns.earnings_gbp_nominal) as decimal(14, 2)) as earnings_gbp_nominal,
        count(distinct returns.edukey) as n_edukeys
    from ws.stg_leo__self_assessment as returns
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = returns.edukey
    where returns.earnings_gbp_nominal is not null
    group by ids.person_id, returns.tax_year

),

combined as (

    select
        coalesce(paye.person_id, self_employment.person_id) as person_id,
        coalesce(paye.tax_year, self_employment.tax_year) as tax_year,
        paye.earnings_gbp_nominal as paye_gbp_nominal,
        self_employment.earnings_gbp_nominal as self_employment_gbp_nominal,
        coalesce(paye.n_edukeys, 0) as n_paye_edukeys,
        coalesce(self_employment.n_edukeys, 0) as n_self_assessment_edukeys
    from paye
    full outer join self_employment
        on self_employment.person_id = paye.person_id
        and self_employment.tax_year = paye.tax_year

),

base as (

    select prices.cpi_index from ws.ref_prices as prices where prices.price_year = @price_base_year

)

select
    combined.person_id,  -- the project's person identifier
    combined.tax_year,  -- year the tax year ends (6 April to 5 April)
    combined.paye_gbp_nominal,  -- PAYE earnings, pounds of the year
    combined.self_employment_gbp_nominal,  -- self-employment earnings, pounds of the year
    coalesce(combined.paye_gbp_nominal, 0) + coalesce(combined.self_employment_gbp_nominal, 0) as total_earnings_gbp_nominal,  -- PAYE plus self-employment
    cast(combined.paye_gbp_nominal * base.cpi_index / cast(prices.cpi_index as decimal(6, 1)) as decimal(14, 2)) as paye_gbp_real,  -- PAYE earnings in @price_base_year prices
    cast(combined.self_employment_gbp_nominal * base.cpi_index / cast(prices.cpi_index as decimal(6, 1)) as decimal(14, 2)) as self_employment_gbp_real,  -- self-employment earnings in @price_base_year prices
    cast((coalesce(combined.paye_gbp_nominal, 0) + coalesce(combined.self_employment_gbp_nominal, 0))
         * base.cpi_index / cast(prices.cpi_index as decimal(6, 1)) as decimal(14, 2)) as total_earnings_gbp_real,  -- total in @price_base_year prices
    prices.cpi_index,  -- CPI of the calendar year the tax year starts in (2015 = 100)
    @price_base_year as price_base_year,  -- the year of the real-terms prices
    case when combined.n_paye_edukeys > combined.n_self_assessment_edukeys then combined.n_paye_edukeys
         else combined.n_self_assessment_edukeys end as n_edukeys  -- EduKeys the earnings came from (above 1: check for double counting)
from combined
cross join base
left join ws.ref_prices as prices
    on prices.price_year = combined.tax_year - 1
where datefromparts(combined.tax_year, 4, 5) <= @reference_date
