/* ---
description: >
  HMRC PAYE earnings, one row per EduKey x tax year as delivered; tax_year is the year the tax
  year ends (source 201415 = 2014/15 = 2015). Negative totals were set to 0 in source. Blank
  EduKeys become NULL.
--- */

select
    nullif(ltrim(rtrim(earnings.edukey)), '') as edukey,  -- DWP/HMRC person key
    cast(left(cast(earnings.taxyear as varchar(6)), 4) as int) + 1 as tax_year,  -- year the tax year ends (6 Apr to 5 Apr)
    cast(earnings.earnings as decimal(12, 2)) as earnings_gbp_nominal  -- PAYE pay in the tax year
from leo.earnings as earnings
