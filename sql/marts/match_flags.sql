/* ---
description: >
  One row per person x match-quality flag the person trips (derivations 26.4 and 26.5), with the
  evidence, so that analyses can exclude or weight flagged people (sensitivity analyses with and
  without them). Flags, by diagnostic id: PL-1 a linked person with 2+ PMRs; PL-2 with 2+ EduKeys;
  PL-3 the person holding an identifier LEO's lookups link to 2+ ae_ids, and the person of the
  other ae_id; PL-4 a person whose PMRs disagree on modal sex or birth year and month; PL-6 the
  (unlinked) person of an EduKey with outcome rows but no lookup row; PL-7 a person with a HESA
  PMR who is neither linked to LEO (no ae_id) nor has any School Census record under any of their
  PMRs (HE-only: an under-match, or an independent-school pupil); PL-11 a linked person with
  an EduKey but no PMR and no ILR record (a split: outcomes without education); CD-1 single-registration
  spells at two schools overlapping by more than 183 days (shorter overlaps are the term-end convention of school_spells at a mid-term move); CD-3 records giving 2+ academic years
  of birth; CD-4 records giving both M and F; CO-1 under 80 % of the person's dated records in
  their modal academic year of birth; ER-1 earnings (above 0) in a tax year ending (5 April)
  before age 14; EM-1 an employment spell starting before 14; BE-1 an out-of-work benefit
  starting before 16; IL-1 an FE aim starting before 14; HE-1 an HE instance starting before 16.
  From int_quality__person_checks (n_flagged above 0; its description has the rules): CD-2 a
  census term at one school with main records under 2+ of the person's PMRs; CD-5 a census NC
  year more than a year from the census-derived academic age - 4; CD-6 a census record whose own
  year and month of birth give an impossible academic age (missing, below 0 or above 25); IL-2
  an ILR learner record whose AcAge is more than a year from the census-derived academic age;
  HE-2 two full-time HE instances overlapping by more than 30 days; HE-3 a full-time HE instance
  covering the census day of an on-roll census record at NC year 13 or below; BE-4 an
  out-of-work benefit spell covering the census day of an on-roll census record at academic age
  15 or below; BE-2 a benefit spell starting before the month of birth; IL-4 FE aims at more
  than 3 providers on one day; IL-6 an FE aim covering the census day of an on-roll school
  registration at academic age 15 or below (soft); ER-4 a tax year's PAYE earnings under 2+ of
  the person's EduKeys.
  Ages are from the approximate birth date of int_quality__persons (15th of the modal month).
  Evidence is counts, dates and the conflicting values: this table stays in the secure
  environment. Rates and thresholds: match_quality_summary.
grain: [person_id, flag]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - accepted_values: {column: flag, values: [PL-1, PL-2, PL-3, PL-4, PL-6, PL-7, PL-11, CD-1, CD-2, CD-3, CD-4, CD-5, CD-6, CO-1, ER-1, ER-4, EM-1, BE-1, BE-2, BE-4, IL-1, IL-2, IL-4, IL-6, HE-1, HE-2, HE-3]}
indexes: [[person_id], [flag]]
--- */

with

persons as (

    select * from ws.person_lookup

),

quality as (

    select * from ws.int_quality__persons

),

conflicts as (

    -- PL-3: both sides of an identifier linked to two or more ae_ids
    select ids.person_id, ids.identifier_type, ids.identifier_value
    from ws.person_identifier as ids
    where ids.n_ae_ids > 1

    union all

    select other_person.person_id, links.identifier_type, links.identifier_value
    from ws.int_identifier_links as links
    inner join ws.person_lookup as other_person
        on other_person.ae_id = links.other_ae_id
    where links.n_ae_ids > 1

),

census_persons as (

    -- PL-7: persons with a School Census record under any of their PMRs
    select distinct ids.person_id
    from ws.person_identifier as ids
    inner join (
        select distinct census.pmr from ws.stg_npd__school_census as census where census.pmr is not null
    ) as census_pmrs
        on census_pmrs.pmr = ids.identifier_value
    where ids.identifier_type = 'pmr'

),

