/* ---
description: >
  One row per KS4 cohort member x destination year (1, 3 and 5 years after KS4, each the academic
  year August to July; only years ending by the reference date): a DfE-style destination
  measure. Sustained education: education in every month October to March; sustained
  employment: employment in at least five of those six months; sustained apprenticeship: six
  consecutive months on an apprenticeship at any point August to July; combination: education,
  apprenticeship or employment in every month October to March without any alone being
  sustained. The destination is the first that holds of apprenticeship, education, employment,
  combination; else not_sustained when the person had some participation, an out-of-work
  benefit or a NEET record in the year (sub-type out_of_work_benefit, neet or participation, in
  that order); else not_captured (nothing recorded all year). education_type is the education
  with most days October to March: school_sixth_form, fe, he or other (traineeship). Source:
  int_destination_months (activity_spells by month). The list of destinations and which of them
  are sustained (is_sustained) are reference data: ref_destinations.
grain: [person_id, destination_year]
unique: {months: [person_id, destination_year, month_start_date]}  # select * of ws.int_destination_months: its grain
checks:
  - relationships: {column: person_id, to: ws.ks4_cohort, field: person_id}
  - relationships: {column: destination, to: ws.ref_destinations, field: destination}
  - accepted_values: {column: destination_year, values: [1, 3, 5]}
indexes: [[person_id]]
--- */

with

months as (

    select * from ws.int_destination_months

),

apprenticeship_runs as (

    select
        runs.person_id,
        runs.destination_year,
        max(runs.run_months) as longest_apprenticeship_months
    from (
        select
            grouped.person_id,
            grouped.destination_year,
            count(*) as run_months
        from (
            select
                months.person_id,
                months.destination_year,
                (year(months.month_start_date) * 12 + month(months.month_start_date))
                    - row_number() over (
                        partition by months.person_id, months.destination_year
                        order by months.month_start_date
                    ) as run_key
            from months
            where months.has_apprenticeship = 1
        ) as grouped
        group by grouped.person_id, grouped.destination_year, grouped.run_key
    ) as runs
    group by runs.person_id, runs.destination_year

),

summary as (

    -- months are counted with COUNT cast to INT, the type on every engine (a SUM of the 0/1
    -- flags is a BIGINT on PostgreSQL, and DuckDB aggregates it in slower 128-bit states)
    select
        months.person_id,
        months.ks4_year,
        months.destination_year,
        cast(count(case when months.is_october_to_march = 1 and months.has_education = 1 then 1 end) as int) as education_months,
        cast(count(case when months.is_october_to_march = 1 and months.has_employment = 1 then 1 end) as int) as employment_months,
        cast(count(case when months.is_october_to_march = 1
                   and (months.has_education = 1 or months.has_employment = 1 or months.has_apprenticeship = 1)
                   then 1 end) as int) as participation_months,
        max(case when months.has_education = 1 or months.has_employment = 1 or months.has_apprenticeship = 1
                 then 1 else 0 end) as has_participation,
        max(months.has_out_of_work_benefit) as has_out_of_work_benefit,
        max(months.has_neet) as has_neet,
        sum(case when months.is_october_to_march = 1 then months.days_school else 0 end) as days_school,
        sum(case when months.is_october_to_march = 1 then months.days_fe else 0 end) as days_fe,
        sum(case when months.is_october_to_march = 1 then months.days_he else 0 end) as days_he,
        sum(case when months.is_october_to_march = 1 then months.days_traineeship else 0 end) as days_traineeship
    from months
    group by months.person_id, months.ks4_year, months.destination_year

),

measured as (

    select
        summary.*,
        coalesce(apprenticeship_runs.longest_apprenticeship_months, 0) as longest_apprenticeship_months,
        case
            when coalesce(apprenticeship_runs.longest_apprenticeship_months, 0) >= 6 then 'apprenticeship'
            when summary.education_months = 6 then 'education'
            when summary.employment_months >= 5 then 'employment'
            when summary.participation_months = 6 then 'combination'
            when summary.has_participation = 1 or summary.has_out_of_work_benefit = 1 or summary.has_neet = 1 then 'not_sustained'
            else 'not_captured'
        end as destination
    from summary
    left join apprenticeship_runs
        on apprenticeship_runs.person_id = summary.person_id
        and apprenticeship_runs.destination_year = summary.destination_year

)

select
    measured.person_id,  -- the project's person identifier
    measured.ks4_year,  -- KS4 cohort
    measured.destination_year,  -- 1, 3 or 5 years after KS4
    measured.ks4_year + measured.destination_year as academic_year,  -- academic-year end of the destination year
    measured.destination,  -- apprenticeship, education, employment, combination, not_sustained or not_captured
    reference.is_sustained,  -- 1 = a sustained destination (ref_destinations)
    case
        when measured.destination <> 'education' then null
        when measured.days_he >= measured.days_fe and measured.days_he >= measured.days_school and measured.days_he >= measured.days_traineeship then 'he'
        when measured.days_fe >= measured.days_school and measured.days_fe >= measured.days_traineeship then 'fe'
        when measured.days_school >= measured.days_traineeship then 'school_sixth_form'
        else 'other'
    end as education_type,  -- for education: the education with most days October to March
    case
        when measured.destination <> 'not_sustained' then null
        when measured.has_out_of_work_benefit = 1 then 'out_of_work_benefit'
        when measured.has_neet = 1 then 'neet'
        else 'participation'
    end as not_sustained_type,  -- for not_sustained: why
    measured.education_months,  -- months October to March with education
    measured.employment_months,  -- months October to March with employment
    measured.participation_months,  -- months October to March with education, apprenticeship or employment
    measured.longest_apprenticeship_months,  -- longest run of apprenticeship months, August to July
    measured.has_out_of_work_benefit,  -- an out-of-work benefit at any point in the year
    measured.has_neet  -- a NEET record at any point in the year
from measured
left join ws.ref_destinations as reference  -- a code missing there fails the relationships check
    on reference.destination = measured.destination
