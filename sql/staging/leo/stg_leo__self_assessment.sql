/* ---
description: >
  HMRC self-assessment returns, one row per EduKey x tax year as delivered (from 2013/14; the
  form calls earlier years not robust); tax_year is the year the tax year ends. Self-employment
  earnings are NULL when the return has none. Blank EduKeys become NULL.
--- */

select
    nullif(ltrim(rtrim(returns.edukey)), '') as edukey,  -- DWP/HMRC person key
    cast(left(cast(returns.taxyear as varchar(6)), 4) as int) + 1 as tax_year,  -- year the tax year ends
    cast(returns.self_employed as int) as is_self_employed,  -- self-employed in the tax year
    cast(returns.earnings_self_employment as decimal(12, 2)) as earnings_gbp_nominal,  -- self-employment profit

    case
        when returns.edukey is null or rtrim(returns.edukey) = '' then 'blank_identifier'
        when returns.taxyear is null or returns.taxyear < 190001 or returns.taxyear > 209999
            or cast(right(cast(returns.taxyear as varchar(6)), 2) as int)
                <> (cast(left(cast(returns.taxyear as varchar(6)), 4) as int) + 1) % 100 then 'unparseable_value'
    end as row_issue  -- NULL = used; else why the row cannot be used: blank_identifier (no person), unparseable_value (taxyear is not yyyyyy such as 201415)

from leo.self_assessment as returns
