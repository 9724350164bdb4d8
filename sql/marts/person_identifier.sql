/* ---
description: >
  One row per identifier of a person (identifier type x value): the long form behind
  person_lookup. person_id is resolved once, here, for the whole project. Rules: every ae_id in
  LEO's lookups is one person, numbered 1, 2, ... in ae_id order; an identifier the lookups link to
  a person belongs to it (one linked to two ae_ids goes to the lower and keeps n_ae_ids > 1, so it
  is reported, never silently resolved); a PMR or EduKey that occurs in a source but in no lookup
  becomes a person of its own, numbered after the linked persons in (type, value) order; ILR
  learner records (one per provider and year) never become persons: without an ae_id they are
  left out of every person table. identifier_rank numbers a person's identifiers of one type in
  value order: a rank above 1 is the multiplex signal (several PMRs or EduKeys for one person).
  The ae_id itself is listed as identifier type ae_id. Same sources, same ids.
grain: [identifier_type, identifier_value]
unique:
  identifiers: [identifier_type, identifier_value]  # the grains of links and seen, joined on them
  resolved: [identifier_type, identifier_value]  # the grain: identifiers plus one 'ae_id' row per ae_id
checks:
  - not_null: [person_id]
  - accepted_values: {column: identifier_type, values: [ae_id, pmr, edukey, ilr_recordid]}
indexes: [[person_id], [identifier_type, identifier_value]]
--- */

with

links as (

    select * from ws.int_identifier_links

),

seen as (

    select * from ws.int_identifiers_seen

),

identifiers as (

    select
        coalesce(links.identifier_type, seen.identifier_type) as identifier_type,
        coalesce(links.identifier_value, seen.identifier_value) as identifier_value,
        links.ae_id,
        coalesce(links.n_ae_ids, 0) as n_ae_ids,
        case when links.identifier_type is null then 0 else 1 end as is_in_lookup,
        case when seen.identifier_type is null then 0 else 1 end as is_in_sources
    from links
    full outer join seen
        on seen.identifier_type = links.identifier_type
        and seen.identifier_value = links.identifier_value

),

numbered as (

    -- identifiers is read once (SQL Server evaluates a CTE at each read): the linked persons are
    -- numbered by their ae_id, 1, 2, ... in ae_id order (its NULLs sorted last); the identifiers
    -- that become persons of their own (no ae_id, not an ILR learner record) 1, 2, ... in
    -- (type, value) order, after the others; ae_id_row = 1 marks one identifier per ae_id, the
    -- row the ae_id's own identifier is made from
    select
        identifiers.*,
        case
            when identifiers.ae_id is not null then dense_rank() over (
                order by case when identifiers.ae_id is null then 1 else 0 end, identifiers.ae_id
            )
        end as linked_no,
        case
            when identifiers.ae_id is null and identifiers.identifier_type <> 'ilr_recordid' then row_number() over (
                order by
                    case when identifiers.ae_id is null and identifiers.identifier_type <> 'ilr_recordid' then 0 else 1 end,
                    identifiers.identifier_type,
                    identifiers.identifier_value
            )
        end as unlinked_no,
        row_number() over (
            partition by identifiers.ae_id
            order by identifiers.identifier_type, identifiers.identifier_value
        ) as ae_id_row
    from identifiers

),

counted as (

    -- the unlinked persons are numbered after the linked ones
    select
        numbered.*,
        coalesce(max(numbered.linked_no) over (), 0) as n_linked
    from numbered

),

resolved as (

    -- each identifier (ILR learner records without an ae_id left out), and, from the first
    -- identifier of each ae_id, a second copy: the ae_id as an identifier of its own
    select
        case
            when counted.ae_id is not null then counted.linked_no
            else counted.n_linked + counted.unlinked_no
        end as person_id,
        case when copies.copy_no = 2 then 'ae_id' else counted.identifier_type end as identifier_type,
        case
            when copies.copy_no = 2 then cast(counted.ae_id as varchar(20))
            else counted.identifier_value
        end as identifier_value,
        counted.ae_id,
        case when copies.copy_no = 2 then 1 else counted.n_ae_ids end as n_ae_ids,
        case when copies.copy_no = 2 then 1 else counted.is_in_lookup end as is_in_lookup,
        case when copies.copy_no = 2 then 0 else counted.is_in_sources end as is_in_sources
    from counted
    cross join (select 1 as copy_no union all select 2) as copies
    where (copies.copy_no = 1 and (counted.ae_id is not null or counted.identifier_type <> 'ilr_recordid'))
        or (copies.copy_no = 2 and counted.ae_id is not null and counted.ae_id_row = 1)

)

select
    ---------- ids
    resolved.person_id,  -- the project's person identifier
    resolved.identifier_type,  -- ae_id, pmr, edukey or ilr_recordid
    resolved.identifier_value,  -- the identifier as delivered, trimmed
    resolved.ae_id,  -- the resolved person (ae_id) the identifier is linked to; NULL if unlinked

    ---------- linkage
    case when resolved.ae_id is null then 0 else 1 end as is_linked,  -- 1 = linked by LEO's lookups
    resolved.n_ae_ids,  -- ae_ids the lookups link this identifier to; above 1 = identity conflict
    resolved.is_in_lookup,  -- 1 = in one of LEO's lookups
    resolved.is_in_sources,  -- 1 = occurs in a source view
    row_number() over (
        partition by resolved.person_id, resolved.identifier_type
        order by resolved.identifier_value
    ) as identifier_rank  -- 1, 2, ... among the person's identifiers of this type, in value order

from resolved
