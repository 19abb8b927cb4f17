-- An entity's timeline across languages: per day and language, how often and under which names.
create or replace view entity_timeline as
with mentions as (
    select * from stg_mentions where entity_id is not null
)
select
    entity_id,
    any_value(entity_name) as entity_name,
    day,
    lang,
    count(*) as n_mentions,
    count(distinct doc_id) as n_documents,
    list_sort(list_distinct(list(surface))) as surfaces
from mentions
group by entity_id, day, lang
