/* ---
description: >
  NCCIS monthly activity returns, one row per young person x return month, with the month's
  first day derived from the academic year and calendar month (September-December in the first
  year of nccis_acadyr, January-August in the second). Blank PMRs become NULL; an academic year
  that does not end in a four-digit year gives a NULL month (counted by check bad_academic_year).
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
  - not_null: [month_start_date]
    name: bad_academic_year
    severity: warn
    max_failing_rate: 0.001
--- */

with

typed as (

    select
        nccis.*,
        right(rtrim(nccis.nccis_acadyr), 4) as year_text
    from npd.nccis as nccis

),

returns as (

    -- the academic year must end in four digits ('2015/2016'); anything else is counted, not guessed
    select
        typed.*,
        case
            when substring(typed.year_text, 1, 1) between '1' and '2'
                and substring(typed.year_text, 2, 1) between '0' and '9'
                and substring(typed.year_text, 3, 1) between '0' and '9'
                and substring(typed.year_text, 4, 1) between '0' and '9'
                then cast(typed.year_text as int)
        end as academic_year
    from typed

)

select
    nullif(ltrim(rtrim(returns.nccis_pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    returns.academic_year,  -- academic-year end of the return
    cast(returns.nccis_monthno as int) as month_no,  -- calendar month of the return
    -- academic_year is named once: PostgreSQL expands it at every mention (each time five
    -- RTRIM/RIGHTs and four SUBSTRINGs), and DATEFROMPARTS gives NULL for a NULL year or month
    datefromparts(
        returns.academic_year - case when returns.nccis_monthno >= 9 then 1 else 0 end,
        case when returns.nccis_monthno between 1 and 12 then returns.nccis_monthno end,
        1) as month_start_date,  -- first day of the return month
    cast(returns.nccis_current_activity_code as int) as activity_code,  -- NCCIS current activity code
    case
        when returns.nccis_current_activity_start_date <= cast('1900-01-01' as date)
            or returns.nccis_current_activity_start_date >= cast('9999-01-01' as date) then null
        else returns.nccis_current_activity_start_date
    end as activity_start_date,  -- recorded start of the current activity
    upper(nullif(ltrim(rtrim(returns.nccis_cohort_status)), '')) as cohort_status,  -- M duplicate, D deceased, T/L left (2016/17+)

    case
        when returns.nccis_pupilmatchingrefanonymous is null or rtrim(returns.nccis_pupilmatchingrefanonymous) = '' then 'blank_identifier'
        when returns.academic_year is null or returns.nccis_monthno is null or returns.nccis_monthno not between 1 and 12 then 'unparseable_value'
        when returns.nccis_current_activity_start_date <= cast('1900-01-01' as date) or returns.nccis_current_activity_start_date >= cast('9999-01-01' as date) then 'sentinel_date'
    end as row_issue  -- NULL = used; blank_identifier (no PMR), unparseable_value (academic year or month not readable: no month), sentinel_date (activity start made NULL)

from returns
