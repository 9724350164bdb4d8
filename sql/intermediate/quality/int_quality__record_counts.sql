/* ---
description: >
  One row per record-level match-quality diagnostic x measure x scope: numerator and denominator
  counted over records, spells, codes or person-months rather than persons (derivations 26.4),
  overall (ks4_year 'all', subgroup 'all'), per KS4 cohort (through the record's person), and
  broken down by a subgroup (table, benefit_type, hesa_year, tax_year). match_quality_summary
  judges them. Diagnostics and measures:
  BE-3 flagged: benefit spells as delivered (stg_leo__benefits) with a code in ref_benefit_types
  and a source out-of-work flag, whose source flag disagrees with the project's classification,
  by benefit_type (a report: each disagreeing code needs a decision).
  BE-5 flagged: distinct benefit codes in the source absent from ref_benefit_types (hard 0).
  SP-1 flagged: spells of the merged spell tables starting on or before the day after an earlier
  spell of the same person and type ends (an overlap or day-adjacency left after merging; hard 0),
  by table: activity_spells (type), employment_spells, benefit_spells (benefit code), read from
  int_spells__merged, which makes all three, and nccis_spells (activity category).
  SP-2 flagged: person-months of metrics_monthly and person-years of metrics_annual with the days
  of one activity above the days of the period (hard 0), by table.
  HE-4 flagged: HESA records (stg_hesa__instances) with both dates whose end precedes the
  commencement; open_end: HESA records without an end date (D77); both by hesa_year (report).
  EM-3 flagged: employment spells (employment_spells) with an uncertain (defaulted) start or end;
  uncertain_start by the tax year of the start; uncertain_end: spells not censored, with an
  uncertain end, by the tax year of the end (report).
  NC-1 flagged: non-duplicate NCCIS returns with a code absent from ref_nccis_activity;
  conflicting: person-months whose returns give two or more categories, resolved by
  conflict_priority (int_nccis__months).
  NC-2 flagged: person-months whose chosen NCCIS return is at school (110, 210) with no on-roll
  School Census record of the person in that term (September-December autumn, January-March
  spring, April-August summer); months of terms without any census record in the data are not
  judged. Tax years and academic years are named by the year they end.
grain: [diagnostic_id, measure, ks4_year, subgroup, subgroup_value]
checks:
  - expression_is_true: numerator <= denominator
--- */

with

spell_neighbours as (

    -- SP-1: the merged spell tables with the latest end of the same person's earlier spells of the
    -- same type; int_spells__merged carries it for the spells it merges
    select
        case
            when spells.spell_kind = 'activity' then 'activity_spells'
            when spells.spell_kind = 'employment' then 'employment_spells'
            else 'benefit_spells'
        end as table_name,
        spells.person_id,
        spells.start_date,
        spells.previous_end_date as previous_max_end_date
    from ws.int_spells__merged as spells

    union all

    -- activity_spells takes the employment spells as they are
    select 'activity_spells', spells.person_id, spells.start_date, spells.previous_end_date
    from ws.int_spells__merged as spells
    where spells.spell_kind = 'employment'

    union all

    select
        'nccis_spells',
        spells.person_id,
        spells.start_date,
        max(spells.end_date) over (
            partition by spells.person_id, spells.activity_category
            order by spells.start_date, spells.end_date
            rows between unbounded preceding and 1 preceding
        )
    from ws.nccis_spells as spells

),

covered_terms as (

    -- NC-2: census terms the School Census data hold at all
    select distinct records.census_year, records.term_id
    from ws.int_school_census_records as records

),

on_roll_terms as (

    select distinct records.person_id, records.census_year, records.term_id
    from ws.int_school_census_records as records
    where records.is_on_roll = 1

),

school_months as (

    -- NC-2: person-months whose chosen NCCIS return is at school, with the census term of the month
    select
        months.person_id,
        case when month(months.month_start_date) >= 9 then year(months.month_start_date) + 1
             else year(months.month_start_date) end as census_year,
        case when month(months.month_start_date) >= 9 then 1
             when month(months.month_start_date) <= 3 then 2
             else 3 end as term_id
    from ws.int_nccis__months as months
    where months.activity_code in (110, 210)

),

