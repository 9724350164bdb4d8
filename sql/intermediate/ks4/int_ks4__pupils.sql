/* ---
description: >
  One row per person with an end-of-KS4 record (ks4_endks = 1) in a configured cohort
  (ref_ks4_cohorts): the one KS4 record ks4_cohort describes, chosen by one rule among the
  person's records (under any of their PMRs, person_identifier): the earliest year, then the
  record counted in national results, then the "attained" record (level 2 incl. English and
  maths or 9-4 in both, then the higher Attainment 8, then the higher capped point score), then
  the lower school and PMR. n_ks4_records counts the records resolved. A table of its own so
  that the engines plan ks4_cohort's joins on known row counts. Sources: stg_npd__ks4,
  ref_ks4_cohorts, person_identifier.
grain: [person_id]
indexes: [[person_id]]
--- */

with

cohorts as (

    select * from ws.ref_ks4_cohorts

),

ks4_records as (

    select
        ids.person_id,
        ks4.*,
        count(*) over (partition by ids.person_id) as n_ks4_records,
        row_number() over (
            partition by ids.person_id
            order by
                ks4.ks4_year,
                ks4.is_in_national_results desc,
                coalesce(ks4.has_level2_em, ks4.has_basics_94, -1) desc,
                coalesce(ks4.attainment8, -1) desc,
                coalesce(ks4.capped_point_score, -1) desc,
                ks4.school_id,
                ks4.pmr
        ) as record_rank
    from ws.stg_npd__ks4 as ks4
    inner join cohorts
        on cohorts.ks4_year = ks4.ks4_year
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = ks4.pmr
    where ks4.is_end_of_ks4 = 1

)

select * from ks4_records where ks4_records.record_rank = 1
