-- Pairs of people (PER entities) named in the same document: in how many documents and sentences,
-- on which days and in which languages. One row per unordered pair (person_a < person_b). People are resolved
-- persons (stg_mentions.resolved_id): a family name alone counts as the one person of the corpus it names.
-- Documents are paired on their distinct people and sentences on the people of each sentence, separately: a
-- document naming many people in many sentences would otherwise multiply its rows before the grouping.
create or replace view who_met_whom as
with people as (
    select distinct doc_id, sent_idx, resolved_id as entity_id, resolved_name as entity_name
    from stg_mentions
    where resolved_id is not null and entity_label = 'PER'
),
doc_people as (
    select doc_id, entity_id, any_value(entity_name) as entity_name from people group by doc_id, entity_id
),
doc_pairs as (
    select
        a.doc_id,
        a.entity_id as person_a,
        a.entity_name as name_a,
        b.entity_id as person_b,
        b.entity_name as name_b,
        d.lang,
        d.day
    from doc_people as a
    join doc_people as b
        on a.doc_id = b.doc_id and a.entity_id < b.entity_id
    join stg_documents as d on d.doc_id = a.doc_id
),
sentence_pairs as (
    select a.entity_id as person_a, b.entity_id as person_b, count(*) as n_sentences
    from (select distinct doc_id, sent_idx, entity_id from people) as a
    join (select distinct doc_id, sent_idx, entity_id from people) as b
        on a.doc_id = b.doc_id and a.sent_idx = b.sent_idx and a.entity_id < b.entity_id
    group by a.entity_id, b.entity_id
)
select
    p.person_a,
    any_value(p.name_a) as name_a,
    p.person_b,
    any_value(p.name_b) as name_b,
    count(*) as n_documents,
    coalesce(any_value(s.n_sentences), 0) as n_sentences,
    list_sort(list_distinct(list(p.day))) as days,
    list_sort(list_distinct(list(p.lang))) as languages,
    min(p.day) as first_day,
    max(p.day) as last_day,
    list_sort(list(p.doc_id)) as documents
from doc_pairs as p
left join sentence_pairs as s using (person_a, person_b)
group by p.person_a, p.person_b
