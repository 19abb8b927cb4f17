-- Every version of every source, oldest first, with its article text (docs/VERSIONS.md). The current version
-- of a source is the one with is_current; documents holds its article, sentences and mentions.
create or replace view document_history as
with versions as (
    select * from document_versions
),
documents as (
    select doc_id, text from documents
)
select
    v.source_uri,
    v.version,
    v.is_current,
    v.doc_id,
    v.title,
    v.published_at,
    v.site,
    v.author,
    coalesce(v.text, d.text) as text,
    v.raw_hash,
    v.valid_from,
    v.valid_to,
    v.run_id
from versions as v
left join documents as d using (doc_id)
