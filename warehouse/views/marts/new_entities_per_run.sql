-- Entities first seen in each run: the run that loaded the document holding an entity's earliest
-- loaded mention. A document that is reloaded (e.g. a new pipeline version) moves to the new run.
create or replace view new_entities_per_run as
with mentions as (
    select m.entity_id, m.doc_id, d.run_id, d.loaded_at
    from mentions as m
    join documents as d using (doc_id)
    where m.entity_id is not null
),
first_seen as (
    select entity_id, arg_min(run_id, loaded_at) as run_id, min(loaded_at) as first_loaded_at
    from mentions
    group by entity_id
),
in_run as (
    select entity_id, run_id, count(*) as n_mentions, count(distinct doc_id) as n_documents
    from mentions
    group by entity_id, run_id
)
select
    f.run_id,
    r.started_at as run_started_at,
    r.status as run_status,
    f.entity_id,
    coalesce(e.name, f.entity_id) as name,
    e.label,
    e.source as kb_source,
    f.first_loaded_at,
    i.n_mentions,
    i.n_documents
from first_seen as f
join in_run as i using (entity_id, run_id)
left join runs as r using (run_id)
left join entities as e using (entity_id)
