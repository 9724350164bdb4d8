/* ---
description: >
  One row per KS4 cohort member x month from the September after KS4: the month's single state.
  Rule (docs/decisions.md, rule 2): the highest-priority activity of the month by
  ref_state_hierarchy (setting state_hierarchy; default custody, apprenticeship, he, school, fe,
  traineeship, employment, self_employment, out_of_work_benefit, neet_active, neet_inactive,
  disability_carer_benefit, in_work_benefit) among the activities with at least the hierarchy's
  min_days days in the month (settings state_min_days, default 1, and
  state_min_days_by_activity). Work above out-of-work benefits and NEET follows the ONS (ILO)
  definition, under which any paid work in the period makes a person employed, and DfE's NEET
  and sustained-employment measures, which count a month of work from one day; education above
  work follows DfE's destination measures. Rule 1: a month no direct source covers takes the
  activity of the person's NCCIS return for that month (ref_nccis_activity.fill_activity_type:
  education, apprenticeship, employment or training; state_source = nccis) when setting
  nccis_fills_gaps is on (default: for a 16-18 year old under-matched in the ILR, HESA or HMRC
  data NCCIS is the only evidence, and Sickotra ranks it first; DfE-style destinations never use
  it); else not_captured. n_activities counts the month's activities that reached their
  threshold, so a researcher can see what the hierarchy hid.
grain: [person_id, month_index]
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - not_null: [state]
  - accepted_values: {column: state_source, values: [direct, nccis, none]}
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
    where activity.days_in_month >= hierarchy.min_days
    group by activity.person_id, activity.month_index

),

nccis_fill as (

    -- the activity of the month's NCCIS return, for months no direct source covers (joined to
    -- the month frame below by its first day, which is unique per person like month_index)
    select
        returns.person_id,
        returns.month_start_date,
        activity.fill_activity_type
    from ws.int_nccis__months as returns
    inner join ws.ref_nccis_activity as activity
        on activity.activity_code = returns.activity_code
    inner join ws.ref_state_hierarchy as hierarchy  -- only activities the hierarchy lists
        on hierarchy.activity_type = activity.fill_activity_type
    where @nccis_fills_gaps = 1
        and returns.activity_category is not null
        and activity.fill_activity_type is not null

)

select
    months.person_id,  -- the project's person identifier
    months.ks4_year,  -- KS4 cohort
    months.month_index,  -- 1 = the September after KS4
    months.month_start_date,  -- first day of the month
    coalesce(hierarchy.activity_type, nccis_fill.fill_activity_type, 'not_captured') as state,  -- the month's state by the hierarchy, else NCCIS, else not_captured
    case
        when hierarchy.activity_type is not null then 'direct'
        when nccis_fill.fill_activity_type is not null then 'nccis'
        else 'none'
    end as state_source,  -- direct = a source recording the activity itself; nccis = filled from the NCCIS return; none = not_captured
    cast(coalesce(top_priority.n_activities, 0) as int) as n_activities  -- activities above their threshold in the month
from ws.int_cohort_months as months
left join top_priority
    on top_priority.person_id = months.person_id
    and top_priority.month_index = months.month_index
left join ws.ref_state_hierarchy as hierarchy
    on hierarchy.priority = top_priority.top_priority
left join nccis_fill
    on nccis_fill.person_id = months.person_id
    and nccis_fill.month_start_date = months.month_start_date
