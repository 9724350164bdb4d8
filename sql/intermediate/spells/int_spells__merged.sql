/* ---
description: >
  One row per spell kind x person x spell key x merged spell: the project's one gaps-and-islands
  merge, read by employment_spells (kind employment), benefit_spells (kind benefit, key the
  benefit code), activity_spells (kind activity, key the activity type) and diagnostic SP-1
  (int_quality__record_counts). Input, one branch per kind and source in source_spells:
  employment: PAYE spells (stg_leo__employment) under a person's EduKeys (person_identifier);
  benefit: DWP claims (stg_leo__benefits) with a code; activity: school_spells and school
  sixth-form aims (int_school__plams_aims: an aim's start to its end, as school), fe_spells
  (classroom_fe -> fe when it counts as participation by setting fe_participation: by default an
  aim whose funding model is not 99, no Skills Funding Agency or YPLA funding; traineeship; the
  rest apprenticeship), he_spells by HESA year (int_he__instance_years: dormant years, XMODE01
  6, left out by setting he_dormant_students; further-education-level instances, XLEV601 6,
  fe by setting he_fe_level), the claims with a code in
  a classification as benefit_spells.benefit_group (out_of_work_benefit, disability_carer_benefit,
  in_work_benefit: the source's out-of-work flag, else ref_benefit_types, setting
  benefit_classification; unknown codes without a flag left out), self_employment (a tax year,
  6 April to 5 April, of a self-assessment return by setting self_employment_evidence: the
  self-employed flag by default, or profit above 0, or either) and nccis_spells (custody,
  neet_active, neet_inactive). Employment is no activity input: the merged spells
  of kind employment are more than a day apart already, so activity_spells takes them as they
  are. PAYE spells and claims without an EduKey or with a row_issue (an unknown start or end;
  counted per reason in staging), starting after the reference date or ending before they start
  are left out; open ones (NULL end) and ends past the reference date end there with
  is_censored = 1; activity spells starting after the reference date are left out. Merge rule:
  within one kind, person and key, spells are read by start date, then end date; a spell opens a
  new merged spell when it starts more than one day after the latest end of the spells read
  before it, so overlapping and abutting spells merge (a job-to-job move without a gap is one
  spell). Ties: spells with the same start always merge: only the first spell read on a start
  (the one with the latest end; the other columns complete a total order) may open a merged
  spell, and the spells read before it are exactly those starting earlier, so the result never
  depends on how ties are read. Across merged rows: start_date is the
  earliest start and end_date the latest end; is_censored is the maximum (a censored spell ends at
  the reference date, so it is also the flag of the spells ending on the merged end);
  is_start_uncertain (is_end_uncertain) is the minimum over the spells starting (ending) on the
  merged start (end), uncertain only when all of them had a defaulted date (employment only);
  source_flag is the maximum (benefit: the source's out-of-work flag); n_source_keys counts the
  distinct EduKeys (employment and benefit; 0 for activity); previous_end_date is the latest end
  of the earlier merged spells of the same kind, person and key (SP-1 flags a spell starting on or
  before the day after it).
grain: [spell_kind, person_id, spell_key, start_date]
unique:  # every column: spells equal in all of them are interchangeable (ordered's windows sort by all)
  source_spells: [spell_kind, person_id, spell_key, source_key, start_date, end_date, is_censored,
                  is_start_uncertain, is_end_uncertain, source_flag]
checks:
  - accepted_values: {column: spell_kind, values: [employment, benefit, activity]}
  - expression_is_true: start_date <= end_date
  - expression_is_true: end_date <= @reference_date
--- */

with

self_assessment as (

    -- one row per person x tax year with a self-assessment return (under any of their EduKeys)
    select
        ids.person_id,
        returns.tax_year,
        max(returns.is_self_employed) as is_self_employed,
        sum(returns.earnings_gbp_nominal) as earnings_gbp_nominal
    from ws.stg_leo__self_assessment as returns
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = returns.edukey
    group by ids.person_id, returns.tax_year

),

