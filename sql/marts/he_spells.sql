/* ---
description: >
  One row per person x HE student instance spell (HESA): an instance is (person, provider,
  commencement date) over the yearly HESA records it appears in. End date: the end of the
  instance's latest record (DATELEFT to 2006/07, ENDDATE from 2007/08; end_rule actual); when
  the latest record has none and is in the last HESA year of the data, the instance continues:
  it is censored at the reference date (is_censored = 1, end_rule open; decision 7: continuing
  students are kept, fixing D77); when the latest record has none but the instance is missing
  from the later years the data hold, it ends on 31 August of its last year (end_rule
  last_year_seen: no later record, so not observed to continue). Ends after the reference date
  are clipped there (is_censored = 1); instances starting after it are left out. Mode, level of
  study and year of student are the latest record's; full-time = mode 1 (full-time) or 2
  (sandwich). Level of study is XLEV601, HESA's grouping of the qualification aim (the detailed
  aim, COURSEAIM, is not in the source declarations); level_group groups it as HESA's 3-way
  split XLEV301 does: postgraduate (XLEV601 1-3), undergraduate (4-5), other (6, further
  education, or an unknown code). In activity_spells (rule 5 of docs/decisions.md) an instance
  is HE year by year (int_he__instance_years): the years it is dormant (XMODE01 6) are not HE
  by default (setting he_dormant_students) and a further-education-level instance is fe
  (setting he_fe_level). The qualification obtained is XQOBTN01 of
  the latest record in the qualifiers population (XPQUAL01 = 1). The subject is the first
  JACS code (to 2018/19) and the first HECOS code (2019/20), each from the latest record that
  has one; no JACS-HECOS crosswalk is applied (D55). The provider is HE_INSTID_ANON to 2006/07
  and HE_XINSTID01_ANON after; 'unknown' when blank. Left out: records with a blank PMR
  (counted in stg_hesa__instances) and records without a commencement date, ending before it or
  commencing after their year ends (counted by check records_left_out). Source: int_he__records
  (stg_hesa__instances, person_identifier by PMR).
grain: [person_id, provider_id, start_date]
unique: {records: [pmr, hesa_year, start_date]}  # select * of ws.int_he__records: its grain
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - expression_is_true: end_date <= @reference_date
  - accepted_values: {column: end_rule, values: [actual, last_year_seen, open]}
  - accepted_values: {column: level_group, values: [postgraduate, undergraduate, other]}
  - accepted_values: {column: level_of_study, values: [higher_degree_research, higher_degree_taught, other_postgraduate, first_degree, other_undergraduate, further_education]}
indexes: [[person_id]]
--- */

with

coverage as (

    select max(instances.hesa_year) as last_hesa_year
    from ws.stg_hesa__instances as instances

),

records as (

    select records.*
    from ws.int_he__records as records

),

ranked as (

    select
        records.*,
        row_number() over (
            partition by records.person_id, records.provider_id, records.start_date
            order by
                records.hesa_year desc,
                case when records.end_date is null then 1 else 0 end,
                records.end_date desc,
                records.mode_code, records.level_code, records.year_of_student, records.pmr
        ) as recency_rank,
        row_number() over (
            partition by records.person_id, records.provider_id, records.start_date
            order by
                case when records.is_qualifier = 1 and records.qualification_obtained_code is not null then 0 else 1 end,
                records.hesa_year desc, records.qualification_obtained_code, records.pmr
        ) as qualification_rank,
        row_number() over (
            partition by records.person_id, records.provider_id, records.start_date
            order by
                case when records.subject_jacs is null then 1 else 0 end,
                records.hesa_year desc, records.subject_jacs, records.pmr
        ) as jacs_rank,
        row_number() over (
            partition by records.person_id, records.provider_id, records.start_date
            order by
                case when records.subject_hecos is null then 1 else 0 end,
                records.hesa_year desc, records.subject_hecos, records.pmr
        ) as hecos_rank,
        min(records.hesa_year) over (
            partition by records.person_id, records.provider_id, records.start_date
        ) as first_hesa_year,
        count(*) over (
            partition by records.person_id, records.provider_id, records.start_date
        ) as n_records
    from records

),

