/* ---
description: >
  ILR learner records, one row per learner x provider x academic year x dataset (external_id):
  a learner record is not a person. recordid links it to LEO's education records lookup. The
  academic year is the last four characters of AcademicYear (its end year).
--- */

select
    cast(learners.external_id as bigint) as external_id,  -- learner x provider x year x dataset
    cast(learners.recordid as bigint) as recordid,  -- record sent for matching
    cast(right(ltrim(rtrim(learners.academicyear)), 4) as int) as academic_year,  -- academic-year end
    nullif(ltrim(rtrim(learners.learner_id)), '') as learner_ref,  -- provider's learner reference
    coalesce(nullif(cast(learners.ukprn_anon as bigint), 0), nullif(cast(learners.upin_anon as bigint), 0)) as provider_id,  -- pseudonymised provider
    upper(nullif(ltrim(rtrim(learners.sex)), '')) as sex,  -- M or F
    cast(learners.acage as int) as academic_age,  -- age at 31 August before the academic year

    case
        when learners.external_id is null or learners.recordid is null then 'blank_identifier'
    end as row_issue  -- NULL = used; blank_identifier: no external_id or recordid, the record links to no person

from lilr.ilr_learners as learners
