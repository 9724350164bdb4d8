/* ---
description: >
  Learning Aim Reference Service (LARS) rows, one row per learning aim reference x academic year
  as delivered (the view may hold more than one row for an aim and year; int_pathways__aims
  resolves them). The aim reference is trimmed and upper-cased like stg_lilr__aims; the academic
  year is the last four characters of AcademicYear (its end year); a blank QualType becomes NULL;
  the aim title is trimmed and kept in its own case.
checks:
  - not_null: [learning_aim_ref, academic_year]
    name: lars_without_key
    severity: warn
    max_failing_rate: 0.001
--- */

select
    upper(nullif(ltrim(rtrim(lars.learnaimref)), '')) as learning_aim_ref,  -- learning aim reference (joins stg_lilr__aims)
    cast(right(ltrim(rtrim(lars.academicyear)), 4) as int) as academic_year,  -- academic-year end of the LARS row
    upper(nullif(ltrim(rtrim(lars.qualtype)), '')) as qual_type,  -- LARS qualification type code, e.g. 0002 A level, 0003 GCSE, 0036 NVQ
    nullif(ltrim(rtrim(lars.aimtitle)), '') as aim_title,  -- the aim's title as delivered

    case
        when lars.learnaimref is null or rtrim(lars.learnaimref) = '' or lars.academicyear is null then 'blank_identifier'
    end as row_issue  -- NULL = used; blank_identifier: no aim reference or year, the row joins nothing

from lilr.ilr_lars as lars
