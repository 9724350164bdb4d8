/* ---
description: >
  One row per person x learning aim that can enter a pathway (derivations 21.2): ILR aims
  (aim_source ilr: person, provider, learning aim reference, start date, as in int_fe__aims) and
  school sixth-form aims (aim_source plams: int_school__plams_aims, provider_id 0 and the school in
  school_id), with the aim's end, levels, LARS qualification flags, widths and sizes. Aims
  starting after the reference date, aims ending before they start and aims of records linked to
  no person are left out (as in fe_spells). A PLAMS aim is read like an ILR aim of a school: its
  end is int_school__plams_aims's (actual, else planned); its level the recorded qualification
  level; no programme, apprenticeship, traineeship or Diploma; completed when graded, achieved
  when graded other than U; the LARS flags of its qualification number as for ILR aims, and also
  is_a_level (is_btec) when the recorded qualification type names an A or AS level (a BTEC, OCR
  or T Level); widths only from the polyfill (PLAMS records none), so an aim reference never seen
  in the ILR has no weight or size.
  End (D102, decision 8): int_fe__aims's end rule (the latest record's actual end; else 31 August
  of the last academic year of a withdrawn aim; else the expected end); open aims and ends after
  the reference date are cut at the reference date (is_censored = 1). 1900-01-01 ends are NULL
  since staging, so they never push an aim out of every window, and withdrawn aims without an end
  are kept (the reference dropped them). Levels (D98): aim_level is int_fe__aims's (notional_level_v2
  0-8, 15 level 1/2 as 1 like fe_spells, 9 higher as NULL; else notional_level); potential_level
  (D94) is the aim's own level, aim_level; pathway_level, used to classify, is the apprenticeship's
  level for an aim of an apprenticeship with a known level (programme type, or a standard's highest
  aim level), else aim_level, so a programme aim and its components share their programme's level.
  Qualification flags: the reference's Ofqual table (qrd) does not exist here, so they come from
  LARS (stg_lilr__lars) for the aim reference in the aim's last academic year, else the nearest
  LARS year, the earlier on a tie (D96, N8); a year's QualType counts only when the year has
  exactly one non-blank QualType. is_a_level: QualType 0001, 0002, 1413, 1430-1435 or 1453, or a
  title starting "GCE A...level", "A level" or "AS level"; is_btec: a title containing BTEC, the
  word OCR (upper-cased word match, as the reference's case-sensitive OCR match depends on
  collation) or starting "T Level"; a BTEC/OCR/T Level title is never an A level; is_nvq: QualType
  0036 or the word NVQ; is_gcse: QualType 0003 or 2999 or the word GCSE; is_general: QualType
  1442-1447; is_diploma (14-19 Diploma): programme type 15-18. English and maths (has_sfl_*): Skills
  for Life type 1 (literacy) or 2 (numeracy), or a GCSE whose title names English or maths (the
  data dictionary counts GCSEs). Widths (percent of a full level 2 or 3): the latest record's
  positive width, else the mean positive width of the aim reference over all ILR records
  (the reference's polyfill), else NULL. weight = the width of the aim's potential level (level-2
  width at level 2, level-3 width at level 3) / 100, NULL at other levels; level3_size = level-3
  width / 50 (A-level equivalents; polyfill only at level 3 and above); level2_size = level-2
  width / 20 (GCSE equivalents; polyfill only at level 2 and above). Sources: int_fe__aims,
  int_school__plams_aims, stg_lilr__aims, stg_lilr__lars.
grain: [person_id, aim_source, provider_id, learning_aim_ref, start_date]
# ILR rows (int_fe__aims's grain) and PLAMS rows (int_school__plams_aims's grain, provider_id 0)
unique: {aims: [person_id, aim_source, provider_id, learning_aim_ref, start_date]}
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - expression_is_true: end_date <= @reference_date
  - not_null: [qual_type]
    name: aims_without_lars_qual_type
    description: aims whose LARS rows give no single QualType (flags from titles and programme type only)
    severity: warn
    max_failing_rate: 0.5
indexes: [[person_id]]
--- */

with