he_only as (

    -- PL-7: persons with a HESA PMR, no ae_id and no School Census record
    select
        ids.person_id,
        count(distinct instances.pmr) as n_pmrs,
        min(instances.hesa_year) as first_hesa_year,
        max(instances.hesa_year) as last_hesa_year,
        min(instances.start_date) as first_start_date
    from ws.stg_hesa__instances as instances
    inner join ws.person_identifier as ids
        on ids.identifier_type = 'pmr'
        and ids.identifier_value = instances.pmr
    inner join persons
        on persons.person_id = ids.person_id
    left join census_persons
        on census_persons.person_id = ids.person_id
    where instances.pmr is not null
        and persons.is_linked = 0
        and census_persons.person_id is null
    group by ids.person_id

),

spell_overlaps as (

    -- CD-1: pairs of single-registration spells at two schools overlapping by more than 183 days (shorter overlaps are the term-end convention of school_spells at a mid-term move)
    select
        first_spell.person_id,
        datediff(
            day,
            case when first_spell.start_date > second_spell.start_date then first_spell.start_date else second_spell.start_date end,
            case when first_spell.end_date < second_spell.end_date then first_spell.end_date else second_spell.end_date end
        ) + 1 as n_overlap_days
    from ws.school_spells as first_spell
    inner join ws.school_spells as second_spell
        on second_spell.person_id = first_spell.person_id
        and second_spell.school_id > first_spell.school_id
        and second_spell.start_date <= first_spell.end_date
        and second_spell.end_date >= first_spell.start_date
    where first_spell.registration = 'single'
        and second_spell.registration = 'single'

),

