-- An entity's timeline across languages: per day and language, how often and under which names. Entities are
-- resolved (stg_mentions.resolved_id), as in entity_profile.
create or replace view entity_timeline as
with mentions as (
    select * exclude (entity_id, entity_name), resolved_id as entity_id, resolved_name as entity_name
    from stg_mentions
    where resolved_id is not null
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
