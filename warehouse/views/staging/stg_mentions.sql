-- Every mention with its entity, its sentence's language and the document's day.
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
    s.lang,
    d.day,
    d.source
from mentions as m
left join sentences as s using (doc_id, sent_idx)
left join entities as e using (entity_id)
left join documents as d using (doc_id)