aims as (

    select
        'ilr' as aim_source,
        aims.person_id,
        aims.provider_id,
        cast(null as varchar(30)) as school_id,
        aims.learning_aim_ref,
        aims.start_date,
        aims.end_date,
        aims.end_rule,
        aims.last_academic_year,
        aims.aim_level,
        aims.apprenticeship_level,
        aims.programme_type,
        aims.is_programme_aim,
        aims.is_apprenticeship,
        aims.is_traineeship,
        aims.completion_status,
        aims.achievement_date,
        aims.outcome_code,
        aims.recordid,
        0 as is_a_level_type,
        0 as is_btec_type
    from ws.int_fe__aims as aims
    where aims.start_date <= @reference_date
        and (aims.end_date is null or aims.end_date >= aims.start_date)

    union all

    select
        'plams' as aim_source,
        plams.person_id,
        cast(0 as bigint) as provider_id,
        plams.school_id,
        plams.learning_aim_ref,
        plams.start_date,
        plams.end_date,
        plams.end_rule,
        plams.last_academic_year,
        plams.aim_level,
        cast(null as int) as apprenticeship_level,
        cast(null as int) as programme_type,
        0 as is_programme_aim,
        0 as is_apprenticeship,
        0 as is_traineeship,
        case when plams.is_completed = 1 then 2 end as completion_status,
        cast(null as date) as achievement_date,
        case when plams.is_achieved = 1 then 1 end as outcome_code,
        cast(null as int) as recordid,
        plams.is_a_level_type,
        plams.is_btec_type
    from ws.int_school__plams_aims as plams
    where plams.start_date <= @reference_date

),

-- the latest record(s) of each aim: the record int_fe__aims took the aim's attributes from
latest_records as (

    select
        aims.aim_source,
        aims.person_id,
        aims.provider_id,
        aims.learning_aim_ref,
        aims.start_date,
        max(case when records.fl2_width_pct > 0 then records.fl2_width_pct end) as fl2_width_pct,
        max(case when records.fl3_width_pct > 0 then records.fl3_width_pct end) as fl3_width_pct,
        max(case when records.sfl_type = 1 then 1 else 0 end) as is_sfl_literacy,
        max(case when records.sfl_type = 2 then 1 else 0 end) as is_sfl_numeracy,
        max(records.ssa_tier2) as ssa_tier2
    from aims
    inner join ws.stg_lilr__aims as records
        on aims.aim_source = 'ilr'
        and records.recordid = aims.recordid
        and records.academic_year = aims.last_academic_year
        and coalesce(records.provider_id, 0) = aims.provider_id
        and records.learning_aim_ref = aims.learning_aim_ref
        and records.start_date = aims.start_date
    group by aims.aim_source, aims.person_id, aims.provider_id, aims.learning_aim_ref, aims.start_date

),

-- the reference's width polyfill: mean positive width of an aim reference over every ILR record
polyfill as (

    select
        records.learning_aim_ref,
        avg(cast(case when records.fl2_width_pct > 0 then records.fl2_width_pct end as decimal(12, 2))) as fl2_width_pct,
        avg(cast(case when records.fl3_width_pct > 0 then records.fl3_width_pct end as decimal(12, 2))) as fl3_width_pct
    from ws.stg_lilr__aims as records
    where records.learning_aim_ref is not null
        and (records.fl2_width_pct > 0 or records.fl3_width_pct > 0)
    group by records.learning_aim_ref

),

lars_rows as (

    select
        lars.learning_aim_ref,
        lars.academic_year,
        lars.qual_type,
        upper(lars.aim_title) as title_upper,
        concat(' ', replace(replace(replace(replace(replace(upper(lars.aim_title), '(', ' '), ')', ' '), ',', ' '), '-', ' '), '/', ' '), ' ') as title_words
    from ws.stg_lilr__lars as lars
    where lars.learning_aim_ref is not null
        and lars.academic_year is not null

),

-- one row per aim reference x LARS year
lars_years as (

    select
        lars_rows.learning_aim_ref,
        lars_rows.academic_year as lars_year,
        case when min(lars_rows.qual_type) = max(lars_rows.qual_type) then max(lars_rows.qual_type) end as qual_type,
        max(case
            when lars_rows.title_upper like 'GCE A% LEVEL%' then 1
            when lars_rows.title_upper like 'A LEVEL %' or lars_rows.title_upper like 'AS LEVEL %' then 1
            else 0
        end) as is_a_level_title,
        max(case
            when lars_rows.title_upper like '%BTEC%' then 1
            when lars_rows.title_words like '% OCR %' then 1
            when lars_rows.title_upper like 'T LEVEL%' then 1
            else 0
        end) as is_btec,
        max(case when lars_rows.title_words like '% NVQ %' then 1 else 0 end) as is_nvq_title,
        max(case when lars_rows.title_words like '% GCSE %' then 1 else 0 end) as is_gcse_title,
        max(case when lars_rows.title_words like '% ENGLISH %' then 1 else 0 end) as is_english_title,
        max(case
            when lars_rows.title_upper like '%MATHEMATIC%' or lars_rows.title_words like '% MATHS %' then 1
            else 0
        end) as is_maths_title
    from lars_rows
    group by lars_rows.learning_aim_ref, lars_rows.academic_year

),

