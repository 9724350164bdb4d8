/* ---
description: >
  One row per person x school sixth-form learning aim (PLAMS: person, qualification number, start
  date), from its yearly PLAMS records under any of the person's PMRs (person_identifier). The
  aim's attributes come from its latest record (the highest academic year, then the school and
  the rest of the record, so never at random). End rule: the latest record's actual end
  (end_rule actual); else its planned end (planned); else open (NULL end, end_rule open).
  PLAMS has no completion status: an aim is completed when its latest record has a grade (the
  grade is given in the aim's final year), achieved when that grade is not U (unclassified).
  aim_level: the recorded qualification level 1-8, E or 0 (entry) as 0; anything else NULL.
  is_a_level_type / is_btec_type: the recorded qualification type names an A or AS level (GCE)
  or a BTEC, OCR or T Level (the LARS title of the qualification number is read in
  int_pathways__aims too). Records with a blank or unlinked PMR, no qualification number or no
  start are left out, and so are aims ending before they start (a blank PMR is counted by
  stg_npd__plams's check blank_pmr, the rest by check records_left_out). Read by int_pathways__aims (pathways) and int_spells__merged (the
  activity layer: an aim's days are school). Source: stg_npd__plams, person_identifier.
grain: [person_id, learning_aim_ref, start_date]
# a PMR belongs to one person; PLAMS's grain is PMR x year x qualification x start
unique: {records: [person_id, pmr, academic_year, learning_aim_ref, start_date]}
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: end_date is null or end_date >= start_date
indexes: [[person_id]]
--- */

with

records as (

    select
        ids.person_id,
        plams.pmr,
        plams.academic_year,
        plams.school_id,
        plams.qualification_number as learning_aim_ref,
        plams.qualification_type,
        plams.qualification_level,
        plams.start_date,
        plams.planned_end_date,
        plams.actual_end_date,
        plams.grade
    from ws.stg_npd__plams as plams
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = plams.pmr
    where plams.qualification_number is not null
        and plams.start_date is not null

),

ranked as (

    select
        records.*,
        min(records.academic_year) over (
            partition by records.person_id, records.learning_aim_ref, records.start_date
        ) as first_academic_year,
        cast(count(*) over (
            partition by records.person_id, records.learning_aim_ref, records.start_date
        ) as int) as n_records,
        row_number() over (
            partition by records.person_id, records.learning_aim_ref, records.start_date
            order by
                records.academic_year desc,
                records.school_id,
                records.actual_end_date,
                records.planned_end_date,
                records.qualification_type,
                records.qualification_level,
                records.grade,
                records.pmr
        ) as record_rank
    from records

),

latest as (

    select
        ranked.*,
        case
            when ranked.actual_end_date is not null then ranked.actual_end_date
            else ranked.planned_end_date
        end as end_date,
        case
            when ranked.actual_end_date is not null then 'actual'
            when ranked.planned_end_date is not null then 'planned'
            else 'open'
        end as end_rule
    from ranked
    where ranked.record_rank = 1

)

select
    ---------- ids
    latest.person_id,  -- the project's person identifier
    latest.learning_aim_ref,  -- qualification number attempted (joins the LARS learning aim reference)
    latest.start_date,  -- aim start
    latest.school_id,  -- pseudonymised school of the latest record

    ---------- end
    latest.end_date,  -- actual end of the latest record, else its planned end; NULL = open
    latest.end_rule,  -- actual, planned or open
    latest.actual_end_date,  -- actual end of the latest record
    latest.planned_end_date,  -- planned end of the latest record
    latest.first_academic_year,  -- first academic year (end year) the aim appears in
    latest.academic_year as last_academic_year,  -- last academic year the aim appears in
    latest.n_records,  -- yearly PLAMS records of the aim

    ---------- qualification
    latest.qualification_type,  -- recorded qualification type, e.g. GCE A level
    cast(case
        when latest.qualification_level in ('1', '2', '3', '4', '5', '6', '7', '8')
            then cast(latest.qualification_level as int)
        when upper(latest.qualification_level) in ('0', 'E') then 0
    end as int) as aim_level,  -- recorded level 1-8; entry 0; NULL unknown
    cast(case
        when upper(latest.qualification_type) like '%BTEC%' or upper(latest.qualification_type) like '%OCR%'
            or upper(latest.qualification_type) like 'T LEVEL%' then 0
        when upper(latest.qualification_type) like '%A LEVEL%' or upper(latest.qualification_type) like '%AS LEVEL%'
            or upper(latest.qualification_type) like 'GCE A%' then 1
        else 0
    end as smallint) as is_a_level_type,  -- 1 = the recorded type is an A or AS level
    cast(case
        when upper(latest.qualification_type) like '%BTEC%' or upper(latest.qualification_type) like '%OCR%'
            or upper(latest.qualification_type) like 'T LEVEL%' then 1
        else 0
    end as smallint) as is_btec_type,  -- 1 = the recorded type is a BTEC, OCR or T Level
    latest.grade,  -- grade of the latest record (final year of the aim)
    cast(case when latest.grade is not null then 1 else 0 end as smallint) as is_completed,  -- 1 = graded (completed)
    cast(case when latest.grade is not null and upper(latest.grade) <> 'U' then 1 else 0 end as smallint) as is_achieved  -- 1 = graded other than U
from latest
where latest.end_date is null or latest.end_date >= latest.start_date
