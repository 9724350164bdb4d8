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
  n_linked: []  # one row: a count without group by
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

linked_persons as (

    select
        ae_ids.ae_id,
        row_number() over (order by ae_ids.ae_id) as person_id
    from (select distinct identifiers.ae_id from identifiers where identifiers.ae_id is not null) as ae_ids

),

n_linked as (

    select count(*) as n_persons from linked_persons

),

unlinked_persons as (

    -- ILR learner records are per provider and year: never persons of their own
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        n_linked.n_persons + row_number() over (
            order by identifiers.identifier_type, identifiers.identifier_value
        ) as person_id
    from identifiers
    cross join n_linked
    where identifiers.ae_id is null and identifiers.identifier_type <> 'ilr_recordid'

),

resolved as (

    select
        coalesce(linked_persons.person_id, unlinked_persons.person_id) as person_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.ae_id,
        identifiers.n_ae_ids,
        identifiers.is_in_lookup,
        identifiers.is_in_sources
    from identifiers
    left join linked_persons
        on linked_persons.ae_id = identifiers.ae_id
    left join unlinked_persons
        on unlinked_persons.identifier_type = identifiers.identifier_type
        and unlinked_persons.identifier_value = identifiers.identifier_value
    where identifiers.ae_id is not null or identifiers.identifier_type <> 'ilr_recordid'

    union all

    select
        linked_persons.person_id,
        'ae_id' as identifier_type,
        cast(linked_persons.ae_id as varchar(20)) as identifier_value,
        linked_persons.ae_id,
        1 as n_ae_ids,
        1 as is_in_lookup,
        0 as is_in_sources
    from linked_persons

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
