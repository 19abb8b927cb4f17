-- Pairs of people (PER entities) named in the same document: in how many documents and sentences,
-- on which days and in which languages. One row per unordered pair (person_a < person_b). People are resolved
-- persons (stg_mentions.resolved_id): a family name alone counts as the one person of the corpus it names.
create or replace view who_met_whom as
with people as (
    select distinct m.doc_id, m.sent_idx, m.resolved_id as entity_id, m.resolved_name as entity_name, d.lang, d.day
    from stg_mentions as m
    join stg_documents as d using (doc_id)
    where m.resolved_id is not null and m.entity_label = 'PER'
),
pairs as (
    select
        a.doc_id,
        a.sent_idx = b.sent_idx as same_sentence,
        a.sent_idx,
        a.entity_id as person_a,
        a.entity_name as name_a,
        b.entity_id as person_b,
        b.entity_name as name_b,
        a.lang,
        a.day
    from people as a
    join people as b
        on a.doc_id = b.doc_id and a.entity_id < b.entity_id
)
select
    person_a,
    any_value(name_a) as name_a,
    person_b,
    any_value(name_b) as name_b,
    count(distinct doc_id) as n_documents,
    count(distinct case when same_sentence then doc_id || ':' || sent_idx end) as n_sentences,
    list_sort(list_distinct(list(day))) as days,
    list_sort(list_distinct(list(lang))) as languages,
    min(day) as first_day,
    max(day) as last_day,
    list_sort(list_distinct(list(doc_id))) as documents
from pairs
group by person_a, person_b
