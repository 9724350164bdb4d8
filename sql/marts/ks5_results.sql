/* ---
description: >
  One row per pupil of ks4_cohort with a Key Stage 5 record (16-18 attainment, stg_npd__ks5)
  under any of their PMRs (person_identifier): the record of their first end of 16-18 study,
  that is the earliest academic year; two records in that year (a school and a college) are
  resolved by the higher total points, then the school (a record without one, a college, last),
  then the PMR. Pupils with no KS5 record have no row (KS5 covers students at the end of 16-18
  study only: no row is not "no level 3"). n_ks5_records counts every KS5 record of the person,
  has_level3_any_record whether any of them reached the level 3 threshold (a later year's
  retake included). years_after_ks4 is 2 for the usual two-year route (KS4 in 2014, KS5 in
  2016). Sources: stg_npd__ks5, ks4_cohort, person_identifier.
grain: [person_id]
# the ranking orders by every column it returns: rows equal on all of them are interchangeable
unique: {ks5_records: [person_id, pmr, academic_year, school_id, total_points, n_a_levels,
                       a_level_points_per_entry, has_level3]}
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - expression_is_true: years_after_ks4 >= 0
    severity: warn
indexes: [[person_id]]
--- */

with

cohort as (

    select cohort.person_id, cohort.ks4_year from ws.ks4_cohort as cohort

),

ks5_records as (

    select
        cohort.person_id,
        cohort.ks4_year,
        ks5.academic_year,
        ks5.pmr,
        ks5.school_id,
        ks5.total_points,
        ks5.n_a_levels,
        ks5.a_level_points_per_entry,
        ks5.has_level3
    from cohort
    inner join ws.person_identifier as ids
        on ids.person_id = cohort.person_id
        and ids.identifier_type = 'pmr'
    inner join ws.stg_npd__ks5 as ks5
        on ks5.pmr = ids.identifier_value

),

ranked as (

    select
        ks5_records.*,
        row_number() over (
            partition by ks5_records.person_id
            order by
                ks5_records.academic_year,
                case when ks5_records.total_points is null then 1 else 0 end,
                ks5_records.total_points desc,
                case when ks5_records.school_id is null then 1 else 0 end,
                ks5_records.school_id,
                ks5_records.pmr,
                -- equal so far: the rest of the row, NULL last, so equal rows are the only ties
                case when ks5_records.has_level3 is null then 1 else 0 end,
                ks5_records.has_level3 desc,
                case when ks5_records.n_a_levels is null then 1 else 0 end,
                ks5_records.n_a_levels desc,
                case when ks5_records.a_level_points_per_entry is null then 1 else 0 end,
                ks5_records.a_level_points_per_entry desc
        ) as record_rank,
        cast(count(*) over (partition by ks5_records.person_id) as int) as n_ks5_records,
        max(coalesce(ks5_records.has_level3, 0)) over (
            partition by ks5_records.person_id
        ) as has_level3_any_record
    from ks5_records

)

select
    ranked.person_id,  -- the project's person identifier
    ranked.ks4_year,  -- the pupil's KS4 cohort (academic-year end)
    ranked.academic_year as ks5_year,  -- academic-year end of the first KS5 record
    cast(ranked.academic_year - ranked.ks4_year as int) as years_after_ks4,  -- 2 on the usual route
    ranked.pmr,  -- the PMR the chosen record carries
    ranked.school_id,  -- pseudonymised school of the record; NULL for a college
    cast(case when ranked.school_id is null then 0 else 1 end as int) as is_school_sixth_form,  -- 1 = a school sixth form (the record names a school)
    ranked.total_points,  -- total points of all qualifications in that record
    ranked.n_a_levels,  -- A levels entered (NULL before 2009)
    ranked.a_level_points_per_entry,  -- average points per A level entry (NULL before 2012 or with no A level)
    ranked.has_level3,  -- 1 = reached the level 3 threshold in that record (NULL where not published: 2016)
    cast(ranked.has_level3_any_record as int) as has_level3_any_record,  -- 1 = any KS5 record reached the level 3 threshold
    ranked.n_ks5_records  -- KS5 records of the person (all years, all PMRs)
from ranked
where ranked.record_rank = 1
