/* ---
description: >
  One row per person x school enrolment spell, inferred from the termly School Census. A spell is
  a run of censuses in which the person is on roll at the school without missing one of the
  censuses they appear in elsewhere (dual registrations give overlapping spells at two schools).
  Start: the recorded entry date when it falls before the end of the first census term of the
  run and after the person's previous spell at the school, else the first day of that term.
  End, by the "last day enrolled" convention: the recorded leaving date (of the run's records, or
  of an off-roll record at the school in the next census) when it falls after the start and
  within a year of the last census term, else the last day of the last census term of the run
  (31 December, 31 March, or 31 August for the summer term). Spells past the reference date are
  censored there (is_censored = 1); spells starting after it are dropped. is_open_at_data_end
  marks spells still running at the last census in the data. provision_type (mainstream, pru
  or ap) says where: the PRU census and the AP census (a January snapshot, so an AP spell is
  the spring terms it is seen in) add spells beside the School Census ones. A permanent
  exclusion (exclusions table 1, category PERM, not a repeated one) from the school on a day
  inside the spell ends the spell on that day when it would otherwise end later (end_rule
  permanent_exclusion); fixed-period exclusions do not shorten or split spells (the pupil stays
  on roll). Source: int_school__placement_records, stg_npd__exclusions.
grain: [person_id, school_id, start_date]
unique: {on_roll: [person_id, school_id, occasion_no]}  # ws.int_school__placement_records' grain, occasion_no numbering (census_year, term_id)
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - accepted_values: {column: start_rule, values: [recorded_entry, term_start]}
  - accepted_values: {column: end_rule, values: [recorded_leaving, term_end, permanent_exclusion, reference_date]}
  - accepted_values: {column: provision_type, values: [mainstream, pru, ap]}
indexes: [[person_id]]
--- */

with

records as (

    select * from ws.int_school__placement_records

),

numbered as (

    -- occasion_no numbers the censuses in which the person is on roll anywhere, in time order
    -- (DENSE_RANK, so dual registrations share one); a run is a stretch of consecutive occasions
    select
        on_roll.*,
        on_roll.occasion_no - row_number() over (
            partition by on_roll.person_id, on_roll.school_id
            order by on_roll.occasion_no
        ) as run_key
    from (
        select
            records.*,
            dense_rank() over (partition by records.person_id order by records.census_year, records.term_id) as occasion_no
        from records
        where records.is_on_roll = 1
    ) as on_roll

),

runs as (

    select
        numbered.person_id,
        numbered.school_id,
        numbered.run_key,
        min(numbered.term_start_date) as first_term_start_date,
        min(numbered.term_end_date) as first_term_end_date,
        max(numbered.term_end_date) as last_term_end_date,
        max(numbered.census_year * 10 + numbered.term_id) as last_term_key,
        min(numbered.entry_date) as recorded_entry_date,
        max(numbered.leaving_date) as recorded_leaving_date,
        min(numbered.registration_rank) as registration_rank,
        max(numbered.provision_type) as provision_type,
        count(*) as n_censuses
    from numbered
    group by numbered.person_id, numbered.school_id, numbered.run_key

),

with_next_term as (

    select
        runs.*,
        case when runs.last_term_key % 10 = 3 then runs.last_term_key + 8
             else runs.last_term_key + 1 end as next_term_key,
        lag(runs.last_term_end_date) over (
            partition by runs.person_id, runs.school_id order by runs.first_term_start_date, runs.run_key
        ) as previous_spell_end_date
    from runs

),

off_roll_leaving as (

    select
        records.person_id,
        records.school_id,
        records.census_year * 10 + records.term_id as term_key,
        records.leaving_date
    from records
    where records.is_on_roll = 0 and records.leaving_date is not null

),

