-- Documents, sentences, mentions and characters per day and document language, with the sources.
create or replace view daily_volume as
with documents as (
    select * from stg_documents
)
select
    day,
    lang,
    count(*) as n_documents,
    cast(sum(n_sentences) as bigint) as n_sentences,
    cast(sum(n_mentions) as bigint) as n_mentions,
    cast(sum(n_chars) as bigint) as n_chars,
    count(distinct source) as n_sources,
    list_sort(list_distinct(list(source))) as sources
from documents
group by day, lang
