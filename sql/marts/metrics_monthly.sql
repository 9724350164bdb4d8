/* ---
description: >
  One row per KS4 cohort member x month from the September after KS4 (month 1) for
  @months_after_ks4 months, up to the reference date: the days of each activity in the month
  (0 when none), from activity_spells clipped to the month through int_activity_months (a month
  cut by the reference date counts its days up to it). Activities overlap (a student can work),
  so the days of a month can add up to more than its length; each activity alone never exceeds
  it (same-type spells do not overlap). This is the month grid of the person-month tables:
  transition_sequence takes each month's state from it.
grain: [person_id, month_index]
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - expression_is_true: days_employment <= datediff(day, month_start_date, month_end_date) + 1
indexes: [[person_id]]
--- */

with

days as (

    -- one row per person, month and activity (int_activity_months' grain, which its blocking
    -- grain_unique check holds), so MAX takes that row's days: a SUM would add nothing but cost
    -- (DuckDB sums integers in 128-bit states; docs/benchmarks.md: 7.8 s -> 5.6 s at 100,000)
    select
        activity.person_id,
        activity.month_index,
        max(case when activity.activity_type = 'school' then activity.days_in_month end) as days_school,
        max(case when activity.activity_type = 'fe' then activity.days_in_month end) as days_fe,
        max(case when activity.activity_type = 'apprenticeship' then activity.days_in_month end) as days_apprenticeship,
        max(case when activity.activity_type = 'traineeship' then activity.days_in_month end) as days_traineeship,
        max(case when activity.activity_type = 'he' then activity.days_in_month end) as days_he,
        max(case when activity.activity_type = 'employment' then activity.days_in_month end) as days_employment,
        max(case when activity.activity_type = 'self_employment' then activity.days_in_month end) as days_self_employment,
        max(case when activity.activity_type = 'out_of_work_benefit' then activity.days_in_month end) as days_out_of_work_benefit,
        max(case when activity.activity_type = 'disability_carer_benefit' then activity.days_in_month end) as days_disability_carer_benefit,
        max(case when activity.activity_type = 'in_work_benefit' then activity.days_in_month end) as days_in_work_benefit,
        max(case when activity.activity_type = 'neet_active' then activity.days_in_month end) as days_neet_active,
        max(case when activity.activity_type = 'neet_inactive' then activity.days_in_month end) as days_neet_inactive,
        max(case when activity.activity_type = 'custody' then activity.days_in_month end) as days_custody
    from ws.int_activity_months as activity
    group by activity.person_id, activity.month_index

)

select
    months.person_id,  -- the project's person identifier
    months.ks4_year,  -- KS4 cohort
    months.month_index,  -- 1 = the September after KS4
    months.month_start_date,  -- first day of the month
    months.month_end_date,  -- last day of the month (the reference date in a cut month)
    months.is_partial_month,  -- 1 = the month is cut by the reference date
    coalesce(days.days_school, 0) as days_school,  -- days on a school roll
    coalesce(days.days_fe, 0) as days_fe,  -- days in further education (classroom aims)
    coalesce(days.days_apprenticeship, 0) as days_apprenticeship,  -- days on an apprenticeship
    coalesce(days.days_traineeship, 0) as days_traineeship,  -- days on a traineeship
    coalesce(days.days_he, 0) as days_he,  -- days in higher education
    coalesce(days.days_employment, 0) as days_employment,  -- days in PAYE employment
    coalesce(days.days_self_employment, 0) as days_self_employment,  -- days in a self-employed tax year
    coalesce(days.days_out_of_work_benefit, 0) as days_out_of_work_benefit,  -- days on out-of-work benefits
    coalesce(days.days_disability_carer_benefit, 0) as days_disability_carer_benefit,  -- days on disability or carer's benefits (AA, DLA, PIP, ICA)
    coalesce(days.days_in_work_benefit, 0) as days_in_work_benefit,  -- days on in-work or other benefits
    coalesce(days.days_neet_active, 0) + coalesce(days.days_neet_inactive, 0) as days_neet,  -- days recorded NEET by NCCIS (active and inactive: they never overlap)
    coalesce(days.days_neet_active, 0) as days_neet_active,  -- days NEET and available to the labour market (NCCIS)
    coalesce(days.days_neet_inactive, 0) as days_neet_inactive,  -- days NEET and not available to the labour market (NCCIS)
    coalesce(days.days_custody, 0) as days_custody  -- days in custody (NCCIS)
from ws.int_cohort_months as months
left join days
    on days.person_id = months.person_id
    and days.month_index = months.month_index
