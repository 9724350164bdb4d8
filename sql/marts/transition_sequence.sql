/* ---
description: >
  One row per KS4 cohort member x month from the September after KS4: the month's single state.
  Rule (docs/decisions.md, rule 2): the highest-priority activity of the month by
  ref_state_hierarchy (setting state_hierarchy; default custody, apprenticeship, he, school, fe,
  traineeship, employment, self_employment, out_of_work_benefit, neet_active, neet_inactive,
  disability_carer_benefit, in_work_benefit) among the activities with at least the hierarchy's
  min_days days in the month (settings state_min_days, default 1, and
  state_min_days_by_activity); an activity the hierarchy does not list never becomes a state.
  Work above out-of-work benefits and NEET follows the ONS (ILO) definition, under which any
  paid work in the period makes a person employed, and DfE's NEET and sustained-employment
  measures, which count a month of work from one day; education above work follows DfE's
  destination measures. Rule 1: a month no direct source covers takes the
  activity of the person's NCCIS return for that month (ref_nccis_activity.fill_activity_type:
  education, apprenticeship, employment or training; state_source = nccis) when setting
  nccis_fills_gaps is on (default: for a 16-18 year old under-matched in the ILR, HESA or HMRC
  data NCCIS is the only evidence, and Sickotra ranks it first; DfE-style destinations never use
  it); else not_captured. n_activities counts the month's activities that reached their
  threshold, so a researcher can see what the hierarchy hid. The days of each activity come from
  metrics_monthly, the month grid.
grain: [person_id, month_index]
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - not_null: [state]
  - accepted_values: {column: state_source, values: [direct, nccis, none]}
indexes: [[person_id]]
--- */

with