flags as (

    select persons.person_id, 'PL-1' as flag, persons.n_pmrs as n_items,
        concat('PMRs: ', cast(persons.n_pmrs as varchar(10))) as evidence, cast(null as date) as first_event_date
    from persons
    where persons.is_linked = 1 and persons.n_pmrs >= 2

    union all

    select persons.person_id, 'PL-2', persons.n_edukeys,
        concat('EduKeys: ', cast(persons.n_edukeys as varchar(10))), cast(null as date)
    from persons
    where persons.is_linked = 1 and persons.n_edukeys >= 2

    union all

    select conflicts.person_id, 'PL-3', count(distinct concat(conflicts.identifier_type, ':', conflicts.identifier_value)),
        concat('identifiers linked to 2+ ae_ids: ', cast(count(distinct concat(conflicts.identifier_type, ':', conflicts.identifier_value)) as varchar(10)),
               ' (', min(conflicts.identifier_type), ')'),
        cast(null as date)
    from conflicts
    group by conflicts.person_id

    union all

    select persons.person_id, 'PL-11', persons.n_edukeys,
        concat('EduKeys: ', cast(persons.n_edukeys as varchar(10)), '; no PMR, no ILR record'), cast(null as date)
    from persons
    where persons.is_linked = 1 and persons.n_edukeys >= 1 and persons.n_pmrs = 0 and persons.n_ilr_records = 0

    union all

    select quality.person_id, 'PL-4', quality.n_pmrs_with_records,
        concat('PMRs with records: ', cast(quality.n_pmrs_with_records as varchar(10)),
               '; modal sexes: ', cast(quality.n_pmr_sexes as varchar(10)),
               '; modal birth year-months: ', cast(quality.n_pmr_birth_months as varchar(10))),
        cast(null as date)
    from quality
    where quality.is_pmr_disagreement = 1

    union all

    select ids.person_id, 'PL-6', count(*),
        concat('EduKeys in outcome views without a lookup row: ', cast(count(*) as varchar(10))), cast(null as date)
    from ws.person_identifier as ids
    where ids.identifier_type = 'edukey' and ids.is_in_lookup = 0 and ids.is_in_sources = 1
    group by ids.person_id

    union all

    select he_only.person_id, 'PL-7', he_only.n_pmrs,
        concat('HESA PMRs not linked and in no School Census record: ', cast(he_only.n_pmrs as varchar(10)),
               '; HESA years: ', cast(he_only.first_hesa_year as varchar(4)), '-', cast(he_only.last_hesa_year as varchar(4))),
        he_only.first_start_date
    from he_only

    union all

    select spell_overlaps.person_id, 'CD-1', count(*),
        concat('overlapping single-registration spell pairs: ', cast(count(*) as varchar(10)),
               '; longest overlap (days): ', cast(max(spell_overlaps.n_overlap_days) as varchar(10))),
        cast(null as date)
    from spell_overlaps
    where spell_overlaps.n_overlap_days > 183
    group by spell_overlaps.person_id

    union all

    select quality.person_id, 'CD-3', quality.n_academic_birth_years,
        concat('academic years of birth: ', cast(quality.n_academic_birth_years as varchar(10)),
               '; years of birth recorded: ', cast(quality.min_birth_year as varchar(4)), '-', cast(quality.max_birth_year as varchar(4))),
        cast(null as date)
    from quality
    where quality.n_academic_birth_years > 1

    union all

    select quality.person_id, 'CD-4', 2, 'records give both M and F', cast(null as date)
    from quality
    where quality.has_male_record = 1 and quality.has_female_record = 1

    union all

    select quality.person_id, 'CO-1', quality.n_dated_records,
        concat('share of records in the modal cohort: ', cast(cast(quality.modal_cohort_share as decimal(5, 3)) as varchar(10)),
               ' of ', cast(quality.n_dated_records as varchar(10))),
        cast(null as date)
    from quality
    where quality.modal_cohort_share < 0.8

    union all

    select pay.person_id, 'ER-1', count(*),
        concat('tax years with earnings before 14: ', cast(count(*) as varchar(10)),
               '; first: ', cast(min(pay.tax_year) as varchar(4))),
        min(datefromparts(pay.tax_year, 4, 5))
    from ws.earnings as pay
    inner join quality
        on quality.person_id = pay.person_id
    where pay.total_earnings_gbp_nominal > 0
        and datefromparts(pay.tax_year, 4, 5) < datefromparts(quality.birth_year + 14, quality.birth_month, 15)
    group by pay.person_id

    union all

    select spells.person_id, 'EM-1', count(*),
        concat('employment spells starting before 14: ', cast(count(*) as varchar(10))),
        min(spells.start_date)
    from ws.employment_spells as spells
    inner join quality
        on quality.person_id = spells.person_id
    where spells.start_date < datefromparts(quality.birth_year + 14, quality.birth_month, 15)
    group by spells.person_id

    union all

    select spells.person_id, 'BE-1', count(*),
        concat('out-of-work benefit spells starting before 16: ', cast(count(*) as varchar(10)),
               '; first: ', min(spells.benefit_type)),
        min(spells.start_date)
    from ws.benefit_spells as spells
    inner join quality
        on quality.person_id = spells.person_id
    where spells.is_out_of_work = 1
        and spells.start_date < datefromparts(quality.birth_year + 16, quality.birth_month, 15)
    group by spells.person_id

    union all

    select spells.person_id, 'IL-1', count(*),
        concat('FE aims starting before 14: ', cast(count(*) as varchar(10))),
        min(spells.start_date)
    from ws.fe_spells as spells
    inner join quality
        on quality.person_id = spells.person_id
    where spells.start_date < datefromparts(quality.birth_year + 14, quality.birth_month, 15)
    group by spells.person_id

    union all

    select spells.person_id, 'HE-1', count(*),
        concat('HE instances starting before 16: ', cast(count(*) as varchar(10))),
        min(spells.start_date)
    from ws.he_spells as spells
    inner join quality
        on quality.person_id = spells.person_id
    where spells.start_date < datefromparts(quality.birth_year + 16, quality.birth_month, 15)
    group by spells.person_id

    union all

    -- CD-2, CD-5, CD-6, IL-2, IL-4, IL-6, HE-2, HE-3, BE-2, BE-4, ER-4: persons with offending records in int_quality__person_checks
    select
        checks.person_id,
        checks.diagnostic_id,
        checks.n_flagged,
        case checks.diagnostic_id
            when 'CD-2' then concat('census terms at one school with records under 2+ PMRs: ', cast(checks.n_flagged as varchar(10)),
                                    ' of ', cast(checks.n_examined as varchar(10)), '; most PMRs in one term: ',
                                    cast(checks.largest_discrepancy as varchar(10)))
            when 'CD-5' then concat('census records whose NC year is more than 1 from academic age - 4: ', cast(checks.n_flagged as varchar(10)),
                                    ' of ', cast(checks.n_examined as varchar(10)), '; largest gap (years): ',
                                    cast(checks.largest_discrepancy as varchar(10)))
            when 'CD-6' then concat('census records giving an impossible academic age (missing, below 0 or above 25): ',
                                    cast(checks.n_flagged as varchar(10)), ' of ', cast(checks.n_examined as varchar(10)))
            when 'IL-2' then concat('ILR learner records whose AcAge is more than 1 from the census-derived academic age: ',
                                    cast(checks.n_flagged as varchar(10)), ' of ', cast(checks.n_examined as varchar(10)),
                                    '; largest difference (years): ', cast(checks.largest_discrepancy as varchar(10)))
            when 'HE-2' then concat('full-time HE instances overlapping another by more than 30 days: ', cast(checks.n_flagged as varchar(10)),
                                    ' of ', cast(checks.n_examined as varchar(10)), '; longest overlap (days): ',
                                    cast(checks.largest_discrepancy as varchar(10)))
            when 'HE-3' then concat('full-time HE instances covering an on-roll census day at NC year 13 or below: ',
                                    cast(checks.n_flagged as varchar(10)), ' of ', cast(checks.n_examined as varchar(10)))
            when 'BE-4' then concat('out-of-work benefit spells covering an on-roll census day at academic age 15 or below: ',
                                    cast(checks.n_flagged as varchar(10)), ' of ', cast(checks.n_examined as varchar(10)))
            when 'BE-2' then concat('benefit spells starting before the month of birth: ', cast(checks.n_flagged as varchar(10)),
                                    ' of ', cast(checks.n_examined as varchar(10)), '; most days before: ',
                                    cast(checks.largest_discrepancy as varchar(10)))
            when 'IL-4' then concat('FE aims starting on a day with aims at more than 3 providers: ', cast(checks.n_flagged as varchar(10)),
                                    ' of ', cast(checks.n_examined as varchar(10)), '; most providers on one day: ',
                                    cast(checks.largest_discrepancy as varchar(10)))
            when 'IL-6' then concat('FE aims covering an on-roll school census day at academic age 15 or below: ',
                                    cast(checks.n_flagged as varchar(10)), ' of ', cast(checks.n_examined as varchar(10)))
            else concat('tax years with PAYE earnings under 2+ EduKeys: ', cast(checks.n_flagged as varchar(10)),
                        ' of ', cast(checks.n_examined as varchar(10)), '; most EduKeys in one year: ',
                        cast(checks.largest_discrepancy as varchar(10)))
        end,
        checks.first_flagged_date
    from ws.int_quality__person_checks as checks
    where checks.n_flagged > 0

)

select
    ---------- ids
    flags.person_id,  -- the project's person identifier
    flags.flag,  -- diagnostic id (derivations 26.4): PL-1 ... HE-3
    cohort.ks4_year,  -- the person's KS4 cohort; NULL if not in ks4_cohort

    ---------- evidence
    flags.n_items,  -- how many identifiers, records, spell pairs, spells or tax years trip the flag
    flags.evidence,  -- what was found (counts and the conflicting values)
    flags.first_event_date  -- age-based flags: the earliest offending start (tax-year end for ER-1); PL-7: first HESA start; CD-2 ... ER-4: first_flagged_date of int_quality__person_checks

from flags
left join ws.ks4_cohort as cohort
    on cohort.person_id = flags.person_id
