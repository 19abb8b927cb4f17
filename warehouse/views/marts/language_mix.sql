-- Language mix per source: documents and sentences per language.
create or replace view language_mix as
with documents as (
    select doc_id, source from stg_documents
),
sentences as (
    select doc_id, lang from sentences
)
select
    d.source,
    s.lang,
    count(distinct s.doc_id) as n_documents,
    count(*) as n_sentences
from sentences as s
join documents as d using (doc_id)
group by all
