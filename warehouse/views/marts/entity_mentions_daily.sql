-- Mentions per entity per day, with the languages they appeared in.
create or replace view entity_mentions_daily as
with mentions as (
    select * from stg_mentions where entity_id is not null
)
select
    entity_id,
    any_value(entity_name) as entity_name,
    any_value(entity_label) as label,
    day,
    count(*) as n_mentions,
    count(distinct doc_id) as n_documents,
    list_sort(list_distinct(list(lang))) as languages
from mentions
group by entity_id, day
