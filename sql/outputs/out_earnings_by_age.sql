/* ---
description: >
  One row per age: real earnings (metrics_annual, tax basis, total PAYE and self-employment
  earnings in @price_base_year prices) of KS4 cohort members at that age, all configured cohorts
  together. Age is at the end of the tax year (5 April), from the birth year and month
  (ks4_cohort; April births counted as not yet had their birthday). Only full tax years count
  (is_partial_year = 0). Among those with earnings above zero: the 10th, 25th, 50th, 75th and 90th
  percentiles (linear interpolation between ranks, as PERCENTILE_CONT, computed from ROW_NUMBER
  and COUNT ranks) and the mean. The sum, the five largest values and the count of negative
  values are the evidence of the dominance and p% rules; they never leave the workspace (the
  disclosure-safe table out_earnings_by_age_safe drops them).
grain: [age]
unique: {person_years: [person_id, age]}  # ws.metrics_annual's [person_id, year] of one basis; age is year less a constant per person
checks:
  - expression_is_true: n_people = n_with_earnings + n_without_earnings
disclosure:
  title: Real earnings percentiles by age
  counts: [n_people, n_with_earnings, n_without_earnings]
  relations:
    - row_sum: {total: n_people, parts: [n_with_earnings, n_without_earnings]}
  shares:
    - {name: pct_with_earnings, count: n_with_earnings, denominator: n_people}
  magnitude:
    stats: [p10_earnings_gbp_real, p25_earnings_gbp_real, p50_earnings_gbp_real, p75_earnings_gbp_real, p90_earnings_gbp_real, mean_earnings_gbp_real]
    n: n_with_earnings
    total: earnings_sum
    tops: [earnings_top1, earnings_top2, earnings_top3, earnings_top4, earnings_top5]
    negatives: n_negative
--- */

with

person_years as (

    select
        annual.person_id,
        annual.year - cohort.birth_year - case when cohort.birth_month >= 4 then 1 else 0 end as age,
        case when annual.total_earnings_gbp_real > 0 then annual.total_earnings_gbp_real end as earnings,
        case when annual.total_earnings_gbp_real > 0 then 1 else 0 end as has_earnings
    from ws.metrics_annual as annual
    inner join ws.ks4_cohort as cohort
        on cohort.person_id = annual.person_id
    where annual.basis = 'tax'
        and annual.is_partial_year = 0
        and cohort.birth_year is not null
        and cohort.birth_month is not null

),

earners as (

    -- every person-year, in one read of person_years (SQL Server evaluates a CTE at each
    -- reference: sql/README.md rule 13): those with earnings ranked among themselves (the
    -- partition by has_earnings keeps the rest out of their ranks), n_earners counted over them
    select
        person_years.age,
        person_years.earnings,
        row_number() over (
            partition by person_years.age, person_years.has_earnings
            order by person_years.earnings, person_years.person_id
        ) as rank_up,
        row_number() over (
            partition by person_years.age, person_years.has_earnings
            order by person_years.earnings desc, person_years.person_id
        ) as rank_down,
        sum(person_years.has_earnings) over (partition by person_years.age) as n_earners
    from person_years

),

positions as (

    select
        earners.*,
        cast(earners.n_earners - 1 as decimal(18, 6)) * 0.10 + 1 as h10,
        cast(earners.n_earners - 1 as decimal(18, 6)) * 0.25 + 1 as h25,
        cast(earners.n_earners - 1 as decimal(18, 6)) * 0.50 + 1 as h50,
        cast(earners.n_earners - 1 as decimal(18, 6)) * 0.75 + 1 as h75,
        cast(earners.n_earners - 1 as decimal(18, 6)) * 0.90 + 1 as h90
    from earners

),

stats as (

    select
        positions.age,
        cast(count(*) as int) as n_people,
        cast(sum(case when positions.earnings is not null then 1 else 0 end) as int) as n_with_earnings,
        cast(sum(positions.earnings) as decimal(18, 2)) as earnings_sum,
        max(case when positions.rank_down = 1 then positions.earnings end) as earnings_top1,
        max(case when positions.rank_down = 2 then positions.earnings end) as earnings_top2,
        max(case when positions.rank_down = 3 then positions.earnings end) as earnings_top3,
        max(case when positions.rank_down = 4 then positions.earnings end) as earnings_top4,
        max(case when positions.rank_down = 5 then positions.earnings end) as earnings_top5,
        sum(case when positions.earnings < 0 then 1 else 0 end) as n_negative,
        max(case when positions.rank_up = floor(positions.h10) then positions.earnings end) as lo10,
        max(case when positions.rank_up = ceiling(positions.h10) then positions.earnings end) as hi10,
        max(positions.h10 - floor(positions.h10)) as w10,
        max(case when positions.rank_up = floor(positions.h25) then positions.earnings end) as lo25,
        max(case when positions.rank_up = ceiling(positions.h25) then positions.earnings end) as hi25,
        max(positions.h25 - floor(positions.h25)) as w25,
        max(case when positions.rank_up = floor(positions.h50) then positions.earnings end) as lo50,
        max(case when positions.rank_up = ceiling(positions.h50) then positions.earnings end) as hi50,
        max(positions.h50 - floor(positions.h50)) as w50,
        max(case when positions.rank_up = floor(positions.h75) then positions.earnings end) as lo75,
        max(case when positions.rank_up = ceiling(positions.h75) then positions.earnings end) as hi75,
        max(positions.h75 - floor(positions.h75)) as w75,
        max(case when positions.rank_up = floor(positions.h90) then positions.earnings end) as lo90,
        max(case when positions.rank_up = ceiling(positions.h90) then positions.earnings end) as hi90,
        max(positions.h90 - floor(positions.h90)) as w90
    from positions
    group by positions.age

)

select
    stats.age,  -- age at the end of the tax year
    stats.n_people,  -- cohort members observed for a full tax year at this age (raw count)
    stats.n_with_earnings,  -- of whom with earnings above zero (raw count)
    stats.n_people - stats.n_with_earnings as n_without_earnings,  -- of whom with none (raw count)
    cast(stats.lo10 + (stats.hi10 - stats.lo10) * stats.w10 as decimal(14, 2)) as p10_earnings_gbp_real,  -- 10th percentile
    cast(stats.lo25 + (stats.hi25 - stats.lo25) * stats.w25 as decimal(14, 2)) as p25_earnings_gbp_real,  -- lower quartile
    cast(stats.lo50 + (stats.hi50 - stats.lo50) * stats.w50 as decimal(14, 2)) as p50_earnings_gbp_real,  -- median
    cast(stats.lo75 + (stats.hi75 - stats.lo75) * stats.w75 as decimal(14, 2)) as p75_earnings_gbp_real,  -- upper quartile
    cast(stats.lo90 + (stats.hi90 - stats.lo90) * stats.w90 as decimal(14, 2)) as p90_earnings_gbp_real,  -- 90th percentile
    cast(cast(stats.earnings_sum as decimal(18, 2)) / stats.n_with_earnings as decimal(14, 2)) as mean_earnings_gbp_real,  -- mean
    stats.earnings_sum,  -- evidence: sum of the earnings (never exported)
    stats.earnings_top1,  -- evidence: largest value (never exported)
    stats.earnings_top2,  -- evidence: second largest (never exported)
    stats.earnings_top3,  -- evidence: third largest (never exported)
    stats.earnings_top4,  -- evidence: fourth largest (never exported)
    stats.earnings_top5,  -- evidence: fifth largest (never exported)
    coalesce(stats.n_negative, 0) as n_negative  -- evidence: negative values (never exported)
from stats
