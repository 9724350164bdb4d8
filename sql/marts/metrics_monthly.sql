/* ---
description: >
  One row per KS4 cohort member x month from the September after KS4 (month 1) for
  @months_after_ks4 months, up to the reference date: the days of each activity in the month
  (0 when none), from activity_spells clipped to the month (a month cut by the reference date
  counts its days up to it; same-type spells do not overlap, so the days of one activity never
  exceed the month's). Activities overlap (a student can work), so the days of a month can add up
  to more than its length. This is the month grid of the person-month tables:
  transition_sequence takes each month's state from it.
grain: [person_id, month_index]
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - expression_is_true: days_employment <= datediff(day, month_start_date, month_end_date) + 1
indexes: [[person_id]]
--- */

with

month_overlaps as (

    -- each activity spell overlapping a month of the frame, with its days in the month
    select
        months.person_id,
        months.month_index,
        spells.activity_type,
        datediff(
            day,
            case when spells.start_date > months.month_start_date then spells.start_date else months.month_start_date end,
            case when spells.end_date < months.month_end_date then spells.end_date else months.month_end_date end
        ) + 1 as days
    from ws.int_cohort_months as months
    inner join ws.activity_spells as spells
        on spells.person_id = months.person_id
        and spells.start_date <= months.month_end_date
        and spells.end_date >= months.month_start_date

),

activity_days as (

    -- one row per person, month and activity: several spells of one activity in a month add up
    select
        month_overlaps.person_id,
        month_overlaps.month_index,
        month_overlaps.activity_type,
        cast(sum(month_overlaps.days) as int) as days
    from month_overlaps
    group by month_overlaps.person_id, month_overlaps.month_index, month_overlaps.activity_type

),

days as (

    -- one row per person and month with any activity, each activity's days in a column; MAX takes
    -- the one row of activity_days (a SUM would add nothing but cost: DuckDB sums integers in
    -- 128-bit states; here the whole pivot took 7.9 s with SUM and 6.0 s this way at 100,000)
    select
        activity_days.person_id,
        activity_days.month_index,
        max(case when activity_days.activity_type = 'school' then activity_days.days end) as days_school,
        max(case when activity_days.activity_type = 'fe' then activity_days.days end) as days_fe,
        max(case when activity_days.activity_type = 'apprenticeship' then activity_days.days end) as days_apprenticeship,
        max(case when activity_days.activity_type = 'traineeship' then activity_days.days end) as days_traineeship,
        max(case when activity_days.activity_type = 'he' then activity_days.days end) as days_he,
        max(case when activity_days.activity_type = 'employment' then activity_days.days end) as days_employment,
        max(case when activity_days.activity_type = 'self_employment' then activity_days.days end) as days_self_employment,
        max(case when activity_days.activity_type = 'out_of_work_benefit' then activity_days.days end) as days_out_of_work_benefit,
        max(case when activity_days.activity_type = 'disability_carer_benefit' then activity_days.days end) as days_disability_carer_benefit,
        max(case when activity_days.activity_type = 'in_work_benefit' then activity_days.days end) as days_in_work_benefit,
        max(case when activity_days.activity_type = 'neet_active' then activity_days.days end) as days_neet_active,
        max(case when activity_days.activity_type = 'neet_inactive' then activity_days.days end) as days_neet_inactive,
        max(case when activity_days.activity_type = 'custody' then activity_days.days end) as days_custody
    from activity_days
    group by activity_days.person_id, activity_days.month_index

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
