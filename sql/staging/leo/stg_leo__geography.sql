/* ---
description: >
  LEO geography, one row per EduKey x tax year as delivered: the region (GOR code) of the
  person's main address in the tax year; tax_year is the year the tax year ends.
--- */

select
    nullif(ltrim(rtrim(places.edukey)), '') as edukey,  -- DWP/HMRC person key
    cast(left(cast(places.taxyear as varchar(6)), 4) as int) + 1 as tax_year,  -- year the tax year ends
    upper(nullif(ltrim(rtrim(places.gor)), '')) as region_code  -- region (GOR), e.g. E12000007
from leo.geography as places