-- the academic years aims end in, per aim reference (0 for none: no aim has none today)
aim_years as (

    select distinct
        aims.learning_aim_ref,
        coalesce(aims.last_academic_year, 0) as year_key
    from aims

),

-- the LARS year of each aim reference x last academic year (the choice depends on nothing else,
-- so it is made once per pair, not once per aim): that year, else the nearest, the earlier on a tie
lars_matched as (

    select
        aim_years.learning_aim_ref,
        aim_years.year_key,
        lars_years.lars_year,
        lars_years.qual_type,
        lars_years.is_a_level_title,
        lars_years.is_btec,
        lars_years.is_nvq_title,
        lars_years.is_gcse_title,
        lars_years.is_english_title,
        lars_years.is_maths_title,
        row_number() over (
            partition by aim_years.learning_aim_ref, aim_years.year_key,
                lars_years.learning_aim_ref  -- the join's (equal to aim_years'): with lars_year, lars_years' key
            order by abs(lars_years.lars_year - nullif(aim_years.year_key, 0)), lars_years.lars_year
        ) as lars_rank
    from aim_years
    inner join lars_years
        on lars_years.learning_aim_ref = aim_years.learning_aim_ref

),

lars as (

    select * from lars_matched where lars_matched.lars_rank = 1

),

flagged as (

    select
        aims.*,
        lars.lars_year,
        lars.qual_type,
        case when coalesce(lars.is_btec, 0) = 1 or aims.is_btec_type = 1 then 1 else 0 end as is_btec,
        case
            when coalesce(lars.is_btec, 0) = 1 or aims.is_btec_type = 1 then 0
            when aims.is_a_level_type = 1 then 1
            when lars.qual_type in ('0001', '0002', '1413', '1430', '1431', '1432', '1433', '1434', '1435', '1453') then 1
            when lars.is_a_level_title = 1 then 1
            else 0
        end as is_a_level,
        case when lars.qual_type = '0036' or lars.is_nvq_title = 1 then 1 else 0 end as is_nvq,
        case when lars.qual_type in ('0003', '2999') or lars.is_gcse_title = 1 then 1 else 0 end as is_gcse,
        case when lars.qual_type in ('1442', '1443', '1444', '1445', '1446', '1447') then 1 else 0 end as is_general,
        coalesce(lars.is_english_title, 0) as is_english_title,
        coalesce(lars.is_maths_title, 0) as is_maths_title,
        coalesce(latest.fl2_width_pct, polyfill.fl2_width_pct) as fl2_width_pct,
        coalesce(latest.fl3_width_pct, polyfill.fl3_width_pct) as fl3_width_pct,
        case when latest.fl2_width_pct is null and polyfill.fl2_width_pct is not null then 1 else 0 end as is_fl2_polyfilled,
        case when latest.fl3_width_pct is null and polyfill.fl3_width_pct is not null then 1 else 0 end as is_fl3_polyfilled,
        coalesce(latest.is_sfl_literacy, 0) as is_sfl_literacy,
        coalesce(latest.is_sfl_numeracy, 0) as is_sfl_numeracy,
        latest.ssa_tier2,
        case
            when aims.is_apprenticeship = 1 and aims.apprenticeship_level is not null then aims.apprenticeship_level
            else aims.aim_level
        end as pathway_level
    from aims
    left join latest_records as latest
        -- equalities only (a condition on aims alone here made DuckDB loop: 95 s at 100,000 pupils)
        on latest.aim_source = aims.aim_source
        and latest.person_id = aims.person_id
        and latest.provider_id = aims.provider_id
        and latest.learning_aim_ref = aims.learning_aim_ref
        and latest.start_date = aims.start_date
    left join polyfill
        on polyfill.learning_aim_ref = aims.learning_aim_ref
    left join lars
        on lars.learning_aim_ref = aims.learning_aim_ref
        and lars.year_key = coalesce(aims.last_academic_year, 0)

)