period_days as (

    -- SP-2: the days of each activity in a person-month (metrics_monthly) or person-year
    -- (metrics_annual), beside the days of the period
    select 'metrics_monthly' as table_name, periods.person_id,
        datediff(day, periods.month_start_date, periods.month_end_date) + 1 as n_period_days,
        periods.days_school, periods.days_fe, periods.days_apprenticeship, periods.days_traineeship, periods.days_he,
        periods.days_employment, periods.days_self_employment, periods.days_out_of_work_benefit,
        periods.days_disability_carer_benefit, periods.days_in_work_benefit, periods.days_neet, periods.days_custody
    from ws.metrics_monthly as periods

    union all

    select 'metrics_annual', periods.person_id,
        datediff(day, periods.year_start_date, periods.year_end_date) + 1,
        periods.days_school, periods.days_fe, periods.days_apprenticeship, periods.days_traineeship, periods.days_he,
        periods.days_employment, periods.days_self_employment, periods.days_out_of_work_benefit,
        periods.days_disability_carer_benefit, periods.days_in_work_benefit, periods.days_neet, periods.days_custody
    from ws.metrics_annual as periods

),

units as (

    -- one row per unit examined (or per person-month with its counts): diagnostic, measure, breakdown, person, numerator, denominator
    select
        'BE-3' as diagnostic_id,
        'flagged' as measure,
        'benefit_type' as breakdown,
        claims.benefit_type as breakdown_value,
        ids.person_id,
        case when claims.source_out_of_work_flag <> benefit_types.is_out_of_work then 1 else 0 end as numerator,
        1 as denominator
    from ws.stg_leo__benefits as claims
    inner join ws.ref_benefit_types as benefit_types
        on benefit_types.benefit_type = claims.benefit_type
    left join ws.person_identifier as ids
        on ids.identifier_type = 'edukey'
        and ids.identifier_value = claims.edukey
    where claims.source_out_of_work_flag is not null

    union all

    select 'BE-5', 'flagged', cast(null as varchar(20)), cast(null as varchar(20)), cast(null as bigint),
        case when benefit_types.benefit_type is null then 1 else 0 end, 1
    from (select distinct claims.benefit_type from ws.stg_leo__benefits as claims where claims.benefit_type is not null) as codes
    left join ws.ref_benefit_types as benefit_types
        on benefit_types.benefit_type = codes.benefit_type

    union all

    select 'SP-1', 'flagged', 'table', spell_neighbours.table_name, spell_neighbours.person_id,
        case when spell_neighbours.start_date <= dateadd(day, 1, spell_neighbours.previous_max_end_date) then 1 else 0 end, 1
    from spell_neighbours

    union all

    -- person by person: a cohort member has a row per month (year) of the window
    select 'SP-2', 'flagged', 'table', period_days.table_name, period_days.person_id,
        sum(case when period_days.days_school > period_days.n_period_days
                 or period_days.days_fe > period_days.n_period_days
                 or period_days.days_apprenticeship > period_days.n_period_days
                 or period_days.days_traineeship > period_days.n_period_days
                 or period_days.days_he > period_days.n_period_days
                 or period_days.days_employment > period_days.n_period_days
                 or period_days.days_self_employment > period_days.n_period_days
                 or period_days.days_out_of_work_benefit > period_days.n_period_days
                 or period_days.days_disability_carer_benefit > period_days.n_period_days
                 or period_days.days_in_work_benefit > period_days.n_period_days
                 or period_days.days_neet > period_days.n_period_days
                 or period_days.days_custody > period_days.n_period_days
            then 1 else 0 end),
        count(*)
    from period_days
    group by period_days.table_name, period_days.person_id

    union all

    select 'HE-4', 'flagged', 'hesa_year', cast(instances.hesa_year as varchar(20)), ids.person_id,
        case when instances.end_date < instances.start_date then 1 else 0 end, 1
    from ws.stg_hesa__instances as instances
    left join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = instances.pmr
    where instances.start_date is not null and instances.end_date is not null

    union all

    select 'HE-4', 'open_end', 'hesa_year', cast(instances.hesa_year as varchar(20)), ids.person_id,
        case when instances.end_date is null then 1 else 0 end, 1
    from ws.stg_hesa__instances as instances
    left join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = instances.pmr

    union all

    select 'EM-3', 'flagged', cast(null as varchar(20)), cast(null as varchar(20)), spells.person_id,
        case when spells.is_start_uncertain = 1 or spells.is_end_uncertain = 1 then 1 else 0 end, 1
    from ws.employment_spells as spells

    union all

    select 'EM-3', 'uncertain_start', 'tax_year',
        cast(year(spells.start_date)
             + case when month(spells.start_date) > 4 or (month(spells.start_date) = 4 and day(spells.start_date) >= 6) then 1 else 0 end
             as varchar(20)),
        spells.person_id,
        case when spells.is_start_uncertain = 1 then 1 else 0 end, 1
    from ws.employment_spells as spells

    union all

    select 'EM-3', 'uncertain_end', 'tax_year',
        cast(year(spells.end_date)
             + case when month(spells.end_date) > 4 or (month(spells.end_date) = 4 and day(spells.end_date) >= 6) then 1 else 0 end
             as varchar(20)),
        spells.person_id,
        case when spells.is_end_uncertain = 1 then 1 else 0 end, 1
    from ws.employment_spells as spells
    where spells.is_censored = 0

    union all

    select 'NC-1', 'flagged', cast(null as varchar(20)), cast(null as varchar(20)), months.person_id,
        months.n_unmapped_returns, months.n_returns - months.n_duplicate_returns
    from ws.int_nccis__months as months

    union all

    select 'NC-1', 'conflicting', cast(null as varchar(20)), cast(null as varchar(20)), months.person_id,
        case when months.n_categories > 1 then 1 else 0 end, 1
    from ws.int_nccis__months as months

    union all

    select 'NC-2', 'flagged', cast(null as varchar(20)), cast(null as varchar(20)), school_months.person_id,
        case when on_roll_terms.person_id is null then 1 else 0 end, 1
    from school_months
    inner join covered_terms
        on covered_terms.census_year = school_months.census_year
        and covered_terms.term_id = school_months.term_id
    left join on_roll_terms
        on on_roll_terms.person_id = school_months.person_id
        and on_roll_terms.census_year = school_months.census_year
        and on_roll_terms.term_id = school_months.term_id

),

