/* ---
description: >
  One row per KS4 cohort member x month from the September after KS4: the month's single state,
  the highest-priority activity of the month (ref_state_hierarchy, from setting state_hierarchy;
  default custody, apprenticeship, he, school, fe, traineeship, employment, self_employment,
  out_of_work_benefit, neet, in_work_benefit) with at least @state_min_days days in the month,
  or not_captured when no source records any. n_activities counts the month's activities that
  reached the threshold, so a researcher can see what the hierarchy hid.
grain: [person_id, month_index]
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - not_null: [state]
indexes: [[person_id]]
--- */

with

top_priority as (

    -- the month's highest-priority activity (priorities are unique: 1, 2, 3... in setting order)
    select
        activity.person_id,
        activity.month_index,
        min(hierarchy.priority) as top_priority,
        count(*) as n_activities
    from ws.int_activity_months as activity
    inner join ws.ref_state_hierarchy as hierarchy
        on hierarchy.activity_type = activity.activity_type
    where activity.days_in_month >= @state_min_days
    group by activity.person_id, activity.month_index

)

select
    months.person_id,  -- the project's person identifier
    months.ks4_year,  -- KS4 cohort
    months.month_index,  -- 1 = the September after KS4
    months.month_start_date,  -- first day of the month
    coalesce(hierarchy.activity_type, 'not_captured') as state,  -- the month's state by the hierarchy
    coalesce(top_priority.n_activities, 0) as n_activities  -- activities above the threshold in the month
from ws.int_cohort_months as months
left join top_priority
    on top_priority.person_id = months.person_id
    and top_priority.month_index = months.month_index
left join ws.ref_state_hierarchy as hierarchy
    on hierarchy.priority = top_priority.top_priority