select
    ---------- ids
    flagged.person_id,  -- the project's person identifier
    flagged.aim_source,  -- ilr (ILR aim) or plams (school sixth-form aim)
    flagged.provider_id,  -- pseudonymised provider (UKPRN, else UPIN); 0 = unknown or a PLAMS aim
    flagged.school_id,  -- pseudonymised school of a PLAMS aim; NULL for ILR aims
    flagged.learning_aim_ref,  -- learning aim reference; ZPROG001 = programme aim
    flagged.start_date,  -- aim start

    ---------- end
    case
        when flagged.end_date is null or flagged.end_date > @reference_date then @reference_date
        else flagged.end_date
    end as end_date,  -- end by int_fe__aims's end rule, cut at the reference date
    cast(case when flagged.end_date is null or flagged.end_date > @reference_date then 1 else 0 end as smallint) as is_censored,  -- 1 = open or running past the reference date
    flagged.end_rule,  -- actual, withdrawn_last_year, expected, planned (PLAMS) or open
    flagged.last_academic_year,  -- last academic year (end year) the aim appears in

    ---------- levels
    flagged.aim_level,  -- the aim's own level (notional_level_v2; 15 -> 1, 9 -> NULL)
    flagged.aim_level as potential_level,  -- D94: the level whose width weighs the aim (its own level)
    flagged.apprenticeship_level,  -- level of the apprenticeship programme (2-7); NULL if not one or unknown
    flagged.pathway_level,  -- level used to classify: the apprenticeship's if known, else the aim's own

    ---------- programme
    flagged.programme_type,  -- ILR programme type of the latest record
    flagged.is_programme_aim,  -- 1 = programme (umbrella) aim ZPROG001
    cast(case when flagged.programme_type in (2, 3, 10, 20, 21, 22, 23) then 1 else 0 end as smallint) as is_framework,  -- 1 = apprenticeship framework aim
    cast(case when flagged.programme_type = 25 then 1 else 0 end as smallint) as is_standard,  -- 1 = apprenticeship standard aim
    flagged.is_traineeship,  -- 1 = traineeship aim (programme type 24)
    cast(case when flagged.programme_type in (15, 16, 17, 18) then 1 else 0 end as smallint) as is_diploma,  -- 1 = 14-19 Diploma (programme type 15-18)

    ---------- qualification (LARS)
    flagged.lars_year,  -- LARS academic year used (the last academic year, else the nearest, earlier on a tie); NULL = not in LARS
    flagged.qual_type,  -- LARS QualType of that year when unique
    cast(flagged.is_a_level as smallint) as is_a_level,  -- 1 = A or AS level
    cast(flagged.is_btec as smallint) as is_btec,  -- 1 = BTEC, OCR or T Level title
    cast(flagged.is_nvq as smallint) as is_nvq,  -- 1 = NVQ
    cast(flagged.is_gcse as smallint) as is_gcse,  -- 1 = GCSE
    cast(flagged.is_general as smallint) as is_general,  -- 1 = general qualification (QualType 1442-1447)
    cast(case when flagged.is_sfl_literacy = 1 or (flagged.is_gcse = 1 and flagged.is_english_title = 1) then 1 else 0 end as smallint) as is_sfl_english,  -- 1 = English or literacy: Skills for Life 1 or a GCSE in English
    cast(case when flagged.is_sfl_numeracy = 1 or (flagged.is_gcse = 1 and flagged.is_maths_title = 1) then 1 else 0 end as smallint) as is_sfl_maths,  -- 1 = maths or numeracy: Skills for Life 2 or a GCSE in maths
    flagged.ssa_tier2,  -- sector subject area tier 2 of the latest record

    ---------- size
    flagged.fl2_width_pct,  -- percent of a full level 2: own, else the aim reference's mean (polyfill)
    flagged.fl3_width_pct,  -- percent of a full level 3: own, else the aim reference's mean (polyfill)
    cast(case when flagged.is_fl2_polyfilled = 1 or flagged.is_fl3_polyfilled = 1 then 1 else 0 end as smallint) as is_width_polyfilled,  -- 1 = a width comes from the polyfill
    cast(case flagged.aim_level
        when 2 then cast(flagged.fl2_width_pct as decimal(18, 6)) / 100
        when 3 then cast(flagged.fl3_width_pct as decimal(18, 6)) / 100
    end as decimal(18, 6)) as weight,  -- share of a full level at the aim's potential level; NULL at other levels
    cast(case
        when flagged.is_fl3_polyfilled = 0 or flagged.aim_level >= 3 then cast(flagged.fl3_width_pct as decimal(18, 6)) / 50
    end as decimal(18, 6)) as level3_size,  -- A-level equivalents (level-3 width / 50)
    cast(case
        when flagged.is_fl2_polyfilled = 0 or flagged.aim_level >= 2 then cast(flagged.fl2_width_pct as decimal(18, 6)) / 20
    end as decimal(18, 6)) as level2_size,  -- GCSE equivalents (level-2 width / 20)

    ---------- status
    flagged.completion_status,  -- latest record: 1 continuing, 2 completed, 3 withdrawn, 4 transferred, 6 break
    cast(case when flagged.completion_status = 2 then 1 else 0 end as smallint) as is_completed,  -- 1 = completed (status 2)
    cast(case when flagged.achievement_date is not null or flagged.outcome_code in (1, 2, 6, 7) then 1 else 0 end as smallint) as is_achieved  -- 1 = achievement date, or outcome achieved, partial or AS achieved
from flagged