dated as (

    select
        spells.person_id,
        spells.school_id,
        spells.registration_rank,
        spells.provision_type,
        spells.n_censuses,
        spells.last_term_key,
        case
            when spells.recorded_entry_date <= spells.first_term_end_date
                and (spells.previous_spell_end_date is null or spells.recorded_entry_date > spells.previous_spell_end_date)
                then spells.recorded_entry_date
            else spells.first_term_start_date
        end as start_date,
        case
            when spells.recorded_entry_date <= spells.first_term_end_date
                and (spells.previous_spell_end_date is null or spells.recorded_entry_date > spells.previous_spell_end_date)
                then 'recorded_entry'
            else 'term_start'
        end as start_rule,
        coalesce(off_roll_leaving.leaving_date, spells.recorded_leaving_date) as recorded_leaving_date,
        spells.last_term_end_date
    from with_next_term as spells
    left join off_roll_leaving
        on off_roll_leaving.person_id = spells.person_id
        and off_roll_leaving.school_id = spells.school_id
        and off_roll_leaving.term_key = spells.next_term_key

),

permanent_exclusions as (

    -- the first permanent exclusion from the school inside each spell (found by an inner join)
    select
        dated.person_id,
        dated.school_id,
        dated.start_date,
        min(excl.start_date) as exclusion_date
    from dated
    inner join ws.person_identifier as ids
        on ids.person_id = dated.person_id
        and ids.identifier_type = 'pmr'
    inner join ws.stg_npd__exclusions as excl
        on excl.pmr = ids.identifier_value
        and excl.school_id = dated.school_id
        and excl.category = 'permanent'
        and excl.is_duplicate_permanent = 0
        and excl.start_date >= dated.start_date
    group by dated.person_id, dated.school_id, dated.start_date

),

inferred as (

    select
        dated.*,
        case
            when dated.recorded_leaving_date >= dated.start_date
                and dated.recorded_leaving_date <= dateadd(year, 1, dated.last_term_end_date)
                then dated.recorded_leaving_date
            else dated.last_term_end_date
        end as inferred_end_date,
        case
            when dated.recorded_leaving_date >= dated.start_date
                and dated.recorded_leaving_date <= dateadd(year, 1, dated.last_term_end_date)
                then 'recorded_leaving'
            else 'term_end'
        end as inferred_end_rule,
        permanent_exclusions.exclusion_date
    from dated
    left join permanent_exclusions
        on permanent_exclusions.person_id = dated.person_id
        and permanent_exclusions.school_id = dated.school_id
        and permanent_exclusions.start_date = dated.start_date

),

ended as (

    -- a permanent exclusion inside the spell ends it (only where the inferred end is later)
    select
        inferred.person_id,
        inferred.school_id,
        inferred.registration_rank,
        inferred.provision_type,
        inferred.n_censuses,
        inferred.last_term_key,
        inferred.start_date,
        inferred.start_rule,
        case when inferred.exclusion_date < inferred.inferred_end_date then inferred.exclusion_date
             else inferred.inferred_end_date end as inferred_end_date,
        case when inferred.exclusion_date < inferred.inferred_end_date then 'permanent_exclusion'
             else inferred.inferred_end_rule end as inferred_end_rule
    from inferred

),

last_census as (

    select max(records.census_year * 10 + records.term_id) as last_term_key from records

)

select
    ---------- ids
    ended.person_id,  -- the project's person identifier
    ended.school_id,  -- pseudonymised school

    ---------- the spell
    ended.start_date,  -- first day enrolled
    case when ended.inferred_end_date > @reference_date then @reference_date else ended.inferred_end_date end as end_date,  -- last day enrolled (inclusive)
    ended.start_rule,  -- recorded_entry or term_start
    case when ended.inferred_end_date > @reference_date then 'reference_date' else ended.inferred_end_rule end as end_rule,  -- recorded_leaving, term_end, permanent_exclusion or reference_date
    case when ended.inferred_end_date > @reference_date then 1 else 0 end as is_censored,  -- 1 = cut at the reference date
    case when ended.last_term_key = last_census.last_term_key then 1 else 0 end as is_open_at_data_end,  -- on roll in the last census of the data
    case ended.registration_rank when 1 then 'single' when 2 then 'dual_main' when 3 then 'dual_subsidiary' when 4 then 'guest' end as registration,  -- strongest registration in the spell
    ended.provision_type,  -- mainstream (School Census), pru (pupil referral unit) or ap (alternative provision, AP census)
    ended.n_censuses  -- censuses the spell is seen in

from ended
cross join last_census
where ended.start_date <= @reference_date
