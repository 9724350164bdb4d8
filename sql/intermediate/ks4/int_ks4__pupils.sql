/* ---
description: >
  One row per person in a configured cohort (ref_ks4_cohorts), by the setting cohort_definition,
  with the one KS4 record ks4_cohort describes. ks4 (the default): persons with an end-of-KS4
  record (ks4_endks = 1) in a configured year; their cohort is the year of the record chosen.
  census_on_roll (Sickotra's definition): persons of Year 11's academic birth cohort (born 1
  September Y-17 to 31 August Y-16) with a main, on-roll record in the School Census named by
  cohort_census (term @cohort_census_term: 1 autumn, 2 spring, 3 summer) of a configured year Y,
  with or without a KS4 record; their cohort is the earliest such Y, and their PMR and school
  those of that census record (the lower school, then PMR) when they have no KS4 record. A
  census record without a year or a valid month (1-12) of birth cannot be placed and is left
  out: the warn check census_birth_unknown counts those records (failing_rows). The KS4
  record is chosen by one rule among the person's end-of-KS4 records in the configured years
  (under any of their PMRs, person_identifier): the earliest year, then the record counted in
  national results, then the "attained" record (level 2 incl. English and maths or 9-4 in both,
  then the higher Attainment 8, then the higher capped point score), then the lower school and
  PMR, then the rest of the record. n_ks4_records counts the records resolved (0: none).
  has_ks4_record says whether the pupil has one. A table of its own so that the engines plan
  ks4_cohort's joins on known row counts. Sources: stg_npd__ks4, stg_npd__school_census,
  ref_ks4_cohorts, person_identifier.
grain: [person_id]
unique:  # ks4: every column; rows equal in all of them are interchangeable (the ORDER BY ends in all)
  cohorts: [ks4_year]  # select * of ws.ref_ks4_cohorts: its grain
  ks4: [ks4_year, pmr, school_id, sex, birth_year, birth_month, ethnicity_code, is_fsm, is_ever_fsm_6,
        sen_provision, idaci_score, is_end_of_ks4, is_in_national_results, has_level2_em,
        capped_point_score, attainment8, progress8, has_basics_94, has_ebacc_94, row_issue]
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
        cast(count(*) over (partition by ids.person_id) as int) as n_ks4_records,
        row_number() over (
            partition by ids.person_id
            order by
                ks4.ks4_year,
                ks4.is_in_national_results desc,
                coalesce(ks4.has_level2_em, ks4.has_basics_94, -1) desc,
                coalesce(ks4.attainment8, -1) desc,
                coalesce(ks4.capped_point_score, -1) desc,
                ks4.school_id,
                ks4.pmr,
                -- the rest only orders records equal in all the above (else the choice is the plan's)
                ks4.has_level2_em, ks4.has_basics_94, ks4.attainment8, ks4.capped_point_score,
                ks4.progress8, ks4.has_ebacc_94, ks4.sex, ks4.birth_year, ks4.birth_month,
                ks4.ethnicity_code, ks4.is_fsm, ks4.is_ever_fsm_6, ks4.sen_provision, ks4.idaci_score,
                ks4.is_end_of_ks4, ks4.row_issue
        ) as record_rank
    from ws.stg_npd__ks4 as ks4
    inner join cohorts
        on cohorts.ks4_year = ks4.ks4_year
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = ks4.pmr
    where ks4.is_end_of_ks4 = 1

),

census_rolls as (

    -- census_on_roll: Year 11's academic birth cohort on roll in the named census of year Y
    select distinct
        ids.person_id,
        census.census_year as ks4_year,
        census.pmr,
        census.school_id
    from ws.stg_npd__school_census as census
    inner join cohorts
        on cohorts.ks4_year = census.census_year
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = census.pmr
    where @cohort_by_census = 1
        and census.term_id = @cohort_census_term
        and census.is_main_record = 1
        and coalesce(census.is_on_roll, 1) = 1
        and census.birth_month between 1 and 12
        and census.birth_year * 12 + census.birth_month
            between (census.census_year - 17) * 12 + 9 and (census.census_year - 16) * 12 + 8

),

census_pupils as (

    select
        census_rolls.*,
        row_number() over (
            partition by census_rolls.person_id
            order by
                census_rolls.ks4_year,
                case when census_rolls.school_id is null then 1 else 0 end,
                census_rolls.school_id,
                census_rolls.pmr
        ) as census_rank
    from census_rolls

),

members as (

    select ks4_records.person_id, ks4_records.ks4_year, ks4_records.pmr, ks4_records.school_id
    from ks4_records
    where @cohort_by_census = 0 and ks4_records.record_rank = 1

    union all

    select census_pupils.person_id, census_pupils.ks4_year, census_pupils.pmr, census_pupils.school_id
    from census_pupils
    where census_pupils.census_rank = 1

)

select
    members.person_id,  -- the project's person identifier
    members.ks4_year,  -- cohort: academic-year end of Year 11
    coalesce(ks4.pmr, members.pmr) as pmr,  -- PMR of the KS4 record (census_on_roll without one: of the census record)
    coalesce(ks4.school_id, members.school_id) as school_id,  -- school of the KS4 record (else of the census record)
    cast(case when ks4.person_id is null then 0 else 1 end as int) as has_ks4_record,  -- 1 = a KS4 record describes the pupil
    ks4.ks4_year as ks4_record_year,  -- academic-year end of that KS4 record
    ks4.sex,  -- sex on the KS4 record
    ks4.birth_year,  -- year of birth on the KS4 record
    ks4.birth_month,  -- month of birth on the KS4 record
    ks4.ethnicity_code,  -- ethnicity on the KS4 record
    ks4.is_fsm,  -- FSM on the KS4 record
    ks4.is_ever_fsm_6,  -- FSM in the last six years on the KS4 record
    ks4.sen_provision,  -- SEN provision on the KS4 record
    ks4.idaci_score,  -- IDACI score on the KS4 record
    ks4.is_in_national_results,  -- 1 = counted in national results
    ks4.has_level2_em,  -- the year's level 2 measure incl. English and maths
    ks4.capped_point_score,  -- capped point score
    ks4.attainment8,  -- Attainment 8
    ks4.progress8,  -- Progress 8
    ks4.has_basics_94,  -- 9-4 in English and maths
    ks4.has_ebacc_94,  -- EBacc at 9-4
    coalesce(ks4.n_ks4_records, 0) as n_ks4_records  -- end-of-KS4 records resolved (0 = none)
from members
left join ks4_records as ks4
    on ks4.person_id = members.person_id
    and ks4.record_rank = 1
