/* ---
description: >
  HMRC PAYE earnings, one row per EduKey x tax year as delivered; tax_year is the year the tax
  year ends (source 201415 = 2014/15 = 2015). Negative totals were set to 0 in source. Blank
  EduKeys become NULL.
--- */

select
    nullif(ltrim(rtrim(earnings.edukey)), '') as edukey,  -- DWP/HMRC person key
    cast(left(cast(earnings.taxyear as varchar(6)), 4) as int) + 1 as tax_year,  -- year the tax year ends (6 Apr to 5 Apr)
    cast(earnings.earnings as decimal(12, 2)) as earnings_gbp_nominal,  -- PAYE pay in the tax year

    case
        when earnings.edukey is null or rtrim(earnings.edukey) = '' then 'blank_identifier'
        when earnings.taxyear is null or earnings.taxyear < 190001 or earnings.taxyear > 209999
            or cast(right(cast(earnings.taxyear as varchar(6)), 2) as int)
                <> (cast(left(cast(earnings.taxyear as varchar(6)), 4) as int) + 1) % 100 then 'unparseable_value'
    end as row_issue  -- NULL = used; else why the row cannot be used: blank_identifier (no person), unparseable_value (taxyear is not yyyyyy such as 201415)

from leo.earnings as earnings
