/* ---
description: >
  HMRC PAYE employment spells as delivered, one row per EduKey x source spell, typed and with
  sentinels normalised: '' EduKeys become NULL; 9999-12-31 end dates (ongoing) become NULL with
  is_open_ended = 1; 1900-01-01 dates become NULL. Uncertain start and end flags are kept.
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
    case when source.startdate = cast('1900-01-01' as date) then null else source.startdate end as spell_start_date,  -- first day employed
    case when source.enddate in (cast('9999-12-31' as date), cast('1900-01-01' as date)) then null
         else source.enddate end as spell_end_date,  -- last day employed; NULL when ongoing or unknown
    case when source.enddate = cast('9999-12-31' as date) then 1 else 0 end as is_open_ended,  -- 1 = ongoing at extraction

    ---------- flags
    cast(coalesce(cast(source.uncertainstartdate as int), 0) as smallint) as is_start_uncertain,  -- start defaulted (6 April or day before end)
    cast(coalesce(cast(source.uncertainenddate as int), 0) as smallint) as is_end_uncertain  -- end defaulted (5 April)

from source
