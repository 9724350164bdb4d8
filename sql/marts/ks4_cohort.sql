/* ---
description: >
  One row per pupil of a configured cohort (ref_ks4_cohorts): who they were at 15/16 and what
  they attained. Who is in a cohort is the setting cohort_definition (column cohort_definition
  says which built the table; int_ks4__pupils has the rules): ks4, the default, takes pupils at
  the end of Key Stage 4 (an end-of-KS4 record in the year); census_on_roll takes Year 11's
  academic birth cohort on roll in a named School Census of the year, with or without a KS4
  record (has_ks4_record = 0: attainment NULL, characteristics from the census). The pupil is the
  person their PMR resolves to (person_identifier). Duplicate KS4 records are resolved by one
  rule: among the person's records
  with ks4_endks = 1 in the configured years, take the earliest year, then the record counted in
  national results, then the "attained" record (level 2 incl. English and maths, then the higher
  Attainment 8, then the higher capped point score), then the lower school and PMR; n_ks4_records
  counts what was resolved. Characteristics come from the pupil's main spring census record of
  the KS4 year (on roll first, then single or main registration, then the KS4 school, then the
  lower school and PMR), falling back to the KS4 record: sex, birth year and month, ethnicity
  (minor code and DfE major group), FSM on census day, ever-FSM in the last six years (KS4 FSM6,
  else the census EverFSM_6_P, else any FSM in the pupil's census records of the six years to the
  KS4 year), SEN (none, support, statement/EHC plan), EAL (first language other than English),
  IDACI score and decile, and region (GOR of the pupil's LEO address in the tax year after KS4,
  else the first later one). Attainment, as the year has it: level 2 incl. English and maths (to
  2016) or 9-4 in English and maths (from 2017); the capped GCSE and equivalents point score in
  every year (KS4_PTSCNEWE to 2013, KS4_PTSCNEWE_PTQ in 2014, KS4_PTSCNEWE_PTQ_EE from 2015: from
  2014 qualifications count by the reformed performance-table rules, so compare scores within a
  year, not across 2013 and 2014); Attainment 8 and Progress 8 only from 2016 (NULL for earlier
  cohorts: a cohort spanning 2015 and 2016 has a common measure only in the capped point score).
grain: [person_id]
unique:
  pupils: [person_id]  # select * of ws.int_ks4__pupils: its grain
  census: [pmr, census_year, term_id, school_id, enrol_status, record_status, birth_year, birth_month]  # school_census's source key
  places: [edukey, tax_year]  # leo_geography's source key
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - accepted_values: {column: sex, values: [M, F]}
  - accepted_values: {column: sen_status, values: [none, support, ehcp]}
  - accepted_values: {column: ethnicity_major, values: [White, Mixed, Asian, Black, Chinese, Other, Unclassified]}
  - not_null: [ks4_year, pmr]
  - expression_is_true: is_linked = 1
    name: leo_link_rate
    severity: warn
    max_failing_rate: 0.1
indexes: [[person_id], [ks4_year]]
--- */

with

pupils as (

    select * from ws.int_ks4__pupils

),

spring_census as (

    select
        pupils.person_id,
        census.*,
        row_number() over (
            partition by pupils.person_id
            order by
                coalesce(census.is_on_roll, 1) desc,
                case when census.enrol_status in ('C', 'M') then 0 else 1 end,
                case when census.school_id = pupils.school_id then 0 else 1 end,
                census.school_id,
                census.pmr,
                -- the rest of the source key (census_year and term_id are fixed by the join): records
                -- alike in all the above are otherwise chosen by the plan
                census.enrol_status, census.record_status, census.birth_year, census.birth_month,
                census.census_year, census.term_id,
                ids.identifier_type, ids.identifier_value  -- equal to 'pmr' and census.pmr: person_identifier's key
        ) as record_rank
    from pupils
    inner join ws.person_identifier as ids
        on ids.person_id = pupils.person_id
        and ids.identifier_type = 'pmr'
    inner join ws.stg_npd__school_census as census
        on census.pmr = ids.identifier_value
        and census.census_year = pupils.ks4_year
        and census.term_id = 2
        and census.is_main_record = 1

),

census_at_ks4 as (

    select * from spring_census where spring_census.record_rank = 1

),

fsm_history as (

    select
        pupils.person_id,
        max(census.is_fsm) as was_fsm_in_six_years
    from pupils
    inner join ws.person_identifier as ids
        on ids.person_id = pupils.person_id
        and ids.identifier_type = 'pmr'
    inner join ws.stg_npd__school_census as census
        on census.pmr = ids.identifier_value
        and census.census_year between pupils.ks4_year - 5 and pupils.ks4_year
        and census.is_main_record = 1
    group by pupils.person_id

),

addresses as (

    select
        pupils.person_id,
        places.region_code,
        row_number() over (
            partition by pupils.person_id
            order by places.tax_year, places.region_code, places.edukey,
                ids.identifier_type, ids.identifier_value  -- equal to 'edukey' and places.edukey: person_identifier's key
        ) as place_rank
    from pupils
    inner join ws.person_identifier as ids
        on ids.person_id = pupils.person_id
        and ids.identifier_type = 'edukey'
    inner join ws.stg_leo__geography as places
        on places.edukey = ids.identifier_value
        and places.tax_year >= pupils.ks4_year + 1
        and places.region_code is not null

),

