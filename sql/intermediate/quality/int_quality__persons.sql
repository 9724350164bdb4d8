/* ---
description: >
  One row per person with School Census or KS4 records: the modal year and month of birth over
  the person's records (ties to the earlier), the approximate birth date (the 15th of the modal
  month, derivations 26.4) from which the age-based diagnostics (ER-1, EM-1, BE-1, IL-1, HE-1)
  compute ages, the first day of the modal month (BE-2: spells before it), and what the records disagree on: academic years of birth (September to August,
  named by the year it ends; CD-3), sexes (CD-4), the share of records in the modal academic
  year of birth (CO-1: the cohort a record implies is its academic year of birth + 16), and
  whether the person's PMRs disagree with each other on their own modal sex or birth year and
  month (PL-4). Recorded birth years outside 1900-2100 and months outside 1-12 are not votes.
  Source: int_quality__record_attributes.
grain: [person_id]
indexes: [[person_id]]
--- */

with

attrs as (

    select
        attributes.*,
        case
            when attributes.birth_year between 1900 and 2100 and attributes.birth_month between 1 and 12
                then case when attributes.birth_month >= 9 then attributes.birth_year + 1 else attributes.birth_year end
        end as academic_birth_year
    from ws.int_quality__record_attributes as attributes

),

birth_votes as (

    select
        attrs.person_id,
        attrs.birth_year,
        attrs.birth_month,
        row_number() over (
            partition by attrs.person_id
            order by sum(attrs.n_records) desc, attrs.birth_year, attrs.birth_month
        ) as vote_rank
    from attrs
    where attrs.academic_birth_year is not null
    group by attrs.person_id, attrs.birth_year, attrs.birth_month

),

academic_votes as (

    select
        attrs.person_id,
        attrs.academic_birth_year,
        cast(sum(attrs.n_records) as int) as n_records,
        row_number() over (
            partition by attrs.person_id
            order by sum(attrs.n_records) desc, attrs.academic_birth_year
        ) as vote_rank
    from attrs
    where attrs.academic_birth_year is not null
    group by attrs.person_id, attrs.academic_birth_year

),

pmr_sex_votes as (

    select
        attrs.person_id,
        attrs.pmr,
        attrs.sex,
        row_number() over (
            partition by attrs.person_id, attrs.pmr
            order by sum(attrs.n_records) desc, attrs.sex
        ) as vote_rank
    from attrs
    where attrs.sex in ('M', 'F')
    group by attrs.person_id, attrs.pmr, attrs.sex

),

pmr_birth_votes as (

    select
        attrs.person_id,
        attrs.pmr,
        attrs.birth_year * 100 + attrs.birth_month as birth_year_month,
        row_number() over (
            partition by attrs.person_id, attrs.pmr
            order by sum(attrs.n_records) desc, attrs.birth_year, attrs.birth_month
        ) as vote_rank
    from attrs
    where attrs.academic_birth_year is not null
    group by attrs.person_id, attrs.pmr, attrs.birth_year, attrs.birth_month

),

pmr_agreement as (

    select
        pmrs.person_id,
        cast(count(*) as int) as n_pmrs_with_records,
        cast(count(distinct sexes.sex) as int) as n_pmr_sexes,
        cast(count(distinct births.birth_year_month) as int) as n_pmr_birth_months
    from (select distinct attrs.person_id, attrs.pmr from attrs) as pmrs
    left join pmr_sex_votes as sexes
        on sexes.person_id = pmrs.person_id and sexes.pmr = pmrs.pmr and sexes.vote_rank = 1
    left join pmr_birth_votes as births
        on births.person_id = pmrs.person_id and births.pmr = pmrs.pmr and births.vote_rank = 1
    group by pmrs.person_id

),

totals as (

    select
        attrs.person_id,
        cast(sum(attrs.n_records) as int) as n_records,
        cast(sum(case when attrs.academic_birth_year is not null then attrs.n_records else 0 end) as int) as n_dated_records,
        cast(count(distinct attrs.academic_birth_year) as int) as n_academic_birth_years,
        min(case when attrs.academic_birth_year is not null then attrs.birth_year end) as min_birth_year,
        max(case when attrs.academic_birth_year is not null then attrs.birth_year end) as max_birth_year,
        max(case when attrs.sex = 'M' then 1 else 0 end) as has_male_record,
        max(case when attrs.sex = 'F' then 1 else 0 end) as has_female_record
    from attrs
    group by attrs.person_id

)

select
    ---------- ids
    totals.person_id,  -- the project's person identifier

    ---------- birth
    birth.birth_year,  -- modal year of birth over the person's records
    birth.birth_month,  -- modal month of birth (with the modal year)
    datefromparts(birth.birth_year, birth.birth_month, 15) as approx_birth_date,  -- 15th of the modal month: ages are computed from it
    datefromparts(birth.birth_year, birth.birth_month, 1) as birth_month_date,  -- 1st of the modal month: BE-2 flags benefit spells starting before it
    academic.academic_birth_year as modal_academic_birth_year,  -- modal academic year of birth (Sep-Aug, named by its end)
    academic.academic_birth_year + 16 as modal_cohort,  -- KS4 year the modal academic year of birth implies

    ---------- records and their disagreements
    totals.n_records,  -- census and KS4 records of the person
    totals.n_dated_records,  -- records with a usable year and month of birth
    totals.n_academic_birth_years,  -- distinct academic years of birth recorded (CD-3 when above 1)
    totals.min_birth_year,  -- lowest year of birth recorded
    totals.max_birth_year,  -- highest year of birth recorded
    cast(case when totals.n_dated_records > 0
        then cast(academic.n_records as decimal(18, 6)) / totals.n_dated_records
    end as decimal(9, 6)) as modal_cohort_share,  -- share of dated records in the modal academic year of birth (CO-1 below 0.8)
    totals.has_male_record,  -- 1 = a record gives M
    totals.has_female_record,  -- 1 = a record gives F
    agreement.n_pmrs_with_records,  -- PMRs of the person with census or KS4 records
    case when agreement.n_pmrs_with_records >= 2
              and (agreement.n_pmr_sexes > 1 or agreement.n_pmr_birth_months > 1) then 1 else 0
    end as is_pmr_disagreement,  -- 1 = two of the person's PMRs differ in modal sex or birth year and month (PL-4)
    agreement.n_pmr_sexes,  -- distinct modal sexes over the person's PMRs
    agreement.n_pmr_birth_months  -- distinct modal birth year-months over the person's PMRs

from totals
left join birth_votes as birth
    on birth.person_id = totals.person_id
    and birth.vote_rank = 1
left join academic_votes as academic
    on academic.person_id = totals.person_id
    and academic.vote_rank = 1
left join pmr_agreement as agreement
    on agreement.person_id = totals.person_id