classified_claims as (

    -- the claims of the benefit branch with their activity type (rule 4 of docs/decisions.md)
    select
        ids.person_id,
        claims.spell_start_date,
        claims.spell_end_date,
        case
            when (case
                    when @benefit_source_flag = 1 and claims.source_out_of_work_flag is not null then claims.source_out_of_work_flag
                    else benefit_types.is_out_of_work
                  end) is null then null
            when (case
                    when @benefit_source_flag = 1 and claims.source_out_of_work_flag is not null then claims.source_out_of_work_flag
                    else benefit_types.is_out_of_work
                  end) = 1 then 'out_of_work_benefit'
            when benefit_types.benefit_group is null or benefit_types.benefit_group = 'out_of_work_benefit' then 'in_work_benefit'
            else benefit_types.benefit_group
        end as benefit_group
    from ws.stg_leo__benefits as claims
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = claims.edukey
    left join ws.ref_benefit_types as benefit_types
        on benefit_types.benefit_type = claims.benefit_type
    where claims.spell_start_date is not null
        and claims.benefit_type is not null
        and claims.spell_start_date <= @reference_date
        and (claims.spell_end_date is null or claims.spell_end_date >= claims.spell_start_date)
        and claims.row_issue is null  -- set aside and counted in staging (check row_issues)

),

