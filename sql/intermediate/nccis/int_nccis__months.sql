/* ---
description: >
  One row per person x NCCIS return month: the person's monthly NCCIS returns (under any of
  their PMRs) resolved to one activity. Month start from stg_npd__nccis (calendar months 9-12 in
  the first year of the academic year, 1-8 in the second). Each return's code is mapped to its
  category by ref_nccis_activity; returns with cohort status M (duplicate record) are excluded
  and counted (n_duplicate_returns, check duplicate_returns); codes absent from
  ref_nccis_activity are unmapped and counted (n_unmapped_returns, check unmapped_activity_codes).
  When a month has returns of two or more categories (n_categories > 1, check
  conflicting_activities) the one with the lowest conflict_priority of ref_nccis_activity wins,
  then the lowest code, then a usable recorded start, then the earliest, then the lowest PMR
  (returns that still tie are equal in every column kept). activity_category is NULL when no
  return of the month is usable (only duplicates or unmapped codes): nccis_spells leaves such
  months out. The recorded activity start is usable (usable_start_date) when it is not after
  the month and not more than five years before it (D73; else counted by check
  implausible_activity_start). Returns with a blank PMR or no month are counted by
  stg_npd__nccis. Sources: stg_npd__nccis, ref_nccis_activity, person_identifier (PMR).
grain: [person_id, month_start_date]
unique:  # every column, all in return_rank's ORDER BY: returns equal in all of them are interchangeable
  returns: [person_id, pmr, month_start_date, activity_code, activity_start_date, is_unmapped,
            conflict_priority, is_duplicate, usable_start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: n_duplicate_returns = 0
    name: duplicate_returns
    description: person-months with returns of cohort status M (duplicate records), which are excluded
    severity: warn
    max_failing_rate: 0.05
  - expression_is_true: n_unmapped_returns = 0
    name: unmapped_activity_codes
    description: person-months with a return whose code is not in ref_nccis_activity (left out)
    severity: warn
    max_failing_rate: 0.001
  - expression_is_true: n_categories <= 1
    name: conflicting_activities
    description: person-months with returns of two or more activity categories (resolved by conflict_priority)
    severity: warn
    max_failing_rate: 0.01
  - expression_is_true: recorded_start_date is null or usable_start_date is not null
    name: implausible_activity_start
    description: recorded activity starts after the month or more than five years before it (not used)
    severity: warn
    max_failing_rate: 0.05
indexes: [[person_id]]
--- */

with

returns as (

    -- narrow rows: the category (a string) is looked up again only for the chosen return
    select
        ids.person_id,
        nccis.pmr,
        nccis.month_start_date,
        nccis.activity_code,
        nccis.activity_start_date,
        case when activity.activity_code is null then 1 else 0 end as is_unmapped,
        activity.conflict_priority,
        case when nccis.cohort_status = 'M' then 1 else 0 end as is_duplicate,
        case
            when nccis.activity_start_date <= eomonth(nccis.month_start_date)
                and nccis.activity_start_date >= dateadd(year, -5, nccis.month_start_date)
                then nccis.activity_start_date
        end as usable_start_date
    from ws.stg_npd__nccis as nccis
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = nccis.pmr
    left join ws.ref_nccis_activity as activity
        on activity.activity_code = nccis.activity_code
    where nccis.month_start_date is not null

),

ranked as (

    -- the month's choice and its counts in one pass over the returns sorted by person and month
    -- (a GROUP BY of the counts joined back cost two more hashings of every return: 600,000
    -- pupils 39 s -> 27 s); distinct categories and PMRs from the extreme codes and PMRs (a month
    -- almost always has one of each), recounted exactly below where they differ
    select
        returns.*,
        row_number() over (
            partition by returns.person_id, returns.month_start_date
            order by
                returns.is_duplicate,
                returns.is_unmapped,
                returns.conflict_priority,
                returns.activity_code,
                case when returns.usable_start_date is null then 1 else 0 end,
                returns.usable_start_date,
                returns.activity_start_date,
                returns.pmr
        ) as return_rank,
        count(*) over (partition by returns.person_id, returns.month_start_date) as n_returns,
        sum(returns.is_duplicate) over (partition by returns.person_id, returns.month_start_date) as n_duplicate_returns,
        sum(case when returns.is_duplicate = 0 and returns.is_unmapped = 1 then 1 else 0 end)
            over (partition by returns.person_id, returns.month_start_date) as n_unmapped_returns,
        min(case when returns.is_duplicate = 0 and returns.is_unmapped = 0 then returns.activity_code end)
            over (partition by returns.person_id, returns.month_start_date) as first_code,
        max(case when returns.is_duplicate = 0 and returns.is_unmapped = 0 then returns.activity_code end)
            over (partition by returns.person_id, returns.month_start_date) as last_code,
        min(returns.pmr) over (partition by returns.person_id, returns.month_start_date) as first_pmr,
        max(returns.pmr) over (partition by returns.person_id, returns.month_start_date) as last_pmr
    from returns

),

recounted as (

    -- exact distinct counts, only for the few months (about 1 %) with two codes or two PMRs
    select
        ranked.person_id,
        ranked.month_start_date,
        count(distinct case when ranked.is_duplicate = 0 then activity.activity_category end) as n_categories,
        count(distinct ranked.pmr) as n_pmrs
    from ranked
    left join ws.ref_nccis_activity as activity
        on activity.activity_code = ranked.activity_code
    where ranked.first_code <> ranked.last_code
        or ranked.first_pmr <> ranked.last_pmr
    group by ranked.person_id, ranked.month_start_date

)

select
    ---------- ids
    ranked.person_id,  -- the project's person identifier
    ranked.month_start_date,  -- first day of the return month
    case when ranked.is_duplicate = 0 then ranked.pmr end as pmr,  -- PMR of the chosen return

    ---------- the month's activity
    case when ranked.is_duplicate = 0 then activity.activity_category end as activity_category,  -- category of the chosen return; NULL = no usable return
    case when ranked.is_duplicate = 0 then ranked.conflict_priority end as conflict_priority,  -- its conflict priority (1 wins)
    case when ranked.is_duplicate = 0 then ranked.activity_code end as activity_code,  -- NCCIS code of the chosen return (even if unmapped)
    case when ranked.is_duplicate = 0 then ranked.activity_start_date end as recorded_start_date,  -- activity start as recorded on the chosen return
    case when ranked.is_duplicate = 0 then ranked.usable_start_date end as usable_start_date,  -- the recorded start if not after the month nor 5+ years before it

    ---------- counts
    cast(ranked.n_returns as int) as n_returns,  -- returns of the month (all cohort statuses)
    cast(ranked.n_duplicate_returns as int) as n_duplicate_returns,  -- returns with cohort status M (duplicate record): excluded
    cast(ranked.n_unmapped_returns as int) as n_unmapped_returns,  -- non-duplicate returns whose code is not in ref_nccis_activity
    coalesce(
        recounted.n_categories,
        case when ranked.first_code is null then 0 else 1 end
    ) as n_categories,  -- activity categories among the non-duplicate returns (above 1 = conflict)
    coalesce(recounted.n_pmrs, 1) as n_pmrs  -- PMRs the month's returns came under
from ranked
left join recounted
    on recounted.person_id = ranked.person_id
    and recounted.month_start_date = ranked.month_start_date
left join ws.ref_nccis_activity as activity
    on activity.activity_code = ranked.activity_code
where ranked.return_rank = 1
