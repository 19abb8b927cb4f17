-- Entities first seen in each run: the run that loaded the document holding an entity's earliest
-- loaded mention. A document that is reloaded (e.g. a new pipeline version) moves to the new run. Entities are
-- resolved (stg_mentions.resolved_id), as in entity_profile: a family name alone, or an unknown person read
-- otherwise in another script, counts for the person it names; so an entity "first seen" in a run can move to an
-- earlier run when a later load joins it to a person loaded before. Group stg_mentions by entity_id for the
-- linker's own ids.
create or replace view new_entities_per_run as
with mentions as (
    select m.resolved_id as entity_id, m.doc_id, d.run_id, d.loaded_at
    from stg_mentions as m
    join documents as d using (doc_id)
    where m.resolved_id is not null
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
