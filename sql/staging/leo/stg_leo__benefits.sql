/* ---
description: >
  DWP benefit spells as delivered, one row per EduKey x benefit type x spell. Blank EduKeys and
  benefit types become NULL; an end of 9999-12-31 (an ongoing claim) becomes NULL with
  is_open_ended = 1; 1900-01-01 dates become NULL. The source's own out-of-work flag is kept
  beside the project's classification (ref_benefit_types) for diagnostic BE-3.
checks:
  - expression_is_true: spell_start_date is not null
    name: missing_start
    severity: warn
    max_failing_rate: 0.001
--- */

select
    nullif(ltrim(rtrim(claims.edukey)), '') as edukey,  -- DWP/HMRC person key
    upper(nullif(ltrim(rtrim(claims.benefit_type)), '')) as benefit_type,  -- benefit code, e.g. JSA
    case when claims.startdate = cast('1900-01-01' as date) then null else claims.startdate end as spell_start_date,  -- first day of the claim
    case
        when claims.enddate in (cast('9999-12-31' as date), cast('1900-01-01' as date)) then null
        else claims.enddate
    end as spell_end_date,  -- last day of the claim; NULL when ongoing
    case when claims.enddate = cast('9999-12-31' as date) then 1 else 0 end as is_open_ended,  -- 1 = ongoing at extraction
    cast(claims.out_of_work_benefit as int) as source_out_of_work_flag  -- the source's own classification
from leo.benefits as claims
