/* ---
description: >
  One row per KS4 cohort member x month after KS4: the frame of monthly metrics and sequences.
  Month 1 is the September after the pupil's KS4 year; months continue for @months_after_ks4
  months (default 108, to about age 25) and stop at the reference date; the last month ends at
  the reference date when it cuts the month (is_partial_month = 1).
grain: [person_id, month_index]
--- */

with

calendar as (

    select * from ws.ref_calendar_months

)

select
    cohort.person_id,  -- the project's person identifier
    cohort.ks4_year,  -- KS4 cohort
    (calendar.calendar_year - cohort.ks4_year) * 12 + calendar.month_no - 8 as month_index,  -- 1 = the September after KS4
    calendar.month_start_date,  -- first day of the month
    case when calendar.month_end_date > @reference_date then @reference_date else calendar.month_end_date end as month_end_date,  -- last day of the month, or the reference date
    case when calendar.month_end_date > @reference_date then 1 else 0 end as is_partial_month,  -- 1 = cut by the reference date
    calendar.academic_year  -- academic-year end of the month
from ws.ks4_cohort as cohort
inner join calendar
    on calendar.month_start_date >= datefromparts(cohort.ks4_year, 9, 1)
    and (calendar.calendar_year - cohort.ks4_year) * 12 + calendar.month_no - 8 <= @months_after_ks4
    and calendar.month_start_date <= @reference_date