he_periods as (

    -- rule 5 of docs/decisions.md: an HE instance (he_spells) as one period per HESA year it has
    -- a record in, from 1 September of that year (the instance's start in its first year) to
    -- the day before the next year with a record (the instance's end after its last), so the
    -- periods of one instance abut and merge back into it; a year in which it is dormant is left
    -- out (setting he_dormant_students), and an instance at further-education level (XLEV601 6)
    -- is activity fe (setting he_fe_level)
    select
        spells.person_id,
        case when @he_fe_level_as_fe = 1 and spells.level_of_study_code = '6' then 'fe' else 'he' end as activity_type,
        case
            when years.hesa_year = spells.first_academic_year then spells.start_date
            else datefromparts(years.hesa_year - 1, 9, 1)
        end as start_date,
        case
            when years.next_hesa_year is null or datefromparts(years.next_hesa_year - 1, 8, 31) >= spells.end_date then spells.end_date
            else datefromparts(years.next_hesa_year - 1, 8, 31)
        end as end_date,
        case
            when years.next_hesa_year is null or datefromparts(years.next_hesa_year - 1, 8, 31) >= spells.end_date then spells.is_censored
            else 0
        end as is_censored,
        years.is_dormant
    from ws.he_spells as spells
    inner join ws.int_he__instance_years as years
        on years.person_id = spells.person_id
        and years.provider_id = spells.provider_id
        and years.start_date = spells.start_date
    where spells.start_date <= @reference_date

),

source_spells as (

    -- employment: one row per PAYE source spell
    select
        'employment' as spell_kind,
        ids.person_id,
        'employment' as spell_key,
        spells.edukey as source_key,
        spells.spell_start_date as start_date,
        case
            when spells.spell_end_date is null or spells.spell_end_date > @reference_date then @reference_date
            else spells.spell_end_date
        end as end_date,
        case when spells.spell_end_date is null or spells.spell_end_date > @reference_date then 1 else 0 end as is_censored,
        spells.is_start_uncertain,
        spells.is_end_uncertain,
        cast(null as int) as source_flag
    from ws.stg_leo__employment as spells
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = spells.edukey
    where spells.spell_start_date is not null
        and spells.spell_start_date <= @reference_date
        and (spells.spell_end_date is null or spells.spell_end_date >= spells.spell_start_date)
        and spells.row_issue is null  -- set aside and counted in staging (check row_issues)

    union all

    -- benefit: one row per DWP claim, keyed by its code
    select
        'benefit',
        ids.person_id,
        claims.benefit_type,
        claims.edukey,
        claims.spell_start_date,
        case
            when claims.spell_end_date is null or claims.spell_end_date > @reference_date then @reference_date
            else claims.spell_end_date
        end,
        case when claims.spell_end_date is null or claims.spell_end_date > @reference_date then 1 else 0 end,
        cast(null as smallint),
        cast(null as smallint),
        claims.source_out_of_work_flag
    from ws.stg_leo__benefits as claims
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = claims.edukey
    where claims.spell_start_date is not null
        and claims.benefit_type is not null
        and claims.spell_start_date <= @reference_date
        and (claims.spell_end_date is null or claims.spell_end_date >= claims.spell_start_date)
        and claims.row_issue is null  -- set aside and counted in staging (check row_issues)

    union all

    -- activity: every spell table mapped onto one set of activity types
    select 'activity', spells.person_id, 'school', cast(null as varchar(20)), spells.start_date, spells.end_date, spells.is_censored,
        cast(null as smallint), cast(null as smallint), cast(null as int)
    from ws.school_spells as spells
    where spells.start_date <= @reference_date

    union all

    -- school sixth-form aims (PLAMS): school days the census may not show (a pupil without a
    -- census record in a year, or past the last census); inside a school spell they change nothing
    select 'activity', plams.person_id, 'school', cast(null as varchar(20)), plams.start_date,
        case when plams.end_date is null or plams.end_date > @reference_date then @reference_date else plams.end_date end,
        cast(case when plams.end_date is null or plams.end_date > @reference_date then 1 else 0 end as smallint),
        cast(null as smallint), cast(null as smallint), cast(null as int)
    from ws.int_school__plams_aims as plams
    where plams.start_date <= @reference_date

    union all

    select
        'activity',
        spells.person_id,
        case
            when spells.spell_type = 'classroom_fe' then 'fe'
            when spells.spell_type = 'traineeship' then 'traineeship'
            else 'apprenticeship'
        end,
        cast(null as varchar(20)), spells.start_date, spells.end_date, spells.is_censored,
        cast(null as smallint), cast(null as smallint), cast(null as int)
    from ws.fe_spells as spells
    where spells.start_date <= @reference_date
        -- rule 6 of docs/decisions.md (setting fe_participation): a classroom aim with funding
        -- model 99 (no Skills Funding Agency or YPLA funding) is no FE participation; an unknown
        -- funding model (-1, NULL) is not evidence against it
        and (@fe_funded_only = 0 or spells.spell_type <> 'classroom_fe' or coalesce(spells.fund_model, -1) <> 99)

    union all

    select 'activity', periods.person_id, periods.activity_type, cast(null as varchar(20)), periods.start_date, periods.end_date,
        periods.is_censored, cast(null as smallint), cast(null as smallint), cast(null as int)
    from he_periods as periods
    where periods.start_date <= periods.end_date
        and (@he_dormant_is_he = 1 or periods.is_dormant = 0)

    union all

    select
        'activity',
        returns.person_id,
        'self_employment',
        cast(null as varchar(20)),
        datefromparts(returns.tax_year - 1, 4, 6),
        case when datefromparts(returns.tax_year, 4, 5) > @reference_date then @reference_date else datefromparts(returns.tax_year, 4, 5) end,
        case when datefromparts(returns.tax_year, 4, 5) > @reference_date then 1 else 0 end,
        cast(null as smallint), cast(null as smallint), cast(null as int)
    from self_assessment as returns
    where ((@self_employment_by_flag = 1 and returns.is_self_employed = 1)
            or (@self_employment_by_profit = 1 and returns.earnings_gbp_nominal > 0))
        and datefromparts(returns.tax_year - 1, 4, 6) <= @reference_date

    union all

    -- the claims of the benefit branch with a classification, as activity: the same filters and
    -- censoring; the group as benefit_spells.benefit_group (the source's flag, else the mapping)
    select
        'activity',
        claims.person_id,
        claims.benefit_group,
        cast(null as varchar(20)),
        claims.spell_start_date,
        case
            when claims.spell_end_date is null or claims.spell_end_date > @reference_date then @reference_date
            else claims.spell_end_date
        end,
        case when claims.spell_end_date is null or claims.spell_end_date > @reference_date then 1 else 0 end,
        cast(null as smallint), cast(null as smallint), cast(null as int)
    from classified_claims as claims
    where claims.benefit_group is not null

    union all

    select
        'activity',
        spells.person_id,
        spells.activity_category,
        cast(null as varchar(20)), spells.start_date, spells.end_date, spells.is_censored,
        cast(null as smallint), cast(null as smallint), cast(null as int)
    from ws.nccis_spells as spells
    where spells.activity_category in ('neet_active', 'neet_inactive', 'custody')
        and spells.start_date <= @reference_date

),

ordered as (

    -- every spell in start order within its kind, person and key (on one start the later end
    -- first, then the other columns: a total order; spells equal in all of them are
    -- interchangeable), with the latest end of the spells before it and the start of the one just
    -- before; source_spells is read once (SQL Server evaluates a CTE at each read). The two
    -- windows spell out one OVER clause twice: a named WINDOW needs SQL Server 2022, and both
    -- must read the ties in the same order (the engines sort once for equal clauses)
    select
        source_spells.*,
        max(source_spells.end_date) over (
            partition by source_spells.person_id, source_spells.spell_kind, source_spells.spell_key
            order by
                source_spells.start_date,
                source_spells.end_date desc,
                source_spells.source_key,
                source_spells.is_censored,
                source_spells.is_start_uncertain,
                source_spells.is_end_uncertain,
                source_spells.source_flag
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end_date,
        lag(source_spells.start_date) over (
            partition by source_spells.person_id, source_spells.spell_kind, source_spells.spell_key
            order by
                source_spells.start_date,
                source_spells.end_date desc,
                source_spells.source_key,
                source_spells.is_censored,
                source_spells.is_start_uncertain,
                source_spells.is_end_uncertain,
                source_spells.source_flag
        ) as previous_start_date
    from source_spells

),

opened as (

    -- a spell opens a merged spell when it is the first of its start and starts more than a day
    -- after the latest end before it: spells sharing a start always merge, and the first of them
    -- has exactly the spells starting earlier before it, so how ties are read changes nothing
    select
        ordered.*,
        case
            when (ordered.previous_start_date is null or ordered.start_date > ordered.previous_start_date)
                and (ordered.previous_max_end_date is null
                    or ordered.start_date > dateadd(day, 1, ordered.previous_max_end_date)) then 1
            else 0
        end as opens_island
    from ordered

),

islands as (

    -- the merged spell's number: the spells opening one up to this start, all spells of a start
    -- counted together (RANGE takes the spells sharing the start as peers), so spells equal in
    -- every column, which two sorts may read in either order, share their number
    select
        opened.*,
        sum(opened.opens_island) over (
            partition by opened.person_id, opened.spell_kind, opened.spell_key
            order by opened.start_date
            range between unbounded preceding and current row
        ) as island_no
    from opened

),

bounded as (

    -- each spell with its merged spell's first and last day (the island's earliest start and
    -- latest end), so the merged spell's flags are read in the one aggregate below, not by joining
    -- the islands back to it (PostgreSQL, misjudging the rows, looped over that join)
    select
        islands.*,
        min(islands.start_date) over (
            partition by islands.person_id, islands.spell_kind, islands.spell_key, islands.island_no
        ) as island_start_date,
        max(islands.end_date) over (
            partition by islands.person_id, islands.spell_kind, islands.spell_key, islands.island_no
        ) as island_end_date
    from islands

),

merged as (

    select
        bounded.spell_kind,
        bounded.person_id,
        bounded.spell_key,
        bounded.island_no,
        min(bounded.start_date) as start_date,
        max(bounded.end_date) as end_date,
        max(bounded.is_censored) as is_censored,
        max(bounded.source_flag) as source_flag,
        -- the row that opens an island read every earlier spell: its running maximum is the
        -- latest end of the earlier merged spells
        max(case when bounded.opens_island = 1 then bounded.previous_max_end_date end) as previous_end_date,
        cast(count(*) as bigint) as n_source_spells,
        -- kinds with source keys (EduKeys): how many, and the uncertain-date flags (employment)
        case
            when bounded.spell_kind in ('employment', 'benefit') then cast(count(distinct bounded.source_key) as bigint)
            else 0
        end as n_source_keys,
        case
            when bounded.spell_kind in ('employment', 'benefit')
                then min(case when bounded.start_date = bounded.island_start_date then bounded.is_start_uncertain end)
        end as is_start_uncertain,
        case
            when bounded.spell_kind in ('employment', 'benefit')
                then min(case when bounded.end_date = bounded.island_end_date then bounded.is_end_uncertain end)
        end as is_end_uncertain
    from bounded
    group by bounded.person_id, bounded.spell_kind, bounded.spell_key, bounded.island_no

)

select
    merged.spell_kind,  -- employment, benefit or activity: the table the spell belongs to
    merged.person_id,  -- the project's person identifier
    merged.spell_key,  -- what spells merge within: 'employment', the benefit code, or the activity type
    merged.start_date,  -- first day (inclusive): the earliest start merged
    merged.end_date,  -- last day (inclusive): the latest end merged; the reference date when censored
    merged.is_censored,  -- 1 = a merged spell was open or ran past the reference date: cut there
    merged.is_start_uncertain,  -- every spell starting on start_date had a defaulted start (employment; else NULL)
    merged.is_end_uncertain,  -- every spell ending on end_date had a defaulted end (employment; else NULL)
    merged.source_flag,  -- maximum of the source's flag over the merged spells (benefit: its out-of-work flag; else NULL)
    merged.n_source_spells,  -- input spells merged into this one
    cast(merged.n_source_keys as bigint) as n_source_keys,  -- distinct source keys (EduKeys) of the merged spells; 0 for activity
    merged.previous_end_date  -- latest end of the earlier merged spells of this kind, person and key (NULL for the first)
from merged
