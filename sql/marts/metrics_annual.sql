/* ---
description: >
  One row per KS4 cohort member x year x basis: academic years (1 September to 31 August) and tax
  years (6 April to 5 April), each labelled by the year it ends, from the first year after KS4
  for as many years as @months_after_ks4 covers, up to the reference date (a year cut by it has
  is_partial_year = 1 and ends there). Days in each activity (activity_spells clipped to the
  year), the longest employment spell touching the year (its whole length, wherever its days
  fall) and is_continuously_employed when that spell lasts at least 181 days (the shortest six
  months); the same for out-of-work benefits (benefit continuity: is_continuously_on_out_of_work_benefit);
  earnings nominal and real, and PAYE earnings per day of PAYE employment in the tax year (NULL
  with no day employed), on tax years only (HMRC reports earnings by tax year; NULL on the
  academic basis).
grain: [person_id, year, basis]
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - accepted_values: {column: basis, values: [academic, tax]}
  - expression_is_true: days_employment <= datediff(day, year_start_date, year_end_date) + 1
indexes: [[person_id]]
--- */

with

years as (

    select
        cohort.person_id,
        cohort.ks4_year,
        case when calendar.month_no = 9 then 'academic' else 'tax' end as basis,
        calendar.calendar_year + 1 as year,
        case when calendar.month_no = 9 then calendar.month_start_date
             else datefromparts(calendar.calendar_year, 4, 6) end as year_start_date,
        case when calendar.month_no = 9 then datefromparts(calendar.calendar_year + 1, 8, 31)
             else datefromparts(calendar.calendar_year + 1, 4, 5) end as full_year_end_date
    from ws.ks4_cohort as cohort
    inner join ws.ref_calendar_months as calendar
        on calendar.month_no in (4, 9)
        and calendar.calendar_year >= cohort.ks4_year
        and (calendar.calendar_year - cohort.ks4_year) * 12 + 1 <= @months_after_ks4
        and calendar.month_start_date <= @reference_date

),

windows as (

    select
        years.*,
        case when years.full_year_end_date > @reference_date then @reference_date else years.full_year_end_date end as year_end_date,
        case when years.full_year_end_date > @reference_date then 1 else 0 end as is_partial_year
    from years
    where years.year_start_date <= @reference_date

),

clipped as (

    select
        windows.person_id,
        windows.year,
        windows.basis,
        spells.activity_type,
        cast(sum(
            datediff(
                day,
                case when spells.start_date > windows.year_start_date then spells.start_date else windows.year_start_date end,
                case when spells.end_date < windows.year_end_date then spells.end_date else windows.year_end_date end
            ) + 1
        ) as int) as days,  -- INT, SQL Server's type of this SUM, on every engine (PostgreSQL: BIGINT)
        max(spells.n_days) as longest_spell_days
    from windows
    inner join ws.activity_spells as spells
        on spells.person_id = windows.person_id
        and spells.start_date <= windows.year_end_date
        and spells.end_date >= windows.year_start_date
    group by windows.person_id, windows.year, windows.basis, spells.activity_type

),

