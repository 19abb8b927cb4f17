-- Pairs of entities mentioned in the same document ("who met whom"): one row per unordered pair. Entities are
-- resolved (stg_mentions.resolved_id): a family name alone counts as the one person of the corpus it names.
create or replace view entity_cooccurrence as
with doc_entities as (
    select distinct doc_id, resolved_id as entity_id, resolved_name as entity_name, entity_label as label, lang, day
    from stg_mentions
    where resolved_id is not null
)
select
    a.entity_id as entity_a,
    a.entity_name as name_a,
    a.label as label_a,
    b.entity_id as entity_b,
    b.entity_name as name_b,
    b.label as label_b,
    count(distinct a.doc_id) as n_documents,
    list_sort(list_distinct(list(a.lang))) as languages,
    min(a.day) as first_day,
    max(a.day) as last_day
from doc_entities as a
join doc_entities as b
    on a.doc_id = b.doc_id and a.entity_id < b.entity_id
group by all
