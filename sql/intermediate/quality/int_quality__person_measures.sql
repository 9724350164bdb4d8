/* ---
description: >
  One row per person-level match-quality diagnostic x measure x scope (overall, ks4_year 'all',
  and each KS4 cohort; subgroup 'all'): numerator and denominator for match_quality_summary to
  judge. Measure flagged: persons flagged in match_flags among the diagnostic's denominator (see
  ref_match_quality.unit); PL-3 counts linked identifiers linked to 2+ ae_ids and PL-6 EduKeys in
  outcome views without a lookup row (unit_kind identifiers). CD-2, CD-5, CD-6, IL-2, IL-4, IL-6,
  HE-2, HE-3, BE-2, BE-4 and ER-4 (int_quality__person_checks): flagged counts persons with an
  offending record among the persons examined, and flagged_events the records, spells or census
  terms examined and offending (derivations 26.5: the flagged-event share); CD-6 and ER-4 are
  judged on records, so for them flagged counts the records and flagged_persons the persons.
  Sources: person_lookup, person_identifier, match_flags, int_quality__persons,
  int_quality__person_checks, ks4_cohort, the spell tables, earnings, stg_hesa__instances.
grain: [diagnostic_id, measure, ks4_year, subgroup, subgroup_value]
--- */

with

quality as (

    select * from ws.int_quality__persons

),

cohort as (

    select * from ws.ks4_cohort

),

person_units as (

    -- one row per diagnostic x person in its denominator
    select 'PL-1' as diagnostic_id, persons.person_id from ws.person_lookup as persons where persons.is_linked = 1
    union all
    select 'PL-2', persons.person_id from ws.person_lookup as persons where persons.is_linked = 1
    union all
    select 'PL-11', persons.person_id from ws.person_lookup as persons where persons.is_linked = 1
    union all
    select 'PL-4', quality.person_id from quality where quality.n_pmrs_with_records >= 2
    union all
    select distinct 'PL-7', ids.person_id from ws.stg_hesa__instances as instances
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr' and ids.identifier_value = instances.pmr
    where instances.pmr is not null
    union all
    select distinct 'CD-1', spells.person_id from ws.school_spells as spells
    union all
    select 'CD-3', quality.person_id from quality
    union all
    select 'CD-4', quality.person_id from quality
    union all
    select 'CO-1', quality.person_id from quality
    inner join cohort on cohort.person_id = quality.person_id
    where quality.n_dated_records > 0
    union all
    select distinct 'ER-1', pay.person_id from ws.earnings as pay
    inner join quality on quality.person_id = pay.person_id
    where pay.total_earnings_gbp_nominal > 0 and quality.birth_year is not null
    union all
    select distinct 'EM-1', spells.person_id from ws.employment_spells as spells
    inner join quality on quality.person_id = spells.person_id
    where quality.birth_year is not null
    union all
    select distinct 'BE-1', spells.person_id from ws.benefit_spells as spells
    inner join quality on quality.person_id = spells.person_id
    where spells.is_out_of_work = 1 and quality.birth_year is not null
    union all
    select distinct 'IL-1', spells.person_id from ws.fe_spells as spells
    inner join quality on quality.person_id = spells.person_id
    where quality.birth_year is not null
    union all
    select distinct 'HE-1', spells.person_id from ws.he_spells as spells
    inner join quality on quality.person_id = spells.person_id
    where quality.birth_year is not null

),

units as (

    select
        person_units.diagnostic_id,
        person_units.person_id,
        case when flags.person_id is null then 0 else 1 end as is_flagged
    from person_units
    left join ws.match_flags as flags
        on flags.person_id = person_units.person_id
        and flags.flag = person_units.diagnostic_id

    union all

    -- PL-3: linked identifiers; PL-6: EduKeys occurring in the sources
    select 'PL-3', ids.person_id, case when ids.n_ae_ids > 1 then 1 else 0 end
    from ws.person_identifier as ids
    where ids.is_in_lookup = 1 and ids.identifier_type <> 'ae_id'

    union all

    select 'PL-6', ids.person_id, case when ids.is_in_lookup = 0 then 1 else 0 end
    from ws.person_identifier as ids
    where ids.identifier_type = 'edukey' and ids.is_in_sources = 1

    union all

    -- CD-2, CD-5, CD-6, IL-2, HE-2, HE-3, BE-4: persons examined, flagged when a record offends
    select checks.diagnostic_id, checks.person_id, case when checks.n_flagged > 0 then 1 else 0 end
    from ws.int_quality__person_checks as checks

),

event_counts as (

    -- the same diagnostics counted over the records, spells or census terms examined (flagged-event
    -- share): overall and per KS4 cohort in one pass, as flag_counts below
    select
        checks.diagnostic_id,
        case when grouping(cohort.ks4_year) = 0 then cast(cohort.ks4_year as varchar(4)) else 'all' end as ks4_year,
        sum(checks.n_flagged) as numerator,
        sum(checks.n_examined) as denominator
    from ws.int_quality__person_checks as checks
    left join cohort
        on cohort.person_id = checks.person_id
    group by grouping sets ((checks.diagnostic_id), (checks.diagnostic_id, cohort.ks4_year))
    having grouping(cohort.ks4_year) = 1 or cohort.ks4_year is not null

),

flag_counts as (

    -- overall and per KS4 cohort in one pass over the units: SQL Server evaluates a CTE at each
    -- reference, so two groupings of units would build the union twice (sql/README.md rule 13);
    -- GROUPING() tells the overall row from a unit of no cohort member, which the HAVING drops
    select
        units.diagnostic_id,
        case when grouping(cohort.ks4_year) = 0 then cast(cohort.ks4_year as varchar(4)) else 'all' end as ks4_year,
        sum(units.is_flagged) as numerator,
        count(*) as denominator
    from units
    left join cohort
        on cohort.person_id = units.person_id
    group by grouping sets ((units.diagnostic_id), (units.diagnostic_id, cohort.ks4_year))
    having grouping(cohort.ks4_year) = 1 or cohort.ks4_year is not null

)

select
    flag_counts.diagnostic_id as diagnostic_id,  -- diagnostic id (derivations 26.4)
    case when flag_counts.diagnostic_id in ('CD-6', 'ER-4') then 'flagged_persons' else 'flagged' end as measure,  -- flagged, flagged_events (records), flagged_persons (CD-6, ER-4)
    flag_counts.ks4_year as ks4_year,  -- 'all' or a KS4 cohort
    'all' as subgroup,  -- all
    'all' as subgroup_value,  -- the subgroup's value ('all' for none)
    cast(flag_counts.numerator as int) as numerator,  -- units flagged
    cast(flag_counts.denominator as int) as denominator,  -- units examined
    cast(null as decimal(9, 6)) as cohort_rate,  -- not used here (NULL)
    case when flag_counts.diagnostic_id in ('PL-3', 'PL-6') then 'identifiers' else 'persons' end as unit_kind  -- persons, identifiers or records
from flag_counts

union all

-- int_quality__person_checks: the share of records examined that offend (CD-6, ER-4: the headline)
select
    event_counts.diagnostic_id,
    case when event_counts.diagnostic_id in ('CD-6', 'ER-4') then 'flagged' else 'flagged_events' end,
    event_counts.ks4_year,
    'all',
    'all',
    cast(event_counts.numerator as int),
    cast(event_counts.denominator as int),
    cast(null as decimal(9, 6)),
    'records'
from event_counts
