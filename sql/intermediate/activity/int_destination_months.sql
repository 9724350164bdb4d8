/* ---
description: >
  One row per KS4 cohort member x destination year (1, 3 and 5 years after KS4) x month of that
  year (August to July, as DfE's destination measures): which activities the person had on at
  least one day of the month, from activity_spells. Education is school (a sixth form: a school
  spell that runs past the August after KS4), fe, he or traineeship; employment includes self-employment. Only destination years that
  end on or before the reference date.
grain: [person_id, destination_year, month_start_date]
--- */

with

years as (

    select cohort.person_id, cohort.ks4_year, horizons.destination_year
    from ws.ks4_cohort as cohort
    cross join (select 1 as destination_year union all select 3 union all select 5) as horizons
    where datefromparts(cohort.ks4_year + horizons.destination_year, 7, 31) <= @reference_date

),

months as (

    select
        years.*,
        calendar.month_start_date,
        calendar.month_end_date,
        calendar.month_no
    from years
    inner join ws.ref_calendar_months as calendar
        -- August to July: the destination year a month falls in, as an equality (a hash join)
        on case when calendar.month_no >= 8 then calendar.calendar_year + 1 else calendar.calendar_year end
            = years.ks4_year + years.destination_year

),

month_overlaps as (

    -- each activity spell overlapping a month of a destination year, with its days in the month
    select
        months.person_id,
        months.destination_year,
        months.month_start_date,
        spells.activity_type,
        datediff(
            day,
            case when spells.start_date > months.month_start_date then spells.start_date else months.month_start_date end,
            case when spells.end_date < months.month_end_date then spells.end_date else months.month_end_date end
        ) + 1 as days
    from months
    inner join ws.activity_spells as spells
        on spells.person_id = months.person_id
        and spells.start_date <= months.month_end_date
        and spells.end_date >= months.month_start_date
        -- Year 11 itself is not a destination: a school spell counts only if it runs past KS4's August
        and (spells.activity_type <> 'school' or spells.end_date > datefromparts(months.ks4_year, 8, 31))

),

activity_days as (

    -- one row per person, month and activity: several spells of one activity in a month add up
    select
        month_overlaps.person_id,
        month_overlaps.destination_year,
        month_overlaps.month_start_date,
        month_overlaps.activity_type,
        cast(sum(month_overlaps.days) as int) as days
    from month_overlaps
    group by
        month_overlaps.person_id,
        month_overlaps.destination_year,
        month_overlaps.month_start_date,
        month_overlaps.activity_type

),

activity as (

    -- one row per person and month with any activity; MAX takes an activity's one row of
    -- activity_days (as in metrics_monthly: cheaper than a SUM on DuckDB, INT on every engine)
    select
        activity_days.person_id,
        activity_days.destination_year,
        activity_days.month_start_date,
        max(case when activity_days.activity_type in ('school', 'fe', 'he', 'traineeship') then 1 else 0 end) as has_education,
        max(case when activity_days.activity_type = 'apprenticeship' then 1 else 0 end) as has_apprenticeship,
        max(case when activity_days.activity_type in ('employment', 'self_employment') then 1 else 0 end) as has_employment,
        max(case when activity_days.activity_type = 'out_of_work_benefit' then 1 else 0 end) as has_out_of_work_benefit,
        max(case when activity_days.activity_type in ('neet_active', 'neet_inactive') then 1 else 0 end) as has_neet,
        max(case when activity_days.activity_type = 'school' then activity_days.days else 0 end) as days_school,
        max(case when activity_days.activity_type = 'fe' then activity_days.days else 0 end) as days_fe,
        max(case when activity_days.activity_type = 'he' then activity_days.days else 0 end) as days_he,
        max(case when activity_days.activity_type = 'traineeship' then activity_days.days else 0 end) as days_traineeship
    from activity_days
    group by activity_days.person_id, activity_days.destination_year, activity_days.month_start_date

)

select
    months.person_id,  -- the project's person identifier
    months.ks4_year,  -- KS4 cohort
    months.destination_year,  -- 1, 3 or 5 years after KS4
    months.month_start_date,  -- first day of the month
    case when months.month_no between 10 and 12 or months.month_no between 1 and 3 then 1 else 0 end as is_october_to_march,  -- in the six months the sustained measures look at
    coalesce(activity.has_education, 0) as has_education,  -- any education in the month
    coalesce(activity.has_apprenticeship, 0) as has_apprenticeship,  -- on an apprenticeship in the month
    coalesce(activity.has_employment, 0) as has_employment,  -- employed or self-employed in the month
    coalesce(activity.has_out_of_work_benefit, 0) as has_out_of_work_benefit,  -- claiming an out-of-work benefit in the month
    coalesce(activity.has_neet, 0) as has_neet,  -- recorded NEET in the month
    coalesce(activity.days_school, 0) as days_school,  -- days in a school sixth form
    coalesce(activity.days_fe, 0) as days_fe,  -- days in further education
    coalesce(activity.days_he, 0) as days_he,  -- days in higher education
    coalesce(activity.days_traineeship, 0) as days_traineeship  -- days on a traineeship
from months
left join activity
    on activity.person_id = months.person_id
    and activity.destination_year = months.destination_year
    and activity.month_start_date = months.month_start_date