characteristics as (

    select
        pupils.person_id,
        coalesce(census.sex, pupils.sex) as sex,
        coalesce(census.birth_year, pupils.birth_year) as birth_year,
        coalesce(census.birth_month, pupils.birth_month) as birth_month,
        coalesce(case when census.ethnicity_code_set = 'minor' then census.ethnicity_code end,
                 pupils.ethnicity_code, census.ethnicity_code) as ethnicity_code,
        coalesce(census.is_fsm, pupils.is_fsm) as is_fsm,
        coalesce(pupils.is_ever_fsm_6, census.is_ever_fsm_6, fsm_history.was_fsm_in_six_years) as is_ever_fsm_6,
        case coalesce(
                case
                    when census.sen_provision in ('S', 'E') then 'E'
                    when census.sen_provision in ('A', 'P', 'K') then 'K'
                    else census.sen_provision
                end,
                pupils.sen_provision)
            when 'N' then 'none' when 'K' then 'support' when 'E' then 'ehcp'
        end as sen_status,
        case
            when census.language_code in ('ENG', 'ENB') then 0
            when census.language_code in ('OTH', 'OTB') then 1
            when census.language_code_set = 'language' and census.language_code not in ('NOT', 'REF', 'MIS', 'INV', 'N/A') then 1
        end as is_eal,
        coalesce(census.idaci_score, pupils.idaci_score) as idaci_score,
        census.idaci_rank,
        census.lsoa_vintage,
        addresses.region_code
    from pupils
    left join census_at_ks4 as census
        on census.person_id = pupils.person_id
    left join fsm_history
        on fsm_history.person_id = pupils.person_id
    left join addresses
        on addresses.person_id = pupils.person_id
        and addresses.place_rank = 1

)

select
    ---------- ids
    pupils.person_id,  -- the project's person identifier
    pupils.pmr,  -- PMR of the KS4 record used (census_on_roll without one: of the census record)
    pupils.ks4_year,  -- cohort: academic-year end of Year 11 (2014 = 2013/14)
    pupils.school_id,  -- pseudonymised school at the end of KS4
    people.is_linked,  -- 1 = linked to LEO (has an ae_id)
    pupils.n_ks4_records,  -- KS4 end-of-stage records resolved to this person in the configured years
    pupils.has_ks4_record,  -- 1 = a KS4 record describes the pupil (always 1 under cohort_definition ks4)
    case when @cohort_by_census = 1 then 'census_on_roll' else 'ks4' end as cohort_definition,  -- the setting cohort_definition this table was built with

    ---------- characteristics at 15/16
    characteristics.sex,  -- M or F
    characteristics.birth_year,  -- year of birth
    characteristics.birth_month,  -- month of birth
    characteristics.ethnicity_code as ethnicity_minor,  -- ethnicity code (EthnicGroupMinor)
    coalesce(ethnicity.ethnicity_major, 'Unclassified') as ethnicity_major,  -- DfE major ethnic group
    characteristics.is_fsm,  -- eligible for free school meals in the spring census of Year 11
    characteristics.is_ever_fsm_6,  -- FSM at any point in the six years to the end of KS4
    characteristics.sen_status,  -- none, support (SEN support/School Action) or ehcp (statement or EHC plan)
    characteristics.is_eal,  -- first language other than English
    characteristics.idaci_score,  -- IDACI score of the home LSOA
    cast(case
        when characteristics.idaci_rank between 1 and 32844 then
            cast(floor(cast(characteristics.idaci_rank - 1 as decimal(18, 6)) * 10
                 / case when characteristics.lsoa_vintage = 2001 then 32482 else 32844 end) as int) + 1
    end as int) as idaci_decile,  -- 1 = most deprived tenth of LSOAs in England
    characteristics.region_code,  -- region (GOR) of the LEO address after KS4
    regions.region_name,  -- region name

    ---------- attainment
    coalesce(pupils.has_basics_94, pupils.has_level2_em) as has_good_pass_em,  -- 9-4 in English and maths (2017 on), else 5+ A*-C incl. English and maths
    pupils.has_level2_em,  -- 5+ A*-C/9-4 incl. English and maths (the year's level 2 measure)
    pupils.capped_point_score,  -- capped GCSE and equivalents point score, every year (PTSCNEWE to 2013, _PTQ 2014, _PTQ_EE 2015 on)
    pupils.attainment8,  -- Attainment 8 (2016 on; NULL before)
    pupils.progress8  -- Progress 8 (2016 on; NULL before)

from pupils
inner join ws.person_lookup as people
    on people.person_id = pupils.person_id
left join characteristics
    on characteristics.person_id = pupils.person_id
left join ws.ref_ethnicity as ethnicity
    on ethnicity.ethnicity_code = characteristics.ethnicity_code
left join ws.ref_regions as regions
    on regions.region_code = characteristics.region_code
