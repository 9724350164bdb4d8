/* ---
description: >
  One row per person x benefit type x spell (DWP): the person's claims under all their EduKeys,
  overlapping and abutting spells of one benefit type merged. Rule (docs/decisions.md, rule 4):
  is_out_of_work is the source's own Out_of_work_benefit flag where the spell has one (setting
  benefit_classification: source_flag, the default: DWP classifies its own benefits, and
  Sickotra uses the flag), else the project's mapping ref_benefit_types (and for every spell
  under benefit_classification: mapping, FFT's approach); classified_by says which.
  benefit_group is out_of_work_benefit for an out-of-work claim, else the code's group in
  ref_benefit_types: disability_carer_benefit (AA, DLA, PIP, ICA: their own group, as they say
  nothing about work) or in_work_benefit (in-work or other). Codes missing from the mapping and
  without a source flag keep is_out_of_work NULL; any unknown code fails the warn check
  unknown_benefit_type (diagnostic BE-5 counts them). Open claims (9999-12-31)
  and claims past the reference date end there with is_censored = 1; claims starting after it,
  and rows without an EduKey or code, with an unknown start or end (a sentinel date: never an
  open claim) or ending before they start, are left out (counted per reason by
  stg_leo__benefits' check row_issues). The merge and its rules are int_spells__merged's (kind
  benefit, keyed by the code). Source: stg_leo__benefits via person_identifier.
grain: [person_id, benefit_type, start_date]
checks:
  - relationships: {column: person_id, to: ws.person_lookup, field: person_id}
  - expression_is_true: start_date <= end_date
  - not_null: [benefit_name]
    name: unknown_benefit_type
    severity: warn
  - accepted_values: {column: benefit_group, values: [out_of_work_benefit, disability_carer_benefit, in_work_benefit]}
  - accepted_values: {column: classified_by, values: [source_flag, mapping]}
indexes: [[person_id]]
--- */

with

classified as (

    select
        spells.*,
        benefit_types.benefit_name,
        benefit_types.benefit_group as mapped_group,
        case
            when @benefit_source_flag = 1 and spells.source_flag is not null then spells.source_flag
            else benefit_types.is_out_of_work
        end as is_out_of_work,
        case
            when @benefit_source_flag = 1 and spells.source_flag is not null then 'source_flag'
            when benefit_types.is_out_of_work is not null then 'mapping'
        end as classified_by
    from ws.int_spells__merged as spells
    left join ws.ref_benefit_types as benefit_types
        on benefit_types.benefit_type = spells.spell_key
    where spells.spell_kind = 'benefit'

)

select
    classified.person_id,  -- the project's person identifier
    classified.spell_key as benefit_type,  -- DWP benefit code, e.g. JSA
    classified.benefit_name,  -- the benefit (NULL for a code missing from ref_benefit_types)
    classified.is_out_of_work,  -- 1 = out-of-work benefit: the source flag, else ref_benefit_types (setting benefit_classification); NULL = unknown
    classified.classified_by,  -- source_flag or mapping: where is_out_of_work came from
    case
        when classified.is_out_of_work is null then null
        when classified.is_out_of_work = 1 then 'out_of_work_benefit'
        when classified.mapped_group is null or classified.mapped_group = 'out_of_work_benefit' then 'in_work_benefit'
        else classified.mapped_group
    end as benefit_group,  -- out_of_work_benefit, disability_carer_benefit or in_work_benefit (in-work or other)
    classified.source_flag as source_out_of_work_flag,  -- the source's own out-of-work flag
    classified.start_date,  -- first day of the claim (inclusive)
    classified.end_date,  -- last day of the claim (inclusive); the reference date when censored
    datediff(day, classified.start_date, classified.end_date) + 1 as n_days,  -- length in days
    classified.is_censored,  -- 1 = open in source or running past the reference date: cut there
    classified.n_source_spells,  -- source spells merged into this one
    classified.n_source_keys as n_edukeys  -- EduKeys the merged spells came from
from classified
