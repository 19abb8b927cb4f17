-- One row per story (articles about the same event, across languages): its documents, languages,
-- sources, dates and key entities (the resolved entities, stg_mentions.resolved_id, mentioned in most of its
-- documents).
-- first_day / last_day are publication dates where the documents have one (HTML metadata, feed items,
-- record fields), else fetch dates: date_basis says which ('published', 'fetched' or 'mixed'), and
-- n_published_dates how many of the story's documents have a publication date.
create or replace view stories_overview as
with stories as (
    select story_id, doc_id, score from stories
),
documents as (
    select doc_id, source, title, lang, day from stg_documents
),
duplicates as (
    select doc_id from duplicates
),
signatures as (
    select doc_id, day_source from doc_signatures
),
mentions as (
    select distinct doc_id, resolved_id as entity_id, resolved_name as entity_name
    from stg_mentions
    where resolved_id is not null
),
story_documents as (
    select
        s.story_id, s.doc_id, s.score, d.source, d.title, d.lang, d.day, (u.doc_id is not null) as is_duplicate,
        g.day_source
    from stories as s
    join documents as d using (doc_id)
    left join duplicates as u using (doc_id)
    left join signatures as g using (doc_id)
),
story_entities as (
    select sd.story_id, m.entity_id, any_value(m.entity_name) as entity_name, count(distinct m.doc_id) as n_docs
    from story_documents as sd
    join mentions as m using (doc_id)
    where m.entity_id not like 'u:%'
    group by sd.story_id, m.entity_id
),
key_entities as (
    select story_id, list(entity_name order by n_docs desc, entity_name)[1:8] as key_entities
    from story_entities
    group by story_id
)
select
    sd.story_id,
    count(*) as n_documents,
    count(*) filter (where not sd.is_duplicate) as n_unique_documents,
    list_sort(list_distinct(list(sd.lang))) as languages,
    list_sort(list_distinct(list(sd.source))) as sources,
    min(sd.day) as first_day,
    max(sd.day) as last_day,
    case
        when count(*) filter (where sd.day_source = 'published') = count(*) then 'published'
        when count(*) filter (where sd.day_source = 'published') = 0 then 'fetched'
        else 'mixed'
    end as date_basis,
    count(*) filter (where sd.day_source = 'published') as n_published_dates,
    any_value(k.key_entities) as key_entities,
    list(sd.title order by sd.score desc, sd.doc_id) filter (where sd.title is not null)[1:3] as titles,
    list(sd.doc_id order by sd.score desc, sd.doc_id) as doc_ids
from story_documents as sd
left join key_entities as k using (story_id)
group by sd.story_id
