-- The documents that are not a (near) duplicate of another one: filter republished copies out. Of a group of
-- near duplicates (a document and those whose duplicate_of it is) the one kept is the earliest: published
-- first (else the time its source was first seen), then from the source seen first; so an updated article
-- keeps its earliest source's current version (docs/VERSIONS.md).
create or replace view documents_unique as
with stamps as (
    select doc_id, published_at, loaded_at from documents  -- before the next CTE, which takes the name
),
documents as (
    select * from stg_documents
),
duplicates as (
    select doc_id, duplicate_of from duplicates
),
stories as (
    select doc_id, story_id from stories
),
first_seen as (
    select source_uri, min(valid_from) as first_seen from document_versions group by source_uri
),
ranked as (
    select
        d.doc_id,
        row_number() over (
            partition by coalesce(u.duplicate_of, d.doc_id)
            order by
                coalesce(t.published_at, f.first_seen, t.loaded_at),
                coalesce(f.first_seen, t.loaded_at),
                d.source_uri,
                d.doc_id
        ) as rank_in_group
    from documents as d
    left join duplicates as u using (doc_id)
    left join first_seen as f using (source_uri)
    left join stamps as t using (doc_id)
)
select
    d.*,
    s.story_id
from documents as d
left join stories as s using (doc_id)
where d.doc_id in (select doc_id from ranked where rank_in_group = 1)
