-- The documents that are not a (near) duplicate of an earlier one: filter republished copies out.
create or replace view documents_unique as
with documents as (
    select * from stg_documents
),
duplicates as (
    select doc_id from duplicates
),
stories as (
    select doc_id, story_id from stories
)
select
    d.*,
    s.story_id
from documents as d
left join stories as s using (doc_id)
where d.doc_id not in (select doc_id from duplicates)
