-- Every mention with its entity, its sentence's language and the document's day. resolved_id is the entity to join
-- on: entity_id (the linker's id), except (1) for an unknown person whose family name, read otherwise, is the one
-- person of the corpus named in a surer script (stg_alt_ids): then that person; (2) for a family name alone that
-- the corpus resolves to one person (stg_families, after (1)) in a document that names no person of that family
-- in full: then that person.
create or replace view stg_mentions as
with mentions as (
    select * from mentions
),
sentences as (
    select doc_id, sent_idx, lang from sentences
),
entities as (
    select entity_id, name, label from entities
),
documents as (
    select doc_id, day, source from stg_documents
),
families as (  -- a family-only id that resolves to one person, with that person's name
    select f.family_id, f.person_id, e.name
    from stg_families as f
    left join entities as e on e.entity_id = f.person_id
    where f.person_id is not null
),
readings as materialized (
    select entity_id, person_id from stg_alt_ids where person_id is not null
),
moved as (  -- an unknown person id and the person it resolves to (an Arabic person taken by a Latin one that moves
    -- in turn: two steps), with that person's name; a few thousand rows, joined to the mentions once
    select a.entity_id, coalesce(a2.person_id, a.person_id) as person_id, e.name
    from readings as a
    left join readings as a2 on a2.entity_id = a.person_id
    left join entities as e on e.entity_id = coalesce(a2.person_id, a.person_id)
),
doc_families as (  -- a document that names a person of the family in full keeps its family-only ids (ambiguous)
    select distinct doc_id, family_id from mentions where family_id is not null
)
select
    m.doc_id,
    m.sent_idx,
    m.start_char,
    m.end_char,
    m.surface,
    m.label,
    coalesce(e.label, m.label) as entity_label,
    m.entity_id,
    coalesce(e.name, m.surface) as entity_name,
    coalesce(case when x.doc_id is null then f.person_id end, mv.person_id, m.entity_id) as resolved_id,
    coalesce(case when x.doc_id is null then f.name end, mv.name, e.name, m.surface) as resolved_name,
    m.family_id,
    s.lang,
    d.day,
    d.source
from mentions as m
left join sentences as s using (doc_id, sent_idx)
left join entities as e using (entity_id)
left join documents as d using (doc_id)
left join moved as mv on mv.entity_id = m.entity_id
left join families as f on f.family_id = coalesce(mv.person_id, m.entity_id)
left join doc_families as x on x.doc_id = m.doc_id and x.family_id = m.entity_id
