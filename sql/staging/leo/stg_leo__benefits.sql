/* ---
description: >
  DWP benefit spells as delivered, one row per EduKey x benefit type x spell. Blank EduKeys and
  benefit types become NULL; by the one sentinel rule (sql/reference/ref_sentinel_dates.csv) an
  end on or after 9999-01-01 (an ongoing claim) becomes NULL with is_open_ended = 1 and a date on
  or before 1900-01-01 (unknown) becomes NULL. The source's own out-of-work flag is kept beside
  the project's classification (ref_benefit_types) for diagnostic BE-3. row_issue names why
  benefit_spells sets a row aside (counted by check row_issues).
checks:
  - expression_is_true: spell_start_date is not null
    name: missing_start
    severity: warn
    max_failing_rate: 0.001
--- */

select
    nullif(ltrim(rtrim(claims.edukey)), '') as edukey,  -- DWP/HMRC person key
    upper(nullif(ltrim(rtrim(claims.benefit_type)), '')) as benefit_type,  -- benefit code, e.g. JSA
    case when claims.startdate <= cast('1900-01-01' as date) or claims.startdate >= cast('9999-01-01' as date) then null else claims.startdate end as spell_start_date,  -- first day of the claim
    case
        when claims.enddate <= cast('1900-01-01' as date) or claims.enddate >= cast('9999-01-01' as date) then null
        else claims.enddate
    end as spell_end_date,  -- last day of the claim; NULL when ongoing
    case when claims.enddate >= cast('9999-01-01' as date) then 1 else 0 end as is_open_ended,  -- 1 = ongoing at extraction
    cast(claims.out_of_work_benefit as int) as source_out_of_work_flag,  -- the source's own classification

    case
        when claims.edukey is null or rtrim(claims.edukey) = ''
            or claims.benefit_type is null or rtrim(claims.benefit_type) = '' then 'blank_identifier'
        when claims.startdate is null or claims.startdate <= cast('1900-01-01' as date) or claims.startdate >= cast('9999-01-01' as date)
            or claims.enddate is null or claims.enddate <= cast('1900-01-01' as date) then 'sentinel_date'
        when claims.startdate > @reference_date then 'date_out_of_range'
        when claims.enddate < claims.startdate then 'end_before_start'
    end as row_issue  -- NULL = used; else why benefit_spells sets the row aside: blank_identifier (EduKey or code), sentinel_date (start or end unknown), date_out_of_range (starts after the reference date), end_before_start

from leo.benefits as claims