counted as (

    -- one pass over the units, three groupings: overall, by the breakdown (units that have
    -- one), and by the KS4 cohort of the unit's person (units of a cohort member); GROUPING()
    -- tells a grouping's 'all' from a NULL, which the HAVING drops (no breakdown, no cohort)
    select
        units.diagnostic_id,
        units.measure,
        case when grouping(cohort.ks4_year) = 0 then cast(cohort.ks4_year as varchar(4)) else 'all' end as ks4_year,
        case when grouping(units.breakdown) = 0 then units.breakdown else 'all' end as subgroup,
        case when grouping(units.breakdown) = 0 then coalesce(units.breakdown_value, 'unknown') else 'all' end as subgroup_value,
        sum(units.numerator) as numerator,
        sum(units.denominator) as denominator
    from units
    left join ws.ks4_cohort as cohort
        on cohort.person_id = units.person_id
    group by grouping sets (
        (units.diagnostic_id, units.measure),
        (units.diagnostic_id, units.measure, units.breakdown, coalesce(units.breakdown_value, 'unknown')),
        (units.diagnostic_id, units.measure, cohort.ks4_year)
    )
    having (grouping(units.breakdown) = 1 or units.breakdown is not null)
        and (grouping(cohort.ks4_year) = 1 or cohort.ks4_year is not null)

)

select
    counted.diagnostic_id,  -- diagnostic id (derivations 26.4)
    counted.measure,  -- flagged (the headline), or a second measure (HE-4 open_end, EM-3 uncertain_start/uncertain_end, NC-1 conflicting)
    counted.ks4_year,  -- 'all' or a KS4 cohort (through the unit's person)
    counted.subgroup,  -- all, or the breakdown: table, benefit_type, hesa_year or tax_year
    counted.subgroup_value,  -- the breakdown's value ('all' for none)
    cast(counted.numerator as bigint) as numerator,  -- units flagged
    cast(counted.denominator as bigint) as denominator  -- units examined
from counted
