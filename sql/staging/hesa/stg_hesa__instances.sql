/* ---
description: >
  HESA student instances of every available year, one row per student instance x academic year.
  The end date is DATELEFT (2005-2007) or ENDDATE (2008 on), NULL while the instance continues;
  the subject is the first JACS code (2008-2019) or the first HECOS code (2020 on); the provider
  is HE_INSTID_ANON (to 2007) or HE_XINSTID01_ANON. Blank PMRs (students not linked to NPD or
  ILR) become NULL. Sentinel dates (sql/reference/ref_sentinel_dates.csv) become NULL, counted
  by check row_issues.
checks:
  - not_null: [pmr]
    name: unlinked_students
    severity: warn
    max_failing_rate: 0.2
  - expression_is_true: end_date is null or end_date >= start_date
    name: ends_before_start
    severity: warn
    max_failing_rate: 0.001
--- */

with

instances as (

    select * from hesa.hesa

)

select
    instances.hesa_year,  -- academic-year end of the HESA return
    nullif(ltrim(rtrim(instances.he_pupilmatchingrefanonymous)), '') as pmr,  -- PMR DfE assigned to the student
    nullif(ltrim(rtrim(coalesce(instances.he_xinstid01_anon, instances.he_instid_anon))), '') as provider_id,  -- pseudonymised provider
    case when instances.he_comdate <= cast('1900-01-01' as date) or instances.he_comdate >= cast('9999-01-01' as date) then null else instances.he_comdate end as start_date,  -- commencement date
    case
        when coalesce(instances.he_enddate, instances.he_dateleft) <= cast('1900-01-01' as date)
            or coalesce(instances.he_enddate, instances.he_dateleft) >= cast('9999-01-01' as date) then null
        else coalesce(instances.he_enddate, instances.he_dateleft)
    end as end_date,  -- end of the instance; NULL while it continues
    cast(instances.he_xmode01 as int) as mode_code,  -- 1 FT, 2 sandwich, 3 PT, 4 writing-up, 5 sabbatical, 6 dormant
    instances.he_xlev601 as level_code,  -- HESA level of study (XLEV601)
    nullif(ltrim(rtrim(instances.he_xqobtn01)), '') as qualification_obtained_code,  -- qualification obtained (XQOBTN01)
    cast(instances.he_xpqual01 as int) as is_qualifier,  -- in the qualifiers population
    cast(instances.he_yearstu as int) as year_of_student,  -- year of student on this instance
    nullif(ltrim(rtrim(instances.he_xjacs01_1)), '') as subject_jacs,  -- principal subject, JACS (2008-2019)
    nullif(ltrim(rtrim(instances.he_xhecos_1)), '') as subject_hecos,  -- principal subject, HECOS (2020 on)

    case
        when instances.he_pupilmatchingrefanonymous is null or rtrim(instances.he_pupilmatchingrefanonymous) = '' then 'blank_identifier'
        when instances.he_comdate is null or instances.he_comdate <= cast('1900-01-01' as date) or instances.he_comdate >= cast('9999-01-01' as date)
            or coalesce(instances.he_enddate, instances.he_dateleft) <= cast('1900-01-01' as date)
            or coalesce(instances.he_enddate, instances.he_dateleft) >= cast('9999-01-01' as date) then 'sentinel_date'
        when coalesce(instances.he_enddate, instances.he_dateleft) < instances.he_comdate then 'end_before_start'
    end as row_issue  -- NULL = used as delivered; blank_identifier (unlinked student), sentinel_date (start unknown: left out of he_spells; end unknown: ended by he_spells' end rule, never open), end_before_start (left out of he_spells)

from instances