spells as (

    select
        ranked.person_id,
        ranked.provider_id,
        ranked.start_date,
        max(case when ranked.recency_rank = 1 then ranked.end_date end) as end_date,
        max(case when ranked.recency_rank = 1 then ranked.hesa_year end) as last_hesa_year,
        min(ranked.first_hesa_year) as first_hesa_year,
        min(ranked.n_records) as n_records,
        max(case when ranked.recency_rank = 1 then ranked.mode_code end) as mode_code,
        max(case when ranked.recency_rank = 1 then ranked.level_code end) as level_code,
        max(case when ranked.recency_rank = 1 then ranked.year_of_student end) as year_of_student,
        max(case when ranked.qualification_rank = 1 and ranked.is_qualifier = 1 then ranked.qualification_obtained_code end) as qualification_obtained_code,
        max(case when ranked.qualification_rank = 1 and ranked.is_qualifier = 1 and ranked.qualification_obtained_code is not null then ranked.hesa_year end) as qualification_year,
        max(case when ranked.jacs_rank = 1 then ranked.subject_jacs end) as subject_jacs,
        max(case when ranked.hecos_rank = 1 then ranked.subject_hecos end) as subject_hecos
    from ranked
    group by ranked.person_id, ranked.provider_id, ranked.start_date

),

ended as (

    select
        spells.*,
        case
            when spells.end_date is not null then spells.end_date
            when spells.last_hesa_year < coverage.last_hesa_year then datefromparts(spells.last_hesa_year, 8, 31)
        end as rule_end_date,
        case
            when spells.end_date is not null then 'actual'
            when spells.last_hesa_year < coverage.last_hesa_year then 'last_year_seen'
            else 'open'
        end as end_rule
    from spells
    cross join coverage
    where spells.start_date <= @reference_date

)

select
    ---------- ids
    ended.person_id,  -- the project's person identifier
    ended.provider_id,  -- pseudonymised HE provider; 'unknown' when blank

    ---------- dates
    ended.start_date,  -- commencement date (COMDATE; inclusive)
    case
        when ended.rule_end_date is null or ended.rule_end_date > @reference_date then @reference_date
        else ended.rule_end_date
    end as end_date,  -- last day (inclusive) by end_rule; the reference date when censored
    cast(case when ended.rule_end_date is null or ended.rule_end_date > @reference_date then 1 else 0 end as smallint) as is_censored,  -- 1 = continuing at the end of the data or running past the reference date: cut there
    ended.end_rule,  -- actual (DATELEFT/ENDDATE), last_year_seen (31 Aug of its last year) or open

    ---------- study
    ended.mode_code,  -- latest record's XMODE01: 1 FT, 2 sandwich, 3 PT, 4 writing-up, 5 sabbatical, 6 dormant
    cast(case when ended.mode_code in (1, 2) then 1 when ended.mode_code is not null then 0 end as smallint) as is_full_time,  -- 1 = full-time or sandwich (mode 1 or 2) in the latest record
    ended.level_code as level_of_study_code,  -- latest record's XLEV601 (grouped qualification aim), as delivered
    case ltrim(rtrim(ended.level_code))
        when '1' then 'higher_degree_research'
        when '2' then 'higher_degree_taught'
        when '3' then 'other_postgraduate'
        when '4' then 'first_degree'
        when '5' then 'other_undergraduate'
        when '6' then 'further_education'
    end as level_of_study,  -- XLEV601 label: higher_degree_research ... further_education
    case
        when ltrim(rtrim(ended.level_code)) in ('1', '2', '3') then 'postgraduate'
        when ltrim(rtrim(ended.level_code)) in ('4', '5') then 'undergraduate'
        when ended.level_code is not null then 'other'
    end as level_group,  -- postgraduate (XLEV601 1-3), undergraduate (4-5), other (6 further education, or another code); NULL when missing
    ended.year_of_student,  -- latest record's year of student on the instance (YEARSTU)
    ended.subject_jacs,  -- principal subject, JACS (latest record with one; to 2018/19)
    ended.subject_hecos,  -- principal subject, HECOS (latest record with one; 2019/20)

    ---------- qualification
    ended.qualification_obtained_code,  -- XQOBTN01 of the latest record in the qualifiers population (e.g. H00, M00)
    ended.qualification_year as qualification_academic_year,  -- academic year (end year) of that record
    cast(case when ended.qualification_obtained_code is not null then 1 else 0 end as smallint) as has_qualification,  -- 1 = a qualification obtained is recorded

    ---------- records
    ended.first_hesa_year as first_academic_year,  -- first HESA year (academic-year end) the instance appears in
    ended.last_hesa_year as last_academic_year,  -- last HESA year (academic-year end) the instance appears in
    ended.n_records  -- yearly HESA records of the instance
from ended
