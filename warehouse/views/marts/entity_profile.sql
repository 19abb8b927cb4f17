-- One row per entity mentioned at least once: what the knowledge base says about it and where, when,
-- in which languages and under which names the news mentions it. Entities are resolved (stg_mentions.resolved_id):
-- a family name alone, or an unknown person read otherwise in another script, counts as the person it names.
create or replace view entity_profile as
with mentions as (
    select * exclude (entity_id, entity_name), resolved_id as entity_id, resolved_name as entity_name
    from stg_mentions
    where resolved_id is not null
),
per_entity as (
    select
        entity_id,
        count(*) as n_mentions,
        count(distinct doc_id) as n_documents,
        min(day) as first_day,
        max(day) as last_day,
        list_sort(list_distinct(list(lang))) as languages,
        list_sort(list_distinct(list(source))) as sources,
        list_sort(list_distinct(list(surface))) as surfaces
    from mentions
    group by entity_id
),
aliases as (
    select entity_id, count(*) as n_aliases from entity_aliases group by entity_id
)
select
    p.entity_id,
    coalesce(e.name, p.entity_id) as name,
    e.label,
    e.source as kb_source,
    e.external_id,
    p.n_mentions,
    p.n_documents,
    p.first_day,
    p.last_day,
    p.languages,
    p.sources,
    p.surfaces,
    coalesce(a.n_aliases, 0) as n_aliases
from per_entity as p
left join entities as e using (entity_id)
left join aliases as a using (entity_id)