hierarchy as (

    -- ref_state_hierarchy as one row: per activity its threshold and its priority as a bit
    -- (priority 1 -> 1, 2 -> 2, 3 -> 4, ...: priorities are unique, 1, 2, 3... in setting
    -- order, so the lowest bit set in a month's mask is its highest-priority activity). An
    -- activity the hierarchy does not list has NULLs and never qualifies.
    select
        max(case when ref.activity_type = 'school' then ref.min_days end) as min_school,
        max(case when ref.activity_type = 'fe' then ref.min_days end) as min_fe,
        max(case when ref.activity_type = 'apprenticeship' then ref.min_days end) as min_apprenticeship,
        max(case when ref.activity_type = 'traineeship' then ref.min_days end) as min_traineeship,
        max(case when ref.activity_type = 'he' then ref.min_days end) as min_he,
        max(case when ref.activity_type = 'employment' then ref.min_days end) as min_employment,
        max(case when ref.activity_type = 'self_employment' then ref.min_days end) as min_self_employment,
        max(case when ref.activity_type = 'out_of_work_benefit' then ref.min_days end) as min_out_of_work_benefit,
        max(case when ref.activity_type = 'disability_carer_benefit' then ref.min_days end) as min_disability_carer_benefit,
        max(case when ref.activity_type = 'in_work_benefit' then ref.min_days end) as min_in_work_benefit,
        max(case when ref.activity_type = 'neet_active' then ref.min_days end) as min_neet_active,
        max(case when ref.activity_type = 'neet_inactive' then ref.min_days end) as min_neet_inactive,
        max(case when ref.activity_type = 'custody' then ref.min_days end) as min_custody,
        max(case when ref.activity_type = 'school' then ref.priority_bit end) as bit_school,
        max(case when ref.activity_type = 'fe' then ref.priority_bit end) as bit_fe,
        max(case when ref.activity_type = 'apprenticeship' then ref.priority_bit end) as bit_apprenticeship,
        max(case when ref.activity_type = 'traineeship' then ref.priority_bit end) as bit_traineeship,
        max(case when ref.activity_type = 'he' then ref.priority_bit end) as bit_he,
        max(case when ref.activity_type = 'employment' then ref.priority_bit end) as bit_employment,
        max(case when ref.activity_type = 'self_employment' then ref.priority_bit end) as bit_self_employment,
        max(case when ref.activity_type = 'out_of_work_benefit' then ref.priority_bit end) as bit_out_of_work_benefit,
        max(case when ref.activity_type = 'disability_carer_benefit' then ref.priority_bit end) as bit_disability_carer_benefit,
        max(case when ref.activity_type = 'in_work_benefit' then ref.priority_bit end) as bit_in_work_benefit,
        max(case when ref.activity_type = 'neet_active' then ref.priority_bit end) as bit_neet_active,
        max(case when ref.activity_type = 'neet_inactive' then ref.priority_bit end) as bit_neet_inactive,
        max(case when ref.activity_type = 'custody' then ref.priority_bit end) as bit_custody
    from (
        select
            listed.activity_type,
            listed.min_days,
            cast(power(2, listed.priority - 1) as int) as priority_bit
        from ws.ref_state_hierarchy as listed
    ) as ref

),

qualifying as (

    -- per month and activity: the activity's bit when its days reached its threshold, else 0
    select
        months.person_id,
        months.ks4_year,
        months.month_index,
        months.month_start_date,
        case when months.days_school >= hierarchy.min_school then hierarchy.bit_school else 0 end as reached_school,
        case when months.days_fe >= hierarchy.min_fe then hierarchy.bit_fe else 0 end as reached_fe,
        case when months.days_apprenticeship >= hierarchy.min_apprenticeship then hierarchy.bit_apprenticeship else 0 end as reached_apprenticeship,
        case when months.days_traineeship >= hierarchy.min_traineeship then hierarchy.bit_traineeship else 0 end as reached_traineeship,
        case when months.days_he >= hierarchy.min_he then hierarchy.bit_he else 0 end as reached_he,
        case when months.days_employment >= hierarchy.min_employment then hierarchy.bit_employment else 0 end as reached_employment,
        case when months.days_self_employment >= hierarchy.min_self_employment then hierarchy.bit_self_employment else 0 end as reached_self_employment,
        case when months.days_out_of_work_benefit >= hierarchy.min_out_of_work_benefit then hierarchy.bit_out_of_work_benefit else 0 end as reached_out_of_work_benefit,
        case when months.days_disability_carer_benefit >= hierarchy.min_disability_carer_benefit then hierarchy.bit_disability_carer_benefit else 0 end as reached_disability_carer_benefit,
        case when months.days_in_work_benefit >= hierarchy.min_in_work_benefit then hierarchy.bit_in_work_benefit else 0 end as reached_in_work_benefit,
        case when months.days_neet_active >= hierarchy.min_neet_active then hierarchy.bit_neet_active else 0 end as reached_neet_active,
        case when months.days_neet_inactive >= hierarchy.min_neet_inactive then hierarchy.bit_neet_inactive else 0 end as reached_neet_inactive,
        case when months.days_custody >= hierarchy.min_custody then hierarchy.bit_custody else 0 end as reached_custody
    from ws.metrics_monthly as months
    cross join hierarchy

),

masked as (

    -- per month: the bits of the activities that reached their threshold, and how many did
    select
        reached.person_id,
        reached.ks4_year,
        reached.month_index,
        reached.month_start_date,
        reached.reached_school + reached.reached_fe + reached.reached_apprenticeship
        + reached.reached_traineeship + reached.reached_he + reached.reached_employment
        + reached.reached_self_employment + reached.reached_out_of_work_benefit
        + reached.reached_disability_carer_benefit + reached.reached_in_work_benefit
        + reached.reached_neet_active + reached.reached_neet_inactive + reached.reached_custody
        as mask,
        sign(reached.reached_school) + sign(reached.reached_fe)
        + sign(reached.reached_apprenticeship) + sign(reached.reached_traineeship)
        + sign(reached.reached_he) + sign(reached.reached_employment)
        + sign(reached.reached_self_employment) + sign(reached.reached_out_of_work_benefit)
        + sign(reached.reached_disability_carer_benefit) + sign(reached.reached_in_work_benefit)
        + sign(reached.reached_neet_active) + sign(reached.reached_neet_inactive)
        + sign(reached.reached_custody)
        as n_activities
    from qualifying as reached

),

top_activity as (

    -- the lowest bit set in the mask (mask & -mask, in two's complement) is the highest-priority
    -- activity; a mask of 0 (no activity reached its threshold) matches no bit and gives NULL
    select
        masked.*,
        case masked.mask & -masked.mask
            when hierarchy.bit_school then 'school'
            when hierarchy.bit_fe then 'fe'
            when hierarchy.bit_apprenticeship then 'apprenticeship'
            when hierarchy.bit_traineeship then 'traineeship'
            when hierarchy.bit_he then 'he'
            when hierarchy.bit_employment then 'employment'
            when hierarchy.bit_self_employment then 'self_employment'
            when hierarchy.bit_out_of_work_benefit then 'out_of_work_benefit'
            when hierarchy.bit_disability_carer_benefit then 'disability_carer_benefit'
            when hierarchy.bit_in_work_benefit then 'in_work_benefit'
            when hierarchy.bit_neet_active then 'neet_active'
            when hierarchy.bit_neet_inactive then 'neet_inactive'
            when hierarchy.bit_custody then 'custody'
        end as activity_type
    from masked
    cross join hierarchy

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
    coalesce(months.activity_type, nccis_fill.fill_activity_type, 'not_captured') as state,  -- the month's state by the hierarchy, else NCCIS, else not_captured
    case
        when months.activity_type is not null then 'direct'
        when nccis_fill.fill_activity_type is not null then 'nccis'
        else 'none'
    end as state_source,  -- direct = a source recording the activity itself; nccis = filled from the NCCIS return; none = not_captured
    cast(months.n_activities as int) as n_activities  -- activities above their threshold in the month
from top_activity as months
left join nccis_fill
    on nccis_fill.person_id = months.person_id
    and nccis_fill.month_start_date = months.month_start_date
