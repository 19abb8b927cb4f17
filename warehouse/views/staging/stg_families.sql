-- A family name alone, across documents: the one person of the corpus it names, where that is unambiguous.
-- The linker gives a family name alone that no full name of its document explains (`Berlusconi`) a family-only id,
-- and writes that same id as mentions.family_id of every person it names by given and family name
-- (`Silvio Berlusconi`). One row per family-only id with its people: the documents that name each, and the one
-- it resolves to (person_id), the person named in at least 80% of the documents that name a person of that
-- family (counted once per person and document): the only one, or one clearly dominant. Else person_id is null
-- and the family name alone keeps its own id. Computed from the mentions loaded, so it is the same whatever
-- order the documents came in, and follows every load (docs/ENTITIES.md, "A family name across documents").
create or replace view stg_families as
with full_names as (
    select family_id, entity_id, doc_id from mentions
    where family_id is not null and entity_id is not null and entity_id <> family_id
),
per_person as (
    select family_id, entity_id, count(distinct doc_id) as n_documents
    from full_names
    group by family_id, entity_id
),
per_family as (
    select
        family_id,
        count(*) as n_people,
        sum(n_documents) as n_family_documents,
        max(n_documents) as n_top_documents,
        arg_max(entity_id, n_documents) as top_person,
        list(entity_id order by n_documents desc, entity_id) as people,
        list(n_documents order by n_documents desc, entity_id) as people_documents
    from per_person
    group by family_id
)
select
    family_id,
    case when n_top_documents >= 0.8 * n_family_documents then top_person end as person_id,
    n_people,
    n_top_documents,
    n_family_documents,
    round(n_top_documents / n_family_documents, 3) as share,
    people,
    people_documents
from per_family
