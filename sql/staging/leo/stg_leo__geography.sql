/* ---
description: >
  LEO geography, one row per EduKey x tax year as delivered: the region (GOR code) of the
  person's main address in the tax year and its pseudonymised local authority; tax_year is the year the tax year ends.
--- */

select
    nullif(ltrim(rtrim(places.edukey)), '') as edukey,  -- DWP/HMRC person key
    cast(left(cast(places.taxyear as varchar(6)), 4) as int) + 1 as tax_year,  -- year the tax year ends
    upper(nullif(ltrim(rtrim(places.gor)), '')) as region_code,  -- region (GOR), e.g. E12000007
    nullif(ltrim(rtrim(places.laua_anon)), '') as la_id,  -- pseudonymised local authority (NULL when the extract lacks it)
    case
        when places.edukey is null or rtrim(places.edukey) = '' then 'blank_identifier'
        when places.taxyear is null or places.taxyear < 190001 or places.taxyear > 209999
            or cast(right(cast(places.taxyear as varchar(6)), 2) as int)
                <> (cast(left(cast(places.taxyear as varchar(6)), 4) as int) + 1) % 100 then 'unparseable_value'
    end as row_issue  -- NULL = used; else why the row cannot be used: blank_identifier (no person), unparseable_value (taxyear is not yyyyyy such as 201415)

from leo.geography as places
