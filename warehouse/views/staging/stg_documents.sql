-- One row per document with the day it is about (published, else fetched) and its source host.
create or replace view stg_documents as
with documents as (
    select * from documents
)
select
    doc_id,
    source_uri,
    coalesce(site, case when source_uri like 'http%' then split_part(source_uri, '/', 3) end, 'local') as source,
    title,
    lang,
    lang_score,
    coalesce(published_at, fetched_at) as happened_at,
    cast(coalesce(published_at, fetched_at) as date) as day,
    n_chars,
    n_sentences,
    n_mentions,
    run_id
from documents
