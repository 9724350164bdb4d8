/* ---
description: >
  One row per person x NCCIS activity spell: the person's monthly NCCIS returns (one activity per
  month, int_nccis__months) collapsed into spells of one activity category (ref_nccis_activity:
  education, apprenticeship, training, employment, self_employment, neet_active, neet_inactive,
  custody, other, not_known). Decision 9, deterministic throughout: returns of the same category
  merge when at most one month without a return lies between them (a one-month gap is bridged),
  or, whatever the gap, when the later return's recorded activity start shows the activity
  already running on the day after the earlier return's month (so two spells of one category
  never touch); any other change of category, or a longer gap, starts a new spell. Nothing is
  imputed: gaps between spells stay gaps (no random allocation as in FFT, D69). Start: the first
  return's recorded activity start when usable (not after its month, not more than five years
  before it, D73) and after the first month of the person's previous spell (a late-reported start
  can shorten the previous spell, never remove it); else the first day of the first month. End:
  the last day of the last month seen, or the day before the next spell starts if that is
  earlier, so one person's spells never overlap. A spell still running in the last month of the
  NCCIS data is open (end_rule open, is_censored = 1) and censored where observation stops: the
  end of that month, or the reference date if earlier. It is not extended to a later reference
  date: NCCIS tracks 16-18 year olds, so a cohort-restricted extract ends when its youngest
  cohort ages out, years before the reference date (check end_within_last_return_month). Spells
  starting after the reference date are left out; ends after it are clipped there
  (is_censored = 1). Months whose only returns are duplicates (cohort status M) or unmapped codes
  are left out (counted in int_nccis__months). Source: int_nccis__months (stg_npd__nccis,
  ref_nccis_activity, person_identifier via PMR).
grain: [person_id, start_date]
unique:  # keys passed through a select * (months: the grain of ws.int_nccis__months; spells: its group by)
  flagged: [person_id, month_start_date]
  numbered: [person_id, month_start_date]
  started: [person_id, spell_no]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - expression_is_true: end_date <= @reference_date
  - accepted_values: {column: activity_category, values: [education, apprenticeship, training, employment, self_employment, neet_active, neet_inactive, custody, other, not_known]}
  - accepted_values: {column: start_rule, values: [recorded_start, month_start]}
  - accepted_values: {column: end_rule, values: [last_return_month, next_spell_start, open]}
  - expression_is_true: end_date <= eomonth(last_return_month_date)
    name: end_within_last_return_month
    description: no spell runs past its last return month (nothing is imputed)
indexes: [[person_id]]
--- */

with

coverage as (

    -- the last month of the NCCIS data: a spell still running then is open
    select max(months.month_start_date) as last_month_date
    from ws.int_nccis__months as months

),

months as (

    select
        months.person_id,
        months.month_start_date,
        months.activity_category,
        months.activity_code,
        months.recorded_start_date,
        months.usable_start_date,
        months.n_categories,
        lag(months.activity_category) over (
            partition by months.person_id order by months.month_start_date
        ) as previous_category,
        lag(months.month_start_date) over (
            partition by months.person_id order by months.month_start_date
        ) as previous_month_date
    from ws.int_nccis__months as months
    where months.activity_category is not null

),

flagged as (

    select
        months.*,
        case
            when months.previous_category is null then 1
            when months.previous_category <> months.activity_category then 1
            -- at most one month without a return in between: bridged
            when (year(months.month_start_date) - year(months.previous_month_date)) * 12
                + month(months.month_start_date) - month(months.previous_month_date) <= 2 then 0
            -- the activity was already running the day after the previous return's month
            when months.usable_start_date <= dateadd(day, 1, eomonth(months.previous_month_date)) then 0
            else 1
        end as is_new_spell
    from months

),

numbered as (

    select
        flagged.*,
        sum(flagged.is_new_spell) over (
            partition by flagged.person_id
            order by flagged.month_start_date
            rows unbounded preceding
        ) as spell_no
    from flagged

),

positioned as (

    select
        numbered.*,
        row_number() over (
            partition by numbered.person_id, numbered.spell_no
            order by numbered.month_start_date desc
        ) as months_from_end
    from numbered

),