wide as (

    -- one row per person, year, basis and activity (clipped's GROUP BY), so MAX takes that
    -- row's days: a SUM would add nothing but cost (as in metrics_monthly)
    select
        clipped.person_id,
        clipped.year,
        clipped.basis,
        max(case when clipped.activity_type = 'school' then clipped.days end) as days_school,
        max(case when clipped.activity_type = 'fe' then clipped.days end) as days_fe,
        max(case when clipped.activity_type = 'apprenticeship' then clipped.days end) as days_apprenticeship,
        max(case when clipped.activity_type = 'traineeship' then clipped.days end) as days_traineeship,
        max(case when clipped.activity_type = 'he' then clipped.days end) as days_he,
        max(case when clipped.activity_type = 'employment' then clipped.days end) as days_employment,
        max(case when clipped.activity_type = 'self_employment' then clipped.days end) as days_self_employment,
        max(case when clipped.activity_type = 'out_of_work_benefit' then clipped.days end) as days_out_of_work_benefit,
        max(case when clipped.activity_type = 'disability_carer_benefit' then clipped.days end) as days_disability_carer_benefit,
        max(case when clipped.activity_type = 'in_work_benefit' then clipped.days end) as days_in_work_benefit,
        max(case when clipped.activity_type = 'neet_active' then clipped.days end) as days_neet_active,
        max(case when clipped.activity_type = 'neet_inactive' then clipped.days end) as days_neet_inactive,
        max(case when clipped.activity_type = 'custody' then clipped.days end) as days_custody,
        max(case when clipped.activity_type = 'employment' then clipped.longest_spell_days else 0 end) as longest_employment_spell_days,
        max(case when clipped.activity_type = 'out_of_work_benefit' then clipped.longest_spell_days else 0 end) as longest_out_of_work_benefit_spell_days
    from clipped
    group by clipped.person_id, clipped.year, clipped.basis

)

select
    windows.person_id,  -- the project's person identifier
    windows.ks4_year,  -- KS4 cohort
    windows.year,  -- year the academic or tax year ends (2016 = 2015/16)
    windows.basis,  -- academic (1 Sep-31 Aug) or tax (6 Apr-5 Apr)
    windows.year_start_date,  -- first day of the year
    windows.year_end_date,  -- last day of the year, or the reference date
    windows.is_partial_year,  -- 1 = the year is cut by the reference date
    coalesce(wide.days_school, 0) as days_school,  -- days on a school roll
    coalesce(wide.days_fe, 0) as days_fe,  -- days in further education (classroom aims)
    coalesce(wide.days_apprenticeship, 0) as days_apprenticeship,  -- days on an apprenticeship
    coalesce(wide.days_traineeship, 0) as days_traineeship,  -- days on a traineeship
    coalesce(wide.days_he, 0) as days_he,  -- days in higher education
    coalesce(wide.days_employment, 0) as days_employment,  -- days in PAYE employment
    coalesce(wide.days_self_employment, 0) as days_self_employment,  -- days in a self-employed tax year
    coalesce(wide.days_out_of_work_benefit, 0) as days_out_of_work_benefit,  -- days on out-of-work benefits
    coalesce(wide.days_disability_carer_benefit, 0) as days_disability_carer_benefit,  -- days on disability or carer's benefits (AA, DLA, PIP, ICA)
    coalesce(wide.days_in_work_benefit, 0) as days_in_work_benefit,  -- days on in-work or other benefits
    coalesce(wide.days_neet_active, 0) + coalesce(wide.days_neet_inactive, 0) as days_neet,  -- days recorded NEET by NCCIS (active and inactive: they never overlap)
    coalesce(wide.days_neet_active, 0) as days_neet_active,  -- days NEET and available to the labour market (NCCIS)
    coalesce(wide.days_neet_inactive, 0) as days_neet_inactive,  -- days NEET and not available to the labour market (NCCIS)
    coalesce(wide.days_custody, 0) as days_custody,  -- days in custody (NCCIS)
    coalesce(wide.longest_employment_spell_days, 0) as longest_employment_spell_days,  -- whole length of the longest employment spell touching the year
    case when wide.longest_employment_spell_days >= 181 then 1 else 0 end as is_continuously_employed,  -- 1 = that spell lasts at least 181 days
    coalesce(wide.longest_out_of_work_benefit_spell_days, 0) as longest_out_of_work_benefit_spell_days,  -- whole length of the longest out-of-work benefit spell touching the year
    case when wide.longest_out_of_work_benefit_spell_days >= 181 then 1 else 0 end as is_continuously_on_out_of_work_benefit,  -- 1 = that spell lasts at least 181 days
    case when windows.basis = 'tax' then pay.paye_gbp_nominal end as paye_gbp_nominal,  -- PAYE earnings of the tax year
    case when windows.basis = 'tax' then pay.self_employment_gbp_nominal end as self_employment_gbp_nominal,  -- self-employment earnings of the tax year
    case when windows.basis = 'tax' then pay.total_earnings_gbp_nominal end as total_earnings_gbp_nominal,  -- total earnings of the tax year
    case when windows.basis = 'tax' then pay.total_earnings_gbp_real end as total_earnings_gbp_real,  -- total earnings in @price_base_year prices
    cast(
        case when windows.basis = 'tax' and wide.days_employment > 0
             then cast(pay.paye_gbp_nominal as decimal(14, 2)) / wide.days_employment end
        as decimal(14, 2)
    ) as paye_gbp_per_day_employed  -- PAYE earnings / days in PAYE employment in the tax year (NULL with none)
from windows
left join wide
    on wide.person_id = windows.person_id
    and wide.year = windows.year
    and wide.basis = windows.basis
left join ws.earnings as pay
    on pay.person_id = windows.person_id
    and pay.tax_year = windows.year
