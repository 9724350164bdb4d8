/* ---
description: >
  One row per KS4 cohort member x month after KS4 x activity type with at least one day of that
  activity in the month: the days of the activity in the month (from activity_spells, whose
  same-type spells do not overlap). Months run from the September after KS4 (month 1) for
  @months_after_ks4 months, and stop at the reference date (a month cut by it counts its days up
  to it). The frame of every month of every cohort member is int_cohort_months.
grain: [person_id, month_index, activity_type]
checks:
  - expression_is_true: days_in_month between 1 and 31
--- */

with

months as (

    select * from ws.int_cohort_months

)

select
    months.person_id,  -- the project's person identifier
    months.month_index,  -- 1 = the September after KS4
    spells.activity_type,  -- activity type of activity_spells
    cast(sum(
        datediff(
            day,
            case when spells.start_date > months.month_start_date then spells.start_date else months.month_start_date end,
            case when spells.end_date < months.month_end_date then spells.end_date else months.month_end_date end
        ) + 1
    ) as int) as days_in_month  -- days of the activity in the month
from months
inner join ws.activity_spells as spells
    on spells.person_id = months.person_id
    and spells.start_date <= months.month_end_date
    and spells.end_date >= months.month_start_date
group by months.person_id, months.month_index, spells.activity_type
