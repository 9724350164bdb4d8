/* ---
description: >
  HMRC PAYE employment spells as delivered, one row per EduKey x source spell, typed and with
  sentinels normalised by the one rule of sql/reference/ref_sentinel_dates.csv: '' EduKeys become
  NULL; an end on or after 9999-01-01 (ongoing) becomes NULL with is_open_ended = 1; a date on or
  before 1900-01-01 (unknown) becomes NULL. Uncertain start and end flags are kept. row_issue
  names why employment_spells sets a row aside (counted by check row_issues): a blank EduKey, an
  unknown start or end (an unknown end is never read as an open spell), a start after the
  reference date, an end before the start.
checks:
  - not_null: [spell_start_date]
    severity: warn
    max_failing_rate: 0.001
--- */

with

source as (

    select * from leo.employment

)

select
    ---------- ids
    case when rtrim(source.edukey) = '' then null else source.edukey end as edukey,  -- DWP/HMRC person key

    ---------- dates
    case when source.startdate <= cast('1900-01-01' as date) or source.startdate >= cast('9999-01-01' as date) then null else source.startdate end as spell_start_date,  -- first day employed
    case when source.enddate <= cast('1900-01-01' as date) or source.enddate >= cast('9999-01-01' as date) then null
         else source.enddate end as spell_end_date,  -- last day employed; NULL when ongoing or unknown
    case when source.enddate >= cast('9999-01-01' as date) then 1 else 0 end as is_open_ended,  -- 1 = ongoing at extraction

    ---------- flags
    cast(coalesce(cast(source.uncertainstartdate as int), 0) as smallint) as is_start_uncertain,  -- start defaulted (6 April or day before end)
    cast(coalesce(cast(source.uncertainenddate as int), 0) as smallint) as is_end_uncertain,  -- end defaulted (5 April)

    ---------- row accounting (sql/README.md): every row employment_spells sets aside
    case
        when source.edukey is null or rtrim(source.edukey) = '' then 'blank_identifier'
        when source.startdate is null or source.startdate <= cast('1900-01-01' as date) or source.startdate >= cast('9999-01-01' as date)
            or source.enddate is null or source.enddate <= cast('1900-01-01' as date) then 'sentinel_date'
        when source.startdate > @reference_date then 'date_out_of_range'
        when source.enddate < source.startdate then 'end_before_start'
    end as row_issue  -- NULL = used; else why employment_spells sets the row aside: blank_identifier, sentinel_date (start or end unknown), date_out_of_range (starts after the reference date), end_before_start

from source