spells as (

    select
        positioned.person_id,
        positioned.spell_no,
        min(positioned.activity_category) as activity_category,
        min(positioned.month_start_date) as first_month_date,
        max(positioned.month_start_date) as last_month_date,
        max(case when positioned.is_new_spell = 1 then positioned.activity_code end) as first_activity_code,
        max(case when positioned.months_from_end = 1 then positioned.activity_code end) as last_activity_code,
        max(case when positioned.is_new_spell = 1 then positioned.recorded_start_date end) as recorded_start_date,
        max(case when positioned.is_new_spell = 1 then positioned.usable_start_date end) as usable_start_date,
        count(*) as n_returns,
        sum(case when positioned.n_categories > 1 then 1 else 0 end) as n_conflict_months
    from positioned
    group by positioned.person_id, positioned.spell_no

),

started as (

    -- the previous spell by LAG (spell_no counts 1, 2, ... per person) rather than a self-join of
    -- spells, which SQL Server would group twice (sql/README.md rule 13)
    select
        sequenced.*,
        case
            when sequenced.usable_start_date is not null
                and (sequenced.previous_first_month_date is null or sequenced.usable_start_date > eomonth(sequenced.previous_first_month_date))
                then sequenced.usable_start_date
            else sequenced.first_month_date
        end as start_date,
        case
            when sequenced.usable_start_date is not null
                and (sequenced.previous_first_month_date is null or sequenced.usable_start_date > eomonth(sequenced.previous_first_month_date))
                then 'recorded_start'
            else 'month_start'
        end as start_rule
    from (
        select
            spells.*,
            lag(spells.first_month_date) over (partition by spells.person_id order by spells.spell_no) as previous_first_month_date
        from spells
    ) as sequenced

),

ended as (

    select
        started.*,
        lead(started.start_date) over (
            partition by started.person_id order by started.spell_no
        ) as next_start_date
    from started

),

bounded as (

    select
        ended.*,
        case
            when ended.next_start_date <= eomonth(ended.last_month_date) then dateadd(day, -1, ended.next_start_date)
            else eomonth(ended.last_month_date)
        end as rule_end_date,
        case
            when ended.last_month_date = coverage.last_month_date then 'open'
            when ended.next_start_date <= eomonth(ended.last_month_date) then 'next_spell_start'
            else 'last_return_month'
        end as end_rule
    from ended
    cross join coverage
    where ended.start_date <= @reference_date

)

select
    ---------- ids
    bounded.person_id,  -- the project's person identifier

    ---------- dates
    bounded.start_date,  -- first day of the spell (inclusive), by start_rule
    case
        when bounded.rule_end_date > @reference_date then @reference_date
        else bounded.rule_end_date
    end as end_date,  -- last day of the spell (inclusive), by end_rule; cut at the reference date
    cast(case when bounded.end_rule = 'open' or bounded.rule_end_date > @reference_date then 1 else 0 end as smallint) as is_censored,  -- 1 = still running in the last NCCIS month of the data, or cut at the reference date
    bounded.start_rule,  -- recorded_start (the first return's recorded activity start) or month_start
    bounded.end_rule,  -- last_return_month, next_spell_start (the day before it) or open (running in the data's last month)

    ---------- activity
    bounded.activity_category,  -- activity category (ref_nccis_activity)
    cast(case when bounded.activity_category in ('neet_active', 'neet_inactive') then 1 else 0 end as smallint) as is_neet,  -- 1 = NEET (available or not available to the labour market)
    bounded.first_activity_code,  -- NCCIS activity code of the first month
    bounded.last_activity_code,  -- NCCIS activity code of the last month
    bounded.recorded_start_date,  -- activity start recorded on the first return, as delivered

    ---------- returns
    bounded.first_month_date as first_return_month_date,  -- first day of the spell's first return month
    bounded.last_month_date as last_return_month_date,  -- first day of the spell's last return month
    bounded.n_returns,  -- months with a return in the spell
    (year(bounded.last_month_date) - year(bounded.first_month_date)) * 12
        + month(bounded.last_month_date) - month(bounded.first_month_date) + 1
        - bounded.n_returns as n_months_without_return,  -- months bridged inside the spell (no return)
    bounded.n_conflict_months  -- months in which another category was also returned and lost on priority
from bounded
