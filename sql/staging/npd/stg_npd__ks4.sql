/* ---
description: >
  Key Stage 4 results of every available year, one row per pupil x KS4 record x year, with the
  headline measures of each year harmonised: level2_em (5+ A*-C or 9-4 including English and
  maths, whichever measure the year has), capped point score (every year: KS4_PTSCNEWE to 2013,
  KS4_PTSCNEWE_PTQ in 2014, KS4_PTSCNEWE_PTQ_EE from 2015; 2014 on counts qualifications by the
  reformed performance-table rules, so the score is not comparable across 2013 and 2014),
  Attainment 8 and Progress 8 (from 2016), and the 9-4 basics (from 2017). Blank PMRs become
  NULL.
checks:
  - not_null: [pmr]
    name: blank_pmr
    severity: warn
    max_failing_rate: 0.01
--- */

with

ks4 as (

    select * from npd.ks4

)

select
    ks4.ks4_year,  -- academic-year end of the KS4 results (2014 = 2013/14)
    nullif(ltrim(rtrim(ks4.ks4_pupilmatchingrefanonymous)), '') as pmr,  -- NPD pupil matching reference
    nullif(ltrim(rtrim(ks4.ks4_laestab_anon)), '') as school_id,  -- pseudonymised school
    case upper(left(ltrim(ks4.ks4_gender), 1)) when 'M' then 'M' when 'F' then 'F' end as sex,  -- M or F
    cast(ks4.ks4_yearofbirth as int) as birth_year,  -- year of birth
    cast(ks4.ks4_monthofbirth as int) as birth_month,  -- month of birth
    upper(nullif(ltrim(rtrim(ks4.ks4_ethnic)), '')) as ethnicity_code,  -- ethnicity (from 2015)
    cast(ks4.ks4_fsm as int) as is_fsm,  -- FSM eligible at KS4 (from 2007)
    cast(ks4.ks4_fsm6 as int) as is_ever_fsm_6,  -- FSM in the last six years (from 2012)
    case
        when upper(ks4.ks4_senf) in ('S', 'E') then 'E'
        when upper(ks4.ks4_senf) in ('A', 'P', 'K') then 'K'
        when upper(ks4.ks4_senf) = 'N' then 'N'
        when ks4.ks4_senps = 1 then 'E'
        when ks4.ks4_sena = 1 then 'K'
        when ks4.ks4_senps = 0 and ks4.ks4_sena = 0 then 'N'
    end as sen_provision,  -- N none, K support, E statement or EHC plan
    ks4.ks4_idaci as idaci_score,  -- IDACI score
    coalesce(ks4.ks4_endks, 1) as is_end_of_ks4,  -- at the end of KS4 (assumed before 2007)
    coalesce(ks4.ks4_natres, 1) as is_in_national_results,  -- counted in national results (assumed before 2004)
    coalesce(ks4.ks4_level2_em, ks4.ks4_level2_em_ptq, ks4.ks4_level2_em_ptq_ee) as has_level2_em,  -- 5+ A*-C/9-4 incl. English and maths
    coalesce(ks4.ks4_ptscnewe, ks4.ks4_ptscnewe_ptq, ks4.ks4_ptscnewe_ptq_ee) as capped_point_score,  -- capped GCSE and equivalents point score (PTSCNEWE to 2013, _PTQ 2014, _PTQ_EE 2015 on)
    ks4.ks4_att8 as attainment8,  -- Attainment 8 (from 2016)
    ks4.ks4_p8score as progress8,  -- Progress 8 (from 2016)
    ks4.ks4_l2basics_94 as has_basics_94,  -- 9-4 passes in English and maths (from 2017)
    ks4.ks4_ebacc_94 as has_ebacc_94,  -- English Baccalaureate at 9-4 (from 2017)

    case
        when ks4.ks4_pupilmatchingrefanonymous is null or rtrim(ks4.ks4_pupilmatchingrefanonymous) = '' then 'blank_identifier'
    end as row_issue  -- NULL = used; blank_identifier: no PMR, the result reaches no person

from ks4
